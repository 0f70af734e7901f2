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

import pandera.polars as pa
import polars as pl

from contracts.violations import with_rule
from nianbao import template as T
from nianbao.frames import APPLICATION_COLUMNS

ALL_ROWS = sorted({r.code for t in (T.TEMPLATE_2021, T.TEMPLATE_2019) for r in t.application_rows})
OUTCOME_ROWS = tuple(dict.fromkeys(T.TEMPLATE_2021.outcome_rows + T.TEMPLATE_2019.outcome_rows))
ROW_TOTAL, BALANCE, OUTCOMES, SUBTOTALS = (
    "applications.row_total", "applications.balance", "applications.outcomes_sum", "applications.subtotals")


def _sum(cols: list[str]) -> pl.Expr:
    """Sum that is null when any term is null (an unknown cell makes the sum unknown)."""
    return pl.fold(pl.lit(0, pl.Int64), lambda acc, x: acc + x, [pl.col(c) for c in cols])


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


def identity_frame(apps: pl.DataFrame, templates: pl.DataFrame) -> pl.DataFrame:
    """One row per report with `rule|row|column` = actual − expected and its #expected/#actual companions.

    `templates` (report_id, template) holds each report to its own template's identities.
    """
    # One slice per row code joined on report_id (a pivot of the unpivoted table is ~10× slower)
    matrix = apps.select("report_id").unique(maintain_order=True)
    cols = [c for c in apps.columns if c not in ("report_id", "row")]
    for row in apps["row"].unique(maintain_order=True).to_list():
        part = apps.filter(pl.col("row") == row).select("report_id", *[pl.col(c).alias(f"{row}__{c}") for c in cols])
        matrix = matrix.join(part, on="report_id", how="left", maintain_order="left")
    matrix = matrix.join(templates.select("report_id", "template"), on="report_id", how="left", maintain_order="left")
    have = set(matrix.columns)

    def total(terms: list[str]) -> pl.Expr:
        return _sum(terms) if all(t in have for t in terms) else pl.lit(None, pl.Int64)

    names = list(dict.fromkeys(n for ids in IDENTITIES.values() for n in ids))
    exprs: list[pl.Expr] = [pl.col("report_id")]
    for name in names:
        for suffix, pick in (("", lambda e, a: a - e), ("#expected", lambda e, a: e), ("#actual", lambda e, a: a)):
            expr = None
            for tpl_name, ids in IDENTITIES.items():
                if name not in ids:
                    continue
                value = pick(total(ids[name][0]), total(ids[name][1]))
                cond = pl.col("template") == tpl_name
                expr = pl.when(cond).then(value) if expr is None else expr.when(cond).then(value)
            exprs.append(expr.otherwise(None).cast(pl.Int64).alias(name + suffix))
    return matrix.select(exprs)


def row_violations(apps: pl.DataFrame, rows: list[int], rule: str) -> pl.DataFrame:
    """Violation rows for failing rows of the wide frame (row_total or the org subtotal)."""
    col, expected = ("total", ROW_TOTAL_EXPECTED) if rule == ROW_TOTAL else ("org_subtotal", ORG_SUBTOTAL_EXPECTED)
    what = "the six applicant columns" if rule == ROW_TOTAL else "the five organisation columns"
    df = apps.with_row_index("i").filter(pl.col("i").is_in(rows)).select(
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
        sub = ident.with_row_index("i").filter(pl.col("i").is_in(idx)).select(
            "report_id", expected=pl.col(name + "#expected"), actual=pl.col(name + "#actual"))
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
