"""Title, issuing body and reporting year of a report, from its title line or crawl header."""
from __future__ import annotations

import re
import unicodedata

_TITLE_FIELD = re.compile(r"^\s*(?:标题|题名|名称|title)\s*[:：]\s*(.+?)\s*(?:\|.*)?$", re.I)
_TITLE = re.compile(r"(20\d{2})\s*年\s*度?\s*(?:的)?\s*(?:政府)?\s*(?:信息公开|政务公开|政府信息公开)\s*(?:工作)?\s*(?:年度)?\s*报告")
_YEAR_IN_TITLE = re.compile(r"(20\d{2})\s*年")
_PERIOD = re.compile(r"(20\d{2})\s*年\s*1\s*月\s*1\s*日\s*[至到\-—～~]\s*(20\d{2})\s*年\s*12\s*月\s*31\s*日")
_NOISE_PREFIX = re.compile(r"^(?:当前位置|您所在的位置|首页)[^\s]*\s*")


def _clean(line: str) -> str:
    s = line.strip().strip("|").strip()
    s = re.sub(r"^#+\s*", "", s)  # markdown heading
    s = s.replace("**", "")
    return s


def find_title(lines: list[str], limit: int = 80) -> tuple[str | None, int | None]:
    """The report's title and its line number (1-based): a crawl header field first, then the first title-like line."""
    for i, line in enumerate(lines[:limit]):
        m = _TITLE_FIELD.match(line)
        if m and _TITLE.search(m.group(1)):
            return _clean(m.group(1)), i + 1
    for i, line in enumerate(lines[:limit]):
        s = _clean(line)
        if 6 <= len(s) <= 80 and _TITLE.search(s) and not s.startswith(("根据", "按照", "本报告")):
            return _NOISE_PREFIX.sub("", s), i + 1
    return None, None


def body_from_title(title: str | None) -> str | None:
    """The issuing body: the title's text before the reporting year ("巫山县2023年…" → "巫山县")."""
    if not title:
        return None
    m = _YEAR_IN_TITLE.search(title)
    if not m:
        return None
    body = title[: m.start()].strip(" 　:：-—《")
    body = re.sub(r"(关于)$", "", body).strip()
    return body or None


FIRST_YEAR = 2008  # the 条例 took effect on 1 May 2008: the first reports cover 2008


def find_year(title: str | None, text: str) -> int | None:
    """The reporting year: from the title, else from the statistical period stated in the text."""
    year = None
    if title:
        m = _TITLE.search(title)
        if m:
            year = int(m.group(1))
    if year is None:
        m = _PERIOD.search(unicodedata.normalize("NFKC", text[:20000]))
        if m and m.group(1) == m.group(2):
            year = int(m.group(1))
    return year if year is not None and FIRST_YEAR <= year <= 2100 else None
