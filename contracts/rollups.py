"""Rollups of the validated datasets, never across division levels or body types.

`rollup_province` per (year, province, region_level, body_type, template) and `rollup_national` per
(year, region_level, body_type, template): a county government's report (whole county) and its own
departments' reports are different keys, so they are never summed together. Reports whose province is
unknown (unresolved or ambiguous region) form the province-null key: they are in no province's figures,
and the national rollup is exactly the sum of the provincial rows of the same key (a test asserts it).

Long format: one row per key and cell (table, row, column): `value` (the sum over validated reports;
null when the key has none), `n_reports` (validated reports behind the figure), `n_blank` (how many
printed it blank), `n_quarantined` (reports of the key kept out by a contract error). Every cell of the
key's template has a row for every key that has any parsed report. The derived rates are rows of
table `rates` (column `total`): `disclosure_rate` = (granted + partially_granted) / total_processed,
`review_correction_rate` = corrected / (total − pending) of 行政复议, `litigation_correction_rate` the
same over both 行政诉讼 groups; null where the denominator is 0 (or no report is behind it).
A report left out because another input of the same body and year is used (`identity.duplicate_report`)
is in no rollup.
"""
from __future__ import annotations

import polars as pl

from nianbao.frames import DECIMAL, template_cells

PROVINCE_KEY = ["year", "province", "region_level", "body_type", "template"]
NATIONAL_KEY = ["year", "region_level", "body_type", "template"]
# the dtype of every column of the rollups (the key columns: year Int32, the others String), fixed whatever a
# year's rows hold
SCHEMA = {"year": pl.Int32, "province": pl.String, "region_level": pl.String, "body_type": pl.String,
          "template": pl.String, "table": pl.String, "row": pl.String, "column": pl.String, "value": DECIMAL,
          "n_reports": pl.Int64, "n_blank": pl.Int64, "n_quarantined": pl.Int64}
TABLES = (("active_disclosure", "item"), ("applications", "row"), ("review_litigation", "group"))
LITIGATION = ("litigation_direct", "litigation_after_review")


def _keyed(reports: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """report_id and the key columns (a key column the reports do not have yet is null)."""
    return reports.select("report_id", *[pl.col(k) if k in reports.columns else pl.lit(None, pl.String).alias(k)
                                         for k in key])


def cell_sums(tables: dict[str, pl.DataFrame], reports: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """Per key and template cell: sum, reports behind it, blanks (validated reports only).

    Aggregated on the wide tables (one group_by per table over its columns), then turned long: one pass
    over the published rows, not over every (report, cell) pair.
    """
    who = _keyed(reports, [k for k in key if k not in ("year", "template")])
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
    return pl.concat(parts).join(template_cells(), on=["template", "table", "row", "column"], how="semi")


def _at(field: str, table: str, row: str, column: str) -> pl.Expr:
    """`field` (value, n_reports) of one cell, in a group_by over a key's cells."""
    return pl.col(field).filter((pl.col("table") == table) & (pl.col("row") == row)
                                & (pl.col("column") == column)).first()


def _cell(table: str, row: str, column: str) -> pl.Expr:
    return _at("value", table, row, column)


def _reports_behind(table: str, row: str, column: str) -> pl.Expr:
    return _at("n_reports", table, row, column)


def rates(sums: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """The derived rates per key, as rows of table `rates` (null where the denominator is 0 or absent)."""
    f = lambda e: e.cast(pl.Float64)  # noqa: E731
    granted = f(_cell("applications", "granted", "total")) + f(_cell("applications", "partially_granted", "total"))
    processed = f(_cell("applications", "total_processed", "total"))

    def settled(group: str) -> pl.Expr:
        return f(_cell("review_litigation", group, "total")) - f(_cell("review_litigation", group, "pending"))

    lit_corrected = sum(f(_cell("review_litigation", g, "corrected")) for g in LITIGATION)
    lit_settled = sum(settled(g) for g in LITIGATION)
    ratios = {
        "disclosure_rate": (granted, processed, _reports_behind("applications", "total_processed", "total")),
        "review_correction_rate": (f(_cell("review_litigation", "review", "corrected")), settled("review"),
                                   _reports_behind("review_litigation", "review", "total")),
        "litigation_correction_rate": (lit_corrected, lit_settled,
                                       _reports_behind("review_litigation", LITIGATION[0], "total")),
    }
    agg = sums.group_by(key).agg(
        *[pl.when(den > 0).then(num / den).otherwise(None).alias(f"r|{name}") for name, (num, den, _) in ratios.items()],
        *[n.alias(f"n|{name}") for name, (_, _, n) in ratios.items()])
    return pl.concat([agg.select(*key, table=pl.lit("rates"), row=pl.lit(name), column=pl.lit("total"),
                                 value=pl.col(f"r|{name}").round(6).cast(DECIMAL),
                                 n_reports=pl.col(f"n|{name}").fill_null(0), n_blank=pl.lit(None, pl.Int64))
                      for name in ratios])


def rollup(tables: dict[str, pl.DataFrame], reports: pl.DataFrame, parsed_reports: pl.DataFrame, bad: pl.Series,
           key: list[str]) -> pl.DataFrame:
    """Sum every cell of the reports' own templates per key (printed subtotals are left out: they are
    derived figures, checked by the contracts); the rates; the quarantined counts. A key with parsed
    reports but none validated still has its rows (value null, n_reports 0), so that quarantined reports
    are counted somewhere and national = Σ provincial holds for every column."""
    sums = cell_sums(tables, reports, key)
    keys = _keyed(parsed_reports, key).drop("report_id").unique()
    grid = keys.join(template_cells(), on="template")
    cells = (grid.join(sums, on=[*key, "table", "row", "column"], how="left", nulls_equal=True)
             .with_columns(pl.col("n_reports", "n_blank").fill_null(0)))
    q = (_keyed(parsed_reports.filter(pl.col("report_id").is_in(bad.implode())), key).group_by(key)
         .agg(n_quarantined=pl.len().cast(pl.Int64)))
    out = pl.concat([cells.select(sums.columns), rates(cells, key)])
    out = out.join(q, on=key, how="left", nulls_equal=True).with_columns(pl.col("n_quarantined").fill_null(0))
    out = out.cast({c: t for c, t in SCHEMA.items() if c in out.columns})
    return out.sort(*key, "table", "row", "column", nulls_last=True)
