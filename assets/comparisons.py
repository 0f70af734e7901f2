"""Year over year: per year Y, each body's published report beside its report of Y−1, and coverage (the
bodies that came and went). The arithmetic and its semantics are in `contracts.comparisons`.

* `comparisons`, `comparisons_stock`, `comparisons_bodies` (one multi-asset): read year Y's and Y−1's
  published datasets and violations (inputs another input of the same body and year replaces are left
  out), and the raw text of both reports of each pair for the narrative reuse;
* `coverage`: from year Y's and Y−1's parsed_reports; check `missing_bodies` (WARN) lists, per year, the
  bodies that reported the year before and not this year.

Year-partitioned with a single-run backfill policy, like the other year stages: one run loops over its
years, writing `<dataset>/Y/part-0.parquet` through the `Warehouse`. A year whose year before has no
reports gets empty files (with their schemas).

The prose of a report is not kept by the parse: it is read again from the raw file (the file's SHA-256
must still be the parsed one, else the reuse is unknown) through `nianbao.parsers.to_text`, and only its
sentence hashes are kept, in `comparisons_bodies/Y/.sentences.arrow` (keyed by report, SHA-256,
parser and sentence-splitter version), so each report's file is read once, not at every run.
"""

import hashlib
from pathlib import Path

import polars as pl
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetExecutionContext,
                     AssetSpec, MaterializeResult, MetadataValue, asset, asset_check, multi_asset)

from assets.meta import schema_metadata
from assets.partitions import YEARS
from assets.resources import RawReports
from assets.validate import SINGLE_RUN, chunks, per_year_table
from assets.warehouse import Warehouse
from contracts import comparisons as C
from contracts.history import unused_duplicates
from contracts.version import RULES_VERSION
from nianbao.atomic import write_ipc_atomic
from nianbao.version import PARSER_VERSION, hash_modules

DATASETS = ("comparisons", "comparisons_stock", "comparisons_bodies")
SENTENCES = ".sentences.arrow"  # beside comparisons_bodies/Y: sentence hashes of the reports compared
# what a cached sentence list was computed with: the text extraction (the parser) and the splitter
SENTENCE_VERSION = f"{PARSER_VERSION}/{hash_modules(Path(__file__).resolve().parents[1], ('contracts/comparisons.py',))}"
CACHE_SCHEMA = {"report_id": pl.String, "sha256": pl.String, "version": pl.String,
                **{k: v for k, v in C.SENTENCE_SCHEMA.items() if k != "report_id"}}
MISSING_CHECK = "missing_bodies"
PAIRS_CHUNK = 20_000  # body pairs per computation (~200 cells each)

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
    return C.long_cells({t: df.filter(pl.col("report_id").is_in(ids.implode())) for t, df in tables.items()})


def _read_cache(warehouse: Warehouse, keys: list[str]) -> pl.DataFrame:
    parts = [pl.read_ipc(p) for k in keys if (p := warehouse.beside("comparisons_bodies", SENTENCES, k)).exists()]
    parts = [p.select(list(CACHE_SCHEMA)).cast(CACHE_SCHEMA) for p in parts if set(CACHE_SCHEMA) <= set(p.columns)]
    return pl.concat(parts).unique(["report_id", "sha256", "version"], keep="first", maintain_order=True) if parts \
        else pl.DataFrame(schema=CACHE_SCHEMA)


def _hashes_of_file(root: Path, relpath: str, sha256: str) -> tuple[list[int], list[int]] | None:
    """The sentence hashes of a raw file, or None when it cannot be read as it was parsed."""
    from nianbao.formats import detect
    from nianbao.parsers import to_text
    from nianbao.rawfiles import open_regular

    try:
        with open_regular(str(root / relpath)) as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            return None  # changed since it was parsed: the next parse reads it again
        return C.sentence_hashes(to_text(data, detect(data, Path(relpath).name), Path(relpath).name))
    except Exception:  # noqa: BLE001 — a file that cannot be read again: its reuse is unknown, nothing else
        return None


def sentences(warehouse: Warehouse, raw: RawReports, key: str, reports: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The sentence hashes of `reports` (report_id, path, sha256): from the cache of year `key` or of the year
    before when computed from the same file and code, else read again; the cache of `key` is rewritten with
    exactly these reports. Returns (SENTENCE_SCHEMA rows, files read)."""
    want = reports.select("report_id", "path", "sha256", version=pl.lit(SENTENCE_VERSION)).sort("report_id")
    cached = _read_cache(warehouse, [k for k in (key, previous_key(key)) if k is not None])
    hit = want.join(cached, on=["report_id", "sha256", "version"], how="inner")
    todo = want.join(hit, on="report_id", how="anti")
    rows, root = [], Path(raw.root)
    for rid, path, sha in todo.select("report_id", "path", "sha256").iter_rows():
        got = _hashes_of_file(root, path, sha)
        if got is not None:
            rows.append({"report_id": rid, "sha256": sha, "version": SENTENCE_VERSION, "exact": got[0], "masked": got[1]})
    fresh = pl.DataFrame(rows, schema=CACHE_SCHEMA) if rows else pl.DataFrame(schema=CACHE_SCHEMA)
    cache = pl.concat([hit.select(list(CACHE_SCHEMA)), fresh]).sort("report_id")
    write_ipc_atomic(cache, warehouse.beside_target("comparisons_bodies", SENTENCES, key))
    return cache.select(list(C.SENTENCE_SCHEMA)), todo.height


def year_comparisons(warehouse: Warehouse, raw: RawReports, key: str) -> tuple[dict[str, pl.DataFrame], int]:
    """The three comparison frames of year `key` (empty without a published year before) and the number of
    raw files read for their prose."""
    now, before = _published(warehouse, key), _published(warehouse, previous_key(key))
    if now is None or before is None:
        return {"comparisons": pl.DataFrame(schema=C.CELL_SCHEMA), "comparisons_stock": pl.DataFrame(schema=C.STOCK_SCHEMA),
                "comparisons_bodies": pl.DataFrame(schema=C.BODY_SCHEMA)}, 0
    (reports, tables), (prev_reports, prev_tables) = now, before
    pairs = C.pairs(reports, prev_reports)  # sorted by body: the chunks' rows concatenate in canonical order
    both = pl.concat([reports.join(pairs, on="report_id", how="semi").select("report_id", "path", "sha256"),
                      prev_reports.join(pairs, left_on="report_id", right_on="previous_report_id", how="semi")
                      .select("report_id", "path", "sha256")])
    hashes, read = sentences(warehouse, raw, key, both)
    out = {name: [] for name in DATASETS}
    for chunk in chunks(pairs, PAIRS_CHUNK):  # every figure is per pair: memory bounded by a chunk's cells
        cells, prev_cells = _cells_of(tables, chunk["report_id"]), _cells_of(prev_tables, chunk["previous_report_id"])
        changes = C.cell_changes(chunk, cells, prev_cells)
        stock = C.stock_continuity(chunk, cells, prev_cells)
        for name, df in zip(DATASETS, (changes, stock, C.body_changes(chunk, changes, stock,
                                                                      C.narrative_reuse(chunk, hashes)))):
            out[name].append(df)
    schemas = dict(zip(DATASETS, (C.CELL_SCHEMA, C.STOCK_SCHEMA, C.BODY_SCHEMA)))
    return {name: pl.concat(parts) if parts else pl.DataFrame(schema=schemas[name]) for name, parts in out.items()}, read


@multi_asset(
    group_name="rollups", partitions_def=YEARS, backfill_policy=SINGLE_RUN, compute_kind="polars",
    specs=[AssetSpec(name, description=DESCRIPTIONS[name], code_version=RULES_VERSION,
                     deps=["reports", "active_disclosure", "applications", "review_litigation", "violations"])
           for name in DATASETS],
)
def comparisons(context: AssetExecutionContext, warehouse: Warehouse, raw: RawReports):
    """Year Y against Y−1, body by body (contracts.comparisons): the cell changes, the stock continuity of
    table 二 and, per body, the changes summed up with the prose reused. Reads Y−1's published datasets too."""
    rows = {name: [] for name in DATASETS}
    last, read = {}, 0
    for key in sorted(context.partition_keys):
        frames, n = year_comparisons(warehouse, raw, key)
        read += n
        for name, df in frames.items():
            warehouse.write_year(name, key, df)
            rows[name].append({"year": key, "rows": df.height})
            last[name] = df
    for name in DATASETS:
        yield MaterializeResult(asset_key=name, metadata={
            **schema_metadata(last[name]), "dagster/row_count": sum(r["rows"] for r in rows[name]),
            "by_year": per_year_table(rows[name]),
            **({"files_read_for_prose": read} if name == "comparisons_bodies" else {})})


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
