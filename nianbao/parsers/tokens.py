"""Lines of text → a stream of cell tokens (text, value or empty), each with its line number.

The text layouts differ only in how they separate cells: a tab, " | ", a markdown pipe, two or more
spaces, or a single space between the numbers of a PDF text line. This module knows the separators
and nothing about the template; `parsers/walk.py` reads the tokens by following the labels.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nianbao.cells import looks_like_value

TEXT, VALUE, EMPTY = "text", "value", "empty"

_PAGE_FOOTER = re.compile(r"^\s*[-—–－]+\s*\d{1,3}\s*[-—–－]+\s*$|^\s*第\s*\d+\s*页(\s*[/，,]?\s*共\s*\d+\s*页)?\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_WIDE_GAP = re.compile(r"\t|\s*\|\s*| {2,}|\u3000+")
_NEEDS_SPLIT = re.compile(r"\t|\||  |\u3000")
_RULE_START = frozenset("-—–－第|:")


@dataclass(frozen=True, slots=True)
class Token:
    """One cell as printed: its kind, its text (stripped) and the 1-based line it was found on."""

    kind: str
    text: str
    line: int


def split_line(line: str) -> list[str]:
    """Split one line into cells. Outer pipes and the line's indentation are not cells."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in _WIDE_GAP.split(s)]


def _split_numbers(cell: str) -> list[str]:
    """'label 1 2 3' → ['label', '1', '2', '3']; '0 0 0' → ['0', '0', '0']; other cells unchanged."""
    words = cell.split()
    if len(words) < 2:
        return [cell]
    k = len(words)
    while k > 0 and looks_like_value(words[k - 1]):
        k -= 1
    if k == len(words):
        return [cell]
    head = " ".join(words[:k])
    return ([head] if head else []) + words[k:]


def tokenize(lines: list[str], start: int = 0, end: int | None = None) -> list[Token]:
    """Tokens of lines[start:end]. Blank lines separate rows and are dropped; page footers too."""
    out: list[Token] = []
    append = out.append
    for i in range(start, len(lines) if end is None else end):
        s = lines[i].strip()
        if not s:
            continue
        if s.isdigit() and s.isascii():  # the most common line of all: one number (fast path)
            append(Token(VALUE, s, i + 1))
            continue
        if s[0] in _RULE_START and (_PAGE_FOOTER.match(s) or _MD_RULE.match(s)):
            continue
        cells = split_line(s) if _NEEDS_SPLIT.search(s) else [s]
        for cell in cells:
            for part in _split_numbers(cell) if " " in cell else (cell,):
                if part == "":
                    append(Token(EMPTY, "", i + 1))
                elif looks_like_value(part):
                    append(Token(VALUE, part, i + 1))
                else:
                    append(Token(TEXT, part, i + 1))
    return out
