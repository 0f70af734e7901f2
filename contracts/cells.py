"""Cell-level contracts on the long `cells` frame: values are non-negative integers, every cell is found.

Also the warning `values.blank_as_zero`, one per report and table, naming the blank cells.
"""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from contracts.violations import with_rule
from nianbao import template as T
from nianbao.cells import AMBIGUOUS, COUNTED_AS_ZERO, INVALID, MISSING, VALUE
from nianbao.frames import template_cells

NON_NEGATIVE, PRESENT, BLANK_AS_ZERO = "values.non_negative_integer", "structure.tables_present", "values.blank_as_zero"
SIGNED = [c.code for c in T.ACTIVE_COLUMNS if c.kind == "signed"]
DECIMAL = [c.code for c in T.ACTIVE_COLUMNS if c.kind == "decimal"]


def _value_ok() -> pl.Expr:
    is_value = pl.col("status") == VALUE
    integral = pl.col("value_int").is_not_null()
    non_negative = pl.col("value") >= 0
    ok_value = (
        pl.when(pl.col("column").is_in(SIGNED)).then(integral)
        .when(pl.col("column").is_in(DECIMAL)).then(non_negative)
        .otherwise(integral & non_negative)
    )
    return pl.when(is_value).then(ok_value).otherwise(pl.col("status") != INVALID)


def complete(reports: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """The cells frame with a `missing` row for every cell the report's template expects but nobody wrote
    down, so that `structure.tables_present` does not depend on each parser listing what it did not find."""
    expected = reports.select("report_id", "year", "template").join(template_cells(), on="template").drop("template")
    absent = expected.join(cells.select("report_id", "table", "row", "column"),
                           on=["report_id", "table", "row", "column"], how="anti")
    if not absent.height:
        return cells
    filler = absent.with_columns(raw=pl.lit(None, pl.String), line=pl.lit(None, pl.Int32),
                                 status=pl.lit(MISSING), value=pl.lit(None, cells.schema["value"]),
                                 value_int=pl.lit(None, pl.Int64), note=pl.lit("cell not found"))
    return pl.concat([cells, filler.select(cells.columns)]).sort("report_id", maintain_order=True)


class Cells(pa.DataFrameModel):
    """Every cell of every report, as printed and as read; one row per cell address."""

    report_id: str = pa.Field(nullable=False)
    table: str = pa.Field(isin=list(T.TABLES))
    row: str
    column: str
    raw: str = pa.Field(nullable=True)
    line: pl.Int32 = pa.Field(nullable=True, ge=1)
    status: str = pa.Field(isin=[VALUE, *COUNTED_AS_ZERO, INVALID, AMBIGUOUS, MISSING])
    value: pl.Decimal(38, 6) = pa.Field(nullable=True)
    value_int: pl.Int64 = pa.Field(nullable=True)
    note: str = pa.Field(nullable=True)

    class Config:
        unique = ["report_id", "table", "row", "column"]

    @pa.dataframe_check(name=NON_NEGATIVE)
    def non_negative_integer(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Counts are integers ≥ 0, signed changes integers, amounts ≥ 0; unreadable text fails."""
        return data.lazyframe.select(_value_ok())

    @pa.dataframe_check(name=PRESENT)
    def present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Every expected cell was found and decided (blank is allowed, missing or ambiguous is not)."""
        return data.lazyframe.select(~pl.col("status").is_in([MISSING, AMBIGUOUS]))


def value_violations(cells: pl.DataFrame, rows: list[int]) -> pl.DataFrame:
    """One violation per cell that is not a non-negative integer (or a non-negative amount)."""
    df = cells.with_row_index("i").filter(pl.col("i").is_in(rows)).select(
        "report_id", "table", "row", "column", expected=pl.lit(None, pl.Int64), actual=pl.col("value_int"),
        message=pl.format("{}/{}: printed {} is not a non-negative {}", pl.col("row"), pl.col("column"),
                          pl.col("raw"), pl.when(pl.col("column").is_in(DECIMAL)).then(pl.lit("amount"))
                          .when(pl.col("column").is_in(SIGNED)).then(pl.lit("integer")).otherwise(pl.lit("integer"))))
    return with_rule(df, NON_NEGATIVE)


def presence_violations(cells: pl.DataFrame, rows: list[int]) -> pl.DataFrame:
    """Missing or ambiguous cells, at the coarsest level that is true: a whole table, a whole row, a cell."""
    bad = cells.with_row_index("i").filter(pl.col("i").is_in(rows))
    if not bad.height:
        return pl.DataFrame()
    missing = bad.filter(pl.col("status") == MISSING)
    tables = (missing.group_by("report_id", "table").len("n")
              .join(cells.group_by("report_id", "table").len("size"), on=["report_id", "table"])
              .filter(pl.col("n") == pl.col("size")).select("report_id", "table"))
    rest = missing.join(tables, on=["report_id", "table"], how="anti")
    whole_rows = (rest.group_by("report_id", "table", "row").len("n")
                  .join(cells.group_by("report_id", "table", "row").len("size"), on=["report_id", "table", "row"])
                  .filter(pl.col("n") == pl.col("size")).select("report_id", "table", "row"))
    undecided = bad.filter(pl.col("status") != MISSING)
    # a row whose every cell is undecided for the same reason (one glued run) is one violation
    same = (undecided.group_by("report_id", "table", "row", "status", "note").len("n")
            .join(cells.group_by("report_id", "table", "row").len("size"), on=["report_id", "table", "row"])
            .filter(pl.col("n") == pl.col("size")).select("report_id", "table", "row", "status", "note"))
    single = pl.concat([rest.join(whole_rows, on=["report_id", "table", "row"], how="anti"),
                        undecided.join(same, on=["report_id", "table", "row"], how="anti")])
    none = pl.lit(None, pl.String)
    df = pl.concat([
        tables.select("report_id", "table", row=none, column=none,
                      message=pl.format("table {} not found", pl.col("table"))),
        whole_rows.select("report_id", "table", "row", column=none,
                          message=pl.format("row {} of table {} not found", pl.col("row"), pl.col("table"))),
        same.select("report_id", "table", "row", column=none,
                    message=pl.format("row {} {}: {}", pl.col("row"), pl.col("status"), pl.col("note").fill_null(""))),
        single.select("report_id", "table", "row", "column",
                      message=pl.format("{}: {}", pl.col("status"), pl.col("note").fill_null(""))),
    ]).with_columns(expected=pl.lit(None, pl.Int64), actual=pl.lit(None, pl.Int64))
    return with_rule(df, PRESENT)


def blank_warnings(cells: pl.DataFrame) -> pl.DataFrame:
    """One warning per report and table that had blank or placeholder cells counted as 0."""
    blanks = cells.filter(pl.col("status").is_in(COUNTED_AS_ZERO))
    if not blanks.height:
        return pl.DataFrame()
    df = blanks.group_by("report_id", "table", maintain_order=True).agg(
        n=pl.len(), where=(pl.col("row") + "/" + pl.col("column")).head(5).str.join(", "))
    df = df.select("report_id", "table", row=pl.lit(None, pl.String), column=pl.lit(None, pl.String),
                   expected=pl.lit(None, pl.Int64), actual=pl.lit(None, pl.Int64),
                   message=pl.format("{} blank or placeholder cells counted as 0 (e.g. {})", pl.col("n"), pl.col("where")))
    return with_rule(df, BLANK_AS_ZERO)
