"""Bytes → text: UTF-8 (with or without BOM), then GB18030, then charset-normalizer as the last resort."""
from __future__ import annotations

from nianbao.report import ParseError

MAX_BYTES = 20 * 1024 * 1024  # a report larger than this is not a report page


def decode(data: bytes, name: str = "") -> str:
    """Decode a report's bytes, or raise ParseError saying why it cannot be read as text."""
    if not data.strip():
        raise ParseError("empty file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
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
