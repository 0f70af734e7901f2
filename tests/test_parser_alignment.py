"""Rows by alignment (`nianbao/parsers/align.py`): typos, wrapped labels, collapsed groups, label-less rows,
ties, and the hazard corpus, read with their values in the right rows and never a confident wrong number."""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import DATA
from nianbao import template as T
from nianbao.cells import NOT_PRINTED
from nianbao.parsers import align as A
from nianbao.parsers import parse_bytes
from nianbao.parsers.text import parse_text
from nianbao.parsers.rows import Unit
from nianbao.parsers.tokens import VALUE, Token
from synth.render import render

# 淮安市 2024 (devset 021.pdf): a real report whose rows all differ, rendered one row per line, TAB-separated
TRUTH = json.loads((DATA / "devset" / "truth" / "021.json").read_text(encoding="utf-8"))
TEXT = render("淮安市人民政府2024年政府信息公开工作年度报告",
              {k: TRUTH[k] for k in ("active_disclosure", "applications", "review_litigation")}, "2021", "tab_rows")
APPS = TRUTH["applications"]


def _line_of(label_tail: str) -> str:
    """The seed's line of the row whose label ends in `label_tail`."""
    return next(line for line in TEXT.splitlines() if line.split("\t")[0].endswith(label_tail))


def _values(line: str) -> list[str]:
    return line.split("\t")[1:]


def _apps(text: str) -> dict:
    return parse_text(text, "x.txt").tables_json()["applications"]


@pytest.mark.parametrize("old, typo", [
    ("2.其他法律行政法规禁止公开", "2.其他法律行政止公开"),    # a character missing
    ("4.保护第三方合法权益", "4.保护第三方合法权"),            # the last character missing
    ("2.没有现成信息需要另行制作", "2.没有现成信息需要另外制作"),  # a character wrong
])
def test_label_typo_keeps_its_row(old, typo):
    line = _line_of(old)
    apps = _apps(TEXT.replace(line, line.replace(old, typo)))
    assert apps == _apps(TEXT)


@pytest.mark.parametrize("where", ["top", "middle", "bottom"])
@pytest.mark.parametrize("row, label", [
    ("unavailable_not_held", "1.本机关不掌握相关政府信息"),
    ("other_overdue_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("denied_internal_affairs", "5.属于三类内部事务信息"),
])
def test_wrapped_label_with_values_on_any_of_its_lines(row, label, where):
    """A narrow label column: the label over three lines, the values beside the first, middle or last."""
    line = next(ln for ln in TEXT.splitlines() if T.normalise(ln.split("\t")[0]).endswith(T.normalise(label)[-8:]))
    values = "\t".join(_values(line))
    k = len(label) // 3
    parts = [label[:k], label[k:2 * k], label[2 * k:]]
    at = {"top": 0, "middle": 1, "bottom": 2}[where]
    wrapped = "\n".join(p + ("\t" + values if i == at else "") for i, p in enumerate(parts))
    apps = _apps(TEXT.replace(line, wrapped))
    assert apps == _apps(TEXT)
    assert apps[row] == APPS[row]


def test_collapsed_group_is_a_warning_with_its_rows_not_printed(tmp_path):
    """（六）其他处理 printed as one row of the group's totals, without its 1./2./3. rows."""
    from contracts.validate import validate
    from nianbao.batch import parse_many

    lines = TEXT.splitlines()
    first = next(k for k, ln in enumerate(lines) if "逾期不补正" in ln)
    last = next(k for k, ln in enumerate(lines) if ln.split("\t")[0].endswith("3.其他"))
    totals = [str(sum(APPS[r][j] for r in ("other_overdue_correction", "other_unpaid_fee", "other_misc")))
              for j in range(7)]
    collapsed = "\n".join(lines[:first] + ["（六）其他处理\t" + "\t".join(totals)] + lines[last + 1:]) + "\n"
    rep = parse_text(collapsed, "x.txt")
    cells = {(c.row, c.column): c for c in rep.cells if c.table == "applications"}
    for r in ("other_overdue_correction", "other_unpaid_fee", "other_misc"):
        assert {cells[(r, c)].status for c in T.APPLICANT_CODES} == {NOT_PRINTED}
    assert rep.tables_json()["applications"]["other_subtotal"] == [int(t) for t in totals]
    path = tmp_path / "collapsed.txt"
    path.write_text(collapsed, encoding="utf-8")
    parsed = parse_many([(str(path), "collapsed.txt")], workers=1)
    found = set(validate(parsed.reports, parsed.cells).violations["rule"].to_list())
    assert "structure.collapsed_group" in found
    assert "structure.tables_present" not in found


def _markdown_rows(with_loose_labels: bool) -> str:
    """表三 as OCR gives it: the labels as loose lines, then a table of rows without labels."""
    rows = T.TEMPLATE_2021.application_codes
    labels = {r.code: r.label for r in T.APPLICATIONS_2021}
    out = []
    for line in TEXT.splitlines():
        if line.startswith("三、收到和处理政府信息公开申请情况"):
            break
        out.append(line)
    out.append("三、收到和处理政府信息公开申请情况")
    if with_loose_labels:
        out += [labels[r] for r in rows]
    out += ["| 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |", "|---|---|---|---|---|---|---|"]
    out += ["| " + " | ".join(str(v) for v in APPS[r]) + " |" for r in rows]
    rest = TEXT[TEXT.index("四、政府信息公开行政复议"):] if "四、政府信息公开行政复议" in TEXT else ""
    return "\n".join(out) + "\n" + rest


@pytest.mark.parametrize("loose", [True, False], ids=["loose-labels", "by-order"])
def test_label_less_markdown_rows(loose):
    rep = parse_text(_markdown_rows(loose), "x.md", "markdown")
    apps = rep.tables_json()["applications"]
    assert {r: apps[r] for r in T.TEMPLATE_2021.application_codes} == {r: APPS[r] for r in T.TEMPLATE_2021.application_codes}


def test_label_less_rows_that_do_not_fit_are_not_identified():
    """One row fewer than the template: nothing says which is missing, so none is guessed."""
    text = _markdown_rows(False)
    lines = text.splitlines()
    drop = next(k for k, ln in enumerate(lines) if ln == "| " + " | ".join(str(v) for v in APPS["granted"]) + " |")
    rep = parse_text("\n".join(lines[:drop] + lines[drop + 1:]) + "\n", "x.md", "markdown")
    cells = [c for c in rep.cells if c.table == "applications"]
    assert {c.value for c in cells if c.status == VALUE} <= {Decimal(v) for r in APPS for v in APPS[r]}
    assert any(c.note and A.NOT_IDENTIFIED in c.note for c in cells)
    for c in cells:  # every value read sits in its own row
        if c.status == VALUE:
            assert c.value == APPS[c.row][T.APPLICANT_CODES.index(c.column)]


def _unit(label: str, n: int = 7) -> Unit:
    return Unit(label, 1, [Token(VALUE, "0", 1)] * n, n, own=label)


def test_equal_alignments_are_decided_by_the_arithmetic_only():
    """A printed row that fits two template rows equally well: the identities choose, or nobody does."""
    rows = (T.Row("a", "甲乙丙丁戊", "甲乙丙丁戊$"), T.Row("b", "甲乙丙丁己", "甲乙丙丁己$"))
    units = [_unit("甲乙丙丁")]  # a label cut short: it fits either row
    undecided = A.solve(units, rows, [7, 7])
    assert set(undecided.undecided) == {0, 1} and not undecided.assigned
    assert undecided.undecided[0] == A.NOT_IDENTIFIED
    assert A.solve(units, rows, [7, 7], decide=lambda a: 1 if a.get(0) == 1 else 0).assigned == {0: 1}
    assert A.solve(units, rows, [7, 7], decide=lambda a: 0).assigned == {}


def test_space_separated_row_with_blank_cells_is_never_guessed():
    """'label 3 5 8' where seven cells were printed and four left blank: which columns? Nobody can say."""
    line = _line_of("1.本机关不掌握相关政府信息")
    vals = _values(line)
    spaced = line.split("\t")[0] + " " + " ".join(v for j, v in enumerate(vals) if j in (0, 6))
    text = TEXT.replace(line, spaced).replace("\t", " ")
    rep = parse_text(text, "x.txt")
    row = {c.column: c for c in rep.cells if c.row == "unavailable_not_held"}
    assert all(c.value is None for c in row.values())


def test_every_cell_says_where_it_was_read():
    rep = parse_bytes(TEXT.encode("utf-8"), "x.txt")
    cell = next(c for c in rep.cells if c.row == "granted" and c.column == "total")
    assert cell.line is not None and "予以公开" in cell.label
    assert TEXT.splitlines()[cell.line - 1].split("\t")[-1].strip() == str(APPS["granted"][-1])


# ---------------------------------------------------------------------------------------------
# the hazard corpus: every hazard, every format
# ---------------------------------------------------------------------------------------------
HAS_PDF = importlib.util.find_spec("reportlab") is not None


@pytest.fixture(scope="module")
def hazard_scores(tmp_path_factory):
    from synth import hazards as H

    sys.path.insert(0, str(Path(__file__).parent))
    out = tmp_path_factory.mktemp("hazards") / "c"
    formats = H.FORMATS if HAS_PDF else tuple(f for f in H.FORMATS if f != "pdf")
    H.generate(str(out), 80, seed=11, formats=formats, workers=2)
    n = good = wrong = 0
    years = []
    for t in sorted((out / "truth").glob("*.json")):
        truth = json.loads(t.read_text(encoding="utf-8"))
        raw = next((out / "raw").glob(t.stem + ".*"))
        rep = parse_bytes(raw.read_bytes(), raw.name)
        got = rep.tables_json()
        years.append((rep.year, truth["year"], raw.name))
        for table in ("applications", "review_litigation"):
            for row, vals in truth[table].items():
                for j, v in enumerate(vals):
                    g = (got[table].get(row) or [None] * 7)[j]
                    n += 1
                    good += _same(v, g)
                    wrong += g is not None and not _same(v, g)
        for item, cols in truth["active_disclosure"].items():
            for col, v in cols.items():
                g = got["active_disclosure"][item][col]
                n += 1
                good += _same(v, g)
                wrong += g is not None and not _same(v, g)
    return n, good, wrong, years


def _same(truth, got) -> bool:
    if truth is None or got is None:
        return truth is None and got is None
    s = str(truth)
    t = Decimal(s[:-1]) / 10000 if s.endswith("元") else Decimal(re.sub(",", "", s))
    return t == Decimal(str(got))


def test_hazard_corpus_no_wrong_number(hazard_scores):
    n, good, wrong, _ = hazard_scores
    assert wrong == 0


def test_hazard_corpus_cells(hazard_scores):
    n, good, wrong, _ = hazard_scores
    assert good / n >= 0.99, f"{good}/{n}"


def test_hazard_corpus_year_read_wherever_a_cue_gives_it(hazard_scores):
    assert [(name, got, want) for got, want, name in hazard_scores[3] if got != want] == []
