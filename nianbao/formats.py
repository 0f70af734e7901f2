"""Input format detection from content (magic bytes and markup), the file name only as a hint."""
from __future__ import annotations

import re

_HTML = re.compile(rb"<\s*(!doctype\s+html|html|table|body|div|p|tr|td)\b", re.I)
# a pipe table's header row, then its rule line ("| a | b |" / "|---|---|")
_MD_TABLE = re.compile(rb"^\s*\|.*\|\s*$\n^\s*\|?\s*:?-{3,}", re.M)


def detect(data: bytes, name: str = "") -> str:
    """One of: pdf, docx, zip, doc, html, markdown, text."""
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:200000] or name.lower().endswith(".docx") else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        # UTF-16 (with or without a BOM): its bytes can look like markup by chance ("<p" is U+703C in
        # UTF-16-LE), so the markup is looked for in the text
        from nianbao.decode import utf16_without_bom

        codec = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else utf16_without_bom(data)
        if codec is None:
            return "text"  # binary: decoding will say so
        data = data[:131072].decode(codec, errors="replace").encode("utf-8")
    page = data[:65536]
    if b"<" in page and _HTML.search(page):  # (the substring test first: a text report has no markup at all)
        return "html"
    if name.lower().endswith(".md"):
        return "markdown"
    head = data[:200000]
    if b"|" in head and b"---" in head and _MD_TABLE.search(head):  # (a markdown table needs both)
        return "markdown"
    return "text"
