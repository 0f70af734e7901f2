"""Great Expectations Data Docs per reporting year: the error rules of the catalogue as a GX suite, run
over the year's validated and quarantined reports, checked against pandera's verdicts.

The page (`<warehouse>/data_docs/<Y>/index.html`) is rendered from the GX results by
contracts/gx_docs.py: it works offline, names reports by source file and body, and has no run time in
its path or content, so identical runs write identical files.
"""

import shutil

import polars as pl
from dagster import (AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue,
                     asset)

from assets.partitions import YEARS
from assets.validate import SINGLE_RUN, VALIDATE_CHUNK, chunks, per_year_table
from assets.warehouse import Warehouse
from contracts import gx
from contracts.catalogue import ERROR_RULES
from contracts.gx_docs import render_docs
from contracts.version import RULES_VERSION
from nianbao.atomic import write_text_atomic

AGREES = "agrees_with_pandera"
PAGE = "index.html"


def pandera_failing(violations: pl.DataFrame) -> dict[str, set[str]]:
    """rule id → reports failing it, from the violations pandera produced (error rules only)."""
    errors = violations.filter(pl.col("severity") == "error")
    return {rule: set(ids) for rule, ids in errors.group_by("rule").agg(pl.col("report_id").unique()).iter_rows()}


@asset(group_name="validate", compute_kind="great_expectations", partitions_def=YEARS, backfill_policy=SINGLE_RUN,
       code_version=RULES_VERSION,
       deps=["parsed_reports", "parsed_cells", "violations"],
       check_specs=[AssetCheckSpec(AGREES, asset="data_docs", description="GX and pandera fail the same reports for "
                                                                             "the same rules")])
def data_docs(context: AssetExecutionContext, warehouse: Warehouse):
    """Data Docs (one static HTML page, offline) of the GX suite over the year's reports, validated and
    quarantined: `<warehouse>/data_docs/YYYY/index.html`, each expectation with its failing reports
    by source file and body. The suite is generated from the same template identities and rule ids as the
    pandera contracts; the check `agrees_with_pandera` compares the verdicts."""
    from importlib.metadata import version

    rows, pages, disagree = [], {}, []
    for key in context.partition_keys:
        reports = warehouse.read_year("parsed_reports", key)
        target = warehouse.year_dir_target("data_docs", key)
        shutil.rmtree(target, ignore_errors=True)  # a fresh folder: nothing of earlier runs (or GX sites)
        # derived a slice of reports at a time (memory bounded by a slice's cells), validated at once
        derived = [gx.frames(chunk, warehouse.cells(key, chunk), per_report=True)[0]
                   for chunk in chunks(reports, VALIDATE_CHUNK)]
        outcomes = gx.validate_frames([gx.per_report_frames(derived)]) if derived else []
        want = {r: ids for r, ids in pandera_failing(warehouse.read_year("violations", key)).items() if r in ERROR_RULES}
        got = {r: ids for r, ids in gx.failing(outcomes).items() if ids}
        if got != want:
            disagree.append(key)
        page = render_docs(key, outcomes, reports, rules_version=RULES_VERSION,
                           gx_version=version("great_expectations"))
        write_text_atomic(page, target / PAGE, mode=0o644)
        # linked where it is published (a staged page is moved there when the run commits)
        pages[key] = warehouse.year_dir("data_docs", key) / PAGE
        rows.append({"year": key, "reports": reports.height,
                     "failing_gx": len(set().union(*got.values())) if got else 0,
                     "failing_pandera": len(set().union(*want.values())) if want else 0})
    yield MaterializeResult(metadata={
        "by_year": per_year_table(rows),
        **{f"data_docs_{k}": MetadataValue.path(str(p)) for k, p in pages.items()},
        **({"data_docs": MetadataValue.url(pages[max(pages)].as_uri())} if pages else {}),
    })
    yield AssetCheckResult(check_name=AGREES, passed=not disagree, metadata={
        "years": ", ".join(context.partition_keys), "disagreeing_years": ", ".join(disagree) or "none"})
