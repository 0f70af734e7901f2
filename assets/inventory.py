"""The raw file inventory: every input file with its size and content hash."""

import hashlib
import os
import time
from pathlib import Path

import polars as pl
from dagster import Output, asset

from assets.meta import frame_metadata
from assets.resources import RawReports
from assets.warehouse import Warehouse
from nianbao.atomic import write_ipc_atomic
from nianbao.batch import report_id
from nianbao.version import hash_modules

SCHEMA = {"report_id": pl.String, "path": pl.String, "source": pl.String, "size": pl.Int64, "sha256": pl.String}
CACHE_SCHEMA = {"path": pl.String, "size": pl.Int64, "mtime_ns": pl.Int64, "sha256": pl.String, "taken_ns": pl.Int64}
RACY_NS = 2_000_000_000  # a file modified this close to the last inventory is hashed again (git's "racy" rule)


def _sha256(path: str) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def inventory(files: list[tuple[str, str]], cache: pl.DataFrame | None = None
              ) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """One row per file: stable id, relative path, file name, size and SHA-256, sorted by path; and the new
    stat cache, and how many hashes came from the cache. A file whose size and modification time equal the cache's (and that was not modified
    just before the cache was taken) keeps its cached hash instead of being read again."""
    known = {}
    if cache is not None:
        for path, size, mtime, sha, taken in cache.iter_rows():
            if mtime < taken - RACY_NS:
                known[path] = (size, mtime, sha)
    taken = time.time_ns()
    rows, stats, hits = [], [], 0
    for path, rel in files:
        st = os.stat(path)
        hit = known.get(rel)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            sha, size = hit[2], st.st_size
            hits += 1
        else:
            sha, size = _sha256(path)
        rows.append((report_id(rel), rel, rel.rsplit("/", 1)[-1], size, sha))
        stats.append((rel, size, st.st_mtime_ns, sha, taken))
    return (pl.DataFrame(rows, schema=SCHEMA, orient="row"),
            pl.DataFrame(stats, schema=CACHE_SCHEMA, orient="row"), hits)


@asset(group_name="ingest", compute_kind="python",
       code_version=hash_modules(Path(__file__).parent, ("inventory.py",)))
def raw_inventory(raw: RawReports, warehouse: Warehouse) -> Output[pl.DataFrame]:
    """Every raw report file under the raw folder: id, path, file name, size in bytes and SHA-256.

    Files whose size and modification time are unchanged since the last inventory are not read again
    (the stat cache beside the dataset, `.stat-cache.arrow`, keeps their hashes)."""
    cache_path = warehouse.beside("raw_inventory", ".stat-cache.arrow")
    cache = pl.read_ipc(cache_path) if cache_path.exists() else None
    df, new_cache, hits = inventory(raw.files(), cache)
    write_ipc_atomic(new_cache, cache_path)
    return Output(df, metadata={**frame_metadata(df), "raw_root": raw.root, "bytes": int(df["size"].sum() or 0),
                                "hashes_reused": hits})
