"""The PDF backend on real PDFs built from the seed truths: gridded tables with merges, split over pages."""
from __future__ import annotations

import io

import pytest

from nianbao.parsers.pdf import pdf_text
from nianbao.report import ParseError
from test_parser_docx import CASES, _truth, assert_report_matches, report_blocks, report_grids

FONT = "STSong-Light"  # reportlab's built-in CID font: no font file, text extractable through its CMap


def _styles():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")


PAD = 3  # cell padding (pt) left and right: two of them are the narrowest gap between two cells' text
SIZE = 6  # table font size


def _looks_like_value(text: str) -> bool:
    return text == "—" or text.replace(".", "").replace("-", "").isdigit()


def _col_widths(ncols: int, cells, tight: bool) -> list[float]:
    """Roomy: fixed, generous widths. Tight: each column as narrow as its numbers (the gap between two
    cells' text is then two paddings, about one em), labels at most 8 characters wide, so that long
    labels and headers wrap inside their cells."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if not tight:
        return {10: [64, 70, 236] + [40] * 7, 15: [44] * 15}.get(ncols, [130] + [110] * (ncols - 1))
    data_rows = {r for r, _, t, _, _ in cells if _looks_like_value(t)}
    widths = [stringWidth("总计数", FONT, SIZE) + 2 * PAD + 1] * ncols  # at least three characters wide
    for r, c, text, rs, cs in cells:
        if cs == 1 and r in data_rows:
            w = stringWidth(text, FONT, SIZE) if _looks_like_value(text) else min(stringWidth(text, FONT, SIZE), 8 * SIZE)
            widths[c] = max(widths[c], w + 2 * PAD + 1)
    for r, c, text, rs, cs in cells:  # spanned values must fit their span
        need = stringWidth(text, FONT, SIZE) + 2 * PAD + 1 - sum(widths[c:c + cs])
        if cs > 1 and r in data_rows and need > 0:
            widths[c + cs - 1] += need
    return widths


def _wrap(text: str, k: int) -> list[str]:
    """Lines of at most k (≥ 3) characters, none of them alone on its line.

    (pdfium drops a text object one glyph wide when it has no outline for the glyph: a CJK character
    in a non-embedded font on a machine without CJK fonts. A real PDF embeds its fonts.)
    """
    lines = [text[i:i + k] for i in range(0, len(text), k)]
    if len(lines) > 1 and len(lines[-1]) == 1:
        lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]
    return lines


def build_pdf(truth: dict, tight: bool = False, rules: str = "GRID") -> bytes:
    """An A4 PDF of the report: narrative paragraphs, tables with spans and "- N -" page footers.

    Roomy (landscape, wide columns): table 三 breaks across pages with its header rows repeated.
    Tight (portrait): columns as narrow as the numbers, values right-aligned, headers wrapped in their cells.
    `rules`: "GRID" (every cell ruled), "BOX" (outer frame only) or "" (no lines).
    """
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    body = _styles()
    small = ParagraphStyle("cell", fontName=FONT, fontSize=SIZE, leading=SIZE * 1.2)
    grids = report_grids(truth)
    story = []
    for kind, name in report_blocks(truth):
        if kind == "p":
            story.append(Paragraph(name, body) if name else Spacer(1, 6))
            continue
        ncols, cells = grids[name]
        widths = _col_widths(ncols, cells, tight)
        nrows = max(r + rs for r, _, _, rs, _ in cells)
        data = [[""] * ncols for _ in range(nrows)]
        style = [("FONT", (0, 0), (-1, -1), FONT, SIZE), *([(rules, (0, 0), (-1, -1), 0.5, "black")] if rules else []),
                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), PAD),
                 ("RIGHTPADDING", (0, 0), (-1, -1), PAD), ("TOPPADDING", (0, 0), (-1, -1), 2),
                 ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
        for r, c, text, rs, cs in cells:
            room = sum(widths[c:c + cs]) - 2 * PAD
            data[r][c] = text
            if stringWidth(text, FONT, SIZE) > room:  # a header too wide for its column wraps, as in Word
                data[r][c] = Paragraph("<br/>".join(_wrap(text, max(3, int(room // SIZE)))), small)
            if rs > 1 or cs > 1:
                style.append(("SPAN", (c, r), (c + cs - 1, r + rs - 1)))
            if tight and _looks_like_value(text):
                style.append(("ALIGN", (c, r), (c, r), "RIGHT"))
        header = 3 if name in ("applications", "review_litigation") else 0
        story.append(Table(data, colWidths=widths, style=TableStyle(style), repeatRows=header))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(canvas._pagesize[0] / 2, 20, f"- {doc.page} -")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4 if tight else landscape(A4),
                            leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=40)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


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
    text = pdf_text(data)
    lines = text.splitlines()
    assert sum("申请人情况" in line for line in lines) == 2, "table 三 should break across pages with its header repeated"
    assert not any(line.strip() in ("- 1 -", "- 2 -") for line in lines)
    assert_report_matches(text, truth, "pdf")


@pytest.mark.parametrize("rules", ["BOX", ""], ids=["frame-only", "no-lines"])
@pytest.mark.parametrize("path", [CASES[0], CASES[-1]])
def test_tables_without_inner_rules_keep_one_line_per_line(path, rules):
    """Without rules between rows a table is not merged into one row: lines stay lines."""
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
