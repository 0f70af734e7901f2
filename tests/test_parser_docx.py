"""The DOCX backend on real Word files built from the seed truths: merged cells, narrative, and hostile zips."""
from __future__ import annotations

import io
import random
import re
import zipfile
from decimal import Decimal

import pytest

from conftest import SEEDS, truth_of
from nianbao import template as T
from nianbao.parsers.docx import docx_text
from nianbao.parsers.text import parse_text
from nianbao.report import ParseError
from synth.render import report_blocks, report_grids

HEADINGS = {"active_disclosure": "二、主动公开政府信息情况", "applications": "三、收到和处理政府信息公开申请情况",
            "review_litigation": "四、政府信息公开行政复议、行政诉讼情况"}
_LEVEL = (re.compile(r"^[一二三四五六七八九十]、"), re.compile(r"^（[一二三四五六七八九十]）"), re.compile(r"^\d+\."))


# ---------------------------------------------------------------------------------------------
# The report as grids of merged cells (shared with test_parser_pdf.py)
# ---------------------------------------------------------------------------------------------
def synthetic_2019(seed: int = 7) -> dict:
    """A 2019-template report with random values, blanks and signed changes (the seeds are all 2021)."""
    rnd = random.Random(seed)
    tpl = T.template("2019")

    def val(kind):
        if rnd.random() < 0.1:
            return None
        if kind == "decimal":
            return str(Decimal(rnd.randint(0, 10**6)) / 1000)
        return rnd.randint(-300, 300) if kind == "signed" else rnd.choice([0, 0, 1, 7, 42, 1234, 56789])

    active = {i.code: {c.code: val(c.kind) for c in i.columns} for i in tpl.active_items}
    apps = {r: [val("count") for _ in T.APPLICANT_CODES] for r in tpl.application_codes}
    review = {g.code: [val("count") for _ in T.REVIEW_CODES] for g in T.REVIEW_GROUPS}
    return {"title": "测试县人民政府2020年政府信息公开工作年度报告", "year": 2020, "template": "2019", "body": "测试县人民政府",
            "active_disclosure": active, "applications": apps, "review_litigation": review}


def _num(v):
    return None if v is None else Decimal(str(v))


def assert_report_matches(text: str, truth: dict, fmt: str):
    """Parse `text` and compare every truth cell, the year, the template, the title and the body."""
    rep = parse_text(text, f"x.{fmt}", fmt)
    assert (rep.template, rep.year) == (str(truth["template"]), truth["year"]), rep.notes
    got = rep.tables_json()
    misses = []
    for item, cols in truth["active_disclosure"].items():
        misses += [f"active_disclosure/{item}/{c}: truth {v!r} got {got['active_disclosure'][item][c]!r}"
                   for c, v in cols.items() if _num(got["active_disclosure"][item][c]) != _num(v)]
    for table in ("applications", "review_litigation"):
        for row, vals in truth[table].items():
            misses += [f"{table}/{row}/{j}: truth {v!r} got {got[table][row][j]!r}"
                       for j, v in enumerate(vals) if _num(got[table][row][j]) != _num(v)]
    assert not misses, "\n".join(misses[:40])
    assert rep.title == truth["title"]
    assert rep.body == truth["body"]
    lines = text.splitlines()
    for c in rep.cells:  # every value points at the line it was printed on
        assert c.raw is not None and c.raw in lines[c.line - 1], (c, lines[c.line - 1])
    return rep


# ---------------------------------------------------------------------------------------------
# DOCX files
# ---------------------------------------------------------------------------------------------
def build_docx(truth: dict) -> bytes:
    """A Word file of the report: headings and narrative paragraphs, the tables with real merged cells."""
    import docx

    doc = docx.Document()
    grids = report_grids(truth)
    for kind, what in report_blocks(truth):
        if kind == "p":
            doc.add_paragraph(what)
            continue
        ncols, cells = grids[what]
        nrows = max(r + rs for r, _, _, rs, _ in cells)
        table = doc.add_table(rows=nrows, cols=ncols)
        table.style = "Table Grid"
        grid = table._cells  # once: table.cell() rebuilds the whole grid on every call
        for r, c, text, rs, cs in cells:
            grid[r * ncols + c].text = text
            if rs > 1 or cs > 1:
                grid[r * ncols + c].merge(grid[(r + rs - 1) * ncols + c + cs - 1])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


CASES = [pytest.param(p, id=p.stem[:3]) for p in SEEDS] + [pytest.param(None, id="2019")]


def _truth(seed):
    """The truth of a seed report, or (None) the synthetic 2019-template report."""
    return synthetic_2019() if seed is None else truth_of(seed)


@pytest.mark.parametrize("path", CASES)
def test_docx_reproduces_every_truth_cell(path):
    truth = _truth(path)
    data = build_docx(truth)
    assert b"w:vMerge" in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    text = docx_text(data)
    assert_report_matches(text, truth, "docx")


def test_docx_rows_are_tab_lines_with_merges_once():
    """Merged cells: horizontal once, vertical continuation as an empty cell; paragraphs are lines."""
    truth = truth_of(SEEDS[0])
    lines = docx_text(build_docx(truth)).splitlines()
    assert lines[0] == truth["title"]
    assert "二、主动公开政府信息情况" in lines and "六、其他需要报告的事项" in lines
    corner = next(i for i, line in enumerate(lines) if line.startswith("（本列数据的勾稽关系"))
    assert lines[corner].split("\t")[1:] == ["申请人情况"]  # spans of 3 and 7 columns, each once
    assert lines[corner + 1] == "\t自然人\t法人或其他组织\t总计"
    assert lines[corner + 2] == "\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t"
    granted = lines[corner + 5].split("\t")
    assert granted[:2] == ["三、本年度办理结果", "（一）予以公开"]
    assert granted[2:] == [str(v) for v in truth["applications"]["granted"]]
    partial = lines[corner + 6].split("\t")
    assert partial[0] == "" and partial[1].startswith("（二）部分公开") and len(partial) == 9
    secret = lines[corner + 8].split("\t")
    assert secret[:2] == ["", ""] and secret[2] == "2.其他法律行政法规禁止公开"


def test_docx_text_details():
    """w:tab is a space, w:br nothing, tab-stop definitions nothing, mc:Fallback not repeated, nested tables
    flattened, a vertically merged continuation cell empty whatever it holds."""
    body = (
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="420"/></w:tabs></w:pPr>'
        '<w:r><w:t>第二十条</w:t><w:tab/><w:t>第（一）项</w:t><w:br/><w:t>续</w:t></w:r></w:p>'
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent>'
        '<w:p><w:r><w:t>甲</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict>'
        '<w:txbxContent><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback>'
        '</mc:AlternateContent></w:r></w:p>'
        '<w:sdt><w:sdtContent><w:p><w:r><w:t>控件内</w:t></w:r></w:p></w:sdtContent></w:sdt>'
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>外</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:p><w:r><w:t>说明</w:t></w:r></w:p>'
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>a</w:t></w:r></w:p><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>'
        '</w:tr></w:tbl></w:tc></w:tr></w:tbl>'
        # A vertical merge whose continuation cell still holds text (Word shows only the first cell's).
        '<w:tbl><w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>三、本年度办理结果</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:p><w:r><w:t>5</w:t></w:r></w:p></w:tc></w:tr>'
        '<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p><w:r><w:t>残留</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:p><w:r><w:t>6</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
    )
    assert docx_text(_docx_with(_document(body))).splitlines() == [
        "第二十条 第（一）项续", "甲", "控件内", "外\t", "说明", "ab\t\t1", "三、本年度办理结果\t5", "\t6"]


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _document(body: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            f'<w:document xmlns:w="{W_NS}" xmlns:mc="{MC_NS}"><w:body>{body}</w:body></w:document>').encode()


def _docx_with(document_xml: bytes, name: str = "word/document.xml") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr(name, document_xml)
    return buf.getvalue()


def test_zip_bomb_is_refused_before_inflating():
    """200 MB of zeros deflates to ~200 KB: refused from the declared size, naming the limit."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(200):
                f.write(chunk)
    data = buf.getvalue()
    assert len(data) < 1_000_000
    with pytest.raises(ParseError, match=r"word/document\.xml expands to 200 MB \(limit 50 MB\).*zip bomb"):
        docx_text(data)


def test_zip_bomb_in_another_member_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", _document("<w:p/>"))
        z.writestr("word/media/image1.bin", b"\0" * (40 << 20))
    with pytest.raises(ParseError, match=r"word/media/image1\.bin expands \d+:1 .*limit 200:1"):
        docx_text(buf.getvalue())


def test_member_lying_about_its_size_fails():
    """A member whose header declares 1 KB but inflates to more: read stops at the declared size, CRC fails."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", _document("<w:p><w:r><w:t>" + "字" * 20000 + "</w:t></w:r></w:p>"))
    data = bytearray(buf.getvalue())
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = z.getinfo("word/document.xml")
    # Patch the declared uncompressed size in the local header and the central directory.
    true_size = info.file_size.to_bytes(4, "little")
    data = bytes(data).replace(true_size, (1024).to_bytes(4, "little"))
    with pytest.raises(ParseError, match="cannot be read: Bad CRC-32"):
        docx_text(data)


def test_xml_entities_are_refused_not_expanded():
    lol = '<!DOCTYPE w:document [<!ENTITY a "哈哈哈哈哈哈哈哈哈哈"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    data = _docx_with(_document("<w:p><w:r><w:t>&b;</w:t></w:r></w:p>", prolog=lol))
    with pytest.raises(ParseError, match="XML entities are not allowed"):
        docx_text(data)


@pytest.mark.parametrize("prolog, reason", [
    ('<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "XML entities are not allowed"),
    ('<!DOCTYPE w:document [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>', "XML entities are not allowed"),
    ('<!DOCTYPE w:document SYSTEM "http://127.0.0.1:9/x.dtd">', "DOCTYPE is not allowed"),
], ids=["external-entity", "parameter-entity", "external-dtd"])
def test_doctypes_are_refused(prolog, reason):
    with pytest.raises(ParseError, match=reason):
        docx_text(_docx_with(_document("<w:p><w:r><w:t>x</w:t></w:r></w:p>", prolog=prolog)))


@pytest.mark.parametrize("data, reason", [
    (_docx_with(b"<x/>", name="content.xml"), "no word/document.xml"),
    (b"PK\x03\x04" + b"\0" * 100, "corrupt zip"),
    (b"not a zip at all", "corrupt zip"),
    (_docx_with(b"<w:document><w:body>"), "not well-formed"),
], ids=["other-zip", "truncated", "garbage", "bad-xml"])
def test_not_a_docx_fails_with_a_reason(data, reason):
    with pytest.raises(ParseError, match=reason):
        docx_text(data)
