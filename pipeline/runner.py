"""Materialise everything in-process through the job `nianbao_full` (pipeline/sensors.py): its parse stage
in one run, then its year stages in a second run (a single-run backfill over the range of years).

Used by `nianbao run` and the tests. The runs are runs of a named job of the code location, so the
Dagster UI (on the same instance: `<warehouse>/.dagster`) lists them under nianbao_full and can
re-execute them. A year partition only needs its own reports; the parse stage registers the years it
found as dynamic partitions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
from dagster import DagsterInstance, Definitions
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets import staging
from assets.freshness import record, stale_years
from assets.lock import mark_killed, run_tags, warehouse_lock
from assets.partitions import YEARS, keys_of, spans
from assets.warehouse import ParquetIOManager, Warehouse
from contracts.judge import quarantined as judged_quarantined
from pipeline.definitions import CATALOGUED, CHECKS, PARTITIONED, UNPARTITIONED
from pipeline.sensors import CLI_TAG, FULL, FULL_JOB

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class Summary:
    """What a full materialisation did: counts, check evaluations, run ids, and whether it succeeded."""

    success: bool = True
    counts: dict = field(default_factory=lambda: {"inputs": 0, "validated": 0, "quarantined": 0, "failed": 0})
    checks: list = field(default_factory=list)  # (asset, check name, partition or None, evaluation)
    run_ids: list = field(default_factory=list)
    years: list = field(default_factory=list)  # the year partitions materialised by this run
    skipped: list = field(default_factory=list)  # years up to date (inputs and code unchanged): not run
    unaccounted: int = 0  # inputs neither validated, quarantined nor failed (the warehouse lost them)
    killed_runs: list = field(default_factory=list)  # runs a killed earlier process left started: marked failed
    recovered: list = field(default_factory=list)  # staging areas of earlier runs finished or discarded
    parse: dict = field(default_factory=dict)


def _keys(assets) -> list:
    return [k for a in assets for k in a.keys]


def materialize_all(resources: dict, instance: DagsterInstance | None = None, quiet: bool = True,
                    years: list[str] | None = None, on_partition: Callable[[str], None] | None = None,
                    wait: bool = False) -> Summary:
    """Inventory and parse, then validate, publish and roll up each year whose inputs or code changed since
    it was last materialised (`assets.freshness`), or exactly `years` when given.

    The warehouse is held for the whole run (`assets.lock`): a second run on it waits (`wait`) or raises
    WarehouseBusy naming the holder; runs a killed holder left started are marked failed first."""
    instance = instance or DagsterInstance.ephemeral()
    with warehouse_lock(resources["warehouse"], wait=wait) as held:
        out = Summary()
        out.killed_runs = mark_killed(instance, resources["warehouse"])
        out.recovered = staging.recover(resources["warehouse"].root)  # a commit a killed run left half done
        out.recovered += resources["warehouse"].migrate_hive_layout()  # a warehouse written before 2026-12
        if held.previous:  # the last holder was killed: its half-written temp files are garbage
            resources["warehouse"].sweep_temp_files()
        return _materialize(resources, instance, quiet, years, on_partition, out)


def _materialize(resources: dict, instance: DagsterInstance, quiet: bool, years: list[str] | None,
                 on_partition: Callable[[str], None] | None, out: Summary) -> Summary:
    config = QUIET if quiet else None
    published = resources["warehouse"]
    base_tags = {**run_tags(published), CLI_TAG: "nianbao run"}
    token = staging.new_token()
    # the runs write their published outputs to a staging area, published when every year succeeded
    # (assets/staging.py); `during` is the warehouse as the runs see it (their staged files first)
    during = Warehouse(root=published.root, staging=token)
    staged = {**resources, "warehouse": during, "io_manager": ParquetIOManager(warehouse=during)}
    job = Definitions(assets=CATALOGUED, asset_checks=CHECKS, jobs=[FULL_JOB],
                      resources=staged).resolve_job_def(FULL)

    def run(selection, keys=None):
        tags = dict(base_tags) if keys is None else {
            **base_tags, ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}
        res = job.execute_in_process(asset_selection=selection, tags=tags, instance=instance, run_config=config,
                                     raise_on_error=False)
        out.run_ids.append(res.run_id)
        out.success &= res.success
        for e in res.get_asset_check_evaluations():  # the year checks evaluate each year (e.partition)
            span = None if keys is None else ",".join(keys)
            out.checks.append((e.asset_key.to_user_string(), e.check_name, e.partition or span, e))
        return res

    res = run(_keys(UNPARTITIONED))
    if not res.success:
        staging.discard(published.root, token)
        return out
    mat = {m.asset_key.to_user_string(): m.materialization for m in res.get_asset_materialization_events()}
    meta = mat["parsed_reports"].metadata
    out.parse = {k: meta[k].value for k in ("parsed", "reused", "dropped", "years_changed")}
    reports = during.read("parsed_reports")
    failures = during.read("parse_failures")
    out.years = stale_years(during, reports) if years is None else years
    out.skipped = [k for k in keys_of(reports["year"]) if k not in out.years]
    out.counts["inputs"] = reports.height + failures.height
    out.counts["failed"] = failures.height
    # one run per consecutive span of years (a single-run backfill over a range of year partitions): the
    # steps loop over the span's years, so a run costs one set of steps, not one per year
    order = instance.get_dynamic_partitions(YEARS.name)
    for span in spans(order, out.years):
        if on_partition:
            on_partition(", ".join(span))
        if not run(_keys(PARTITIONED), span).success:
            break
    if out.success:  # every year of the run: published together
        staging.commit(published.root, token)
        record(published, reports, out.years)
    else:  # nothing of this run's years is published; the next run redoes them
        staging.discard(published.root, token)
    out.counts["validated"], out.counts["quarantined"] = _judged(published, keys_of(reports["year"]))
    n = out.counts
    out.unaccounted = n["inputs"] - n["validated"] - n["quarantined"] - n["failed"]  # 0, or files were lost
    return out


def _judged(warehouse, years: list[str]) -> tuple[int, int]:
    """(validated, quarantined) as the warehouse holds them now, over these years: reports in the published
    `reports` dataset, and reports with an error in `violations`."""
    validated = quarantined = 0
    for k in years:
        published, violations = warehouse.year_path("reports", k), warehouse.year_path("violations", k)
        if published.exists():
            validated += pl.scan_parquet(published).select(pl.len()).collect().item()
        if violations.exists():
            quarantined += judged_quarantined(pl.read_parquet(violations, columns=["report_id", "severity"])).len()
    return validated, quarantined


def read(warehouse_root: str, name: str) -> pl.DataFrame:
    """A dataset, every partition."""
    return Warehouse(root=warehouse_root).scan(name).collect()
