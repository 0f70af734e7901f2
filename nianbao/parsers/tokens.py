"""Lines of text → a stream of cell tokens (text, value or empty), each with its line number.

The text layouts differ only in how they separate cells: a tab, " | ", a markdown pipe, two or more
spaces, or a single space between the numbers of a PDF text line. This module knows the separators
and nothing about the template; `parsers/walk.py` reads the tokens by following the labels.
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

from nianbao.cells import looks_like_value

TEXT, VALUE, EMPTY = "text", "value", "empty"

_PAGE_FOOTER = re.compile(r"^\s*[-—–－]+\s*\d{1,3}\s*[-—–－]+\s*$|^\s*第\s*\d+\s*页(\s*[/，,]?\s*共\s*\d+\s*页)?\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_WIDE_GAP = re.compile(r"\t|\s*\|\s*| {2,}|\u3000+")
_NEEDS_SPLIT = re.compile(r"\t|\||  |\u3000")
_RULE_START = frozenset("-—–－第|:")


class Token(NamedTuple):
    """One cell as printed: its kind, its text (stripped) and the 1-based line it was found on.

    A named tuple (immutable, and several times cheaper to create than a frozen dataclass: a report
    has hundreds of tokens)."""

    kind: str
    text: str
    line: int


# `_tuple_new(Token, (kind, text, line))` is Token(kind, text, line) without the Python-level __new__ of a
# named tuple: the same object at C speed, for the hot loop below (a report has hundreds of tokens).
_tuple_new = tuple.__new__


def split_line(line: str) -> list[str]:
    """Split one line into cells. Outer pipes and the line's indentation are not cells."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    if "\t" not in s and "  " not in s and "\u3000" not in s:
        # pipes are the only gaps (a markdown row): the same cells as the regex split, several times faster
        return list(map(str.strip, s.split("|")))
    return list(map(str.strip, _WIDE_GAP.split(s)))


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


@lru_cache(maxsize=65536)  # cells repeat across reports and lines (a grid row's fields: `grid_cells`)
def _kind(cell: str) -> str:
    """A cell's token kind: empty, value (a number, placeholder, number with a note) or text."""
    if cell == "":
        return EMPTY
    return VALUE if looks_like_value(cell) else TEXT


def line_cells(s: str) -> tuple[tuple[str, str], ...]:
    """The (kind, text) cells of one stripped, non-blank line; () for a page footer or a markdown rule.
    (Not cached itself: `plain_line_cells`, its caller, is.)"""
    if s[0] in _RULE_START and (_PAGE_FOOTER.match(s) or _MD_RULE.match(s)):
        return ()
    cells = split_line(s) if _NEEDS_SPLIT.search(s) else (s,)
    return tuple(chain.from_iterable(map(_cell_tokens, cells)))


@lru_cache(maxsize=65536)  # cells repeat across reports even where their lines do not (a markdown row of values)
def _cell_tokens(cell: str) -> tuple[tuple[str, str], ...]:
    """The (kind, text) cells one printed cell reads as: itself, or its label and numbers (`_split_numbers`)."""
    return tuple((_kind(part), part) for part in (_split_numbers(cell) if " " in cell else (cell,)))


def grid_cells(line: str) -> tuple[tuple[str, str], ...]:
    """The (kind, text) cells of one table row of a grid-keeping backend (HTML, DOCX, PDF). (Not cached
    itself: `grid_line_cells`, its caller, is.)

    Every TAB-separated field is a cell in its column: an empty field, the last one included, is a
    blank cell (`EMPTY`), never dropped. Empty fields before the first non-empty one are the label
    columns of a row whose label is printed elsewhere (a merged cell above): they are not cells of
    the row's values and are dropped, except in a row without any label (table 四's row of values)."""
    fields = list(map(str.strip, line.split("\t")))
    kinds = list(map(_kind, fields))
    if TEXT not in kinds:
        return tuple(zip(kinds, fields)) if VALUE in kinds else ()
    k = 0
    while kinds[k] == EMPTY:
        k += 1
    out: list[tuple[str, str]] = []
    for kind, f in zip(kinds[k:], fields[k:]):
        if kind == TEXT and " " in f:
            out += _cell_tokens(f)  # its label and numbers
        else:
            out.append((kind, f))
    return tuple(out)


@lru_cache(maxsize=65536)  # table lines repeat across reports (labels, rows of zeros); the result is immutable
def plain_line_cells(line: str) -> tuple[tuple[str, str], ...]:
    """The (kind, text) cells of one line of text as printed (any separator; `line_cells`): () for a blank
    line, a page footer or a markdown rule. Cached by the line as it is: table lines repeat across reports."""
    s = line.strip()
    if not s:
        return ()
    if s.isdigit() and s.isascii():  # the most common line of all: one number
        return ((VALUE, s),)
    return line_cells(s)


@lru_cache(maxsize=65536)
def grid_line_cells(line: str) -> tuple[tuple[str, str], ...]:
    """The (kind, text) cells of one line from a backend that kept the table grid (`Extracted.grid`): a
    line with a TAB is a table row whose empty fields are blank cells (`grid_cells`)."""
    # a grid row with an empty field (leading, trailing or between two TABs) keeps it as a blank cell; one
    # without any reads the same either way
    if "\t" in line and (line[0] == "\t" or line[-1] == "\t" or "\t\t" in line):
        return grid_cells(line)
    return plain_line_cells(line)


def tokenize(lines: list[str], start: int = 0, end: int | None = None, grid: bool = False) -> list[Token]:
    """Tokens of lines[start:end]. Blank lines separate rows and are dropped; page footers too.

    `grid`: the lines come from a backend that kept the table grid (`grid_line_cells`), else they are
    text as printed (`plain_line_cells`)."""
    cells_of = grid_line_cells if grid else plain_line_cells
    return [_tuple_new(Token, (kind, text, n))
            for n, line in enumerate(lines[start:end], start + 1) for kind, text in cells_of(line)]
