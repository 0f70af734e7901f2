"""Table geometry of one PDF page: characters → printed lines → table rows → cells in their columns.

Everything here works in reading space (points, y up) on plain tuples, without pdfium:

* a printed line is cut into segments at gaps wider than a cell's padding and at vertical rules;
* rows: in a ruled table, the printed lines between the same two horizontal rules are one row; a
  cell whose rules enclose several rows (a merged group label) is not any of them. Without inner
  rules, the lines of one wrapped label are linked by their line pitch (closer than two rows, which
  are separated by cell padding) and a label block goes to the one value line it encloses;
* columns: a row's value cells are put in their columns, one TAB field each (empty for a blank
  cell), by the vertical rules crossing the row, else by the header cells over the value clusters,
  else by the clusters of the values' x positions. A value whose column cannot be decided leaves
  its row as printed (values without empty fields): a cell not read, never a wrong column.
"""
from __future__ import annotations

from bisect import bisect_left
from heapq import heapify, heappop, heappush
from operator import itemgetter
from statistics import median

from nianbao.cells import looks_like_value

GAP = 0.6  # × median character width: Word's default cell padding (2 × 0.19 cm) is about one em at 10.5 pt
SAME_LINE = 0.5  # × character height: vertical distance of centres within which characters share a line
TIGHT = 0.15  # × character height: centres this close (one after the other) are always one line
MAX_ROW = 6  # × character height: a taller space between two rules is not one table row (no inner rules)
LINK = 1.25  # two lines of one wrapped label are closer than the closest two rows' lines ÷ this (cell padding)
SNAP = 3.0  # pt: rules closer than this are one rule (a thin filled box's two edges, double rules)

# Header cells that span several value columns (or are the label column's): not a column of their own.
_GROUP_HEADERS = frozenset(("申请人情况", "法人或其他组织", "行政复议", "行政诉讼", "未经复议直接起诉",
                            "复议后起诉", "信息内容", "法人或其他组织情况"))


class Line:
    """One printed line: centre y, top y, character height, its characters and its segments (x0, x1, text)."""

    __slots__ = ("y", "top", "h", "chars", "segs", "page")

    def __init__(self, y, h, chars):
        self.y, self.h, self.chars = y, h, chars
        self.top = max(c[2] + c[3] / 2 for c in chars)
        self.segs: list[tuple[float, float, str]] = []


def printed_lines(chars) -> tuple[list[Line], float]:
    """Characters (left, right, centre_y, height, char) → printed lines top to bottom, and the cell gap."""
    visible = [c for c in chars if c[4] != " "]
    if not visible:
        return [], 0.0
    gap = GAP * (median(c[1] - c[0] for c in visible) or 1.0)
    lines = [Line(cl[0], cl[3][0][3], cl[3]) for cl in _line_clusters(chars)]
    for line in lines:
        line.chars.sort(key=lambda c: c[0])
        line.segs = segments(line.chars, gap)
    return [ln for ln in lines if ln.segs], gap


def _line_clusters(chars) -> list[list]:
    """Characters grouped into printed lines, top to bottom: [top centre y, bottom centre y, max height, chars].

    The characters of one line share a baseline, but their boxes' centres do not quite agree (fonts of
    different ascent for labels and numbers, glyph boxes): up to a third of their height in real files.
    Lines of a neighbouring column (a label printed vertically, a cell centred on another pitch) may lie
    less than a line apart, their centres interleaved with this line's by the same amount. So the
    characters are first cut into tight runs of near-equal centres, which are never split, and neighbouring
    runs are then joined closest first while the joined run spans at most SAME_LINE × its height: a run is
    never torn apart by the character that happened to come first in y order."""
    runs: list[list] = []
    cur: list = []
    hi = lo = hm = 0.0
    for c in sorted(chars, key=itemgetter(2), reverse=True):
        y, h = c[2], c[3]
        if cur and lo - y <= TIGHT * (hm if hm > h else h):
            lo = y
            if h > hm:
                hm = h
            cur.append(c)
        else:
            if cur:
                runs.append([hi, lo, hm, cur])
            cur, hi, lo, hm = [c], y, y, h
    if cur:
        runs.append([hi, lo, hm, cur])
    n = len(runs)
    if n < 2:
        return runs
    nxt, prv, ver = list(range(1, n + 1)), list(range(-1, n - 1)), [0] * n
    alive = [True] * n

    def pair(i):
        j = nxt[i]
        if j >= n:
            return None
        a, b = runs[i], runs[j]
        if a[0] - b[1] <= SAME_LINE * (a[2] if a[2] > b[2] else b[2]):
            return (a[1] - b[0], i, j, ver[i], ver[j])
        return None

    heap = [p for p in map(pair, range(n - 1)) if p is not None]
    heapify(heap)
    while heap:
        _, i, j, vi, vj = heappop(heap)
        if not (alive[i] and alive[j]) or ver[i] != vi or ver[j] != vj or nxt[i] != j:
            continue
        a, b = runs[i], runs[j]
        a[1], a[2] = b[1], max(a[2], b[2])
        a[3].extend(b[3])
        alive[j] = False
        ver[i] += 1
        nxt[i] = nxt[j]
        if nxt[j] < n:
            prv[nxt[j]] = i
        for k in (prv[i], i):
            if k >= 0:
                p = pair(k)
                if p is not None:
                    heappush(heap, p)
    return [r for r, live in zip(runs, alive) if live]


def segments(chars, gap: float, cuts=()) -> list[tuple[float, float, str]]:
    """One printed line (characters sorted by x) → its cells (x0, x1, text): a gap wider than `gap`, or a
    vertical rule at an x in `cuts` between two characters, separates cells."""
    cells: list[list] = []
    space = False
    k, ncut = 0, len(cuts)
    for left, right, _, _, ch in chars:
        if ch == " ":
            space = bool(cells)
            continue
        cur = cells[-1] if cells else None
        cut = False
        if ncut:
            mid = (left + right) / 2
            while k < ncut and cuts[k] < mid:
                k += 1
                cut = cur is not None
        if cur is not None and not cut and left - cur[1] <= gap:
            cur[2].append((" " if space else "") + ch)
            if right > cur[1]:
                cur[1] = right
        else:
            cells.append([left, right, [ch]])
        space = False
    return [(x0, x1, "".join(t)) for x0, x1, t in cells]


def _is_value(text: str) -> bool:
    """A number, a placeholder or a number with a note (the cell policy's reading, `cells.py`)."""
    return looks_like_value(text)


def _join(parts: list[str]) -> str:
    """Pieces of one cell in reading order: CJK pieces touch, other pieces keep a space between them."""
    out = ""
    for p in parts:
        if out and (out[-1].isascii() and out[-1].isalnum()) and (p[0].isascii() and p[0].isalnum()):
            out += " "
        out += p
    return out


class Rules:
    """A page's ruling lines: horizontal (y, x0, x1) sorted by y, vertical (x, y0, y1) sorted by x."""

    def __init__(self, horizontal, vertical):
        self.h = _snap(sorted(horizontal))
        self.hy = [r[0] for r in self.h]
        self.v = _snap(sorted(vertical))

    def band(self, y: float, x: float):
        """The nearest rules above and below (x, y) that run under x: (top, bottom), or None."""
        rules, i = self.h, bisect_left(self.hy, y)
        above = below = None
        for j in range(i, len(rules)):
            r = rules[j]
            if r[1] - 1 <= x <= r[2] + 1:
                above = r[0]
                break
        for j in range(i - 1, -1, -1):
            r = rules[j]
            if r[1] - 1 <= x <= r[2] + 1:
                below = r[0]
                break
        return None if above is None or below is None else (above, below)

    def crossing(self, top: float, bottom: float, lo: float = float("-inf"), hi: float = float("inf")) -> list[float]:
        """x of the vertical rules running through the whole band top…bottom between lo and hi, double rules as one."""
        xs: list[float] = []
        for x, y0, y1 in self.v:
            if y0 <= bottom + 1.5 and y1 >= top - 1.5 and lo - SNAP <= x <= hi + SNAP:
                if xs and x - xs[-1] < SNAP:
                    continue
                xs.append(x)
        return xs

    def covers(self, y: float, x0: float, x1: float) -> bool:
        """Whether the horizontal rules at y (a row's top or bottom) run under all of x0…x1 (a closed cell's edge)."""
        i = bisect_left(self.hy, y - 0.01)
        spans = []
        while i < len(self.h) and self.h[i][0] <= y + 0.01:
            spans.append(self.h[i][1:])
            i += 1
        x = x0 + SNAP
        for a, b in sorted(spans):
            if a > x:
                break
            x = max(x, b + SNAP)
        return x >= x1

    def extent(self, y: float) -> tuple[float, float]:
        """x-range of the horizontal rules at y (a row's top or bottom)."""
        i = bisect_left(self.hy, y - 0.01)
        lo, hi = float("inf"), float("-inf")
        while i < len(self.h) and self.h[i][0] <= y + 0.01:
            lo, hi = min(lo, self.h[i][1]), max(hi, self.h[i][2])
            i += 1
        return lo, hi


def _snap(rules):
    """One coordinate for rules less than SNAP apart: a border drawn as a thin filled box has two
    edges, per-cell borders of one row differ by rounding, a double rule is two lines."""
    out, c0 = [], None
    for c, a0, a1 in rules:
        c0 = c0 if c0 is not None and c - c0 < SNAP else c
        out.append((c0, a0, a1))
    return out


class Row:
    """A table row (or a loose line): its top y and its (line, segment) pieces."""

    __slots__ = ("top", "pieces", "band", "fields", "kind")

    def __init__(self, top, pieces, band=None):
        self.top, self.pieces, self.band = top, pieces, band
        self.fields: list[str] | None = None
        self.kind = "line"  # "row": a table row with values; "header": text cells only; "group": a merged label


def _label_value(segs):
    """Index of the first value segment after the last text segment (len(segs) when none)."""
    k = len(segs)
    while k > 0 and _is_value(segs[k - 1][2]):
        k -= 1
    return k


def page_rows(lines: list[Line], rules: Rules | None) -> list[Row]:
    """The page's lines grouped into rows, each with its TAB fields, in reading order."""
    if rules is None:
        return [_plain(ln) for ln in lines]
    tall = MAX_ROW * median(ln.h for ln in lines)
    # Each segment's band; segments in no usable band are free (unruled tables, prose).
    seg_band: list[list] = []
    used: dict = {}  # band → [lines with values in it, header-like lines in it]
    for ln in lines:
        bands = []
        k = _label_value(ln.segs)
        for n, s in enumerate(ln.segs):
            b = rules.band(ln.y, (s[0] + s[1]) / 2)
            bands.append(b)
            if b is not None:
                seen = used.setdefault(b, [set(), set()])
                if n >= k:
                    seen[0].add(id(ln))
        if k == len(ln.segs) > 1:
            # A line of text cells only is header-like in a band where it has several of them: a wrapped
            # label's line beside a group label printed vertically (another band) is not.
            for b in set(bands):
                if b is not None and bands.count(b) > 1:
                    used[b][1].add(id(ln))
        seg_band.append(bands)
    # A band that encloses another used band is a merged cell; a band that encloses none is a row
    # when it is not taller than a row, or holds a single printed row (a header wrapped over many
    # lines, or one line of values): a frame around a whole table (no inner rules) is not a row.
    merged, rows_b = set(), set()
    for b in sorted(used, key=lambda b: b[0] - b[1]):
        inner = [o for o in rows_b if o[0] <= b[0] + 0.5 and o[1] >= b[1] - 0.5]
        values, headers = used[b]
        if inner:
            merged.add(b)
        elif b[0] - b[1] <= tall and len(values) <= 1 or not values or (len(values) == 1 and not headers):
            rows_b.add(b)
    rows: dict = {}
    groups: dict = {}
    free: list[tuple[Line, list]] = []
    for ln, bands in zip(lines, seg_band):
        mine = [b for b in bands if b in rows_b]
        home = min(mine, key=lambda b: b[0] - b[1]) if mine else None
        loose = []
        for s, b in zip(ln.segs, bands):
            if b in merged:
                groups.setdefault(b, []).append((ln, s))
            elif home is not None:
                rows.setdefault(home, Row(home[0], [], home)).pieces.append((ln, s))
            else:
                loose.append(s)
        if loose:
            free.append((ln, loose))
    out = list(rows.values())
    value_left = _grid_cells(out, rules, groups)
    for r in out:
        if r.fields is None:
            _as_printed(r)
    out += _merged(groups, out, rules)
    out += _unruled(free)
    out.sort(key=lambda r: (-r.top, 0 if r.kind == "group" else 1, -(r.band[0] - r.band[1]) if r.band else 0))
    _soft_columns(out, value_left)
    return out


def _plain(ln: Line) -> Row:
    """A page without table rows: each printed line as it is, its gap-separated cells as fields."""
    r = Row(ln.top, [(ln, s) for s in ln.segs])
    r.fields = [s[2] for s in ln.segs]
    return r


def _as_printed(r: Row) -> None:
    """Fields of a row whose columns are not known from rules: pieces whose x-spans overlap are one cell."""
    r.fields = _cell_texts(r.pieces)
    r.kind = "row" if r.fields and _is_value(r.fields[-1]) else "header" if len(r.fields) > 1 else "line"


def _cells_by_x(pieces, xs):
    """Pieces sorted into the cells between consecutive rules xs; None when a piece lies outside."""
    cells: list[list] = [[] for _ in range(len(xs) - 1)]
    for ln, s in pieces:
        mid = (s[0] + s[1]) / 2
        i = bisect_left(xs, mid) - 1
        if i < 0 or i >= len(cells):
            return None
        cells[i].append((ln, s))
    return cells


def _grid_cells(rows: list[Row], rules: Rules, groups: dict) -> float | None:
    """Fields of the ruled rows that have vertical rules: one per cell between the rules crossing the
    row. Returns the left edge of the value columns on the page (for rows printed without a label)."""
    value_left = None
    table_left: dict[int, float] = {}  # table → left edge of its value columns
    ruled = []
    for r in rows:
        top, bottom = r.band
        lo, hi = rules.extent(top)
        lo2, hi2 = rules.extent(bottom)
        xs = rules.crossing(top, bottom, min(lo, lo2), max(hi, hi2))
        if len(xs) >= 2:
            ruled.append((r, xs))
    table = _tables([r for r, _ in ruled])
    pending, blank = [], []
    width: dict[int, list[int]] = {}  # table → number of value cells of each of its labelled rows
    for r, xs in ruled:
        # Segments were cut at gaps only: cut them again at this row's rules.
        pieces = _recut(r.pieces, xs)
        cells = _cells_by_x(pieces, xs)
        if cells is None:
            pieces = _spill(pieces, xs, r.band, groups)
            cells = None if pieces is None else _cells_by_x(pieces, xs)
            if cells is None:
                continue
        r.pieces = pieces
        texts, lefts, bad = [], [], False
        for i, cell in enumerate(cells):
            cell.sort(key=lambda p: (-p[0].y, p[1][0]))
            vals = [p for p in cell if _is_value(p[1][2])]
            if len(vals) > 1 and len({id(p[0]) for p in vals}) < len(vals):
                bad = True  # two numbers side by side in one ruled cell: a rule is missing
            texts.append(_join([p[1][2] for p in cell]))
            lefts.append(xs[i])
        if bad:
            continue
        j = len(texts)
        while j > 0 and (texts[j - 1] == "" or _is_value(texts[j - 1])):
            j -= 1
        has_value = any(t and _is_value(t) for t in texts[j:])
        if not has_value:
            r.fields = [t for t in texts if t]
            r.kind = "header"
            if j > 0:
                blank.append((r, texts, xs, j))
            continue
        if j > 0:
            value_left = lefts[j] if value_left is None else min(value_left, lefts[j])
            t = table[id(r)]
            table_left[t] = min(table_left.get(t, lefts[j]), lefts[j])
            width.setdefault(t, []).append(len(texts) - j)
            r.fields = [t for t in texts[:j] if t] + texts[j:]
            r.kind = "row"
        else:
            pending.append((r, texts, xs))
    for r, texts, xs in pending:
        start = next((i for i, t in enumerate(texts) if t), 0)
        left = table_left.get(table[id(r)])
        if left is not None:
            start = min(start, next((i for i, x in enumerate(xs) if x >= left - SNAP), start))
        else:
            # A table without labelled rows (表四: a row of values under its header rows): a blank cell
            # closed by this row's own rules is a blank value; one they do not close is part of a
            # merged cell beside the row.
            top, bottom = r.band
            start = next((i for i in range(start) if rules.covers(top, xs[i], xs[i + 1])
                          and rules.covers(bottom, xs[i], xs[i + 1])), start)
        r.fields = texts[start:]
        r.kind = "row"
    for r, texts, xs, j in blank:
        # A labelled row whose cells in the table's value columns are all blank (a subtotal printed
        # empty): its blank cells, closed by its own rules, as empty fields.
        t = table[id(r)]
        left = table_left.get(t)
        if left is None:
            continue
        k = next((i for i, x in enumerate(xs) if x >= left - SNAP), len(texts))
        n = len(texts) - k
        top, bottom = r.band
        if (k >= j and n and n == median(width[t]) and abs(xs[k] - left) < SNAP and all(
                rules.covers(top, xs[i], xs[i + 1]) and rules.covers(bottom, xs[i], xs[i + 1]) for i in range(k, len(texts)))):
            r.fields = [x for x in texts[:k] if x] + texts[k:]
            r.kind = "row"
    return value_left


def _spill(pieces, xs, band, groups: dict):
    """A row's pieces without those printed left of its first rule, given to the merged cell there (a
    vertical group label whose last characters run over into the row's first cell); None when a piece
    lies outside the row with no merged cell beside it."""
    inside, out = [], []
    for p in pieces:
        (inside if xs[0] <= (p[1][0] + p[1][1]) / 2 <= xs[-1] else out).append(p)
    for p in out:
        home = next((b for b, ps in groups.items() if b[0] >= band[0] - 0.5 and b[1] <= band[1] + 0.5
                     and any(q[1][0] < p[1][1] and p[1][0] < q[1][1] for q in ps)), None)
        if home is None:
            return None
        groups[home].append(p)
    return inside


def _tables(rows: list[Row]) -> dict[int, int]:
    """Ruled rows → index of their table: rows follow each other in one table while each one's top rule
    is the bottom rule of the row above it (a line of text or a gap between them starts another)."""
    out: dict[int, int] = {}
    n, bottom = -1, None
    for r in sorted(rows, key=lambda r: -r.band[0]):
        if bottom is None or r.band[0] < bottom - SNAP:
            n, bottom = n + 1, r.band[1]
        elif r.band[1] < bottom:
            bottom = r.band[1]
        out[id(r)] = n
    return out


def _recut(pieces, xs):
    """Segments split where a vertical rule runs between two of their characters."""
    out = []
    for ln, s in pieces:
        if not any(s[0] < x < s[1] for x in xs):
            out.append((ln, s))
            continue
        chars = [c for c in ln.chars if s[0] <= (c[0] + c[1]) / 2 <= s[1]]
        for t in segments(chars, float("inf"), [x for x in xs if s[0] < x < s[1]]):
            out.append((ln, t))
    return out


def _merged(groups: dict, rows: list[Row], rules: Rules) -> list[Row]:
    """Text of merged cells (rules enclosing several rows). Over rows with values it is a group label:
    one line at the cell's top, before its first row. Over header rows only, its text joins the lowest
    header row it spans, in its column, so that a header's cells stay on one line."""
    out = []
    for b, pieces in groups.items():
        inside = [r for r in rows if r.band and r.band[0] <= b[0] + 0.5 and r.band[1] >= b[1] - 0.5]
        if inside and not any(r.kind == "row" for r in inside) and all(r.fields is not None for r in inside):
            low = min(inside, key=lambda r: r.band[1])
            low.pieces = low.pieces + pieces
            low.fields = _cell_texts(low.pieces)
            continue
        g = Row(b[0], pieces, b)
        g.kind = "group"
        g.fields = [_join([p[1][2] for p in sorted(col, key=lambda p: (-p[0].y, p[1][0]))]) for col in _columns(pieces)]
        out.append(g)
    return out


def _cell_texts(pieces) -> list[str]:
    """One field per cell of pieces printed over several lines (x-spans overlapping), read top-down."""
    return [_join([p[1][2] for p in sorted(col, key=lambda p: (-p[0].y, p[1][0]))]) for col in _columns(pieces)]


def _columns(pieces):
    """Pieces printed over several lines grouped into cells: pieces whose x-spans overlap are one cell."""
    cols: list[list] = []
    for p in sorted(pieces, key=lambda p: p[1][0]):
        if cols and p[1][0] <= cols[-1][0]:
            cols[-1][0] = max(cols[-1][0], p[1][1])
            cols[-1][1].append(p)
        else:
            cols.append([p[1][1], [p]])
    return [c[1] for c in cols]


def _unruled(free: list[tuple[Line, list]]) -> list[Row]:
    """Rows of lines outside ruled rows: wrapped label lines linked by their pitch, joined to the one
    value line their block encloses; anything undecidable stays a line of its own."""
    if not free:
        return []
    info = []  # (line, label segs, value segs)
    for ln, segs in free:
        k = _label_value(segs)
        info.append((ln, segs[:k], segs[k:]))
    # Only a line with label text and no second text cell can be part of a wrapped label.
    labels = [(i, s) for i, (ln, lab, val) in enumerate(info) for s in lab if len(lab) + len(val) > 1 or len(lab) == 1]
    headerish = {i for i, (ln, lab, val) in enumerate(info) if not val and len(lab) > 1}
    by_seg = {}
    for a in range(len(labels)):
        i, s = labels[a]
        if i in headerish:
            continue
        for b in range(a + 1, len(labels)):
            j, t = labels[b]
            if j == i or j in headerish:
                continue
            if t[0] < s[1] and s[0] < t[1]:
                d = info[i][0].y - info[j][0].y
                by_seg[(i, s)] = ((j, t), d)
                break
    info = [(ln, [s for _, s in _letter_spaced([(ln, s) for s in lab])], val) for ln, lab, val in info]
    rows = [Row(ln.top, [(ln, s) for s in lab + val]) for ln, lab, val in info]
    for r, (ln, lab, val) in zip(rows, info):
        r.fields = [s[2] for s in lab + val]
        r.kind = "row" if val else ("header" if len(lab) > 1 else "line")
    link = _link_pitch([ln.y for ln, _, val in info if val], median(ln.h for ln, _ in free))
    if link is None:
        return rows
    # Blocks of linked label segments (union-find over (line index, segment)).
    parent: dict = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for k, (nxt, d) in by_seg.items():
        find(k)
        if d <= link:
            parent[find(k)] = find(nxt)
    blocks: dict = {}
    for k in list(parent):
        blocks.setdefault(find(k), []).append(k)
    anchors = [i for i, (_, _, val) in enumerate(info) if val]
    merged_into: dict[int, int] = {}
    taken: dict[int, list] = {}
    group_rows = []
    for members in blocks.values():
        lines_in = {i for i, _ in members}
        if len(lines_in) < 2:
            continue
        ys = [info[i][0].y for i in lines_in]
        hi_y, lo_y = max(ys), min(ys)
        tol = 0.3 * max(info[i][0].h for i in lines_in)
        inside = [a for a in anchors if lo_y - tol <= info[a][0].y <= hi_y + tol]
        if len(inside) == 1:
            a = inside[0]
            for i in lines_in:
                if i != a:
                    merged_into.setdefault(i, a)
                    taken.setdefault(i, []).extend(s for j, s in members if j == i)
        elif len(inside) > 1:
            x_right = max(s[1] for _, s in members)
            if all(any(s[0] >= x_right for s in info[a][1]) for a in inside):
                # A group label in a column of its own, beside the rows' labels: one line at its top.
                pieces = [(info[i][0], s) for i, s in members]
                g = Row(max(info[i][0].top for i in lines_in), pieces)
                g.kind = "group"
                g.fields = [_join([s[2] for _, s in sorted(pieces, key=lambda p: (-p[0].y, p[1][0]))])]
                group_rows.append(g)
                for i, s in members:
                    taken.setdefault(i, []).append(s)
    if not taken:
        return rows
    out = []
    extra: dict[int, list] = {}
    for i, segs in taken.items():
        if i in merged_into:
            extra.setdefault(merged_into[i], []).extend((info[i][0], s) for s in segs)
    for i, (r, (ln, lab, val)) in enumerate(zip(rows, info)):
        gone = taken.get(i, [])
        if gone:
            left = [s for s in lab + val if s not in gone]
            if not left:
                continue
            r.pieces = [(ln, s) for s in left]
            k = _label_value(left)
            lab, val = left[:k], left[k:]
        if i in extra:
            pieces = [(ln, s) for s in lab] + extra[i]
            r.top = max(p[0].top for p in pieces)
            r.pieces = pieces + [(ln, s) for s in val]
            r.fields = _cell_texts(pieces) + [s[2] for s in val]
        elif gone:
            r.fields = [s[2] for s in lab + val]
        out.append(r)
    return out + group_rows


def _link_pitch(value_ys: list[float], h: float) -> float | None:
    """The largest distance between two lines of one wrapped label: clearly less than the closest two
    rows with values are (a row is at least one line plus the cell padding). None with fewer than two
    such rows: then a wrapped label cannot be told from a row, and lines stay lines."""
    gaps = [a - b for a, b in zip(value_ys, value_ys[1:]) if a - b > 0.8 * h]
    return min(gaps) / LINK if gaps else None


def _soft_columns(rows: list[Row], value_left) -> None:
    """Value fields of rows without vertical rules, by the columns of their table block: header cells
    over the clusters of the values' x positions, or the clusters alone."""
    block: list[Row] = []
    headers: list[Row] = []
    seen_values = False
    for r in rows + [None]:
        if r is None or (r.kind == "header" and seen_values):
            _place_block(block, headers)
            block, headers, seen_values = [], [], False
            if r is None:
                break
        if r.kind == "header" and not seen_values:
            headers.append(r)
        elif r.kind == "row" and r.band is None:
            block.append(r)
            seen_values = True
        elif r.kind == "row":
            seen_values = True


def _place_block(block: list[Row], headers: list[Row]) -> None:
    """Put the values of a block's unruled rows in their columns (or leave them as printed)."""
    rows = []
    for r in block:
        segs = [p[1] for p in r.pieces]
        k = _label_value(segs)
        if k == len(segs):
            continue
        rows.append((r, segs[:k], segs[k:]))
    if not rows:
        return
    spans = []
    for _, _, vals in rows:
        spans.extend((s[0], s[1]) for s in vals)
    spans.sort()
    clusters: list[list[float]] = []
    for x0, x1 in spans:
        if clusters and x0 <= clusters[-1][1]:
            clusters[-1][1] = max(clusters[-1][1], x1)
        else:
            clusters.append([x0, x1])
    label_right = max((s[1] for _, lab, _ in rows for s in lab), default=clusters[0][0] - 1)
    cols, n_headers = _header_columns(headers, clusters, label_right)
    if cols is None:
        if n_headers and n_headers != len(clusters):
            return  # headers that do not fit the values: a blank column may be missing, or a value misplaced
        # Clusters alone: one holding the values of a single row among many is a stray value, not a column.
        support = [set() for _ in clusters]
        for n, (_, _, vals) in enumerate(rows):
            for v in vals:
                for i, (c0, c1) in enumerate(clusters):
                    if v[0] < c1 and c0 < v[1]:
                        support[i].add(n)
        cols = [c for c, sup in zip(clusters, support) if len(sup) > 1 or len(rows) < 3]
    for r, lab, vals in rows:
        fields = [""] * len(cols)
        ok = True
        for s in vals:
            hit = [i for i, (c0, c1) in enumerate(cols) if s[0] < c1 and c0 < s[1]]
            if len(hit) != 1 or fields[hit[0]]:
                ok = False
                break
            fields[hit[0]] = s[2]
        if ok:
            r.fields = _cell_texts([p for p in r.pieces if p[1] in lab]) + fields


def _header_columns(headers: list[Row], clusters, label_right: float):
    """Value columns from the header cells above the block, and how many header cells there are: each
    cluster of values under exactly one header cell and each header cell over at most one cluster,
    else (None, count)."""
    pieces = [p for h in headers for p in h.pieces
              if p[1][0] >= label_right - 1 and p[1][2].replace(" ", "") not in _GROUP_HEADERS]
    if not pieces:
        return None, 0
    cells = [[min(p[1][0] for p in col), max(p[1][1] for p in col)] for col in _columns(_letter_spaced(pieces))]
    cells = [c for c in cells if sum(1 for k in clusters if k[0] < c[1] and c[0] < k[1]) <= 1]
    if len(cells) < len(clusters):
        return None, len(cells)
    out = [list(c) for c in cells]
    used = set()
    for k in clusters:
        hit = [i for i, c in enumerate(cells) if k[0] < c[1] and c[0] < k[1]]
        if len(hit) != 1 or hit[0] in used:
            return None, len(cells)
        used.add(hit[0])
        out[hit[0]] = [min(cells[hit[0]][0], k[0]), max(cells[hit[0]][1], k[1])]
    for a, b in zip(out, out[1:]):
        if a[1] > b[0]:
            return None, len(cells)
    return out, len(cells)


def _letter_spaced(pieces):
    """Single characters of one line printed with wide gaps ("自 然 人", letter-spaced) as one piece."""
    out: list[list] = []  # [line, segment, made of single characters only, their gap]
    for ln, s in sorted(pieces, key=lambda p: (-p[0].y, p[1][0])):
        single = len(s[2]) == 1 and not s[2].isascii()
        if single and out and out[-1][0] is ln and out[-1][2]:
            gap, run = s[0] - out[-1][1][1], out[-1][3]
            # The spacing is even inside a word; the gap to the next cell's word is wider.
            if gap <= 2.5 * ln.h and (run is None or abs(gap - run) <= 0.25 * run + 0.5):
                prev = out[-1][1]
                out[-1][1] = (prev[0], s[1], prev[2] + s[2])
                out[-1][3] = gap if run is None else run
                continue
        out.append([ln, s, single, None])
    return [(ln, s) for ln, s, _, _ in out]
