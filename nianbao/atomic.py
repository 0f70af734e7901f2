"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file the pipeline writes goes through `replace_with`: write to a temp file in the same folder,
fsync, rename over the target (`os.replace`); on any error the temp file is removed and the old file
stays. The helpers below are the formats in use: Parquet datasets, Arrow IPC side files, UTF-8 text.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# what a file created the ordinary way gets (0644 under the usual umask 022): temp files are created
# private (0600), and a published dataset must be readable by the other users of a shared warehouse
DEFAULT_MODE = 0o666 & ~_umask()


def replace_with(path: Path, write: Callable[[str], None], mode: int | None = None) -> Path:
    """Call `write(tmp)` on a temp file beside `path`, then rename it over `path` with `mode` (default: what
    an ordinary new file gets under the process's umask; the temp file itself is private until then)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, DEFAULT_MODE if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_atomic(df: pl.DataFrame, path: Path) -> Path:
    """A Parquet dataset file. Same frame → same bytes: polars writes no timestamps, callers sort."""
    return replace_with(path, lambda tmp: df.write_parquet(tmp, compression="zstd", statistics=True))


def write_parts_atomic(parts: Iterable[pl.DataFrame], path: Path, schema: dict) -> int:
    """A Parquet dataset file written part by part, one row group per part (cast to `schema`), so that only
    one part is in memory at a time; what `write_atomic` would write of their concatenation, but for the
    row groups. Returns the number of rows."""
    import pyarrow.parquet as pq

    rows = 0

    def write(tmp: str) -> None:
        nonlocal rows
        empty = pl.DataFrame(schema=schema).to_arrow(compat_level=pl.CompatLevel.oldest())
        with pq.ParquetWriter(tmp, empty.schema, compression="zstd", write_statistics=True) as w:
            wrote = False
            for part in parts:
                if part.height or not wrote:
                    w.write_table(part.select(list(schema)).cast(schema).to_arrow(
                        compat_level=pl.CompatLevel.oldest()).cast(empty.schema))
                    rows += part.height
                    wrote = True
            if not wrote:
                w.write_table(empty)

    replace_with(path, write)
    return rows


def write_ipc_atomic(df: pl.DataFrame, path: Path) -> Path:
    """An Arrow IPC side file (stat cache, bases, figures)."""
    return replace_with(path, df.write_ipc)


def write_text_atomic(text: str, path: Path, mode: int | None = None) -> Path:
    """A UTF-8 text file (HTML pages, JSON state)."""
    return replace_with(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), mode)
