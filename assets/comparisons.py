"""Year over year: per year Y, each body's published report beside its report of Y−1, and coverage (the
bodies that came and went). The arithmetic and its semantics are in `contracts.comparisons`.

* `comparisons`, `comparisons_stock`, `comparisons_bodies` (one multi-asset): read year Y's and Y−1's
  published datasets and violations (inputs another input of the same body and year replaces are left
  out), and both reports' sentence hashes (the parse's `parsed_prose`) for the narrative reuse;
* `coverage`: from year Y's and Y−1's parsed_reports; check `missing_bodies` (WARN) lists, per year, the
  bodies that reported the year before and not this year.

Year-partitioned with a single-run backfill policy, like the other year stages: one run loops over its
years, writing `<dataset>/Y/part-0.parquet` through the `Warehouse`. A year whose year before has no
reports gets empty files (with their schemas).

The text of a report is not kept, and no raw file is read here: the parse keeps each report's distinct
prose sentences as hashes (`nianbao.prose`, stored in `parsed_prose` beside its cells), which is all the
narrative reuse compares.
"""

import polars as pl
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetExecutionContext,
                     AssetSpec, MaterializeResult, MetadataValue, asset, asset_check, multi_asset)

from assets.meta import schema_metadata
from assets.partitions import YEARS
from assets.validate import SINGLE_RUN, chunks, per_year_table
from assets.warehouse import Warehouse
from contracts import comparisons as C
from contracts.history import unused_duplicates
from contracts.version import RULES_VERSION
from nianbao.frames import PROSE_SCHEMA

DATASETS = ("comparisons", "comparisons_stock", "comparisons_bodies")
MISSING_CHECK = "missing_bodies"
PAIRS_CHUNK = 2_000  # body pairs per computation and row group of `comparisons` (~200 cells each)

DESCRIPTIONS = {
    "comparisons": "Per body with a published report in Y and Y−1 and per template cell: value, previous_value, "
                   "change (null-aware, exact decimals), relative_change, rank (1 = the body's largest |change|).",
    "comparisons_stock": "Per body pair (2021 template both years) and table 二 stock item: in_force(Y−1) + "
                         "issued − repealed against in_force(Y), and the difference.",
    "comparisons_bodies": "Per body pair: cells compared and changed, the largest change, stock breaks, and the "
                          "share of this year's prose sentences reused from last year's report.",
}


def previous_key(key: str) -> str | None:
    return str(int(key) - 1) if key.isdigit() else None


def _has(warehouse: Warehouse, name: str, key: str | None) -> bool:
    return key is not None and warehouse.year_path(name, key).exists()


def _published(warehouse: Warehouse, key: str | None) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]] | None:
    """A year's published reports (one per body, duplicates set aside) and their three tables (wide)."""
    if not (_has(warehouse, "reports", key) and _has(warehouse, "violations", key)):
        return None
    unused = unused_duplicates(warehouse.read_year("violations", key))
    reports = C.one_per_body(warehouse.read_year("reports", key), unused)
    ids = reports["report_id"].implode()
    return reports, {t: warehouse.read_year(t, key).filter(pl.col("report_id").is_in(ids)) for t in C.ROW_COLUMN}


def _cells_of(tables: dict[str, pl.DataFrame], ids: pl.Series) -> pl.DataFrame:
    """The long cells of the reports `ids`."""
    if not tables:
        return pl.DataFrame(schema=C.LONG_SCHEMA)
    return C.long_cells({t: df.filter(pl.col("report_id").is_in(ids.implode())) for t, df in tables.items()})


def sentences(warehouse: Warehouse, keys: list[str], ids: pl.DataFrame) -> pl.DataFrame:
    """The sentence hashes (SENTENCE_SCHEMA) of the reports `ids` (report_id) of years `keys`, from the
    parse's prose store; a report whose segment is not on disk is left out (its reuse is unknown)."""
    index = pl.concat([warehouse.read_year("parsed_reports", k).select("report_id", "year", "segment")
                       for k in keys]).join(ids, on="report_id", how="semi")
    store = warehouse.prose_store()
    return store.read(store.stored(index), schema=PROSE_SCHEMA).select(list(C.SENTENCE_SCHEMA)).sort("report_id")


def write_year_comparisons(warehouse: Warehouse, key: str) -> dict[str, int]:
    """Write the three comparison datasets of year `key` (empty without a published year before); their
    row counts. `comparisons` (some 200 rows per pair: 3 million in a national year) is computed and
    written a chunk of pairs at a time, so memory holds one chunk of it."""
    now, before = _published(warehouse, key), _published(warehouse, previous_key(key))
    if now is None or before is None:
        pairs, tables, prev_tables, hashes = pl.DataFrame(schema=C.PAIR_SCHEMA), {}, {}, None
    else:
        (reports, tables), (prev_reports, prev_tables) = now, before
        pairs = C.pairs(reports, prev_reports)  # sorted by body: the chunks' rows concatenate in canonical order
        hashes = sentences(warehouse, [key, previous_key(key)],
                           pl.concat([pairs.select("report_id"), pairs.select(report_id="previous_report_id")]))
    stock, bodies = [], []

    def changes():
        for chunk in chunks(pairs, PAIRS_CHUNK):  # every figure is per pair
            cells, prev_cells = _cells_of(tables, chunk["report_id"]), _cells_of(prev_tables, chunk["previous_report_id"])
            cell_changes = C.cell_changes(chunk, cells, prev_cells)
            stock.append(C.stock_continuity(chunk, cells, prev_cells))
            bodies.append(C.body_changes(chunk, cell_changes, stock[-1], C.narrative_reuse(chunk, hashes)))
            yield cell_changes

    rows = {"comparisons": warehouse.write_year_parts("comparisons", key, changes(), C.CELL_SCHEMA)}
    for name, parts, schema in (("comparisons_stock", stock, C.STOCK_SCHEMA), ("comparisons_bodies", bodies, C.BODY_SCHEMA)):
        df = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
        warehouse.write_year(name, key, df)
        rows[name] = df.height
    return rows


@multi_asset(
    group_name="rollups", partitions_def=YEARS, backfill_policy=SINGLE_RUN, compute_kind="polars",
    specs=[AssetSpec(name, description=DESCRIPTIONS[name], code_version=RULES_VERSION,
                     deps=["reports", "active_disclosure", "applications", "review_litigation", "violations",
                           "parsed_reports", "parsed_prose"])
           for name in DATASETS],
)
def comparisons(context: AssetExecutionContext, warehouse: Warehouse):
    """Year Y against Y−1, body by body (contracts.comparisons): the cell changes, the stock continuity of
    table 二 and, per body, the changes summed up with the prose reused. Reads Y−1's published datasets too."""
    rows = {name: [] for name in DATASETS}
    for key in sorted(context.partition_keys):
        for name, n in write_year_comparisons(warehouse, key).items():
            rows[name].append({"year": key, "rows": n})
    schemas = dict(zip(DATASETS, (C.CELL_SCHEMA, C.STOCK_SCHEMA, C.BODY_SCHEMA)))
    for name in DATASETS:
        yield MaterializeResult(asset_key=name, metadata={
            **schema_metadata(pl.DataFrame(schema=schemas[name])), "dagster/row_count": sum(r["rows"] for r in rows[name]),
            "by_year": per_year_table(rows[name])})


@asset(group_name="rollups", partitions_def=YEARS, backfill_policy=SINGLE_RUN, compute_kind="polars",
       code_version=RULES_VERSION, deps=["parsed_reports"])
def coverage(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Per year, every body (region code + body name) with a parsed report this year or last: continuing,
    missing (reported last year, not this year) or new, with its province and region code. Empty for a year
    whose year before has no reports."""
    rows, last = [], None
    for key in sorted(context.partition_keys):
        prev = previous_key(key)
        parsed = warehouse.read_year("parsed_reports", key)
        before = warehouse.read_year("parsed_reports", prev) if prev is not None else parsed.clear()
        df = C.coverage(int(key) if key.isdigit() else None, parsed, before)
        warehouse.write_year("coverage", key, df)
        counts = df.group_by("status").len()
        rows.append({"year": key, **{s: int(counts.filter(pl.col("status") == s)["len"].sum())
                                     for s in (C.CONTINUING, C.MISSING, C.NEW)}})
        last = df
    return MaterializeResult(metadata={**schema_metadata(last), "dagster/row_count": sum(
        r[s] for r in rows for s in (C.CONTINUING, C.MISSING, C.NEW)), "by_year": per_year_table(rows)})


def markdown_full(df: pl.DataFrame) -> str:
    """Every row and every character of `df` as a markdown table (| in values escaped)."""
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join("" if v is None else str(v).replace("|", "\\|") for v in row) + " |"
              for row in df.iter_rows()]
    return "\n".join(lines)


@asset_check(asset="coverage", name=MISSING_CHECK,
             description="Bodies that reported last year but not this year (by region): warns, listing them.")
def missing_bodies(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    """Per year of the run: how many bodies are missing, and (when any) the full list as a markdown table."""
    meta, total = {}, 0
    for key in sorted(context.partition_keys):
        missing = warehouse.read_year("coverage", key).filter(pl.col("status") == C.MISSING).select(
            "province", "region_code", "body", "source")
        total += missing.height
        meta[f"missing {key}"] = missing.height
        if missing.height:
            meta[f"missing bodies {key}"] = MetadataValue.md(markdown_full(missing))
    return AssetCheckResult(passed=total == 0, severity=AssetCheckSeverity.WARN,
                            metadata={"years": ", ".join(sorted(context.partition_keys)), "missing": total, **meta})


def page_frames(warehouse: Warehouse, key: str, top: int = 3) -> dict[str, pl.DataFrame]:
    """`contracts.comparisons.page_frames` of year `key`, read from the warehouse (empty frames for a year
    these assets have not written)."""
    empty = {"comparisons": C.CELL_SCHEMA, "comparisons_stock": C.STOCK_SCHEMA, "comparisons_bodies": C.BODY_SCHEMA,
             "coverage": C.COVERAGE_SCHEMA}
    frames = [warehouse.read_year(name, key) if _has(warehouse, name, key) else pl.DataFrame(schema=schema)
              for name, schema in empty.items()]
    return C.page_frames(*frames, top=top)
