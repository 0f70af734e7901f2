"""The printed rows of a table: its label segments (`walk.Segment`) as `Unit`s for the alignment.

A unit is one printed row: its label, and the value or blank cells printed with it. A wrapped label's
lines may stand before the values' line, on it, or after it (a narrow label column, the values at the
top, middle or bottom of the cell): `Unit.readings` gives every split the alignment may try. Label-less
rows (markdown from OCR) keep the label lines printed before them as loose labels; a line of blank cells
whose label is no row's is a wrapped label's line, not a row; a vertical group label's lone character
read as a placeholder ("无" of 无法提供) is not a cell.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nianbao import template as T
from nianbao.parsers.labels import EXACT, ITEM_START, exact_any, label_scores, starts_label, starts_row
from nianbao.parsers.tokens import VALUE, Token

_LONE_CJK = re.compile(r"[\u4e00-\u9fff]")
_BLOCK = re.compile(r"第二十条|信息内容|申请人情况")  # table 二's block headings and header cells


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
        if not any(exact_any("".join(self.head[d:]) + self.own) for d in range(len(self.head) + 1)):
            for piece in self.tail:
                piece = piece.lstrip("#*")  # a markdown heading
                if ITEM_START.match(piece) or starts_row(piece) or _BLOCK.search(piece):
                    break
                n_tail += 1
        # where the own text starts a label ("（三）不予公开1.属于国家"), a pattern matched before it is
        # another row's; where it continues one ("的，只计这一" after "（二）部分公 / 开（区分处理"), not
        starts = starts_label(self.own)
        for d in range(len(self.head) + 1):
            before = "".join(self.head[d:])
            start = len(before) if starts else 0
            for e in range(n_tail + 1):
                text = before + self.own + "".join(self.tail[:e])
                if text and (text, start) not in out:
                    out.append((text, start))
        return out



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

