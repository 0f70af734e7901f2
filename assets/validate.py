"""Validation: the contracts over all parsed reports → violations; validated reports → the datasets."""

import polars as pl
from dagster import AssetIn, AssetOut, MetadataValue, Output, asset, multi_asset

from assets.meta import frame_metadata, markdown_table
from contracts.validate import validate
from nianbao import frames as F
from pipeline.partitions import YEARS


@asset(group_name="validate", compute_kind="pandera", partitions_def=YEARS)
def violations(parsed_reports: pl.DataFrame, parsed_cells: pl.DataFrame) -> Output[pl.DataFrame]:
    """Every rule a report breaks (the quarantine list): report, rule, severity, table, row, column,
    expected, actual, message. A report with any error is quarantined; warnings keep it in.
    One partition per reporting year; the contracts run over all of that year's reports at once."""
    v = validate(parsed_reports, parsed_cells).violations
    errors = v.filter(pl.col("severity") == "error")
    return Output(v, metadata={
        **frame_metadata(v),
        "reports_checked": parsed_reports.height,
        "reports_quarantined": errors["report_id"].n_unique(),
        "by_rule": MetadataValue.md(markdown_table(v.group_by("rule", "severity").agg(
            violations=pl.len(), reports=pl.col("report_id").n_unique()).sort("rule"), 50)),
    })


def quarantined(violations: pl.DataFrame) -> pl.Series:
    """Ids of the reports with at least one error."""
    return violations.filter(pl.col("severity") == "error")["report_id"].unique()


def _keep(df: pl.DataFrame, ids: pl.Series, reports: pl.DataFrame) -> pl.DataFrame:
    out = df.filter(~pl.col("report_id").is_in(ids.implode()))
    return out.join(reports.select("report_id", "year", "template"), on="report_id", how="left",
                    maintain_order="left").select("report_id", "year", "template", *out.columns[1:])


@multi_asset(
    group_name="datasets",
    partitions_def=YEARS,
    ins={"parsed_reports": AssetIn(), "parsed_cells": AssetIn(), "violations": AssetIn()},
    outs={
        "reports": AssetOut(description="Validated reports: source file, title, body, year, template, region, "
                            "warnings. Quarantined and failed files are not here (see violations, parse_failures)."),
        "active_disclosure": AssetOut(description="Table 二 of validated reports: one row per (report, item); "
                                      "the columns of both templates, null where not in the report's template."),
        "applications": AssetOut(description="Table 三 of validated reports: one row per (report, row code), "
                                 "one column per applicant column (blank cells are null)."),
        "review_litigation": AssetOut(description="Table 四 of validated reports: one row per (report, group)."),
    },
    compute_kind="polars",
)
def validated_datasets(parsed_reports: pl.DataFrame, parsed_cells: pl.DataFrame, violations: pl.DataFrame):
    """The published datasets: only reports without contract errors."""
    bad = quarantined(violations)
    warnings = violations.filter(pl.col("severity") == "warning").group_by("report_id").agg(
        n_warnings=pl.len().cast(pl.Int64))
    reports = (parsed_reports.filter(~pl.col("report_id").is_in(bad.implode()))
               .join(warnings, on="report_id", how="left", maintain_order="left")
               .with_columns(pl.col("n_warnings").fill_null(0)).drop("segment", strict=False))
    tables = {
        "active_disclosure": F.active_disclosure(parsed_cells),
        "applications": F.applications(parsed_cells),
        "review_litigation": F.review_litigation(parsed_cells),
    }
    yield Output(reports, "reports", metadata=frame_metadata(reports))
    for name, df in tables.items():
        out = _keep(df, bad, parsed_reports)
        yield Output(out, name, metadata={**frame_metadata(out), "reports": out["report_id"].n_unique()})
