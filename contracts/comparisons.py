"""Year over year: one body's report of year Y beside its report of Y−1, and which bodies came and went.

The same body is `contracts.history.body_key` (region code + normalised body name), the one definition the
cross-year rules use. A pair is a body with exactly one published report (`reports`, after leaving out the
inputs `identity.duplicate_report` set aside) in Y and one in Y−1. Everything here is pure polars over
frames the caller reads (the published datasets, parsed_reports); nothing is read from disk.

* `cell_changes` → dataset `comparisons`: one row per pair and template cell (the cells of either
  year's template, printed subtotals excluded as in the rollups), `value`, `previous_value` (exact
  decimals), `change` = value − previous_value; null-aware: a cell the report printed blank, or that is
  not in its template, is null, and so is its change; cells null in both years are left out. `rank`: per
  pair, 1 for the largest |change|, then 2, … (ties in table, row, column order); null for no change.
  `relative_change` = change / previous_value (null where previous_value is 0 or null).
* `stock_continuity` → `comparisons_stock`: per pair of 2021-template reports and table 二 stock item
  (规章, 行政规范性文件): in_force(Y−1) + issued(Y) − repealed(Y) against in_force(Y), the `difference`
  (printed − expected). Blanks count as 0 here (the cell policy, as `history.stock` counts them, so a
  nonzero difference is exactly a `history.stock` warning of a published pair).
* `body_changes` → `comparisons_bodies`: per pair, the cells compared and changed, the largest change,
  the stock breaks, and the prose reused from last year's report (`narrative_reuse`): the share of this
  year's distinct sentences identical to one of last year's, and identical but for the digits.
* `coverage` → dataset `coverage`: per body reported in Y or Y−1 (any parsed report, validated or not):
  `continuing`, `missing` (reported last year, not this year) or `new`, with its province and region code.
* `page_frames`: the small frames of one year the year page shows.

A year whose previous year has no reports gives empty frames (with their schemas): nothing to compare,
and not every body is "new".
"""
from __future__ import annotations

import functools

import polars as pl

from contracts.history import body_key
from nianbao import template as T
from nianbao.frames import DECIMAL, ROW_ORDER, template_cells
from nianbao.prose import sentence_hashes, sentences  # noqa: F401 (the text's side, kept by the parse)

ROW_COLUMN = {"active_disclosure": "item", "applications": "row", "review_litigation": "group"}
TABLE_ORDER = {t: i for i, t in enumerate(T.TABLES)}
COLUMN_ORDER = {c: i for i, c in enumerate(dict.fromkeys(
    [c.code for c in T.ACTIVE_COLUMNS] + list(T.APPLICANT_CODES) + [T.ORG_SUBTOTAL.code] + list(T.REVIEW_CODES)))}
STOCK_ITEMS = ("regulations", "normative_documents")
MISSING, NEW, CONTINUING = "missing", "new", "continuing"

PAIR_SCHEMA = {"year": pl.Int32, "body_key": pl.String, "body": pl.String, "region_code": pl.String,
               "province": pl.String, "report_id": pl.String, "previous_report_id": pl.String,
               "template": pl.String, "previous_template": pl.String}
_WHO = ("report_id", "previous_report_id", "body", "region_code", "province", "year")
CELL_SCHEMA = {**{c: PAIR_SCHEMA[c] for c in _WHO}, "table": pl.String, "row": pl.String, "column": pl.String,
               "value": DECIMAL, "previous_value": DECIMAL, "change": DECIMAL, "relative_change": pl.Float64,
               "rank": pl.UInt32}
STOCK_SCHEMA = {**{c: PAIR_SCHEMA[c] for c in _WHO}, "item": pl.String, "previous_in_force": pl.Int64,
                "issued": pl.Int64, "repealed": pl.Int64, "expected_in_force": pl.Int64, "in_force": pl.Int64,
                "difference": pl.Int64}
REUSE_SCHEMA = {"report_id": pl.String, "n_sentences": pl.UInt32, "n_sentences_previous": pl.UInt32,
                "n_reused": pl.UInt32, "reused_share": pl.Float64, "n_reused_masked": pl.UInt32,
                "reused_share_masked": pl.Float64}
BODY_SCHEMA = {**{c: PAIR_SCHEMA[c] for c in _WHO}, "body_key": pl.String, "template": pl.String,
               "previous_template": pl.String, "n_compared": pl.UInt32, "n_changed": pl.UInt32,
               "top_table": pl.String, "top_row": pl.String, "top_column": pl.String, "top_change": DECIMAL,
               "stock_breaks": pl.UInt32, **{k: v for k, v in REUSE_SCHEMA.items() if k != "report_id"}}
COVERAGE_SCHEMA = {"year": pl.Int32, "province": pl.String, "region_code": pl.String, "body_key": pl.String,
                   "body": pl.String, "status": pl.String, "report_id": pl.String, "source": pl.String}
SENTENCE_SCHEMA = {"report_id": pl.String, "exact": pl.List(pl.UInt64), "masked": pl.List(pl.UInt64)}


def _empty(schema: dict) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


# ---- pairs ----------------------------------------------------------------------------------------------

def one_per_body(reports: pl.DataFrame, left_out: pl.Series | None = None) -> pl.DataFrame:
    """The reports with their `body_key`, those in `left_out` dropped, and only bodies with one report
    left (with two, which one is the body's report is not decided here); reports without a body dropped."""
    df = reports if left_out is None else reports.filter(~pl.col("report_id").is_in(left_out.implode()))
    df = df.with_columns(body_key=body_key(df))
    return df.filter(pl.col("body_key").is_not_null() & (pl.len().over("body_key") == 1))


def pairs(reports: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """This year's reports beside the same body's report of the year before (both `one_per_body`),
    sorted by body key (PAIR_SCHEMA)."""
    if not reports.height or not previous.height:
        return _empty(PAIR_SCHEMA)
    cur = reports.select("body_key", "report_id", "body", "region_code", "province", "template",
                         year=pl.col("year").cast(pl.Int32))
    prev = previous.select("body_key", previous_report_id="report_id", previous_template="template")
    out = cur.join(prev, on="body_key", how="inner").sort("body_key")
    return out.select([pl.col(c).cast(t) for c, t in PAIR_SCHEMA.items()])


# ---- cells ----------------------------------------------------------------------------------------------

@functools.cache
def _cell_ids() -> pl.DataFrame:
    """Every (table, row, column) of either template, in canonical order (table, row, column order):
    its row number is the cell's id (`cell`), so sorting by id is sorting in that order."""
    order = [pl.col("table").replace_strict(TABLE_ORDER, return_dtype=pl.Int16),
             pl.col("row").replace_strict(ROW_ORDER, default=len(ROW_ORDER), return_dtype=pl.Int16),
             pl.col("column").replace_strict(COLUMN_ORDER, default=len(COLUMN_ORDER), return_dtype=pl.Int16)]
    return template_cells().select("table", "row", "column").unique().sort(order)


@functools.cache
def _template_cell_ids() -> pl.DataFrame:
    """template, table, row, column and `cell` id of every cell each template prints."""
    return template_cells().join(_cell_ids().with_row_index("cell").with_columns(pl.col("cell").cast(pl.UInt16)),
                                 on=["table", "row", "column"])


@functools.cache
def _cell_maps() -> dict[str, tuple[pl.DataFrame, dict[str, dict[int, int]]]]:
    """Per table: its template rows numbered (`_k`, a (template, row) pair of its template cells), and per
    column the map from that number to the cell id (no entry: not a cell of that template)."""
    ids = _template_cell_ids()
    out = {}
    for table in ROW_COLUMN:
        t = ids.filter(pl.col("table") == table)
        keys = t.select("template", "row").unique(maintain_order=True).with_row_index("_k")
        per_column: dict[str, dict[int, int]] = {}
        for column, k, cell in t.join(keys, on=["template", "row"]).select("column", "_k", "cell").iter_rows():
            per_column.setdefault(column, {})[k] = cell
        out[table] = (keys, per_column)
    return out


LONG_SCHEMA = {"report_id": pl.String, "template": pl.String, "cell": pl.UInt16, "value": DECIMAL}


def long_cells(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The published wide tables (active_disclosure, applications, review_litigation) as one long frame:
    report_id, template, cell (the cell's id: `cell_keys` gives its table, row and column), value (decimal;
    null for a blank), only the cells of the report's template (printed subtotals, the columns of the
    other template left out). Rows are numbered once per table and each column mapped on integers: no
    string key is hashed per cell."""
    parts = []
    for table, code in ROW_COLUMN.items():
        df = tables[table]
        keys, per_column = _cell_maps()[table]
        columns = [c for c in df.columns if c in per_column]
        if not columns or not df.height:
            continue
        rows = df.select("report_id", "template", pl.col(code).alias("row"), *columns).join(
            keys, on=["template", "row"], how="inner", maintain_order="left")
        parts += [rows.select("report_id", "template",
                              cell=pl.col("_k").replace_strict(per_column[c], default=None, return_dtype=pl.UInt16),
                              value=pl.col(c).cast(DECIMAL)).filter(pl.col("cell").is_not_null())
                  for c in columns]
    return pl.concat(parts) if parts else _empty(LONG_SCHEMA)


def cell_keys(cells: pl.DataFrame) -> pl.DataFrame:
    """`cells` (with a `cell` id) with the cell's table, row and column."""
    ids = _cell_ids()
    return cells.with_columns(*[ids[c].gather(cells["cell"]) for c in ("table", "row", "column")])


def cell_changes(pairs_: pl.DataFrame, cells: pl.DataFrame, previous_cells: pl.DataFrame) -> pl.DataFrame:
    """One row per pair and cell of either report's template (CELL_SCHEMA); see the module docstring."""
    if not pairs_.height:
        return _empty(CELL_SCHEMA)
    # pairs numbered in body-key order, cells by id, in one integer key (pair × 2^16 + cell): the join and
    # the sort are on one integer column
    p = pairs_.sort("body_key").with_row_index("_p")
    key = pl.col("_p").cast(pl.UInt64) * 65536 + pl.col("cell").cast(pl.UInt64)
    now = p.select("_p", "report_id").join(cells.select("report_id", "cell", "value"), on="report_id").select(
        _k=key, value="value")
    before = p.select("_p", "previous_report_id").join(
        previous_cells.select(pl.col("report_id").alias("previous_report_id"), "cell",
                              pl.col("value").alias("previous_value")), on="previous_report_id").select(
        _k=key, previous_value="previous_value")
    # each side holds every cell of its report's template (long_cells): their full join is the grid of
    # either template's cells; a cell null in both years is left out
    df = (now.join(before, on="_k", how="full", coalesce=True)
          .filter(pl.col("value").is_not_null() | pl.col("previous_value").is_not_null())
          .sort("_k")
          .with_columns(_p=(pl.col("_k") // 65536).cast(pl.UInt32), cell=(pl.col("_k") % 65536).cast(pl.UInt16)))
    who = p.select(*_WHO)
    df = cell_keys(df).with_columns(*[who[c].gather(df["_p"]) for c in _WHO],
                                    change=(pl.col("value") - pl.col("previous_value")).cast(DECIMAL))
    moved = pl.col("change").is_not_null() & (pl.col("change") != 0)
    df = df.with_columns(
        relative_change=pl.when(pl.col("previous_value") != 0)
        .then(pl.col("change").cast(pl.Float64) / pl.col("previous_value").cast(pl.Float64)),
        rank=pl.when(moved).then(
            pl.when(moved).then(pl.col("change").abs()).rank("ordinal", descending=True).over("_p")))
    return df.select([pl.col(c).cast(t) for c, t in CELL_SCHEMA.items()])


# ---- stock ----------------------------------------------------------------------------------------------

def stock_continuity(pairs_: pl.DataFrame, cells: pl.DataFrame, previous_cells: pl.DataFrame) -> pl.DataFrame:
    """Per pair of 2021-template reports and stock item: previous in_force + issued − repealed against
    in_force, and the difference (STOCK_SCHEMA; blanks count as 0)."""
    both = pairs_.filter((pl.col("template") == "2021") & (pl.col("previous_template") == "2021"))
    if not both.height:
        return _empty(STOCK_SCHEMA)

    def stock(df: pl.DataFrame, rid: str, columns: tuple[str, ...], prefix: str = "") -> pl.DataFrame:
        want = cell_keys(pl.DataFrame({"cell": range(_cell_ids().height)}, schema={"cell": pl.UInt16})).filter(
            (pl.col("table") == "active_disclosure") & pl.col("row").is_in(list(STOCK_ITEMS))
            & pl.col("column").is_in(list(columns)))
        picked = df.join(want.select("cell", "row", "column"), on="cell")
        wide = picked.pivot(on="column", on_columns=list(columns), index=["report_id", "row"], values="value")
        return wide.select(pl.col("report_id").alias(rid), pl.col("row").alias("item"),
                           *[pl.col(c).fill_null(0).cast(pl.Int64).alias(prefix + c) for c in columns])

    now = stock(cells, "report_id", ("issued", "repealed", "in_force"))
    before = stock(previous_cells, "previous_report_id", ("in_force",), "previous_")
    items = pl.DataFrame({"item": list(STOCK_ITEMS)})
    df = (both.join(items, how="cross").join(now, on=["report_id", "item"], how="left")
          .join(before, on=["previous_report_id", "item"], how="left"))
    expected = pl.col("previous_in_force") + pl.col("issued") - pl.col("repealed")
    df = df.with_columns(expected_in_force=expected).with_columns(
        difference=pl.col("in_force") - pl.col("expected_in_force"))
    order = pl.col("item").replace_strict({i: n for n, i in enumerate(STOCK_ITEMS)}, return_dtype=pl.Int8)
    return df.sort("body_key", order).select([pl.col(c).cast(t) for c, t in STOCK_SCHEMA.items()])


# ---- prose ----------------------------------------------------------------------------------------------

def sentence_frame(hashes: dict[str, tuple[list[int], list[int]]]) -> pl.DataFrame:
    """report_id → (exact, masked) hashes as a frame (SENTENCE_SCHEMA), sorted by report."""
    rows = [{"report_id": r, "exact": list(e), "masked": list(m)} for r, (e, m) in sorted(hashes.items())]
    return pl.DataFrame(rows, schema=SENTENCE_SCHEMA) if rows else _empty(SENTENCE_SCHEMA)


def narrative_reuse(pairs_: pl.DataFrame, sentences_: pl.DataFrame) -> pl.DataFrame:
    """Per pair whose two reports' sentences are known (SENTENCE_SCHEMA rows): how many distinct sentences
    this year's report has, how many of them last year's has too (exactly, and but for the numbers), and
    the shares (null when this year's report has no prose sentence) (REUSE_SCHEMA)."""
    known = pairs_.select("report_id", "previous_report_id").join(
        sentences_, on="report_id").join(
        sentences_.rename({"report_id": "previous_report_id", "exact": "exact_p", "masked": "masked_p"}),
        on="previous_report_id")
    if not known.height:
        return _empty(REUSE_SCHEMA)
    n = lambda c: pl.col(c).list.len().cast(pl.UInt32)  # noqa: E731
    reused = lambda a, b: pl.col(a).list.set_intersection(pl.col(b)).list.len().cast(pl.UInt32)  # noqa: E731
    share = lambda k: pl.when(pl.col("n_sentences") > 0).then(  # noqa: E731
        pl.col(k).cast(pl.Float64) / pl.col("n_sentences").cast(pl.Float64))
    out = known.select("report_id", n_sentences=n("exact"), n_sentences_previous=n("exact_p"),
                       n_reused=reused("exact", "exact_p"), n_masked=n("masked"),
                       n_reused_masked=reused("masked", "masked_p"))
    out = out.with_columns(reused_share=share("n_reused"),
                           reused_share_masked=pl.when(pl.col("n_masked") > 0).then(
                               pl.col("n_reused_masked").cast(pl.Float64) / pl.col("n_masked").cast(pl.Float64)))
    return out.sort("report_id").select([pl.col(c).cast(t) for c, t in REUSE_SCHEMA.items()])


# ---- per pair -------------------------------------------------------------------------------------------

def body_changes(pairs_: pl.DataFrame, changes: pl.DataFrame, stock: pl.DataFrame,
                 reuse: pl.DataFrame) -> pl.DataFrame:
    """One row per pair (BODY_SCHEMA): cells compared (known both years), changed, the largest change
    (rank 1), the stock items that do not continue, the narrative reuse (null when not known)."""
    if not pairs_.height:
        return _empty(BODY_SCHEMA)
    counts = changes.group_by("report_id").agg(
        n_compared=pl.col("change").is_not_null().sum(),
        n_changed=(pl.col("change").is_not_null() & (pl.col("change") != 0)).sum())
    top = changes.filter(pl.col("rank") == 1).select(
        "report_id", top_table="table", top_row="row", top_column="column", top_change="change")
    breaks = stock.group_by("report_id").agg(stock_breaks=(pl.col("difference").fill_null(0) != 0).sum())
    df = (pairs_.join(counts, on="report_id", how="left").join(top, on="report_id", how="left")
          .join(breaks, on="report_id", how="left").join(reuse, on="report_id", how="left")
          .with_columns(pl.col("n_compared", "n_changed").fill_null(0)))
    return df.sort("body_key").select([pl.col(c).cast(t) for c, t in BODY_SCHEMA.items()])


# ---- coverage -------------------------------------------------------------------------------------------

def coverage(year: int, parsed: pl.DataFrame, previous_parsed: pl.DataFrame) -> pl.DataFrame:
    """Every body (body_key) with a parsed report in `year` or the year before: `continuing`, `missing`
    (last year only) or `new` (this year only), with the region, body name and report (this year's; last
    year's for a missing body). A body with several reports in a year is one body (its first by path).
    Empty when the year before has no reports (COVERAGE_SCHEMA)."""
    if not previous_parsed.height:
        return _empty(COVERAGE_SCHEMA)

    def bodies(df: pl.DataFrame) -> pl.DataFrame:
        df = df.with_columns(body_key=body_key(df)).filter(pl.col("body_key").is_not_null())
        return df.sort("body_key", "path").unique("body_key", keep="first", maintain_order=True).select(
            "body_key", "province", "region_code", "body", "report_id", "source")

    now, before = bodies(parsed), bodies(previous_parsed)
    present = pl.col("body_key").is_in
    out = pl.concat([
        now.with_columns(status=pl.when(present(before["body_key"].implode())).then(pl.lit(CONTINUING))
                         .otherwise(pl.lit(NEW))),
        before.filter(~present(now["body_key"].implode())).with_columns(status=pl.lit(MISSING)),
    ]).with_columns(year=pl.lit(year, pl.Int32))
    status = pl.col("status").replace_strict({MISSING: 0, NEW: 1, CONTINUING: 2}, return_dtype=pl.Int8)
    return (out.sort(pl.col("province"), pl.col("region_code"), status, pl.col("body_key"), nulls_last=True)
            .select([pl.col(c).cast(t) for c, t in COVERAGE_SCHEMA.items()]))


def coverage_counts(cov: pl.DataFrame) -> pl.DataFrame:
    """Per (province, region_code): bodies continuing, missing and new."""
    return (cov.group_by("province", "region_code")
            .agg(*[(pl.col("status") == s).sum().cast(pl.UInt32).alias(s) for s in (CONTINUING, MISSING, NEW)])
            .sort("province", "region_code", nulls_last=True))


# ---- the year page --------------------------------------------------------------------------------------

def page_frames(comparisons: pl.DataFrame, stock: pl.DataFrame, bodies: pl.DataFrame, cov: pl.DataFrame,
                top: int = 3) -> dict[str, pl.DataFrame]:
    """The small frames one year's page shows, from that year's `comparisons`, `comparisons_stock`,
    `comparisons_bodies` and `coverage` (as written):

    * `top_changes`: per body, its `top` largest changes (body, region_code, table, row, column,
      previous_value, value, change, rank), bodies in body-key order;
    * `stock_breaks`: the stock items whose in_force does not continue (difference ≠ 0);
    * `narrative_reuse`: per pair with known prose, sentences and the shares reused, most reused first;
    * `missing`, `new`: the bodies that reported last year and not this year, and the new ones
      (province, region_code, body, source);
    * `coverage_counts`: per region, bodies continuing / missing / new."""
    cols = ["body", "region_code", "table", "row", "column", "previous_value", "value", "change", "rank"]
    return {
        "top_changes": comparisons.filter(pl.col("rank") <= top).sort("region_code", "body", "rank").select(cols),
        "stock_breaks": stock.filter(pl.col("difference").is_not_null() & (pl.col("difference") != 0)).select(
            "body", "region_code", "item", "previous_in_force", "issued", "repealed", "expected_in_force",
            "in_force", "difference"),
        "narrative_reuse": bodies.filter(pl.col("n_sentences").is_not_null()).select(
            "body", "region_code", "n_sentences", "n_reused", "reused_share", "reused_share_masked")
        .sort(["reused_share", "body"], descending=[True, False], nulls_last=True),
        "missing": cov.filter(pl.col("status") == MISSING).select("province", "region_code", "body", "source"),
        "new": cov.filter(pl.col("status") == NEW).select("province", "region_code", "body", "source"),
        "coverage_counts": coverage_counts(cov),
    }
