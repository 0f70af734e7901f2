"""Atomic Parquet IO: one folder per dataset in the warehouse, written to a temp file and renamed."""
from __future__ import annotations

from pathlib import Path

import polars as pl
from dagster import ConfigurableIOManager, ConfigurableResource, InputContext, OutputContext

from nianbao.frames import CELL_SCHEMA
from nianbao.store import CellStore, StoredCells, write_atomic  # noqa: F401 (write_atomic: re-exported)

PART = "part-0.parquet"


def dataset_path(root: str | Path, name: str) -> Path:
    """Where dataset `name` lives: <root>/<name>/part-0.parquet."""
    return Path(root) / name / PART


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

    def handle_output(self, context: OutputContext, obj: pl.DataFrame | StoredCells) -> None:
        if isinstance(obj, StoredCells):  # written by the parse stage itself, batch by batch
            context.add_output_metadata({"path": obj.root})
            return
        key = context.partition_key if context.has_partition_key else None
        path = write_atomic(obj, self._path(context.asset_key.path[-1], key))
        context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        from pipeline.partitions import year_filter

        name = context.asset_key.path[-1]
        if name == "parsed_cells":
            key = context.partition_key if context.has_partition_key else None
            return CellStore(Path(self.warehouse.root) / name).read(
                self.warehouse.read("parsed_reports"), key, schema=CELL_SCHEMA)
        if context.has_asset_partitions:
            return pl.read_parquet(self._path(name, context.asset_partition_key))
        path = self._path(name, None)
        if context.has_partition_key:  # a year partition reading an unpartitioned dataset
            lf = pl.scan_parquet(path)
            if "year" in lf.collect_schema().names():
                return lf.filter(year_filter(context.partition_key)).collect()
        return pl.read_parquet(path)
