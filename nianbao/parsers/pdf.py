"""PDF text layer → text lines for the text parser: one line per printed line or table row, cells by TAB.

pypdfium2 gives every character with its box; pdfplumber's table finder is some 70× slower
(HOUSE_STYLE.md). Rows and columns are rebuilt from positions and ruling lines instead
(`pdf_geometry.py`), only on pages that have a line of several cells:

* a table row comes out as ONE line, however its label wraps: its label cells, then one field per
  value column, empty for a blank cell (`Extracted.grid`), or its values as printed when their
  columns cannot be decided;
* a merged group label is a line of its own before its first row; a table's header rows printed again
  at the top of the next page, and page-number lines, are left out;
* every line carries where it was printed: (page, y from the top of the page) of its top.
"""
from __future__ import annotations

import re

from nianbao.parsers import pdf_geometry as G
from nianbao.parsers.extracted import Extracted
from nianbao.report import ParseError

MAX_PAGES = 500  # a report is tens of pages; this bounds the time one hostile file can take
THIN = 2.5  # pt: a filled shape thinner than this is a rule; a wider one is shading, not a border

# Page headers/footers that are only a page number: "- 4 -", "— 4 —", "4", "第 4 页", "第4页 共9页", "4/9".
_PAGE_NUMBER = re.compile(
    r"^[-—–－\s]*\d{1,4}[-—–－\s]*$|^第\s*\d{1,4}\s*页(\s*[/，,]?\s*共\s*\d{1,4}\s*页)?$|^\d{1,4}\s*/\s*\d{1,4}$"
)
_SPACES = (0x20, 0xA0, 0x3000)


def _orient(rotation: int):
    """Page space → reading space (y up) of a page shown turned by /Rotate (landscape tables)."""
    return {0: lambda x, y: (x, y), 90: lambda x, y: (y, -x),
            180: lambda x, y: (-x, -y), 270: lambda x, y: (-y, x)}.get(rotation, lambda x, y: (x, y))


def _chars(textpage, rotation: int) -> list[tuple[float, float, float, float, str]]:
    """(left, right, centre_y, height, char) in reading space; printed spaces as ' ', controls dropped."""
    import pypdfium2.raw as pdfium_c

    # Bound once: this loop runs for every character of the file.
    unicode_of, generated, loose_box = (pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_IsGenerated,
                                        pdfium_c.FPDFText_GetLooseCharBox)
    raw, rect, turn = textpage.raw, pdfium_c.FS_RECTF(), _orient(rotation) if rotation else None
    out = []
    for i in range(pdfium_c.FPDFText_CountChars(raw)):
        code = unicode_of(raw, i)
        if code < 32 or code in (0xFFFE, 0xFFFF):  # \r\n pdfium inserts at line ends; unmapped glyphs
            continue
        if code in _SPACES and generated(raw, i) == 1:
            continue  # pdfium's guess from the gaps; the gaps are measured below instead
        if not loose_box(raw, i, rect):
            continue
        left, right, bottom, top = rect.left, rect.right, rect.bottom, rect.top
        if turn is not None:
            (x0, y0), (x1, y1) = turn(left, bottom), turn(right, top)
            left, right, bottom, top = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        out.append((left, right, (top + bottom) / 2, top - bottom, " " if code in _SPACES else chr(code)))
    return _raised_digits(out)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
SMALL = 0.85  # × the height of the digit before it: a digit printed this much smaller is a raised marker


def _raised_digits(chars: list[tuple[float, float, float, float, str]]) -> list[tuple[float, float, float, float, str]]:
    """A footnote marker printed as a small raised digit right after a number or a dash ("18" + raised "1") is the
    superscript character (¹), on the number's line: the cell policy drops it and notes it, where the
    text layer alone would read 181."""
    small = [k for k, c in enumerate(chars) if c[4].isdigit() and c[4].isascii()]
    if len(small) < 2:
        return chars
    out = list(chars)
    for k in small:
        left, right, y, h, ch = out[k]
        for j in (k - 1, k - 2):  # the character drawn just before it (a space may stand between)
            if j < 0:
                break
            pl, pr, py, ph, pch = out[j]
            if pch == " ":
                continue
            if ((pch.isdigit() or pch in "-—–/") and h < SMALL * ph and y > py and abs(left - pr) < ph * 0.6
                    and y - h / 2 < py + ph / 2):
                out[k] = (left, right, py, ph, ch.translate(_SUPERSCRIPT))
            break
    return out


def _rules(page, turn) -> G.Rules:
    """The page's ruling lines in reading space, from its paths (forms included): stroked segments, and
    the edges of filled shapes thin enough to be a border drawn as a box."""
    import ctypes

    import pypdfium2.raw as c

    horizontal: list[tuple[float, float, float]] = []
    vertical: list[tuple[float, float, float]] = []
    px, py = ctypes.c_float(), ctypes.c_float()
    fill, stroke = ctypes.c_int(), ctypes.c_int()

    def walk(objects, outer):
        for obj in objects:
            kind = c.FPDFPageObj_GetType(obj)
            m = c.FS_MATRIX()
            if kind not in (c.FPDF_PAGEOBJ_FORM, c.FPDF_PAGEOBJ_PATH) or not c.FPDFPageObj_GetMatrix(obj, m):
                continue
            # This object's matrix, then the enclosing forms' (page = outer ∘ m).
            a, b, cc, d, e, f = m.a, m.b, m.c, m.d, m.e, m.f
            A, B, C, D, E, F = outer
            mm = (a * A + b * C, a * B + b * D, cc * A + d * C, cc * B + d * D, e * A + f * C + E, e * B + f * D + F)
            if kind == c.FPDF_PAGEOBJ_FORM:
                walk((c.FPDFFormObj_GetObject(obj, j) for j in range(c.FPDFFormObj_CountObjects(obj))), mm)
                continue
            points = []
            for s in range(c.FPDFPath_CountSegments(obj)):
                seg = c.FPDFPath_GetPathSegment(obj, s)
                c.FPDFPathSegment_GetPoint(seg, px, py)
                x, y = px.value, py.value
                points.append((turn(mm[0] * x + mm[2] * y + mm[4], mm[1] * x + mm[3] * y + mm[5]),
                               c.FPDFPathSegment_GetType(seg) == c.FPDF_SEGMENT_MOVETO,
                               bool(c.FPDFPathSegment_GetClose(seg))))
            if not points:
                continue
            if c.FPDFPath_GetDrawMode(obj, fill, stroke) and not stroke.value:
                xs, ys = [p[0][0] for p in points], [p[0][1] for p in points]
                if min(max(xs) - min(xs), max(ys) - min(ys)) > THIN:
                    continue  # cell shading or a page background: its edges are not rules
            start = prev = None
            for pt, move, close in points:
                if move:
                    start = pt
                elif prev is not None:
                    _edge(prev, pt, horizontal, vertical)
                    if close and start is not None:
                        _edge(pt, start, horizontal, vertical)
                prev = pt

    walk((c.FPDFPage_GetObject(page, i) for i in range(c.FPDFPage_CountObjects(page))), (1, 0, 0, 1, 0, 0))
    return G.Rules(horizontal, vertical)


def _edge(p, q, horizontal, vertical) -> None:
    """Keep the segment p→q if it is a horizontal or a vertical line."""
    if abs(p[1] - q[1]) < 0.5 and abs(p[0] - q[0]) > 2:
        horizontal.append(((p[1] + q[1]) / 2, min(p[0], q[0]), max(p[0], q[0])))
    elif abs(p[0] - q[0]) < 0.5 and abs(p[1] - q[1]) > 2:
        vertical.append(((p[0] + q[0]) / 2, min(p[1], q[1]), max(p[1], q[1])))


def _page_top(page, turn) -> float:
    """The top of the page's box in reading space (y of a line's top is measured down from it)."""
    w, h = page.get_size()
    if turn is None:
        return h
    return max(turn(x, y)[1] for x, y in ((0, 0), (w, 0), (0, h), (w, h)))


def _page_rows(page, textpage, rotation: int) -> list[G.Row]:
    """The rows of one page in reading order, page-number lines at its top and bottom left out."""
    turn = _orient(rotation) if rotation else None
    lines, _ = G.printed_lines(_chars(textpage, rotation))
    rules = _rules(page, turn or _orient(0)) if any(len(ln.segs) > 1 for ln in lines) else None
    rows = G.page_rows(lines, rules)
    for _ in range(2):
        if rows and _page_number(rows[-1]):
            rows.pop()
        if rows and _page_number(rows[0]):
            rows.pop(0)
    return rows


def _page_number(row: G.Row) -> bool:
    """A line that is only a page number. Its cells are joined with a space: table 四's row of values
    ending a page ("1", "2", "3", "0" in their cells) is not page 1230."""
    return bool(_PAGE_NUMBER.match(" ".join(f for f in row.fields if f).strip()))


def _key(row: G.Row) -> str:
    """A row's text without separators and spaces, to recognise a header row printed again."""
    return "".join("".join(row.fields).split())


def _repeated_header(rows: list[G.Row], header: set[str]) -> list[G.Row]:
    """Without the rows printed again at the top of a page from the previous page's table header."""
    if not header:
        return rows
    k = 0
    while k < len(rows) and rows[k].kind != "row" and _key(rows[k]) in header:
        k += 1
    return rows[k:]


def _header_of(rows: list[G.Row]) -> set[str]:
    """The header rows (those before its first row with values) of a table that runs to the page's end."""
    if not rows or rows[-1].kind != "row":
        return set()
    k = len(rows) - 1
    while k > 0 and rows[k - 1].kind == "row":
        k -= 1
    # The rows above the first data row of this run, up to the table's first line of several cells.
    out, j = set(), k - 1
    while j >= 0 and rows[j].kind in ("header", "group", "line") and k - j <= 6:
        out.add(_key(rows[j]))
        j -= 1
    return out


def pdf_extract(data: bytes) -> Extracted:
    """The text layer of a PDF for `parse_text`: one line per printed line or table row, cells joined by TAB,
    table rows positional (`grid=True`), and per line (page, y from the page's top) of where it was printed.

    Raises ParseError for a PDF pdfium cannot open (corrupt, encrypted), or one without any text
    (a scan: OCR is not supported).
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise ParseError(f"PDF cannot be opened: {e}") from e
    out: list[str] = []
    places: list[tuple[int, float]] = []
    header: set[str] = set()
    try:
        n_pages = len(pdf)
        if n_pages > MAX_PAGES:
            raise ParseError(f"PDF has {n_pages} pages (limit {MAX_PAGES}): not a report")
        for i in range(n_pages):
            page = textpage = None
            try:
                page = pdf[i]
                textpage = page.get_textpage()
                rotation = page.get_rotation() % 360
                rows = _page_rows(page, textpage, rotation)
                if not rows:
                    continue
                rows = _repeated_header(rows, header)
                header = _header_of(rows) or (header if not any(r.kind == "row" for r in rows) else set())
                top = _page_top(page, _orient(rotation) if rotation else None)
                for r in rows:
                    line = "\t".join(r.fields)
                    if not line.strip():
                        continue
                    # A line of the text is never split by the parser's splitlines().
                    out.append(line.replace("\r", " ").replace("\n", " "))
                    places.append((i + 1, round(top - r.top, 1)))
            except pdfium.PdfiumError as e:
                raise ParseError(f"PDF page {i + 1} cannot be read: {e}") from e
            finally:
                for obj in (textpage, page):  # pdfium memory is freed on close, not when Python collects
                    if obj is not None:
                        obj.close()
    finally:
        pdf.close()
    if not out:
        raise ParseError("no text layer (scanned PDF); OCR is not supported")
    return Extracted("\n".join(out) + "\n", grid=True, places=tuple(places))


def pdf_text(data: bytes) -> str:
    """`pdf_extract(data).text`: the lines alone, for callers that do not use the grid or the places."""
    return pdf_extract(data).text
