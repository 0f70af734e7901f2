"""Input format detection from content (magic bytes and markup), the file name only as a hint."""
from __future__ import annotations

import re

_HTML = re.compile(rb"<\s*(!doctype\s+html|html|table|body|div|p|tr|td)\b", re.I)


def detect(data: bytes, name: str = "") -> str:
    """One of: pdf, docx, zip, doc, html, markdown, text."""
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:200000] or name.lower().endswith(".docx") else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if _HTML.search(data[:65536]):
        return "html"
    if name.lower().endswith(".md") or re.search(rb"^\s*\|.*\|\s*$\n^\s*\|?\s*:?-{3,}", data[:200000], re.M):
        return "markdown"
    return "text"
