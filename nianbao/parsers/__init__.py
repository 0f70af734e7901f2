"""Parsers, one module per layout family; `parse_path` picks one from the file's content."""
from __future__ import annotations

from pathlib import Path

from nianbao.decode import MAX_BYTES, decode
from nianbao.report import ParsedReport, ParseError


def parse_bytes(data: bytes, source: str) -> ParsedReport:
    """Parse one report from its bytes; `source` is the name reported back (the file name)."""
    from nianbao.formats import detect

    if len(data) > MAX_BYTES:
        raise ParseError(f"file is {len(data) / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit for one report")
    fmt = detect(data, source)
    if fmt in ("text", "markdown"):
        from nianbao.parsers.text import parse_text

        return parse_text(decode(data, source), source, fmt)
    if fmt == "html":
        from nianbao.parsers.html import html_text
        from nianbao.parsers.text import parse_text

        return parse_text(html_text(decode(data, source)), source, fmt)
    raise ParseError(f"format {fmt!r} is not supported yet")


def parse_path(path: str | Path) -> ParsedReport:
    """Parse the report at `path`. Raises ParseError with a precise reason when it cannot."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise ParseError(f"cannot read file: {e.strerror}") from e
    if size > MAX_BYTES:
        raise ParseError(f"file is {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit for one report")
    return parse_bytes(p.read_bytes(), p.name)
