"""The PDF backend on real PDFs built from the seed truths: gridded tables with merges, split over pages."""
from __future__ import annotations

import io

import pytest

from nianbao.parsers.pdf import pdf_text
from nianbao.report import ParseError
from nianbao.synth.pdf import FONT, _styles, build_pdf  # noqa: F401  (build_pdf: other tests import it from here)
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
