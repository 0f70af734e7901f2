"""DOCX files written directly (zipfile + WordprocessingML strings), tables with real merged cells.

A merged cell is what Word writes: the first cell of a horizontal span carries `w:gridSpan`, a
vertical span starts with `<w:vMerge w:val="restart"/>` and continues with a `<w:vMerge/>` cell (same
gridSpan) in each row below. The zip members are stored with a fixed timestamp, so the same report
gives the same bytes.
"""
from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from synth.render import Placed

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DATE = (1980, 1, 1, 0, 0, 0)

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '</Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>')
DOC_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<w:styles xmlns:w="{W_NS}"><w:docDefaults><w:rPrDefault><w:rPr>'
    '<w:rFonts w:ascii="Times New Roman" w:eastAsia="仿宋_GB2312" w:hAnsi="Times New Roman"/>'
    '<w:sz w:val="24"/></w:rPr></w:rPrDefault></w:docDefaults>'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
    '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders>'
    + "".join(f'<w:{s} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
              for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
    + '</w:tblBorders></w:tblPr></w:style></w:styles>')
_HEADING = ("一、", "二、", "三、", "四、", "五、", "六、")


def paragraph(text: str, bold: bool = False, center: bool = False, size: int | None = None) -> str:
    """One w:p with one run (empty text: an empty paragraph)."""
    ppr = '<w:pPr><w:jc w:val="center"/></w:pPr>' if center else ""
    if not text:
        return f"<w:p>{ppr}</w:p>"
    rpr = ("<w:b/>" if bold else "") + (f'<w:sz w:val="{size}"/>' if size else "")
    rpr = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
    return f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def table(ncols: int, cells: list[Placed], widths: list[int] | None = None, content=None, valign: str = "center") -> str:
    """A w:tbl from placed cells (row, col, text, rowspan, colspan); uncovered grid positions get empty cells.

    `content(text)` gives a cell's body XML (default: one paragraph); `valign` is every cell's w:vAlign."""
    nrows = max(r + rs for r, _, _, rs, _ in cells)
    widths = widths or [max(600, 9000 // ncols)] * ncols
    content = content or paragraph
    slots: list[dict[int, str]] = [{} for _ in range(nrows)]
    covered = [[False] * ncols for _ in range(nrows)]

    def tc(c: int, text: str, cs: int, vmerge: str | None) -> str:
        w = sum(widths[c:c + cs])
        pr = f'<w:tcW w:w="{w}" w:type="dxa"/>' + (f'<w:gridSpan w:val="{cs}"/>' if cs > 1 else "")
        if vmerge == "restart":
            pr += '<w:vMerge w:val="restart"/>'
        elif vmerge == "continue":
            pr += "<w:vMerge/>"
        pr += f'<w:vAlign w:val="{valign}"/>'
        return f"<w:tc><w:tcPr>{pr}</w:tcPr>{content(text)}</w:tc>"

    for r, c, text, rs, cs in cells:
        slots[r][c] = tc(c, text, cs, "restart" if rs > 1 else None)
        for i in range(r, r + rs):
            for j in range(c, c + cs):
                covered[i][j] = True
            if i > r:
                slots[i][c] = tc(c, "", cs, "continue")
    for i in range(nrows):
        for j in range(ncols):
            if not covered[i][j]:
                slots[i][j] = tc(j, "", 1, None)
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    rows = "".join("<w:tr>" + "".join(slots[i][j] for j in sorted(slots[i])) + "</w:tr>" for i in range(nrows))
    return ('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
            '<w:tblLayout w:type="fixed"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{rows}</w:tbl>")


def document_xml(blocks: list[tuple[str, str]], grids: dict[str, tuple[int, list[Placed]]]) -> str:
    """word/document.xml: paragraphs (the first one the centred title) and tables, in reading order."""
    parts = []
    for i, (kind, what) in enumerate(blocks):
        if kind == "table":
            ncols, cells = grids[what]
            parts.append(table(ncols, cells))
            parts.append(paragraph(""))
        elif i == 0:
            parts.append(paragraph(what, bold=True, center=True, size=36))
        else:
            parts.append(paragraph(what, bold=what.startswith(_HEADING)))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{"".join(parts)}'
            '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
            '<w:pgMar w:top="1440" w:right="1800" w:bottom="1440" w:left="1800" w:header="851" w:footer="992" '
            'w:gutter="0"/>'
            "</w:sectPr></w:body></w:document>")


def build_docx(blocks: list[tuple[str, str]], grids: dict[str, tuple[int, list[Placed]]]) -> bytes:
    """A DOCX package: content types, relationships, styles and the document."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS),
                           ("word/_rels/document.xml.rels", DOC_RELS), ("word/styles.xml", STYLES),
                           ("word/document.xml", document_xml(blocks, grids))):
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data.encode("utf-8"))
    return buf.getvalue()
