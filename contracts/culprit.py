"""The likely culprit of an arithmetic error in table 三: one wrong cell, or two cells whose digits were glued.

Every arithmetic rule of table 三 is a linear equation over printed cells, judged as D = actual − expected
(`contracts.applications`): a row equation per row (total − the six applicant columns; org_subtotal −
the five organisation columns) and the column identities (balance, outcomes_sum, subtotals) per column.
Each cell enters an equation with a coefficient +1 (actual side) or −1 (expected side), so a cell printed
`err` away from a consistent value shifts every equation it is in by coefficient × err.

* **single_cell**: a cell in a failing row equation and a failing column identity such that *every*
  equation it is in (failing or not, wherever judged) is off by exactly coefficient × err for one err ≠ 0,
  and printed − err ≥ 0. Changing that one cell to printed − err makes them all hold.
* **glued_split**: two adjacent printed cells of a row (natural_person … total), one read as 0 (blank) and
  the other a number of two or more digits, whose digits split into two numbers (no leading zero in the
  second, "2","0" → "20") placed in the two cells make every equation of either cell hold: a layout
  split (the parser read two cells as one), not a source error. When the split leaves the blank cell at
  0, it is the same correction as a single cell, and it is reported as the split.

A violation gets a suspect only when exactly one correction fixes it; when several would (two errors in
one report, say), the message says how many and names none of them. Only reports with two or more
arithmetic violations of table 三 are looked at (one wrong cell breaks at least a row and a column), and
of those only the cells where a failing row meets a failing column (and the rows that fail, for a split):
the work is a few joins over the failing reports' equations, never a loop over reports.

Table 四 has one equation per group and no column identities: a wrong cell there cannot be told from a
wrong total, so it gets no suspect.
"""
from __future__ import annotations

import polars as pl

from contracts import applications as A
from contracts.applications import ALL_ROWS
from contracts.violations import SUSPECT, SUSPECT_KINDS
from nianbao import template as T
from nianbao.frames import APPLICATION_COLUMNS

SINGLE, GLUED = SUSPECT_KINDS
ADDRESS = ["report_id", "rule", "row", "column"]
PRINTED = T.APPLICANT_CODES  # the seven columns every report prints, left to right: glued pairs are neighbours here
ROW, COL = "row:", "col:"  # equation id prefixes (an org_subtotal row equation and a subtotals identity share an address)


def _members() -> pl.DataFrame:
    """template, eq, row, column, coef: every cell of every table 三 equation of both templates.

    eq is `row:rule|row|column` for a row equation and `col:rule|row|column` (`A.IDENTITIES` names) for a
    column identity.
    """
    out = []
    for tpl in (T.TEMPLATE_2021, T.TEMPLATE_2019):
        for r in (row.code for row in tpl.application_rows):
            for rule, total, terms in ((A.ROW_TOTAL, "total", T.APPLICANTS), (A.SUBTOTALS, "org_subtotal", T.ORG_COLUMNS)):
                eq = f"{ROW}{rule}|{r}|{total}"
                out += [(tpl.name, eq, r, c, -1) for c in terms] + [(tpl.name, eq, r, total, 1)]
        for name, (expected, actual) in A.IDENTITY_TERMS[tpl.name].items():
            out += [(tpl.name, COL + name, r, c, -1) for r, c in expected] + [(tpl.name, COL + name, r, c, 1) for r, c in actual]
    return pl.DataFrame(out, schema={"template": pl.String, "eq": pl.String, "row": pl.String, "column": pl.String,
                                     "coef": pl.Int64}, orient="row")


MEMBERS = _members()


def _equations() -> pl.DataFrame:
    """eq, is_row, rule, row, column: each equation id with the address of the violation it raises when it
    fails (row null for the balance, whose violation names no row)."""
    eqs = MEMBERS["eq"].unique().sort()
    parts = eqs.str.splitn(":", 2).struct.field("field_1").str.split("|")
    return pl.DataFrame({"eq": eqs, "is_row": eqs.str.starts_with(ROW), "rule": parts.list.get(0),
                         "row": parts.list.get(1).replace("", None), "column": parts.list.get(2)})


EQUATIONS = _equations()
# row code → the id of its row equation, per rule (row_total; the org subtotal of the subtotals rule)
_ROW_EQS = {rule: {r: f"{ROW}{rule}|{r}|{col}" for r in ALL_ROWS}
            for rule, col in ((A.ROW_TOTAL, "total"), (A.SUBTOTALS, "org_subtotal"))}


def equations(apps: pl.DataFrame, ident: pl.DataFrame, templates: pl.DataFrame) -> pl.DataFrame:
    """report_id, template, eq, d: every judged table 三 equation of the given reports, d = actual − expected.

    `apps` is the wide table 三 (arithmetic form), `ident` the identity frame (`A.identity_frame`),
    `templates` (report_id, template). An equation with an unknown term (d null) is left out.
    """
    templates = templates.select("report_id", "template")
    rows = apps.select("report_id", "row", t=pl.col("total") - A.ROW_TOTAL_EXPECTED,
                       o=pl.col("org_subtotal") - A.ORG_SUBTOTAL_EXPECTED).join(templates, on="report_id")
    rows = pl.concat([
        rows.select("report_id", "template", eq=pl.col("row").replace_strict(_ROW_EQS[rule], default=None), d=pl.col(d))
        for rule, d in ((A.ROW_TOTAL, "t"), (A.SUBTOTALS, "o"))
    ])
    cols = (ident.select("report_id", *[pl.col(n).alias(COL + n) for n in A.NAMES]).join(templates, on="report_id")
            .unpivot(index=["report_id", "template"], variable_name="eq", value_name="d"))
    return pl.concat([rows, cols]).drop_nulls(["d", "eq"])


def failing(eqs: pl.DataFrame) -> pl.DataFrame:
    """The failing equations of `equations` (d ≠ 0) with their violation address (`EQUATIONS`)."""
    return eqs.filter(pl.col("d") != 0).join(EQUATIONS, on="eq")


def _printed(cells: pl.DataFrame, apps: pl.DataFrame) -> pl.DataFrame:
    """`cells` (report_id, row, column, …) with `printed`, the value of that cell in the wide `apps`."""
    value = pl.coalesce(*[pl.when(pl.col("column") == c).then(pl.col(c)) for c in APPLICATION_COLUMNS])
    return (cells.join(apps, on=["report_id", "row"], suffix="_apps")
            .with_columns(printed=value).select(*cells.columns, "printed"))


def single_cells(eqs: pl.DataFrame, fails: pl.DataFrame, apps: pl.DataFrame) -> pl.DataFrame:
    """One row per single-cell correction: report_id, row, column, printed, value (the corrected value), and
    `fixes`, the failing equations it makes hold (see the module docstring)."""
    rows = fails.filter("is_row").select("report_id", "template", "row").unique()
    cols = fails.filter(~pl.col("is_row")).select("report_id", "column").unique()
    cand = rows.join(cols, on="report_id")  # where a failing row meets a failing column
    judged = (cand.join(MEMBERS, on=["template", "row", "column"])
              .join(eqs.select("report_id", "eq", "d"), on=["report_id", "eq"]))
    found = (judged.with_columns(err=pl.col("coef") * pl.col("d"))
             .group_by("report_id", "row", "column")
             .agg(n=pl.col("err").n_unique(), err=pl.col("err").first(),
                  in_row=pl.col("eq").str.starts_with(ROW).any(), in_col=pl.col("eq").str.starts_with(COL).any(),
                  fixes=pl.col("eq"))
             .filter((pl.col("n") == 1) & (pl.col("err") != 0) & pl.col("in_row") & pl.col("in_col")))
    return (_printed(found, apps).with_columns(value=pl.col("printed") - pl.col("err"))
            .filter(pl.col("value") >= 0)
            .select("report_id", "row", "column", "printed", "value", "fixes"))


def glued_splits(eqs: pl.DataFrame, fails: pl.DataFrame, apps: pl.DataFrame) -> pl.DataFrame:
    """One row per glued-split correction: report_id, row, left, right (the two columns), x, y (read),
    a, b (the split), and `fixes`, the failing equations it makes hold (see the module docstring)."""
    rows = (fails.filter(pl.col("is_row") & (pl.col("rule") == A.ROW_TOTAL)).select("report_id", "template", "row")
            .join(apps, on=["report_id", "row"]))
    pairs = pl.concat([
        rows.select("report_id", "template", "row", left=pl.lit(a), right=pl.lit(b), x=pl.col(a), y=pl.col(b))
        for a, b in zip(PRINTED, PRINTED[1:])
    ]).filter(((pl.col("x") == 0) != (pl.col("y") == 0)) & (pl.max_horizontal("x", "y") >= 10))
    # every split of the glued digits into two numbers, the second without a leading zero ("20" → 2, 0)
    splits = (pairs.with_columns(digits=pl.max_horizontal("x", "y").cast(pl.String))
              .with_columns(k=pl.int_ranges(1, pl.col("digits").str.len_chars().cast(pl.Int64))).explode("k")
              .with_columns(a=pl.col("digits").str.slice(0, pl.col("k")), b=pl.col("digits").str.slice(pl.col("k")))
              .filter((pl.col("b") == "0") | ~pl.col("b").str.starts_with("0"))
              .with_columns(pl.col("a", "b").cast(pl.Int64)).drop("digits", "k").with_row_index("hyp"))
    effects = pl.concat([
        splits.select("hyp", "report_id", "template", "row", column=pl.col("left"), delta=pl.col("a") - pl.col("x")),
        splits.select("hyp", "report_id", "template", "row", column=pl.col("right"), delta=pl.col("b") - pl.col("y")),
    ]).join(MEMBERS, on=["template", "row", "column"])
    after = (effects.group_by("hyp", "report_id", "eq").agg(effect=(pl.col("coef") * pl.col("delta")).sum())
             .join(eqs.select("report_id", "eq", "d"), on=["report_id", "eq"]))
    ok = (after.group_by("hyp")
          .agg(holds=(pl.col("d") + pl.col("effect") == 0).all(), fixes=pl.col("eq").filter(pl.col("d") != 0))
          .filter("holds"))
    return (splits.join(ok, on="hyp").sort("hyp")
            .select("report_id", "row", "left", "right", "x", "y", "a", "b", "fixes"))


def explanations(apps: pl.DataFrame, ident: pl.DataFrame, templates: pl.DataFrame) -> pl.DataFrame:
    """Per failing arithmetic violation that some correction fixes (report_id, rule, row, column): the suspect
    columns (`SUSPECT`, null unless exactly one correction fixes it) and `note`, the text for its message.

    The frames are those of `equations`. Eager on purpose: as one lazy plan, polars reordered the
    joins of `single_cells` into a join on report_id alone, five times slower."""
    eqs = equations(apps, ident, templates)
    fails = failing(eqs)
    singles, splits = single_cells(eqs, fails, apps), glued_splits(eqs, fails, apps)
    # a split that leaves the blank cell at 0 changes one cell, as that single-cell correction does: one hypothesis
    same = pl.concat([
        splits.filter(pl.col("b") == pl.col("y")).select("report_id", "row", column=pl.col("left")),
        splits.filter(pl.col("a") == pl.col("x")).select("report_id", "row", column=pl.col("right")),
    ])
    singles = singles.join(same, on=["report_id", "row", "column"], how="anti")
    hyps = pl.concat([
        singles.select(
            "report_id", "fixes", suspect_row=pl.col("row"), suspect_column=pl.col("column"),
            suspect_value=pl.col("value"), suspect_kind=pl.lit(SINGLE), cell=pl.col("row") + "/" + pl.col("column"),
            note=pl.format("likely culprit: {}/{} printed {}, {} makes both the row and the column add up",
                           pl.col("row"), pl.col("column"), pl.col("printed"), pl.col("value"))),
        splits.select(
            "report_id", "fixes", suspect_row=pl.col("row"), suspect_column=pl.col("left") + "," + pl.col("right"),
            suspect_value=pl.lit(None, pl.Int64), suspect_kind=pl.lit(GLUED),
            cell=pl.format("{}/{}+{} as {},{}", "row", "left", "right", "a", "b"),
            note=pl.format("likely a layout split, not a source error: {}/{} and {} read as {} and {}, but {} and {} "
                           "(the digits split in two) make the row and both columns add up",
                           pl.col("row"), pl.col("left"), pl.col("right"), pl.col("x"), pl.col("y"),
                           pl.col("a"), pl.col("b"))),
    ]).with_row_index("hyp")
    # per violation address: the hypotheses that fix it (an address may stand for two equations, see ROW/COL)
    fixed = (hyps.select("hyp", "report_id", eq=pl.col("fixes")).explode("eq")
             .join(EQUATIONS.drop("is_row"), on="eq").group_by(ADDRESS)
             .agg(n=pl.col("hyp").n_unique(), hyp=pl.col("hyp").unique().sort().head(3)))
    one = fixed.filter(pl.col("n") == 1).with_columns(pl.col("hyp").list.first()).join(
        hyps.select("hyp", *SUSPECT, "note"), on="hyp").drop("hyp", "n")
    several = (fixed.filter(pl.col("n") > 1).explode("hyp").join(hyps.select("hyp", "cell"), on="hyp")
               .group_by(ADDRESS).agg(pl.col("n").first(), cells=pl.col("cell").sort().str.join(", "))
               .select(*ADDRESS, note=pl.format("no single likely culprit: {} corrections would each make it add up ({})",
                                                "n", "cells")))
    return pl.concat([one, several], how="diagonal_relaxed").select(*ADDRESS, *SUSPECT, "note")


def annotate(violations: pl.DataFrame, apps: pl.DataFrame, ident: pl.DataFrame, templates: pl.DataFrame) -> pl.DataFrame:
    """The violations (in the dataset's schema, order kept) with the suspect columns filled and a note added to
    the message of every table 三 arithmetic violation some correction explains (see the module docstring)."""
    arith = violations.filter((pl.col("table") == "applications")
                              & pl.col("rule").is_in([A.ROW_TOTAL, A.BALANCE, A.OUTCOMES, A.SUBTOTALS]))
    suspects = arith.group_by("report_id").len().filter(pl.col("len") >= 2).select("report_id")
    if not suspects.height:
        return violations
    ids = suspects["report_id"].implode()
    mine = pl.col("report_id").is_in(ids)
    found = explanations(apps.filter(mine), ident.select("report_id", *A.NAMES).filter(mine), templates.filter(mine))
    if not found.height:
        return violations
    marked = violations.join(found.with_columns(table=pl.lit("applications")), on=[*ADDRESS, "table"], how="left",
                             nulls_equal=True, maintain_order="left", suffix="_found")
    return marked.with_columns(
        *[pl.coalesce(f"{c}_found", c).alias(c) for c in SUSPECT],
        message=pl.when(pl.col("note").is_null()).then(pl.col("message"))
        .otherwise(pl.col("message") + "; " + pl.col("note")),
    ).select(violations.columns)
