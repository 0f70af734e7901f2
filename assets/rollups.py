"""Rollups of the validated datasets: sums of every cell per (year, province, template) and nationally.

Long format: one row per key and cell (table, row, column) with the sum, the number of validated
reports behind it, how many of them printed the cell blank, and how many reports of the same key
were quarantined (and so are not in the sum).
"""

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.meta import schema_metadata
from assets.validate import SINGLE_RUN, per_year_table, quarantined
from nianbao.frames import DECIMAL, template_cells
from pipeline.io import Warehouse
from pipeline.partitions import YEARS

PROVINCE_KEY = ["year", "province", "template"]
NATIONAL_KEY = ["year", "template"]


def long_cells(active_disclosure: pl.DataFrame, applications: pl.DataFrame,
               review_litigation: pl.DataFrame) -> pl.DataFrame:
    """The validated tables as (report_id, table, row, column, value) with Decimal values."""
    parts = []
    for table, df, key in (("active_disclosure", active_disclosure, "item"), ("applications", applications, "row"),
                           ("review_litigation", review_litigation, "group")):
        cols = [c for c in df.columns if c not in ("report_id", "year", "template", key)]
        parts.append(
            df.select("report_id", pl.col(key).alias("row"), *[pl.col(c).cast(DECIMAL) for c in cols])
            .unpivot(index=["report_id", "row"], variable_name="column", value_name="value")
            .with_columns(table=pl.lit(table))
        )
    return pl.concat(parts).select("report_id", "table", "row", "column", "value")


def rollup(cells: pl.DataFrame, reports: pl.DataFrame, parsed_reports: pl.DataFrame, bad: pl.Series,
           key: list[str]) -> pl.DataFrame:
    """Sum every cell of the reports' own templates per key (printed subtotals are left out: they are
    derived figures, checked by the contracts)."""
    in_template = cells.join(reports.select("report_id", "template"), on="report_id").join(
        template_cells(), on=["template", "table", "row", "column"], how="semi")
    df = in_template.join(reports.select("report_id", *key), on="report_id", how="inner")
    sums = df.group_by(*key, "table", "row", "column").agg(
        value=pl.col("value").sum(), n_reports=pl.col("report_id").n_unique().cast(pl.Int64),
        n_blank=pl.col("value").is_null().sum().cast(pl.Int64))
    q = (parsed_reports.filter(pl.col("report_id").is_in(bad.implode())).group_by(key)
         .agg(n_quarantined=pl.len().cast(pl.Int64)))
    out = sums.join(q, on=key, how="left").with_columns(pl.col("n_quarantined").fill_null(0))
    return out.sort(*key, "table", "row", "column", nulls_last=True)


def _rollup_years(context: AssetExecutionContext, warehouse: Warehouse, name: str, key: list[str]) -> MaterializeResult:
    rows, last = [], None
    for year in context.partition_keys:
        tables = [warehouse.read_year(t, year) for t in ("active_disclosure", "applications", "review_litigation")]
        df = rollup(long_cells(*tables), warehouse.read_year("reports", year),
                    warehouse.read_year("parsed_reports", year), quarantined(warehouse.read_year("violations", year)),
                    key)
        warehouse.write_year(name, year, df)
        rows.append({"year": year, "rows": df.height})
        last = df
    return MaterializeResult(metadata={**schema_metadata(last), "dagster/row_count": sum(r["rows"] for r in rows),
                                       "by_year": per_year_table(rows)})


_DEPS = ["reports", "active_disclosure", "applications", "review_litigation", "parsed_reports", "violations"]


@asset(group_name="rollups", deps=_DEPS, compute_kind="polars", partitions_def=YEARS, backfill_policy=SINGLE_RUN)
def rollup_province(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Per (year, province, template): the sum of every cell over validated reports, the number of reports
    behind each figure, how many printed it blank, and how many reports were quarantined."""
    return _rollup_years(context, warehouse, "rollup_province", PROVINCE_KEY)


@asset(group_name="rollups", deps=_DEPS, compute_kind="polars", partitions_def=YEARS, backfill_policy=SINGLE_RUN)
def rollup_national(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Per (year, template): the national sum of every cell over validated reports, with report counts."""
    return _rollup_years(context, warehouse, "rollup_national", NATIONAL_KEY)
