"""The error rules as a Great Expectations suite, on the same frames the pandera models check.

GX has no polars engine and no group-wise sum expectation, so the frames are derived first (with the
same expressions the pandera models use: one column per identity, the difference of its two sides)
and handed to GX as pandas; each identity column is then expected to be 0 (nulls, i.e. unknown cells,
are not judged, as in pandera). Used for the Data Docs and to compare GX with pandera on speed and on
which reports fail. GX is imported lazily (it takes seconds; `nianbao run` imports it early in a process of its own,
`contracts.gx_process`) and its progress bars are off.

`validate` returns each expectation's result (`Outcome`: rule, column, success, counts, the failing
reports and their values); the Data Docs page is rendered from them by `contracts/gx_docs.py`, not by
GX's site builder, whose pages need ten CDNs and name validations by hash and run time (see README).
GX runs in an ephemeral context: nothing is written to disk.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import polars as pl

from contracts import applications as A
from contracts import cells as C
from contracts import review_litigation as R
from contracts import layout as L


@dataclass(frozen=True)
class Frame:
    """One frame handed to GX: its rows, the columns that must be 0 or true, and the rule of each."""

    name: str
    data: pl.DataFrame
    zero: dict[str, str]  # column → rule id: the column must be 0
    true: dict[str, str]  # column → rule id: the column must be true


def frames(reports: pl.DataFrame, cells: pl.DataFrame, per_report: bool = False) -> list[Frame]:
    """The derived frames, from the same template identities as the pandera models: one column per
    identity (the difference of its two sides, to be 0) or per cell rule (to be true).

    `per_report=True` folds them into one frame of one row per report and one column per rule (the
    largest difference of any of its identities, or whether all of its cells pass): the same rules and
    the same failing reports in one suite of a dozen expectations, which is what the Data Docs of a
    whole year show (GX's cost is per expectation, not per row).
    """
    cells, layout = C.completed(reports, cells)
    apps, rl = L.wide_frames(cells, layout)
    rows = apps.select("report_id", "row", **{
        A.ROW_TOTAL: pl.col("total") - A.ROW_TOTAL_EXPECTED,
        A.SUBTOTALS: pl.col("org_subtotal") - A.ORG_SUBTOTAL_EXPECTED,
    })
    ident = A.identity_frame(apps, reports)
    diff_cols = [c for c in ident.columns if "|" in c and "#" not in c]
    review = rl.select("report_id", "group", **{R.GROUP_TOTAL: pl.col("total") - R.EXPECTED})
    cell_rules = cells.select("report_id", "table", "row", "column", **{
        C.NON_NEGATIVE: C._value_ok(), C.PRESENT: ~C.one_of("status", [C.MISSING, C.AMBIGUOUS])})
    if per_report:
        return [_per_report(reports, rows, ident, diff_cols, review, cell_rules)]
    return [
        Frame("application_rows", rows, {A.ROW_TOTAL: A.ROW_TOTAL, A.SUBTOTALS: A.SUBTOTALS}, {}),
        Frame("application_identities", ident.select("report_id", *diff_cols),
              {c: c.split("|")[0] for c in diff_cols}, {}),
        Frame("review_litigation", review, {R.GROUP_TOTAL: R.GROUP_TOTAL}, {}),
        Frame("cells", cell_rules, {}, {C.NON_NEGATIVE: C.NON_NEGATIVE, C.PRESENT: C.PRESENT}),
    ]


def _per_report(reports: pl.DataFrame, rows: pl.DataFrame, ident: pl.DataFrame, diff_cols: list[str],
                review: pl.DataFrame, cell_rules: pl.DataFrame) -> Frame:
    """One row per report, one column per rule: the largest |difference| of the rule's identities (null
    when none could be judged, and nulls are not judged), or whether every cell passes."""
    largest = lambda cols: pl.max_horizontal(pl.col(c).abs() for c in cols)  # noqa: E731  (nulls skipped)
    by_rule: dict[str, list[str]] = {}
    for c in diff_cols:
        by_rule.setdefault(c.split("|")[0], []).append(c)
    parts = [
        rows.group_by("report_id").agg(pl.col(A.ROW_TOTAL).abs().max(), pl.col(A.SUBTOTALS).abs().max()),
        ident.select("report_id", *(largest(cols).alias(rule) for rule, cols in by_rule.items())),
        review.group_by("report_id").agg(pl.col(R.GROUP_TOTAL).abs().max()),
        cell_rules.group_by("report_id").agg(pl.col(C.NON_NEGATIVE).all(), pl.col(C.PRESENT).all()),
    ]
    out = reports.select("report_id")
    for part in parts:
        out = out.join(part, on="report_id", how="left", maintain_order="left")
    zero = {r: r for r in (A.ROW_TOTAL, A.SUBTOTALS, *by_rule, R.GROUP_TOTAL)}
    return Frame("reports", out, zero, {C.NON_NEGATIVE: C.NON_NEGATIVE, C.PRESENT: C.PRESENT})


def per_report_frames(parts: list[Frame]) -> Frame:
    """The per-report frames (`frames(..., per_report=True)`) of consecutive slices of a year's reports as
    one: their rows in order, every rule of any of them (a slice without a rule's identities has it null,
    not judged). What lets a year be derived a slice at a time, in bounded memory, and validated at once."""
    zero = {k: v for p in parts for k, v in p.zero.items()}
    true = {k: v for p in parts for k, v in p.true.items()}
    data = pl.concat([p.data for p in parts], how="diagonal_relaxed")
    return Frame(parts[0].name, data.select("report_id", *zero, *true), zero, true)


@dataclass(frozen=True)
class Outcome:
    """One expectation's result: the rule it checks, on which frame and column, whether it held, over how
    many rows, and the failing reports (report id, the unexpected value), in row order."""

    frame: str
    rule: str
    column: str
    expectation: str  # GX's expectation type, e.g. expect_column_values_to_be_between
    condition: str  # what the column must be: "= 0" or "true"
    success: bool
    element_count: int
    unexpected_count: int
    unexpected: tuple[tuple[str, object], ...]


def import_gx():
    """Great Expectations, imported (seconds, the first time), its usage statistics off."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    return gx


def _context():
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, ctx


def run(reports: pl.DataFrame, cells: pl.DataFrame, per_report: bool = False) -> dict[str, set[str]]:
    """Run the suite; rule id → ids of the reports failing it."""
    return run_frames(frames(reports, cells, per_report))


def run_frames(derived: list[Frame]) -> dict[str, set[str]]:
    """Run the suite on frames already derived by `frames` (what the benchmark times against pandera's
    models on the same derived frames); rule id → ids of the reports failing it."""
    return failing(validate_frames(derived))


def failing(outcomes: list[Outcome]) -> dict[str, set[str]]:
    """rule id → ids of the reports failing it (rules that failed only)."""
    out: dict[str, set[str]] = {}
    for o in outcomes:
        if not o.success:
            out.setdefault(o.rule, set()).update(rid for rid, _ in o.unexpected)
    return out


def validate(reports: pl.DataFrame, cells: pl.DataFrame, per_report: bool = False) -> list[Outcome]:
    """Every expectation's outcome, frame by frame in suite order (what the Data Docs page shows)."""
    return validate_frames(frames(reports, cells, per_report))


def _plain(v):
    """A value of a pandas frame as a plain Python value (numpy scalars and NaN included)."""
    if hasattr(v, "item"):
        v = v.item()
    return None if isinstance(v, float) and v != v else v


def validate_frames(derived: list[Frame]) -> list[Outcome]:
    """Run the suite on derived frames; each expectation's outcome. In the GX process when the run started
    one (`contracts.gx_process`), else here."""
    from contracts import gx_process

    got = gx_process.validate(derived)
    return validate_here(derived) if got is None else got


def validate_here(derived: list[Frame]) -> list[Outcome]:
    """`validate_frames` in this process."""
    gx, ctx = _context()
    source = ctx.data_sources.add_or_update_pandas("nianbao")
    outcomes: list[Outcome] = []
    for fr in derived:
        asset = source.add_dataframe_asset(fr.name)
        batch = asset.add_batch_definition_whole_dataframe("all")
        expectations = [gx.expectations.ExpectColumnValuesToBeBetween(
            column=col, min_value=0, max_value=0, meta={"rule": fr.zero[col], "condition": "= 0"}) for col in fr.zero]
        expectations += [gx.expectations.ExpectColumnValuesToBeInSet(
            column=col, value_set=[True], meta={"rule": fr.true[col], "condition": "true"}) for col in fr.true]
        suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=f"nianbao.{fr.name}", expectations=expectations))
        vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=fr.name, data=batch, suite=suite))
        result = vd.run(batch_parameters={"dataframe": fr.data.to_pandas()},
                        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["report_id"]})
        for er in result.results:
            cfg = er.expectation_config
            col = cfg.kwargs["column"]
            rows = er.result.get("unexpected_index_list") or []
            outcomes.append(Outcome(
                frame=fr.name, rule=cfg.meta["rule"], column=col, expectation=cfg.type,
                condition=cfg.meta["condition"], success=bool(er.success),
                element_count=int(er.result.get("element_count") or 0),
                unexpected_count=int(er.result.get("unexpected_count") or 0),
                unexpected=tuple((row["report_id"], _plain(row.get(col))) for row in rows)))
    return outcomes
