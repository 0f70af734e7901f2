"""Asset checks: contract errors and warnings per rule family, re-validation of the published datasets,
conservation, parse failures, reports without a year, and the rollup identity.

The checks on the year-partitioned assets are partitioned by year too: a run over a span of years (a
single-run backfill) evaluates each check once per year, and the UI shows each year's result on that
year's partition. Dagster 1.13 sets an `AssetCheckResult`'s partition only in a run of one partition, so
`per_year` yields the evaluations itself (one `AssetCheckEvaluation` per year, with its partition) and
the check's output once. Their metadata is Markdown tables, cells in full.
"""

import warnings

import polars as pl
from dagster import (AssetCheckEvaluation, AssetCheckExecutionContext, AssetCheckKey, AssetCheckResult,
                     AssetCheckSeverity, AssetIn, MetadataValue, Output, asset_check)

from assets.meta import markdown_table
from assets.partitions import UNKNOWN, YEARS
from assets.warehouse import Warehouse
from contracts import applications as A
from contracts import review_litigation as R
from contracts.catalogue import RULES, WARNING
from contracts.judge import quarantined as judged_quarantined
from contracts.rollups import NATIONAL_KEY
from contracts.runner import failures

warnings.filterwarnings("ignore", message=".*partitions_def.*AssetCheckSpec")  # preview in dagster 1.13

# Check names are constants so sensors and tests refer to them, not to strings.
FAMILIES = ("applications", "review_litigation", "values", "structure")  # error rules: `<family>_rules`
WARNING_FAMILIES = tuple(dict.fromkeys(r.id.split(".")[0] for r in RULES.values() if r.severity == WARNING))
CONSERVATION = "conservation"
PARSE_FAILURES = "no_parse_failures"
NO_YEAR = "every_report_has_a_year"
ROLLUP_IDENTITY = "sum_of_provinces"
# Checks whose findings the alerts report otherwise (pipeline/alerts.py): parse failures file by file; the
# warnings and reports without a year do not make a run fail, so they are not alerted about.
REPORTED_OTHERWISE = {("parse_failures", PARSE_FAILURES), ("parsed_reports", NO_YEAR),
                      *(("violations", f"{f}_warnings") for f in WARNING_FAMILIES)}
WORST = 10  # reports listed by the number of their violations
LISTED = 50  # violations, failures and mismatches listed in full
# the columns of a violation shown in the metadata, in this order, those the dataset has (the culprit's
# year, body, region and printed text are being added to it)
SHOWN = ("source", "year", "body", "region_code", "rule", "severity", "table", "row", "column", "printed",
         "expected", "actual", "line", "page", "message", "suspect_row", "suspect_column", "suspect_value",
         "report_id")


def per_year(context: AssetCheckExecutionContext, results: dict[str, AssetCheckResult]):
    """What a year check yields for the years of its run: its output, then one evaluation per year (on
    that year's partition; a failed blocking check still stops what depends on it). The evaluations are
    not linked to their year's materialisation: Dagster's lookup for it (private in 1.13) took 2.3 s of a
    15.7 s run of 2,000 reports, and the checks' share grew with the corpus (25 s at 10,000 reports)."""
    spec = context.check_specs[0]
    key = AssetCheckKey(spec.asset_key, spec.name)
    op = context.op_execution_context
    yield Output(None, output_name=op.assets_def.get_output_name_for_asset_check_key(key))
    for year, r in results.items():
        yield AssetCheckEvaluation(asset_key=spec.asset_key, check_name=spec.name, passed=r.passed,
                                   metadata=r.metadata, severity=r.severity, description=r.description,
                                   blocking=spec.blocking, partition=year)


def violation_rows(v: pl.DataFrame, limit: int = LISTED) -> MetadataValue:
    """Violations as a Markdown table: the culprit's facts, every column the dataset has of SHOWN."""
    return MetadataValue.md(markdown_table(v.select([c for c in SHOWN if c in v.columns]), limit))


def worst_reports(v: pl.DataFrame) -> MetadataValue:
    """The reports with the most violations: file, count, rules, first message."""
    worst = (v.group_by("report_id", "source").agg(violations=pl.len(), rules=pl.col("rule").unique().sort()
                                                   .str.join(", "), first=pl.col("message").first())
             .sort(["violations", "source"], descending=[True, False]))
    return MetadataValue.md(markdown_table(worst.drop("report_id"), WORST))


def _family(rule: str) -> str:
    return rule.split(".")[0]


def _rules_check(family: str, severity: str):
    rules = [r.id for r in RULES.values() if _family(r.id) == family and r.severity == severity]
    errors = severity != WARNING
    name = f"{family}_rules" if errors else f"{family}_warnings"
    what = ("Reports breaking {}: they are quarantined. Warns (does not block) so the rest of the run is "
            "published." if errors else "Reports with the warnings {}: published, with the warning.")

    @asset_check(asset="violations", name=name, partitions_def=YEARS, description=what.format(", ".join(rules)))
    def _check(context: AssetCheckExecutionContext, warehouse: Warehouse):
        results = {}
        for key in context.partition_keys:
            v = warehouse.read_year("violations", key).filter(pl.col("rule").is_in(rules))
            failing = v["report_id"].n_unique()
            by_rule = v.group_by("rule").agg(violations=pl.len(), reports=pl.col("report_id").n_unique()).sort("rule")
            results[key] = AssetCheckResult(passed=failing == 0, severity=AssetCheckSeverity.WARN, metadata={
                "year": key, "reports_checked": warehouse.read_year("parsed_reports", key).height,
                "reports_failing" if errors else "reports_warned": failing, "violations": v.height,
                "by_rule": MetadataValue.md(markdown_table(by_rule, len(rules))),
                "worst": worst_reports(v), "listed": violation_rows(v)})
        yield from per_year(context, results)

    return _check


contract_checks = [_rules_check(f, "error") for f in FAMILIES]
warning_checks = [_rules_check(f, WARNING) for f in WARNING_FAMILIES]


def _revalidate(asset: str, model, frame_of):
    @asset_check(asset=asset, name="contract", blocking=True, partitions_def=YEARS,
                 description=f"The published {asset} dataset satisfies its contract (blanks as 0). Blocks the rollups.")
    def _check(context: AssetCheckExecutionContext, warehouse: Warehouse):
        results = {}
        for key in context.partition_keys:
            data = warehouse.read_year(asset, key)
            bad = failures(model, frame_of(data))
            results[key] = AssetCheckResult(passed=bad.height == 0, metadata={
                "year": key, "rows": data.height, "failures": bad.height,
                "listed": MetadataValue.md(markdown_table(bad, LISTED))})
        yield from per_year(context, results)

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


@asset_check(asset="parse_failures", name=PARSE_FAILURES,
             description="Every input file was read as a report. Warns with the files that were not, and why.")
def parse_failures_check(parse_failures: pl.DataFrame) -> AssetCheckResult:
    """Fails (WARN) when any file failed to parse: a run with failed files does not look all green."""
    shown = parse_failures.select("source", "path", "error", "parser").sort("path")
    by_reason = (parse_failures.group_by(reason=pl.col("error").str.split(":").list.first())
                 .agg(files=pl.len()).sort(["files", "reason"], descending=[True, False]))
    return AssetCheckResult(passed=parse_failures.height == 0, severity=AssetCheckSeverity.WARN, metadata={
        "failed": parse_failures.height, "by_reason": MetadataValue.md(markdown_table(by_reason, LISTED)),
        "listed": MetadataValue.md(markdown_table(shown, LISTED))})


@asset_check(asset="parsed_reports", name=NO_YEAR,
             description="Every parsed report names its reporting year. Warns with the reports that do not "
                         f"(partition '{UNKNOWN}': validated, but in no year's rollups).")
def no_year(parsed_reports: pl.DataFrame) -> AssetCheckResult:
    """Fails (WARN) when a parsed report has no year."""
    missing = parsed_reports.filter(pl.col("year").is_null())
    return AssetCheckResult(passed=missing.height == 0, severity=AssetCheckSeverity.WARN, metadata={
        "reports": parsed_reports.height, "without_year": missing.height,
        "listed": MetadataValue.md(markdown_table(missing.select("source", "path", "title", "body"), LISTED))})


@asset_check(asset="reports", name=CONSERVATION, blocking=True, partitions_def=YEARS,
             description="Nothing lost in validation: each parsed report of the year is validated or quarantined, "
                         "exactly once.")
def conservation(context: AssetCheckExecutionContext, warehouse: Warehouse):
    """parsed(year) = validated(year) + quarantined(year), disjoint, for every year of the run."""
    results = {}
    for key in context.partition_keys:
        v = warehouse.read_year("violations", key)
        quarantined = set(judged_quarantined(v).to_list())
        reports = warehouse.read_year("reports", key)
        validated = set(reports["report_id"].to_list())
        parsed = set(warehouse.read_year("parsed_reports", key)["report_id"].to_list())
        ok = parsed == validated | quarantined and not validated & quarantined and len(validated) == reports.height
        results[key] = AssetCheckResult(passed=ok, metadata={
            "year": key, "parsed": len(parsed), "validated": len(validated), "quarantined": len(quarantined),
            "unaccounted": len(parsed - validated - quarantined)})
    yield from per_year(context, results)


ADDITIVE = ("value", "n_reports", "n_blank", "n_quarantined")


def rollup_mismatches(province: pl.DataFrame, national: pl.DataFrame) -> pl.DataFrame:
    """The (key, table, row, column) figures where the sum of `province` over provinces differs from
    `national` (or only one has the key): every figure but the rates, which do not add up."""
    key = [*NATIONAL_KEY, "table", "row", "column"]
    summed = (province.filter(pl.col("table") != "rates").group_by(key)
              .agg(pl.when(pl.col(c).is_null().all()).then(None).otherwise(pl.col(c).sum()).alias(c)
                   for c in ADDITIVE))
    both = national.filter(pl.col("table") != "rates").select(*key, *ADDITIVE).join(
        summed, on=key, how="full", coalesce=True, nulls_equal=True, suffix="_provinces")
    differs = pl.any_horizontal(~pl.col(c).eq_missing(pl.col(f"{c}_provinces")) for c in ADDITIVE)
    return both.filter(differs).sort(key, nulls_last=True)


@asset_check(asset="rollup_national", name=ROLLUP_IDENTITY, partitions_def=YEARS,
             additional_deps=["rollup_province"],
             description="rollup_national = the sum of rollup_province over provinces, for every key and figure "
                         "(values, report counts, blanks, quarantined; not the rates).")
def rollup_identity(context: AssetCheckExecutionContext, warehouse: Warehouse):
    """The two rollups agree, year by year."""
    results = {}
    for key in context.partition_keys:
        national = warehouse.read_year("rollup_national", key)
        bad = rollup_mismatches(warehouse.read_year("rollup_province", key), national)
        results[key] = AssetCheckResult(passed=bad.height == 0, metadata={
            "year": key, "figures": national.filter(pl.col("table") != "rates").height, "mismatches": bad.height,
            "listed": MetadataValue.md(markdown_table(bad, LISTED))})
    yield from per_year(context, results)
