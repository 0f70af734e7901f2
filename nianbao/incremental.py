"""Incremental parsing: reuse the previous parse of every file whose content and parser are unchanged,
and stream the cells of what is parsed now into the cell store (never the whole corpus in memory)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import polars as pl

from nianbao import frames as F
from nianbao.batch import Parsed, parse_batch, parse_many
from nianbao.rawfiles import unreadable
from nianbao.store import SEGMENT_REPORTS, UNKNOWN_YEAR, CellStore, segment_id, year_key  # noqa: F401
from nianbao.version import PARSER_VERSION

INDEX_SCHEMA = {**F.REPORT_SCHEMA, "segment": pl.String}


@dataclass
class Index:
    """The result of a parse: one row per report (with the `segment` holding its cells) and the failures."""

    reports: pl.DataFrame
    failures: pl.DataFrame

    @property
    def n_inputs(self) -> int:
        return self.reports.height + self.failures.height


def parse_and_store(items: list[tuple[str, str]], root: str) -> Parsed:
    """The parse stage's work on one batch, in the worker: parse it, write its cells to a new segment of
    the cell store at `root`, and return the report rows (tagged with the segment), the failures and the
    cells' status counts, without the cells."""
    part = parse_batch(items)
    if not part.reports.height:
        return part
    seg = segment_id(part.reports, PARSER_VERSION)
    CellStore(root).write(part.cells, seg, part.reports["year"].to_list())
    statuses = dict(part.cells.group_by("status").len().iter_rows())
    return Parsed(part.reports.with_columns(segment=pl.lit(seg)), part.cells.clear(), part.failures,
                  statuses=statuses)


def parse_incremental(inventory: pl.DataFrame, root: str, previous: Index | None, store: CellStore,
                      workers: int = 0, progress: Callable[[int], None] | None = None) -> tuple[Index, dict]:
    """Parse the inventoried files, reusing `previous` where (path, sha256, parser version) are unchanged.

    Cells of the files parsed now go to `store`; cells of reused files stay where they are. Returns the
    index (reports sorted by year and path, failures by path: what a full parse of the same files gives,
    up to which segment holds a report's cells) and counts: files reused, files parsed, previous
    entries dropped (their file changed or is gone), the year partitions touched (a changed year's next
    year too: its history warnings look back), the new cells by status.
    """
    current = inventory.select("path", "sha256")
    if previous is None:
        keep = pl.DataFrame(schema={"report_id": pl.String})
    else:
        done = pl.concat([previous.reports.select("report_id", "path", "sha256", "parser"),
                          previous.failures.select("report_id", "path", "sha256", "parser")])
        keep = (done.filter(pl.col("parser") == PARSER_VERSION)
                .join(current, on=["path", "sha256"], how="semi").select("report_id"))
    kept_ids = keep["report_id"].implode()
    # an input with a problem (a FIFO, a link leading outside the raw folder, …) fails without being opened
    todo, not_read = unreadable(inventory.filter(~pl.col("report_id").is_in(kept_ids)))
    if progress and not_read.height:
        progress(not_read.height)
    items = [(f"{root}/{p}", p) for p in todo["path"].to_list()]
    new = parse_many(items, workers=workers or None, batch_size=SEGMENT_REPORTS, progress=progress,
                     task=partial(parse_and_store, root=str(store.root)))
    new_reports = new.reports if "segment" in new.reports.columns else new.reports.with_columns(
        segment=pl.lit(None, pl.String))
    if previous is None:
        old_r = pl.DataFrame(schema=INDEX_SCHEMA)
        old_f = pl.DataFrame(schema=F.FAILURE_SCHEMA)
        gone = old_r
    else:
        old_r = previous.reports.filter(pl.col("report_id").is_in(kept_ids))
        old_f = previous.failures.filter(pl.col("report_id").is_in(kept_ids))
        gone = previous.reports.filter(~pl.col("report_id").is_in(kept_ids))
    reports = store.compact(pl.concat([old_r, new_reports.select(list(INDEX_SCHEMA))]))
    reports = reports.sort("year", "path", nulls_last=True)
    failures = pl.concat([old_f, new.failures, not_read]).sort("path")
    dropped = 0 if previous is None else previous.n_inputs - old_r.height - old_f.height
    touched = set(_years(new.reports)) | set(_years(gone))
    present = set(_years(reports))
    # the history warnings of year Y+1 compare with year Y: a change in Y touches Y+1 too
    touched |= {str(int(y) + 1) for y in touched if y.isdigit() and str(int(y) + 1) in present}
    counts = {"reused": old_r.height + old_f.height, "parsed": len(items), "dropped": dropped,
              "years": sorted(touched),
              "new_cells": dict(sorted((new.statuses or {}).items()))}
    return Index(reports, failures), counts


def _years(reports: pl.DataFrame) -> list[str]:
    """The partition keys of these reports: what a change touched."""
    return sorted({year_key(y) for y in reports["year"].to_list()})
