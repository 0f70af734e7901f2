"""Parsing: raw files → one record per report, every cell with its raw text, and the failures."""

from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, AssetIn, AssetOut, Output, multi_asset

from assets.meta import frame_metadata
from assets.partitions import YEARS, keys_of
from assets.resources import Progress, RawReports
from assets.warehouse import Warehouse
from nianbao import manifest as M
from nianbao.incremental import INDEX_SCHEMA, Index, parse_incremental
from nianbao.store import StoredCells
from nianbao.version import PARSER_VERSION


@multi_asset(
    group_name="parse",
    ins={"raw_inventory": AssetIn()},
    outs={
        "parsed_reports": AssetOut(description="One row per report that could be parsed: title, body, year, "
                                   "template, region. Validated or not.", code_version=PARSER_VERSION),
        "parsed_cells": AssetOut(description="Every cell of every parsed report: table, row, column, raw text, "
                                 "line, PDF page and y, the printed label its row was read from, status (value, "
                                 "blank, placeholder, invalid, ambiguous, missing, not_printed), value, note. "
                                 "Stored as segment files per year (parsed_reports.segment says which holds a "
                                 "report's cells), the same files whatever the history of runs; read every "
                                 "year with polars.scan_parquet('parsed_cells/**/*.parquet').",
                                 code_version=PARSER_VERSION),
        "parsed_prose": AssetOut(description="Each parsed report's prose as its distinct sentences' 64-bit "
                                 "hashes (BLAKE2b), exact and with numbers masked (nianbao/prose.py): what the "
                                 "year-over-year narrative reuse compares, without keeping the text. Stored in "
                                 "the same segments as parsed_cells: polars.scan_parquet('parsed_prose/**/*.parquet').",
                                 code_version=PARSER_VERSION),
        "parse_failures": AssetOut(description="One row per file that could not be read as a report, with the reason.",
                                   code_version=PARSER_VERSION),
    },
    compute_kind="python",
)
def parse_reports(context: AssetExecutionContext, raw_inventory: pl.DataFrame, raw: RawReports, progress: Progress,
                  warehouse: Warehouse):
    """Parse every inventoried file in batches on a process pool, streaming each batch's cells to the cell
    store, then apply the manifest (if any) to every report. A file whose content (SHA-256), the parser's
    version and its manifest row are unchanged since the last materialisation is not parsed again: its
    rows are reused. Each report's sentence hashes go to the prose store beside its cells."""
    store, prose = warehouse.cell_store(), warehouse.prose_store()
    manifest, matched, missing = _manifest(context, raw, raw_inventory)
    old_r, old_f = warehouse.read("parsed_reports"), warehouse.read("parse_failures")
    previous = None
    if old_r is not None and old_f is not None and "segment" in old_r.columns:
        previous = Index(_as_index(old_r), old_f)
    live = previous.reports if previous else pl.DataFrame(schema=INDEX_SCHEMA)
    removed = store.collect_garbage(live) + prose.collect_garbage(live)
    if previous is not None:  # after the garbage collection: the index on disk still points at every segment
        previous = Index(M.reusable(previous.reports, matched), previous.failures)
        old_r = previous.reports
    changed = raw_inventory.height
    if previous is not None:
        changed -= raw_inventory.join(pl.concat([old_r.select("path", "sha256"), old_f.select("path", "sha256")]),
                                      on=["path", "sha256"], how="semi").height
    advance, close = progress.tracker(changed, "parse")
    try:
        parsed, counts = parse_incremental(raw_inventory, str(Path(raw.root)), previous, store, prose,
                                           raw.n_workers(), advance)
    finally:
        close()
    if parsed.n_inputs != raw_inventory.height:
        raise RuntimeError(f"{raw_inventory.height} files inventoried but {parsed.n_inputs} parsed or failed")
    reports, applied = M.apply(parsed.reports, matched)
    parsed = Index(reports, parsed.failures)
    years = keys_of(parsed.reports["year"])
    new = [k for k in years if not context.instance.has_dynamic_partition(YEARS.name, k)]
    if new:
        context.instance.add_dynamic_partitions(YEARS.name, new)
    context.log.info(f"parsed {counts['parsed']} files, reused {counts['reused']}; "
                     f"{parsed.reports.height} reports, {parsed.failures.height} failures; years {years}; "
                     f"{removed} unreferenced cell segments removed")
    changed_years = ",".join(counts.pop("years"))
    new_cells = counts.pop("new_cells")
    yield Output(parsed.reports, "parsed_reports", metadata={
        **frame_metadata(parsed.reports), **counts, "years": ",".join(years), "years_changed": changed_years,
        "manifest": str(manifest or ""), "manifest_rows": len(matched) + len(missing), "manifest_applied": applied,
        "manifest_missing_files": ", ".join(e.file for e in missing[:50]) + (" …" if len(missing) > 50 else "")})
    # parsed_reports is written (the IO manager stores an output as it is yielded): the segments it no
    # longer points at go now, so the store holds what a full parse of these files would leave
    removed += store.collect_garbage(parsed.reports) + prose.collect_garbage(parsed.reports)
    yield Output(StoredCells(str(store.root)), "parsed_cells", metadata={
        "segments": parsed.reports["segment"].n_unique(), "segments_removed": removed,
        "new_cells_by_status": new_cells,
    })
    yield Output(StoredCells(str(prose.root)), "parsed_prose", metadata={
        "segments": parsed.reports["segment"].n_unique()})
    yield Output(parsed.failures, "parse_failures", metadata=frame_metadata(parsed.failures))


def _manifest(context: AssetExecutionContext, raw: RawReports, inventory: pl.DataFrame):
    """(path of the manifest or None, {relpath: its row}, rows naming no raw file), warning about the last."""
    path = raw.manifest_path()
    if path is None:
        return None, {}, []
    matched, missing = M.match(M.read_manifest(path), inventory["path"].to_list(), raw.root, path.parent)
    if missing:
        context.log.warning(f"manifest {path}: {len(missing)} rows name no raw file, e.g. line {missing[0].line} "
                            f"({missing[0].file})")
    return path, matched, missing


def _as_index(reports: pl.DataFrame) -> pl.DataFrame:
    """A stored index in today's schema (a column added since it was written is null; its rows are parsed
    again anyway, the parser's version having changed with the schema)."""
    return reports.with_columns(pl.lit(None, t).alias(c) for c, t in INDEX_SCHEMA.items()
                                if c not in reports.columns).select(list(INDEX_SCHEMA))
