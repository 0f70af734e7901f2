"""The warehouse layout, defined here and nowhere else: one folder per dataset, written atomically.

    <root>/<dataset>/part-0.parquet                      an unpartitioned dataset (ParquetIOManager)
    <root>/<dataset>/<Y>/part-0.parquet             one year of a partitioned dataset (Warehouse)
    <root>/<dataset>[/<Y>]/.<side file>             state kept beside a dataset (`beside`)
    <root>/parsed_cells/<Y>/seg-<hash>.parquet      the parsed-cells store (`cell_store`)
    <root>/parsed_prose/<Y>/seg-<hash>.parquet      the reports' sentence hashes, same segments (`prose_store`)
    <root>/.<state>                                      warehouse-wide state (`state`)

Every asset and the pipeline get their paths from `Warehouse`; readers outside the pipeline use
`pattern(name)` (all years: `polars.scan_parquet(pattern)`).
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import polars as pl
from dagster import ConfigurableIOManager, ConfigurableResource, InputContext, OutputContext

from nianbao.atomic import write_atomic, write_parts_atomic
from nianbao.frames import CELL_SCHEMA
from nianbao.store import CellStore, StoredCells, hive_to_key, year_folder

PART = "part-0.parquet"


def dataset_path(root: str | Path, name: str) -> Path:
    """Where dataset `name` lives: <root>/<name>/part-0.parquet."""
    return Path(root) / name / PART


STAGING = ".staging"  # <root>/.staging/<token>/<dataset>/<Y>/…: a run's year outputs until it commits
# unpartitioned datasets published with the run's years (the others are the parse's own state, which the
# next run reads whether or not this one committed)
STAGED_DATASETS = ("parse_failures",)


def declared(name: str) -> dict[str, pl.DataType]:
    """The declared dtypes of a year-partitioned dataset's columns (empty for a dataset without a declaration):
    the published datasets (`contracts.publish.schemas`), violations, the rollups."""
    from contracts.publish import schemas
    from contracts.rollups import SCHEMA as ROLLUP
    from contracts.violations import SCHEMA as VIOLATIONS

    return {**schemas(), "violations": VIOLATIONS, "rollup_province": ROLLUP, "rollup_national": ROLLUP}.get(name, {})


class Warehouse(ConfigurableResource):
    """The warehouse folder: one folder per dataset.

    With `staging` (a run's token, set by `nianbao run`), the year partitions this process writes go to
    `<root>/.staging/<token>/…` and are read back from there; `assets.staging.commit` moves them into place
    when every year of the run has succeeded, so readers of the warehouse see it before or after a run.
    Without it (the Dagster UI, sensors), year partitions are written in place, each file atomically."""

    root: str
    staging: str = ""

    def path(self, name: str) -> Path:
        """Where an unpartitioned dataset is, as this run sees it (its staged copy, when it wrote one)."""
        return self._read(Path(name) / PART) if name in STAGED_DATASETS else dataset_path(self.root, name)

    def target(self, name: str) -> Path:
        """Where this run writes an unpartitioned dataset."""
        return self._target(Path(name) / PART) if name in STAGED_DATASETS else dataset_path(self.root, name)

    def pattern(self, name: str) -> str:
        """The glob of every file of dataset `name`, all years (for `polars.scan_parquet`)."""
        return f"{self.root}/{name}/**/*.parquet"

    def scan(self, name: str) -> pl.LazyFrame:
        """Dataset `name`, every partition."""
        return pl.scan_parquet(self.pattern(name))

    def _year_rel(self, name: str, key: str) -> Path:
        from assets.partitions import folder

        return Path(name) / folder(key)

    def staged(self, rel: Path) -> Path | None:
        """Where this run stages `rel` (a path under the root), or None without staging."""
        return Path(self.root) / STAGING / self.staging / rel if self.staging else None

    def _read(self, rel: Path) -> Path:
        """`rel` as this run sees it: its staged copy when it wrote one, else the published one."""
        staged = self.staged(rel)
        return staged if staged is not None and staged.exists() else Path(self.root) / rel

    def _target(self, rel: Path) -> Path:
        """Where this run writes `rel`: staged, or in place."""
        return self.staged(rel) or Path(self.root) / rel

    def year_dir(self, name: str, key: str) -> Path:
        """The published folder of one year partition of `name` (HTML outputs live there too): what links
        and messages name."""
        return Path(self.root) / self._year_rel(name, key)

    def year_dir_target(self, name: str, key: str) -> Path:
        """The folder this run writes one year partition of `name` to."""
        return self._target(self._year_rel(name, key))

    def beside(self, name: str, file: str, key: str | None = None) -> Path:
        """A side file kept beside dataset `name` (or beside its year partition `key`), as this run sees it."""
        return self._read(self._year_rel(name, key) / file) if key is not None else Path(self.root) / name / file

    def beside_target(self, name: str, file: str, key: str | None = None) -> Path:
        """Where this run writes a side file (year side files are staged with their year)."""
        return self._target(self._year_rel(name, key) / file) if key is not None else Path(self.root) / name / file

    def state(self, file: str) -> Path:
        """A warehouse-wide state file."""
        return Path(self.root) / file

    def sweep_temp_files(self) -> int:
        """Delete the temp files of interrupted atomic writes (`.<name>.<random>.tmp`, left by a killed
        run); only while holding the warehouse (`assets.lock`). Returns how many."""
        n = 0
        for p in Path(self.root).rglob(".*.tmp"):
            p.unlink(missing_ok=True)
            n += 1
        return n

    def migrate_hive_layout(self) -> list[str]:
        """Rename the year folders of the old hive layout (`<dataset>/year=2023/`, `year=__HIVE_DEFAULT_PARTITION__`)
        to today's (`2023/`, `unknown/`), so that a warehouse written before is read and updated in place, never
        read twice by a glob; only while holding the warehouse (`assets.lock`). Returns what was done."""
        done = []
        for d in sorted(Path(self.root).glob("*/year=*")):
            key = hive_to_key(d.name)
            if key is None or not d.is_dir():
                continue
            new = d.with_name(year_folder(key))
            if new.exists():  # written by this code already: the old one is stale
                shutil.rmtree(d)
            else:
                os.replace(d, new)
            done.append(f"renamed {d.relative_to(self.root)} to {new.relative_to(self.root)}")
        return done

    def cell_store(self) -> CellStore:
        """The parsed-cells store."""
        return CellStore(Path(self.root) / "parsed_cells")

    def prose_store(self) -> CellStore:
        """The store of the reports' sentence hashes (`nianbao.prose`), in the cell store's segments."""
        return CellStore(Path(self.root) / "parsed_prose")

    def read(self, name: str) -> pl.DataFrame | None:
        """A dataset as last written, or None when it has never been written."""
        p = self.path(name)
        return pl.read_parquet(p) if p.exists() else None

    def year_path(self, name: str, key: str) -> Path:
        """Where one year partition of a partitioned dataset lives, <root>/<name>/<Y>/part-0.parquet
        (this run's staged copy, when it wrote one)."""
        return self._read(self._year_rel(name, key) / PART)

    def read_year(self, name: str, key: str) -> pl.DataFrame:
        """One year of a dataset: its year partition, or an unpartitioned dataset's rows of that year (the
        parse outputs are sorted by year, so only that year's row groups are read)."""
        from assets.partitions import year_filter

        p = self.year_path(name, key)
        if p.exists():
            return pl.read_parquet(p)
        whole = self.path(name)
        if not whole.exists():
            raise FileNotFoundError(f"dataset {name} has no year {key}: neither {p} nor {whole} exists "
                                    "(materialise it first)")
        return pl.scan_parquet(whole).filter(year_filter(key)).collect()

    def cells(self, key: str | None = None, reports: pl.DataFrame | None = None, ordered: bool = False
              ) -> pl.DataFrame:
        """The live parsed cells of one year (or all); only those of `reports` (rows of parsed_reports)
        when given. Each report's cells are contiguous; the reports are in the order of parsed_reports
        only with `ordered=True` (see `CellStore.scan`)."""
        if reports is None:
            reports = self.read("parsed_reports")
            if reports is None:
                raise FileNotFoundError(f"no parsed_reports in {self.root}: materialise the parse first")
        return self.cell_store().read(reports, key, schema=CELL_SCHEMA, ordered=ordered)

    def write_year(self, name: str, key: str, df: pl.DataFrame) -> Path:
        """Write one year partition atomically (in an asset step, its row count becomes that year's metadata),
        its columns cast to the dataset's declared dtypes (`declared`): a column's dtype never depends on one
        year's rows (e.g. all null that year)."""
        from assets.meta import year_written

        schema = declared(name)
        df = df.cast({c: t for c, t in schema.items() if c in df.columns and df.schema[c] != t})
        year_written(name, key, df)
        return write_atomic(df, self._target(self._year_rel(name, key) / PART))

    def write_year_parts(self, name: str, key: str, parts: Iterable[pl.DataFrame], schema: dict) -> int:
        """Write one year partition part by part (a row group each: only one part in memory), atomically,
        with the columns of `schema`; returns its row count (which becomes that year's metadata)."""
        from assets.meta import year_written

        first: list[pl.DataFrame] = []

        def seen(parts):
            for part in parts:
                if not first and part.height:
                    first.append(part.head(10))
                yield part

        rows = write_parts_atomic(seen(parts), self._target(self._year_rel(name, key) / PART), schema)
        year_written(name, key, first[0] if first else pl.DataFrame(schema=schema), rows=rows)
        return rows


class ParquetIOManager(ConfigurableIOManager):
    """Stores the unpartitioned assets (polars DataFrames) in the warehouse: <root>/<asset>/part-0.parquet.

    The year-partitioned assets do their own IO through the `Warehouse` resource (one year at a time,
    <root>/<asset>/<Y>/part-0.parquet: `scan_parquet("<root>/<asset>/**/*.parquet")`
    reads every year), so that one run can process many years without holding them all in memory.
    """

    warehouse: Warehouse

    def handle_output(self, context: OutputContext, obj: pl.DataFrame | StoredCells) -> None:
        if isinstance(obj, StoredCells):  # written by the parse stage itself, batch by batch
            context.add_output_metadata({"path": obj.root})
            return
        if context.has_asset_partitions:
            raise TypeError(f"{context.asset_key.to_user_string()}: partitioned assets write through the Warehouse")
        path = write_atomic(obj, self.warehouse.target(context.asset_key.path[-1]))
        context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        name = context.asset_key.path[-1]
        if name == "parsed_cells":
            return self.warehouse.cells(ordered=True)
        return pl.read_parquet(self.warehouse.path(name))
