"""The error rules as a Great Expectations suite, on the same frames the pandera models check.

GX has no polars engine and no group-wise sum expectation, so the frames are derived first (with the
same expressions the pandera models use: one column per identity, the difference of its two sides)
and handed to GX as pandas; each identity column is then expected to be 0 (nulls, i.e. unknown cells,
are not judged, as in pandera). Used for the Data Docs and to compare GX with pandera on speed and on
which reports fail. GX is imported lazily (it takes seconds) and its progress bars are off.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


def _context(docs_dir: Path | None):
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    if docs_dir is None:
        ctx = gx.get_context(mode="ephemeral")
    else:
        docs_dir.mkdir(parents=True, exist_ok=True)
        ctx = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, ctx


def run(reports: pl.DataFrame, cells: pl.DataFrame, docs_dir: Path | None = None,
        per_report: bool = False) -> dict[str, set[str]]:
    """Run the suite; rule id → ids of the reports failing it. With `docs_dir`, also build Data Docs there."""
    return run_frames(frames(reports, cells, per_report), docs_dir)


def docs_index(docs_dir: Path) -> Path | None:
    """The Data Docs front page GX built under `docs_dir`."""
    found = sorted(docs_dir.rglob("local_site/index.html")) or sorted(docs_dir.rglob("index.html"))
    return found[0] if found else None


def run_frames(derived: list[Frame], docs_dir: Path | None = None) -> dict[str, set[str]]:
    """Run the suite on frames already derived by `frames` (what the benchmark times against pandera's
    models on the same derived frames)."""
    gx, ctx = _context(docs_dir)
    source = ctx.data_sources.add_or_update_pandas("nianbao")
    failing: dict[str, set[str]] = {}
    for fr in derived:
        asset = source.add_dataframe_asset(fr.name)
        batch = asset.add_batch_definition_whole_dataframe("all")
        # the suite is built whole and stored once: adding expectations one by one to a stored suite
        # re-serialises it each time (seconds per year in a file context)
        expectations = [gx.expectations.ExpectColumnValuesToBeBetween(
            column=col, min_value=0, max_value=0, meta={"rule": fr.zero[col]}) for col in fr.zero]
        expectations += [gx.expectations.ExpectColumnValuesToBeInSet(
            column=col, value_set=[True], meta={"rule": fr.true[col]}) for col in fr.true]
        suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=f"nianbao.{fr.name}", expectations=expectations))
        vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=fr.name, data=batch, suite=suite))
        result = vd.run(batch_parameters={"dataframe": fr.data.to_pandas()},
                        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["report_id"]})
        for er in result.results:
            if er.success:
                continue
            rule = er.expectation_config.meta["rule"]
            ids = {row["report_id"] for row in er.result.get("unexpected_index_list") or []}
            failing.setdefault(rule, set()).update(ids)
    if docs_dir is not None:
        ctx.build_data_docs()
    return failing
