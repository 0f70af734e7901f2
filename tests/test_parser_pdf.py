"""The PDF backend on real PDFs built from the seed truths: gridded tables with merges, split over pages."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from nianbao.parsers.pdf import pdf_text
from nianbao.report import ParseError
from synth.pdf import FONT, _styles, build_pdf  # noqa: F401  (build_pdf: other tests import it from here)
from test_parser_docx import CASES, _truth, assert_report_matches


def test_cid_font_text_is_extractable():
    """The premise: pdfium maps STSong-Light CID glyphs back to Unicode (ToUnicode/UniGB-UCS2 CMap)."""
    from reportlab.pdfgen import canvas

    _styles()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(FONT, 10)
    c.drawString(50, 700, "三、本年度办理结果")
    c.drawString(200, 700, "12")
    c.save()
    assert pdf_text(buf.getvalue()) == "三、本年度办理结果\t12\n"


def test_cell_gap_is_word_padding_not_a_word_space():
    """Word's geometry: body text 12 pt, table text 10.5 pt, cells' text 2 × 0.19 cm = 10.8 pt apart when
    it fills them. Those must split; a printed space inside the title must stay a space."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    _styles()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(FONT, 12)
    c.drawString(72, 760, "修武县人民政府 2023 年政府信息公开工作年度报告")
    for i in range(8):  # enough body text that its characters set the median width
        c.drawString(72, 730 - 18 * i, "本年度共收到政府信息公开申请，办理情况良好，按时答复。")
    c.setFont(FONT, 10.5)
    x = 72.0
    for cell in ("行政许可", "110686", "2", "3080.699"):
        c.drawString(x, 560, cell)
        x += stringWidth(cell, FONT, 10.5) + 2 * 5.4
    c.save()
    lines = pdf_text(buf.getvalue()).splitlines()
    assert lines[0] == "修武县人民政府 2023 年政府信息公开工作年度报告"
    assert lines[-1] == "行政许可\t110686\t2\t3080.699"


@pytest.mark.parametrize("path", CASES)
def test_pdf_tight_columns(path):
    """Numbers filling narrow columns must still split; labels and headers wrapped over several lines
    in their cells, the numbers printed beside the middle line, must come out as one row."""
    truth = _truth(path)
    text = pdf_text(build_pdf(truth, tight=True))
    assert_report_matches(text, truth, "pdf")


@pytest.mark.parametrize("path", CASES)
def test_pdf_reproduces_every_truth_cell(path):
    import pypdfium2 as pdfium

    truth = _truth(path)
    data = build_pdf(truth)
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == 2 and "- 2 -" in pdf[1].get_textpage().get_text_range()
    assert "申请人情况" in pdf[1].get_textpage().get_text_range(), "table 三 should break across pages with its header repeated"
    text = pdf_text(data)
    lines = text.splitlines()
    assert sum("申请人情况" in line for line in lines) == 1, "the repeated header rows are not part of the table"
    assert not any(line.strip() in ("- 1 -", "- 2 -") for line in lines)
    assert_report_matches(text, truth, "pdf")


@pytest.mark.parametrize("rules", ["BOX", ""], ids=["frame-only", "no-lines"])
@pytest.mark.parametrize("path", [CASES[0], CASES[-1]])
def test_tables_without_inner_rules_keep_one_line_per_line(path, rules):
    """Without rules between rows, the whole table is not taken for one row: its rows come out one per line."""
    truth = _truth(path)
    text = pdf_text(build_pdf(truth, rules=rules))
    assert "（七）总计\t" in text and "四、结转下年度继续办理\t" in text
    assert_report_matches(text, truth, "pdf")


def _rotated(data: bytes, rotate: int) -> bytes:
    """The same pages stored portrait with /Rotate, content turned the other way: a viewer shows them as before."""
    import pypdfium2 as pdfium

    src, dest = pdfium.PdfDocument(data), pdfium.PdfDocument.new()
    for i in range(len(src)):
        w, h = src[i].get_size()
        xobj = src.page_as_xobject(i, dest)
        obj = xobj.as_pageobject()
        # Turn the content 90° against the /Rotate, back into the portrait box.
        m = pdfium.PdfMatrix(0, 1, -1, 0, h, 0) if rotate == 90 else pdfium.PdfMatrix(0, -1, 1, 0, 0, w)
        obj.transform(m)
        page = dest.new_page(h, w)
        page.insert_obj(obj)
        page.gen_content()
        page.set_rotation(rotate)
    buf = io.BytesIO()
    dest.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("rotate", [90, 270])
def test_rotated_pages_read_the_same(rotate):
    data = build_pdf(_truth(CASES[0].values[0]))
    rotated = _rotated(data, rotate)
    assert rotated != data
    assert pdf_text(rotated) == pdf_text(data)


def _image_only_pdf() -> bytes:
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    from PIL import Image

    img = Image.new("RGB", (200, 100), "white")
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(img), 50, 600, 200, 100)
    c.showPage()
    c.drawImage(ImageReader(img), 50, 600, 200, 100)
    c.save()
    return buf.getvalue()


def test_scanned_pdf_has_no_text_layer():
    with pytest.raises(ParseError, match=r"no text layer \(scanned PDF\); OCR is not supported"):
        pdf_text(_image_only_pdf())


@pytest.mark.parametrize("data", [b"%PDF-1.7\n" + b"\x8f garbage " * 200, b"%PDF-1.4\n1 0 obj\n<<", b"%PDF"],
                         ids=["garbage", "truncated", "header-only"])
def test_corrupt_pdf_fails_with_pdfiums_reason(data):
    with pytest.raises(ParseError, match=r"PDF cannot be opened: .*PDFium: .*"):
        pdf_text(data)


def test_encrypted_pdf_fails_with_pdfiums_reason():
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    _styles()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=pdfencrypt.StandardEncryption("secret", "owner"))
    c.setFont(FONT, 10)
    c.drawString(50, 700, "三、本年度办理结果")
    c.save()
    with pytest.raises(ParseError, match=r"PDF cannot be opened: .*password"):
        pdf_text(buf.getvalue())


# Tables drawn at known positions (reportlab canvas, an embedded TrueType CJK font), for the geometry:
# blank cells, wrapped labels, merged group labels, page splits, letter spacing, provenance.

_CJK_FONTS = (Path(__file__).resolve().parents[1] / "synth/fonts/NianbaoCJK.ttf",
              Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"))
_REAL = Path(__file__).resolve().parent / "data" / "devset" / "raw" / "021.pdf"
APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")


def _test_font() -> str:
    """Register an embedded CJK TrueType font with digits as "NBTest" (skip when there is none)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "NBTest" in pdfmetrics.getRegisteredFontNames():
        return "NBTest"
    for path in _CJK_FONTS:
        if path.exists():
            font = TTFont("NBTest", str(path))
            if all(ord(ch) in font.face.charToGlyph for ch in "0123456789自"):
                pdfmetrics.registerFont(font)
                return "NBTest"
    pytest.skip("no embeddable CJK TrueType font with digits (synth/fonts/NianbaoCJK.ttf or DroidSansFallbackFull)")


class _Sheet:
    """A ruled or unruled table drawn cell by cell: columns at fixed x, rows from the top down."""

    def __init__(self, xs, size=7.5, rules=True, top=760.0, page=(595.0, 842.0)):
        from reportlab.pdfgen import canvas

        self.font, self.xs, self.size, self.rules, self.y = _test_font(), xs, size, rules, top
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=page)
        self.page = 1

    def text(self, x, y, s, space=0.0, centre=None):
        from reportlab.pdfbase.pdfmetrics import stringWidth

        t = self.c.beginText()
        t.setFont(self.font, self.size)
        t.setCharSpace(space)
        if centre is not None:
            x = centre - (stringWidth(s, self.font, self.size) + space * (len(s) - 1)) / 2
        t.setTextOrigin(x, y)
        t.textOut(s)
        self.c.drawText(t)

    def row(self, cells, lead=9.0, pad=5.0, valign="middle", spans=(), hrule=0, space=0.0):
        """One table row; a cell is a string or a list of its wrapped lines; the first column's text is
        left-aligned, the others centred. `spans`: columns whose left rule is not drawn (a cell spanning
        two); `hrule`: the column where the rule under the row starts (under a merged cell it does not)."""
        n = max(len(c) if isinstance(c, list) else 1 for c in cells)
        height = n * lead + 2 * pad
        for i, cell in enumerate(cells):
            lines = cell if isinstance(cell, list) else [cell]
            first = {"top": 0, "middle": (n - len(lines)) / 2, "bottom": n - len(lines)}[valign] if lines else 0
            for k, line in enumerate(lines):
                y = self.y - pad - (first + k + 0.8) * lead
                if i:
                    self.text(0, y, line, space, centre=(self.xs[i] + self.xs[i + 1]) / 2)
                else:
                    self.text(self.xs[i] + 3, y, line, space)
        if self.rules:
            self.c.setLineWidth(0.5)
            for i, x in enumerate(self.xs):
                if i not in spans:
                    self.c.line(x, self.y, x, self.y - height)
            self.c.line(self.xs[hrule], self.y - height, self.xs[-1], self.y - height)
        self.y -= height
        return self.y + height

    def start(self):
        if self.rules:
            self.c.line(self.xs[0], self.y, self.xs[-1], self.y)

    def footer(self, text):
        self.c.setFont(self.font, 9)
        self.c.drawCentredString(297, 30, text)

    def new_page(self, top=760.0):
        self.c.showPage()
        self.page += 1
        self.y = top

    def pdf(self) -> bytes:
        self.c.save()
        return self.buf.getvalue()


_APPS_XS = [40, 200, 250, 300, 350, 400, 450, 500, 550]


def _apps_header(sheet: _Sheet, space=0.0):
    sheet.start()
    sheet.row(["申请人情况"] + [""] * 7, spans=range(2, 8), space=space)
    sheet.row([""] + list(APPLICANTS), space=space)


@pytest.mark.parametrize("rules", [True, False], ids=["ruled", "unruled"])
def test_blank_cells_stay_in_their_columns(rules):
    """Zeros left blank: every value is in its column, a blank cell is an empty field (trailing ones too)."""
    sheet = _Sheet(_APPS_XS, rules=rules)
    _apps_header(sheet)
    sheet.row(["一、本年新收政府信息公开申请数量", "3", "", "", "", "5", "", "8"])
    sheet.row(["1.属于国家秘密", "2", "", "", "", "", "", "2"])
    sheet.row(["2.重复申请", "", "4", "", "1", "", "", "5"])
    sheet.row(["3.其他", "7", "", "", "", "", "1", ""])
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "一、本年新收政府信息公开申请数量\t3\t\t\t\t5\t\t8" in lines
    assert "1.属于国家秘密\t2\t\t\t\t\t\t2" in lines
    assert "2.重复申请\t\t4\t\t1\t\t\t5" in lines
    assert "3.其他\t7\t\t\t\t\t1\t" in lines


def test_value_of_undecidable_column_is_left_as_printed():
    """Without rules or headers, a value between two columns is not given a column: the row keeps its
    values as printed (no empty fields), so that the parser reports the cells as not read."""
    sheet = _Sheet([40, 200, 240, 280, 320], rules=False)
    sheet.row(["甲项目", "1", "2", "3"])
    sheet.row(["乙项目", "4", "5", "6"])
    y = sheet.row(["丙项目", "", "", ""])
    sheet.text(0, y - 5 - 0.8 * 9, "77", centre=240)  # on the line between the 1st and 2nd value columns
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "甲项目\t1\t2\t3" in lines
    assert "丙项目\t77" in lines


WRAPPED = ["（二）部分公开（区分", "处理的，只计这一情", "形，不计其他情形）"]


@pytest.mark.parametrize("valign", ["top", "middle", "bottom"])
@pytest.mark.parametrize("rules", [True, False], ids=["ruled", "unruled"])
def test_wrapped_label_is_one_row_wherever_its_values_sit(rules, valign):
    """A label wrapped over three lines in a narrow column, its numbers beside the first, middle or last
    line: one line per table row, the label's pieces joined, the numbers on the row they belong to."""
    xs = [40, 120, 170, 220, 270, 320, 370, 420, 470]
    sheet = _Sheet(xs, rules=rules)
    _apps_header(sheet)
    sheet.row(["（一）予以公开", "1", "2", "3", "4", "5", "6", "21"])
    sheet.row([WRAPPED, "7", "", "", "", "", "", "7"], valign=valign)
    sheet.row([["1.属于国家", "秘密"], "9", "", "", "", "", "", "9"], valign=valign)
    sheet.row(["2.重复申请", "8", "", "", "", "", "", "8"])
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "（一）予以公开\t1\t2\t3\t4\t5\t6\t21" in lines
    assert "（二）部分公开（区分处理的，只计这一情形，不计其他情形）\t7\t\t\t\t\t\t7" in lines
    assert "1.属于国家秘密\t9\t\t\t\t\t\t9" in lines
    assert "2.重复申请\t8\t\t\t\t\t\t8" in lines


def test_group_label_in_a_tall_merged_cell_does_not_swallow_rows():
    """A group label printed one character per line in a cell merged over several rows: its own line
    before its first row; the rows it spans keep their own labels and values."""
    xs = [40, 60, 200, 250, 300, 350, 400, 450, 500, 550]
    sheet = _Sheet(xs)
    sheet.start()
    top = sheet.y
    rows = [["1.属于国家秘密", "2", "", "", "", "", "", "2"], ["2.其他法律行政法规禁止公开", "3", "1", "", "", "", "", "4"],
            ["3.危及“三安全一稳定”", "5", "", "", "", "", "", "5"], ["4.保护第三方合法权益", "6", "", "", "", "", "", "6"]]
    for k, r in enumerate(rows):
        sheet.row([""] + r, hrule=0 if k == len(rows) - 1 else 1)  # no rules across the group's cell
    label = "（三）不予公开"
    for k, ch in enumerate(label):  # one character per line, some on the rows' own lines
        sheet.text(xs[0] + 4, top - 8 - k * ((top - sheet.y - 12) / len(label)), ch)
    data = sheet.pdf()
    lines = pdf_text(data).splitlines()
    assert lines.index(label) == lines.index("1.属于国家秘密\t2\t\t\t\t\t\t2") - 1
    assert "2.其他法律行政法规禁止公开\t3\t1\t\t\t\t\t4" in lines
    assert "3.危及“三安全一稳定”\t5\t\t\t\t\t\t5" in lines
    assert "4.保护第三方合法权益\t6\t\t\t\t\t\t6" in lines


@pytest.mark.parametrize("rules", [True, False], ids=["ruled", "unruled"])
def test_letter_spaced_headers_stay_one_cell(rules):
    """Header text spread with character spacing wider than a cell gap ("自 然 人") is one cell."""
    sheet = _Sheet([40, 200] + [285 + 85 * k for k in range(7)], rules=rules, page=(842.0, 595.0), top=520.0)
    _apps_header(sheet, space=6.0)
    sheet.row(["一、本年新收政府信息公开申请数量", "3", "1", "", "", "5", "", "9"])
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "\t".join(APPLICANTS) in lines
    assert "一、本年新收政府信息公开申请数量\t3\t1\t\t\t5\t\t9" in lines


@pytest.mark.parametrize("footer", ["- 1 -", "— 1 —", "第 1 页 共 2 页", "1/2", "1"])
def test_table_split_over_pages(footer):
    """The header rows printed again on the next page and the page-number lines are not in the table; a
    label cell cut by the page break stays in the text; lines keep their reading order across pages."""
    sheet = _Sheet(_APPS_XS)
    _apps_header(sheet)
    sheet.row(["8.属于行政查询事项", "105", "", "", "", "", "", "105"])
    sheet.row(["（四）无 1.本机关不掌握", "746", "12", "", "", "10", "1", "769"])
    sheet.footer(footer)
    sheet.new_page()
    _apps_header(sheet)
    sheet.row(["法提供 2.没有现成信息", "11", "", "", "", "", "", "11"])
    sheet.footer(footer.replace("1", "2", 1))
    lines = pdf_text(sheet.pdf()).splitlines()
    assert sum(line.startswith("申请人情况") for line in lines) == 1
    assert sum(line == "\t".join(APPLICANTS) for line in lines) == 1
    assert lines[-3:] == ["8.属于行政查询事项\t105\t\t\t\t\t\t105", "（四）无 1.本机关不掌握\t746\t12\t\t\t10\t1\t769",
                          "法提供 2.没有现成信息\t11\t\t\t\t\t\t11"]


def test_places_say_where_each_line_was_printed():
    """pdf_extract: one (page, y from the page's top) per line; a table row's is its top."""
    from nianbao.parsers.pdf import pdf_extract

    sheet = _Sheet(_APPS_XS)
    sheet.text(40, 800, "三、收到和处理政府信息公开申请情况")
    _apps_header(sheet)
    sheet.new_page(top=700.0)
    sheet.start()
    row_top = sheet.row([["1.属于国家", "秘密"], "2", "", "", "", "", "", "2"])
    got = pdf_extract(sheet.pdf())
    lines = got.text.splitlines()
    assert got.grid and len(got.places) == len(lines)
    page, y = got.places[lines.index("1.属于国家秘密\t2\t\t\t\t\t\t2")]
    assert page == 2 and y == pytest.approx(842 - row_top, abs=0.6)
    page, y = got.places[0]
    assert page == 1 and 30 < y < 42  # the heading's top: its baseline at 42 pt from the top, less its ascent


def test_real_pdf_applications_rows_carry_seven_value_fields():
    """021.pdf (淮安市 2024, Word export): every 表三 row is one line with its label and 7 values, the
    rows under a merged group label included; the group labels are lines of their own."""
    from nianbao.cells import looks_like_value

    if not _REAL.exists():
        pytest.skip(f"{_REAL} not present")
    lines = pdf_text(_REAL.read_bytes()).splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("一、本年新收政府信息公开申请数量"))
    end = next(k for k, line in enumerate(lines) if line.startswith("四、结转下年度继续办理"))
    rows = [line.split("\t") for line in lines[start:end + 1] if "\t" in line and looks_like_value(line.split("\t")[-1])]
    assert len(rows) == 25
    assert all(all(map(looks_like_value, r[-7:])) and not any(map(looks_like_value, r[:-7])) for r in rows), rows
    assert rows[4] == ["1.属于国家秘密", "2", "0", "0", "0", "0", "0", "2"]
    assert "三、本年度办理结果" in lines[start:end] and "（三）不予公开" in lines[start:end]
    assert rows[22][0] == "3、其他"


def test_wrapped_label_lines_stay_whole_beside_a_vertical_group_label():
    """A label wrapped in a narrow column, beside a group label printed one character per line on a pitch
    half a line off the label's lines: the characters of one printed line do not share a centre exactly
    (glyph boxes, fonts of different ascent), and a group character lying between two label lines must not
    tear a label line in two (the label used to come out as "（二）部分公分处…" + "开（区", "理")."""
    xs = [40, 60, 110, 160, 210, 260, 310, 360, 410, 460]
    sheet = _Sheet(xs)
    sheet.start()
    top = sheet.y
    label = ["（二）部分公", "开（区分处理", "的，只计这一", "情形，不计其", "他情形）"]
    sheet.row(["", "（一）予以公开", "1", "", "", "", "", "", "1"], hrule=1)
    y = sheet.row(["", [""] * len(label), "7", "", "", "", "", "", "7"], valign="top", hrule=1) - 5.0
    for k, line in enumerate(label):  # each line's characters 0.8 pt apart in height, one by one
        x = xs[1] + 3
        for n, ch in enumerate(line):
            sheet.text(x, y - (k + 0.8) * 9.0 + (0.8 if n % 2 else 0.0), ch)
            x += 7.5
    sheet.row(["", "（三）不予公开", "2", "", "", "", "", "", "2"])
    group = "三、本年度办理结果"
    for k, ch in enumerate(group):  # 4.1 pt above the label's lines: nearer to their raised characters
        sheet.text(xs[0] + 6, top - 12 - k * 9.0, ch) if k < 2 else sheet.text(xs[0] + 6, y - (k - 2 + 0.8) * 9.0 + 4.1, ch)
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "（二）部分公开（区分处理的，只计这一情形，不计其他情形）\t7\t\t\t\t\t\t7" in lines
    assert "（一）予以公开\t1\t\t\t\t\t\t1" in lines and "（三）不予公开\t2\t\t\t\t\t\t2" in lines


def test_tall_wrapped_row_beside_a_group_label_is_one_row():
    """A row whose label wraps over seven lines (taller than a row is thought to be) beside a group label
    printed vertically: the label's lines have two text cells (group character, label piece) but are not
    header lines of the row's cell; the row stays one row, and the heading under the table stays apart."""
    xs = [40, 70, 130, 180, 230, 280, 330, 380, 430, 480]
    sheet = _Sheet(xs)
    sheet.start()
    label = ["1.申请人无", "正当理由逾期", "不补正、行政", "机关不再处理", "其政府信息公", "开申请", ""]
    first = sheet.row(["", "（五）其他", "1", "", "", "", "", "", "1"], hrule=1)
    sheet.row(["", label, "2", "", "3", "", "", "", "5"], valign="top", hrule=1)
    sheet.row(["", "3.其他", "4", "", "", "", "", "", "4"])
    for k, ch in enumerate("（六）其他处理"):
        sheet.text(xs[0] + 4, first - 5 - (k + 0.8) * 9.0 - 18, ch)
    sheet.text(40, sheet.y - 20, "四、政府信息公开行政复议、行政诉讼情况")
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t2\t\t3\t\t\t\t5" in lines
    assert lines[-1] == "四、政府信息公开行政复议、行政诉讼情况"
    assert "3.其他\t4\t\t\t\t\t\t4" in lines


RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


@pytest.mark.parametrize("above", [True, False], ids=["under-a-labelled-table", "alone"])
def test_row_of_values_only_keeps_its_leading_blank_cells(above):
    """表四's row of values has no label: a blank first cell, closed by the row's own rules, is a blank
    value (an empty field), not a label column; the left edge of another table's value columns on the
    same page says nothing about this table."""
    sheet = _Sheet(_APPS_XS)
    if above:
        _apps_header(sheet)
        sheet.row(["一、本年新收政府信息公开申请数量", "3", "", "", "", "5", "", "8"])
        sheet.y -= 30
        sheet.text(40, sheet.y + 12, "四、政府信息公开行政复议、行政诉讼情况")
    table = _Sheet([40 + 50 * k for k in range(11)])
    table.c, table.y = sheet.c, sheet.y
    table.start()
    table.row(list(RESULTS * 2))
    table.row(["", "1", "", "2", "3", "", "", "0", "", ""])
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "\t".join(RESULTS * 2) in lines
    assert "\t1\t\t2\t3\t\t\t0\t\t" in lines


def test_labelled_row_with_all_cells_blank_keeps_its_empty_fields():
    """A row whose value cells are all blank (a subtotal printed empty, a row of zeros left blank) is a row
    with one empty field per value column of its table, like its neighbours, not a label line."""
    sheet = _Sheet(_APPS_XS)
    _apps_header(sheet)
    sheet.row(["3.补正后申请内容仍不明确", "1", "", "", "", "", "", "1"])
    sheet.row(["（五）不予处理", "", "", "", "", "", "", ""])
    sheet.row(["1.信访举报投诉类申请", "", "2", "", "", "", "", "2"])
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "（五）不予处理\t\t\t\t\t\t\t" in lines
    assert "1.信访举报投诉类申请\t\t2\t\t\t\t\t2" in lines


def test_group_label_running_over_into_a_row_leaves_the_row_its_columns():
    """The last characters of a vertical group label printed wider than its narrow merged cell run over
    its rule into the first cell of a row: they go to the group label, and the row keeps its cells in
    their columns (it used to come out as printed: "结果（五）不予处理 2 2", its blank cells lost)."""
    xs = [40, 56, 200, 250, 300, 350, 400, 450, 500, 550]
    sheet = _Sheet(xs)
    sheet.start()
    top = sheet.y
    rows = [["1.属于国家秘密", "2", "", "", "", "", "", "2"], ["2.其他法律行政法规禁止公开", "3", "1", "", "", "", "", "4"],
            ["", "2", "", "", "", "", "", "2"], ["1.信访举报投诉类申请", "", "1", "", "", "", "", "1"]]
    for k, r in enumerate(rows):
        y = sheet.row([""] + r, hrule=0 if k == len(rows) - 1 else 1)
        if k == 2:
            sheet.text(xs[0] + 5, y - 5 - 0.8 * 9.0, "结果")  # "果" over the rule at x = 56
            sheet.text(xs[1] + 5, y - 5 - 0.8 * 9.0, "（五）不予处理")  # left-aligned, 1 pt after "果"
    for k, ch in enumerate("三、本年度办理"):
        sheet.text(xs[0] + 4, top - 8 - k * 4.2, ch)
    lines = pdf_text(sheet.pdf()).splitlines()
    assert "1.属于国家秘密\t2\t\t\t\t\t\t2" in lines
    assert "1.信访举报投诉类申请\t\t1\t\t\t\t\t1" in lines
    row = next(line for line in lines if "（五）不予处理" in line).split("\t")
    assert len(row) == 8 and row[0].endswith("（五）不予处理") and row[1:] == ["2", "", "", "", "", "", "2"], row


def test_row_of_few_values_ending_a_page_is_not_a_page_number():
    """表四's row of values last on its page, its cells "1", "2", "3", "0" and blanks: not page 1230 (its
    cells joined), so it is kept; the page's real number line under it is still left out."""
    table = _Sheet([40 + 50 * k for k in range(11)])
    table.start()
    table.row(list(RESULTS * 2))
    table.row(["1", "", "", "2", "3", "", "", "0", "", ""])
    lines = pdf_text(table.pdf()).splitlines()
    assert lines[-1] == "1\t\t\t2\t3\t\t\t0\t\t"
    table = _Sheet([40 + 50 * k for k in range(11)])
    table.start()
    table.row(list(RESULTS * 2))
    table.row(["1", "", "", "2", "3", "", "", "0", "", ""])
    table.footer("- 1 -")
    assert pdf_text(table.pdf()).splitlines()[-1] == "1\t\t\t2\t3\t\t\t0\t\t"
