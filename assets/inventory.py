"""The raw file inventory: every input file with its size and content hash."""

import hashlib
from pathlib import Path

import polars as pl
from dagster import Output, asset

from assets.meta import frame_metadata
from nianbao.batch import report_id
from pipeline.resources import RawReports

SCHEMA = {"report_id": pl.String, "path": pl.String, "source": pl.String, "size": pl.Int64, "sha256": pl.String}


def inventory(files: list[tuple[str, str]]) -> pl.DataFrame:
    """One row per file: stable id, relative path, file name, size and SHA-256, sorted by path."""
    rows = []
    for path, rel in files:
        h, size = hashlib.sha256(), 0
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
                size += len(block)
        rows.append({"report_id": report_id(rel), "path": rel, "source": Path(path).name, "size": size,
                     "sha256": h.hexdigest()})
    return pl.DataFrame(rows, schema=SCHEMA)


@asset(group_name="ingest", compute_kind="python")
def raw_inventory(raw: RawReports) -> Output[pl.DataFrame]:
    """Every raw report file under the raw folder: id, path, file name, size in bytes and SHA-256."""
    df = inventory(raw.files())
    return Output(df, metadata={**frame_metadata(df), "raw_root": raw.root, "bytes": int(df["size"].sum() or 0)})
