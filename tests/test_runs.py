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


PARSE_STATE = ("raw_inventory", "parsed_reports", "parsed_cells", "parsed_prose")  # written in place by the parse, not staged


def published(wh: Path, parse_state: bool = True) -> dict[str, str]:
    """sha256 of every Parquet file of the warehouse: the published datasets and (`parse_state`) the parse's
    own."""
    return {p.relative_to(wh).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(wh.rglob("*.parquet"))
            if parse_state or p.relative_to(wh).parts[0] not in PARSE_STATE}


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


def test_a_run_that_fails_midway_publishes_nothing_and_the_next_run_does_all(tmp_path, monkeypatch):
    """F11: a run that failed in its last years used to leave its first years new and the others old."""
    import assets.summary
    from pipeline.definitions import resources
    from pipeline.runner import materialize_all

    subprocess.run([*EXE, "synth", "--count", "40", "--out", str(tmp_path / "syn"), "--seed", "7",
                    "--error-rate", "0", "--formats", "txt", "--years", "2021-2023"], check=True, capture_output=True)
    raw, wh = tmp_path / "syn" / "raw", tmp_path / "wh"
    assert materialize_all(resources(str(raw), str(wh), workers=1)).success
    before = published(wh, parse_state=False)
    for year in ("2021", "2023"):  # a change in the first and the last year of the run
        p = sorted((raw / year).rglob("*.txt"))[0]
        p.write_text(p.read_text(encoding="utf-8").replace("。", "；", 1), encoding="utf-8")
    render = assets.summary.render_html

    def fail_2023(figures):
        if str(figures.year) == "2023":
            raise RuntimeError("the year page could not be written")
        return render(figures)

    monkeypatch.setattr(assets.summary, "render_html", fail_2023)
    failed = materialize_all(resources(str(raw), str(wh), workers=1))
    assert not failed.success
    assert published(wh, parse_state=False) == before  # 2021's new outputs were staged, never published
    assert not list((wh / ".staging").iterdir())
    monkeypatch.setattr(assets.summary, "render_html", render)
    again = materialize_all(resources(str(raw), str(wh), workers=1))
    assert again.success and "2021" in again.years and "2023" in again.years
    assert materialize_all(resources(str(raw), str(tmp_path / "clean"), workers=1)).success
    assert published(wh) == published(tmp_path / "clean")


def test_a_commit_cut_short_is_finished_by_the_next_run(tmp_path):
    from assets import staging

    root = tmp_path / "wh"
    for rel, text in (("reports/2022/part-0.parquet", "old 2022"), ("reports/2023/part-0.parquet", "old 2023")):
        (root / rel).parent.mkdir(parents=True)
        (root / rel).write_text(text)
    area = root / ".staging" / "t1"
    for rel, text in (("reports/2022/part-0.parquet", "new 2022"), ("reports/2023/part-0.parquet", "new 2023"),
                      ("violations/2023/part-0.parquet", "new v")):
        (area / rel).parent.mkdir(parents=True, exist_ok=True)
        (area / rel).write_text(text)
    (root / ".staging" / "t2" / "reports").mkdir(parents=True)  # a run that never committed
    moves = sorted(str(d.relative_to(area)) for d in (d for d in area.glob("*/*") if d.name.isdigit()))
    (area / staging.JOURNAL).write_text(__import__("json").dumps({"moves": moves}))
    # the process died after the first swap
    (area / staging.TRASH / "reports").mkdir(parents=True)
    os.replace(root / "reports/2022", area / staging.TRASH / "reports/2022")
    os.replace(area / "reports/2022", root / "reports/2022")
    done = staging.recover(root)
    assert done == ["finished publishing run t1 (3 year folders)", "discarded the unfinished run t2"]
    assert {str(p.relative_to(root)): p.read_text() for p in root.rglob("*.parquet")} == {
        "reports/2022/part-0.parquet": "new 2022", "reports/2023/part-0.parquet": "new 2023",
        "violations/2023/part-0.parquet": "new v"}
    assert not list((root / ".staging").iterdir())
