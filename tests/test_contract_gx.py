"""Great Expectations and pandera agree on which reports break which error rule; the Data Docs page shows
GX's results offline, names reports by file and body, and is the same bytes for the same inputs."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

import altered as X
import browser as B
from contracts import gx
from contracts.gx_docs import render_docs
from contracts.validate import validate

ALTERATIONS = [
    ("000", "applications", "granted", "natural_person", "30"),  # row_total + outcomes_sum
    ("001", "applications", "new_received", "total", "21"),  # row_total + balance
    ("002", "review_litigation", "review", "upheld", "3"),  # group_total
    ("003", "active_disclosure", "licensing", "decisions", "-5"),  # non_negative_integer
]


def pandera_failing(reports, cells) -> dict[str, set[str]]:
    v = validate(reports, cells).violations.filter(pl.col("severity") == "error")
    out: dict[str, set[str]] = {}
    for rid, rule in v.select("report_id", "rule").unique().iter_rows():
        out.setdefault(rule, set()).add(rid)
    return out


def test_gx_and_pandera_agree_on_seeds_and_altered_reports(seeds, ids):
    reports, cells = seeds
    assert gx.run(reports, cells) == pandera_failing(reports, cells) == {}
    for prefix, table, row, col, raw in ALTERATIONS:
        cells = X.set_cell(cells, ids[prefix], table, row, col, raw)
    expected = pandera_failing(reports, cells)
    assert {rid for s in expected.values() for rid in s} == {ids[p] for p, *_ in ALTERATIONS}
    assert gx.run(reports, cells) == expected
    # the Data Docs' one-row-per-report suite fails the same reports for the same rules
    assert {r: ids for r, ids in gx.run(reports, cells, per_report=True).items() if ids} == expected


def external_urls(page: str) -> list[str]:
    """Anything that would make a browser fetch: http(s) URLs, src/href attributes, CSS url() and @import."""
    found = re.findall(r"https?://[^\s\"'<>)]*", page)
    found += re.findall(r"""\b(?:src|href|xlink:href)\s*=\s*["']?[^"'\s>]*""", page)
    return found + re.findall(r"url\(|@import", page)


def test_data_docs_page_names_the_failing_reports_and_rules(seeds, ids):
    reports, cells = seeds
    prefix, table, row, col, raw = ALTERATIONS[0]  # 000: granted/natural_person 30, two rules fail
    cells = X.set_cell(cells, ids[prefix], table, row, col, raw)
    outcomes = gx.validate(reports, cells, per_report=True)
    assert {o.rule for o in outcomes if not o.success} == {"applications.row_total", "applications.outcomes_sum"}
    assert gx.failing(outcomes) == {"applications.row_total": {ids[prefix]}, "applications.outcomes_sum": {ids[prefix]}}
    page = render_docs("2023", outcomes, reports, rules_version="v1", gx_version="1.x")
    assert external_urls(page) == [] and "<script" not in page
    bad = reports.filter(pl.col("report_id") == ids[prefix]).row(0, named=True)
    name = f"{bad['source']} ({bad['body']})"
    failed = re.findall(r'<tr data-rule="([^"]+)" data-success="false">.*?<td class="reports">([^<]*)</td>', page, re.S)
    assert sorted(failed) == sorted([("applications.outcomes_sum", f"{name}: 1"), ("applications.row_total", f"{name}: 1")])
    rows = dict(re.findall(r'<tr data-report="([^"]+)"><td class="name">([^<]+)</td>', page))
    assert rows == {r["report_id"]: f"{r['source']} ({r['body']})" if r["body"] else r["source"]
                    for r in reports.iter_rows(named=True)}  # every report by name, no hash in sight
    assert "行合计：各类申请人之和等于总计" in page and page.count("✗ failed") == 3  # two rules + one report


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The pipeline run twice on the same inputs (seeds 000, 001 and a broken copy of 002), into two warehouses."""
    from conftest import SEEDS
    from pipeline.definitions import resources
    from pipeline.runner import materialize_all

    raw = tmp_path_factory.mktemp("raw")
    for p in SEEDS[:2]:
        shutil.copy(p, raw / p.name)
    broken = SEEDS[2].read_text(encoding="utf-8").replace("一、本年新收政府信息公开申请数量\t\t9",
                                                         "一、本年新收政府信息公开申请数量\t\t19")
    (raw / "broken.txt").write_text(broken, encoding="utf-8")
    out = []
    for _ in range(2):
        wh = tmp_path_factory.mktemp("wh")
        out.append((wh, materialize_all(resources(str(raw), str(wh), workers=1))))
    return out


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_data_docs_asset_writes_one_page_per_year_and_agrees_with_pandera(two_runs):
    """Through the pipeline: one page per year at a fixed path, linked in the metadata, and the check that
    GX and pandera fail the same reports holds on the seeds plus a broken report."""
    wh, s = two_runs[0]
    assert s.success and s.counts["quarantined"] == 1
    agree = [e for asset, name, _, e in s.checks if (asset, name) == ("data_docs", "agrees_with_pandera")]
    assert len(agree) == 1 and agree[0].passed
    assert list(files(wh / "data_docs")) == ["2023/index.html"]  # no run-time folders, no GX store
    page = (wh / "data_docs" / "2023" / "index.html").read_text(encoding="utf-8")
    assert external_urls(page) == []
    failed = dict(re.findall(r'<tr data-rule="([^"]+)" data-success="false">.*?<td class="reports">([^<]*)</td>',
                             page, re.S))
    assert set(failed) == {"applications.row_total", "applications.balance"}
    assert all(v.startswith("broken.txt (修武县人民政府): ") for v in failed.values())


def test_identical_runs_write_identical_data_docs(two_runs):
    (first, _), (second, _) = two_runs
    assert files(first / "data_docs") == files(second / "data_docs")


def test_data_docs_page_shows_its_reports_in_chromium_with_the_network_blocked(two_runs, tmp_path_factory, tmp_path):
    wh, _ = two_runs[0]
    page = wh / "data_docs" / "2023" / "index.html"
    fonts = B.cjk_font_env(tmp_path_factory.mktemp("fonts"))  # for the screenshot's Chinese
    dom = B.dom(page, tmp_path / "profile", fonts)
    names = re.findall(r'<td class="name">([^<]+)</td>', dom)
    assert "broken.txt (修武县人民政府)" in names and len(names) == 3
    assert "applications.row_total" in B.text_of(dom)
    png = tmp_path / "data-docs.png"
    pixels = B.screenshot(page, png, tmp_path / "profile-shot", fonts)
    assert len(set(pixels[i:i + 3] for i in range(0, len(pixels), 3 * 97))) > 2  # drawn, not blank
    if os.environ.get("NIANBAO_SHOTS"):  # a folder to keep the screenshot in, for people to look at
        shots = Path(os.environ["NIANBAO_SHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, shots / "data-docs-2023.png")


def test_the_gx_process_validates_as_the_run_itself_does(seeds, ids):
    """`nianbao run` imports GX in a process of its own (contracts.gx_process): the outcomes it returns are
    the in-process ones; a process that died leaves the validation to the caller; one never used is
    killed at once, mid-import or not."""
    from contracts import gx_process

    reports, cells = seeds
    for prefix, table, row, col, raw in ALTERATIONS:
        cells = X.set_cell(cells, ids[prefix], table, row, col, raw)
    derived = gx.frames(reports, cells, per_report=True)
    here = gx.validate_here(derived)
    assert not all(o.success for o in here)
    gx_process.start()
    try:
        pid = gx_process.pid()
        assert pid is not None and pid != os.getpid()
        assert gx.validate_frames(derived) == here
        os.kill(pid, 9)  # the process dies: the caller validates, with the same outcomes
        assert gx.validate_frames(derived) == here
        assert gx_process.pid() is None  # the dead process is forgotten
    finally:
        gx_process.stop()
    gx_process.start()  # never asked to validate: killed by stop, without waiting for GX's import
    pid = gx_process.pid()
    gx_process.stop()
    assert gx_process.pid() is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
