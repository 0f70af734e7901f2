"""Bytes → text: UTF-16 with a BOM, or without one when it looks so (NUL bytes on one side only), then
UTF-8 (with or without BOM), then GB18030, then charset-normalizer as the last resort."""
from __future__ import annotations

from nianbao.report import ParseError

MAX_TEXT_BYTES = 8 * 1024 * 1024  # a text or HTML report larger than this is not a report page
MAX_BYTES = 64 * 1024 * 1024  # DOCX/PDF with images can be large; past this nothing is read
SNIFF_BYTES = 4096  # how much of the start is looked at for NUL bytes
# BOM-less UTF-16: the NUL bytes of the sample on one side (odd offsets: little-endian; the ASCII digits,
# spaces and line breaks of a report) at least this many times those on the other (a CJK character U+xx00,
# such as 一, puts one there: the seed reports have 3.7 to 13 times more on the ASCII side), and at least
# this many of them
UTF16_SIDE_RATIO = 2
UTF16_MIN_NULS = 16
UTF16_TEXT_SHARE = 0.95  # of the decoded sample: CJK, CJK and full-width punctuation, printable ASCII, whitespace


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
    if b"\x00" in data[:SNIFF_BYTES]:
        codec = utf16_without_bom(data)
        if codec is None:
            raise ParseError("binary content (NUL bytes): not a text report")
        try:
            return data.decode(codec)
        except UnicodeDecodeError as e:
            raise ParseError(f"{codec.upper()} text without a byte-order mark, but undecodable bytes at offset "
                             f"{e.start}") from None
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


def _text_like(ch: str) -> bool:
    """A character of a report's text: CJK (ideographs, punctuation, full-width forms), printable ASCII or
    whitespace."""
    o = ord(ch)
    return (0x20 <= o < 0x7F or ch in "\t\n\r\f" or 0x3000 <= o <= 0x9FFF or 0xFF00 <= o <= 0xFFEF
            or 0x2000 <= o <= 0x206F or 0xF900 <= o <= 0xFAFF or o in (0xA0, 0xB7, 0xD7))


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when `data` (no BOM) looks like UTF-16 text, else None.

    In UTF-16 every ASCII character has a NUL high byte, so a Chinese report (its digits, spaces and line
    breaks) has NULs at odd offsets (little-endian) or even ones (big-endian) of the first SNIFF_BYTES, and
    hardly any on the other side; and the sample decodes to CJK and ASCII text. Binary content has its
    NULs on both sides alike, or decodes to other characters."""
    head = data[:min(len(data), SNIFF_BYTES) & ~1]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) < UTF16_MIN_NULS or max(even, odd) < UTF16_SIDE_RATIO * min(even, odd):
        return None
    codec = "utf-16-le" if odd > even else "utf-16-be"
    text = head.decode(codec, "replace")
    if text.endswith("\ufffd"):
        text = text[:-1]  # the sample may end inside a surrogate pair
    return codec if text and sum(map(_text_like, text)) >= UTF16_TEXT_SHARE * len(text) else None
