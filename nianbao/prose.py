"""The prose of a report as sentence hashes: what year-over-year comparisons need of the text.

A report's narrative (sections 一–六) is mostly rewritten from last year's, sometimes copied whole with
new figures. To measure that without keeping the text, the parse keeps each report's distinct prose
sentences as sorted 64-bit hashes (BLAKE2b: stable across runs and machines), twice: exactly, and with
every number masked (a sentence reused with this year's figures). `contracts.comparisons.narrative_reuse`
compares them; the parse stage stores them beside the cells (`parsed_prose`, `nianbao.store`).
"""
from __future__ import annotations

import hashlib
import re

from nianbao.template import nfkc as _nfkc

_PROSE = re.compile(r"[。,;:!?]")  # after NFKC (full-width ，；：！？ become ASCII; 。 stays)
_END = re.compile(r"(?<=[。!?;])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_SPACE = re.compile(r"\s+")
MIN_SENTENCE = 6  # characters: shorter pieces ("是。") say nothing about reuse
MIN_WRAPPED = 10  # a line without punctuation this long continues an unfinished sentence (a PDF's wrapped line)


def sentences(text: str) -> list[str]:
    """The prose sentences of a report's text: NFKC, spaces removed, cut after 。!?; (a sentence wrapped
    over lines, as in a PDF, is joined). Table rows (TAB- or |-separated), and lines without sentence
    punctuation (titles, headings, labels, numbers) are not prose and end any unfinished sentence, unless
    they are long enough to be its wrapped middle."""
    out, buf = [], ""
    for line in text.splitlines():
        if "\t" in line or "|" in line:
            buf = ""
            continue
        s = _SPACE.sub("", _nfkc(line))
        if not _PROSE.search(s) and not (buf and len(s) >= MIN_WRAPPED and _CJK.search(s)):
            buf = ""  # a heading, label or number; but a long line inside an unfinished sentence is its middle
            continue
        *done, buf = _END.split(buf + s)
        out += [d for d in done if len(d) >= MIN_SENTENCE and _CJK.search(d)]
    return out


def _h(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")


def sentence_hashes(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The distinct sentences of the text as sorted 64-bit hashes: exact, and with every number masked."""
    found = sentences(text)
    return (tuple(sorted({_h(s) for s in found})), tuple(sorted({_h(_DIGITS.sub("#", s)) for s in found})))
