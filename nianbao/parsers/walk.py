"""Read the three tables from a token stream by following the template's labels, not positions.

A table is read as *segments*: a run of label text followed by the value cells printed after it.
A segment whose label ends in a row's label pattern (in template order) gives that row its values.
Which of the value cells are the row's columns is decided by `align`: exactly the expected number
of values, or a unique window of value-and-empty cells; anything else is ambiguous, never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, NamedTuple

from decimal import Decimal

from nianbao import cells as C
from nianbao import template as T
from nianbao.parsers import align as A
from nianbao.parsers.rows import units_of
from nianbao.parsers.tokens import EMPTY, TEXT, VALUE, Token, grid_line_cells, plain_line_cells


@dataclass(slots=True)
class Segment:
    """Label text (normalised, concatenated over cells and lines) and the value cells after it.

    `n_values` is kept up to date by `line_segments`, which is where segments are built."""

    label: str
    line: int
    values: list[Token] = field(default_factory=list)
    n_values: int = 0  # how many of `values` are value tokens (the others are empty cells)
    pieces: list[tuple[int, str]] | None = None  # (line, normalised text) of each label cell, when several

    @property
    def has_values(self) -> bool:
        return self.n_values > 0


class Aligned(NamedTuple):
    """The outcome of aligning a row's value cells to its columns."""

    cells: tuple[Token | None, ...] | None  # None when ambiguous or not a row
    reason: str | None = None
    candidates: tuple[str, ...] = ()


# `_tuple_new(Aligned, (cells, None, ()))` is Aligned(cells) without the Python-level __new__ of a named
# tuple: the same object at C speed (a row is aligned for every segment with values).
_tuple_new = tuple.__new__


def line_segments(lines: list[str], start: int = 0, end: int | None = None, grid: bool = False) -> list[Segment]:
    """The label segments of lines[start:end] (`grid`: as in `tokens.tokenize`): the label cells' text is
    concatenated until a value or blank cell follows; values before any label get an empty label.

    One pass over the lines, each line's cells taken from the tokenizer's cache (`tokens.grid_line_cells`
    / `plain_line_cells`): only value and empty cells become tokens (a label cell is only ever read as the
    text it adds to its segment's label)."""
    out: list[Segment] = []
    seg: Segment | None = None  # the last segment, out[-1]
    values: list[Token] = []  # its values
    normalise = T.normalise
    cells_of = grid_line_cells if grid else plain_line_cells
    for n, line in enumerate(lines[start:end], start + 1):
        if not line:
            continue  # (a blank line between rows: the most common line after a lone number)
        for kind, text in cells_of(line):
            if kind == TEXT:
                if seg is not None and not values:
                    text = normalise(text)
                    if seg.pieces is None:
                        seg.pieces = [(seg.line, seg.label)]
                    seg.pieces.append((n, text))
                    seg.label += text
                else:
                    seg = Segment(normalise(text), n)
                    values = seg.values
                    out.append(seg)
                continue
            if seg is None:
                seg = Segment("", n)
                values = seg.values
                out.append(seg)
            values.append(_tuple_new(Token, (kind, text, n)))
            if kind == VALUE:
                seg.n_values += 1
    return out


def align(tokens: list[Token], n: int, n_values: int | None = None) -> Aligned:
    """Choose the n cells of a row from the value/empty tokens printed after its label.

    `n_values`: how many of the tokens are values, when the caller knows (a segment does)."""
    if n_values is None:
        n_values = sum(1 for t in tokens if t.kind == VALUE)
    if len(tokens) == n_values == n:  # the common case: just the row's values
        return _tuple_new(Aligned, (tuple(tokens), None, ()))
    idx = [i for i, t in enumerate(tokens) if t.kind == VALUE]
    if len(idx) == n:
        return _tuple_new(Aligned, (tuple(tokens[i] for i in idx), None, ()))
    if len(idx) > n:
        return Aligned(None, f"{len(idx)} values printed where {n} were expected",
                       (" ".join(t.text for t in tokens if t.kind == VALUE),))
    if len(tokens) < n:
        return Aligned(None, "not a row" if not idx else f"only {len(idx)} of {n} values printed")
    lo = max(0, (idx[-1] - n + 1) if idx else 0)
    hi = min(idx[0] if idx else len(tokens) - n, len(tokens) - n)
    windows = {}
    for s in range(lo, hi + 1):
        key = tuple((t.kind, t.text) for t in tokens[s:s + n])
        windows.setdefault(key, s)
    if len(windows) == 1:
        s = next(iter(windows.values()))
        return Aligned(tuple(t if t.kind == VALUE else Token(EMPTY, "", t.line) for t in tokens[s:s + n]))
    readings = tuple(" ".join(text or "□" for _, text in key) for key in windows)
    return Aligned(None, f"{len(idx)} values and blank cells in {len(tokens)} places: the blanks' columns are ambiguous", readings)


class _RowMatcher:
    """The label patterns of one tuple of rows, compiled once, with the answers of `match_row` cached
    (labels repeat: most are the template's own)."""

    def __init__(self, rows: tuple[T.Row, ...]):
        self.rows = rows  # kept so that the id this matcher is filed under stays this tuple's
        self.patterns = tuple(
            (T.literals(r.pattern)[:1], T.compiled(r.pattern), r.pattern.endswith("$")) for r in rows
        )
        self.match = lru_cache(maxsize=16384)(self._match)
        # items[i]: how many non-subtotal rows stand before row i (a row skipped between two read is a gap)
        self.items = [0]
        for r in rows:
            self.items.append(self.items[-1] + (not r.subtotal))

    def _match(self, label: str, start: int) -> int | None:
        best, best_end = None, -1
        for i in range(start, len(self.patterns)):
            keys, pattern, anchored = self.patterns[i]
            if keys and keys[0] not in label:
                continue
            if anchored:  # anchored at the end: one search says all
                end = len(label) if pattern.search(label) else -1
            else:
                end = max((m.end() for m in pattern.finditer(label)), default=-1)
            if end > best_end:
                best, best_end = i, end
        return best


_MATCHERS: dict[int, _RowMatcher] = {}


def _matcher(rows: tuple[T.Row, ...]) -> _RowMatcher:
    """The matcher of a rows tuple (the template's tuples: a handful), filed under the tuple's id."""
    m = _MATCHERS.get(id(rows))
    if m is None or m.rows is not rows:
        if len(_MATCHERS) >= 64:  # only callers that build their own tuples get here this often
            _MATCHERS.clear()
        m = _MATCHERS[id(rows)] = _RowMatcher(rows)
    return m


def match_row(label: str, rows: tuple[T.Row, ...], start: int) -> int | None:
    """Index (≥ start) of the row whose label pattern matches latest in `label` (ties: template order)."""
    return _matcher(rows).match(label, start)


@dataclass
class TableRead:
    """What was read of one table: cells by (row, column), and notes about what could not be decided."""

    cells: dict[tuple[str, str], Token | None] = field(default_factory=dict)
    ambiguous: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    found: bool = False
    cell_notes: dict[tuple[str, str], str] = field(default_factory=dict)
    runs: dict[str, list[Token]] = field(default_factory=dict)  # glued text: each row's undecoded value tokens
    labels: dict[str, str] = field(default_factory=dict)  # row code → the printed label it was read from
    not_printed: dict[tuple[str, str], str] = field(default_factory=dict)  # cell → the group total printed instead

    def put(self, row: str, columns: tuple[str, ...], aligned: Aligned) -> None:
        self.put_keys(_cell_keys(row, columns), aligned)

    def put_keys(self, keys: tuple[tuple[str, str], ...], aligned: Aligned) -> None:
        """`put` with the cells' (row, column) keys already made."""
        if aligned.cells is None:
            ambiguous = (aligned.reason or "ambiguous", aligned.candidates)
            for key in keys:
                self.ambiguous[key] = ambiguous
            return
        self.cells.update(zip(keys, aligned.cells))


@lru_cache(maxsize=4096)
def _cell_keys(row: str, columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The (row, column) keys of a row's cells, in column order."""
    return tuple((row, c) for c in columns)


def read_rows(segs: list[Segment], rows: tuple[T.Row, ...], columns_of, table: TableRead, glued: bool = False,
              decide: Callable[[dict[tuple[str, str], Token | None]], int] | None = None) -> None:
    """Give printed rows to template rows. `columns_of(row)` gives a row's column codes.

    The rows are found by one global alignment of the printed rows to the template (`align.py`). Its
    common case needs no search: when every printed row's label matches its row's pattern, in template
    order, and every template row is found, that reading is the alignment's unique optimum and is taken
    as read by `_read_exact`. `decide(cells)` counts the table's identities a tentative reading satisfies
    (used only to choose among equally good alignments).

    For glued text the value tokens are kept undecoded in `table.runs` (see parsers/glued.py).
    """
    if glued:
        _read_glued(segs, rows, table)
        return
    saved = [seg.label for seg in segs]  # `_label_tail` moves label text between segments
    if _read_exact(segs, rows, columns_of, table):
        return
    for seg, label in zip(segs, saved):
        seg.label = label
    table.cells.clear()  # (the tables given here are new: nothing else was in them)
    table.ambiguous.clear()
    table.labels.clear()
    table.found = False
    _read_aligned(segs, rows, columns_of, table, decide)


def _read_glued(segs: list[Segment], rows: tuple[T.Row, ...], table: TableRead) -> None:
    pos = 0
    match = _matcher(rows).match
    for k, seg in enumerate(segs):
        if not seg.label:
            continue
        i = match(seg.label, pos)
        if i is None and seg.has_values and k + 1 < len(segs):
            i = _label_tail(seg, segs[k + 1], rows, pos)
        if i is None:
            continue
        if seg.has_values and rows[i].code not in table.runs:
            table.runs[rows[i].code] = seg.values
            table.found = True
            pos = i + 1


def _read_exact(segs: list[Segment], rows: tuple[T.Row, ...], columns_of, table: TableRead) -> bool:
    """Rows by their label patterns in template order; True when that explains the whole table (every
    printed row placed, every template row found), which makes it the alignment's unique optimum."""
    pos = 0
    matcher = _matcher(rows)
    match, items = matcher.match, matcher.items
    clean = True
    cells, ambiguous, labels = table.cells, table.ambiguous, table.labels
    for k, seg in enumerate(segs):
        n_values, values = seg.n_values, seg.values  # (n_values: `has_values` without a property call)
        if not seg.label:
            if n_values:
                return False
            continue
        i = match(seg.label, pos)
        if i is None and n_values and k + 1 < len(segs):
            i = _label_tail(seg, segs[k + 1], rows, pos)
        if i is None:
            if n_values or (values and table.found):
                return False
            continue
        row = rows[i]
        cols = columns_of(row)
        if n_values and len(values) == n_values == len(cols):
            aligned = None  # `align`'s common case, taken as it is: just the row's values
        else:
            aligned = align(values, len(cols), n_values)
            if aligned.reason == "not a row":
                continue  # a group heading or a header cell
            if row.subtotal and not n_values:
                continue
        if items[i] > items[pos]:
            clean = False  # a template row was skipped: let the alignment look at it
        table.found = True
        keys = _cell_keys(row.code, cols)
        if keys[0] in cells or keys[0] in ambiguous:
            return False  # printed twice: the alignment decides
        if aligned is None:
            cells.update(zip(keys, values))
        else:
            table.put_keys(keys, aligned)
        labels[row.code] = seg.label
        pos = i + 1
    return clean and items[-1] == items[pos] and table.found


def _read_aligned(segs: list[Segment], rows: tuple[T.Row, ...], columns_of, table: TableRead, decide) -> None:
    """Rows by the global alignment (`align.solve`): typos, wrapped and vertical labels, collapsed groups."""
    units = units_of(segs, rows)
    widths = [len(columns_of(r)) for r in rows]

    def cells_of(assignment: dict[int, int]) -> dict[tuple[str, str], Token | None]:
        out: dict[tuple[str, str], Token | None] = {}
        for j, i in assignment.items():
            cols = columns_of(rows[i])
            got = align(units[j].tokens, len(cols), units[j].n_values)
            if got.cells is not None:
                out.update(zip(_cell_keys(rows[i].code, cols), got.cells))
        return out

    plan = A.solve(units, rows, widths, (lambda a: decide(cells_of(a))) if decide else None)
    table.notes.extend(plan.notes)
    for j in sorted(plan.assigned):
        i, unit = plan.assigned[j], units[j]
        row = rows[i]
        if row.subtotal and not unit.n_values and _group_has_values(row, rows, plan, units):
            continue  # a group's heading printed over blank cells, its rows printed below with numbers: not a total
        cols = columns_of(row)
        aligned = align(unit.tokens, len(cols), unit.n_values)
        if aligned.reason == "not a row" and not unit.label:
            continue
        table.found = True
        table.put_keys(_cell_keys(row.code, cols), aligned)
        label = A.best_reading(unit, rows, i)
        table.labels[row.code] = label
        if label and not T.compiled(row.pattern).search(label):
            table.notes.append(f"line {unit.line}: label {label[-30:]!r} read as {row.code} "
                               "(not the template's wording; placed by the alignment)")
    for i, reason in plan.undecided.items():
        for key in _cell_keys(rows[i].code, columns_of(rows[i])):
            table.ambiguous.setdefault(key, (reason, ()))
    for j in plan.unplaced:
        unit = units[j]
        if unit.n_values and table.found:
            what = f"unrecognised label {unit.label[:30]!r}" if unit.label else "no label"
            table.notes.append(f"line {unit.line}: values after {what} ignored")
    _collapsed_groups(rows, columns_of, table)


def _group_has_values(subtotal: T.Row, rows: tuple[T.Row, ...], plan, units) -> bool:
    """True when a row of the subtotal's group was printed with a number other than 0 (then a line of
    blank cells under the group's name is its heading, not a total of 0)."""
    for j, i in plan.assigned.items():
        r = rows[i]
        if r.group == subtotal.group and not r.subtotal:
            for t in units[j].tokens:
                if t.kind == VALUE:
                    v = C.read(t.text)
                    if v.status == C.VALUE and v.value:
                        return True
    return False


def _collapsed_groups(rows: tuple[T.Row, ...], columns_of, table: TableRead) -> None:
    """A group printed as its total alone ("（六）其他处理" and one row of values, no 1./2./3. lines): its
    item rows were not printed. Their cells say so, and the report gets a warning, not a structure error."""
    printed = {r for r, _ in table.cells} | {r for r, _ in table.ambiguous}
    for r in rows:
        if not r.subtotal or r.code not in printed:
            continue
        items = [x for x in rows if x.group == r.group and not x.subtotal]
        if any(x.code in printed for x in items):
            continue
        for x in items:
            for key in _cell_keys(x.code, columns_of(x)):
                table.not_printed[key] = r.code
        table.notes.append(f"group {r.group} printed as its total only ({r.code}); its rows "
                           f"{', '.join(x.code for x in items)} were not printed")


def _label_tail(seg: Segment, nxt: Segment, rows: tuple[T.Row, ...], pos: int) -> int | None:
    """A wrapped label whose tail was printed after its numbers (PDF, OCR): "…逾期不补正、行政机关" 0 0 …
    "不再处理其政府信息公开申请（六）…". The shortest head of the next label that completes a row label
    is moved back to this segment."""
    for cut in range(1, len(nxt.label) + 1):
        i = match_row(seg.label + nxt.label[:cut], rows, pos)
        if i is not None and not T.compiled(rows[i].pattern).search(nxt.label[:cut]):
            seg.label += nxt.label[:cut]
            nxt.label = nxt.label[cut:]
            return i
    return None


@lru_cache(maxsize=16)  # keyed by the template's name, as `text._cell_plan`
def _item_columns(tpl_name: str) -> dict[str, tuple[str, ...]]:
    """Table 二's items → the codes of their own columns."""
    return {r.code: tuple(c.code for c in r.columns) for r in T.template(tpl_name).active_items}


def read_active(segs: list[Segment], tpl: T.Template, glued: bool = False) -> TableRead:
    """Table 二: each item label followed by its own columns' values."""
    table = TableRead()
    columns = _item_columns(tpl.name)
    read_rows(segs, tpl.active_items, lambda r: columns[r.code], table, glued)
    return table


def applicant_columns(header: str) -> tuple[str, ...]:
    """Table 三's columns in printed order, from its (normalised) header text.

    A printed 法人或其他组织小计 column stands after the five organisation columns, or, when its
    header comes before 商业企业, right after 自然人. 总计 is always last.
    """
    at = header.find(T.ORG_SUBTOTAL.label[-2:])
    if at < 0:
        return T.APPLICANT_CODES
    first_org = header.find(T.APPLICANT_COLUMNS[1].label)
    if 0 <= at < first_org:
        return (T.APPLICANT_CODES[0], T.ORG_SUBTOTAL.code, *T.ORG_COLUMNS, "total")
    return (T.APPLICANT_CODES[0], *T.ORG_COLUMNS, T.ORG_SUBTOTAL.code, "total")


def read_applications(segs: list[Segment], tpl: T.Template, cols: tuple[str, ...], glued: bool = False) -> TableRead:
    """Table 三: every row label followed by one value per printed applicant column."""
    table = TableRead()
    read_rows(segs, tpl.application_rows, lambda r: cols, table, glued, decide=lambda cells: identities_met(cells, tpl, cols))
    return table


def identities_met(cells: dict[tuple[str, str], Token | None], tpl: T.Template, cols: tuple[str, ...]) -> int:
    """How many of table 三's column identities (balance, outcomes, printed group subtotals) a tentative
    reading satisfies, blanks counted as 0; an identity with a cell not read is not counted."""
    def value(row: str, col: str):
        tok = cells.get((row, col), _ABSENT)
        if tok is _ABSENT:
            return None
        if tok is None or tok.kind != VALUE:
            return Decimal(0)
        v = C.read(tok.text)
        return v.value if v.status == C.VALUE else (Decimal(0) if v.status in C.COUNTED_AS_ZERO else None)

    def total(codes, col):
        vals = [value(r, col) for r in codes]
        return None if any(v is None for v in vals) else sum(vals, Decimal(0))

    met = 0
    groups = {r.group for r in tpl.application_rows if r.subtotal}
    for col in cols:
        sides = [(total(T.BALANCE_IN, col), total(T.BALANCE_OUT, col)),
                 (total(tpl.outcome_rows, col), value("total_processed", col))]
        for g in groups:
            if any(r == T.subtotal_row(g) for r, _ in cells):
                sides.append((value(T.subtotal_row(g), col), total(T.group_items(tpl, g), col)))
        met += sum(1 for a, b in sides if a is not None and b is not None and a == b)
    return met


_ABSENT = object()


def read_review(segs: list[Segment], glued: bool = False) -> TableRead:
    """Table 四: fifteen values in group order, after the header cells."""
    table = TableRead()
    first = next((k for k, s in enumerate(segs) if s.has_values), None)
    if first is None:
        return table
    values = [t for s in segs[first:] for t in s.values]
    if glued:
        table.runs["review_litigation"] = values
        table.found = True
        return table
    names = [(g.code, c) for g in T.REVIEW_GROUPS for c in T.REVIEW_CODES]
    aligned = align(values, len(names))
    table.found = True
    if aligned.cells is None:
        for key in names:
            table.ambiguous[key] = (aligned.reason or "ambiguous", aligned.candidates)
    else:
        table.cells.update(zip(names, aligned.cells))
    return table
