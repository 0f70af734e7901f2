"""Rows by alignment: a table's printed rows aligned to the template's skeleton as one global alignment.

A printed row (`rows.Unit`: label text and the value or blank cells printed with it) is given to a template
row by a monotone alignment of the printed rows to the template's rows (order of rows and groups), each
pair scored by

* the label (`labels.label_scores`): 3 when the row's label pattern (`template.py`) matches, else a
  tolerant similarity of the printed label's tail to the row's own words (a character wrong or missing,
  a wrapped label cut short, a vertical group label's characters stuck in front), 0 below a floor; the
  best of the label's readings (`rows.Unit.readings`: a wrapped label's lines around the values);
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
from itertools import product
from typing import Callable

from nianbao import template as T
from nianbao.parsers.labels import label_scores
from nianbao.parsers.rows import Unit

FIT = 0.5  # the row prints as many cells as the row has columns
BLANK_ROW = 1.0  # a row of blank cells only: it may be a wrapped label's other line, so a row with values wins
EPS = 1e-9
MAX_TIES = 256  # equally good alignments tried against the arithmetic; past this nothing is chosen

NOT_IDENTIFIED = "row not identified"


@dataclass
class Plan:
    """The outcome of an alignment: unit index → row index, rows left undecided, notes."""

    assigned: dict[int, int] = field(default_factory=dict)
    undecided: dict[int, str] = field(default_factory=dict)  # row index → reason
    notes: list[str] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)  # units given to no row



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
    the run is the k-th row named. A line between two named ones that names nothing (a typo in a short
    label: "3.信他") takes the one row open between them when its list number agrees."""
    loose = units[run[0]].loose if run else ()
    named: list[int | None] = []
    unnamed: list[str | None] = []  # the text of each unnamed line that carries a list number
    start = 0
    for label in loose:
        scores = {i: s for i, s in label_scores(label, rows).items() if i in open_rows and open_rows.index(i) >= start}
        if not scores:
            if _NUMBER.search(label):
                named.append(None)
                unnamed.append(label)
            continue
        top = max(scores.values())
        best = [i for i, s in scores.items() if s == top]
        if len(best) != 1:
            return None
        named.append(best[0])
        unnamed.append(None)
        start = open_rows.index(best[0]) + 1
    if None in named:  # fill a line that names nothing between two that do, where one row is open
        for k, row in enumerate(named):
            if row is not None:
                continue
            before = next((named[j] for j in range(k - 1, -1, -1) if named[j] is not None), -1)
            after = next((named[j] for j in range(k + 1, len(named)) if named[j] is not None), len(rows))
            between = [i for i in open_rows if before < i < after and not rows[i].subtotal]
            lone = (k == 0 or named[k - 1] is not None) and (k + 1 == len(named) or named[k + 1] is not None)
            got = _NUMBER.search(unnamed[k])
            want = _NUMBER.search(T.normalise(rows[between[0]].label).split(")")[-1]) if len(between) == 1 else None
            if lone and got and want and got.group(1) == want.group(1):
                named[k] = between[0]
        named = [i for i in named if i is not None]
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

