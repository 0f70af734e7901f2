"""Lay out a hazard document (`hazards.Doc`) as txt, md, HTML, DOCX or PDF, with the hazards it carries.

txt is what pdftotext gives for a PDF (one row per line, cells separated by tabs or spaces, wrapped labels as
fragment lines, vertical labels one character per line, page footers inside tables); md is what PDF/OCR
converters give; HTML is a CMS page with rowspan/colspan grids; DOCX and PDF are gridded tables with merges.
A footnote marker "\\ue000N" in a cell is a raised digit (HTML <sup>, a superscript run in Word, <super> in PDF).
"""
from __future__ import annotations

import io
from html import escape

from synth.hazards import Doc, Row, _spaced

HEADINGS = {"active_disclosure": "二、主动公开政府信息情况", "applications": "三、收到和处理政府信息公开申请情况",
            "review_litigation": "四、政府信息公开行政复议、行政诉讼情况"}
BLOCKS = {"regulations": "（一）", "licensing": "（五）", "penalty": "（六）", "fees": "（八）", "procurement": "（九）",
          "other_external_services": None, "normative_documents": None, "enforcement": None}
CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
RAISED = "\ue000"


def _footer(doc: Doc, page: int, total: int = 9) -> str:
    style = doc.hazards.get("page_split", {}).get("footer", "dash")
    return {"dash": f"- {page} -", "emdash": f"— {page} —", "of_total": f"第{page}页 共{total}页"}[style]


def _plain(cell: str) -> str:
    """A cell as a text layer gives it (a raised marker digit is dropped: never in txt/md)."""
    return cell.split(RAISED)[0]


def _wrap(text: str, k: int) -> list[str]:
    lines = [text[i:i + k] for i in range(0, len(text), k)] or [""]
    if len(lines) > 1 and len(lines[-1]) == 1:
        lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]
    return lines


# ---------------------------------------------------------------------------------------------
# the tables as grids: header rows, label parts with their vertical spans
# ---------------------------------------------------------------------------------------------
def _sp(doc: Doc, text: str) -> str:
    return _spaced(text) if "letter_spaced" in doc.hazards and len(text) <= 8 else text


def _app_headers(doc: Doc) -> list[list[str]]:
    org = ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    return [[CORNER, "申请人情况"], [_sp(doc, "自然人"), "法人或其他组织", _sp(doc, "总计")], [_sp(doc, h) for h in org]]


def _spans(rows: list[Row]) -> list[list[tuple[int, str, int]]]:
    """Per data row, its label parts as (level, text, rowspan): a part spans the rows below it that start deeper."""
    out = []
    for i, row in enumerate(rows):
        cells = []
        for k, (level, text) in enumerate(row.parts):
            span = 1
            if not (row.code or "").endswith("_subtotal"):
                for later in rows[i + 1:]:
                    if later.parts[0][0] <= level:
                        break
                    span += 1
            cells.append((level, text, span))
        out.append(cells)
    return out


def _label_text(doc: Doc, text: str, vertical: bool) -> str:
    if vertical:
        return "\n".join(ch for ch in text if ch != " ")
    w = doc.hazards.get("wrapped_labels")
    return "\n".join(_wrap(text, w["chars_per_line"])) if w else text


def grids(doc: Doc) -> dict[str, tuple[int, list[tuple[int, int, str, int, int]], int]]:
    """name → (ncols, placed cells (row, col, text, rowspan, colspan), header rows to repeat)."""
    vertical = "vertical_group_labels" in doc.hazards
    # table 三
    h = _app_headers(doc)
    cells = [(0, 0, h[0][0], 3, 3), (0, 3, h[0][1], 1, 7), (1, 3, h[1][0], 2, 1), (1, 4, h[1][1], 1, 5),
             (1, 9, h[1][2], 2, 1)] + [(2, 4 + j, t, 1, 1) for j, t in enumerate(h[2])]
    rows = doc.tables["applications"]
    for i, (row, parts) in enumerate(zip(rows, _spans(rows))):
        r = 3 + i
        for k, (level, text, span) in enumerate(parts):
            last = k == len(parts) - 1
            v = vertical and span > 1 and level <= 1
            cells.append((r, level, _label_text(doc, text, v), span, 3 - level if last else 1))
        cells += [(r, 3 + j, c, 1, 1) for j, c in enumerate(row.cells)]
    apps = (10, cells, 3)
    # table 二
    ncols = 4
    cells, r = [], 0
    for row in doc.tables["active_disclosure"]:
        from nianbao import template as T

        item = next(x for x in T.template(doc.template).active_items if x.code == row.code)
        if BLOCKS.get(row.code):
            cells.append((r, 0, f"第二十条第{BLOCKS[row.code]}项", 1, ncols))
            heads = ["信息内容", *[c.label for c in item.columns]]
            cells += [(r + 1, j, t, 1, 1 if j < len(heads) - 1 else ncols - j) for j, t in enumerate(heads)]
            r += 2
        vals = [_label_text(doc, row.label, False), *row.cells]
        cells += [(r, j, t, 1, 1 if j < len(vals) - 1 else ncols - j) for j, t in enumerate(vals)]
        r += 1
    active = (ncols, cells, 0)
    # table 四
    heads = [_sp(doc, t) for t in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")]
    rv = doc.tables["review_litigation"][0].cells
    cells = [(0, 0, "行政复议", 1, 5), (0, 5, "行政诉讼", 1, 10)]
    cells += [(1, j, t, 2, 1) for j, t in enumerate(heads)] + [(1, 5, "未经复议直接起诉", 1, 5), (1, 10, "复议后起诉", 1, 5)]
    cells += [(2, 5 + j, t, 1, 1) for j, t in enumerate(heads * 2)] + [(3, j, t, 1, 1) for j, t in enumerate(rv)]
    return {"active_disclosure": active, "applications": apps, "review_litigation": (15, cells, 3)}


# ---------------------------------------------------------------------------------------------
# txt and md: what a PDF text layer or a converter gives
# ---------------------------------------------------------------------------------------------
def _table_lines(doc: Doc, name: str, sep: str, md: bool) -> list[str]:
    hz = doc.hazards
    wrap = hz.get("wrapped_labels")
    vertical = "vertical_group_labels" in hz

    def line(cells: list[str]) -> str:
        cells = [_plain(c) for c in cells]
        if md:
            return "| " + " | ".join(cells) + " |"
        # Space-separated text cannot show an empty cell: where it had one, nobody (parser or person) can
        # say which column a row's values stand in. Such a document tests only "no wrong number"
        # (tests/test_parser_alignment.py); in the corpus an empty cell is printed as a dash there.
        return sep.join(c if c or sep == "\t" else "—" for c in cells)

    out: list[str] = []
    if name == "review_litigation":
        heads = [_sp(doc, t) for t in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")]
        hdr = [["行政复议", "行政诉讼"], heads + ["未经复议直接起诉", "复议后起诉"], heads * 2]
        if md and "md_short_header" in hz:
            hdr = [["行政复议", "", "", "", "", "行政诉讼"]]
        if md and "md_placeholder_headers" in hz:
            hdr = [[f"数据{j + 1}" for j in range(6)]]
        out += [line(h) for h in hdr]
        out.append(line(doc.tables[name][0].cells))
        return out
    if name == "active_disclosure":
        from nianbao import template as T

        for row in doc.tables[name]:
            item = next(x for x in T.template(doc.template).active_items if x.code == row.code)
            if BLOCKS.get(row.code):
                out.append(line([f"第二十条第{BLOCKS[row.code]}项"]))
                out.append(line(["信息内容", *[c.label for c in item.columns]]))
            out += _data_lines(row.label, row.cells, [], wrap, line, md)
        return out
    rows = doc.tables[name]
    hdr = _app_headers(doc)
    if md and "md_placeholder_headers" in hz:
        hdr = [["", *[f"数据{j + 1}" for j in range(6)]]]
    elif md and "md_short_header" in hz:
        hdr = [["", "申请人情况"], [hdr[1][0], *hdr[2], hdr[1][2]]]
    head_lines = [line(h) for h in hdr]
    out += head_lines
    loose = md and "md_loose_labels" in hz
    per_group = md and "md_table_per_group" in hz
    split_at = len(rows) // 2 if "page_split" in hz else None
    spans = _spans(rows)
    # vertical parts: one character per line (txt) or as a first cell (md), spread over the rows they span
    vchars: dict[int, list[str]] = {}
    if vertical:
        for i, parts in enumerate(spans):
            for level, text, span in parts:
                if span > 1 and level <= 1:
                    chars = [c for c in text if c != " "]
                    for n, ch in enumerate(chars):
                        vchars.setdefault(i + (n * span) // len(chars), []).append(ch)
    if loose:
        out = [row.label for row in rows] + out  # the labels, printed elsewhere as loose lines
    for i, (row, parts) in enumerate(zip(rows, spans)):
        if per_group and i and row.parts[0][0] <= 1:
            out += ["", line(["", "", "", "", "", "", "", ""])]  # a new markdown table, its own (empty) header
        if i == split_at:
            out.append(_footer(doc, 4))
            if not md:
                out += head_lines
        label_parts = [t for lvl, t, span in parts if not (vertical and span > 1 and lvl <= 1)]
        label = " ".join(label_parts)
        pre = vchars.get(i, [])
        if not md:
            out += pre
            pre = []
        if loose:
            out.append(line(row.cells))
            continue
        first = ["".join(pre)] if md and vertical else []
        out += _data_lines(label, row.cells, first, wrap, line, md)
    return out


def _data_lines(label: str, cells: list[str], first: list[str], wrap, line, md: bool) -> list[str]:
    """A row, its label wrapped into fragment lines when the label column is narrow (values on the valign line).

    Only the item label (after the last space) wraps; group labels stay in front of its first fragment."""
    head, _, item = label.rpartition(" ")
    if not wrap or len(item) <= wrap["chars_per_line"]:
        return [line(first + [label, *cells])]
    frags = _wrap(item, wrap["chars_per_line"])
    if head:
        frags[0] = f"{head} {frags[0]}"
    at = {"top": 0, "middle": (len(frags) - 1) // 2, "bottom": len(frags) - 1}[wrap["valign"]]
    blank = [""] * len(cells) if md else []
    return [line(first + [f, *(cells if j == at else blank)]) for j, f in enumerate(frags)]


def _md_fix(lines: list[str]) -> list[str]:
    """A separator line after the first row of each run of table rows."""
    out = []
    for i, ln in enumerate(lines):
        out.append(ln)
        if ln.startswith("|") and (i == 0 or not lines[i - 1].startswith("|")):
            out.append("|" + "---|" * (ln.count("|") - 1))
    return out


def text(doc: Doc, md: bool) -> str:
    sep = "\t" if md or doc.rng.random() < 0.6 else " "
    if not md:
        doc.hazards.setdefault("_layout", {})["separator"] = "tab" if sep == "\t" else "space"
    h = "## " if md else ""
    lines = [("# " if md and i == 0 else "") + t for i, t in enumerate(doc.title_lines)]
    lines += ["", *doc.intro, "", h + "一、总体情况", "本年度政府信息公开工作有序推进，各项工作取得实效。"]
    for name in ("active_disclosure", "applications", "review_litigation"):
        tl = _table_lines(doc, name, sep, md)
        lines += ["", h + HEADINGS[name], *(_md_fix(tl) if md else tl)]
        if name == "applications" and "footnote_markers" in doc.hazards:
            lines.append("注：①②③¹²³为注释序号，详见附注。")
    lines += ["", h + "五、存在的主要问题及改进情况", doc.closing[0], "", h + "六、其他需要报告的事项", doc.closing[1]]
    if doc.date_line:
        lines += ["", *doc.date_line.split("\n")]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------
def _html_cell(doc: Doc, text: str, label: bool) -> str:
    if text == "":
        tok = doc.hazards.get("blank_cells", {}).get("token", "")
        return "<p class='MsoNormal'><span><o:p> </o:p></span></p>" if tok == "<o:p> </o:p>" else tok
    if RAISED in text:
        num, mark = text.split(RAISED)
        return f"{escape(num)}<sup>{mark}</sup>"
    if label and "html_span_per_char" in doc.hazards and "\n" not in text:
        return "".join(f"<span>{escape(c)}</span>" for c in text)
    return "<br/>".join(escape(t) for t in text.split("\n"))


def _html_table(doc: Doc, name: str, ncols: int, cells) -> str:
    nrows = max(r + rs for r, _, _, rs, _ in cells)
    by_row: dict[int, list] = {}
    for cell in cells:
        by_row.setdefault(cell[0], []).append(cell)
    out = []
    mismatch = name == "applications" and "html_header_colspan_mismatch" in doc.hazards
    for r in range(nrows):
        tds = []
        for _, c, t, rs, cs in sorted(by_row.get(r, []), key=lambda x: x[1]):
            if mismatch and r == 1 and cs == 5:
                cs = 4  # the header's colspans disagree with the data rows
            if mismatch and r == 0 and cs == 7:
                cs = 8
            attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            tds.append(f"<td{attrs}>{_html_cell(doc, t, c < 3 and name == 'applications')}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    return "<table border='1' cellspacing='0' class='MsoTableGrid'>\n" + "\n".join(out) + "\n</table>"


def html(doc: Doc) -> str:
    g = grids(doc)
    site = "html_site_page" in doc.hazards
    title = "".join(doc.title_lines)
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>",
           f"<title>{escape(title or doc.site)}</title>"]
    if site:
        out += ["<style>.nav li{display:inline}.article td{border:1px solid #000}</style>",
                "<script>var pageInfo={col:'政府信息公开年报',tags:'行政复议 第二十条 总计'};</script></head><body>",
                f"<div class='top'>{escape(doc.site)}</div><ul class='nav'>"
                + "".join(f"<li><a href='/col/{i}/'>{n}</a></li>" for i, n in
                          enumerate(("首页", "政务公开", "政府信息公开指南", "政府信息公开年报", "互动交流")))
                + "</ul>", "<div class='crumb'>当前位置：首页 &gt; 政务公开 &gt; 政府信息公开年报</div>",
                "<table class='meta'><tr><td>索引号：</td><td>11500000/2024-00017</td><td>发布机构：</td>"
                f"<td>{escape(doc.body)}</td></tr><tr><td>主题分类：</td><td>政务公开</td><td>文号：</td><td></td></tr></table>"]
    else:
        out.append("</head><body>")
    out.append("<div class='article'>")
    if doc.title_lines:
        out.append("<h1>" + "<br/>".join(escape(t) for t in doc.title_lines) + "</h1>")
    out += [f"<p>{escape(p)}</p>" for p in doc.intro]
    out += ["<p><strong>一、总体情况</strong></p>", "<p>本年度政府信息公开工作有序推进，各项工作取得实效。</p>"]
    for name in ("active_disclosure", "applications", "review_litigation"):
        ncols, cells, _ = g[name]
        out += [f"<p><strong>{HEADINGS[name]}</strong></p>", _html_table(doc, name, ncols, cells)]
        if name == "applications" and "footnote_markers" in doc.hazards:
            out.append("<p>注：标注序号的数据详见附注。</p>")
    out += ["<p><strong>五、存在的主要问题及改进情况</strong></p>", f"<p>{doc.closing[0]}</p>",
            "<p><strong>六、其他需要报告的事项</strong></p>", f"<p>{doc.closing[1]}</p>"]
    if doc.date_line:
        out += [f"<p style='text-align:right'>{escape(t)}</p>" for t in doc.date_line.split("\n")]
    out.append("</div>")
    if site:
        out.append("<div class='footer'>主办单位：" + escape(doc.body) + " <a href='/sitemap.html'>网站地图</a></div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------
def _docx_runs(text: str) -> str:
    from xml.sax.saxutils import escape as x

    if RAISED in text:
        num, mark = text.split(RAISED)
        return (f'<w:r><w:t xml:space="preserve">{x(num)}</w:t></w:r>'
                f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:t>{x(mark)}</w:t></w:r>')
    return f'<w:r><w:t xml:space="preserve">{x(text)}</w:t></w:r>' if text else ""


def _docx_table(doc: Doc, ncols: int, cells, valign: str, breaks: bool) -> str:
    from synth.docx import table

    widths = [700 if ncols == 10 and j < 3 and "wrapped_labels" in doc.hazards else max(500, 8600 // ncols)
              for j in range(ncols)]

    def content(text: str) -> str:
        lines = text.split("\n") if text else [""]
        if breaks and len(lines) > 1:  # one paragraph, lines separated by <w:br/>
            return "<w:p>" + "<w:r><w:br/></w:r>".join(_docx_runs(t) for t in lines) + "</w:p>"
        return "".join(f"<w:p>{_docx_runs(t)}</w:p>" for t in lines)

    return table(ncols, cells, widths, content, valign)


def docx(doc: Doc) -> bytes:
    import zipfile

    from synth import docx as D

    g = grids(doc)
    valign = {"top": "top", "middle": "center", "bottom": "bottom"}[doc.hazards.get("wrapped_labels", {}).get("valign", "middle")]
    breaks = doc.rng.random() < 0.4
    if "wrapped_labels" in doc.hazards:
        doc.hazards["wrapped_labels"]["docx_line_breaks"] = breaks
    parts = [D.paragraph(t, bold=True, center=True, size=36) for t in doc.title_lines]
    parts += [D.paragraph(p) for p in doc.intro] + [D.paragraph("一、总体情况", bold=True),
                                                   D.paragraph("本年度政府信息公开工作有序推进，各项工作取得实效。")]
    for name in ("active_disclosure", "applications", "review_litigation"):
        ncols, cells, _ = g[name]
        parts += [D.paragraph(HEADINGS[name], bold=True), _docx_table(doc, ncols, cells, valign, breaks), D.paragraph("")]
    parts += [D.paragraph("五、存在的主要问题及改进情况", bold=True), D.paragraph(doc.closing[0]),
              D.paragraph("六、其他需要报告的事项", bold=True), D.paragraph(doc.closing[1])]
    if doc.date_line:
        parts += [D.paragraph(t) for t in doc.date_line.split("\n")]
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           f'<w:document xmlns:w="{D.W_NS}" xmlns:r="{D.R_NS}"><w:body>{"".join(parts)}'
           '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1200" w:bottom="1440" '
           'w:left="1200" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in (("[Content_Types].xml", D.CONTENT_TYPES), ("_rels/.rels", D.RELS),
                             ("word/_rels/document.xml.rels", D.DOC_RELS), ("word/styles.xml", D.STYLES),
                             ("word/document.xml", xml)):
            info = zipfile.ZipInfo(member, date_time=D._DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data.encode("utf-8"))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------
def pdf(doc: Doc) -> tuple[bytes, dict]:
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from synth.pdf import FONT, check_glyphs, register_font

    register_font()
    size = 7.5 if "page_split" not in doc.hazards else 9
    body = ParagraphStyle("b", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    title = ParagraphStyle("t", parent=body, fontSize=16, leading=24, alignment=1)
    cell = ParagraphStyle("c", fontName=FONT, fontSize=size, leading=size * 1.25)
    wrap = doc.hazards.get("wrapped_labels")
    valign = {"top": "TOP", "middle": "MIDDLE", "bottom": "BOTTOM"}[(wrap or {}).get("valign", "middle")]
    splits: list[str] = []

    def tracked(name: str):
        """A Table class that records that it broke across pages (its split parts are of the same class)."""

        def split(self, aW, aH):
            parts = Table.split(self, aW, aH)
            if len(parts) > 1:
                splits.append(name)
            return parts

        return type("Tracked", (Table,), {"split": split})

    def make_story(safe: bool = False) -> list:
        """`safe`: without the repeated header rows, for a table whose merged header cells are too tall to
        repeat on a page (reportlab cannot lay it out otherwise)."""
        g = grids(doc)
        story = [Paragraph(check_glyphs(t), title) for t in doc.title_lines]
        story += [Paragraph(check_glyphs(p), body) for p in doc.intro]
        story += [Paragraph("一、总体情况", body), Paragraph("本年度政府信息公开工作有序推进，各项工作取得实效。", body)]
        for name in ("active_disclosure", "applications", "review_litigation"):
            ncols, cells, header = g[name]
            if name == "applications" and "page_split" in doc.hazards:
                story.append(Spacer(1, 330))  # the table starts low on the page and breaks onto the next
            story.append(Paragraph(HEADINGS[name], body))
            label_w = (wrap["chars_per_line"] * size + 8) if wrap else 4 * size + 8
            if name == "applications":
                widths = [label_w / 2 if wrap else 16, label_w / 2 if wrap else 40, label_w + (0 if wrap else 110)]
                widths += [(523 - sum(widths)) / 7] * 7
            elif name == "active_disclosure":
                widths = [max(label_w, 60)] + [(523 - max(label_w, 60)) / 3] * 3
            else:
                widths = [523 / 15] * 15
            nrows = max(r + rs for r, _, _, rs, _ in cells)
            data = [[""] * ncols for _ in range(nrows)]
            style = [("FONT", (0, 0), (-1, -1), FONT, size), ("LEADING", (0, 0), (-1, -1), size * 1.25),
                     ("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), valign),
                     ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                     ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
            from reportlab.pdfbase.pdfmetrics import stringWidth

            for r, c, t, rs, cs in cells:
                check_glyphs(t.replace(RAISED, ""))
                room = sum(widths[c:c + cs]) - 6
                if RAISED in t:
                    num, mark = t.split(RAISED)
                    data[r][c] = Paragraph(f"{escape(num)}<super>{mark}</super>", cell)
                elif max(stringWidth(x, FONT, size) for x in t.split("\n")) > room:  # too wide for its cell: wraps
                    k = max(1, int(room // size))
                    data[r][c] = "\n".join(x for part in t.split("\n") for x in _wrap(part, k))
                else:
                    data[r][c] = t
                if rs > 1 or cs > 1:
                    style.append(("SPAN", (c, r), (c + cs - 1, r + rs - 1)))
            story.append(tracked(name)(data, colWidths=widths, style=TableStyle(style),
                                       repeatRows=0 if safe else header))
        story += [Paragraph("五、存在的主要问题及改进情况", body), Paragraph(doc.closing[0], body),
                  Paragraph("六、其他需要报告的事项", body), Paragraph(doc.closing[1], body)]
        if doc.date_line:
            story += [Paragraph(check_glyphs(x), body) for x in doc.date_line.split("\n")]
        return story

    def build(total: int, safe: bool = False) -> tuple[bytes, int]:
        pages = []

        def footer(canvas, d):
            canvas.saveState()
            canvas.setFont(FONT, 9)
            canvas.drawCentredString(A4[0] / 2, 24, check_glyphs(_footer(doc, d.page, total)))
            canvas.restoreState()
            pages.append(d.page)

        splits.clear()

        buf = io.BytesIO()
        old = rl_config.invariant
        rl_config.invariant = 1
        try:
            d = SimpleDocTemplate(buf, pagesize=A4, leftMargin=36, rightMargin=36, topMargin=40, bottomMargin=44,
                                  initialFontName=FONT)
            d.build(make_story(safe), onFirstPage=footer, onLaterPages=footer)
        finally:
            rl_config.invariant = old
        return buf.getvalue(), max(pages)

    from reportlab.platypus.doctemplate import LayoutError

    safe = False
    try:
        data, total = build(9)
    except LayoutError:
        safe = True
        data, total = build(9, safe)
    if doc.hazards.get("page_split", {}).get("footer") == "of_total" and total != 9:
        data, total = build(total, safe)
    return data, {"page_split": {"tables_split": sorted(set(splits)), "pages": total}}


def render(doc: Doc) -> tuple[bytes, dict]:
    """The document's bytes, and hazards found while laying it out (a PDF table that broke across pages)."""
    if doc.fmt in ("txt", "md"):
        return text(doc, doc.fmt == "md").encode("utf-8"), {}
    if doc.fmt == "html":
        return html(doc).encode("utf-8"), {}
    if doc.fmt == "docx":
        return docx(doc), {}
    return pdf(doc)
