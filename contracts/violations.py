"""The violations dataset: one row per broken rule, naming the report, the rule and the cell."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from contracts.catalogue import RULES

SCHEMA = {
    "report_id": pl.String, "source": pl.String, "rule": pl.String, "severity": pl.String, "table": pl.String, "row": pl.String,
    "column": pl.String, "expected": pl.Int64, "actual": pl.Int64, "message": pl.String,
}


class Violations(pa.DataFrameModel):
    """Every violation names a known rule, its severity and the report it belongs to."""

    report_id: str = pa.Field(nullable=False)
    source: str = pa.Field(nullable=True)
    rule: str = pa.Field(isin=list(RULES))
    severity: str = pa.Field(isin=["error", "warning"])
    table: str = pa.Field(nullable=True)
    row: str = pa.Field(nullable=True)
    column: str = pa.Field(nullable=True)
    expected: pl.Int64 = pa.Field(nullable=True)
    actual: pl.Int64 = pa.Field(nullable=True)
    message: str

    class Config:
        strict = True


def frame(parts: list[pl.DataFrame], sources: pl.DataFrame) -> pl.DataFrame:
    """Concatenate violation parts into the dataset's schema, in a deterministic order.

    `sources` (report_id, source) names each report's input file.
    """
    parts = [p.join(sources, on="report_id", how="left").select(list(SCHEMA)).cast(SCHEMA) for p in parts if p.height]
    if not parts:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(parts).sort("report_id", "rule", "table", "row", "column", nulls_last=True)


def with_rule(df: pl.DataFrame, rule: str) -> pl.DataFrame:
    """Add the rule id and its catalogue severity to a frame of violation rows."""
    return df.with_columns(rule=pl.lit(rule), severity=pl.lit(RULES[rule].severity))
