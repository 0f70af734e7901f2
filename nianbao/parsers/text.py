"""Parser for reports as plain text: every text layout of the spec (tabs, " |" cells, pipes, spaces).

The text is cut into the three table regions by their headings, each region is tokenised
(`tokens.py`) and read by following the template's labels (`walk.py`). Nothing depends on line
positions or counts.
"""
from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate, groupby
from operator import attrgetter

from nianbao import cells as C
from nianbao import meta
from nianbao import template as T
from nianbao.narrative import stated_counts
from nianbao.parsers import glued as G
from nianbao.parsers import walk
from nianbao.parsers.tokens import EMPTY
from nianbao.report import ParsedCell, ParsedReport, ParseError

_A2 = re.compile(r"第二十条第\(一\)项|^二[、.]?主动公开政府信息情况")
_A3 = re.compile(r"收到和处理政府信息公开申请|本列数据的勾稽关系|^申请人情况")
_A4 = re.compile(r"行政复议")
_END = re.compile(r"^[五六][、.]|存在的主要问题|其他需要报告的事项")
_CJK = re.compile(r"[\u4e00-\u9fff]")


# Literal fragments one of which a heading line must contain before it is normalised and matched.
_KEYS = {pattern: re.compile("|".join(keys)) for pattern, keys in (
    (_A2, ("二十条", "主动公开")), (_A3, ("申请", "勾稽")), (_A4, ("复议",)), (_END, ("五", "六", "存在", "其他需要")))}


class _Headings:
    """Finds heading lines in a report: the lines are joined once, and only the few lines holding one
    of a heading's key fragments (found by one scan of the joined text) are normalised and matched."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.text = "\n".join(lines)
        self.ends = list(accumulate(map(len, lines)))  # ends[i]: total length of lines[0..i]

    def first(self, pattern: re.Pattern[str], start: int) -> int | None:
        """Index (≥ start) of the first line that contains a key fragment of `pattern` and matches it."""
        if start >= len(self.lines):
            return None
        line, pos = start, (self.ends[start - 1] if start else 0) + start  # offset of line `start`
        checked = -1
        for m in _KEYS[pattern].finditer(self.text, pos):
            line += self.text.count("\n", pos, m.start())
            pos = m.start()
            if line != checked:
                checked = line
                if pattern.search(T.normalise(self.lines[line])):
                    return line
        return None


def regions(lines: list[str]) -> dict[str, tuple[int, int] | None]:
    """Line ranges [start, end) of the three tables, found by their headings (None when absent)."""
    headings = _Headings(lines)
    a2 = headings.first(_A2, 0)
    a3 = headings.first(_A3, a2 + 1 if a2 is not None else 0)
    a4 = headings.first(_A4, (a3 if a3 is not None else a2 if a2 is not None else 0) + 1)
    if a2 is not None and a3 is None and a4 is None:
        a4 = None
    end = headings.first(_END, (a4 if a4 is not None else a3 if a3 is not None else 0) + 1)
    end = len(lines) if end is None else end
    out: dict[str, tuple[int, int] | None] = {}
    out["active_disclosure"] = (a2, a3 if a3 is not None else a4 if a4 is not None else end) if a2 is not None else None
    out["applications"] = (a3, a4 if a4 is not None else end) if a3 is not None else None
    out["review_litigation"] = (a4, end) if a4 is not None else None
    return out


def detect_template(active_text: str, apps_text: str) -> tuple[str, str | None]:
    """The template from the table headers ('2021' or '2019'), and a note when it had to be assumed."""
    for tpl in (T.TEMPLATE_2019, T.TEMPLATE_2021):
        if re.search(tpl.header_pattern, active_text):
            return tpl.name, None
    if "其他对外管理服务事项" in active_text or "政府集中采购" in active_text:
        return "2019", None
    if "逾期不补正" in apps_text or "缴纳费用" in apps_text:
        return "2021", None
    if re.search(r"\(六\)其他(处理)?\(七\)总计", apps_text):  # one row, no items: the 2019 layout
        return "2019", None
    return "2021", "template not recognisable from the headers; read as 2021"


_ABSENT = object()  # a key not in TableRead.cells (whose values may be None)

# `_tuple_new(ParsedCell, fields)` is ParsedCell(*fields) without the Python-level __new__ of a named tuple:
# the same object at C speed, for the loop over a report's some two hundred cells.
_tuple_new = tuple.__new__

# (table, ((row, ((column, (row, column), value kind), ...)), ...)) of each table, in canonical order
CellPlan = tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, tuple[str, str], str], ...]], ...]], ...]


@lru_cache(maxsize=64)  # keyed by the template's name: hashing a Template costs more than the lookup saves
def _cell_plan(tpl_name: str, printed_subtotals: tuple[str, ...], org_subtotal: bool) -> CellPlan:
    """Every expected cell of a report, grouped by table and row, with its lookup key and its value kind."""
    tpl = T.template(tpl_name)
    kinds = {(i.code, c.code): c.kind for i in tpl.active_items for c in i.columns}
    cells = T.expected_cells(tpl, printed_subtotals, org_subtotal)
    return tuple(
        (table, tuple((row, tuple((c.column, (row, c.column), kinds.get((row, c.column), "count")) for c in group))
                      for row, group in groupby((c for c in cells if c.table == table), key=attrgetter("row"))))
        for table in dict.fromkeys(c.table for c in cells)
    )


def _join_notes(first: str | None, second: str | None) -> str | None:
    """The two notes that are set, joined by "; " (None when neither is)."""
    if first and second:
        return f"{first}; {second}"
    return first or second or None


def _unread_cell(table: str, row: str, col: str, read: walk.TableRead) -> ParsedCell:
    """A cell the table read has no token for: not printed (collapsed group), ambiguous (with the reason
    and readings) or missing."""
    key = (row, col)
    if key in read.not_printed:
        return ParsedCell(table, row, col, None, None, C.NOT_PRINTED, None,
                          f"not printed: the group's total ({read.not_printed[key]}) was printed instead")
    if key in read.ambiguous:
        reason, candidates = read.ambiguous[key]
        note = reason + (f"; readings: {' | '.join(candidates)}" if candidates else "")
        return ParsedCell(table, row, col, None, None, C.AMBIGUOUS, None, note)
    return ParsedCell(table, row, col, None, None, C.MISSING, None, "cell not found")


# Cell text → its reading under the cell policy (status, value, note), per value kind: `cells.read`'s, kept
# in plain dicts, a lookup cheaper than the cached function's (one per cell; the texts repeat, "0" above all)
_READINGS: defaultdict[str, dict[str, tuple[str, Decimal | None, str | None]]] = defaultdict(dict)
_READINGS_MAX = 65536  # texts per kind, before its dict is emptied


def _reading(raw: str, kind: str) -> tuple[str, Decimal | None, str | None]:
    """`cells.read(raw, kind)` as (status, value, note or None), kept in `_READINGS`."""
    readings = _READINGS[kind]
    if len(readings) >= _READINGS_MAX:
        readings.clear()
    v = C.read(raw, kind)
    reading = readings[raw] = (v.status, v.value, v.note or None)
    return reading


def _parsed_cells(plan: CellPlan, reads: dict[str, walk.TableRead],
                  places: tuple[tuple[int, float] | None, ...] | None = None) -> tuple[ParsedCell, ...]:
    """The expected cells in canonical order, each read from its token under the cell policy (`cells.read`),
    with the label its row was read from and, for a PDF, its page and y (`places`, per line)."""
    out: list[ParsedCell] = []
    append = out.append
    for table, rows in plan:
        read = reads[table]
        found, cell_notes, labels = read.cells, read.cell_notes, read.labels
        for row, cells in rows:
            label = labels.get(row)  # the printed label the row was read from
            for col, key, kind in cells:
                tok = found.get(key, _ABSENT)
                if tok is _ABSENT:
                    append(_unread_cell(table, row, col, read))
                    continue
                if tok is None:
                    raw, line = "", None
                else:
                    tok_kind, raw, line = tok  # a Token: (kind, text, line)
                    if tok_kind == EMPTY:
                        raw = ""
                status, value, note = _READINGS[kind].get(raw) or _reading(raw, kind)
                if cell_notes:
                    note = _join_notes(cell_notes.get(key), note)
                if places is None:
                    page, y = None, None
                else:
                    page, y = (places[line - 1] if line is not None and line <= len(places) else None) or (None, None)
                append(_tuple_new(ParsedCell, (table, row, col, raw, line, status, value, note, label, page, y)))
    return tuple(out)


def parse_text(text: str, source: str, fmt: str = "text", grid: bool = False,
               places: tuple[tuple[int, float] | None, ...] | None = None, path: str | None = None) -> ParsedReport:
    """Parse one report given as text. Raises ParseError when no report table can be found.

    `grid` and `places` come from the format's backend (`parsers.extracted.Extracted`): table rows
    whose TAB-separated cells are positional, and where each line was printed (PDF). `path` (default:
    `source`) is where the file lies: its name and folder are cues for the year (`meta.read_meta`)."""
    if not _CJK.search(text[:200000]):
        raise ParseError("no Chinese text: not a report (binary, wrong encoding or empty)")
    lines = text_lines = text.splitlines()
    is_glued = G.is_glued(text)
    if is_glued:
        lines = G.unglue(lines)
    info = meta.read_meta(lines, text, path or source)
    title = info.title
    spans = regions(lines)
    if not any(spans.values()):
        raise ParseError("no report tables found (none of the headings 第二十条第（一）项, 收到和处理政府信息公开申请, 行政复议)")

    segs = {name: walk.line_segments(lines, *spans[name], grid=grid) if spans[name] else [] for name in T.TABLES}
    active_text = "".join(s.label for s in segs["active_disclosure"])
    apps_text = "".join(s.label for s in segs["applications"])
    tpl_name, tpl_note = detect_template(active_text, apps_text)
    tpl = T.template(tpl_name)
    first_row = next((k for k, s in enumerate(segs["applications"]) if s.has_values), 0)
    header = "".join(s.label for s in segs["applications"][:first_row + 1])  # ends with the first row's label
    columns = walk.applicant_columns(header)
    org_subtotal = T.ORG_SUBTOTAL.code in columns

    reads = {
        "active_disclosure": walk.read_active(segs["active_disclosure"], tpl, is_glued),
        "applications": walk.read_applications(segs["applications"], tpl, columns, is_glued),
        "review_litigation": walk.read_review(segs["review_litigation"], is_glued),
    }
    if is_glued:
        G.decode_active(reads["active_disclosure"], tpl)
        G.decode_applications(reads["applications"], tpl)
        G.decode_review(reads["review_litigation"])
    if not any(r.found for r in reads.values()):
        raise ParseError("table headings found but no table rows could be read")
    printed_subtotals = tuple(sorted({row for row, _ in reads["applications"].cells} - set(tpl.application_codes)))
    parsed = _parsed_cells(_cell_plan(tpl.name, printed_subtotals, org_subtotal), reads, places)
    notes = [n for name in T.TABLES for n in (f"{name}: {x}" for x in reads[name].notes)]
    if is_glued:
        notes.append("glued text: table cells decoded from digit runs with the template's identities")
    if tpl_note:
        notes.append(tpl_note)
    for name in T.TABLES:
        if spans[name] is None:
            notes.append(f"{name}: table heading not found")
    year, body = info.year, info.body
    notes.extend(info.notes)
    try:
        from nianbao.regions import classify_body, identify  # lazy: loads the division table
        region, body_type = identify(body, title, text[:4000]), classify_body(body) if body else None
    except ImportError:
        region, body_type = None, None
    rep = ParsedReport(
        source=source, title=title, body=body, year=year, template=tpl.name, body_type=body_type, fmt=fmt,
        cells=parsed, notes=tuple(notes), org_subtotal=org_subtotal, printed_subtotals=printed_subtotals,
        stated=tuple(sorted(stated_counts(text, text_lines).items())),
    )
    return rep.with_region(region) if region is not None else rep
