"""Materialise everything in-process: the unpartitioned stages once, then every year partition.

Used by `nianbao run` and the tests. A year partition only needs its own reports; the parse stage
registers the years it found as dynamic partitions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
from dagster import AssetSelection, DagsterInstance, materialize

from pipeline.definitions import ASSETS, CHECKS, PARTITIONED, UNPARTITIONED
from pipeline.partitions import keys_of

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

    def run(selection, partition=None):
        res = materialize([*ASSETS, *CHECKS], selection=selection, partition_key=partition, resources=resources,
                          instance=instance, run_config=config, raise_on_error=False)
        out.run_ids.append(res.run_id)
        out.success &= res.success
        for e in res.get_asset_check_evaluations():
            out.checks.append((e.asset_key.to_user_string(), e.check_name, partition, e))
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
    for key in out.years:
        if on_partition:
            on_partition(key)
        run(_keys(PARTITIONED), key)
    for asset, name, _, e in out.checks:
        if (asset, name) == ("reports", "conservation"):
            out.counts["validated"] += e.metadata["validated"].value
            out.counts["quarantined"] += e.metadata["quarantined"].value
    return out


def read(warehouse_root: str, name: str) -> pl.DataFrame:
    """A dataset, every partition."""
    return pl.scan_parquet(f"{warehouse_root}/{name}/**/*.parquet").collect()
