"""Asset checks: contract results per rule family, re-validation of the published datasets, conservation."""

import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, AssetIn, MetadataValue, asset_check

from assets.meta import markdown_table
from contracts import applications as A
from contracts import review_litigation as R
from contracts.catalogue import RULES
from contracts.runner import failures

# Check names are constants so sensors and tests refer to them, not to strings.
FAMILIES = ("applications", "review_litigation", "values", "structure")
CONSERVATION = "conservation"
WORST = 10


def _family_check(family: str):
    rules = [r.id for r in RULES.values() if r.id.startswith(family + ".") and r.severity == "error"]

    @asset_check(asset="violations", name=f"{family}_rules", additional_ins={"parsed_reports": AssetIn()},
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
    @asset_check(asset=asset, name="contract", blocking=True,
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


@asset_check(asset="reports", name=CONSERVATION, blocking=True,
             additional_ins={"raw_inventory": AssetIn(), "parse_failures": AssetIn(), "violations": AssetIn(),
                             "parsed_reports": AssetIn()},
             description="Nothing lost: every input file is validated, quarantined or failed, exactly once.")
def conservation(reports: pl.DataFrame, raw_inventory: pl.DataFrame, parse_failures: pl.DataFrame,
                 violations: pl.DataFrame, parsed_reports: pl.DataFrame) -> AssetCheckResult:
    """inputs = validated + quarantined + failed, and the three sets are disjoint and cover the inventory."""
    quarantined = set(violations.filter(pl.col("severity") == "error")["report_id"].to_list())
    validated, failed = set(reports["report_id"].to_list()), set(parse_failures["report_id"].to_list())
    inputs = set(raw_inventory["report_id"].to_list())
    parsed = set(parsed_reports["report_id"].to_list())
    ok = (len(inputs) == raw_inventory.height and validated | quarantined | failed == inputs
          and not (validated & quarantined) and not (validated & failed) and not (quarantined & failed)
          and parsed == validated | quarantined)
    return AssetCheckResult(passed=ok, metadata={
        "inputs": raw_inventory.height, "validated": len(validated), "quarantined": len(quarantined),
        "failed": len(failed), "unaccounted": len(inputs - validated - quarantined - failed)})
