"""Table 三 contracts: row totals, the balance identity, outcomes and group subtotals, for both templates.

Two models, both checked over every report at once:

* `Applications` validates the wide table (one row per report and row code): the row total and the
  organisation subtotal, which are row-wise;
* `ApplicationIdentities` validates one row per report holding, for every column, the difference
  between the two sides of each column identity (balance, outcomes_sum, subtotals). The identity frame
  is built by column arithmetic on a (report × row·column) matrix, so a null (a cell nobody printed a
  number for) propagates and the identity is not judged, instead of being judged on a guess.

Frames are in the arithmetic form (`nianbao.frames.applications(cells, arith=True)`): blanks are 0.
"""
from __future__ import annotations

import operator
from functools import lru_cache, reduce

import numpy as np
import pandera.polars as pa
import polars as pl

from contracts import layout as L
from contracts.violations import with_rule
from nianbao import template as T
from nianbao.frames import APPLICATION_COLUMNS

ALL_ROWS = sorted({r.code for t in (T.TEMPLATE_2021, T.TEMPLATE_2019) for r in t.application_rows})
OUTCOME_ROWS = tuple(dict.fromkeys(T.TEMPLATE_2021.outcome_rows + T.TEMPLATE_2019.outcome_rows))
ROW_TOTAL, BALANCE, OUTCOMES, SUBTOTALS = (
    "applications.row_total", "applications.balance", "applications.outcomes_sum", "applications.subtotals")


def _sum(cols: list[str]) -> pl.Expr:
    """Sum that is null when any term is null (an unknown cell makes the sum unknown)."""
    return reduce(operator.add, [pl.col(c) for c in cols], pl.lit(0, pl.Int64))


ROW_TOTAL_EXPECTED = _sum(list(T.APPLICANTS))
ORG_SUBTOTAL_EXPECTED = _sum(list(T.ORG_COLUMNS))


class Applications(pa.DataFrameModel):
    """The wide table 三: one row per (report, row code); counts per applicant column."""

    report_id: str = pa.Field(nullable=False)
    row: str = pa.Field(isin=ALL_ROWS)
    natural_person: pl.Int64 = pa.Field(nullable=True)
    commercial_enterprise: pl.Int64 = pa.Field(nullable=True)
    research_institution: pl.Int64 = pa.Field(nullable=True)
    social_welfare_org: pl.Int64 = pa.Field(nullable=True)
    legal_service_org: pl.Int64 = pa.Field(nullable=True)
    other_org: pl.Int64 = pa.Field(nullable=True)
    total: pl.Int64 = pa.Field(nullable=True)
    org_subtotal: pl.Int64 = pa.Field(nullable=True)

    @pa.dataframe_check(name=ROW_TOTAL)
    def row_total(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Per row: the six applicant columns add up to total."""
        return data.lazyframe.select((pl.col("total") == ROW_TOTAL_EXPECTED).fill_null(True))

    @pa.dataframe_check(name=SUBTOTALS)
    def org_subtotal_check(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Where printed: org_subtotal equals the five organisation columns."""
        return data.lazyframe.select((pl.col("org_subtotal") == ORG_SUBTOTAL_EXPECTED).fill_null(True))


class ApplicationIdentities(pa.DataFrameModel):
    """One row per report: actual − expected of every column identity; each must be 0 (null: not judged)."""

    report_id: str = pa.Field(nullable=False)
    balance: pl.Int64 = pa.Field(eq=0, nullable=True, alias=r"^applications\.balance\|[^#]*$", regex=True)
    outcomes_sum: pl.Int64 = pa.Field(eq=0, nullable=True, alias=r"^applications\.outcomes_sum\|[^#]*$", regex=True)
    subtotals: pl.Int64 = pa.Field(eq=0, nullable=True, alias=r"^applications\.subtotals\|[^#]*$", regex=True)

    class Config:
        strict = False  # the #expected / #actual companions ride along for the violation messages


def _identities(tpl: T.Template) -> dict[str, tuple[list[str], list[str]]]:
    """`rule|row|column` → (expected terms, actual terms) for every column identity of a template."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for c in APPLICATION_COLUMNS:
        out[f"{BALANCE}||{c}"] = ([f"{r}__{c}" for r in T.BALANCE_IN], [f"{r}__{c}" for r in T.BALANCE_OUT])
        out[f"{OUTCOMES}|total_processed|{c}"] = ([f"{r}__{c}" for r in tpl.outcome_rows], [f"total_processed__{c}"])
        for g in T.SUBTOTAL_GROUPS:
            items = T.group_items(tpl, g)
            if items:
                sub = T.subtotal_row(g)
                out[f"{SUBTOTALS}|{sub}|{c}"] = ([f"{r}__{c}" for r in items], [f"{sub}__{c}"])
    return out


IDENTITIES = {tpl.name: _identities(tpl) for tpl in (T.TEMPLATE_2021, T.TEMPLATE_2019)}


NAMES = tuple(dict.fromkeys(n for ids in IDENTITIES.values() for n in ids))


def identity_frame(apps: pl.DataFrame, templates: pl.DataFrame) -> pl.DataFrame:
    """One row per report with `rule|row|column` = actual − expected and its #expected/#actual companions.

    `templates` (report_id, template) holds each report to its own template's identities. A term that is
    null, or a row the report does not have, makes its side of the identity (and the difference) null.
    """
    grid = _grid(apps)
    if grid is None:
        return _identity_frame_joined(apps, templates)
    ids, rows, cols, values, known = grid
    tpl = ids.to_frame().join(templates.select("report_id", "template"), on="report_id", how="left",
                              maintain_order="left")["template"]
    if tpl.len() != ids.len():  # a report with two templates: one row per pair, as a join gives
        return _identity_frame_joined(apps, templates)
    row_at, col_at = {r: i for i, r in enumerate(rows)}, {c: i for i, c in enumerate(cols)}
    n = ids.len()
    nothing = (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool))

    def total(terms: tuple[tuple[str, str], ...]) -> tuple[np.ndarray, np.ndarray]:
        """Sum of the terms per report, and whether every term is known (else the sum is null)."""
        if not all(r in row_at and c in col_at for r, c in terms):
            return nothing
        r_idx, c_idx = [row_at[r] for r, _ in terms], [col_at[c] for _, c in terms]
        return values[c_idx, r_idx].sum(axis=0), known[c_idx, r_idx].all(axis=0)

    of_template = {name: (tpl == name).fill_null(False).to_numpy() for name in IDENTITIES}
    out = [ids]
    for name in NAMES:
        (e, e_ok), (a, a_ok) = nothing, nothing
        for tpl_name, sides in IDENTITY_TERMS.items():
            if name in sides:  # each report takes the sums of its own template (the templates are disjoint)
                sel = of_template[tpl_name]
                (ev, ev_ok), (av, av_ok) = total(sides[name][0]), total(sides[name][1])
                e, e_ok = e + ev * sel, e_ok | (ev_ok & sel)
                a, a_ok = a + av * sel, a_ok | (av_ok & sel)
        out += [_nullable(name, a - e, a_ok & e_ok), _nullable(name + "#expected", e, e_ok),
                _nullable(name + "#actual", a, a_ok)]
    return pl.DataFrame(out)


# the terms of every identity as (row, column) pairs
IDENTITY_TERMS = {tpl: {name: tuple(tuple(tuple(t.split("__")) for t in side) for side in sides)
                        for name, sides in ids.items()} for tpl, ids in IDENTITIES.items()}
assert all(len(t) == 2 for ids in IDENTITY_TERMS.values() for sides in ids.values() for side in sides for t in side)


def _nullable(name: str, values: np.ndarray, valid: np.ndarray) -> pl.Series:
    s = pl.Series(name, values, dtype=pl.Int64)
    return s if valid.all() else s.set(pl.Series(~valid), None)


def _grid(apps: pl.DataFrame):
    """apps as a (column × row × report) grid: report ids (in order of appearance), row codes, value columns,
    the int64 values (0 where null or absent) and whether each is known. None when apps has a
    (report, row) twice or columns that are not Int64 (then `_identity_frame_joined` is used)."""
    cols = [c for c in apps.columns if c not in ("report_id", "row")]
    if not apps.height or any(apps.schema[c] != pl.Int64 for c in cols):
        return None
    ids = apps["report_id"]
    new = ids.ne_missing(ids.shift())
    new[0] = True
    firsts = ids.filter(new)
    if firsts.is_duplicated().any():  # a report's rows are not together: index the reports by a join
        firsts = ids.unique(maintain_order=True)
        report = apps.select("report_id").join(firsts.to_frame().with_row_index("i"), on="report_id",
                                               how="left", maintain_order="left")["i"].cast(pl.Int64)
    else:
        report = new.cast(pl.Int64).cum_sum() - 1
    code = apps["row"].cast(L.ROW_ENUM, strict=False).to_physical()
    if code.null_count():  # a row code no template has
        return None
    code = code.to_numpy().astype(np.int64)
    present = np.flatnonzero(np.bincount(code, minlength=len(L.ROW_CODE)))  # the row codes apps has
    place = np.zeros(len(L.ROW_CODE), dtype=np.int64)
    place[present] = np.arange(len(present))
    code = pl.Series(place[code])
    rows = L.ROW_NAMES.gather(present)
    if np.bincount((report * rows.len() + code).to_numpy()).max() > 1:  # a (report, row) twice
        return None
    at = (code * firsts.len() + report).to_numpy()  # row-major place in a (row × report) plane
    values = np.zeros((len(cols), rows.len() * firsts.len()), dtype=np.int64)  # column × (row × report)
    known = np.zeros((len(cols), rows.len() * firsts.len()), dtype=bool)
    x = apps.select(pl.col(cols).fill_null(0)).to_numpy(order="fortran")  # one column after the other
    ok = apps.select(pl.col(cols).is_not_null()).to_numpy(order="fortran")
    for j in range(len(cols)):
        values[j][at], known[j][at] = x[:, j], ok[:, j]
    shape = (len(cols), rows.len(), firsts.len())
    return firsts, rows.to_list(), cols, values.reshape(shape), known.reshape(shape)


def _identity_frame_joined(apps: pl.DataFrame, templates: pl.DataFrame) -> pl.DataFrame:
    """`identity_frame` from a matrix built by joins (any apps frame, however ordered or duplicated)."""
    matrix = apps.select("report_id").unique(maintain_order=True)
    cols = [c for c in apps.columns if c not in ("report_id", "row")]
    for row in apps["row"].unique(maintain_order=True).to_list():
        part = apps.filter(pl.col("row") == row).select("report_id", *[pl.col(c).alias(f"{row}__{c}") for c in cols])
        matrix = matrix.join(part, on="report_id", how="left", maintain_order="left")
    matrix = matrix.join(templates.select("report_id", "template"), on="report_id", how="left", maintain_order="left")
    return matrix.select(_identity_exprs(frozenset(matrix.columns)))


@lru_cache(maxsize=16)
def _identity_exprs(have: frozenset[str]) -> list[pl.Expr]:
    """The identity columns of `identity_frame`, computed from a matrix with the columns `have`."""
    def total(terms: list[str]) -> pl.Expr:
        return _sum(terms) if all(t in have for t in terms) else pl.lit(None, pl.Int64)

    exprs: list[pl.Expr] = [pl.col("report_id")]
    for name in NAMES:
        for suffix, pick in (("", lambda e, a: a - e), ("#expected", lambda e, a: e), ("#actual", lambda e, a: a)):
            expr = None
            for tpl_name, ids in IDENTITIES.items():
                if name not in ids:
                    continue
                value = pick(total(ids[name][0]), total(ids[name][1]))
                cond = pl.col("template") == tpl_name
                expr = pl.when(cond).then(value) if expr is None else expr.when(cond).then(value)
            exprs.append(expr.otherwise(None).cast(pl.Int64).alias(name + suffix))
    return exprs


def row_violations(apps: pl.DataFrame, rows: list[int], rule: str) -> pl.DataFrame:
    """Violation rows for failing rows of the wide frame (row_total or the org subtotal)."""
    col, expected = ("total", ROW_TOTAL_EXPECTED) if rule == ROW_TOTAL else ("org_subtotal", ORG_SUBTOTAL_EXPECTED)
    what = "the six applicant columns" if rule == ROW_TOTAL else "the five organisation columns"
    df = (apps[rows] if rows else apps.clear()).select(
        "report_id", "row", column=pl.lit(col), table=pl.lit("applications"),
        expected=expected, actual=pl.col(col),
    )
    df = df.with_columns(message=pl.format(f"{col} printed {{}} but {what} add up to {{}} in row {{}}",
                                           pl.col("actual"), pl.col("expected"), pl.col("row")))
    return with_rule(df, rule)


def identity_violations(ident: pl.DataFrame, fc: pl.DataFrame) -> pl.DataFrame:
    """Violation rows for failing identity cells (column name `rule|row|column`, index = report row)."""
    if not fc.height:
        return pl.DataFrame()
    parts = []
    for name, idx in fc.group_by("column", maintain_order=True).agg(pl.col("index")).iter_rows():
        rule, row, col = name.split("|")
        sub = ident.select("report_id", expected=pl.col(name + "#expected"), actual=pl.col(name + "#actual"))[
            sorted(set(idx))]
        side = {BALANCE: ("new_received + carried_over", "total_processed + carried_forward"),
                OUTCOMES: ("the outcome rows", "total_processed"),
                SUBTOTALS: (f"the items of {row}", row)}[rule]
        # plain Series rather than broadcast literals: polars 2.1 panicked ("i < self.len()") on the latter
        n = sub.height
        messages = [f"column {col}: {side[1]} = {a} but {side[0]} = {e}"
                    for e, a in zip(sub["expected"].to_list(), sub["actual"].to_list())]
        parts.append(with_rule(sub.with_columns(
            pl.Series("table", ["applications"] * n, pl.String), pl.Series("row", [row or None] * n, pl.String),
            pl.Series("column", [col] * n, pl.String), pl.Series("message", messages, pl.String)), rule))
    return pl.concat(parts, how="diagonal") if parts else pl.DataFrame()
