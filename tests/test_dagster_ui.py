"""Dagster as its users see it (issue 13 item 1): `nianbao run` runs the named job nianbao_full on the
warehouse's own instance; a UI-style launch (the parse job, then the years sensor) validates every year
the parse found; every asset is catalogued; each year partition has its own metadata and check results."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from dagster import (AssetKey, AssetSelection, DagsterInstance, Definitions, SkipReason, build_sensor_context,
                     define_asset_job)

from conftest import DATA, SEEDS
from assets.catalog import NOT_TABLES, OWNERS, describe
from assets.checks import ROLLUP_IDENTITY, rollup_identity
from pipeline.definitions import CATALOGUED, CHECKS, defs, resources
from pipeline.runner import materialize_all
from pipeline.sensors import FULL, JOBS, SENSORS, full_years_sensor

REPO = Path(__file__).resolve().parents[1]
# 2019, 2023 (the five seeds), 2025: three years, one span, with different numbers of reports
DEVSET = ("012.txt", "002.html", "003.md")


def corpus(root: Path) -> Path:
    raw = root / "raw"
    raw.mkdir(parents=True)
    for p in SEEDS:
        shutil.copy(p, raw / p.name)
    for name in DEVSET:
        shutil.copy(DATA / "devset" / "raw" / name, raw / name)
    return raw


def definitions(raw: Path, wh: Path, jobs=()) -> Definitions:
    """The code location as the UI loads it, on this raw folder and warehouse."""
    return Definitions(assets=CATALOGUED, asset_checks=CHECKS, jobs=[*JOBS, *jobs], sensors=SENSORS,
                       resources=resources(str(raw), str(wh), workers=1))


@pytest.fixture(scope="module")
def years_run(tmp_path_factory):
    """`nianbao run`'s runs (in-process) over three years, on an instance the test can read."""
    root = tmp_path_factory.mktemp("years")
    raw, wh = corpus(root), root / "wh"
    instance = DagsterInstance.ephemeral()
    s = materialize_all(resources(str(raw), str(wh), workers=1), instance)
    assert s.success and s.years == ["2019", "2023", "2025"]
    return raw, wh, instance, s


def materialisations(instance: DagsterInstance, name: str) -> dict[str, dict]:
    """year → the metadata of that year's last materialisation of asset `name`."""
    out = {}
    for r in instance.fetch_materializations(AssetKey(name), limit=100).records:  # newest first
        m = r.asset_materialization
        out.setdefault(m.partition, {k: v.value for k, v in m.metadata.items()})
    return out


def test_nianbao_run_runs_the_named_job_on_the_warehouse_instance(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for p in SEEDS[:2]:
        shutil.copy(p, raw / p.name)
    wh = tmp_path / "wh"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--raw", str(raw), "--out", str(wh)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    home = wh / ".dagster"  # no DAGSTER_HOME: the warehouse's own instance
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    with DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert {r.job_name for r in runs} == {FULL}  # a job of the code location: the UI can re-execute it
        assert len(runs) == 2  # the parse stage, then the year 2023
        years = [r for r in runs if r.tags.get("dagster/asset_partition_range_start")]
        assert [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
                for r in years] == [("2023", "2023")]
        assert instance.get_dynamic_partitions("year") == ["2023"]
    assert FULL in {j.name for j in defs.get_repository_def().get_all_jobs()}


def test_a_ui_launch_validates_every_year_the_parse_found(tmp_path):
    """The UI on a fresh instance: parse_job runs, the years sensor requests nianbao_full over the years the
    parse has just added (they did not exist when the run was launched), and those runs validate them."""
    raw, wh = corpus(tmp_path), tmp_path / "wh"
    d = definitions(raw, wh)
    instance = DagsterInstance.ephemeral()
    assert instance.get_dynamic_partitions("year") == []
    assert d.resolve_job_def("parse_job").execute_in_process(instance=instance).success
    requests = list(full_years_sensor(build_sensor_context(instance=instance, definitions=d)))
    assert [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in requests] == [("2019", "2025")]  # one run over the three years
    for r in requests:
        res = d.resolve_job_def(FULL).execute_in_process(instance=instance, asset_selection=r.asset_selection,
                                                         tags=r.tags)
        assert res.success and res.dagster_run.job_name == FULL
        checked = {(e.check_name, e.partition) for e in res.get_asset_check_evaluations()}
        assert {("conservation", y) for y in ("2019", "2023", "2025")} <= checked
    for year in ("2019", "2023", "2025"):
        assert (wh / "reports" / f"{year}" / "part-0.parquet").exists()
        assert (wh / "rollup_national" / f"{year}" / "part-0.parquet").exists()


def test_the_years_sensor_leaves_nianbao_runs_alone(years_run):
    raw, wh, instance, _ = years_run
    got = list(full_years_sensor(build_sensor_context(instance=instance, definitions=definitions(raw, wh))))
    assert len(got) == 1 and isinstance(got[0], SkipReason) and "nianbao run" in got[0].skip_message


def test_every_asset_is_catalogued(years_run):
    _, wh, _, _ = years_run
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert {"raw_inventory", "parsed_reports", "violations", "reports", "rollup_national", "year_summary"} <= set(specs)
    for name, spec in specs.items():
        assert spec.description and spec.description.strip(), name
        assert list(spec.owners) == OWNERS, name
        assert spec.kinds, name
        assert spec.tags.get("stage") and spec.tags.get("partitioned_by"), name
        assert spec.metadata.get("dagster/code_references"), name
        if name in NOT_TABLES:
            continue
        schema = spec.metadata.get("dagster/column_schema")
        assert schema is not None, f"{name} has no declared column schema"
        declared = {c.name: c for c in schema.columns}
        files = sorted(wh.glob(f"{name}/**/*.parquet"))
        if files:  # the declared schema is what the run wrote
            assert list(declared) == list(pl.read_parquet_schema(files[0])), name
        for c in declared.values():
            assert c.description and c.description == describe(name, c.name), (name, c.name)


def test_each_year_partition_has_its_own_metadata(years_run):
    _, wh, instance, _ = years_run
    for name in ("reports", "applications", "violations", "rollup_province", "rollup_national"):
        got = materialisations(instance, name)
        assert set(got) >= {"2019", "2023", "2025"}, name
        for year in ("2019", "2023", "2025"):
            rows = pl.read_parquet(wh / name / f"{year}" / "part-0.parquet").height
            assert got[year]["dagster/row_count"] == rows, (name, year)
    reports = materialisations(instance, "reports")
    assert reports["2023"]["dagster/row_count"] == 5 != reports["2025"]["dagster/row_count"]
    violations = materialisations(instance, "violations")
    assert violations["2023"]["reports_checked"] == 5 and violations["2019"]["reports_checked"] == 1
    national = materialisations(instance, "rollup_national")
    for year, meta in national.items():  # each year links its own page only
        assert f"summary/{year}/index.html" in meta["summary"]
        assert not [k for k in meta if k.startswith("summary ")]


def test_checks_are_evaluated_per_year(years_run):
    _, _, _, s = years_run
    by_year = {(name, key) for asset, name, key, e in s.checks if asset == "violations"}
    for family in ("applications_rules", "history_warnings", "narrative_warnings"):
        assert {(family, y) for y in ("2019", "2023", "2025")} <= by_year
    for asset, name, key, e in s.checks:
        if name == "conservation":
            assert e.metadata["year"].value == key


def test_rollup_identity_passes_on_a_run_and_fails_on_a_tampered_rollup(years_run, tmp_path):
    raw, wh, instance, s = years_run
    assert [e.passed for a, n, k, e in s.checks if n == ROLLUP_IDENTITY] == [True, True, True]
    tampered = tmp_path / "wh"
    shutil.copytree(wh, tampered, ignore=shutil.ignore_patterns(".dagster"))
    path = tampered / "rollup_national" / "2023" / "part-0.parquet"
    national = pl.read_parquet(path)
    at = national.with_row_index().filter((pl.col("table") == "applications") & pl.col("value").is_not_null())["index"][0]
    national = national.with_columns(pl.when(pl.int_range(pl.len()) == at).then(pl.col("value") + 1)
                                     .otherwise(pl.col("value")).alias("value"))
    national.write_parquet(path)
    job = define_asset_job("identity", selection=AssetSelection.checks(rollup_identity))
    res = definitions(raw, tampered, [job]).resolve_job_def("identity").execute_in_process(
        instance=instance, tags={"dagster/asset_partition_range_start": "2019",
                                 "dagster/asset_partition_range_end": "2025"})
    got = {e.partition: e for e in res.get_asset_check_evaluations()}
    assert got["2019"].passed and got["2025"].passed
    assert not got["2023"].passed and got["2023"].metadata["mismatches"].value == 1
    assert "applications" in got["2023"].metadata["listed"].value
