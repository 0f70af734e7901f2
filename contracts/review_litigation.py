"""Table 四 contracts: per group, upheld + corrected + other + pending = total."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from contracts.applications import _sum
from contracts.violations import with_rule
from nianbao import template as T

GROUP_TOTAL = "review_litigation.group_total"
EXPECTED = _sum([c for c in T.REVIEW_CODES if c != "total"])


class ReviewLitigation(pa.DataFrameModel):
    """The wide table 四: one row per (report, group)."""

    report_id: str = pa.Field(nullable=False)
    group: str = pa.Field(isin=[g.code for g in T.REVIEW_GROUPS])
    upheld: pl.Int64 = pa.Field(nullable=True)
    corrected: pl.Int64 = pa.Field(nullable=True)
    other: pl.Int64 = pa.Field(nullable=True)
    pending: pl.Int64 = pa.Field(nullable=True)
    total: pl.Int64 = pa.Field(nullable=True)

    @pa.dataframe_check(name=GROUP_TOTAL)
    def group_total(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Per group: the four outcome columns add up to total (not judged when a cell is unknown)."""
        return data.lazyframe.select((pl.col("total") == EXPECTED).fill_null(True))


def group_violations(frame: pl.DataFrame, rows: list[int]) -> pl.DataFrame:
    """Violation rows for the failing (report, group) rows."""
    df = (frame[rows] if rows else frame.clear()).select(
        "report_id", row=pl.col("group"), table=pl.lit("review_litigation"), column=pl.lit("total"),
        expected=EXPECTED, actual=pl.col("total"))
    msg = pl.format("{}: total printed {} but upheld + corrected + other + pending = {}",
                    pl.col("row"), pl.col("actual"), pl.col("expected"))
    return with_rule(df.with_columns(message=msg), GROUP_TOTAL)
