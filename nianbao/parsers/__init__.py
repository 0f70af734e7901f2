"""Parsers, one module per layout family; `parse_bytes` picks one from the file's content.

Every format is reduced to text lines (a table row per line, cells separated by TAB) and read by the
one text parser (`text.py`), so a label variant or a cell rule is fixed once for all formats.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nianbao.decode import MAX_BYTES, decode
from nianbao.parsers.extracted import Extracted
from nianbao.prose import sentence_hashes
from nianbao.report import ParsedReport, ParseError

_UNSUPPORTED = {
    "doc": "legacy Word .doc (OLE) is not supported: convert it to .docx",
    "zip": "a zip archive that is not a DOCX: unpack it first",
}


def extract(data: bytes, fmt: str, source: str = "") -> Extracted:
    """The file as text lines for `parse_text`, whatever its format, with the grid flag and places."""
    if fmt in ("text", "markdown"):
        text = decode(data, source)
        # TAB-separated rows (text copied from a table, pdftotext -layout): every field is a cell,
        # the empty ones after the last value included
        return Extracted(text, grid="\t" in text)
    if fmt == "html":
        from nianbao.parsers.html import html_text

        return Extracted(html_text(decode(data, source)), grid=True)
    if fmt == "docx":
        from nianbao.parsers.docx import docx_text

        return Extracted(docx_text(data), grid=True)
    if fmt == "pdf":
        from nianbao.parsers import pdf

        if hasattr(pdf, "pdf_extract"):
            return pdf.pdf_extract(data)
        return Extracted(pdf.pdf_text(data))
    raise ParseError(_UNSUPPORTED.get(fmt, f"format {fmt!r} is not supported"))


def to_text(data: bytes, fmt: str, source: str = "") -> str:
    """The file as text lines for `parse_text`, whatever its format."""
    return extract(data, fmt, source).text


def parse_bytes(data: bytes, source: str, path: str | None = None) -> ParsedReport:
    """Parse one report from its bytes; `source` is the name reported back (the file name), `path` where
    the file lies (its name and folder are cues for the reporting year)."""
    from nianbao.formats import detect
    from nianbao.parsers.text import parse_text

    if len(data) > MAX_BYTES:
        raise ParseError(f"file is {len(data) / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit for one report")
    fmt = detect(data, source)
    got = extract(data, fmt, source)
    rep = parse_text(got.text, source, fmt, grid=got.grid, places=got.places, path=path)
    return replace(rep, prose=sentence_hashes(got.text))


def parse_path(path: str | Path) -> ParsedReport:
    """Parse the report at `path`. Raises ParseError with a precise reason when it cannot."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise ParseError(f"cannot read file: {e.strerror}") from e
    if size > MAX_BYTES:
        raise ParseError(f"file is {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit for one report")
    return parse_bytes(p.read_bytes(), p.name, str(p))
