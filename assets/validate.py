"""Validation: the contracts over each year's parsed reports → violations; validated reports → the datasets.

Both assets are partitioned by reporting year and run any number of years in one run (single-run
backfill policy): the step loops over its years, reads one year's inputs from the warehouse, writes that
year's outputs atomically, and lets go of them before the next year, so memory is bounded by a year.
"""

import warnings

import polars as pl
from dagster import (AssetExecutionContext, AssetSpec, BackfillPolicy, MaterializeResult, MetadataValue, asset,
                     multi_asset)

from assets.meta import markdown_table, schema_metadata
from contracts.validate import validate
from nianbao import frames as F
from pipeline.io import Warehouse
from pipeline.partitions import YEARS

warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")  # beta in dagster 1.13; we rely on it
SINGLE_RUN = BackfillPolicy.single_run()
DATASETS = ("reports", "active_disclosure", "applications", "review_litigation")


def per_year_table(rows: list[dict]) -> MetadataValue:
    """A markdown table of per-year figures for a step that ran several years."""
    return MetadataValue.md(markdown_table(pl.DataFrame(rows), 100))


@asset(group_name="validate", compute_kind="pandera", partitions_def=YEARS, backfill_policy=SINGLE_RUN,
       deps=["parsed_reports", "parsed_cells"])
def violations(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Every rule a report breaks (the quarantine list): report, rule, severity, table, row, column,
    expected, actual, message. A report with any error is quarantined; warnings keep it in.
    One partition per reporting year; the contracts run over all of that year's reports at once."""
    rows, by_rule, schema = [], [], None
    for key in context.partition_keys:
        reports = warehouse.read_year("parsed_reports", key)
        v = validate(reports, warehouse.cells(key)).violations
        warehouse.write_year("violations", key, v)
        rows.append({"year": key, "reports_checked": reports.height,
                     "reports_quarantined": v.filter(pl.col("severity") == "error")["report_id"].n_unique(),
                     "violations": v.height})
        by_rule.append(v.group_by("rule", "severity").agg(violations=pl.len(), reports=pl.col("report_id").n_unique()))
        schema = v
    rules = pl.concat(by_rule).group_by("rule", "severity").agg(pl.col("violations", "reports").sum()).sort("rule")
    return MaterializeResult(metadata={
        **schema_metadata(schema), "dagster/row_count": sum(r["violations"] for r in rows),
        "reports_checked": sum(r["reports_checked"] for r in rows),
        "reports_quarantined": sum(r["reports_quarantined"] for r in rows),
        "by_rule": MetadataValue.md(markdown_table(rules, 50)), "by_year": per_year_table(rows),
    })


def quarantined(violations: pl.DataFrame) -> pl.Series:
    """Ids of the reports with at least one error."""
    return violations.filter(pl.col("severity") == "error")["report_id"].unique()


def _keep(df: pl.DataFrame, ids: pl.Series, reports: pl.DataFrame) -> pl.DataFrame:
    out = df.filter(~pl.col("report_id").is_in(ids.implode()))
    return out.join(reports.select("report_id", "year", "template"), on="report_id", how="left",
                    maintain_order="left").select("report_id", "year", "template", *out.columns[1:])


def publish(parsed_reports: pl.DataFrame, parsed_cells: pl.DataFrame, violations: pl.DataFrame) -> dict:
    """The published datasets of one year: only reports without contract errors."""
    bad = quarantined(violations)
    warnings = violations.filter(pl.col("severity") == "warning").group_by("report_id").agg(
        n_warnings=pl.len().cast(pl.Int64))
    reports = (parsed_reports.filter(~pl.col("report_id").is_in(bad.implode()))
               .join(warnings, on="report_id", how="left", maintain_order="left")
               .with_columns(pl.col("n_warnings").fill_null(0)).drop("segment", strict=False))
    return {
        "reports": reports,
        "active_disclosure": _keep(F.active_disclosure(parsed_cells), bad, parsed_reports),
        "applications": _keep(F.applications(parsed_cells), bad, parsed_reports),
        "review_litigation": _keep(F.review_litigation(parsed_cells), bad, parsed_reports),
    }


DESCRIPTIONS = {
    "reports": "Validated reports: source file, title, body, year, template, region, warnings. Quarantined and "
               "failed files are not here (see violations, parse_failures).",
    "active_disclosure": "Table 二 of validated reports: one row per (report, item); the columns of both "
                         "templates, null where not in the report's template.",
    "applications": "Table 三 of validated reports: one row per (report, row code), one column per applicant "
                    "column (blank cells are null).",
    "review_litigation": "Table 四 of validated reports: one row per (report, group).",
}


@multi_asset(
    group_name="datasets", partitions_def=YEARS, backfill_policy=SINGLE_RUN, compute_kind="polars",
    specs=[AssetSpec(name, description=DESCRIPTIONS[name], deps=["parsed_reports", "parsed_cells", "violations"])
           for name in DATASETS],
)
def validated_datasets(context: AssetExecutionContext, warehouse: Warehouse):
    """The published datasets: only reports without contract errors, one Parquet file per year."""
    rows = {name: [] for name in DATASETS}
    last = {}
    for key in context.partition_keys:
        out = publish(warehouse.read_year("parsed_reports", key), warehouse.cells(key),
                      warehouse.read_year("violations", key))
        for name, df in out.items():
            warehouse.write_year(name, key, df)
            rows[name].append({"year": key, "rows": df.height, "reports": df["report_id"].n_unique()})
            last[name] = df
    for name in DATASETS:
        yield MaterializeResult(asset_key=name, metadata={
            **schema_metadata(last[name]), "dagster/row_count": sum(r["rows"] for r in rows[name]),
            "reports": sum(r["reports"] for r in rows[name]), "by_year": per_year_table(rows[name])})
