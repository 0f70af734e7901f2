"""One judge: `nianbao parse --json` / `nianbao check` report, for every fixture, exactly the rows the pipeline
records in its violations dataset for that file (every rule: contracts, narrative, history, duplicates)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from conftest import DATA, SEEDS
from pipeline.definitions import resources
from pipeline.runner import materialize_all

REPO = Path(__file__).resolve().parents[1]
FIELDS = ("rule", "severity", "table", "row", "column", "expected", "actual", "message")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The seeds and the devset, and seed 000 with its stated application count changed (54 → 45 件)."""
    raw = tmp_path_factory.mktemp("raw")
    for p in [*SEEDS, *sorted((DATA / "devset" / "raw").iterdir())]:
        shutil.copy(p, raw / p.name)
    text = SEEDS[0].read_text(encoding="utf-8")
    assert "收到并办理政府信息公开申请54件" in text
    (raw / "narrative.txt").write_text(text.replace("收到并办理政府信息公开申请54件", "收到并办理政府信息公开申请45件"),
                                       encoding="utf-8")
    return raw


@pytest.fixture(scope="module")
def pipeline_violations(folder, tmp_path_factory) -> pl.DataFrame:
    wh = tmp_path_factory.mktemp("wh")
    assert materialize_all(resources(str(folder), str(wh), workers=1)).success
    return pl.scan_parquet(f"{wh}/violations/**/*.parquet").collect()


@pytest.fixture(scope="module")
def pipeline_rows(pipeline_violations) -> dict[str, list[tuple]]:
    return _by_source(pipeline_violations.to_dicts())


@pytest.fixture(scope="module")
def cli_rows(folder) -> dict[str, list[tuple]]:
    files = sorted(str(p) for p in folder.iterdir())
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "parse", "--json", *files], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        rep = json.loads(line)
        rows += [{"source": rep["source"], **v} for v in rep.get("violations", [])]
    return _by_source(rows)


def _by_source(rows: list[dict]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for r in rows:
        out.setdefault(Path(r["source"]).name, []).append(tuple(r[f] for f in FIELDS))
    return {k: sorted(v, key=repr) for k, v in out.items()}


def test_the_cli_reports_what_the_pipeline_records_for_every_fixture(folder, pipeline_rows, cli_rows):
    for p in sorted(folder.iterdir()):
        assert cli_rows.get(p.name, []) == pipeline_rows.get(p.name, []), p.name


def test_a_changed_narrative_figure_is_the_same_warning_in_both(pipeline_rows, cli_rows):
    rules = {r[0] for r in cli_rows.get("narrative.txt", [])}
    assert "narrative.applications_count" in rules
    assert cli_rows["narrative.txt"] == pipeline_rows["narrative.txt"]


def test_check_prints_the_narrative_warning(folder):
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "check", str(folder / "narrative.txt")], cwd=REPO,
                         capture_output=True, text=True).stdout
    assert "narrative.applications_count" in out


# ---------------------------------------------------------------------------------------------
# cross-year: glued 表二 triples decided by the year before, in the CLI as in the pipeline
# ---------------------------------------------------------------------------------------------
GLUED = DATA / "devset" / "raw" / "006.txt"  # 平潭 2021: 行政规范性文件 printed as the digit run "693665"


def _series(folder: Path, years: tuple[int, ...]) -> list[Path]:
    """One body's glued reports: 2021 with its triple printed apart (69/3/599), 2022 glued "693665" (10
    readings; only 69/3/665 continues 599), 2023 glued "122675" (only 12/2/675 continues 665)."""
    src = GLUED.read_text(encoding="utf-8")
    assert "行政规范性文件693665" in src
    texts = {
        2021: src.replace("行政规范性文件693665", "行政规范性文件69 3 599"),
        2022: src.replace("2022", "2023").replace("2021", "2022"),
        2023: src.replace("2022", "2024").replace("2021", "2023").replace("行政规范性文件693665", "行政规范性文件122675"),
    }
    out = []
    for y in years:
        p = folder / f"{y}.txt"
        p.write_text(texts[y], encoding="utf-8")
        out.append(p)
    return out


def _parse(files: list[Path]) -> dict[int, dict]:
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "parse", "--json", *map(str, files)], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    return {json.loads(line)["year"]: json.loads(line) for line in out.splitlines()}


def test_glued_triples_of_three_years_are_decided_as_the_pipeline_decides_them(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    got = _parse(_series(raw, (2021, 2022, 2023)))
    assert got[2022]["active_disclosure"]["normative_documents"] == {"issued": 69, "repealed": 3, "in_force": 665}
    assert got[2023]["active_disclosure"]["normative_documents"] == {"issued": 12, "repealed": 2, "in_force": 675}
    assert not [v for y in (2022, 2023) for v in got[y]["violations"] if v["rule"] == "structure.tables_present"
                and v["row"] == "normative_documents"]
    assert materialize_all(resources(str(raw), str(tmp_path / "wh"), workers=1)).success
    items = pl.scan_parquet(f"{tmp_path}/wh/active_disclosure/**/*.parquet").collect().filter(
        pl.col("item") == "normative_documents").sort("year")
    assert items.select("year", "issued", "repealed", "in_force").rows() == [
        (2021, 69, 3, 599), (2022, 69, 3, 665), (2023, 12, 2, 675)]


def test_a_missing_year_leaves_the_next_triple_undecided(tmp_path):
    got = _parse(_series(tmp_path, (2021, 2023)))  # 2022 missing: nothing decides 2023's run, nothing is guessed
    assert got[2023]["active_disclosure"]["normative_documents"] == {"issued": None, "repealed": None, "in_force": None}
    assert [v for v in got[2023]["violations"] if v["rule"] == "structure.tables_present"
            and v["row"] == "normative_documents"]


def test_check_on_a_folder_judges_its_files_as_the_pipeline_does(folder, pipeline_rows):
    """`nianbao check DIR` / `parse --json DIR`: the folder's input files, judged together."""
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "parse", "--json", str(folder)], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    rows = [{"source": json.loads(line)["source"], **v} for line in out.splitlines()
            for v in json.loads(line).get("violations", [])]
    assert len(out.splitlines()) == len(list(folder.iterdir()))
    assert _by_source(rows) == {k: v for k, v in pipeline_rows.items() if v}
    check = subprocess.run([sys.executable, "-m", "pipeline.cli", "check", str(folder)], cwd=REPO,
                           capture_output=True, text=True)
    assert "narrative.txt" in check.stdout and "cannot read file" not in check.stdout


def test_check_prints_where_each_culprit_was_printed_as_the_pipeline_records_it(folder, pipeline_violations):
    """Every finding located in the violations dataset (printed, line, page) is printed so by `nianbao check`."""
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "check", str(folder)], cwd=REPO,
                         capture_output=True, text=True).stdout
    blocks, name = {}, None  # file name → its finding lines
    for line in out.splitlines():
        if not line.startswith(" "):
            name = line.split()[1]
        else:
            blocks.setdefault(name, []).append(line)
    located = pipeline_violations.filter(pl.col("printed").is_not_null())
    assert located.height
    for v in located.to_dicts():
        cell = "/".join(x for x in (v["table"], v["row"], v["column"]) if x)
        where = f'(printed "{v["printed"]}", ' + (f"page {v['page']})" if v["page"] else f"line {v['line']})")
        mine = blocks[Path(v["source"]).name]
        assert any(f" {v['rule']}  {cell}  " in x and x.endswith(where) for x in mine), (v, mine)
    assert sum(x.count("(printed ") for x in out.splitlines()) == located.height
