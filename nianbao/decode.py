"""Bytes → text: UTF-8 (with or without BOM), then GB18030, then charset-normalizer as the last resort."""
from __future__ import annotations

from nianbao.report import ParseError

MAX_TEXT_BYTES = 8 * 1024 * 1024  # a text or HTML report larger than this is not a report page
MAX_BYTES = 64 * 1024 * 1024  # DOCX/PDF with images can be large; past this nothing is read


def decode(data: bytes, name: str = "") -> str:
    """Decode a report's bytes, or raise ParseError saying why it cannot be read as text."""
    if not data.strip():
        raise ParseError("empty file")
    if len(data) > MAX_TEXT_BYTES:
        raise ParseError(f"file is {len(data) / 1e6:.1f} MB, over the {MAX_TEXT_BYTES / 1e6:.0f} MB limit for a text "
                         "or HTML report")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise ParseError(f"UTF-16 byte-order mark but undecodable bytes at offset {e.start}") from None
    if b"\x00" in data[:4096]:
        raise ParseError("binary content (NUL bytes): not a text report")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for the rare file neither codec reads

    best = from_bytes(data).best()
    if best is None:
        raise ParseError("undecodable bytes: neither UTF-8 nor GB18030, and charset detection found no encoding")
    return str(best)
