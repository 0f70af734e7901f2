"""Great Expectations and pandera agree on which reports break which error rule."""
from __future__ import annotations

import polars as pl
import pytest

import altered as X
from contracts import gx
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


def test_gx_builds_data_docs(seeds, tmp_path):
    gx.run(*seeds, docs_dir=tmp_path / "gx")
    index = list((tmp_path / "gx").rglob("index.html"))
    assert index and "nianbao" in index[0].read_text(encoding="utf-8")


def test_data_docs_asset_writes_docs_and_agrees_with_pandera(tmp_path):
    """Through the pipeline: per-year Data Docs in the warehouse, linked in the metadata, and the check that
    GX and pandera fail the same reports holds on the seeds plus a broken report."""
    import shutil

    from conftest import SEEDS
    from pipeline.definitions import resources
    from pipeline.runner import materialize_all

    raw = tmp_path / "raw"
    raw.mkdir()
    for p in SEEDS[:2]:
        shutil.copy(p, raw / p.name)
    broken = SEEDS[2].read_text(encoding="utf-8").replace("一、本年新收政府信息公开申请数量\t\t9",
                                                         "一、本年新收政府信息公开申请数量\t\t19")
    (raw / "broken.txt").write_text(broken, encoding="utf-8")
    s = materialize_all(resources(str(raw), str(tmp_path / "wh"), workers=1))
    assert s.success and s.counts["quarantined"] == 1
    agree = [e for asset, name, _, e in s.checks if (asset, name) == ("data_docs", "agrees_with_pandera")]
    assert len(agree) == 1 and agree[0].passed
    pages = list((tmp_path / "wh" / "data_docs").rglob("index.html"))
    assert pages, "no Data Docs written"
    html = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "wh" / "data_docs").rglob("*.html"))
    assert "applications.row_total" in html or "applications.balance" in html
