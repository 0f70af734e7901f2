"""Incremental parsing: reuse the previous parse of every file whose content and parser are unchanged."""
from __future__ import annotations

from collections.abc import Callable

import polars as pl

from nianbao.batch import Parsed, parse_many
from nianbao.version import PARSER_VERSION


def _ordered(reports: pl.DataFrame, cells: pl.DataFrame, failures: pl.DataFrame) -> Parsed:
    """Reports by (year, path), failures by path, cells grouped by report in that order: a year's rows are
    contiguous, so a year partition reads only its own row groups."""
    reports, failures = reports.sort("year", "path", nulls_last=True), failures.sort("path")
    pos = reports.select("report_id", pos=pl.int_range(pl.len(), dtype=pl.UInt32))
    cells = (cells.join(pos, on="report_id", how="left", maintain_order="left")
             .sort("pos", maintain_order=True).drop("pos"))
    return Parsed(reports, cells, failures)


def parse_incremental(inventory: pl.DataFrame, root: str, previous: Parsed | None, workers: int = 0,
                      progress: Callable[[int], None] | None = None) -> tuple[Parsed, dict]:
    """Parse the inventoried files, reusing `previous` where (path, sha256, parser version) are unchanged.

    Returns the parse (identical to a full parse of the same files) and counts: files reused, files
    parsed, and previous entries dropped (their file changed or is gone).
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
    todo = inventory.filter(~pl.col("report_id").is_in(kept_ids))
    items = [(f"{root}/{p}", p) for p in todo["path"].to_list()]
    new = parse_many(items, workers=workers or None, progress=progress)
    if previous is None:
        counts = {"reused": 0, "parsed": len(items), "dropped": 0, "years": _years(new.reports)}
        return _ordered(new.reports, new.cells, new.failures), counts
    old_r = previous.reports.filter(pl.col("report_id").is_in(kept_ids))
    old_f = previous.failures.filter(pl.col("report_id").is_in(kept_ids))
    old_c = previous.cells.filter(pl.col("report_id").is_in(old_r["report_id"].implode()))
    dropped = previous.reports.height + previous.failures.height - old_r.height - old_f.height
    parsed = _ordered(pl.concat([old_r, new.reports]), pl.concat([old_c, new.cells]),
                      pl.concat([old_f, new.failures]))
    gone = previous.reports.filter(~pl.col("report_id").is_in(kept_ids))
    counts = {"reused": old_r.height + old_f.height, "parsed": len(items), "dropped": dropped,
              "years": sorted(set(_years(new.reports)) | set(_years(gone)))}
    return parsed, counts


UNKNOWN_YEAR = "unknown"  # the partition of reports whose year could not be read


def year_key(year: int | None) -> str:
    """The partition key of a reporting year."""
    return UNKNOWN_YEAR if year is None else str(year)


def _years(reports: pl.DataFrame) -> list[str]:
    """The partition keys of these reports: what a change touched."""
    return sorted({year_key(y) for y in reports["year"].to_list()})
