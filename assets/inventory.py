"""The raw file inventory: every input file with its size and content hash, or the reason it is not read."""

import hashlib
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import polars as pl
from dagster import AssetExecutionContext, Output, asset

from assets.meta import frame_metadata
from assets.resources import RawReports
from assets.warehouse import Warehouse
from nianbao.atomic import write_ipc_atomic
from nianbao.batch import report_id
from nianbao.rawfiles import NotRegular, not_regular, open_regular
from nianbao.version import hash_modules

SCHEMA = {"report_id": pl.String, "path": pl.String, "source": pl.String, "size": pl.Int64, "sha256": pl.String,
          "problem": pl.String}
CACHE_SCHEMA = {"path": pl.String, "size": pl.Int64, "mtime_ns": pl.Int64, "sha256": pl.String, "taken_ns": pl.Int64}
RACY_NS = 2_000_000_000  # a file modified this close to the last inventory is hashed again (git's "racy" rule)
SAMPLE = 50  # entries named in the metadata


def _sha256(path: str) -> tuple[str, int]:
    """(SHA-256, size) of a regular file's content; raises NotRegular for anything else (never waits on it)."""
    h, size = hashlib.sha256(), 0
    with open_regular(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


class _Content(NamedTuple):
    """What the inventory knows of one file's content, or why it has none (`problem`)."""

    sha256: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    problem: str | None = None
    cached: bool = False


def _content(path: str, cached: tuple[int, int, str] | None) -> _Content:
    """The hash, size and mtime of one listed file: the cached hash when its size and mtime are the cache's,
    else hashed; or the reason it cannot be read (it was replaced, removed or locked since it was listed)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return _Content(problem=not_regular(st.st_mode))
        if cached and cached[0] == st.st_size and cached[1] == st.st_mtime_ns:
            return _Content(cached[2], st.st_size, st.st_mtime_ns, cached=True)
        sha, size = _sha256(path)
        return _Content(sha, size, st.st_mtime_ns)
    except NotRegular as e:
        return _Content(problem=str(e))
    except OSError as e:
        return _Content(problem=f"cannot read file: {e.strerror}")


def inventory(files: Iterable[tuple], cache: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """One row per input: stable id, relative path, file name, size, SHA-256 and problem, sorted by path; and
    the new stat cache, and how many hashes came from the cache.

    `files`: (path on disk, relative path[, problem]) per input (`nianbao.rawfiles.RawFile`). An input with
    a problem (a FIFO, a link leading outside the raw folder, …) is never opened: its size and SHA-256 are
    null and `problem` says why, as it does for a file found unreadable here; the parse stage makes it a
    failure without reading it (`nianbao.rawfiles.unreadable`). A file whose size and modification time
    equal the cache's (and that was not modified just before the cache was taken) keeps its cached hash
    instead of being read again."""
    known = {}
    if cache is not None:
        for path, size, mtime, sha, taken in cache.iter_rows():
            if mtime < taken - RACY_NS:
                known[path] = (size, mtime, sha)
    taken = time.time_ns()
    rows, stats, hits = [], [], 0
    for path, rel, *listed in files:
        got = _Content(problem=listed[0]) if listed and listed[0] else _content(path, known.get(rel))
        if got.problem is None:
            stats.append((rel, got.size, got.mtime_ns, got.sha256, taken))
            hits += got.cached
        rows.append((report_id(rel), rel, rel.rsplit("/", 1)[-1], got.size, got.sha256, got.problem))
    return (pl.DataFrame(rows, schema=SCHEMA, orient="row"),
            pl.DataFrame(stats, schema=CACHE_SCHEMA, orient="row"), hits)


def _named(entries: list[tuple[str, str]]) -> str:
    """A sample of (relative path, reason) for the metadata: one per line, the first SAMPLE."""
    more = f"\n… {len(entries) - SAMPLE} more" if len(entries) > SAMPLE else ""
    return "\n".join(f"{rel}: {reason}" for rel, reason in entries[:SAMPLE]) + more


@asset(group_name="ingest", compute_kind="python",
       code_version=hash_modules(Path(__file__).parents[1], ("assets/inventory.py", "nianbao/rawfiles.py")))
def raw_inventory(context: AssetExecutionContext, raw: RawReports, warehouse: Warehouse) -> Output[pl.DataFrame]:
    """Every input under the raw folder: id, path, file name, size in bytes, SHA-256, and `problem`.

    `problem` is null for a regular file, which the parse stage reads; otherwise the reason it is never
    opened (a FIFO, socket or device, a symbolic link leading outside the raw folder, dangling or looping,
    a path that is not UTF-8: `nianbao.rawfiles`), which the parse stage reports as the file's failure.
    Entries that are not inputs (hidden files and folders, the manifest, symbolic links to folders inside
    the raw folder) are listed in the metadata, `skipped` and `skipped_entries`, with the reason.

    Files whose size and modification time are unchanged since the last inventory are not read again
    (the stat cache beside the dataset, `.stat-cache.arrow`, keeps their hashes)."""
    cache_path = warehouse.beside("raw_inventory", ".stat-cache.arrow")
    cache = pl.read_ipc(cache_path) if cache_path.exists() else None
    listing = raw.listing()
    df, new_cache, hits = inventory(listing.files, cache)
    write_ipc_atomic(new_cache, cache_path)
    problems = df.filter(pl.col("problem").is_not_null())
    if listing.skipped:
        context.log.info(f"{len(listing.skipped)} entries of the raw folder are not inputs, e.g. "
                         f"{listing.skipped[0][0]} ({listing.skipped[0][1]})")
    if problems.height:
        context.log.warning(f"{problems.height} inputs cannot be read and fail, e.g. {problems['path'][0]}: "
                            f"{problems['problem'][0]}")
    return Output(df, metadata={**frame_metadata(df), "raw_root": raw.root, "bytes": int(df["size"].sum() or 0),
                                "hashes_reused": hits, "skipped": len(listing.skipped),
                                "skipped_entries": _named(listing.skipped), "not_read": problems.height,
                                "not_read_entries": _named(list(problems.select("path", "problem").iter_rows()))})
