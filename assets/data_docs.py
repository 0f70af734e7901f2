"""Great Expectations Data Docs per reporting year: the error rules of the catalogue as a GX suite, run
over the year's validated and quarantined reports, checked against pandera's verdicts."""

import shutil

import polars as pl
from dagster import (AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue,
                     asset)

from assets.partitions import YEARS
from assets.validate import SINGLE_RUN, per_year_table
from assets.warehouse import Warehouse
from contracts import gx
from contracts.catalogue import ERROR_RULES
from contracts.version import RULES_VERSION

AGREES = "agrees_with_pandera"


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
    """GX Data Docs (static HTML) of the year's reports, validated and quarantined:
    `<warehouse>/data_docs/year=YYYY/…/index.html`. The suite is generated from the same template identities
    and rule ids as the pandera contracts; the check `agrees_with_pandera` compares the verdicts."""
    rows, pages, disagree = [], {}, []
    for key in context.partition_keys:
        reports = warehouse.read_year("parsed_reports", key)
        target = warehouse.year_dir_target("data_docs", key)
        shutil.rmtree(target, ignore_errors=True)  # a fresh site: no results of earlier runs
        got = gx.run(reports, warehouse.cells(key, reports), docs_dir=target, per_report=True) if reports.height else {}
        want = {r: ids for r, ids in pandera_failing(warehouse.read_year("violations", key)).items() if r in ERROR_RULES}
        got = {r: ids for r, ids in got.items() if ids}
        if got != want:
            disagree.append(key)
        index = gx.docs_index(target)
        if index is not None:  # linked where it is published (a staged site is moved there when the run commits)
            pages[key] = warehouse.year_dir("data_docs", key) / index.relative_to(target)
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
