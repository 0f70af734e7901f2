"""The text parser on real reports: every truth cell of the seeds (and the markdown devset report)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from conftest import DATA, SEEDS, truth_of
from nianbao.parsers import parse_path
from nianbao.parsers.text import parse_text
from nianbao.report import ParseError


def _num(v):
    if v is None:
        return None
    s = str(v)
    return Decimal(s[:-1]) / 10000 if s.endswith("元") else Decimal(s)


def _truth_cells(truth: dict):
    for item, cols in (truth.get("active_disclosure") or {}).items():
        for col, v in cols.items():
            yield ("active_disclosure", item, col), v
    for table in ("applications", "review_litigation"):
        for row, vals in (truth.get(table) or {}).items():
            for j, v in enumerate(vals):
                yield (table, row, j), v


def assert_matches_truth(path: Path):
    truth = truth_of(path)
    rep = parse_path(path)
    got = rep.tables_json()
    misses = []
    for (table, row, col), v in _truth_cells(truth):
        g = got[table][row][col]
        if _num(g) != _num(v):
            misses.append(f"{table}/{row}/{col}: truth {v!r} got {g!r}")
    assert not misses, "\n".join(misses)
    assert rep.year == truth["year"]
    assert rep.template == str(truth["template"])
    return rep, truth


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_reproduces_every_truth_cell(path):
    rep, truth = assert_matches_truth(path)
    assert rep.title == truth["title"]
    assert rep.body == truth["body"]
    assert rep.region == truth["region"]


def test_markdown_ocr_devset_report():
    rep, _ = assert_matches_truth(DATA / "devset" / "raw" / "003.md")
    assert rep.fmt == "markdown"


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem[:3])
def test_every_cell_keeps_raw_text_and_line(path):
    rep = parse_path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    for c in rep.cells:
        assert c.status == "value"
        assert c.line is not None and c.raw is not None
        assert c.raw in lines[c.line - 1], (c, lines[c.line - 1])


def test_does_not_depend_on_line_positions():
    """Extra blank lines, a crawl header and narrative before the tables change nothing but line numbers."""
    path = SEEDS[2]
    text = path.read_text(encoding="utf-8")
    moved = "标题:修武县人民政府 2023 年政府信息公开工作年度报告\n发布时间:2024-01-20\n\n\n" + text.replace("\n\n", "\n\n\n")
    a, b = parse_text(text, "a.txt").tables_json(), parse_text(moved, "b.txt").tables_json()
    assert a == b


def test_gb18030_file_reads_like_utf8(tmp_path):
    src = SEEDS[0]
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(src.read_text(encoding="utf-8").encode("gb18030"))
    assert parse_path(gbk).tables_json() == parse_path(src).tables_json()


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b"\x00\x01\x02binary\x00" * 100, "binary"),
    ("一些文字，但没有任何表格。".encode(), "no report tables"),
    (b"just some english text with no tables", "no Chinese text"),
])
def test_bad_inputs_fail_with_a_precise_reason(tmp_path, content, reason):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(ParseError, match=reason):
        parse_path(p)


def test_missing_table_is_reported_not_invented():
    """Table 三 cut out: the report parses, its cells are 'missing', nothing is made up."""
    text = SEEDS[2].read_text(encoding="utf-8")
    start, end = text.index("三、收到和处理"), text.index("四、政府信息公开行政复议")
    rep = parse_text(text[:start] + text[end:], "cut.txt")
    apps = [c for c in rep.cells if c.table == "applications"]
    assert apps and all(c.status == "missing" and c.value is None for c in apps)
    assert any("applications: table heading not found" in n for n in rep.notes)
    assert {c.status for c in rep.cells if c.table != "applications"} == {"value"}


def test_label_tail_printed_after_its_numbers():
    """PDF/OCR wrap: the end of a long label comes after the row's numbers; the row is still read."""
    text = SEEDS[2].read_text(encoding="utf-8")
    old = ("\t(六) 其他处理\t1. 申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0\n"
           "\t\t2. 申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0")
    new = ("1.申请人无正当理由逾期不补正、行政机关\n0\t0\t0\t0\t0\t0\t1\n不再处理其政府信息公开申请\n"
           "（六）其他处理\t2.申请人逾期未按收费通知要求缴纳费用、\n0\t0\t0\t0\t0\t0\t2\n行政机关不再处理其政府信息公开申请")
    assert old in text
    apps = parse_text(text.replace(old, new), "x.txt").tables_json()["applications"]
    assert apps["other_overdue_correction"] == [0, 0, 0, 0, 0, 0, 1]
    assert apps["other_unpaid_fee"] == [0, 0, 0, 0, 0, 0, 2]
    assert apps["other_misc"] == [0] * 7


DEVSET = DATA / "devset" / "raw"


def test_html_devset_report():
    rep, _ = assert_matches_truth(DEVSET / "002.html")
    assert rep.fmt == "html"


# Cells the glued text alone cannot decide: (report, table 二 item) → why
UNDECIDABLE = {
    ("006", "normative_documents"): "693665: ten readings, no identity (the truth was read from the original page)",
    ("012", "normative_documents"): "listed in the truth's uncertain_cells",
    ("012", "licensing"): "listed in the truth's uncertain_cells",
    ("012", "other_external_services"): "listed in the truth's uncertain_cells",
    ("012", "penalty"): "listed in the truth's uncertain_cells",
    ("012", "enforcement"): "listed in the truth's uncertain_cells",
    ("012", "fees"): "350 reads as 35/0 or 3/50 (上一年项目数量, 本年增/减): no identity decides",
    ("012", "procurement"): "13575394432.52元 reads as 135/75394432.52元 or 13/575394432.52元 …: no identity decides",
}


@pytest.mark.parametrize("name", ["006", "012"])
def test_glued_devset_reports_decode_every_decidable_cell(name):
    path = DEVSET / f"{name}.txt"
    truth = truth_of(path)
    rep = parse_path(path)
    got = rep.tables_json()
    assert rep.template == str(truth["template"]) and rep.year == truth["year"]
    by = {(c.table, c.row, c.column): c for c in rep.cells}
    for (table, row, col), v in _truth_cells(truth):
        g = got[table][row][col]
        if (name, row) in UNDECIDABLE and table == "active_disclosure":
            cell = by[(table, row, col)]
            assert g is None and cell.status == "ambiguous", (row, col)
            reading = "/".join(str(x) for x in truth["active_disclosure"][row].values())
            assert f" {reading} " in f" {cell.note} |", (row, reading, cell.note)  # the truth is among the readings
        else:
            assert _num(g) == _num(v), (table, row, col, v, g)
