"""Atomic Parquet IO: one folder per dataset in the warehouse, written to a temp file and renamed."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polars as pl
from dagster import ConfigurableIOManager, ConfigurableResource, InputContext, OutputContext

PART = "part-0.parquet"


def dataset_path(root: str | Path, name: str) -> Path:
    """Where dataset `name` lives: <root>/<name>/part-0.parquet."""
    return Path(root) / name / PART


def write_atomic(df: pl.DataFrame, path: Path) -> Path:
    """Write `df` to `path` so that a reader sees the old file or the new one, never half of one.

    Same frame → same bytes: polars writes no timestamps, and callers sort their frames.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        df.write_parquet(tmp, compression="zstd", statistics=True)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class Warehouse(ConfigurableResource):
    """The warehouse folder: one folder per dataset."""

    root: str

    def path(self, name: str) -> Path:
        return dataset_path(self.root, name)

    def read(self, name: str) -> pl.DataFrame | None:
        """A dataset as last written, or None when it has never been written."""
        p = self.path(name)
        return pl.read_parquet(p) if p.exists() else None


class ParquetIOManager(ConfigurableIOManager):
    """Stores each asset (a polars DataFrame) as <root>/<asset name>/part-0.parquet."""

    warehouse: Warehouse

    def _path(self, context: OutputContext | InputContext) -> Path:
        return self.warehouse.path(context.asset_key.path[-1])

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        path = write_atomic(obj, self._path(context))
        context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        return pl.read_parquet(self._path(context))
