"""PDF text layer → text lines for the text parser: characters regrouped into lines, table cells split by TAB.

pypdfium2 gives every character with its box; pdfplumber's table finder is some 70× slower
(HOUSE_STYLE.md). Rows are rebuilt from positions instead:

* characters whose vertical centres are close form a printed line; a horizontal gap wider than a
  cell's padding starts a new cell. A false break inside a label is harmless (the text parser joins
  consecutive label cells); a missed one would glue two numbers, so the threshold errs towards breaking;
* in a ruled table, the printed lines between the same two horizontal rules are one table row: a
  label wrapped over three lines, with the numbers printed beside its middle line, comes out as one
  line, the label's pieces joined in their cell. Tables without inner rules keep one line per line.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from statistics import median

from nianbao.report import ParseError

MAX_PAGES = 500  # a report is tens of pages; this bounds the time one hostile file can take
GAP = 0.6  # × median character width: Word's default cell padding (2 × 0.19 cm) is about one em at 10.5 pt
SAME_LINE = 0.5  # × character height: vertical distance of centres within which characters share a line
MAX_ROW = 6  # × character height: a taller space between two rules is not one table row (no inner rules)

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
    return out


def _rules(page, turn) -> list[tuple[float, float, float]]:
    """Horizontal ruling lines (y, x0, x1) in reading space, from the page's paths (forms included)."""
    import ctypes

    import pypdfium2.raw as c

    out: list[tuple[float, float, float]] = []
    px, py = ctypes.c_float(), ctypes.c_float()

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
            elif kind == c.FPDF_PAGEOBJ_PATH:
                start = prev = None
                for s in range(c.FPDFPath_CountSegments(obj)):
                    seg = c.FPDFPath_GetPathSegment(obj, s)
                    c.FPDFPathSegment_GetPoint(seg, px, py)
                    x, y = px.value, py.value
                    pt = turn(mm[0] * x + mm[2] * y + mm[4], mm[1] * x + mm[3] * y + mm[5])
                    kind_s = c.FPDFPathSegment_GetType(seg)
                    if kind_s == c.FPDF_SEGMENT_MOVETO:
                        start = pt
                    elif prev is not None:
                        _edge(prev, pt, out)
                        if c.FPDFPathSegment_GetClose(seg) and start is not None:
                            _edge(pt, start, out)
                    prev = pt

    walk((c.FPDFPage_GetObject(page, i) for i in range(c.FPDFPage_CountObjects(page))), (1, 0, 0, 1, 0, 0))
    out.sort()
    # One y for rules less than 1 pt apart: a border drawn as a thin filled box has two edges, and
    # per-cell borders of one row differ by rounding.
    snapped, y0 = [], None
    for y, x0, x1 in out:
        y0 = y0 if y0 is not None and y - y0 < 1.0 else y
        snapped.append((y0, x0, x1))
    return snapped


def _edge(p, q, out) -> None:
    """Keep the segment p→q if it is a horizontal line."""
    if abs(p[1] - q[1]) < 0.5 and abs(p[0] - q[0]) > 2:
        out.append(((p[1] + q[1]) / 2, min(p[0], q[0]), max(p[0], q[0])))


def _segments(chars, gap: float) -> list[tuple[float, float, str]]:
    """One printed line → its cells (x0, x1, text): a gap wider than `gap` separates cells."""
    cells: list[list] = []
    space = False
    for left, right, _, _, ch in sorted(chars, key=lambda c: c[0]):
        if ch == " ":
            space = bool(cells)
            continue
        cur = cells[-1] if cells else None
        if cur is not None and left - cur[1] <= gap:
            cur[2].append((" " if space else "") + ch)
            if right > cur[1]:
                cur[1] = right
        else:
            cells.append([left, right, [ch]])
        space = False
    return [(x0, x1, "".join(t)) for x0, x1, t in cells]


def _band(rules, ys, y: float, x: float):
    """The nearest rules above and below (x, y) that run under x, or None."""
    i = bisect_left(ys, y)
    above = below = None
    for j in range(i, len(rules)):
        r = rules[j]
        if r[1] <= x <= r[2]:
            above = r[0]
            break
    for j in range(i - 1, -1, -1):
        r = rules[j]
        if r[1] <= x <= r[2]:
            below = r[0]
            break
    return None if above is None or below is None else (above, below)


def _lines(chars, rules_of) -> list[str]:
    """Printed lines top to bottom, the lines of one table row (between two rules) merged into one.

    `rules_of()` gives the page's horizontal rules; it is called only for a page with a line of
    several cells (a page of prose has no table rows to merge).
    """
    visible = [c for c in chars if c[4] != " "]
    if not visible:
        return []
    gap = GAP * (median(c[1] - c[0] for c in visible) or 1.0)
    tall = MAX_ROW * median(c[3] for c in visible)
    printed: list[list] = []  # [centre_y, height, chars]
    cur = None
    for c in sorted(chars, key=lambda c: -c[2]):
        if cur is not None and abs(cur[0] - c[2]) <= SAME_LINE * (cur[1] if cur[1] > c[3] else c[3]):
            cur[2].append(c)
        else:
            cur = [c[2], c[3], [c]]
            printed.append(cur)
    lines = [(y, _segments(cs, gap)) for y, _, cs in printed]
    rules = rules_of() if any(len(segs) > 1 for _, segs in lines) else []
    ys = [r[0] for r in rules]
    rows: dict[object, list] = {}  # band (or the line itself) → [top y, [(line no, segments)]]
    for n, (y, segs) in enumerate(lines):
        if not segs:
            continue
        bands = [b for b in (_band(rules, ys, y, (x0 + x1) / 2) for x0, x1, _ in segs) if b and b[0] - b[1] <= tall]
        # A line with cells of a merged (taller) cell and of its own row belongs to its own row: the narrowest band.
        key = min(bands, key=lambda b: b[0] - b[1]) if bands else n
        rows.setdefault(key, [y, []])[1].append((n, segs))
    return ["\t".join(_columns(group)) for _, group in sorted(rows.values(), key=lambda r: -r[0])]


def _columns(lines) -> list[str]:
    """Cells of one table row printed over several lines: pieces whose spans overlap are one cell."""
    if len(lines) == 1:
        return [t for _, _, t in lines[0][1]]
    pieces = sorted((x0, x1, n, t) for n, segs in lines for x0, x1, t in segs)
    cols: list[list] = []  # [x0, x1, [(line no, x0, text)]]
    for x0, x1, n, t in pieces:
        if cols and x0 <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], x1)
            cols[-1][2].append((n, x0, t))
        else:
            cols.append([x0, x1, [(n, x0, t)]])
    return ["".join(t for _, _, t in sorted(parts)) for _, _, parts in cols]


def _drop_page_numbers(lines: list[str]) -> list[str]:
    """Without the page-number lines at the top and bottom of a page (they would sit inside tables)."""
    for _ in range(2):
        if lines and _PAGE_NUMBER.match(lines[-1].strip()):
            lines.pop()
        if lines and _PAGE_NUMBER.match(lines[0].strip()):
            lines.pop(0)
    return lines


def pdf_text(data: bytes) -> str:
    """The text layer of a PDF for `parse_text`: one line per printed line or table row, cells joined by TAB.

    Raises ParseError for a PDF pdfium cannot open (corrupt, encrypted), or one without any text
    (a scan: OCR is not supported).
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise ParseError(f"PDF cannot be opened: {e}") from e
    out: list[str] = []
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
                chars = _chars(textpage, rotation)
                if chars:
                    out += _drop_page_numbers(_lines(chars, lambda: _rules(page, _orient(rotation))))
            except pdfium.PdfiumError as e:
                raise ParseError(f"PDF page {i + 1} cannot be read: {e}") from e
            finally:
                for obj in (textpage, page):  # pdfium memory is freed on close, not when Python collects
                    if obj is not None:
                        obj.close()
    finally:
        pdf.close()
    if not any(line.strip() for line in out):
        raise ParseError("no text layer (scanned PDF); OCR is not supported")
    return "\n".join(out) + "\n"
