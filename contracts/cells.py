"""Cell-level contracts on the long `cells` frame: values are non-negative integers, every cell is found.

Also the warning `values.blank_as_zero`, one per report and table, naming the blank cells.
"""
from __future__ import annotations

import operator
from functools import reduce

import pandera.polars as pa
import polars as pl

from contracts import layout as L
from contracts.violations import with_rule
from nianbao import template as T
from nianbao.cells import AMBIGUOUS, COUNTED_AS_ZERO, INVALID, MISSING, NOT_PRINTED, VALUE
from nianbao.frames import template_cells

NON_NEGATIVE, PRESENT, BLANK_AS_ZERO = "values.non_negative_integer", "structure.tables_present", "values.blank_as_zero"
COLLAPSED = "structure.collapsed_group"
UNIQUE = "unique_address"  # a guard of the pipeline's own output, not a rule: two cells at one address is a bug
ADDRESS = ["report_id", "table", "row", "column"]
SIGNED = [c.code for c in T.ACTIVE_COLUMNS if c.kind == "signed"]
DECIMAL = [c.code for c in T.ACTIVE_COLUMNS if c.kind == "decimal"]


def one_of(column: str, values) -> pl.Expr:
    """`pl.col(column).is_in(values)` for a few short strings, as equalities (several times faster than
    hashing every row; the same nulls)."""
    return reduce(operator.or_, [pl.col(column) == v for v in values])


def _value_ok() -> pl.Expr:
    is_value = pl.col("status") == VALUE
    integral = pl.col("value_int").is_not_null()
    non_negative = pl.col("value") >= 0
    ok_value = (
        pl.when(one_of("column", SIGNED)).then(integral)
        .when(one_of("column", DECIMAL)).then(non_negative)
        .otherwise(integral & non_negative)
    )
    return pl.when(is_value).then(ok_value).otherwise(pl.col("status") != INVALID)


def complete(reports: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """The cells frame with a `missing` row for every cell the report's template expects but nobody wrote
    down, so that `structure.tables_present` does not depend on each parser listing what it did not find."""
    return completed(reports, cells)[0]


def completed(reports: pl.DataFrame, cells: pl.DataFrame) -> tuple[pl.DataFrame, L.Layout]:
    """`complete`, and the layout of the completed frame (`contracts.layout`).

    Reports whose layout is proven hold every expected cell: only the others are anti-joined with the
    template. The `missing` rows are appended after the cells they complete.
    """
    layout = L.layout(reports, cells)
    if not layout.slow_reports.height:
        return cells, layout
    expected = (layout.slow_reports.select("report_id", "year", "template")
                .join(template_cells(), on="template").drop("template"))
    present = cells.select(ADDRESS).filter(layout.slow)
    absent = expected.join(present, on=ADDRESS, how="anti")
    if not absent.height:
        return cells, layout
    filler = absent.with_columns(raw=pl.lit(None, pl.String), line=pl.lit(None, pl.Int32),
                                 status=pl.lit(MISSING), value=pl.lit(None, cells.schema["value"]),
                                 value_int=pl.lit(None, pl.Int64), note=pl.lit("cell not found"))
    filler = filler.with_columns(pl.lit(None, cells.schema[c]).alias(c) for c in cells.columns if c not in filler.columns)
    return pl.concat([cells, filler.select(cells.columns)]), layout.extended(filler.height)


def unique_address(frame: pl.DataFrame) -> pl.Series:
    """True for each cell whose address (report_id, table, row, column) no other cell has.

    With the `contracts.layout` key column (an integer per address, null outside proven reports), the
    keyed cells are unique when their keys strictly increase, and only the others are hashed.
    """
    if L.KEY not in frame.columns:
        return ~frame.select(ADDRESS).is_duplicated()
    key = frame[L.KEY]
    if not key.null_count() and key.len() > 1:  # every cell keyed: unique when the keys strictly increase
        k = key.to_numpy()
        if (k[1:] > k[:-1]).all():
            return pl.repeat(True, key.len(), eager=True)
    ok = (key > key.shift().forward_fill()).fill_null(True)  # keyed rows: above every earlier key
    if not ok.all():  # keys out of order (not the layout's): fall back to hashing every address
        return ~frame.select(ADDRESS).is_duplicated()
    if key.null_count():  # a keyed report has no unkeyed cell: the unkeyed cells are checked among themselves
        rest = key.is_null().arg_true()
        ok = ok.scatter(rest, ~frame.select(ADDRESS)[rest].is_duplicated())
    return ok


class Cells(pa.DataFrameModel):
    """Every cell of every report, as printed and as read; one row per cell address."""

    report_id: str = pa.Field(nullable=False)
    table: str = pa.Field(isin=list(T.TABLES))
    row: str
    column: str
    raw: str = pa.Field(nullable=True)
    line: pl.Int32 = pa.Field(nullable=True, ge=1)
    status: str = pa.Field(isin=[VALUE, *COUNTED_AS_ZERO, INVALID, AMBIGUOUS, MISSING, NOT_PRINTED])
    value: pl.Decimal(38, 6) = pa.Field(nullable=True)
    value_int: pl.Int64 = pa.Field(nullable=True)
    note: str = pa.Field(nullable=True)

    @pa.dataframe_check(name=UNIQUE)
    def unique(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """One row per cell address (report_id, table, row, column)."""
        return unique_address(data.lazyframe.collect()).to_frame(UNIQUE).lazy()

    @pa.dataframe_check(name=NON_NEGATIVE)
    def non_negative_integer(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Counts are integers ≥ 0, signed changes integers, amounts ≥ 0; unreadable text fails."""
        return data.lazyframe.select(_value_ok())

    @pa.dataframe_check(name=PRESENT)
    def present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Every expected cell was found and decided (blank is allowed, missing or ambiguous is not)."""
        return data.lazyframe.select(~one_of("status", [MISSING, AMBIGUOUS]))


def _rows(frame: pl.DataFrame, rows: list[int]) -> pl.DataFrame:
    """The rows of `frame` at the given (sorted, distinct) indices, in frame order."""
    return frame[rows] if rows else frame.clear()


def value_violations(cells: pl.DataFrame, rows: list[int]) -> pl.DataFrame:
    """One violation per cell that is not a non-negative integer (or a non-negative amount)."""
    df = _rows(cells, rows).select(
        "report_id", "table", "row", "column", expected=pl.lit(None, pl.Int64), actual=pl.col("value_int"),
        message=pl.format("{}/{}: printed {} is not a non-negative {}{}", pl.col("row"), pl.col("column"),
                          pl.col("raw"), pl.when(one_of("column", DECIMAL)).then(pl.lit("amount"))
                          .when(one_of("column", SIGNED)).then(pl.lit("integer")).otherwise(pl.lit("integer")),
                          # the cell policy's reason, where it gave one (e.g. a number too large for the type)
                          pl.when(pl.col("note").is_not_null()).then(pl.format(" ({})", pl.col("note")))
                          .otherwise(pl.lit(""))))
    return with_rule(df, NON_NEGATIVE)


def presence_violations(cells: pl.DataFrame, rows: list[int], layout: L.Layout | None = None) -> pl.DataFrame:
    """Missing or ambiguous cells, at the coarsest level that is true: a whole table, a whole row, a cell.

    `layout` (of `cells`, optional) finds the cells of the reports concerned by position."""
    bad = _rows(cells, rows)
    if not bad.height:
        return pl.DataFrame()
    # the sizes of tables and rows are counted in the reports concerned only
    ids = bad["report_id"].unique()
    cells = cells.select("report_id", "table", "row")
    cells = cells[layout.rows_of(cells, ids)] if layout else cells.filter(pl.col("report_id").is_in(ids.implode()))
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
    blanks = cells.lazy().select("report_id", "table", "row", "column", "status").filter(
        one_of("status", COUNTED_AS_ZERO)).collect()
    if not blanks.height:
        return pl.DataFrame()
    df = blanks.group_by("report_id", "table", maintain_order=True).agg(
        n=pl.len(), where=(pl.col("row") + "/" + pl.col("column")).head(5).str.join(", "))
    df = df.select("report_id", "table", row=pl.lit(None, pl.String), column=pl.lit(None, pl.String),
                   expected=pl.lit(None, pl.Int64), actual=pl.lit(None, pl.Int64),
                   message=pl.format("{} blank or placeholder cells counted as 0 (e.g. {})", pl.col("n"), pl.col("where")))
    return with_rule(df, BLANK_AS_ZERO)


def collapsed_warnings(cells: pl.DataFrame) -> pl.DataFrame:
    """One warning per report and group printed as its total only (its rows' cells are `not_printed`)."""
    rows = cells.lazy().filter(pl.col("status") == NOT_PRINTED).select("report_id", "table", "row", "note").unique(
        maintain_order=True).collect()
    if not rows.height:
        return pl.DataFrame()
    df = rows.group_by("report_id", "table", "note", maintain_order=True).agg(where=pl.col("row").str.join(", "))
    df = df.select("report_id", "table", row=pl.lit(None, pl.String), column=pl.lit(None, pl.String),
                   expected=pl.lit(None, pl.Int64), actual=pl.lit(None, pl.Int64),
                   message=pl.format("rows {} not printed: {}", pl.col("where"), pl.col("note")))
    return with_rule(df, COLLAPSED)
