"""Parsed reports → columnar tables (polars): the long `cells` record and the wide per-table datasets.

Schemas and column orders come from the template. The long `cells` frame is the provenance record
(raw text, line, PDF page and y, the printed label its row was read from, status, note of every cell); the wide frames are what people query. In the wide
frames a blank or placeholder cell is null (the printed value is "nothing"); `arith=True` gives the
frames the contracts compute on, where blanks count as 0 and unknown cells (missing, ambiguous,
invalid) stay null so that no identity is judged on a number nobody printed.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from itertools import chain

import polars as pl

from nianbao import template as T
from nianbao.cells import COUNTED_AS_ZERO, VALUE
from nianbao.report import ParsedCell, ParsedReport
from nianbao.version import PARSER_VERSION

DECIMAL = pl.Decimal(38, 6)
# figures the prose may state (nianbao.narrative), checked against the tables by contracts/narrative.py
STATED = ("applications_received", "granted", "partially_granted", "carried_forward", "review_cases",
          "litigation_cases")

REPORT_SCHEMA = {
    "report_id": pl.String, "source": pl.String, "path": pl.String, "sha256": pl.String, "size": pl.Int64,
    "format": pl.String, "title": pl.String, "body": pl.String, "body_type": pl.String, "year": pl.Int32,
    "template": pl.String, "region_code": pl.String, "province": pl.String, "prefecture": pl.String,
    "county": pl.String, "notes": pl.List(pl.String), "parser": pl.String,
    "region_level": pl.String, "region_candidates": pl.List(pl.String),
    **{f"stated_{f}": pl.Int64 for f in STATED},
}
CELL_SCHEMA = {
    "report_id": pl.String, "year": pl.Int32, "table": pl.String, "row": pl.String, "column": pl.String, "raw": pl.String,
    "line": pl.Int32, "status": pl.String, "value": DECIMAL, "value_int": pl.Int64, "note": pl.String,
    "label": pl.String, "page": pl.Int32, "y": pl.Float64,
}
# a report's prose as sentence hashes (nianbao.prose), stored by the parse beside its cells (`parsed_prose`)
PROSE_SCHEMA = {"report_id": pl.String, "year": pl.Int32, "exact": pl.List(pl.UInt64),
                "masked": pl.List(pl.UInt64)}
FAILURE_SCHEMA = {"report_id": pl.String, "source": pl.String, "path": pl.String, "sha256": pl.String,
                  "size": pl.Int64, "error": pl.String, "parser": pl.String}

ROW_ORDER = {code: i for i, code in enumerate(
    dict.fromkeys([r.code for t in (T.TEMPLATE_2021, T.TEMPLATE_2019) for r in t.active_items]
                  + [r.code for r in T.APPLICATIONS_2021] + [r.code for r in T.APPLICATIONS_2019]
                  + [g.code for g in T.REVIEW_GROUPS]))}
APPLICATION_COLUMNS = T.APPLICANT_CODES + (T.ORG_SUBTOTAL.code,)
ACTIVE_COUNT_COLUMNS = tuple(c.code for c in T.ACTIVE_COLUMNS if c.kind != "decimal")
ACTIVE_DECIMAL_COLUMNS = tuple(c.code for c in T.ACTIVE_COLUMNS if c.kind == "decimal")


@lru_cache(maxsize=1)
def template_cells() -> pl.DataFrame:
    """(template, table, row, column) of every cell each template prints (printed subtotals excluded).
    (Cached: a polars frame is not changed in place by any of its methods.)"""
    return pl.DataFrame([{"template": t.name, "table": c.table, "row": c.row, "column": c.column}
                         for t in (T.TEMPLATE_2021, T.TEMPLATE_2019) for c in T.expected_cells(t)])


@lru_cache(maxsize=65536)  # values repeat (0 above all); equal Decimals give the same answer
def _int_or_none(v: Decimal | None) -> int | None:
    return int(v) if v is not None and v == v.to_integral_value() else None


def report_rows(rep: ParsedReport, report_id: str, path: str, sha256: str, size: int) -> dict:
    """One `reports` row (as a dict of columns) for a parsed report."""
    reg = rep.region or {}
    return {
        "report_id": report_id, "source": rep.source, "path": path, "sha256": sha256, "size": size,
        "format": rep.fmt, "title": rep.title, "body": rep.body, "body_type": rep.body_type, "year": rep.year,
        "template": rep.template, "region_code": reg.get("code"), "province": reg.get("province"),
        "prefecture": reg.get("prefecture"), "county": reg.get("county"), "notes": list(rep.notes),
        "parser": PARSER_VERSION, "region_level": rep.region_level, "region_candidates": list(rep.region_candidates),
        **{f"stated_{f}": dict(rep.stated).get(f) for f in STATED},
    }


def cell_columns(rep: ParsedReport, report_id: str) -> dict[str, list]:
    """The report's cells as columns (lists), ready to be concatenated into the `cells` frame."""
    cs = rep.cells
    n = len(cs)
    # ParsedCell is a named tuple: zip(*cells) transposes them into one tuple per field at C speed
    field = dict(zip(ParsedCell._fields, map(list, zip(*cs)))) if cs else {f: [] for f in ParsedCell._fields}
    return {
        "report_id": [report_id] * n, "year": [rep.year] * n, "table": field["table"], "row": field["row"],
        "column": field["column"], "raw": field["raw"], "line": field["line"],
        "status": field["status"], "value": field["value"],
        "value_int": [_int_or_none(v) for v in field["value"]], "note": field["note"],
        "label": field["label"], "page": field["page"], "y": field["y"],
    }


def prose_frame(reports: list[tuple[str, ParsedReport]]) -> pl.DataFrame:
    """(report id, report) pairs → their sentence hashes, one row per report (PROSE_SCHEMA)."""
    return pl.DataFrame([(rid, rep.year, list(rep.prose[0]), list(rep.prose[1])) for rid, rep in reports],
                        schema=PROSE_SCHEMA, orient="row")


def cells_frame(columns: list[dict[str, list]]) -> pl.DataFrame:
    """Concatenate per-report cell columns into one frame with the `cells` schema."""
    merged = {k: list(chain.from_iterable(part[k] for part in columns)) for k in CELL_SCHEMA}
    # Decimals go in as text and are cast by polars: exact, and far faster than Python Decimal objects.
    merged["value"] = [None if v is None else str(v) for v in merged["value"]]
    schema = {**CELL_SCHEMA, "value": pl.String}
    return pl.DataFrame(merged, schema=schema).with_columns(pl.col("value").str.to_decimal(scale=6).cast(DECIMAL))


def _pivot(cells: pl.DataFrame, table: str, value: pl.Expr, columns: tuple[str, ...], dtype,
           runs: pl.DataFrame | None = None, rest: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per (report_id, row) of `table`, one column per code in `columns`.

    Without `runs`, every cell of `table` in `cells` is pivoted and the rows are sorted by report and row
    order. With `runs` (report_id, row, start, len: see `contracts.layout`), each run is a row of the
    result, read by position, in the order of `runs`: the cells `cells[start:start + len]` hold
    `columns[:len]` in that order, every cell of `table` of the runs' reports is in exactly one run, and
    each (report_id, row) is one run. Only `rest` (the cells of the other reports, or None) is pivoted;
    its rows come after the runs'.
    """
    if runs is None:
        return _pivot_cells(cells.filter(pl.col("table") == table), value, columns, dtype)
    start, length = runs["start"], runs["len"]
    # column j of a run is its cell at start + j; a shorter run (e.g. no org_subtotal printed) has none
    at = [pl.select(pl.when(length > j).then(start + j)).to_series() for j in range(len(columns))]
    if 4 * int(length.sum()) < cells.height:  # a small part of the frame: gather the cells, then value them
        idx = pl.concat(at)
        v = cells.select(pl.col(value.meta.root_names()).gather(idx)).select(value).to_series()
        values = [v.slice(j * runs.height, runs.height) for j in range(len(columns))]
    else:
        v = cells.select(value).to_series()
        values = [v.gather(i) for i in at]
    if v.dtype != dtype:  # (a cast even to the same type copies the column)
        values = [x.cast(dtype) for x in values]
    wide = runs.select("report_id", "row").with_columns(x.alias(c) for x, c in zip(values, columns))
    if rest is not None:
        rest = rest.filter(pl.col("table") == table)
        if rest.height:
            wide = pl.concat([wide, _pivot_cells(rest, value, columns, dtype)])
    return wide


def _pivot_cells(base: pl.DataFrame, value: pl.Expr, columns: tuple[str, ...], dtype) -> pl.DataFrame:
    """`_pivot` of the cells of one table, whatever their order."""
    out = (
        base.with_columns(v=value)
        .pivot(on="column", index=["report_id", "row"], values="v", aggregate_function="first")
    )
    for c in columns:
        if c not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=dtype).alias(c))
    out = out.with_columns(pl.col(list(columns)).cast(dtype))
    return (
        out.with_columns(row_order=pl.col("row").replace_strict(ROW_ORDER, return_dtype=pl.Int16))
        .sort("report_id", "row_order")
        .select("report_id", "row", *columns)
    )


def _count_value(arith: bool) -> pl.Expr:
    """Count cells: the printed integer; in arithmetic, blanks are 0 and unknown cells null."""
    printed = pl.when(pl.col("status") == VALUE).then(pl.col("value_int"))
    if arith:
        # equalities rather than is_in: several times faster on a column of short strings, the same nulls
        counted = pl.any_horizontal(pl.col("status") == s for s in COUNTED_AS_ZERO)
        return printed.when(counted).then(pl.lit(0, pl.Int64))
    return printed


def applications(cells: pl.DataFrame, arith: bool = False, runs: pl.DataFrame | None = None,
                 rest: pl.DataFrame | None = None) -> pl.DataFrame:
    """Table 三, one row per (report, row code), one column per applicant column.

    `runs`, `rest`: where the table's cells are, when that is known (see `_pivot`: the rows then come in
    the order of `runs`, not sorted)."""
    return _pivot(cells, "applications", _count_value(arith), APPLICATION_COLUMNS, pl.Int64, runs, rest)


def review_litigation(cells: pl.DataFrame, arith: bool = False, runs: pl.DataFrame | None = None,
                      rest: pl.DataFrame | None = None) -> pl.DataFrame:
    """Table 四, one row per (report, group: review / litigation_direct / litigation_after_review).

    `runs`, `rest`: where the table's cells are, when that is known (see `_pivot`: the rows then come in
    the order of `runs`, not sorted)."""
    return _pivot(cells, "review_litigation", _count_value(arith), T.REVIEW_CODES, pl.Int64,
                  runs, rest).rename({"row": "group"})


def active_disclosure(cells: pl.DataFrame) -> pl.DataFrame:
    """Table 二, one row per (report, item); columns of both templates (null where not in the template)."""
    counts = _pivot(cells.filter(~pl.col("column").is_in(ACTIVE_DECIMAL_COLUMNS)), "active_disclosure",
                    _count_value(False), ACTIVE_COUNT_COLUMNS, pl.Int64)
    decimals = _pivot(cells.filter(pl.col("column").is_in(ACTIVE_DECIMAL_COLUMNS)), "active_disclosure",
                      pl.when(pl.col("status") == VALUE).then(pl.col("value")), ACTIVE_DECIMAL_COLUMNS, DECIMAL)
    keys = counts.select("report_id", "row").vstack(decimals.select("report_id", "row")).unique(maintain_order=True)
    keys = (keys.with_columns(row_order=pl.col("row").replace_strict(ROW_ORDER, return_dtype=pl.Int16))
            .sort("report_id", "row_order").drop("row_order"))
    out = (keys.join(counts, on=["report_id", "row"], how="left", maintain_order="left")
           .join(decimals, on=["report_id", "row"], how="left", maintain_order="left"))
    return out.rename({"row": "item"}).select("report_id", "item", *(c.code for c in T.ACTIVE_COLUMNS))
