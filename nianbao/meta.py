"""Title, issuing body and reporting year of a report, from every cue the file gives.

`read_meta(lines, text, source)` is the entry point. It scans only the first `HEAD_LINES` lines (at most
`HEAD_CHARS` characters) for the title, the crawl header fields and the publication date, and the text for
the statistics-period sentence (the first `HEAD_CHARS` characters first, the rest only when that finds none).

Title: a crawl header field (标题/题名/名称/title) first; else the first title-like line, joined with the
one or two lines before it when they are part of it (a line that is only a body name before a line
"2023年…年度报告"; a "关于…" line; a "…政府信息公开工作" line before a bare "年度报告"), with markdown/HTML
markup and breadcrumb prefixes ("当前位置：首页 > …") dropped.

Year, in order of trust:
  1. "title":     the year printed in the title (ASCII, full-width or Chinese-numeral digits);
  2. "period":    the statistics-period sentence ("统计期限自2024年1月1日起至2024年12月31日止");
  3. "file name": an explicit "2023年"/"2023年度" in the file name, or a 4-digit year next to 年报/报告;
  4. "folder":    a folder named for a year ("raw/2023/…", "2023年度/…");
  5. "published": the publication date (发布日期/发布时间/成文日期 … in a crawl header, a date line under the
                  title, a TRS file or folder name such as t20240115_123456.html, P020240131….pdf, 202401/)
                  minus one: reports are published by 31 March of the year after the one they cover. A date
                  after March still gives year − 1 (a report cannot cover a year that has not ended, so a
                  late publication is the only reading) but the note says that it is weaker evidence.
The first cue that gives a year in 2008..(this year + 1) wins; every other cue that disagrees is a note
naming both ("year 2023 from the title; the statistics period says 2024").

Body: the title's text before the year ("淮安市人民政府2024年…" → "淮安市人民政府"; "…办公室关于2023年…" →
"…办公室"), else, for a year-first title, the text after the year up to 政府信息公开 ("2023年度XX局政府信息
公开…" → "XX局"); else a crawl header field 发文机关/发布机构; else the compiler named in "本报告由XX编制"
(noted: the compiler is often the 办公室 of the body rather than the body itself); else the contact
named in "如对本报告有疑问，请与XX联系" (noted likewise).
"""
from __future__ import annotations

import datetime
import re
from bisect import bisect_left
from itertools import accumulate
import unicodedata
from typing import NamedTuple

FIRST_YEAR = 2008  # the 条例 took effect on 1 May 2008: the first reports cover 2008
LAST_YEAR = datetime.date.today().year + 1
HEAD_LINES = 80
HEAD_CHARS = 20000


class Meta(NamedTuple):
    """What a report says about itself. `title_line` is the 1-based line of the title's first line."""

    title: str | None
    title_line: int | None
    body: str | None
    year: int | None
    year_cue: str | None  # "title", "period", "file name", "folder", "published"
    notes: tuple[str, ...] = ()


# --- digits ---------------------------------------------------------------------------------------

_D = "[0-9０-９]"
_CN_DIGIT = "〇○◯零Ｏ０O0一二三四五六七八九"
_CN_YEAR = f"二[〇○◯零Ｏ０O0][{_CN_DIGIT}]{{2}}"
_TO_ASCII = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                           **{c: "0" for c in "〇○◯零Ｏ"}, "O": "0",
                           **{c: str(i) for i, c in enumerate("一二三四五六七八九", 1)}})
_YEAR_TOKEN = f"(?:{_D}{{4}}|{_CN_YEAR})"
# a year as printed in a title or a file name: not part of a longer digit run
_YEAR = re.compile(rf"(?<![0-9０-９])({_YEAR_TOKEN})(?![0-9０-９])\s*年")


def _int(s: str) -> int:
    return int(s.translate(_TO_ASCII))


def _valid(y: int | None) -> bool:
    return y is not None and FIRST_YEAR <= y <= LAST_YEAR


def _title_year(title: str | None) -> tuple[int | None, re.Match | None]:
    """The first plausible reporting year printed in a title, and its match."""
    if not title:
        return None, None
    for m in _YEAR.finditer(title):
        y = _int(m.group(1))
        if _valid(y):
            return y, m
    return None, None


# --- lines ----------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^<>]{0,200}>")
_MD = re.compile(r"^\s*(?:#{1,6}\s*|>\s*)")
_SENTENCE = re.compile(r"[。，,；;：:！？!?、]")
_BREADCRUMB = re.compile(r"^\s*(?:当前位置|您所在的?位置|您现在的位置|您的位置|所在位置|位置)\s*[:：]?|^\s*首页\s*[>》»›＞/]")
_BREAD_SPLIT = re.compile(r"\s*[>»›＞]\s*|\s+")
_FULL_TEXT = re.compile(r"\s*[（(]\s*(?:全文|正文|文字版)\s*[)）]\s*$")
# the report's own kind, which ends a title
# a title may end in its year in brackets: "XX局政府信息公开工作年度报告（2023年度）"
_TAIL = r"(?:\s*[（(][^（）()]{2,10}[)）])?"
_ENDS_TITLE = re.compile(rf"(?:报告|年报){_TAIL}\s*$")
_DISCLOSURE = re.compile(r"政府信息公开|信息公开|政务公开")
_KIND = re.compile(rf"(?:政府)?(?:信息公开|政务公开)[^\s。，]{{0,8}}?(?:报告|年报){_TAIL}$")
_BODY_SUFFIX = (
    "人民政府|人民政府办公室|人民政府办公厅|政府|办公室|办公厅|管理委员会|委员会|管委会|街道办事处|办事处|"
    "局|委|厅|院|署|中心|街道|镇|乡|区|县|市|州|盟|旗|省|自治区|部|会|所|站|队|处|馆|社|室|组"
)
_BODY_LINE = re.compile(rf"^[\u4e00-\u9fff（）()·]{{2,40}}(?:{_BODY_SUFFIX})$")
_BODY_END = re.compile(rf"(?:{_BODY_SUFFIX})$")
_NOT_TITLE_START = ("根据", "按照", "依据", "依照", "本报告", "本年度报告", "现将", "现发布", "为", "经", "对", "请")


def _clean(line: str) -> str:
    s = line.strip()
    if "<" in s:
        s = _TAG.sub("", s)
    s = s.strip("|｜ \t\u3000")
    if s[:1] in ("#", ">"):
        s = _MD.sub("", s)
    if "*" in s or "__" in s:
        s = s.replace("**", "").replace("__", "")
    if s[-1:] in ("）", ")"):
        s = _FULL_TEXT.sub("", s)
    s = s.strip(" \t\u3000")
    if s.startswith("《") and s.endswith("》"):
        s = s[1:-1]
    return s


def _fragment(s: str) -> bool:
    """A short line that can be part of a title: no sentence punctuation, not a breadcrumb."""
    return 0 < len(s) <= 40 and not _SENTENCE.search(s) and not _BREADCRUMB.match(s) and "《" not in s


def _titleish(s: str, need_year: bool = True) -> bool:
    """A complete title: a disclosure report kind at the end, and (unless need_year) a year in it."""
    if not _KIND.search(s) or s.startswith(_NOT_TITLE_START):
        return False
    return _title_year(s)[0] is not None if need_year else True


def _year_first_without_body(s: str) -> bool:
    """ "2024年政府信息公开工作年度报告", "关于2023年度政府信息公开…": nothing between the year and the kind."""
    t = s.lstrip(" 　")
    about = t.startswith("关于")
    if about:
        t = t[2:].lstrip(" 　")
    m = _YEAR.match(t)
    if not m:
        return about
    return _DISCLOSURE.match(t[m.end():].lstrip("度的 　")) is not None


def _join_title(clean: list[str], i: int) -> tuple[str, int] | None:
    """The title ending on line i, joined with up to two lines before it when they belong to it."""
    cand, first = clean[i], i
    for _ in range(2):
        j = first - 1
        if j >= 0 and not clean[j] and j - 1 >= 0:  # one blank line between parts
            j -= 1
        if j < 0 or not _fragment(clean[j]):
            break
        p = clean[j]
        if not (_DISCLOSURE.search(cand) and _title_year(cand)[0] is not None):
            # "年度报告" alone, or "…政府信息公开工作" + "年度报告": the line before carries the rest
            if _ENDS_TITLE.search(p) and _titleish(p, need_year=False):
                break  # the line before is a title of its own
            cand, first = p + cand, j
        elif _year_first_without_body(cand) and _BODY_LINE.match(p.replace(" ", "")):
            cand, first = p + cand, j
        else:
            break
    return (cand, first) if _DISCLOSURE.search(cand) else None


def _title_in_line(s: str) -> str | None:
    """A title standing in a long line: the first token of a glued line, or a breadcrumb's tail."""
    crumb = _BREADCRUMB.match(s)
    tokens = _BREAD_SPLIT.split(s) if crumb else s.split(None, 1)[:1]
    for tok in tokens:
        tok = tok.strip("《》“”\"' 　")
        if 6 <= len(tok) <= 60 and _titleish(tok) and not _SENTENCE.search(tok):
            return tok
    return None


# --- crawl header fields --------------------------------------------------------------------------

_PUB_VALUE = re.compile(rf"({_D}{{4}})\s*[-年/.]\s*({_D}{{1,2}})")
_DATE_LINE = re.compile(
    rf"^[ \t\u3000]*[（(]?[ \t\u3000]*({_YEAR_TOKEN})\s*年\s*({_D}{{1,2}}|[十一二三四五六七八九]{{1,2}})\s*月"
    rf"\s*(?:{_D}{{1,2}}|[〇一二三四五六七八九十]{{1,3}})\s*日[ \t\u3000]*[)）]?[ \t\u3000]*$",
    re.M,
)
_CN_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "十一": 11, "十二": 12}


def _month(s: str) -> int | None:
    if s in _CN_MONTH:
        return _CN_MONTH[s]
    try:
        m = _int(s)
    except ValueError:
        return None
    return m if 1 <= m <= 12 else None


# --- statistics period ----------------------------------------------------------------------------

# anchored on a literal (月 … 1日) so that a scan of 20,000 characters stays fast; the year is read
# from a short window around the hit
_PERIOD_HIT = re.compile(r"月\s*[0０]?[1１]\s*日\s*(?:起\s*)?(?:[至到\-—–～~－]|截)")
_PERIOD = re.compile(
    r"(\d{4})\s*年\s*0?1\s*月\s*0?1\s*日\s*(?:起\s*)?(?:[至到\-—–～~－]|起至|截至|截止到?)+\s*"
    r"(?:(\d{4})\s*年\s*)?12\s*月\s*31\s*日"
)
_PERIOD_HIT_CN = re.compile(r"一月一日\s*(?:起\s*)?(?:[至到\-—–～~－]|截)")
_PERIOD_CN = re.compile(
    rf"({_CN_YEAR})\s*年\s*一\s*月\s*一\s*日\s*(?:起\s*)?(?:[至到\-—–～~－]|起至|截至|截止到?)+\s*"
    rf"(?:({_CN_YEAR})\s*年\s*)?十二\s*月\s*三十一\s*日"
)
_PERIOD_WORD = re.compile(r"统计(?:期限|时限|期间|区间|时间|周期|范围|时段)")
_PERIOD_YEAR = re.compile(r"统计(?:期限|时限|期间|区间|时间|周期|范围|时段)[为是:：\s]*(?:自|从)?\s*(\d{4})\s*年\s*(?:度|全年)")


def _period_year(text: str) -> tuple[int | None, str | None]:
    """The year of the statistics period ("…统计期限自2024年1月1日起至2024年12月31日止"), and the phrase."""
    for start, stop in ((0, HEAD_CHARS), (HEAD_CHARS, None)):
        chunk = text[start:stop]
        if not chunk:
            break
        best = None
        for hit in _PERIOD_HIT.finditer(chunk):
            a = max(0, hit.start() - 12)
            window = unicodedata.normalize("NFKC", chunk[a: hit.end() + 32])
            m = _PERIOD.search(window)
            if not m:
                continue
            y1, y2 = int(m.group(1)), int(m.group(2) or m.group(1))
            if y1 != y2 or not _valid(y1):
                continue
            stated = "统计" in chunk[max(0, a - 40): a + 12]
            if stated:
                return y1, m.group(0)
            if best is None:
                best = (y1, m.group(0))
        if best:
            return best
        for hit in _PERIOD_HIT_CN.finditer(chunk):
            m = _PERIOD_CN.search(chunk, max(0, hit.start() - 12), hit.end() + 24)
            if m:
                y1, y2 = _int(m.group(1)), _int(m.group(2) or m.group(1))
                if y1 == y2 and _valid(y1):
                    return y1, m.group(0)
        for w in _PERIOD_WORD.finditer(chunk):
            m = _PERIOD_YEAR.match(unicodedata.normalize("NFKC", chunk[w.start(): w.end() + 24]))
            if m and _valid(int(m.group(1))):
                return int(m.group(1)), m.group(0)
    return None, None


# --- file and folder names ------------------------------------------------------------------------

_NAME_YEAR = re.compile(rf"(?<![0-9０-９])({_YEAR_TOKEN})(?![0-9０-９])\s*年(?:度)?(?!\s*{_D}{{1,2}}\s*月)")
_NAME_NEXT = re.compile(
    r"(?<![0-9])(20\d{2})(?![0-9])[\s_\-.—]*(?:年报|年度报告|报告|政府信息公开|信息公开)"
    r"|(?:年报|年度报告|报告)[\s_\-.—]*(20\d{2})(?![0-9])"
)
_TRS_NAME = re.compile(r"^(?:t|P0|W0)(20\d{2})(0[1-9]|1[0-2])([0-3]\d)(?:_|\d)")
_FOLDER_YEAR = re.compile(rf"^\s*({_YEAR_TOKEN})\s*(?:年(?:度)?)?(?:年报|报告)?\s*$")
_FOLDER_MONTH = re.compile(r"^(20\d{2})[-_]?(0[1-9]|1[0-2])(?:[0-3]\d)?$")


def _path_parts(source: str | None) -> tuple[str, str]:
    """(folder, file name without extension) of a path, with only its last two components looked at."""
    if not source:
        return "", ""
    parts = [p for p in re.split(r"[\\/]", source) if p]
    name = parts[-1] if parts else ""
    folder = parts[-2] if len(parts) >= 2 else ""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return folder, stem


def _name_year(stem: str) -> int | None:
    s = unicodedata.normalize("NFKC", stem)
    for m in _NAME_YEAR.finditer(s):
        y = _int(m.group(1))
        if _valid(y):
            return y
    for m in _NAME_NEXT.finditer(s):
        y = int(m.group(1) or m.group(2))
        if _valid(y):
            return y
    return None


# --- body -----------------------------------------------------------------------------------------

_COMPILER = re.compile(
    r"本(?:年度)?报告(?:是)?由\s*([^\s，。,；;、《》“”]{2,40}?)\s*(?:根据|依据|按照|依照|参照|结合|综合|负责|组织|汇总|编制|编写|撰写|起草)"
)
# "如对本报告有疑问，请与XX联系": the contact named in the introduction (often the body itself, or its office)
_CONTACT = re.compile(r"(?:对本报告|本报告)[^。\n]{0,20}?请(?:与|联系)\s*([^\s，。,；;、《》“”（(]{2,40}?)\s*(?:联系|咨询)")
_BODY_STRIP = " 　\t:：-—_《》〈〉“”\"'‘’「」【】[]()（）|"


_SPACE = re.compile(r"\s+")


def _clean_body(s: str) -> str | None:
    s = _SPACE.sub("", s).strip(_BODY_STRIP)
    if s.endswith("关于"):
        s = s[:-2]
    if s.endswith("的"):
        s = s[:-1]
    s = s.strip(_BODY_STRIP)
    return s if len(s) >= 2 else None


def _body_of(title: str | None) -> str | None:
    if not title:
        return None
    y, m = _title_year(title)
    if m is None:
        # a title without a year: the text before 政府信息公开 when it names a body
        d = _DISCLOSURE.search(title)
        if d:
            b = _clean_body(title[: d.start()])
            if b and _BODY_END.search(b):
                return b
        return None
    end = max(title.rfind("报告"), title.rfind("年报"))
    if end != -1 and m.start() > end:  # the year in brackets after the kind
        d = _DISCLOSURE.search(title)
        return _clean_body(title[: d.start()]) if d else None
    before = title[: m.start()].lstrip(_BODY_STRIP)
    if before.startswith("关于"):
        before = before[2:]
    if "关于" in before:
        before = before[: before.index("关于")]
    body = _clean_body(before)
    if body:
        return body
    after = title[m.end():].lstrip("度的 　")
    d = _DISCLOSURE.search(after)
    return _clean_body(after[: d.start()]) if d else None


# --- the entry point ------------------------------------------------------------------------------

class _Clean:
    """The head's lines cleaned on demand (most lines are never looked at)."""

    __slots__ = ("raw", "cache")

    def __init__(self, raw: list[str]):
        self.raw, self.cache = raw, {}

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, i: int) -> str:
        s = self.cache.get(i)
        if s is None:
            s = self.cache[i] = _clean(self.raw[i])
        return s


_FIELD_KEYS = {
    **{k: "title" for k in ("标题", "题名", "名称", "文章标题", "title", "Title", "TITLE")},
    **{k: "body" for k in ("发文机关", "发布机构", "发布单位", "发文单位")},
    **{k: "published" for k in ("发布日期", "发布时间", "发文日期", "公开日期", "公开时间", "成文日期", "成文时间",
                                "印发日期", "生成日期")},
}
_FIELD_STOP = re.compile(r"[|｜\n]")


def _colons(s: str) -> list[int]:
    out = []
    for colon in (":", "："):
        p = s.find(colon)
        while p != -1:
            out.append(p)
            p = s.find(colon, p + 1)
    out.sort()
    return out


def _fields(raw_head: str) -> dict[str, list[tuple[str, int]]]:
    """Crawl header fields ("标题:…", "发布日期:2024-02-20 |", "发文机关:…"): kind → [(value, 0-based line)…].

    Found from the colons (a substring search is ~10x faster than a regex scan), in the order of the text.
    A key counts only at the start of a line or of a "|" cell ("单位名称:" is not "名称:")."""
    out: dict[str, list[tuple[str, int]]] = {}
    for p in _colons(raw_head):
        start = max(0, p - 6)
        key = raw_head[start:p].rstrip(" \t\u3000")
        for n in (5, 4, 2):
            kind = _FIELD_KEYS.get(key[-n:]) if len(key) >= n else None
            if kind is None:
                continue
            k0 = start + len(key) - n
            before = raw_head[k0 - 1] if k0 > 0 else ""
            if before in ("", " ", "\t", "\n", "|", "｜", "\u3000"):
                m = _FIELD_STOP.search(raw_head, p + 1)
                value = raw_head[p + 1: m.start() if m else len(raw_head)].strip(" \t\u3000")
                if value:
                    out.setdefault(kind, []).append((value, raw_head.count("\n", 0, p)))
            break
    return out


def _find_title(clean: _Clean, fields: dict[str, list[tuple[str, int]]]
                ) -> tuple[str | None, int | None, int | None, list[str]]:
    """(title, 1-based first line, 0-based index of its last line, notes)."""
    notes: list[str] = []
    for value, n in fields.get("title", ()):
        value = _clean(value)
        if _titleish(value, need_year=False):
            return value, n + 1, n, notes
    fallback = None
    for i, raw in enumerate(clean.raw):
        if "报告" not in raw and "年报" not in raw:
            continue
        s = clean[i]
        if not s:
            continue
        if _fragment(s) or (len(s) <= 60 and not _SENTENCE.search(s) and not _BREADCRUMB.match(s)):
            if not _ENDS_TITLE.search(s) or s.startswith(_NOT_TITLE_START):
                continue
            got = _join_title(clean, i)
            if got is None:
                continue
            cand, first = got
            joined = [f"title joined from lines {first + 1}-{i + 1}"] if first < i else []
            if _title_year(cand)[0] is not None and _KIND.search(cand):
                return cand, first + 1, i, notes + joined
            if fallback is None and _titleish(cand, need_year=False) and _body_of(cand):
                fallback = (cand, first + 1, i, joined)
        else:
            t = _title_in_line(s)
            if t:
                notes.append(f"title taken from within line {i + 1}")
                return t, i + 1, i, notes
    if fallback:
        return fallback
    return None, None, None, notes


def _head(lines: list[str]) -> list[str]:
    """The first HEAD_LINES lines, cut after the line that reaches HEAD_CHARS characters."""
    head = lines[:HEAD_LINES]
    if sum(map(len, head)) + len(head) < HEAD_CHARS:  # the common case, at C speed
        return head
    k = bisect_left(list(accumulate(len(line) + 1 for line in head)), HEAD_CHARS)
    return head[:k + 1]


def read_meta(lines: list[str], text: str, source: str | None = None) -> Meta:
    """Title, body and reporting year of one report, from its lines, its text and its path (see the module doc)."""
    head = _head(lines)
    raw_head = "\n".join(head)
    clean = _Clean(head)
    notes: list[str] = []

    fields = _fields(raw_head)
    title, title_line, title_end, tnotes = _find_title(clean, fields)
    notes += tnotes

    # year cues, in order of trust
    cues: list[tuple[str, int, str]] = []  # (cue, year, what it says)
    ty, _ = _title_year(title)
    if ty is not None:
        cues.append(("title", ty, "the title"))
    py, _ = _period_year(text)
    if py is not None:
        cues.append(("period", py, "the statistics period"))
    folder, stem = _path_parts(source)
    ny = _name_year(stem) if stem else None
    if ny is not None:
        cues.append(("file name", ny, f"the file name {stem!r}"))
    if folder:
        fm = _FOLDER_YEAR.match(unicodedata.normalize("NFKC", folder))
        if fm and _valid(_int(fm.group(1))):
            cues.append(("folder", _int(fm.group(1)), f"the folder {folder!r}"))
    pub = _published(fields, clean, title_end, folder, stem, [ln for ln in lines[-12:] if ln.strip()][-6:])
    if pub is not None:
        pyear, pmonth, where = pub
        if _valid(pyear - 1):
            cues.append(("published", pyear - 1, f"the publication date {pyear}-{pmonth:02d} ({where})"))

    year = year_cue = None
    if cues:
        year_cue, year, what = cues[0]
        if year_cue == "published":
            if pub[1] <= 3:
                notes.append(f"year {year} from {what}: reports are published by 31 March of the year after the one they cover")
            else:
                notes.append(f"year {year} from {what}, a weak cue: published after 31 March, "
                             "so taken as a late report on the year before")
        elif year_cue != "title":
            notes.append(f"year {year} from {what}")
        for cue, y, w in cues[1:]:
            if y != year:
                notes.append(f"year {year} from {what}; {w} says {y}")

    # body
    body = _body_of(title)
    for value, n in fields.get("body", ()):
        if body is None and _clean_body(value):
            body = _clean_body(value)
            notes.append(f"body from the crawl header field on line {n + 1}")
    if body is None:
        cm = _COMPILER.search(text, 0, HEAD_CHARS)
        if cm and _clean_body(cm.group(1)):
            body = _clean_body(cm.group(1))
            notes.append(f"body from the sentence '本报告由{cm.group(1)}…编制': the compiler, "
                         "which may be the office (办公室) of the body that publishes the report")
    if body is None:
        cm = _CONTACT.search(text, 0, HEAD_CHARS)
        if cm and _clean_body(cm.group(1)):
            body = _clean_body(cm.group(1))
            notes.append(f"body from the contact named in the introduction ('请与{cm.group(1)}联系'), which may be "
                         "the office (办公室) of the body that publishes the report")
    return Meta(title, title_line, body, year, year_cue, tuple(notes))


def _published(fields: dict[str, list[tuple[str, int]]], clean: _Clean, title_end: int | None, folder: str, stem: str,
               tail: list[str] | None = None) -> tuple[int, int, str] | None:
    """(year, month, where) of the publication date: a header field, a date line under the title (or near the
    top when there is no title), a 发布日期 line or the signature's date at the end of the text (`tail`, its
    last lines), a TRS file or folder name (t20240115_123456.html, P020240131….pdf, 202401/)."""
    for value, n in fields.get("published", ()):
        m = _PUB_VALUE.match(value)
        month = _month(m.group(2)) if m else None
        if month:
            return _int(m.group(1)), month, f"the crawl header field on line {n + 1}"
    lo = 0 if title_end is None else title_end + 1
    for k in range(lo, min(len(clean), lo + (10 if title_end is None else 4))):
        s = clean[k]
        if s and s[-1] == "日" or s.endswith(("日)", "日）")):
            m = _DATE_LINE.match(s)
            if m:
                month = _month(m.group(2))
                if month and _valid(_int(m.group(1))):
                    return _int(m.group(1)), month, "the date line under the title"
    if tail and any(":" in ln or "：" in ln for ln in tail):  # the end of the report: a 发布日期 line
        for value, _ in _fields("\n".join(tail)).get("published", ()):
            m = _PUB_VALUE.match(value)
            month = _month(m.group(2)) if m else None
            if month and _valid(_int(m.group(1))):
                return _int(m.group(1)), month, "the publication date at the end of the text"
    if tail:  # or the date under the signature ("XX局 / 2024年1月15日")
        for s in reversed(tail):
            if "日" not in s[-3:] and "日" not in s.rstrip()[-3:]:
                continue
            s = _clean(s)
            m = _DATE_LINE.match(s) if s.endswith(("日", "日)", "日）")) else None
            if m:
                month = _month(m.group(2))
                if month and _valid(_int(m.group(1))):
                    return _int(m.group(1)), month, "the date under the signature"
    m = _TRS_NAME.match(stem)
    if m:
        return int(m.group(1)), int(m.group(2)), "the file name"
    m = _FOLDER_MONTH.match(folder)
    if m:
        return int(m.group(1)), int(m.group(2)), "the folder name"
    return None


# --- the older entry points, kept for their callers --------------------------------------------------

def find_title(lines: list[str], limit: int = 80) -> tuple[str | None, int | None]:
    """The report's title and its line number (1-based): a crawl header field first, then the first title-like line."""
    head = lines[:limit]
    title, line, _, _ = _find_title(_Clean(head), _fields("\n".join(head)))
    return title, line


def body_from_title(title: str | None) -> str | None:
    """The issuing body named in a title ("巫山县2023年…" → "巫山县"; "2023年度XX局政府信息公开…" → "XX局")."""
    return _body_of(title)


def find_year(title: str | None, text: str) -> int | None:
    """The reporting year: from the title, else from the statistical period stated in the text."""
    y, _ = _title_year(title)
    if y is None:
        y, _ = _period_year(text)
    return y
