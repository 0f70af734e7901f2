"""PDF reports with a text layer (reportlab, imported lazily): gridded tables with merges, split over pages.

reportlab is a test dependency, not a runtime one: `require_reportlab()` says so clearly when it is
missing. The text uses the CJK font shipped beside this module (`fonts/NianbaoCJK.ttf`, a subset of
Droid Sans Fallback), registered as a reportlab TTFont: every PDF embeds the glyphs it uses with a
ToUnicode map, so what pdfium reads back (and the glyph boxes) does not depend on the machine's fonts.
A character the font lacks is an error (`MissingGlyph`), never a silent tofu box.
"""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from nianbao.cells import PLACEHOLDERS
from synth.render import report_blocks, report_grids

FONT = "NianbaoCJK"
FONT_FILE = Path(__file__).with_name("fonts") / "NianbaoCJK.ttf"
PAD = 3  # cell padding (pt) left and right: two of them are the narrowest gap between two cells' text
SIZE = 6  # table font size


class MissingDependency(RuntimeError):
    """An optional dependency needed for the requested output is not installed."""


def require_reportlab() -> None:
    """Raise MissingDependency with an actionable message when reportlab cannot be imported."""
    try:
        import reportlab  # noqa: F401
    except ImportError:
        raise MissingDependency("PDF output needs reportlab, which is only a test dependency: "
                                "pip install 'reportlab==5.1.0' (or install nianbao with its [test] extra), "
                                "or leave pdf out of --formats") from None


class MissingGlyph(ValueError):
    """The text to draw has a character the embedded font has no glyph for."""


def register_font() -> None:
    """Register the shipped font with reportlab as FONT (an embedded, subsetted TrueType font)."""
    require_reportlab()
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    register_font()
    return frozenset(pdfmetrics.getFont(FONT).face.charToGlyph)


def check_glyphs(text: str) -> str:
    """`text` unchanged, or MissingGlyph naming the characters the font cannot draw (control characters aside)."""
    covered = _covered()
    missing = sorted({c for c in text if ord(c) not in covered and c.isprintable()})
    if missing:
        raise MissingGlyph(f"{FONT_FILE.name} has no glyph for {''.join(missing)!r} (U+"
                           + ", U+".join(f"{ord(c):04X}" for c in missing)
                           + f") in {text[:60]!r}: add them with scripts/make_font_subset.py")
    return text


def _styles():
    require_reportlab()
    from reportlab.lib.styles import ParagraphStyle

    register_font()
    return ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")


def _looks_like_value(text: str) -> bool:
    """A number, signed change or placeholder: sized and right-aligned like a value in tight tables."""
    return text in PLACEHOLDERS or text.replace(".", "").lstrip("+-").isdigit()


def _col_widths(ncols: int, cells, tight: bool, pad: float = PAD) -> list[float]:
    """Roomy: fixed, generous widths. Tight: each column as narrow as its numbers (the gap between two
    cells' text is then two paddings, about one em), labels at most 8 characters wide, so that long
    labels and headers wrap inside their cells."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if not tight:
        return {10: [64, 70, 236] + [40] * 7, 15: [44] * 15}.get(ncols, [130] + [110] * (ncols - 1))
    data_rows = {r for r, _, t, _, _ in cells if _looks_like_value(t)}
    widths = [stringWidth("总计数", FONT, SIZE) + 2 * pad + 1] * ncols  # at least three characters wide
    for r, c, text, rs, cs in cells:
        if cs == 1 and r in data_rows:
            w = stringWidth(text, FONT, SIZE) if _looks_like_value(text) else min(stringWidth(text, FONT, SIZE), 8 * SIZE)
            widths[c] = max(widths[c], w + 2 * pad + 1)
    for r, c, text, rs, cs in cells:  # spanned values must fit their span
        need = stringWidth(text, FONT, SIZE) + 2 * pad + 1 - sum(widths[c:c + cs])
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


def build_pdf(truth: dict, tight: bool = False, rules: str = "GRID", blocks=None, grids=None,
              pad: float = PAD) -> bytes:
    """An A4 PDF of the report: narrative paragraphs, tables with spans and "- N -" page footers.

    Roomy (landscape, wide columns): table 三 breaks across pages with its header rows repeated.
    Tight (portrait): columns as narrow as the numbers, values right-aligned, headers wrapped in their cells.
    `rules`: "GRID" (every cell ruled), "BOX" (outer frame only) or "" (no lines). `pad`: cell padding (pt)
    left and right; in tight tables two of them are all that separates two numbers.
    `blocks` (('p', text) / ('table', name) in reading order) and `grids` (name → (ncols, placed cells))
    default to `synth.render.report_blocks(truth)` and `report_grids(truth)`.
    The bytes are deterministic: same input, same file (reportlab's invariant mode).
    """
    body = _styles()
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    small = ParagraphStyle("cell", fontName=FONT, fontSize=SIZE, leading=SIZE * 1.2)
    grids = report_grids(truth) if grids is None else grids
    story = []
    for kind, name in (report_blocks(truth) if blocks is None else blocks):
        if kind == "p":
            story.append(Paragraph(check_glyphs(name), body) if name else Spacer(1, 6))
            continue
        ncols, cells = grids[name]
        widths = _col_widths(ncols, cells, tight, pad)
        nrows = max(r + rs for r, _, _, rs, _ in cells)
        data = [[""] * ncols for _ in range(nrows)]
        style = [("FONT", (0, 0), (-1, -1), FONT, SIZE), *([(rules, (0, 0), (-1, -1), 0.5, "black")] if rules else []),
                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), pad),
                 ("RIGHTPADDING", (0, 0), (-1, -1), pad), ("TOPPADDING", (0, 0), (-1, -1), 2),
                 ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
        for r, c, text, rs, cs in cells:
            room = sum(widths[c:c + cs]) - 2 * pad
            data[r][c] = check_glyphs(text)
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
    invariant = rl_config.invariant
    rl_config.invariant = 1  # no creation date, a fixed document id: byte-identical output
    try:
        doc = SimpleDocTemplate(buf, pagesize=A4 if tight else landscape(A4),
                                leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=40,
                                initialFontName=FONT)  # not Helvetica: no font in the file goes unembedded
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    finally:
        rl_config.invariant = invariant
    return buf.getvalue()
