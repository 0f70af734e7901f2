"""Issue 14's acceptance run: a folder holding the fixtures plus every hostile case finishes within a
bounded time (`nianbao run` as users run it), with one outcome per file, and the clean fixtures are
published exactly as when they are alone."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl

from conftest import DATA, SEEDS
from nianbao.batch import report_id
from test_hostile_numbers import GLUED, TEXT
from test_isolation import slow_report

REPO = Path(__file__).resolve().parents[1]
FIXTURES = [*SEEDS, *sorted((DATA / "devset" / "raw").iterdir())]
DATASETS = ("reports", "active_disclosure", "applications", "review_litigation")


def hostile(raw: Path) -> dict[str, str]:
    """Write every hostile case into `raw`; relative path → the outcome expected: failed (with the start of
    the reason) or quarantined."""
    (raw / "big_count.txt").write_text(TEXT.replace("\t110686\n", "\t99999999999999999999\n", 1), encoding="utf-8")
    (raw / "long_glued.txt").write_text(GLUED.replace("本年新收政府信息公开申请数量640020470",
                                                      "本年新收政府信息公开申请数量" + "1" * 50_000, 1), encoding="utf-8")
    (raw / "nested.html").write_text("<html><body>" + "<div>" * 5000 + TEXT.replace("\n", "<br>") + "</div>" * 5000
                                     + "</body></html>", encoding="utf-8")
    slow_report(raw / "slow.txt")
    (raw / "garbage.bin").write_bytes(bytes(range(256)) * 400)
    (raw / "empty.txt").write_bytes(b"")
    pdf = (DATA / "devset" / "raw" / "021.pdf").read_bytes()
    (raw / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    (raw / "utf16.txt").write_bytes(TEXT.replace("巫山县", "奉节县").encode("utf-16-le"))
    os.mkfifo(raw / "pipe.txt")
    (raw / "dangling.txt").symlink_to(raw / "nowhere.txt")
    (raw / "outside.txt").symlink_to(SEEDS[0])
    (raw / "loop_a.txt").symlink_to(raw / "loop_b.txt")
    (raw / "loop_b.txt").symlink_to(raw / "loop_a.txt")
    (raw / ".hidden.txt").write_text(TEXT, encoding="utf-8")
    return {"big_count.txt": "quarantined", "long_glued.txt": "quarantined", "nested.html": "parsed",
            "slow.txt": "failed:parsing took longer than", "garbage.bin": "failed:", "empty.txt": "failed:",
            "truncated.pdf": "failed:", "utf16.txt": "parsed", "pipe.txt": "failed:not a regular file: a FIFO",
            "dangling.txt": "failed:dangling symbolic link", "outside.txt": "failed:symbolic link leading outside",
            "loop_a.txt": "failed:symbolic link loop", "loop_b.txt": "failed:symbolic link loop"}


def run(raw: Path, wh: Path, home: Path) -> subprocess.CompletedProcess:
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "NIANBAO_FILE_TIMEOUT": "0.5"}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--raw", str(raw), "--out", str(wh)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)  # the bound


def published(wh: Path, ids: list[str]) -> dict[str, pl.DataFrame]:
    return {name: pl.scan_parquet(f"{wh}/{name}/**/*.parquet").filter(pl.col("report_id").is_in(ids)).collect()
            .drop("n_warnings", strict=False) for name in DATASETS}


def test_fixtures_and_every_hostile_case_in_one_folder(tmp_path):
    alone, raw = tmp_path / "alone", tmp_path / "raw"
    alone.mkdir()
    raw.mkdir()
    for p in FIXTURES:
        shutil.copy(p, alone / p.name)
        shutil.copy(p, raw / p.name)
    expected = hostile(raw)
    r = run(raw, tmp_path / "wh", tmp_path / "home")
    assert r.returncode in (0, 1), r.stderr[-3000:]
    wh = tmp_path / "wh"
    parsed = pl.read_parquet(wh / "parsed_reports" / "part-0.parquet")
    failures = pl.read_parquet(wh / "parse_failures" / "part-0.parquet")
    validated = set(pl.scan_parquet(f"{wh}/reports/**/*.parquet").collect()["path"])
    errors = set(pl.scan_parquet(f"{wh}/violations/**/*.parquet").filter(pl.col("severity") == "error")
                 .collect()["report_id"])
    inputs = [p.name for p in FIXTURES] + list(expected)
    assert sorted(parsed["path"].to_list() + failures["path"].to_list()) == sorted(inputs)  # one outcome each
    reason = dict(zip(failures["path"], failures["error"]))
    for name, want in expected.items():
        if want.startswith("failed:"):
            assert name in reason and reason[name].startswith(want.removeprefix("failed:")), (name, reason.get(name))
        elif want == "quarantined":
            assert report_id(name) in errors, name
        else:
            assert name in set(parsed["path"]), name
    assert len(validated) + len(errors) + failures.height == len(inputs)
    r2 = run(alone, tmp_path / "wh-alone", tmp_path / "home-alone")
    assert r2.returncode in (0, 1), r2.stderr[-3000:]
    ids = [report_id(p.name) for p in FIXTURES]
    together, by_itself = published(wh, ids), published(tmp_path / "wh-alone", ids)
    for name in DATASETS:
        assert together[name].equals(by_itself[name]), name
