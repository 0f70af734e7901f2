"""The violations dataset: one row per broken rule, naming the report, the rule and the cell."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from contracts.catalogue import RULES

SCHEMA = {
    "report_id": pl.String, "source": pl.String, "rule": pl.String, "severity": pl.String, "table": pl.String, "row": pl.String,
    "column": pl.String, "expected": pl.Int64, "actual": pl.Int64, "message": pl.String,
}
# The likely culprit of a table 三 arithmetic error (`contracts.culprit`): null unless exactly one correction fixes it.
SUSPECT = {"suspect_row": pl.String, "suspect_column": pl.String, "suspect_value": pl.Int64, "suspect_kind": pl.String}
SUSPECT_KINDS = ("single_cell", "glued_split")
SCHEMA |= SUSPECT


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
    suspect_row: str = pa.Field(nullable=True)  # the suspect cell's row
    suspect_column: str = pa.Field(nullable=True)  # its column; "a,b" for the two cells of a glued split
    suspect_value: pl.Int64 = pa.Field(nullable=True)  # the value that makes the sums hold (null for a split)
    suspect_kind: str = pa.Field(nullable=True, isin=list(SUSPECT_KINDS))

    class Config:
        strict = True


def frame(parts: list[pl.DataFrame], sources: pl.DataFrame) -> pl.DataFrame:
    """Concatenate violation parts into the dataset's schema, in a deterministic order.

    `sources` (report_id, source) names each report's input file. The suspect columns are null
    in a part that lacks them (`contracts.culprit.annotate` fills them afterwards).
    """
    parts = [p.join(sources, on="report_id", how="left").with_columns(
        pl.lit(None, t).alias(c) for c, t in SUSPECT.items() if c not in p.columns)
        .select(list(SCHEMA)).cast(SCHEMA) for p in parts if p.height]
    if not parts:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(parts).sort("report_id", "rule", "table", "row", "column", nulls_last=True)


def with_rule(df: pl.DataFrame, rule: str) -> pl.DataFrame:
    """Add the rule id and its catalogue severity to a frame of violation rows."""
    return df.with_columns(rule=pl.lit(rule), severity=pl.lit(RULES[rule].severity))
