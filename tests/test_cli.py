"""The `nianbao` commands as documented: parse --json, check, run, template, --help."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEEDS, truth_of

EXE = [sys.executable, "-m", "pipeline.cli"]
REPO = Path(__file__).resolve().parents[1]


def nianbao(*args, env=None):
    return subprocess.run([*EXE, *map(str, args)], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)


@pytest.mark.parametrize("cmd", ["parse", "check", "run", "template", "alerts", "synth"])
def test_every_command_has_help(cmd):
    r = nianbao(cmd, "--help")
    assert r.returncode == 0 and "usage: nianbao " + cmd in r.stdout


def test_parse_json_lines_in_truth_shape(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    r = nianbao("parse", "--json", *SEEDS, bad)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["source"] for x in lines] == [p.name for p in SEEDS] + ["bad.txt"]
    assert lines[-1] == {"source": "bad.txt", "error": "empty file"}
    for p, out in zip(SEEDS, lines):
        truth = truth_of(p)
        for key in ("title", "body", "year", "template", "region", "active_disclosure", "applications",
                    "review_litigation"):
            got, want = out[key], truth[key]
            if key == "active_disclosure":
                got = {i: {c: str(v) for c, v in cols.items()} for i, cols in got.items()}
                want = {i: {c: str(v) for c, v in cols.items()} for i, cols in want.items()}
            assert got == want, (p.name, key)
        assert out["violations"] == []
        named = dict(zip(out["columns"]["applications"], out["applications"]["granted"]))  # positions named
        assert named["total"] == sum(v for c, v in named.items() if c != "total")
        assert out["columns"]["review_litigation"][-1] == "total"


def test_parse_cells_gives_provenance():
    out = json.loads(nianbao("parse", "--json", "--cells", SEEDS[1]).stdout)
    cell = next(c for c in out["cells"] if c["row"] == "new_received" and c["column"] == "total")
    assert cell == {"table": "applications", "row": "new_received", "column": "total", "raw": "20", "line": 65,
                    "page": None, "y": None, "label": "一、本年新收政府信息公开申请数量", "status": "value", "note": None}


def test_check_exits_1_on_an_error_and_names_the_cell(tmp_path):
    text = SEEDS[0].read_text(encoding="utf-8").replace("\t（一）予以公开\n\t29\n", "\t（一）予以公开\n\t30\n")
    broken = tmp_path / "broken.txt"
    broken.write_text(text, encoding="utf-8")
    ok = nianbao("check", SEEDS[0])
    assert ok.returncode == 0, ok.stdout
    r = nianbao("check", SEEDS[0], broken)
    assert r.returncode == 1
    assert "QUARANTINED" in r.stdout and "applications.row_total" in r.stdout and "granted" in r.stdout
    out = json.loads(nianbao("parse", "--json", broken).stdout)
    rows = {(v["rule"], v["row"], v["column"], v["expected"], v["actual"]) for v in out["violations"]}
    assert ("applications.row_total", "granted", "total", 32, 31) in rows
    assert ("applications.outcomes_sum", "total_processed", "natural_person", 49, 48) in rows


def test_run_on_a_folder(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for p in SEEDS[:3]:
        shutil.copy(p, raw)
    env = {**__import__("os").environ, "DAGSTER_HOME": str(tmp_path / "home")}
    r = nianbao("run", "--raw", raw, "--out", tmp_path / "wh", "--workers", "1", env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "3 files in: 3 validated, 0 quarantined, 0 failed" in r.stderr
    assert str(tmp_path / "wh" / "applications") in r.stdout
    assert (tmp_path / "wh" / "applications" / "2023" / "part-0.parquet").exists()
    assert (tmp_path / "home" / "dagster.yaml").exists()


def test_template_prints_codes_and_rules():
    r = nianbao("template")
    assert "`other_processing`" in r.stdout and "`applications.balance`" in r.stdout


def test_the_cli_behaves_at_its_edges(tmp_path):
    """A wrong --raw is one line; a reader that leaves early (`| head`) is no traceback; plurals are right."""
    r = nianbao("run", "--raw", tmp_path / "nowhere", "--out", tmp_path / "wh")
    assert r.returncode == 2 and r.stderr.strip() == f"nianbao run: the raw folder {tmp_path / 'nowhere'} does not " \
                                                      "exist or is not a folder"
    proc = subprocess.Popen([*EXE, "check", *map(str, SEEDS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=REPO, text=True)
    proc.stdout.readline()
    proc.stdout.close()  # like `head -1`
    err = proc.stderr.read()
    proc.wait(timeout=300)
    assert "Traceback" not in err and "BrokenPipe" not in err
    broken = tmp_path / "broken.txt"
    broken.write_text(SEEDS[2].read_text(encoding="utf-8").replace("一、本年新收政府信息公开申请数量\t\t9",
                                                                    "一、本年新收政府信息公开申请数量\t\t19"), encoding="utf-8")
    out = nianbao("check", broken).stdout
    assert " 2 errors, 0 warnings" in out or " 1 error, " in out
    assert " 1 errors" not in out and " 1 warnings" not in out
