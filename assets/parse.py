"""Parsing: raw files → one record per report, every cell with its raw text, and the failures."""

from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetOut, Output, multi_asset

from assets.meta import frame_metadata
from nianbao.batch import parse_many
from pipeline.resources import Progress, RawReports


@multi_asset(
    group_name="parse",
    ins={"raw_inventory": AssetIn()},
    outs={
        "parsed_reports": AssetOut(description="One row per report that could be parsed: title, body, year, "
                                   "template, region. Validated or not."),
        "parsed_cells": AssetOut(description="Every cell of every parsed report: table, row, column, raw text, "
                                 "line, status (value, blank, placeholder, invalid, ambiguous, missing), value, note."),
        "parse_failures": AssetOut(description="One row per file that could not be read as a report, with the reason."),
    },
    compute_kind="python",
)
def parse_reports(context: AssetExecutionContext, raw_inventory: pl.DataFrame, raw: RawReports, progress: Progress):
    """Parse every inventoried file in batches on a process pool."""
    root = Path(raw.root)
    items = [(str(root / p), p) for p in raw_inventory["path"].to_list()]
    advance, close = progress.tracker(len(items), "parse")
    try:
        parsed = parse_many(items, workers=raw.n_workers(), progress=advance)
    finally:
        close()
    if parsed.n_inputs != raw_inventory.height:
        raise RuntimeError(f"{raw_inventory.height} files inventoried but {parsed.n_inputs} parsed or failed")
    context.log.info(f"parsed {parsed.reports.height} reports, {parsed.failures.height} failures")
    yield Output(parsed.reports, "parsed_reports", metadata=frame_metadata(parsed.reports))
    yield Output(parsed.cells, "parsed_cells", metadata={
        **frame_metadata(parsed.cells),
        "by_status": {k: int(v) for k, v in parsed.cells.group_by("status").len().sort("status").iter_rows()},
    })
    yield Output(parsed.failures, "parse_failures", metadata=frame_metadata(parsed.failures))
