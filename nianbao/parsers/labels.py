"""Label matching: how well a printed label names a template row (its pattern, or a tolerant similarity).

A row's pattern (`template.py`) is matched against the normalised label; where it does not match, the
label's tail is compared with the row's own words (`row_key`: its canonical label without list markers
or group words), so a character wrong or missing, a wrapped label cut short or a vertical group label's
characters stuck in front still name the row, with a lower score. Labels shorter than `MIN_KEY` ("总计",
"其他") are matched by their pattern only: one wrong character there would make another word.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from nianbao import template as T

EXACT = 3.0  # the row's label pattern matches
FUZZY = 2.5  # × similarity, for a label that only resembles the row's
MIN_SIMILARITY = 0.6
MIN_KEY = 3  # a label shorter than this ("总计", "其他") is matched by its pattern only

# list markers and group words in front of a row's own words: "三、本年度办理结果（一）", "（三）不予公开1."
_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d+[.、)])")
_TAIL_NOTE = re.compile(r"\(区分处理的.*$")
# a line that starts a row label: an item's list number, or a row's "一、", after any group marker; a
# group marker alone ("（四）…") does not count, since a group label printed down a merged cell puts its
# characters at the start of the other rows' lines
ITEM_START = re.compile(r"^(?:\([一二三四五六七八九十]\)?)?(?:\d+\.|[一二三四五六七八九十]+、)")


@lru_cache(maxsize=None)
def row_key(label: str) -> str:
    """A row's own words: its canonical label without list markers or group words, normalised."""
    s = T.normalise(label)
    parts = [p for p in re.split(r"[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[.、]", s) if p]
    key = parts[-1] if parts else s
    return _TAIL_NOTE.sub("", key)


@lru_cache(maxsize=65536)
def similarity(label: str, key: str) -> float:
    """How well the tail of a printed label spells `key` (0..1): matched characters over the longer of
    the key and the label's tail, so a missing, wrong or extra character costs about 1/len(key)."""
    if len(key) < MIN_KEY or not label:
        return 0.0
    tail = label[-(len(key) + 2):]
    if len(set(tail) & set(key)) < len(set(key)) / 2:
        return 0.0
    m = sum(b.size for b in SequenceMatcher(None, key, tail, autojunk=False).get_matching_blocks())
    # extra characters in the tail count only beyond the two allowed for a list marker
    return m / max(len(key), len(tail) - 2)


@lru_cache(maxsize=None)
def _row_keys() -> tuple[str, ...]:
    return tuple({row_key(r.label) for t in (T.APPLICATIONS_2021, T.APPLICATIONS_2019) for r in t if len(row_key(r.label)) >= 2})


@lru_cache(maxsize=65536)
def starts_row(piece: str) -> bool:
    """True when a label line is a group marker followed by the start of a row's own words ("（二）部分公");
    a marker before other words ("（四）握相关…": a vertical group label's character) is not."""
    m = _MARKER.match(piece)
    if not m:
        return False
    rest = piece[m.end():]
    return len(rest) >= 2 and any(k.startswith(rest) or rest.startswith(k) for k in _row_keys())


def starts_label(text: str) -> bool:
    """True when a row's own text starts with a list marker or a group marker and a row's words."""
    text = text.lstrip("#*")
    return bool(ITEM_START.match(text) or starts_row(text) or exact_any(text))


@lru_cache(maxsize=65536)
def exact_any(piece: str) -> bool:
    """True when a label line is, on its own, the whole label of some row of either template."""
    return any(_exact_rows(piece, rows) for rows in (T.APPLICATIONS_2021, T.ACTIVE_2021, T.ACTIVE_2019))


def _exact_rows(label: str, rows: tuple[T.Row, ...]) -> dict[int, int]:
    """Row index → end of the latest match, for the rows whose label pattern matches `label`."""
    out = {}
    for i, r in enumerate(rows):
        ends = [m.end() for m in T.compiled(r.pattern).finditer(label)]
        if ends:
            out[i] = max(ends)
    return out


_SCORES: dict[tuple[int, str], dict[int, float]] = {}


def label_scores(label: str, rows: tuple[T.Row, ...], start: int = 0) -> dict[int, float]:
    """Row index → label score, for the rows this label could be (others: not matchable). A pattern
    counts as matched only where its match ends after `start` (the row's own text): label lines of the
    row before ("…（二）部分公开（区分处理的，") never make a match. Cached per (rows tuple, label, start):
    the template's row tuples are few and labels repeat."""
    key = (id(rows), label, start)
    got = _SCORES.get(key)
    if got is None:
        if len(_SCORES) > 200_000:
            _SCORES.clear()
        got = _SCORES[key] = _label_scores(label, rows, start)
    return dict(got)


def _label_scores(label: str, rows: tuple[T.Row, ...], start: int = 0) -> dict[int, float]:
    if not label:
        return {}
    exact = {i: end for i, end in _exact_rows(label, rows).items() if end > start}
    out: dict[int, float] = {}
    if exact:
        latest = max(exact.values())
        for i, end in exact.items():
            out[i] = EXACT if end == latest else EXACT - 0.5
    for i, r in enumerate(rows):
        if i in out:
            continue
        s = similarity(label, row_key(r.label))
        if s >= MIN_SIMILARITY:
            out[i] = FUZZY * s
    return out

