"""Counts the report states in its prose (sections 一–六), to be checked against its tables.

"全年共收到政府信息公开申请54件", "予以公开8件", "结转下年度继续办理2件", "行政复议6件、行政诉讼2件": the
narrative often repeats the headline figures of tables 三 and 四, and a mismatch is worth a warning
(`narrative.applications_count`, `narrative.review_litigation_count`). Only prose is read: lines that
are sentences (they carry Chinese punctuation), never table rows. A figure stated twice with different
numbers is not returned (the text does not decide it); nothing is guessed.
"""
from __future__ import annotations

import re
import unicodedata

from nianbao.cells import INT64_MAX

# (key, pattern): the number is group "n"; units 件/起/宗
_UNIT = r"\s*(?P<n>\d+)\s*(?:件|起|宗)"
PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple((k, re.compile(p)) for k, p in (
    ("applications_received",
     r"(?:收到|受理|新收|接收)(?:并办理|答复)?[^。；;，,\d]{0,24}?(?:申请|事项)(?:数量|数|共计|总计|合计)?" + _UNIT),
    ("applications_received", r"(?:共|累计|全年)(?:收到|受理|新收)\s*(?P<n>\d+)\s*件[^。；;，,\d]{0,12}?申请"),
    ("granted", r"(?<!部分)予以公开" + _UNIT),
    ("partially_granted", r"部分公开" + _UNIT),
    ("carried_forward", r"结转下年度(?:继续办理)?" + _UNIT),
    ("review_cases", r"行政复议(?:案件|申请)?" + _UNIT),
    ("litigation_cases", r"行政诉讼(?:案件)?" + _UNIT),
))
_PROSE = re.compile(r"[。，；：、]")
# The full-width forms a sentence is mostly printed with, and their NFKC forms (each its compatibility
# decomposition, an ASCII character)
_FULL_WIDTH = (("，", ","), ("：", ":"), ("；", ";"), ("（", "("), ("）", ")"), ("？", "?"), ("！", "!"),
               ("\u3000", " "))


def _nfkc(line: str) -> str:
    """`unicodedata.normalize("NFKC", line)`, several times faster for a line whose only compatibility
    characters are common full-width punctuation: those are replaced by their decompositions, and when
    what is left is already in NFKC, it is the line's NFKC (the decomposition of both is the same)."""
    s = line
    for wide, narrow in _FULL_WIDTH:
        if wide in s:
            s = s.replace(wide, narrow)
    return s if unicodedata.is_normalized("NFKC", s) else unicodedata.normalize("NFKC", line)


def prose_lines(text: str) -> list[str]:
    """The sentences of the report that can state a count: lines with a unit (件/起/宗) and Chinese
    punctuation, NFKC-normalised, spaces removed (the unit test first: most lines have none)."""
    out = []
    for line in text.splitlines():
        if "件" not in line and "起" not in line and "宗" not in line:
            continue
        s = _nfkc(line).strip()
        if len(s) >= 12 and _PROSE.search(s) and "\t" not in s and "|" not in s:
            out.append("".join(s.split()))  # every whitespace character dropped: str.split's are those of \s
    return out


def stated_counts(text: str) -> dict[str, int]:
    """Figure → the count the prose states for it, for each figure stated with one number only."""
    found: dict[str, set[int]] = {}
    for line in prose_lines(text):
        for key, pattern in PATTERNS:
            for m in pattern.finditer(line):
                n = int(m.group("n"))
                if n <= INT64_MAX:  # a figure no count can be is not a statement of one
                    found.setdefault(key, set()).add(n)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}
