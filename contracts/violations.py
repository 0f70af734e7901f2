"""The violations dataset: one row per broken rule, naming the report, the rule and the cell.

Columns, in order: the report (`report_id, source, year, body, region_code`), the rule (`rule, severity`),
the cell the rule judges (`table, row, column`; row or column null when the rule names none), the numbers
(`expected`, what the rule computes; `actual`, what the report printed), `message`, the likely culprit of a
table 三 arithmetic error (`suspect_*`, `contracts.culprit`), and where the culprit cell was printed
(`printed, line, page`).

The culprit cell is the suspect cell when `contracts.culprit` identified exactly one (suspect_kind
`single_cell`: table applications, suspect_row/suspect_column); otherwise (no suspect, or a glued split of
two cells) it is the rule's own cell (table, row, column). `printed` is the text printed in that cell (the
parser's `raw`), `line` the line of the text the parser read it from, `page` its PDF page (null unless the
report is a PDF). All three are null when the rule names no single cell (a balance of a column, a missing
table, a report-level warning) or when the cell was not printed (missing).
"""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from contracts.catalogue import RULES

REPORT = {"year": pl.Int32, "body": pl.String, "region_code": pl.String}  # of the violation's report
SCHEMA = {
    "report_id": pl.String, "source": pl.String, **REPORT, "rule": pl.String, "severity": pl.String,
    "table": pl.String, "row": pl.String, "column": pl.String, "expected": pl.Int64, "actual": pl.Int64, "message": pl.String,
}
# The likely culprit of a table 三 arithmetic error (`contracts.culprit`): null unless exactly one correction fixes it.
SUSPECT = {"suspect_row": pl.String, "suspect_column": pl.String, "suspect_value": pl.Int64, "suspect_kind": pl.String}
SUSPECT_KINDS = ("single_cell", "glued_split")
SCHEMA |= SUSPECT
# Where the culprit cell (see the module docstring) was printed.
CULPRIT = {"printed": pl.String, "line": pl.Int32, "page": pl.Int32}
SCHEMA |= CULPRIT
LATER = {**REPORT, **SUSPECT, **CULPRIT}  # filled after the rules ran: null in the parts the rules give


class Violations(pa.DataFrameModel):
    """Every violation names a known rule, its severity and the report it belongs to."""

    report_id: str = pa.Field(nullable=False)
    source: str = pa.Field(nullable=True)
    year: pl.Int32 = pa.Field(nullable=True)  # of the report (null when its year could not be read)
    body: str = pa.Field(nullable=True)
    region_code: str = pa.Field(nullable=True)
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
    printed: str = pa.Field(nullable=True)  # the culprit cell's printed text
    line: pl.Int32 = pa.Field(nullable=True)  # where it was read
    page: pl.Int32 = pa.Field(nullable=True)  # PDF only

    class Config:
        strict = True


def frame(parts: list[pl.DataFrame], sources: pl.DataFrame) -> pl.DataFrame:
    """Concatenate violation parts into the dataset's schema, in a deterministic order.

    `sources` (report_id, source) names each report's input file. The report, suspect and culprit
    columns are null in a part that lacks them (`contracts.culprit.annotate` and `locate` fill them
    afterwards).
    """
    parts = [p.join(sources, on="report_id", how="left").with_columns(
        pl.lit(None, t).alias(c) for c, t in LATER.items() if c not in p.columns)
        .select(list(SCHEMA)).cast(SCHEMA) for p in parts if p.height]
    if not parts:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(parts).sort("report_id", "rule", "table", "row", "column", nulls_last=True)


def with_rule(df: pl.DataFrame, rule: str) -> pl.DataFrame:
    """Add the rule id and its catalogue severity to a frame of violation rows."""
    return df.with_columns(rule=pl.lit(rule), severity=pl.lit(RULES[rule].severity))


def culprit_cell() -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(table, row, column) of each violation's culprit cell: the single-cell suspect, else its own cell."""
    single = pl.col("suspect_kind") == SUSPECT_KINDS[0]
    return (pl.col("table"), pl.when(single).then(pl.col("suspect_row")).otherwise(pl.col("row")),
            pl.when(single).then(pl.col("suspect_column")).otherwise(pl.col("column")))


# the columns of the parsed cells `locate` reads (nianbao.frames.CELL_SCHEMA)
CELLS = {"report_id": pl.String, "table": pl.String, "row": pl.String, "column": pl.String, "raw": pl.String,
         "line": pl.Int32, "page": pl.Int32}


def locate(violations: pl.DataFrame, reports: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """The violations (order kept) with their report's year, body and region_code (from `reports`, rows of
    parsed_reports) and where their culprit cell was printed (`printed, line, page` from `cells`, the parsed
    cells: raw, line, page, of the first reading of that cell in the report)."""
    if not violations.height:
        return violations.select(list(SCHEMA)).cast(SCHEMA)
    who = reports.select("report_id", *REPORT).unique("report_id", keep="first").cast(REPORT)
    table, row, column = culprit_cell()
    out = (violations.drop(*REPORT, *CULPRIT).join(who, on="report_id", how="left", maintain_order="left")
           .with_columns(_t=table, _r=row, _c=column))
    address = ["report_id", "_t", "_r", "_c"]
    # only the culprit cells are read out of the (large) cells frame, before anything is sorted
    wanted = out.select(address).drop_nulls().unique()
    at = (cells.select("report_id", _t="table", _r="row", _c="column", printed="raw", line="line",
                       page=pl.col("page") if "page" in cells.columns else pl.lit(None, pl.Int32))
          .join(wanted, on=address, how="semi")
          .sort(*address, "line", nulls_last=True, maintain_order=True)
          .unique(address, keep="first", maintain_order=True))
    out = out.join(at, on=address, how="left", maintain_order="left")
    return out.select(list(SCHEMA)).cast(SCHEMA)

