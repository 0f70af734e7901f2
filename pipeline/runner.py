"""Materialise everything in-process: the unpartitioned stages in one run, then every year partition in
a second run (a single-run backfill over the range of years).

Used by `nianbao run` and the tests. A year partition only needs its own reports; the parse stage
registers the years it found as dynamic partitions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
from dagster import AssetSelection, DagsterInstance, materialize
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.partitions import YEARS, keys_of
from pipeline.definitions import ASSETS, CHECKS, PARTITIONED, UNPARTITIONED

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class Summary:
    """What a full materialisation did: counts, check evaluations, run ids, and whether it succeeded."""

    success: bool = True
    counts: dict = field(default_factory=lambda: {"inputs": 0, "validated": 0, "quarantined": 0, "failed": 0})
    checks: list = field(default_factory=list)  # (asset, check name, partition or None, evaluation)
    run_ids: list = field(default_factory=list)
    years: list = field(default_factory=list)
    parse: dict = field(default_factory=dict)


def _keys(assets) -> AssetSelection:
    return AssetSelection.assets(*[k for a in assets for k in a.keys])


def materialize_all(resources: dict, instance: DagsterInstance | None = None, quiet: bool = True,
                    years: list[str] | None = None, on_partition: Callable[[str], None] | None = None) -> Summary:
    """Inventory and parse, then validate, publish and roll up each year (or only `years`)."""
    instance = instance or DagsterInstance.ephemeral()
    out = Summary()
    config = QUIET if quiet else None

    def run(selection, keys=None):
        tags = None if keys is None else {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}
        res = materialize([*ASSETS, *CHECKS], selection=selection, tags=tags, resources=resources,
                          instance=instance, run_config=config, raise_on_error=False)
        out.run_ids.append(res.run_id)
        out.success &= res.success
        for e in res.get_asset_check_evaluations():
            out.checks.append((e.asset_key.to_user_string(), e.check_name, None if keys is None else ",".join(keys), e))
        return res

    res = run(_keys(UNPARTITIONED))
    if not res.success:
        return out
    mat = {m.asset_key.to_user_string(): m.materialization for m in res.get_asset_materialization_events()}
    meta = mat["parsed_reports"].metadata
    out.parse = {k: meta[k].value for k in ("parsed", "reused", "dropped", "years_changed")}
    reports = resources["warehouse"].read("parsed_reports")
    failures = resources["warehouse"].read("parse_failures")
    out.years = keys_of(reports["year"]) if years is None else years
    out.counts["inputs"] = reports.height + failures.height
    out.counts["failed"] = failures.height
    if out.years:
        # one run for all the years (single-run backfill over the range of year partitions): the steps loop
        # over the years, so the run costs one set of steps, not one per year
        order = instance.get_dynamic_partitions(YEARS.name)
        span = order[min(order.index(k) for k in out.years):max(order.index(k) for k in out.years) + 1]
        if on_partition:
            on_partition(", ".join(span))
        run(_keys(PARTITIONED), span)
    for asset, name, _, e in out.checks:
        if (asset, name) == ("reports", "conservation"):
            out.counts["validated"] += e.metadata["validated"].value
            out.counts["quarantined"] += e.metadata["quarantined"].value
    return out


def read(warehouse_root: str, name: str) -> pl.DataFrame:
    """A dataset, every partition."""
    return pl.scan_parquet(f"{warehouse_root}/{name}/**/*.parquet").collect()
