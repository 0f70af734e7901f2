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


def test_gx_builds_data_docs(seeds, tmp_path):
    gx.run(*seeds, docs_dir=tmp_path / "gx")
    index = list((tmp_path / "gx").rglob("index.html"))
    assert index and "nianbao" in index[0].read_text(encoding="utf-8")
