"""What is published of a year: the reports without contract errors and their three tables, in canonical
order (by the order of the reports given, then by the template's row order).

Tables 三 and 四 are read by position where `contracts.layout` proves a report's cells follow its template
(the same fast path the contracts use), and pivoted by name for the rest.
"""
from __future__ import annotations

from functools import cache

import polars as pl

from contracts import history as H
from contracts import layout as L
from contracts.judge import quarantined
from contracts.violations import SCHEMA as VIOLATION_SCHEMA
from nianbao import frames as F

DATASETS = ("reports", "active_disclosure", "applications", "review_litigation")
ROW_COLUMN = {"active_disclosure": "item", "applications": "row", "review_litigation": "group"}


@cache
def schemas() -> dict[str, dict[str, pl.DataType]]:
    """Each published dataset's declared schema (what `publish` gives for no reports): the dtype of every
    column, whatever one year's rows hold (a column all null in a year is still written with it)."""
    empty = publish(pl.DataFrame(schema=F.REPORT_SCHEMA), pl.DataFrame(schema=F.CELL_SCHEMA),
                    pl.DataFrame(schema=VIOLATION_SCHEMA))
    return {name: dict(df.schema) for name, df in empty.items()}


def in_report_order(df: pl.DataFrame, reports: pl.DataFrame, row: str | None = None) -> pl.DataFrame:
    """Rows grouped by report in the order of `reports`; within a report, by the template's row order
    (column `row`), or in their own order when `row` is None."""
    pos = reports.select("report_id", _pos=pl.int_range(pl.len(), dtype=pl.UInt32))
    out = df.join(pos, on="report_id", how="left", maintain_order="left")
    if row is None:
        return out.sort("_pos", maintain_order=True).drop("_pos")
    order = pl.col(row).replace_strict(F.ROW_ORDER, default=len(F.ROW_ORDER), return_dtype=pl.Int16)
    return out.sort(pl.col("_pos"), order, maintain_order=True).drop("_pos")


def _keep(df: pl.DataFrame, ids: pl.Series, reports: pl.DataFrame) -> pl.DataFrame:
    out = df.filter(~pl.col("report_id").is_in(ids.implode()))
    return out.join(reports.select("report_id", "year", "template"), on="report_id", how="left",
                    maintain_order="left").select("report_id", "year", "template", *out.columns[1:])


def publish(parsed_reports: pl.DataFrame, parsed_cells: pl.DataFrame, violations: pl.DataFrame,
            decided: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    """The published datasets of these reports: only those without contract errors. `decided` (cells the
    year before decided, `contracts.history.resolve_from_history`) are applied, and noted on the report."""
    if decided is not None and decided.height:
        parsed_cells = H.apply_resolved(parsed_cells, decided)
        said = decided.group_by("report_id", "row", maintain_order=True).agg(
            pl.format("{}: {}", pl.col("row"), pl.col("resolution")).first().alias("said")).group_by(
            "report_id", maintain_order=True).agg(pl.col("said"))
        parsed_reports = (parsed_reports.join(said, on="report_id", how="left", maintain_order="left")
                          .with_columns(notes=pl.when(pl.col("said").is_null()).then(pl.col("notes"))
                                        .otherwise(pl.concat_list("notes", "said"))).drop("said"))
    bad = quarantined(violations)
    warnings = violations.filter(pl.col("severity") == "warning").group_by("report_id").agg(
        n_warnings=pl.len().cast(pl.Int64))
    reports = (parsed_reports.filter(~pl.col("report_id").is_in(bad.implode()))
               .join(warnings, on="report_id", how="left", maintain_order="left")
               .with_columns(pl.col("n_warnings").fill_null(0)).drop("segment", strict=False))
    layout = L.layout(parsed_reports, parsed_cells)
    rest = parsed_cells.filter(layout.slow) if layout.slow.any() else None
    tables = {
        "active_disclosure": F.active_disclosure(parsed_cells),
        "applications": F.applications(parsed_cells, runs=layout.table_runs("applications"), rest=rest),
        "review_litigation": F.review_litigation(parsed_cells, runs=layout.table_runs("review_litigation"),
                                                 rest=rest),
    }
    return {"reports": reports,
            **{name: in_report_order(_keep(df, bad, parsed_reports), parsed_reports, ROW_COLUMN[name])
               for name, df in tables.items()}}
