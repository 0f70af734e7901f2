"""Hostile numbers and shapes (issue 14: F1, F3, F6, F10, F14): a number no published type can hold is a
cell-level failure with its reason, never a run failure nor a rounded value; the glued-cell decoder's
cost is bounded; a deeply nested page reads; a file named twice is judged once."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import DATA, SEEDS
from nianbao import cells as C
from nianbao.parsers import parse_bytes, parse_path
from pipeline.definitions import resources
from pipeline.runner import materialize_all

SEED = SEEDS[0]
TEXT = SEED.read_text(encoding="utf-8")
GLUED = (DATA / "devset" / "raw" / "006.txt").read_text(encoding="utf-8")
REPO = Path(__file__).resolve().parents[1]


def cell(rep, table, row, column):
    return next(c for c in rep.cells if (c.table, c.row, c.column) == (table, row, column))


def test_a_count_beyond_int64_is_an_invalid_cell_with_its_reason_and_the_run_goes_on(tmp_path):
    """F1: it used to fail the whole run (polars cannot hold it in Int64) and `nianbao check` with a traceback."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "big.txt").write_text(TEXT.replace("\t110686\n", "\t99999999999999999999\n", 1), encoding="utf-8")
    (raw / "prose.txt").write_text(TEXT.replace("本报告所列数据", "全年共收到政府信息公开申请99999999999999999999件。本报告所列数据", 1),
                                   encoding="utf-8")
    for p in SEEDS[1:3]:
        (raw / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    s = materialize_all(resources(str(raw), str(tmp_path / "wh"), workers=1))
    assert s.success and s.counts == {"inputs": 4, "validated": 3, "quarantined": 1, "failed": 0}
    v = (pl.scan_parquet(f"{tmp_path}/wh/violations/**/*.parquet")
         .filter((pl.col("source") == "big.txt") & (pl.col("severity") == "error")).collect())
    assert v["rule"].to_list() == ["values.non_negative_integer"]
    assert "number too large for a count (over 2^63-1)" in v["message"][0]
    c = cell(parse_path(raw / "big.txt"), "active_disclosure", "licensing", "decisions")
    assert (c.status, c.value, c.raw) == ("invalid", None, "99999999999999999999")


@pytest.mark.parametrize("printed, status, value", [
    ("811.123456", "value", Decimal("811.123456")),
    ("811.1234560", "value", Decimal("811.1234560")),  # the same number: nothing is lost
    ("811.1234567", "invalid", None),  # would be rounded to 811.123457 in Decimal(38,6)
    ("1" * 33 + ".5", "invalid", None),  # 33 digits before the point
    ("1" * 32, "value", Decimal("1" * 32)),
])
def test_an_amount_is_kept_exactly_or_invalid_never_rounded(printed, status, value):
    """F3: amounts beyond Decimal(38,6) were rounded already in `parse --json` and again in Parquet."""
    rep = parse_bytes(TEXT.replace("\t47617.42\n", f"\t{printed}\n", 1).encode(), "fee.txt")
    c = cell(rep, "active_disclosure", "fees", "amount_10k_yuan")
    assert (c.status, c.value) == (status, value)
    if status == "invalid":
        assert c.note.startswith("amount beyond Decimal(38,6)")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**40))
def test_every_count_is_the_printed_integer_or_invalid(n):
    v = C.read(str(n))
    if n <= C.INT64_MAX:
        assert (v.status, v.value) == ("value", Decimal(n))
    else:
        assert (v.status, v.value) == ("invalid", None) and "too large" in v.note
    assert C.looks_like_value(str(n))  # still a value token: rows are read as printed


@pytest.mark.parametrize("run", ["1" * 2000, " ".join(["1"] * 8000), "1" * 100_000])
def test_the_glued_decoder_is_bounded(run):
    """F6: a 2,000-digit run took hours (the search is polynomial in the run's length); 8,000 cut cells
    seconds. A run no row can hold is ambiguous at once, its note cut to a readable length."""
    text = GLUED.replace("本年新收政府信息公开申请数量640020470", "本年新收政府信息公开申请数量" + run, 1)
    t = time.perf_counter()
    rep = parse_bytes(text.encode(), "glued.txt")
    assert time.perf_counter() - t < 30  # generous: a regression takes minutes to hours
    c = cell(rep, "applications", "new_received", "total")
    assert c.status == "ambiguous" and len(c.note) < 300


def test_a_decimal_point_in_a_glued_count_row_is_not_a_crash():
    """F10: '0.0' in a glued table 三 row raised ValueError in int() ("internal parser error")."""
    text = GLUED.replace("二、上年结转政府信息公开申请数量0000000", "二、上年结转政府信息公开申请数量0.000000", 1)
    rep = parse_bytes(text.encode(), "glued.txt")
    assert cell(rep, "applications", "carried_over", "total").status in ("ambiguous", "invalid")


def test_a_page_nested_thousands_of_elements_deep_reads():
    """F6: about 1,000 nested elements raised RecursionError ("internal parser error")."""
    html = "<html><body>" + "<div>" * 5000 + TEXT.replace("\n", "<br>") + "</div>" * 5000 + "</body></html>"
    rep = parse_bytes(html.encode(), "nested.html")
    assert rep.year == 2023 and cell(rep, "applications", "new_received", "total").status == "value"


def test_a_full_width_year_is_read():
    """F14: ２０２３年 gave year, title and body null."""
    rep = parse_bytes(TEXT.replace("2023", "２０２３").encode(), "fw.txt")
    assert rep.year == 2023 and rep.title and rep.body


def test_a_file_named_twice_is_judged_once():
    """F10: the same path given twice was a traceback."""
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", "parse", "--json", str(SEED), str(SEED)],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1 and json.loads(r.stdout)["year"] == 2023
    assert "given twice" in r.stderr


@pytest.mark.parametrize("printed", ["110686³", "110686①", "110686₂", "110686^3"])
def test_a_footnote_marker_is_never_a_digit(printed):
    """F2: NFKC glued superscript and circled digits onto numbers (110686³ → 1106863)."""
    rep = parse_bytes(TEXT.replace("\t110686\n", f"\t{printed}\n", 1).encode(), "marked.txt")
    c = cell(rep, "active_disclosure", "licensing", "decisions")
    assert (c.status, c.value, c.raw) == ("value", Decimal(110686), printed)
    assert "footnote marker" in c.note


def test_a_sup_marker_in_html_is_never_a_digit():
    """F2: `74<sup>1</sup>` was published as 741."""
    html = "<html><body>" + "".join(
        f"<p>{line}</p>" if "\t" not in line else
        "<table><tr>" + "".join(f"<td>{x}</td>" for x in line.split("\t")) + "</tr></table>"
        for line in TEXT.replace("\t110686\n", "\t110686<sup>1</sup>\n", 1).splitlines()) + "</body></html>"
    rep = parse_bytes(html.encode(), "marked.html")
    c = cell(rep, "active_disclosure", "licensing", "decisions")
    assert c.value == Decimal(110686) and "footnote marker" in (c.note or "")
