"""The rollup assets: per year, `contracts.rollups.rollup` over the validated datasets, by province and
nationally (the arithmetic and its semantics are documented there)."""

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.meta import schema_metadata, year_metadata
from assets.partitions import YEARS
from assets.summary import page_path
from assets.validate import SINGLE_RUN, per_year_table
from assets.warehouse import Warehouse
from contracts.history import unused_duplicates
from contracts.judge import quarantined
from contracts.rollups import NATIONAL_KEY, PROVINCE_KEY, TABLES, rollup
from contracts.version import RULES_VERSION

def _rollup_years(context: AssetExecutionContext, warehouse: Warehouse, name: str, key: list[str]) -> MaterializeResult:
    rows, last = [], None
    for year in context.partition_keys:
        violations = warehouse.read_year("violations", year)
        unused = unused_duplicates(violations).implode()  # another input of the same body and year is used
        tables = {t: warehouse.read_year(t, year).filter(~pl.col("report_id").is_in(unused)) for t, _ in TABLES}
        df = rollup(tables, warehouse.read_year("reports", year).filter(~pl.col("report_id").is_in(unused)),
                    warehouse.read_year("parsed_reports", year).filter(~pl.col("report_id").is_in(unused)),
                    quarantined(violations), key)
        warehouse.write_year(name, year, df)
        rows.append({"year": year, "rows": df.height})
        last = df
    # the year's HTML summary (asset year_summary, written after the rollups in the same run)
    for y in context.partition_keys:  # each year's materialisation links its own page only
        year_metadata(name, y, {"summary": MetadataValue.url(page_path(warehouse, y).resolve().as_uri())})
    return MaterializeResult(metadata={**schema_metadata(last), "dagster/row_count": sum(r["rows"] for r in rows),
                                       "by_year": per_year_table(rows)})


_DEPS = ["reports", "active_disclosure", "applications", "review_litigation", "parsed_reports", "violations"]


@asset(group_name="rollups", deps=_DEPS, compute_kind="polars", partitions_def=YEARS, backfill_policy=SINGLE_RUN,
       code_version=RULES_VERSION)
def rollup_province(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Per (year, province, region_level, body_type, template): the sum of every cell over validated
    reports, the number of reports behind each figure, how many printed it blank, how many reports were
    quarantined, and the disclosure and correction rates."""
    return _rollup_years(context, warehouse, "rollup_province", PROVINCE_KEY)


@asset(group_name="rollups", deps=_DEPS, compute_kind="polars", partitions_def=YEARS, backfill_policy=SINGLE_RUN,
       code_version=RULES_VERSION)
def rollup_national(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Per (year, region_level, body_type, template): the national sum of every cell over validated reports,
    with report counts and rates (= the sum of rollup_province over provinces, for the same key)."""
    return _rollup_years(context, warehouse, "rollup_national", NATIONAL_KEY)
