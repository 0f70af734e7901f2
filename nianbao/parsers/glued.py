"""Glued text: crawler output where a table's cells run together with no separator.

"一、本年新收政府信息公开申请数量640020470二、上年结转…" holds the seven numbers 64,0,0,2,0,4,70. A
digit run alone cannot say where one cell ends; the template's identities can. Decoding:

1. `unglue` cuts every glued line into label lines and digit-run lines. The list number of the next
   row ("…0000000" + "2.其他法律…") goes with its label. Spaces left by `&nbsp;` cells are kept: a cell
   boundary always falls on them.
2. Table 三: each row's run is read as seven numbers without leading zeros whose first six add up to
   the seventh (`applications.row_total`). Rows with several readings are decided jointly by the
   column identities (balance, outcomes). Table 四: three groups of five, each adding up to its total.
   Table 二 has no identity: an item's run is decided only when one reading exists.
3. When more than one reading survives every identity, the cells that differ are `ambiguous` and their
   note lists the readings: nothing is guessed.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from nianbao import template as T
from nianbao.parsers.tokens import VALUE, Token

_DETECT = re.compile(r"本年新收政府信息公开申请数量[ \d\u00a0]+二[、.]?上年结转")
_ANCHORS = ("第二十条", "本年新收", "行政复议")
# a digit run (with the spaces of &nbsp; cells, signs of 本年增/减, a decimal part and a unit)
_RUN = re.compile(r"[+-]?\d(?:[\d\u00a0 ]|[+-](?=\d))*(?:\.\d+)?(?:万元|元)?")
_CJK = re.compile(r"[\u4e00-\u9fff（(]")
MAX_READINGS = 5000  # per row; past this the row is left ambiguous rather than searched further
MAX_COMBINATIONS = 200_000
# a cell holds at most 19 digits (a count is a 64-bit integer, cells.py) plus a decimal part and a unit:
# a longer run cannot be read as the row's cells and is not searched (the search is polynomial in its length)
MAX_CELL_CHARS = 19 + 10


def is_glued(text: str) -> bool:
    """True when table rows run together on one line (labels and digits with no separator)."""
    return bool(_DETECT.search(text))


def unglue(lines: list[str]) -> list[str]:
    """Cut long lines holding table anchors into alternating label and digit-run lines."""
    out: list[str] = []
    for line in lines:
        if len(line) < 200 or not any(a in line for a in _ANCHORS):
            out.append(line)
            continue
        pos = 0
        for m in _RUN.finditer(line):
            start, end = m.start(), m.end()
            run = m.group(0).rstrip()
            # "…00000002.其他法律" : the last digit and the dot are the next row's list number
            after = line[start + len(run): start + len(run) + 2]
            if after[:1] in ".．" and _CJK.match(after[1:2] or "x") and not m.group(0).endswith("元"):
                run, end = run[:-1].rstrip(), start + len(run) - 1
            if not run or not any(ch.isdigit() for ch in run):
                continue
            text = line[pos:start].strip()
            if text:
                out.append(text)
            out.append(run)
            pos = end
        rest = line[pos:].strip()
        if rest:
            out.append(rest)
    return out


# ------------------------------------------------------------------------------------------------
# digit runs → numbers
# ------------------------------------------------------------------------------------------------
def run_of(tokens: list[Token]) -> tuple[str, frozenset[int], int | None]:
    """The digits of a row's value tokens, the positions where a cut is certain, and the first line."""
    digits, cuts = "", set()
    for t in tokens:
        if t.kind != VALUE:
            continue
        for piece in re.split(r"[\s\u00a0]+", t.text.strip()):
            piece = re.sub(r"(?<=\d)(?=[+-])", " ", piece)  # a sign starts a new cell
            for p in piece.split():
                if digits:
                    cuts.add(len(digits))
                digits += p
    return digits, frozenset(cuts), next((t.line for t in tokens if t.kind == VALUE), None)


def _number_ok(s: str, signed: bool, decimal: bool) -> bool:
    body = s[1:] if s[:1] in "+-" else s
    if s[:1] in "+-" and not signed:
        return False
    if body.endswith("元"):
        if not decimal:
            return False
        body = body.removesuffix("万元").removesuffix("元")
    if "." in body:
        if not decimal:
            return False
        body = body.split(".")[0]
    return bool(body) and body.isdigit() and (body == "0" or not body.startswith("0"))


def readings(digits: str, cuts: frozenset[int], kinds: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Every way to cut `digits` into len(kinds) numbers (no leading zeros; certain cuts respected)."""
    n, size = len(kinds), len(digits)

    def rec(pos: int, k: int) -> Iterator[tuple[str, ...]]:
        if k == n - 1:
            part = digits[pos:]
            if part and not any(pos < c < size for c in cuts) and _number_ok(part, kinds[k] == "signed",
                                                                            kinds[k] == "decimal"):
                yield (part,)
            return
        for end in range(pos + 1, size):
            if any(pos < c < end for c in cuts):
                break
            if not digits[end].isdigit() and digits[end] not in "+-":
                continue
            part = digits[pos:end]
            if not _number_ok(part, kinds[k] == "signed", kinds[k] == "decimal"):
                continue
            for rest in rec(end, k + 1):
                yield (part, *rest)

    return rec(0, 0)


def _sum_group(digits: str, cuts: frozenset[int], pos: int, end: int, k: int) -> Iterator[tuple[int, ...]]:
    """Cut digits[pos:end] into k counts and a total (the last) with the counts adding up to the total."""
    for s in range(pos + k, end):
        if any(s < c < end for c in cuts) or (digits[s] == "0" and end - s > 1):
            continue
        total = int(digits[s:end])

        def rec(p: int, left: int, acc: int) -> Iterator[tuple[int, ...]]:
            if left == 1:
                part = digits[p:s]
                if part and not any(p < c < s for c in cuts) and (part == "0" or part[0] != "0") \
                        and acc + int(part) == total:
                    yield (int(part),)
                return
            for e in range(p + 1, s - left + 2):
                if any(p < c < e for c in cuts):
                    break
                part = digits[p:e]
                if part[0] == "0" and len(part) > 1:
                    break
                v = int(part)
                if acc + v > total:
                    break
                for rest in rec(e, left - 1, acc + v):
                    yield (v, *rest)

        for parts in rec(pos, k, 0):
            yield (*parts, total)


def unreadable(digits: str, cuts: frozenset[int], n: int) -> bool:
    """True when no reading of `digits` as `n` cells can exist, found without searching: more certain
    cuts than cell boundaries, or more characters than n cells can hold."""
    return len(cuts) >= n or len(digits) > n * MAX_CELL_CHARS


def row_readings(digits: str, cuts: frozenset[int], k: int) -> list[tuple[int, ...]]:
    """Readings of one whole row: k counts and their total (none when the run holds anything but digits,
    e.g. "0.0": counts are whole numbers)."""
    if not digits.isdigit() or unreadable(digits, cuts, k + 1):
        return []
    return list(itertools.islice(_sum_group(digits, cuts, 0, len(digits), k), MAX_READINGS + 1))


def review_readings(digits: str, cuts: frozenset[int]) -> list[tuple[int, ...]]:
    """Readings of table 四: three groups of four counts and a total, one after the other."""
    size = len(digits)
    if not digits.isdigit() or unreadable(digits, cuts, 15):
        return []

    def rec(pos: int, groups: int) -> Iterator[tuple[int, ...]]:
        if groups == 0:
            if pos == size:
                yield ()
            return
        for end in range(pos + 5, size + 1):
            for g in _sum_group(digits, cuts, pos, end, 4):
                for rest in rec(end, groups - 1):
                    yield (*g, *rest)

    return list(itertools.islice(rec(0, 3), MAX_READINGS + 1))


def applications_joint(rows: dict[str, list[tuple[int, ...]]], tpl: T.Template) -> dict[str, list[tuple[int, ...]]]:
    """Narrow each row's readings to those that satisfy the column identities together with the others."""
    open_rows = [r for r, c in rows.items() if len(c) > 1]
    if not open_rows:
        return rows
    n = 1
    for r in open_rows:
        n *= len(rows[r])
    if n > MAX_COMBINATIONS:
        return rows
    fixed = {r: c[0] for r, c in rows.items() if len(c) == 1}
    outcome = [r for r in tpl.outcome_rows]
    survivors: dict[str, set[tuple[int, ...]]] = {r: set() for r in open_rows}
    for combo in itertools.product(*(rows[r] for r in open_rows)):
        v = {**fixed, **dict(zip(open_rows, combo))}
        if any(r not in v for r in (*T.BALANCE_IN, *T.BALANCE_OUT, *outcome)):
            return rows
        ok = all(
            v["new_received"][c] + v["carried_over"][c] == v["total_processed"][c] + v["carried_forward"][c]
            and sum(v[r][c] for r in outcome) == v["total_processed"][c]
            for c in range(len(T.APPLICANT_CODES))
        )
        if ok:
            for r, reading in zip(open_rows, combo):
                survivors[r].add(reading)
    if not any(survivors.values()):
        return rows  # the published table breaks an identity: keep every row's own readings
    return {**rows, **{r: sorted(s) for r, s in survivors.items()}}


# ------------------------------------------------------------------------------------------------
# decoded readings → the tables' cells
# ------------------------------------------------------------------------------------------------
_DIGITS = re.compile(r"[+-]?\d[\d\s\u00a0+-]*(?:\.\d+)?(?:万元|元)?")


def _plain(table, row: str, cols: tuple[str, ...], tokens: list[Token]) -> bool:
    """Rows whose cells are not all digit runs (a placeholder, a note) are read as in any other layout."""
    if all(t.kind != VALUE or _DIGITS.fullmatch(t.text) for t in tokens):
        return False
    from nianbao.parsers.walk import align

    table.put(row, cols, align(tokens, len(cols)))
    return True


def _short(run: str, width: int = 60) -> str:
    """A digit run as quoted in a note: at most `width` characters."""
    return repr(run if len(run) <= width else run[:width] + f"… ({len(run)} characters)")


def _show(reading: tuple) -> str:
    return "/".join(str(x) for x in reading)


def _put(table, row: str, cols: tuple[str, ...], found: list[tuple], run: str, line: int | None) -> None:
    """Decided cells get the decoded text (and a note); cells on which the readings differ are ambiguous."""
    if not found:
        for c in cols:
            table.ambiguous[(row, c)] = (f"glued digits {_short(run)} cannot be read as {len(cols)} numbers"
                                         + (" adding up to the total" if len(cols) > 3 else ""), ())
        return
    shown = tuple(_show(r) for r in found[:20]) + (("…",) if len(found) > 20 else ())
    for j, c in enumerate(cols):
        values = {r[j] for r in found}
        if len(values) == 1:
            table.cells[(row, c)] = Token(VALUE, str(found[0][j]), line)
            table.cell_notes[(row, c)] = f"decoded from glued digits {_short(run)}"
        else:
            table.ambiguous[(row, c)] = (f"glued digits {_short(run)} have {len(found)} readings", shown)


def decode_active(table, tpl: T.Template) -> None:
    """Table 二 items: decided only where a run has exactly one reading (there is no identity to use)."""
    items = {i.code: i for i in tpl.active_items}
    for code, tokens in table.runs.items():
        cols = items[code].columns
        if _plain(table, code, tuple(c.code for c in cols), tokens):
            continue
        digits, cuts, line = run_of(tokens)
        found = [] if unreadable(digits, cuts, len(cols)) else list(
            itertools.islice(readings(digits, cuts, tuple(c.kind for c in cols)), MAX_READINGS))
        _put(table, code, tuple(c.code for c in cols), found, digits, line)


def decode_applications(table, tpl: T.Template) -> None:
    """Table 三: row totals per row, then balance and outcomes across rows."""
    meta, rows = {}, {}
    for code, tokens in table.runs.items():
        if _plain(table, code, T.APPLICANT_CODES, tokens):
            continue
        digits, cuts, line = run_of(tokens)
        found = row_readings(digits, cuts, len(T.APPLICANTS))
        if not found and not unreadable(digits, cuts, len(T.APPLICANT_CODES)):
            # a row total misprinted: keep only what the digits alone decide
            found = list(itertools.islice(readings(digits, cuts, ("count",) * len(T.APPLICANT_CODES)), 2))
            found = [tuple(int(x) for x in r) for r in found]
        meta[code], rows[code] = (digits, line), found
    if any(len(f) > MAX_READINGS for f in rows.values()):
        rows = {r: (f if len(f) <= MAX_READINGS else []) for r, f in rows.items()}
    rows = applications_joint(rows, tpl)
    for code, found in rows.items():
        digits, line = meta[code]
        _put(table, code, T.APPLICANT_CODES, found, digits, line)


def decode_review(table) -> None:
    """Table 四: three groups, each four counts adding up to its total."""
    tokens = table.runs.get("review_litigation")
    if not tokens:
        return
    if not all(t.kind != VALUE or _DIGITS.fullmatch(t.text) for t in tokens):
        from nianbao.parsers.walk import align

        aligned = align(tokens, 15)
        for gi, g in enumerate(T.REVIEW_GROUPS):
            part = None if aligned.cells is None else aligned.cells[gi * 5:(gi + 1) * 5]
            table.put(g.code, T.REVIEW_CODES, type(aligned)(part, aligned.reason, aligned.candidates))
        return
    digits, cuts, line = run_of(tokens)
    found = review_readings(digits, cuts)
    if len(found) > MAX_READINGS:
        found = []
    for gi, g in enumerate(T.REVIEW_GROUPS):
        part = [r[gi * 5:(gi + 1) * 5] for r in found]
        _put(table, g.code, T.REVIEW_CODES, sorted(set(part)), digits, line)
