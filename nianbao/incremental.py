"""Incremental parsing: reuse the previous parse of every file whose content and parser are unchanged,
and stream the cells of what is parsed now into the cell store (never the whole corpus in memory), in
the chunks that make the store independent of the history of runs (`nianbao.store`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import polars as pl

from nianbao import frames as F
from nianbao.batch import Parsed, parse_batch, report_id, run_chunks
from nianbao.rawfiles import unreadable
from nianbao.store import UNKNOWN_YEAR, CellStore, chunk_segment, chunks, year_key  # noqa: F401
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


def parse_and_store(items: list[tuple], root: str, prose_root: str) -> Parsed:
    """The parse stage's work on one chunk (`store.chunks`), in the worker: parse its new and changed files,
    write the chunk's segment (those cells and the unchanged reports' cells, read back from the segments
    that held them) to the cell store at `root`, and its reports' sentence hashes likewise to the prose
    store at `prose_root` (the same segment ids), and return the new reports' rows (tagged with the
    segment), the failures and the new cells' status counts, without the cells and the hashes.

    An item is (path, relpath, segment, old year, old segment): path None for an unchanged report whose
    cells and hashes are reused from (old year, old segment)."""
    seg = items[0][2]
    part = parse_batch([(path, rel) for path, rel, *_ in items if path is not None])
    reused = [(report_id(rel), year, old) for path, rel, _, year, old in items if path is None]
    cells, prose = part.cells, part.prose
    if reused:
        old = pl.DataFrame(reused, schema={"report_id": pl.String, "year": pl.Int32, "segment": pl.String},
                           orient="row")
        order = pl.DataFrame({"report_id": [report_id(rel) for _, rel, *_ in items]}).with_row_index("_pos")

        def in_path_order(kept: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:  # as a full parse writes them
            return (pl.concat([kept, new]).join(order, on="report_id", how="left", maintain_order="left")
                    .sort("_pos", maintain_order=True).drop("_pos"))

        cells = in_path_order(CellStore(root).read(old, schema=F.CELL_SCHEMA), cells)
        prose = in_path_order(CellStore(prose_root).read(old, schema=F.PROSE_SCHEMA), prose)
    years = part.reports["year"].to_list() + [year for _, year, _ in reused]
    if years:
        CellStore(root).write(cells, seg, years)
        CellStore(prose_root).write(prose, seg, years)
    statuses = dict(part.cells.group_by("status").len().iter_rows())
    return Parsed(part.reports.with_columns(segment=pl.lit(seg)), part.cells.clear(), part.failures,
                  statuses=statuses)


def parse_incremental(inventory: pl.DataFrame, root: str, previous: Index | None, store: CellStore,
                      prose: CellStore, workers: int = 0, progress: Callable[[int], None] | None = None
                      ) -> tuple[Index, dict]:
    """Parse the inventoried files, reusing `previous` where (path, sha256, parser version) are unchanged
    and the cells and sentence hashes are still in `store` and `prose`.

    The files are cut into chunks (`store.chunks`); a chunk whose files all are unchanged keeps its
    segment, the others are written again (new and changed files parsed, unchanged ones copied), so the
    store ends as a full parse of the same files would leave it. Returns the index (reports sorted by year
    and path, failures by path: what a full parse gives, byte for byte) and counts: files reused, files
    parsed, previous entries dropped (their file changed or is gone), chunks rewritten, the year
    partitions touched (a changed year's next year too: its history warnings look back), the new cells by
    status.
    """
    current = inventory.select("path", "sha256")
    if previous is None:
        keep = pl.DataFrame(schema={"report_id": pl.String})
    else:
        stored = store.stored(previous.reports, prose)  # a report whose cells or hashes are gone is parsed again
        done = pl.concat([stored.select("report_id", "path", "sha256", "parser"),
                          previous.failures.select("report_id", "path", "sha256", "parser")])
        keep = (done.filter(pl.col("parser") == PARSER_VERSION)
                .join(current, on=["path", "sha256"], how="semi").select("report_id"))
    kept_ids = keep["report_id"].implode()
    # an input with a problem (a FIFO, a link leading outside the raw folder, …) fails without being opened
    todo, not_read = unreadable(inventory.filter(~pl.col("report_id").is_in(kept_ids)))
    if progress and not_read.height:
        progress(not_read.height)
    if previous is None:
        old_r = pl.DataFrame(schema=INDEX_SCHEMA)
        old_f = pl.DataFrame(schema=F.FAILURE_SCHEMA)
        gone = old_r
    else:
        old_r = previous.reports.filter(pl.col("report_id").is_in(kept_ids))
        old_f = previous.failures.filter(pl.col("report_id").is_in(kept_ids))
        gone = previous.reports.filter(~pl.col("report_id").is_in(kept_ids))
    jobs, segment_of = _plan(inventory, set(todo["path"].to_list()), old_r, root)
    new = run_chunks(jobs, partial(parse_and_store, root=str(store.root), prose_root=str(prose.root)), workers or None, progress)
    new_reports = new.reports if "segment" in new.reports.columns else new.reports.with_columns(
        segment=pl.lit(None, pl.String))
    reports = pl.concat([old_r, new_reports.select(list(INDEX_SCHEMA))]).with_columns(
        segment=pl.col("path").replace_strict(segment_of, return_dtype=pl.String))
    reports = reports.sort("year", "path", nulls_last=True)
    failures = pl.concat([old_f, new.failures, not_read]).sort("path")
    dropped = 0 if previous is None else previous.n_inputs - old_r.height - old_f.height
    touched = set(_years(new.reports)) | set(_years(gone))
    present = set(_years(reports))
    # the history warnings of year Y+1 compare with year Y: a change in Y touches Y+1 too
    touched |= {str(int(y) + 1) for y in touched if y.isdigit() and str(int(y) + 1) in present}
    counts = {"reused": old_r.height + old_f.height, "parsed": todo.height, "dropped": dropped,
              "chunks_written": len(jobs), "years": sorted(touched),
              "new_cells": dict(sorted((new.statuses or {}).items()))}
    return Index(reports, failures), counts


def _plan(inventory: pl.DataFrame, to_parse: set[str], kept: pl.DataFrame, root: str
          ) -> tuple[list[list[tuple]], dict[str, str]]:
    """The chunks to write (each a list of `parse_and_store` items) and every path's segment id."""
    sha = dict(inventory.select("path", "sha256").iter_rows())
    old = {path: (year, seg) for path, year, seg in kept.select("path", "year", "segment").iter_rows()}
    jobs, segment_of = [], {}
    for chunk in chunks(sorted(sha)):
        seg = chunk_segment([(p, sha[p]) for p in chunk], PARSER_VERSION)
        segment_of.update((p, seg) for p in chunk)
        if not any(p in to_parse for p in chunk) and all(old[p][1] == seg for p in chunk if p in old):
            continue  # unchanged: its segment stays as it is
        items = [(f"{root}/{p}", p, seg, None, None) if p in to_parse else (None, p, seg, *old[p])
                 for p in chunk if p in to_parse or p in old]
        if items:
            jobs.append(items)
    return jobs, segment_of


def _years(reports: pl.DataFrame) -> list[str]:
    """The partition keys of these reports: what a change touched."""
    return sorted({year_key(y) for y in reports["year"].to_list()})
