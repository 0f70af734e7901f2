"""Asset checks: contract results per rule family, re-validation of the published datasets, conservation."""

import warnings

import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, AssetIn, MetadataValue, asset_check

from assets.meta import markdown_table
from contracts import applications as A
from contracts import review_litigation as R
from contracts.catalogue import RULES
from contracts.runner import failures
from pipeline.partitions import YEARS

# Checks on the year-partitioned assets are partitioned too (dagster 1.13: "preview"). Without it a check
# would load every year on every run; with it each year's run checks that year. The warning is noise here.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")

# Check names are constants so sensors and tests refer to them, not to strings.
FAMILIES = ("applications", "review_litigation", "values", "structure")
CONSERVATION = "conservation"
WORST = 10


def _family_check(family: str):
    rules = [r.id for r in RULES.values() if r.id.startswith(family + ".") and r.severity == "error"]

    @asset_check(asset="violations", name=f"{family}_rules", additional_ins={"parsed_reports": AssetIn()},
                 partitions_def=YEARS,
                 description=f"Reports breaking {', '.join(rules)}: they are quarantined. "
                             "Warns (does not block) so the rest of the run is published.")
    def _check(violations: pl.DataFrame, parsed_reports: pl.DataFrame) -> AssetCheckResult:
        v = violations.filter(pl.col("rule").is_in(rules))
        worst = (v.group_by("report_id", "source").agg(errors=pl.len(), rules=pl.col("rule").unique().sort().str.join(", "),
                                                       first=pl.col("message").first())
                 .sort(["errors", "source"], descending=[True, False]))
        failing = worst.height
        return AssetCheckResult(
            passed=failing == 0, severity=AssetCheckSeverity.WARN,
            metadata={"reports_checked": parsed_reports.height, "reports_failing": failing,
                      "violations": v.height, "worst": MetadataValue.md(markdown_table(worst.drop("report_id"), WORST))},
        )

    return _check


contract_checks = [_family_check(f) for f in FAMILIES]


def _revalidate(asset: str, model, frame_of):
    @asset_check(asset=asset, name="contract", blocking=True, partitions_def=YEARS,
                 description=f"The published {asset} dataset satisfies its contract (blanks as 0). Blocks the rollups.")
    def _check(data: pl.DataFrame) -> AssetCheckResult:
        fc = failures(model, frame_of(data))
        return AssetCheckResult(passed=fc.height == 0, metadata={"rows": data.height, "failures": fc.height})

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


@asset_check(asset="reports", name=CONSERVATION, blocking=True, partitions_def=YEARS,
             additional_ins={"violations": AssetIn(), "parsed_reports": AssetIn()},
             description="Nothing lost in validation: each parsed report of the year is validated or quarantined, "
                         "exactly once.")
def conservation(reports: pl.DataFrame, violations: pl.DataFrame, parsed_reports: pl.DataFrame) -> AssetCheckResult:
    """parsed(year) = validated(year) + quarantined(year), disjoint."""
    quarantined = set(violations.filter(pl.col("severity") == "error")["report_id"].to_list())
    validated, parsed = set(reports["report_id"].to_list()), set(parsed_reports["report_id"].to_list())
    ok = parsed == validated | quarantined and not validated & quarantined and len(validated) == reports.height
    return AssetCheckResult(passed=ok, metadata={
        "parsed": len(parsed), "validated": len(validated), "quarantined": len(quarantined),
        "unaccounted": len(parsed - validated - quarantined)})
