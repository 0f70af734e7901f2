"""Runs as units (issue 14, F9, F10): one run at a time on a warehouse, and a run killed at any moment
leaves no process behind, is marked failed by the next run, and the next run's warehouse equals a clean
run's bytes."""
from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from conftest import DATA, SEEDS
from assets.lock import warehouse_lock
from assets.warehouse import Warehouse
from test_isolation import _alive, _descendants

REPO = Path(__file__).resolve().parents[1]
EXE = [sys.executable, "-m", "pipeline.cli"]


def corpus(root: Path) -> Path:
    raw = root / "raw"
    raw.mkdir(parents=True)
    for p in SEEDS:
        shutil.copy(p, raw / p.name)
    for p in sorted((DATA / "devset" / "raw").iterdir()):
        shutil.copy(p, raw / p.name)
    return raw


def published(wh: Path) -> dict[str, str]:
    """sha256 of every published Parquet file (the parse staging, whose segment names depend on how the
    parse was batched, left out)."""
    return {p.relative_to(wh).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(wh.rglob("*.parquet"))
            if p.relative_to(wh).parts[0] not in ("parsed_reports", "parsed_cells")}


def nianbao_run(raw: Path, wh: Path, home: Path, *extra: str) -> subprocess.Popen:
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    return subprocess.Popen([*EXE, "run", "--raw", str(raw), "--out", str(wh), *extra], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_second_run_on_a_held_warehouse_refuses_naming_the_holder(tmp_path):
    raw, wh = corpus(tmp_path), tmp_path / "wh"
    with warehouse_lock(Warehouse(root=str(wh)), what="a test"):
        proc = nianbao_run(raw, wh, tmp_path / "home")
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert f"warehouse {wh} in use by a test (pid {os.getpid()}" in " ".join(err.split())


def test_runs_killed_at_random_moments_leave_nothing_behind(tmp_path):
    raw, wh, home = corpus(tmp_path), tmp_path / "wh", tmp_path / "home"
    t = time.monotonic()
    clean = nianbao_run(raw, tmp_path / "clean", tmp_path / "home-clean")
    clean.communicate(timeout=600)
    wall = time.monotonic() - t
    assert clean.returncode in (0, 1)
    rng = random.Random(14)
    killed = 0
    for _ in range(10):
        proc = nianbao_run(raw, wh, home)
        # a moment within the run (start-up, parse, the years); once a run has finished, the next ones
        # have less to do (the years are up to date) and may end before their moment comes
        time.sleep(rng.uniform(0.3, 0.6 * wall))
        family = _descendants(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=600)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in family):
            time.sleep(0.2)
        assert not [p for p in family if _alive(p)], "a process of the killed run is still there"
    assert killed >= 3
    last = nianbao_run(raw, wh, home)
    out, err = last.communicate(timeout=600)
    assert last.returncode in (0, 1), err
    assert published(wh) == published(tmp_path / "clean")
    assert not list(wh.rglob(".*.tmp"))
    os.environ["DAGSTER_HOME"] = str(home)
    with DagsterInstance.from_config(str(home)) as instance:
        stuck = [r.run_id for r in instance.get_runs() if r.status in (DagsterRunStatus.STARTED, DagsterRunStatus.STARTING)]
    assert stuck == []
