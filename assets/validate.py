"""Validation: the contracts over each year's parsed reports → violations; validated reports → the datasets.

Both assets are partitioned by reporting year and run any number of years in one run (single-run
backfill policy): the step loops over its years, reads one year's inputs from the warehouse, writes that
year's outputs atomically, and lets go of them before the next year, so memory is bounded by a year.

Incremental: every rule of the catalogue checked here is judged on one report alone, so a report whose
content (sha256), parser and rules are unchanged keeps its previous violations and dataset rows. Beside
each year file a `.basis.arrow` records what it was computed from: (report_id, sha256, parser, rules).
It is written after the data, so a crash in between only makes the next run redo more, never less.
Outputs are put in a canonical order, so an incremental run writes the same bytes as a full one.
"""

import warnings
from pathlib import Path

import polars as pl
from dagster import (AssetExecutionContext, AssetSpec, BackfillPolicy, MaterializeResult, MetadataValue, asset,
                     multi_asset)

from assets.meta import markdown_table, schema_metadata, year_rows
from assets.partitions import YEARS
from assets.warehouse import Warehouse
from contracts import history as H
from contracts.judge import judge_reports, judge_year, quarantined
from contracts.publish import DATASETS, in_report_order, publish
from contracts.version import RULES_VERSION
from contracts.violations import SCHEMA as VIOLATION_SCHEMA
from nianbao.atomic import write_ipc_atomic

warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")  # beta in dagster 1.13; we rely on it
SINGLE_RUN = BackfillPolicy.single_run()
BASIS = ".basis.arrow"
FIGURES = ".figures.arrow"
RESOLVED = ".resolved.arrow"  # cells of the year decided by the year before (glued stock rows)
# Reports per validation / publication call: every rule here is per report, so a year is processed in
# chunks and memory is bounded by a chunk's cells, not by the year (a national year is 100,000+ reports).
# Pivoting to the published tables needs more memory per cell than the contracts do, hence the smaller one.
# (10,000 reports: ~1 GB at the peak of a judge call, against ~1.5 GB for 20,000, for ~3% more time)
VALIDATE_CHUNK, PUBLISH_CHUNK = 10_000, 5_000


def chunks(df: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    """Consecutive slices of at most `size` rows (none for an empty frame)."""
    return [df.slice(i, size) for i in range(0, df.height, size)]


BASIS_KEY = ["report_id", "sha256", "parser", "rules"]


def basis(reports: pl.DataFrame) -> pl.DataFrame:
    """What a year's outputs are computed from: each report's identity, content, parser, and the rules."""
    return reports.select("report_id", "sha256", "parser", rules=pl.lit(RULES_VERSION))


def unchanged(warehouse: Warehouse, name: str, key: str, reports: pl.DataFrame) -> pl.Series:
    """Ids of `reports` whose previous results in `name`'s year partition can be kept as they are."""
    path, recorded = warehouse.year_path(name, key), warehouse.beside(name, BASIS, key)
    if not (path.exists() and recorded.exists()):
        return pl.Series("report_id", [], pl.String)
    before = pl.read_ipc(recorded)
    return basis(reports).join(before, on=BASIS_KEY, how="semi")["report_id"]


def reusable(warehouse: Warehouse, name: str, key: str, reports: pl.DataFrame) -> pl.Series:
    """`unchanged` minus the reports whose glued stock rows depend on the year before: those are judged
    again every time (the year before may have changed under them)."""
    same = unchanged(warehouse, name, key, reports)
    path = figures_path(warehouse, key)
    if path.exists():
        again = pl.read_ipc(path).filter(pl.col("stock_ambiguous"))["report_id"]
        same = same.filter(~same.is_in(again.implode()))
    return same.implode()


def write_basis(warehouse: Warehouse, name: str, key: str, reports: pl.DataFrame) -> None:
    """Record (after the data) what `name`'s year partition was computed from."""
    write_ipc_atomic(basis(reports), warehouse.beside_target(name, BASIS, key))


def figures_path(warehouse: Warehouse, key: str, target: bool = False) -> Path:
    """Where a year's per-report history figures are kept (beside its violations): as this run reads
    them, or (`target`) where it writes them."""
    return (warehouse.beside_target if target else warehouse.beside)("violations", FIGURES, key)


def previous_figures(warehouse: Warehouse, key: str) -> pl.DataFrame | None:
    """The history figures of the year before `key`, when that year has been validated."""
    if not key.isdigit():
        return None
    path = figures_path(warehouse, str(int(key) - 1))
    return pl.read_ipc(path) if path.exists() else None


def per_year_table(rows: list[dict]) -> MetadataValue:
    """A markdown table of per-year figures for a step that ran several years (each year's figures are also
    that year's own metadata: `assets.meta.year_rows`)."""
    year_rows(rows)
    return MetadataValue.md(markdown_table(pl.DataFrame(rows), 100))


@asset(group_name="validate", compute_kind="pandera", partitions_def=YEARS, backfill_policy=SINGLE_RUN,
       deps=["parsed_reports", "parsed_cells"], code_version=RULES_VERSION)
def violations(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Every rule a report breaks (the quarantine list): report (with its year, body and region), rule,
    severity, table, row, column, expected, actual, message, the likely culprit and where its cell was
    printed (`contracts.violations`). A report with any error is quarantined; warnings keep it in.
    One partition per reporting year; the contracts run over all of that year's reports at once."""
    rows, by_rule, schema = [], [], None
    for key in sorted(context.partition_keys):  # a year's history rules read the year before
        reports = warehouse.read_year("parsed_reports", key)
        same = reusable(warehouse, "violations", key, reports)
        todo = reports.filter(~pl.col("report_id").is_in(same))
        previous = previous_figures(warehouse, key)
        parts, figs, resolved = [], [], []
        for chunk in chunks(todo, VALIDATE_CHUNK):  # the one judge (contracts.judge), a chunk at a time
            j = judge_reports(chunk, warehouse.cells(key, chunk), previous)
            parts.append(j.violations)
            figs.append(j.figures)
            resolved.append(j.resolved)
        if todo.height < reports.height:  # reused: the per-report rules' rows and figures of unchanged reports
            kept = warehouse.read_year("violations", key).filter(pl.col("report_id").is_in(same))
            parts.insert(0, kept.filter(~pl.col("rule").is_in(list(H.CROSS_REPORT))))
            figs.insert(0, pl.read_ipc(figures_path(warehouse, key)).filter(pl.col("report_id").is_in(same)))
        per_report = pl.concat(parts) if parts else pl.DataFrame(schema=VIOLATION_SCHEMA)
        figs = pl.concat(figs) if figs else pl.DataFrame(schema=H.FIGURE_SCHEMA)
        v = judge_year(reports, per_report, figs, previous, lambda these: warehouse.cells(key, these))
        warehouse.write_year("violations", key, v)
        write_ipc_atomic(figs, figures_path(warehouse, key, target=True))
        write_ipc_atomic(pl.concat(resolved) if resolved else pl.DataFrame(schema=H.RESOLVED_SCHEMA),
                         figures_path(warehouse, key, target=True).with_name(RESOLVED))
        write_basis(warehouse, "violations", key, reports)
        rows.append({"year": key, "reports_checked": reports.height, "reports_revalidated": todo.height,
                     "reports_quarantined": quarantined(v).len(),
                     "violations": v.height})
        by_rule.append(v.group_by("rule", "severity").agg(violations=pl.len(), reports=pl.col("report_id").n_unique()))
        schema = v
    rules = pl.concat(by_rule).group_by("rule", "severity").agg(pl.col("violations", "reports").sum()).sort("rule")
    return MaterializeResult(metadata={
        **schema_metadata(schema), "dagster/row_count": sum(r["violations"] for r in rows),
        "reports_checked": sum(r["reports_checked"] for r in rows),
        "reports_revalidated": sum(r["reports_revalidated"] for r in rows),
        "reports_quarantined": sum(r["reports_quarantined"] for r in rows),
        "by_rule": MetadataValue.md(markdown_table(rules, 50)), "by_year": per_year_table(rows),
    })


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
    specs=[AssetSpec(name, description=DESCRIPTIONS[name], deps=["parsed_reports", "parsed_cells", "violations"],
                     code_version=RULES_VERSION)
           for name in DATASETS],
)
def validated_datasets(context: AssetExecutionContext, warehouse: Warehouse):
    """The published datasets: only reports without contract errors, one Parquet file per year."""
    rows = {name: [] for name in DATASETS}
    last = {}
    for key in context.partition_keys:
        reports = warehouse.read_year("parsed_reports", key)
        same = reusable(warehouse, "reports", key, reports)
        todo = reports.filter(~pl.col("report_id").is_in(same))
        violations = warehouse.read_year("violations", key)
        decided = figures_path(warehouse, key).with_name(RESOLVED)
        decided = pl.read_ipc(decided) if decided.exists() else pl.DataFrame(schema=H.RESOLVED_SCHEMA)
        pieces = [publish(chunk, warehouse.cells(key, chunk),
                          violations.filter(pl.col("report_id").is_in(chunk["report_id"].implode())), decided)
                  for chunk in chunks(todo, PUBLISH_CHUNK)] or [publish(todo, warehouse.cells(key, todo), violations)]
        out = {name: pl.concat([p[name] for p in pieces]) for name in DATASETS}
        for name, df in out.items():
            if todo.height < reports.height:
                kept = warehouse.read_year(name, key).filter(pl.col("report_id").is_in(same))
                df = pl.concat([kept, df.select(kept.columns).cast(kept.schema)])
            df = in_report_order(df, reports)
            warehouse.write_year(name, key, df)
            rows[name].append({"year": key, "rows": df.height, "reports": df["report_id"].n_unique()})
            last[name] = df
        write_basis(warehouse, "reports", key, reports)
    for name in DATASETS:
        yield MaterializeResult(asset_key=name, metadata={
            **schema_metadata(last[name]), "dagster/row_count": sum(r["rows"] for r in rows[name]),
            "reports": sum(r["reports"] for r in rows[name]), "by_year": per_year_table(rows[name])})
