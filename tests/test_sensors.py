"""The sensors: a changed raw folder requests a parse; a parse requests only the years it touched."""
from __future__ import annotations

import shutil

from dagster import DagsterInstance, build_sensor_context

from conftest import SEEDS, DATA
from pipeline.definitions import defs, resources
from assets.resources import RawReports
from pipeline.runner import materialize_all
from pipeline.sensors import changed_years_sensor, raw_files_sensor


def test_raw_files_sensor_fires_on_new_changed_and_removed_files(tmp_path):
    for p in SEEDS[:2]:
        shutil.copy(p, tmp_path / p.name)
    raw = RawReports(root=str(tmp_path))
    first = raw_files_sensor(build_sensor_context(cursor=None), raw=raw)
    assert first.run_key
    ctx = build_sensor_context(cursor=first.run_key)
    assert "unchanged" in raw_files_sensor(ctx, raw=raw).skip_message
    shutil.copy(SEEDS[2], tmp_path / SEEDS[2].name)
    second = raw_files_sensor(build_sensor_context(cursor=first.run_key), raw=raw)
    assert second.run_key and second.run_key != first.run_key
    (tmp_path / SEEDS[0].name).unlink()
    third = raw_files_sensor(build_sensor_context(cursor=second.run_key), raw=raw)
    assert third.run_key not in (first.run_key, second.run_key)


def test_changed_years_sensor_requests_only_touched_years(tmp_path):
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    raw.mkdir()
    shutil.copy(SEEDS[0], raw / "a.txt")  # 2023
    shutil.copy(DATA / "devset" / "raw" / "012.txt", raw / "b.txt")  # 2019
    instance = DagsterInstance.ephemeral()
    materialize_all(resources(str(raw), str(wh), workers=1), instance)
    ctx = build_sensor_context(instance=instance, definitions=defs)
    keys = sorted(r.partition_key for r in changed_years_sensor(ctx))
    assert keys == ["2019", "2023"]

    (raw / "c.txt").write_bytes(SEEDS[1].read_bytes())  # one more 2023 report: only 2023 is touched
    materialize_all(resources(str(raw), str(wh), workers=1), instance)
    keys = sorted(r.partition_key for r in changed_years_sensor(ctx))
    assert keys == ["2023"]
