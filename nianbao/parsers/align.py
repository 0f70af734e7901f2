"""Rows by alignment: a table's printed rows aligned to the template's skeleton as one global alignment.

A printed row (`Unit`: label text and the value or blank cells printed with it) is given to a template
row by a monotone alignment of the printed rows to the template's rows (order of rows and groups), each
pair scored by

* the label: 3 when the row's label pattern (`template.py`) matches, else a tolerant similarity of the
  printed label's tail to the row's own words (a character wrong or missing, a wrapped label cut
  short, a vertical group label's characters stuck in front), 0 below `MIN_SIMILARITY`;
* the values: a bonus when the row prints exactly as many cells as the row has columns.

The best total is found by dynamic programming, forwards and backwards, which also tells, for each
printed row, every template row it could take in *some* best alignment. A printed row is assigned when
that set is one row. Where several best alignments exist, `decide` (the table's arithmetic identities)
chooses, but only among those equally good alignments: a published arithmetic error neither makes a
row unplaceable nor moves values. Where nothing decides, the rows concerned are "row not identified"
and their cells null, never guessed.

Printed rows without any label (markdown from OCR, whose labels stand elsewhere as loose lines) are
placed afterwards, between the rows the alignment placed: by their loose labels when those match the
rows in between one for one, else by order when exactly as many rows are open as were printed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import product
from typing import Callable

from nianbao import template as T
from nianbao.parsers.tokens import VALUE, Token

EXACT = 3.0  # the row's label pattern matches
FUZZY = 2.5  # × similarity, for a label that only resembles the row's
FIT = 0.5  # the row prints as many cells as the row has columns
BLANK_ROW = 1.0  # a row of blank cells only: it may be a wrapped label's other line, so a row with values wins
MIN_SIMILARITY = 0.6
MIN_KEY = 3  # a label shorter than this ("总计", "其他") is matched by its pattern only
EPS = 1e-9
MAX_TIES = 256  # equally good alignments tried against the arithmetic; past this nothing is chosen

NOT_IDENTIFIED = "row not identified"

# list markers and group words in front of a row's own words: "三、本年度办理结果（一）", "（三）不予公开1."
_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d+[.、)])")
_TAIL_NOTE = re.compile(r"\(区分处理的.*$")
# a line that starts a row label: an item's list number, or a row's "一、", after any group marker; a
# group marker alone ("（四）…") does not count, since a group label printed down a merged cell puts its
# characters at the start of the other rows' lines
_LONE_CJK = re.compile(r"[\u4e00-\u9fff]")
_BLOCK = re.compile(r"第二十条|信息内容|申请人情况")  # table 二's block headings and header cells
_ITEM_START = re.compile(r"^(?:\([一二三四五六七八九十]\)?)?(?:\d+\.|[一二三四五六七八九十]+、)")


@dataclass(slots=True)
class Unit:
    """One printed row: its label (normalised; '' when none), first line, and value/blank cells.

    A wrapped label's lines may stand before the values' line, on it, or after it (a narrow label
    column; the values at the top, middle or bottom of the cell). `head` holds the label lines printed
    between the previous row's values and this row's (the end of the previous row's label, the start
    of this one's, or both), `own` the label text on the values' line, `tail` the label lines printed
    after the values, before the next row's (the next row's `head`). The alignment tries every split."""

    label: str
    line: int
    tokens: list[Token]
    n_values: int
    loose: tuple[str, ...] = ()  # label-less row: the loose label lines printed before its run, if any
    head: tuple[str, ...] = ()
    own: str = ""
    tail: tuple[str, ...] = ()

    def readings(self) -> list[tuple[str, int]]:
        """Every label this row may have, with where its own text starts: some of `head`'s last lines,
        `own`, some of `tail`'s first lines."""
        if not self.head and not self.tail:
            return [(self.label, 0)] if self.label else []
        out: list[tuple[str, int]] = []
        # the tail can only be the end of this row's label: it stops at a line that starts a label of its
        # own (an item's list number "2." or "四、", or a row's own words after a group marker: "（二）部分公")
        # and only a label that is not whole without it takes a tail (one whose own text, alone, is no
        # row's label: "1.本机关不掌" + "握相关政府信息", never "行政规范性文件" + "…行政许可")
        n_tail = 0
        if not any(_exact_any("".join(self.head[d:]) + self.own) for d in range(len(self.head) + 1)):
            for piece in self.tail:
                piece = piece.lstrip("#*")  # a markdown heading
                if _ITEM_START.match(piece) or _starts_row(piece) or _BLOCK.search(piece):
                    break
                n_tail += 1
        # where the own text starts a label ("（三）不予公开1.属于国家"), a pattern matched before it is
        # another row's; where it continues one ("的，只计这一" after "（二）部分公 / 开（区分处理"), not
        starts = _starts_label(self.own)
        for d in range(len(self.head) + 1):
            before = "".join(self.head[d:])
            start = len(before) if starts else 0
            for e in range(n_tail + 1):
                text = before + self.own + "".join(self.tail[:e])
                if text and (text, start) not in out:
                    out.append((text, start))
        return out


@dataclass
class Plan:
    """The outcome of an alignment: unit index → row index, rows left undecided, notes."""

    assigned: dict[int, int] = field(default_factory=dict)
    undecided: dict[int, str] = field(default_factory=dict)  # row index → reason
    notes: list[str] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)  # units given to no row


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
def _starts_row(piece: str) -> bool:
    """True when a label line is a group marker followed by the start of a row's own words ("（二）部分公");
    a marker before other words ("（四）握相关…": a vertical group label's character) is not."""
    m = _MARKER.match(piece)
    if not m:
        return False
    rest = piece[m.end():]
    return len(rest) >= 2 and any(k.startswith(rest) or rest.startswith(k) for k in _row_keys())


def _starts_label(text: str) -> bool:
    """True when a row's own text starts with a list marker or a group marker and a row's words."""
    text = text.lstrip("#*")
    return bool(_ITEM_START.match(text) or _starts_row(text) or _exact_any(text))


@lru_cache(maxsize=65536)
def _exact_any(piece: str) -> bool:
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


def best_reading(unit: Unit, rows: tuple[T.Row, ...], i: int) -> str:
    """The reading of the unit's label that scores best for row i (its printed label, as read)."""
    readings = unit.readings()
    return max(readings, key=lambda r: label_scores(r[0], rows, r[1]).get(i, 0.0), default=(unit.label, 0))[0]


def _fits(unit: Unit, width: int) -> bool:
    return unit.n_values == width or (unit.n_values <= width <= len(unit.tokens))


def solve(units: list[Unit], rows: tuple[T.Row, ...], widths: list[int],
          decide: Callable[[dict[int, int]], int] | None = None) -> Plan:
    """Align printed rows to template rows (see the module docstring). `decide(assignment)` scores a
    complete assignment by the number of the table's identities it satisfies (higher is better)."""
    m, n = len(units), len(rows)
    score: list[dict[int, float]] = []
    for u in units:
        s: dict[int, float] = {}
        for text, start in u.readings():
            for i, v in label_scores(text, rows, start).items():
                if v > s.get(i, 0.0):
                    s[i] = v
        if s:
            for i in list(s):
                if u.n_values == 0 and len(u.tokens) < widths[i]:
                    del s[i]  # a heading or a header cell: no row of values
                elif u.n_values == 0:
                    s[i] -= BLANK_ROW  # a row of blank cells, or a wrapped label's line beside them
                elif _fits(u, widths[i]):
                    s[i] += FIT
        score.append(s)
    F = [[0.0] * (n + 1) for _ in range(m + 1)]
    for j in range(1, m + 1):
        sj, Fj, Fp = score[j - 1], F[j], F[j - 1]
        for i in range(1, n + 1):
            best = Fp[i] if Fp[i] > Fj[i - 1] else Fj[i - 1]
            s = sj.get(i - 1)
            if s is not None and Fp[i - 1] + s > best:
                best = Fp[i - 1] + s
            Fj[i] = best
    B = [[0.0] * (n + 1) for _ in range(m + 1)]
    for j in range(m - 1, -1, -1):
        sj, Bj, Bn = score[j], B[j], B[j + 1]
        for i in range(n - 1, -1, -1):
            best = Bn[i] if Bn[i] > Bj[i + 1] else Bj[i + 1]
            s = sj.get(i)
            if s is not None and Bn[i + 1] + s > best:
                best = Bn[i + 1] + s
            Bj[i] = best
    opt = F[m][n]
    plan = Plan()
    options: dict[int, list[int | None]] = {}
    for j in range(m):
        cands = [i for i, s in score[j].items() if F[j][i] + s + B[j + 1][i + 1] >= opt - EPS]
        skip = any(F[j][i] + B[j + 1][i] >= opt - EPS for i in range(n + 1)) if cands else True
        if len(cands) == 1 and not skip:
            plan.assigned[j] = cands[0]
        elif cands:
            options[j] = sorted(cands) + ([None] if skip else [])
        else:
            plan.unplaced.append(j)
    if options:
        _break_ties(units, rows, score, opt, options, plan, decide)
    _place_unlabelled(units, rows, widths, plan, score)
    return plan


def _total(score, assignment: dict[int, int]) -> float:
    return sum(score[j][i] for j, i in assignment.items())


def _monotone(assignment: dict[int, int]) -> bool:
    rows = [assignment[j] for j in sorted(assignment)]
    return all(a < b for a, b in zip(rows, rows[1:]))


def _break_ties(units, rows, score, opt, options, plan: Plan, decide) -> None:
    """Several best alignments: the arithmetic chooses among them, or the rows stay undecided."""
    keys = sorted(options)
    best: list[dict[int, int]] = []
    tried = 0
    for combo in product(*(options[j] for j in keys)):
        tried += 1
        if tried > MAX_TIES:
            best = []
            break
        a = dict(plan.assigned)
        a.update({j: i for j, i in zip(keys, combo) if i is not None})
        if _monotone(a) and abs(_total(score, a) - opt) <= EPS:
            best.append(a)
    chosen = None
    if len(best) == 1:
        chosen = best[0]
    elif best and decide is not None:
        graded = [(decide(a), k) for k, a in enumerate(best)]
        top = max(g for g, _ in graded)
        winners = [k for g, k in graded if g == top]
        if len(winners) == 1:
            chosen = best[winners[0]]
            plan.notes.append(f"rows of lines {', '.join(str(units[j].line) for j in keys)} chosen by the table's "
                              f"arithmetic among {len(best)} equally good alignments")
    if chosen is not None:
        for j in keys:
            if j in chosen:
                plan.assigned[j] = chosen[j]
            else:
                plan.unplaced.append(j)
        return
    for j in keys:
        cands = [i for i in options[j] if i is not None]
        for i in cands:
            plan.undecided[i] = NOT_IDENTIFIED
        names = " or ".join(rows[i].code for i in cands)
        plan.notes.append(f"line {units[j].line}: {NOT_IDENTIFIED} ({names}; several alignments fit equally)")


def _place_unlabelled(units, rows, widths, plan: Plan, score) -> None:
    """Printed rows the labels could not place, between two placed rows: label-less rows by their loose
    labels, else by order; rows whose label is no row's (a typo in a short label: "3.公他") by order,
    when exactly as many rows are open between their neighbours and their list numbers agree."""
    taken = set(plan.assigned.values()) | set(plan.undecided)
    undecided_units = {j for j in range(len(units)) if j not in plan.assigned and score[j]}

    def orphan(x: int) -> bool:
        return x not in plan.assigned and x not in undecided_units and (units[x].n_values > 0 or not units[x].label)

    j = 0
    while j < len(units):
        if not orphan(j):
            j += 1
            continue
        k = j
        while k < len(units) and orphan(k):
            k += 1
        run = [x for x in range(j, k) if units[x].n_values > 0 or len(units[x].tokens) > 0]
        labelled = any(units[x].label for x in run)
        lo = max((plan.assigned[x] for x in plan.assigned if x < j), default=-1)
        hi = min((plan.assigned[x] for x in plan.assigned if x >= k), default=len(rows))
        open_rows = [i for i in range(lo + 1, hi) if i not in taken]
        placed = None
        if run and not labelled:
            placed = _by_loose_labels(units, run, rows, open_rows) or _by_order(units, run, rows, widths, open_rows)
        elif run:
            placed = _by_order(units, run, rows, widths, open_rows)
            if placed and not all(_same_number(units[x], rows[i]) for x, i in placed.items()):
                placed = None
        if placed:
            plan.unplaced = [x for x in plan.unplaced if x not in placed]
            for x, i in placed.items():
                plan.assigned[x] = i
                taken.add(i)
            how = ("by the label lines printed before them" if units[run[0]].loose else "by their order")
            plan.notes.append(f"lines {units[run[0]].line}-{units[run[-1]].line}: rows "
                              + ("whose labels are no row's" if labelled else "without labels") + " placed " + how)
        elif run and not labelled:
            plan.unplaced = [x for x in plan.unplaced if x not in run]
            for i in open_rows:
                if not rows[i].subtotal:
                    plan.undecided[i] = NOT_IDENTIFIED
            plan.notes.append(f"lines {units[run[0]].line}-{units[run[-1]].line}: {len(run)} rows without labels "
                              f"and {len(open_rows)} open template rows: {NOT_IDENTIFIED}")
        j = k


_NUMBER = re.compile(r"(?:^|\))(\d+)\.")


def _same_number(unit: Unit, row: T.Row) -> bool:
    """The printed list number of a row ("3.公他" → 3) agrees with the template row's (3.其他); a label
    without a number agrees with nothing, so it is never placed by order alone."""
    got = _NUMBER.search(unit.own or unit.label)
    want = _NUMBER.search(T.normalise(row.label).split(")")[-1] if ")" in T.normalise(row.label) else T.normalise(row.label))
    return bool(got and want and got.group(1) == want.group(1))


def _by_loose_labels(units, run, rows, open_rows) -> dict[int, int] | None:
    """The run's loose label lines, each read as one open row (in order; lines that are no row's label,
    such as header cells, passed over): when they name exactly as many rows as the run has, row k of
    the run is the k-th row named."""
    loose = units[run[0]].loose if run else ()
    named, start = [], 0
    for label in loose:
        scores = {i: s for i, s in label_scores(label, rows).items() if i in open_rows and open_rows.index(i) >= start}
        if not scores:
            continue
        top = max(scores.values())
        best = [i for i, s in scores.items() if s == top]
        if len(best) != 1:
            return None
        named.append(best[0])
        start = open_rows.index(best[0]) + 1
    if len(named) != len(run):
        return None
    return dict(zip(run, named))


def _by_order(units, run, rows, widths, open_rows) -> dict[int, int] | None:
    items = [i for i in open_rows if not rows[i].subtotal]
    if not run or len(items) != len(run):
        return None
    if not all(_fits(units[x], widths[i]) for x, i in zip(run, items)):
        return None
    return dict(zip(run, items))


def units_of(segments, rows: tuple[T.Row, ...] = ()) -> list[Unit]:
    """The printed rows of a table from its label segments (`walk.Segment`).

    A segment is one row, except a run of label-less lines each printing a row of several cells
    (markdown from OCR): each such line is a row, and the label lines before the run are kept as its
    loose labels. A line of blank cells whose label is no row's (the second line of a wrapped label in
    a grid: "| | 府信息公开申请 | | | … |") is a label line, not a row."""
    out: list[Unit] = []
    carry: list[str] = []  # label lines of such blank lines, for the next row's head
    pending: list[str] = []  # label lines of the segments since the last printed row, one per line
    for seg in segments:
        toks = seg.values
        lines: dict[int, list[Token]] = {}
        for t in toks:
            lines.setdefault(t.line, []).append(t)
        pieces: dict[int, str] = {}
        for ln, text in seg.pieces or [(seg.line, seg.label)]:
            if text:
                pieces[ln] = pieces.get(ln, "") + text
        if len(lines) >= 2:
            # one CJK character read as a placeholder ("无", "空") alone on a line beside a row of values is
            # a group label printed down its merged cell ("无 / 法 / 提 / 供"), not a cell
            main = [ln for ln, v in lines.items() if len(v) >= 2]
            if len(main) == 1:
                stray = [ln for ln, v in lines.items() if len(v) == 1 and _LONE_CJK.fullmatch(v[0].text)]
                if stray and len(stray) == len(lines) - 1:
                    lines = {main[0]: lines[main[0]]}
                    toks = lines[main[0]]
        if len(lines) >= 2:
            # rows of empty cells only, of another width than the rows of values, are header rows of
            # one-table-per-row markdown ("|  |  | … |"), not rows
            widths = {len(v) for v in lines.values() if any(t.kind == VALUE for t in v)}
            if len(widths) == 1:
                lines = {ln: v for ln, v in lines.items() if any(t.kind == VALUE for t in v) or len(v) in widths}
        counts = [len(v) for v in lines.values()]
        if len(lines) >= 2 and min(counts) >= 2 and len(set(counts)) == 1:
            runs = list(lines.items())
            first_line = runs[0][0]
            if first_line in pieces:  # the first row prints its own label; the rows after it do not
                ln, ts = runs.pop(0)
                out.append(Unit(seg.label, seg.line, ts, sum(1 for t in ts if t.kind == VALUE)))
                loose: tuple[str, ...] = ()
            else:
                loose = tuple(pending) + tuple(pieces.values())
            for k, (ln, ts) in enumerate(runs):
                out.append(Unit("", ln, ts, sum(1 for t in ts if t.kind == VALUE), loose if k == 0 else ()))
            pending = []
            continue
        if not toks or sum(1 for t in toks if t.kind == VALUE) == 0 and len(toks) < 2:
            pending += pieces.values()
            if not toks:
                continue
        else:
            pending = []
        if rows and seg.n_values == 0 and seg.label:
            # a line of blank cells: a row printed blank, or a wrapped label's line beside the blank cells
            # of its row (the values on another line). Its label goes to the next row's head either way;
            # it stays a row (weaker than one with values) only where its label is some row's.
            lines_of = [t for _, t in seg.pieces or [(seg.line, seg.label)] if t]
            if max(label_scores(seg.label, rows).values(), default=0.0) >= EXACT - 0.5:
                out.append(Unit(seg.label, seg.line, toks, 0, own=seg.label))
            carry += lines_of
            continue
        first = toks[0].line
        pieces = seg.pieces or [(seg.line, seg.label)]
        head = tuple(carry) + tuple(t for ln, t in pieces if ln < first and t)
        own = "".join(t for ln, t in pieces if ln >= first)
        if not own and head:  # one cell per line: the label's last line stands just before the values
            head, own = head[:-1], head[-1]
        carry = []
        n_values = sum(1 for t in toks if t.kind == VALUE) if toks is not seg.values else seg.n_values
        out.append(Unit("".join(head) + own, seg.line, toks, n_values, head=head, own=own))
    nxt = None  # the next row with values: its head holds the lines after this row's values
    for u in reversed(out):
        if nxt is not None and nxt.head and not nxt.loose:
            u.tail = nxt.head
        if u.n_values:
            nxt = u
    return out
