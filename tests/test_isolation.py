"""Per-file isolation of the parse (`nianbao.isolation`): time and memory limits per file, a worker that
dies fails only the file it was reading, and a killed run leaves no parser process behind."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import pytest

import hostile_tasks
from conftest import SEEDS
from nianbao import isolation as I
from nianbao.batch import parse_many, run_chunks

SEED_TEXT = SEEDS[0].read_text(encoding="utf-8")


def slow_report(path: Path) -> Path:
    """A valid report with 60,000 lines of prose: about a second of parsing (under the 8 MB text limit)."""
    prose = "本年度共收到政府信息公开申请54件，予以公开8件，结转下年度继续办理2件，行政复议6件。\n" * 60000
    path.write_text(SEED_TEXT.replace("根据《中华人民共和国", prose + "根据《中华人民共和国", 1), encoding="utf-8")
    return path


def hog_report(path: Path) -> Path:
    """A text report whose one table row has 3.9 million cells: about 1 GB of memory to read."""
    path.write_text("巫山县2023年政府信息公开工作年度报告\n\n收到和处理政府信息公开申请情况\n本年新收政府信息公开申请数量\t"
                    + "1\t" * 3_900_000 + "\n", encoding="utf-8")
    return path


def outcomes(parsed) -> dict[str, str]:
    out = {p: "parsed" for p in parsed.reports["path"].to_list()}
    out.update(dict(zip(parsed.failures["path"].to_list(), parsed.failures["error"].to_list())))
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_over_the_time_limit_fails_alone(tmp_path, monkeypatch, workers):
    monkeypatch.setenv("NIANBAO_FILE_TIMEOUT", "0.4")
    slow = slow_report(tmp_path / "slow.txt")
    items = [(str(slow), "slow.txt")] + [(str(p), p.name) for p in SEEDS[:3]]
    got = outcomes(parse_many(items, workers=workers, batch_size=2))
    assert got.pop("slow.txt").startswith("parsing took longer than 0.4 s")
    assert set(got.values()) == {"parsed"} and len(got) == 3


def test_a_file_over_the_memory_limit_fails_alone(tmp_path, monkeypatch):
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=I.init_worker,
                             initargs=(I.Limits(60, 0), tempfile.mkdtemp())) as pool:
        baseline = pool.submit(hostile_tasks.vm_size_mb).result()
    monkeypatch.setenv("NIANBAO_FILE_MEMORY_MB", str(baseline + 300))
    hog = hog_report(tmp_path / "hog.txt")
    items = [(str(hog), "hog.txt")] + [(str(p), p.name) for p in SEEDS[:3]]
    got = outcomes(parse_many(items, workers=2, batch_size=2))
    assert "memory limit" in got.get("hog.txt", ""), (baseline, got)
    got.pop("hog.txt")
    assert set(got.values()) == {"parsed"} and len(got) == 3


def test_a_worker_that_dies_fails_only_the_file_it_was_reading(tmp_path):
    crash = tmp_path / "crash.txt"
    crash.write_text(SEED_TEXT, encoding="utf-8")
    items = [(str(p), p.name) for p in SEEDS] + [(str(crash), "crash.txt")]
    parsed = run_chunks([items[i:i + 2] for i in range(0, len(items), 2)], partial(hostile_tasks.crash_on_marked), 2)
    got = outcomes(parsed)
    assert got.pop("crash.txt") == "the parser process died while reading this file: SIGKILL " \
                                   "(e.g. over the memory limit, NIANBAO_FILE_MEMORY_MB)"
    assert set(got.values()) == {"parsed"} and len(got) == len(SEEDS)
    assert parsed.n_inputs == len(items)


def _descendants(pid: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    out, todo = set(), [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.add(k)
            todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_run_leaves_no_parser_process(tmp_path):
    slow = [slow_report(tmp_path / f"slow{i}.txt") for i in range(6)]
    script = ("import sys; sys.path.insert(0, %r)\n"
              "from nianbao.batch import parse_many\n"
              "parse_many([(p, p) for p in sys.argv[1:]], workers=2, batch_size=1)\n") % str(Path.cwd())
    proc = subprocess.Popen([sys.executable, "-c", script, *map(str, slow)])
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 3:  # the forkserver and two workers
        time.sleep(0.2)
        workers = _descendants(proc.pid)
    assert len(workers) >= 3, "the pool did not start"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    assert not [p for p in workers if _alive(p)]
