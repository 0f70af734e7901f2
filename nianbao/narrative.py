"""Counts the report states in its prose (sections 一–六), to be checked against its tables.

"全年共收到政府信息公开申请54件", "予以公开8件", "结转下年度继续办理2件", "行政复议6件、行政诉讼2件": the
narrative often repeats the headline figures of tables 三 and 四, and a mismatch is worth a warning
(`narrative.applications_count`, `narrative.review_litigation_count`). Only prose is read: lines that
are sentences (they carry Chinese punctuation), never table rows. A figure stated twice with different
numbers is not returned (the text does not decide it); nothing is guessed.
"""
from __future__ import annotations

import re

from nianbao.cells import INT64_MAX
from nianbao.template import nfkc as _nfkc  # (the name prose.py imports)

# (key, pattern, words): the number is group "n"; units 件/起/宗; a line can match the pattern only if it
# contains one of the words (a substring test is much cheaper than the pattern's search, and most prose
# lines state none of the figures)
_UNIT = r"\s*(?P<n>\d+)\s*(?:件|起|宗)"
_FIGURES = (
    ("applications_received",
     r"(?:收到|受理|新收|接收)(?:并办理|答复)?[^。；;，,\d]{0,24}?(?:申请|事项)(?:数量|数|共计|总计|合计)?" + _UNIT,
     ("收到", "受理", "新收", "接收")),
    ("applications_received", r"(?:共|累计|全年)(?:收到|受理|新收)\s*(?P<n>\d+)\s*件[^。；;，,\d]{0,12}?申请",
     ("收到", "受理", "新收")),
    ("granted", r"(?<!部分)予以公开" + _UNIT, ("予以公开",)),
    ("partially_granted", r"部分公开" + _UNIT, ("部分公开",)),
    ("carried_forward", r"结转下年度(?:继续办理)?" + _UNIT, ("结转下年度",)),
    ("review_cases", r"行政复议(?:案件|申请)?" + _UNIT, ("行政复议",)),
    ("litigation_cases", r"行政诉讼(?:案件)?" + _UNIT, ("行政诉讼",)),
)
PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple((k, re.compile(p)) for k, p, _ in _FIGURES)
_WORDS: tuple[tuple[str, ...], ...] = tuple(words for _, _, words in _FIGURES)
_PROSE = re.compile(r"[。，；：、]")
def prose_lines(text: str, lines: list[str] | None = None) -> list[str]:
    """The sentences of the report that can state a count: lines with a unit (件/起/宗) and Chinese
    punctuation, NFKC-normalised, spaces removed (the unit test first: most lines have none). `lines`:
    `text.splitlines()`, when the caller has them."""
    out = []
    for line in text.splitlines() if lines is None else lines:
        if "件" not in line and "起" not in line and "宗" not in line:
            continue
        s = _nfkc(line).strip()
        if len(s) >= 12 and _PROSE.search(s) and "\t" not in s and "|" not in s:
            out.append("".join(s.split()))  # every whitespace character dropped: str.split's are those of \s
    return out


def stated_counts(text: str, lines: list[str] | None = None) -> dict[str, int]:
    """Figure → the count the prose states for it, for each figure stated with one number only. `lines`:
    `text.splitlines()`, when the caller has them."""
    found: dict[str, set[int]] = {}
    for line in prose_lines(text, lines):
        for (key, pattern), words in zip(PATTERNS, _WORDS):
            for word in words:
                if word in line:
                    break
            else:
                continue  # none of the words: the pattern cannot match
            for m in pattern.finditer(line):
                n = int(m.group("n"))
                if n <= INT64_MAX:  # a figure no count can be is not a statement of one
                    found.setdefault(key, set()).add(n)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}
