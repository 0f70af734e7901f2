"""Helpers that alter a parsed seed (its `reports` and long `cells` frames) for the contract tests.

Every alteration goes through the real cell policy: a new printed text is re-read with
`nianbao.cells.read(raw, kind)`, so a test says what a report *printed* ("", "—", "-3", "abc") and the
status, value and value_int follow from the policy, never from the test. Frames are never modified in
place: each helper returns a new frame. Cells are addressed by (report_id, table, row, column).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import polars as pl

from nianbao import cells as C
from nianbao import template as T
from nianbao.frames import CELL_SCHEMA

KEYS = ["report_id", "table", "row", "column"]
READ = ["raw", "status", "value", "value_int", "note"]
TRUTH = Path(__file__).parent / "data" / "seeds" / "truth"

# table 二 value kinds of both templates, by (item, column)
_KINDS = {(i.code, c.code): c.kind for t in (T.TEMPLATE_2021, T.TEMPLATE_2019) for i in t.active_items for c in i.columns}


# --- seeds -------------------------------------------------------------------------------------

def seed_id(reports: pl.DataFrame, prefix: str) -> str:
    """The report_id of the seed whose source file name starts with `prefix` ("000" … "004")."""
    ids = reports.filter(pl.col("source").str.starts_with(prefix))["report_id"].to_list()
    assert len(ids) == 1, f"expected one seed {prefix}, found {ids}"
    return ids[0]


def truth(prefix: str) -> dict:
    """The hand-checked truth JSON of a seed."""
    (path,) = TRUTH.glob(f"{prefix}_*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def truth_app(prefix: str, row: str, column: str) -> int:
    """A table 三 number from a seed's truth file."""
    return truth(prefix)["applications"][row][T.APPLICANT_CODES.index(column)]


def cell(cells: pl.DataFrame, report_id: str, table: str, row: str, column: str) -> dict:
    """One cell as a dict (fails unless exactly one cell has that address)."""
    hit = cells.filter(_at(report_id, table, row, column))
    assert hit.height == 1, f"{(report_id, table, row, column)}: {hit.height} cells"
    return hit.row(0, named=True)


# --- reading printed text through the policy ----------------------------------------------------

def kind_of(table: str, row: str, column: str) -> str:
    """The value kind of a cell: count, decimal (fee / procurement amounts) or signed (2019 changes)."""
    return _KINDS.get((row, column), "count") if table == "active_disclosure" else "count"


def _int_or_none(v: Decimal | None) -> int | None:
    return int(v) if v is not None and v == v.to_integral_value() else None


def _reading(raw: str | None, kind: str) -> dict:
    v = C.read(raw, kind)
    return {"raw": raw, "status": v.status, "value": v.value, "value_int": _int_or_none(v.value), "note": v.note}


def _at(report_id: str, table: str, row: str | None = None, column: str | None = None) -> pl.Expr:
    e = (pl.col("report_id") == report_id) & (pl.col("table") == table)
    if row is not None:
        e &= pl.col("row") == row
    if column is not None:
        e &= pl.col("column") == column
    return e


# --- alterations -------------------------------------------------------------------------------

def set_cells(cells: pl.DataFrame, report_id: str, table: str, printed: Mapping[tuple[str, str], str | None]) -> pl.DataFrame:
    """Cells re-printed as `printed[(row, column)]` (re-read under the cell policy).

    An address the report does not have yet (a printed subtotal row, the org_subtotal column) is
    added as a new cell (line null); existing cells keep their line.
    """
    edits = pl.DataFrame(
        [{"report_id": report_id, "table": table, "row": r, "column": c, "line": None,
          **_reading(raw, kind_of(table, r, c))} for (r, c), raw in printed.items()],
        schema=CELL_SCHEMA,
    )
    new = "__new"
    out = cells.join(edits.select(*KEYS, *READ, hit=pl.lit(True)), on=KEYS, how="left", suffix=new,
                     maintain_order="left")
    out = out.with_columns(
        pl.when(pl.col("hit")).then(pl.col(c + new)).otherwise(pl.col(c)).alias(c) for c in READ
    ).select(list(CELL_SCHEMA))
    added = edits.join(cells, on=KEYS, how="anti")
    return pl.concat([out, added])


def set_cell(cells: pl.DataFrame, report_id: str, table: str, row: str, column: str, raw: str | None) -> pl.DataFrame:
    """One cell re-printed as `raw` (see `set_cells`)."""
    return set_cells(cells, report_id, table, {(row, column): raw})


def mark(cells: pl.DataFrame, report_id: str, table: str, status: str, row: str | None = None,
         column: str | None = None, note: str = "altered by the test") -> pl.DataFrame:
    """Cells (one cell, a row, a column or a whole table) the parser could not decide: `status` is
    missing or ambiguous, raw / line / value null."""
    assert status in (C.MISSING, C.AMBIGUOUS), status
    hit = _at(report_id, table, row, column)
    assert cells.filter(hit).height, f"no cell at {(report_id, table, row, column)}"
    return cells.with_columns(
        pl.when(hit).then(pl.lit(None)).otherwise(pl.col(c)).cast(CELL_SCHEMA[c]).alias(c)
        for c in ("raw", "line", "value", "value_int")
    ).with_columns(
        status=pl.when(hit).then(pl.lit(status)).otherwise(pl.col("status")),
        note=pl.when(hit).then(pl.lit(note)).otherwise(pl.col("note")),
    )


def drop_cell(cells: pl.DataFrame, report_id: str, table: str, row: str, column: str) -> pl.DataFrame:
    """One cell not found by the parser (status missing)."""
    return mark(cells, report_id, table, C.MISSING, row, column, note=f"{table} {row}/{column} not found")


def drop_table(cells: pl.DataFrame, report_id: str, table: str) -> pl.DataFrame:
    """A whole table not found: every cell of it missing (as the parser records it)."""
    return mark(cells, report_id, table, C.MISSING, note=f"{table} not found")


def shift(cells: pl.DataFrame, report_id: str, table: str, row: str, column: str, delta: int) -> pl.DataFrame:
    """A count cell re-printed as its printed integer + delta."""
    old = cell(cells, report_id, table, row, column)["value_int"]
    return set_cell(cells, report_id, table, row, column, str(old + delta))


def with_org_subtotal(cells: pl.DataFrame, report_id: str) -> pl.DataFrame:
    """The report printed with the optional 法人或其他组织小计 column, consistent with its five org columns."""
    org = (
        cells.filter(_at(report_id, "applications") & pl.col("column").is_in(T.ORG_COLUMNS))
        .group_by("report_id", "table", "row", maintain_order=True)
        .agg(raw=pl.col("value_int").sum().cast(pl.String))
    )
    return set_cells(cells, report_id, "applications", {(r, "org_subtotal"): raw for _, _, r, raw in org.iter_rows()})


def with_subtotal_row(cells: pl.DataFrame, report_id: str, group: str, tpl: T.Template = T.TEMPLATE_2021) -> pl.DataFrame:
    """The report printed with the group's subtotal row （三）不予公开 … , consistent with its items."""
    sums = (
        cells.filter(_at(report_id, "applications") & pl.col("row").is_in(T.group_items(tpl, group)))
        .group_by("column", maintain_order=True).agg(raw=pl.col("value_int").sum().cast(pl.String))
    )
    return set_cells(cells, report_id, "applications", {(T.subtotal_row(group), c): raw for c, raw in sums.iter_rows()})


# --- the 2019 template -------------------------------------------------------------------------

OTHER_2021 = ("other_overdue_correction", "other_unpaid_fee", "other_misc")

# what the converted 2019 report prints in table 二, by column (a signed change, a decimal amount)
ACTIVE_2019_PRINTED = {
    "new_made": "3", "new_published": "3", "total_published": "41", "previous_items": "12",
    "change": "-3", "decisions": "1664", "projects": "5", "amount": "12.5",
}


def to_2019(reports: pl.DataFrame, cells: pl.DataFrame, report_id: str, year: int = 2020,
            active: Mapping[str, str] = ACTIVE_2019_PRINTED) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The report as if printed with the 2019 template.

    The three （六）其他处理 rows become one `other_processing` row holding their sums; table 二 is
    replaced by the 2019 fields (`TEMPLATE_2019.active_fields()`), printed as `active[column]`.
    """
    reports = reports.with_columns(
        template=pl.when(pl.col("report_id") == report_id).then(pl.lit("2019")).otherwise(pl.col("template")),
        year=pl.when(pl.col("report_id") == report_id).then(pl.lit(year, pl.Int32)).otherwise(pl.col("year")),
    )
    others = cells.filter(_at(report_id, "applications") & pl.col("row").is_in(OTHER_2021))
    assert (others["status"] == C.VALUE).all(), "convert a fully printed report"
    sums = others.group_by("column", maintain_order=True).agg(raw=pl.col("value_int").sum().cast(pl.String))
    gone = (_at(report_id, "applications") & pl.col("row").is_in(OTHER_2021)) | _at(report_id, "active_disclosure")
    cells = cells.filter(~gone)
    cells = set_cells(cells, report_id, "applications", {("other_processing", c): raw for c, raw in sums.iter_rows()})
    return reports, set_cells(cells, report_id, "active_disclosure",
                              {(i, c): active[c] for i, c in T.TEMPLATE_2019.active_fields()})


# --- running the contracts ---------------------------------------------------------------------

FIELDS = ("rule", "severity", "table", "row", "column", "expected", "actual")


def run(reports: pl.DataFrame, cells: pl.DataFrame):
    """`contracts.validate.validate` over every report at once."""
    from contracts.validate import validate

    return validate(reports, cells)


def statuses(v) -> dict[str, str]:
    """report_id → validated / quarantined."""
    return dict(v.status.select("report_id", "status").iter_rows())


def found(v, report_id: str | None = None, severity: str | None = None, rule: str | None = None) -> set[tuple]:
    """The violations as (rule, severity, table, row, column, expected, actual) tuples, filtered."""
    df = v.violations
    for name, want in (("report_id", report_id), ("severity", severity), ("rule", rule)):
        if want is not None:
            df = df.filter(pl.col(name) == want)
    return set(df.select(FIELDS).iter_rows())


def only_quarantined(v, report_id: str) -> None:
    """Assert that `report_id` is quarantined and every other report stays validated."""
    got = statuses(v)
    assert got[report_id] == "quarantined", v.violations
    others = {rid: s for rid, s in got.items() if rid != report_id}
    assert set(others.values()) == {"validated"}, v.violations.filter(pl.col("report_id") != report_id)
    assert not found(v, severity="error") - found(v, report_id=report_id), "errors outside the altered report"
