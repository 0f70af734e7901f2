"""Narrative warnings: counts stated in the report's prose against its own tables.

`narrative.applications_count`: applications received, granted, partially granted, carried forward as
stated in sections 一–六 (nianbao.narrative) against table 三's total column; `narrative.review_litigation_count`:
行政复议 / 行政诉讼 case counts against table 四's totals (litigation = both 行政诉讼 groups). Blank cells
count as 0; an unknown cell is not judged; a figure the prose does not state (or states twice
differently) is not judged.
"""
from __future__ import annotations

import polars as pl

from contracts.violations import with_rule
from nianbao.cells import COUNTED_AS_ZERO, VALUE

APPLICATIONS, REVIEW_LITIGATION = "narrative.applications_count", "narrative.review_litigation_count"
# stated figure → (rule, table, rows summed, column)
CHECKS = {
    "applications_received": (APPLICATIONS, "applications", ("new_received",), "total"),
    "granted": (APPLICATIONS, "applications", ("granted",), "total"),
    "partially_granted": (APPLICATIONS, "applications", ("partially_granted",), "total"),
    "carried_forward": (APPLICATIONS, "applications", ("carried_forward",), "total"),
    "review_cases": (REVIEW_LITIGATION, "review_litigation", ("review",), "total"),
    "litigation_cases": (REVIEW_LITIGATION, "review_litigation", ("litigation_direct", "litigation_after_review"),
                         "total"),
}
WORDS = {"applications_received": "applications received", "granted": "granted", "partially_granted":
         "partially granted", "carried_forward": "carried forward", "review_cases": "行政复议 cases",
         "litigation_cases": "行政诉讼 cases"}


def stated_column(figure: str) -> str:
    """The parsed_reports column holding a stated figure."""
    return f"stated_{figure}"


def warnings(reports: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """One warning per stated figure that differs from the table (reports without stated figures: none)."""
    have = [f for f in CHECKS if stated_column(f) in reports.columns]
    if not have or not reports.height:
        return pl.DataFrame()
    n = (pl.when(pl.col("status") == VALUE).then(pl.col("value_int"))
         .when(pl.col("status").is_in(list(COUNTED_AS_ZERO))).then(pl.lit(0, pl.Int64)).otherwise(None))
    parts = []
    for figure in have:
        rule, table, rows, column = CHECKS[figure]
        picked = cells.filter((pl.col("table") == table) & pl.col("row").is_in(list(rows))
                              & (pl.col("column") == column))
        # a sum over rows is known only when every one of its cells is known
        table_value = picked.group_by("report_id").agg(value=n.sum(), known=n.is_not_null().all() & (pl.len() == len(rows)))
        stated = pl.col(stated_column(figure))
        bad = (reports.select("report_id", stated.alias("stated")).filter(pl.col("stated").is_not_null())
               .join(table_value, on="report_id", how="inner")
               .filter(pl.col("known") & (pl.col("value") != pl.col("stated"))))
        parts.append(with_rule(bad.select(
            "report_id", table=pl.lit(table), row=pl.lit(rows[0] if len(rows) == 1 else None, pl.String),
            column=pl.lit(column), expected=pl.col("stated").cast(pl.Int64), actual=pl.col("value").cast(pl.Int64),
            message=pl.format("the text states {} {} but table {} has {}", pl.col("stated"), pl.lit(WORDS[figure]),
                              pl.lit("三" if table == "applications" else "四"), pl.col("value"))), rule))
    return pl.concat(parts)
