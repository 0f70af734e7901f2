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


TABLES = (("active_disclosure", "item"), ("applications", "row"), ("review_litigation", "group"))


def rollup(tables: dict[str, pl.DataFrame], reports: pl.DataFrame, parsed_reports: pl.DataFrame, bad: pl.Series,
           key: list[str]) -> pl.DataFrame:
    """Sum every cell of the reports' own templates per key (printed subtotals are left out: they are
    derived figures, checked by the contracts).

    Aggregated on the wide tables (one group_by per table over its columns), then turned long: the
    work is one pass over the published rows, not over every (report, cell) pair.
    """
    who = reports.select("report_id", *[k for k in key if k not in ("year", "template")])
    parts = []
    for table, code in TABLES:
        df = tables[table].join(who, on="report_id", how="inner")
        cols = [c for c in df.columns if c not in ("report_id", "year", "template", code, *key)]
        agg = df.group_by(*key, code).agg(
            pl.len().cast(pl.Int64).alias("n_reports"),
            *[pl.col(c).cast(DECIMAL).sum().alias(f"v|{c}") for c in cols],
            *[pl.col(c).null_count().cast(pl.Int64).alias(f"b|{c}") for c in cols])
        for c in cols:
            parts.append(agg.select(*key, table=pl.lit(table), row=pl.col(code), column=pl.lit(c),
                                    value=pl.col(f"v|{c}"), n_reports="n_reports", n_blank=pl.col(f"b|{c}")))
    sums = pl.concat(parts).join(template_cells(), on=["template", "table", "row", "column"], how="semi")
    q = (parsed_reports.filter(pl.col("report_id").is_in(bad.implode())).group_by(key)
         .agg(n_quarantined=pl.len().cast(pl.Int64)))
    out = sums.join(q, on=key, how="left").with_columns(pl.col("n_quarantined").fill_null(0))
    return out.sort(*key, "table", "row", "column", nulls_last=True)


def _rollup_years(context: AssetExecutionContext, warehouse: Warehouse, name: str, key: list[str]) -> MaterializeResult:
    rows, last = [], None
    for year in context.partition_keys:
        tables = {t: warehouse.read_year(t, year) for t, _ in TABLES}
        df = rollup(tables, warehouse.read_year("reports", year),
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
