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
    """Stores each asset (a polars DataFrame) in the warehouse.

    Unpartitioned: <root>/<asset>/part-0.parquet. Partitioned by year: <root>/<asset>/year=<Y>/part-0.parquet
    (hive layout, so `scan_parquet("<root>/<asset>/**/*.parquet")` reads every year). An unpartitioned
    input read by a year partition is filtered to that year on its `year` column, reading only the row
    groups of that year (the parse outputs are sorted by year).
    """

    warehouse: Warehouse

    def _path(self, name: str, key: str | None) -> Path:
        from pipeline.partitions import folder

        base = Path(self.warehouse.root) / name
        return base / folder(key) / PART if key is not None else base / PART

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        key = context.partition_key if context.has_partition_key else None
        path = write_atomic(obj, self._path(context.asset_key.path[-1], key))
        context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        from pipeline.partitions import year_filter

        name = context.asset_key.path[-1]
        if context.has_asset_partitions:
            return pl.read_parquet(self._path(name, context.asset_partition_key))
        path = self._path(name, None)
        if context.has_partition_key:  # a year partition reading an unpartitioned dataset
            lf = pl.scan_parquet(path)
            if "year" in lf.collect_schema().names():
                return lf.filter(year_filter(context.partition_key)).collect()
        return pl.read_parquet(path)
