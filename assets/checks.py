"""Asset checks: contract results per rule family, re-validation of the published datasets, conservation."""

import polars as pl
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetIn, MetadataValue, asset_check

from assets.meta import markdown_table
from assets.warehouse import Warehouse
from contracts import applications as A
from contracts import review_litigation as R
from contracts.catalogue import RULES
from contracts.judge import quarantined as judged_quarantined
from contracts.runner import failures

# Checks on the year-partitioned assets check the years of the run that materialised them (one year, or
# all of them in a single-run backfill): they read those years from the warehouse, never every year.

# Check names are constants so sensors and tests refer to them, not to strings.
FAMILIES = ("applications", "review_litigation", "values", "structure")
CONSERVATION = "conservation"
WORST = 10


def _family_check(family: str):
    rules = [r.id for r in RULES.values() if r.id.startswith(family + ".") and r.severity == "error"]

    @asset_check(asset="violations", name=f"{family}_rules",
                 description=f"Reports breaking {', '.join(rules)}: they are quarantined. "
                             "Warns (does not block) so the rest of the run is published.")
    def _check(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
        keys = context.partition_keys
        v = pl.concat([warehouse.read_year("violations", k) for k in keys]).filter(pl.col("rule").is_in(rules))
        checked = sum(warehouse.read_year("parsed_reports", k).height for k in keys)
        worst = (v.group_by("report_id", "source").agg(errors=pl.len(), rules=pl.col("rule").unique().sort().str.join(", "),
                                                       first=pl.col("message").first())
                 .sort(["errors", "source"], descending=[True, False]))
        failing = worst.height
        return AssetCheckResult(
            passed=failing == 0, severity=AssetCheckSeverity.WARN,
            metadata={"years": ", ".join(keys), "reports_checked": checked, "reports_failing": failing,
                      "violations": v.height, "worst": MetadataValue.md(markdown_table(worst.drop("report_id"), WORST))},
        )

    return _check


contract_checks = [_family_check(f) for f in FAMILIES]


def _revalidate(asset: str, model, frame_of):
    @asset_check(asset=asset, name="contract", blocking=True,
                 description=f"The published {asset} dataset satisfies its contract (blanks as 0). Blocks the rollups.")
    def _check(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
        rows = bad = 0
        for key in context.partition_keys:
            data = warehouse.read_year(asset, key)
            rows += data.height
            bad += failures(model, frame_of(data)).height
        return AssetCheckResult(passed=bad == 0, metadata={"years": ", ".join(context.partition_keys),
                                                           "rows": rows, "failures": bad})

    return _check


def _arith(cols):
    return lambda df: df.drop("year", "template").with_columns(pl.col(cols).fill_null(0))


published_checks = [
    _revalidate("applications", A.Applications, _arith(list(A.APPLICATION_COLUMNS[:-1]))),
    _revalidate("review_litigation", R.ReviewLitigation, _arith(list(R.T.REVIEW_CODES))),
]


@asset_check(asset="parsed_reports", name="parse_" + CONSERVATION, blocking=True,
             additional_ins={"raw_inventory": AssetIn(), "parse_failures": AssetIn()},
             description="Nothing lost in parsing: every inventoried file is a parsed report or a failure, once.")
def parse_conservation(parsed_reports: pl.DataFrame, raw_inventory: pl.DataFrame,
                       parse_failures: pl.DataFrame) -> AssetCheckResult:
    """inputs = parsed + failed, disjoint, covering the inventory."""
    inputs = set(raw_inventory["report_id"].to_list())
    parsed, failed = set(parsed_reports["report_id"].to_list()), set(parse_failures["report_id"].to_list())
    ok = (len(inputs) == raw_inventory.height and parsed | failed == inputs and not parsed & failed
          and len(parsed) == parsed_reports.height and len(failed) == parse_failures.height)
    return AssetCheckResult(passed=ok, metadata={
        "inputs": raw_inventory.height, "parsed": len(parsed), "failed": len(failed),
        "unaccounted": len(inputs - parsed - failed)})


@asset_check(asset="reports", name=CONSERVATION, blocking=True,
             description="Nothing lost in validation: each parsed report of the year is validated or quarantined, "
                         "exactly once.")
def conservation(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    """parsed(year) = validated(year) + quarantined(year), disjoint, for every year of the run."""
    ok, n = True, {"parsed": 0, "validated": 0, "quarantined": 0, "unaccounted": 0}
    for key in context.partition_keys:
        v = warehouse.read_year("violations", key)
        quarantined = set(judged_quarantined(v).to_list())
        reports = warehouse.read_year("reports", key)
        validated = set(reports["report_id"].to_list())
        parsed = set(warehouse.read_year("parsed_reports", key)["report_id"].to_list())
        ok &= parsed == validated | quarantined and not validated & quarantined and len(validated) == reports.height
        for name, value in (("parsed", len(parsed)), ("validated", len(validated)), ("quarantined", len(quarantined)),
                            ("unaccounted", len(parsed - validated - quarantined))):
            n[name] += value
    return AssetCheckResult(passed=ok, metadata={"years": ", ".join(context.partition_keys), **n})
