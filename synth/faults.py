"""What a report prints, the faults injected into it, and the outcome the contracts must reach.

A report's *printed* tables have the truth's shape; a value is an int, a decimal string, a signed
string ("+12"), or a blank: "" (an empty cell) or a placeholder ("/", "—", "无" …). The truth files
hold what a correct parser reads from the printed tables: blanks are null, and a faulty figure is the
figure as printed (each fault's `detail` gives the consistent value).

Faults (one at most per report, at the --error-rate):

* `wrong_total`: a row total of table 三 or a group total of table 四 off by a few;
* `swapped_cells`: two different neighbouring cells of table 三 or 四 swapped;
* `blank_nonzero`: a non-zero cell of table 三 or 四 printed blank (counted as 0 under the policy);
* `glued_row`: one row's numbers printed with no separator ("2910131"): undecodable alone, ambiguous
  (row None in table 四: its one row of fifteen numbers);
* `missing_table`: one of the three tables (and its heading) not printed (the truth keeps its figures);
* `encoding`: the file in GB18030 (must still parse) or mojibake/garbage (must fail).

`judge` replays the catalogue's rules on the printed tables (blank = 0, undecidable cells unjudged)
and gives the error and warning rule ids the report must get.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from nianbao import template as T

PLACEHOLDERS = ("/", "-", "--", "—", "无", "不适用", "N/A", "空", "——", "／")
# In PDFs, not the one-character CJK placeholders: without the font installed (reportlab's STSong-Light is
# not embedded) pdfium drops a text object one CJK glyph wide, so the cell would vanish.
PDF_PLACEHOLDERS = ("/", "-", "--", "—", "——", "N/A", "不适用")
# Tight PDF tables: cell padding (pt) at the 6 pt table font. 4 pt keeps two numbers ~9 pt apart, about one em of
# the 10 pt body text, as in Word (2 × 0.19 cm at 10.5 pt); 3 pt (the tests' builder) is a known gap.
PDF_TIGHT_PAD, PDF_TIGHT_PAD_GAP = 4, 3

# Layouts the current parser is known to read wrongly; generated only with Options.gaps (--parser-gaps),
# their expect still being what the spec requires, so that they show up as mismatches until fixed.
GAPS = {
    "trailing_empty_cells": "empty cells at the end of a TAB-joined row of plain text (tab_rows) are stripped with "
                            "the line: the row comes out short (only k of n values)",
    "review_all_blank": "table 四 with every one of its 15 cells empty: no value token, the table is 'not found'",
    "pdf_tight_padding": "tight PDF tables with 3 pt cell padding at a 6 pt table font under 10 pt body text: "
                         "two numbers ~6 pt apart (loose glyph boxes) are read as one cell ('194\\t06433616')",
}
# Layouts in which an empty cell stays a cell for the parser (HTML and DOCX keep the grid). Not tab_rows: plain
# text is stripped line by line, so empty cells at the end of a row vanish and the row is short (a known parser
# gap: generated only with Options.gaps, see GAPS).
EMPTY_OK = ("bar_suffix", "markdown", "html", "docx")
EMPTY_GAP = ("tab_rows",)
TEXT_FORMATS = ("txt", "md", "html")

KINDS = ("wrong_total", "swapped_cells", "blank_nonzero", "glued_row", "missing_table", "encoding")
WEIGHTS = (22, 18, 15, 15, 10, 20)
ARITHMETIC = ("wrong_total", "swapped_cells", "blank_nonzero")

TABLES_PRESENT, BLANK_AS_ZERO = "structure.tables_present", "values.blank_as_zero"
TEMPLATE_YEAR = "structure.template_year"
ROW_TOTAL, BALANCE, OUTCOMES, SUBTOTALS = ("applications.row_total", "applications.balance",
                                           "applications.outcomes_sum", "applications.subtotals")
GROUP_TOTAL = "review_litigation.group_total"


@dataclass(frozen=True)
class Fault:
    kind: str
    table: str | None = None
    row: str | None = None
    column: str | None = None
    detail: str = ""

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Style:
    """How the tables are printed: layout, optional columns/rows, number format, blank cells."""

    layout: str  # a text layout of synth.render, or html / docx / pdf
    org_subtotal: bool = False
    subtotals: bool = False
    thousands: bool = False
    fullwidth: bool = False
    blank: str | None = None  # the token zero cells are printed with, when the report leaves them blank
    blank_share: float = 0.0

    def fmt(self) -> dict:
        return {"thousands": self.thousands, "fullwidth": self.fullwidth}


_BLANKS = frozenset(("", *PLACEHOLDERS))


def is_blank(v) -> bool:
    return type(v) is str and v in _BLANKS


def reading(v):
    """The value a correct parser reads from a printed value (the truth files' value)."""
    if type(v) is str:
        if v in _BLANKS:
            return None
        if v.startswith("+"):
            return int(v[1:])
    return v


def arith(v) -> int:
    """A printed count in the contracts' arithmetic: blanks count as 0."""
    if type(v) is int:
        return v
    return 0 if v in _BLANKS else int(v)


# ---------------------------------------------------------------------------------------------
# printing
# ---------------------------------------------------------------------------------------------
def printed_tables(truth: dict, plus_sign: bool) -> dict:
    """The three tables as printed before blanks and faults: a copy, positive changes maybe as "+12"."""
    active = {}
    for item, cols in truth["active_disclosure"].items():
        active[item] = {c: (f"+{v}" if plus_sign and c == "change" and isinstance(v, int) and v > 0 else v)
                        for c, v in cols.items()}
    return {"active_disclosure": active,
            "applications": {r: list(v) for r, v in truth["applications"].items()},
            "review_litigation": {g: list(v) for g, v in truth["review_litigation"].items()}}


def blank_zeros(rng: random.Random, printed: dict, token: str, share: float, gaps: bool = False) -> int:
    """Print zero cells blank (each with probability `share`); returns how many were blanked.

    Unless `gaps`, an empty token never blanks all of table 四 (GAPS["review_all_blank"]).
    """
    n = 0
    for cols in printed["active_disclosure"].values():
        for c, v in cols.items():
            if v in (0, "0") and rng.random() < share:
                cols[c] = token
                n += 1
    for table in ("applications", "review_litigation"):
        for vals in printed[table].values():
            for j, v in enumerate(vals):
                if v == 0 and rng.random() < share:
                    vals[j] = token
                    n += 1
    review = printed["review_litigation"]["litigation_after_review"]
    if token == "" and not gaps and all(v == "" for g in printed["review_litigation"].values() for v in g):
        review[4] = 0
        n -= 1
    return n


def _plain(vals: list) -> bool:
    return all(type(v) is int for v in vals)


def truth_of_printed(printed: dict) -> dict:
    """The truth files' three tables: what a correct parser reads from the printed tables."""
    return {"active_disclosure": {i: {c: reading(v) for c, v in cols.items()}
                                  for i, cols in printed["active_disclosure"].items()},
            "applications": {r: (list(vals) if _plain(vals) else [reading(v) for v in vals])
                             for r, vals in printed["applications"].items()},
            "review_litigation": {g: [reading(v) for v in vals] for g, vals in printed["review_litigation"].items()}}


# ---------------------------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------------------------
def _apps_cells(printed: dict):
    return [(r, j) for r, vals in printed["applications"].items() for j in range(7)]


def _wrong_total(rng, printed) -> Fault | None:
    if rng.random() < 0.8:
        row = rng.choice(list(printed["applications"]))
        vals = printed["applications"][row]
        table, col = "applications", "total"
    else:
        row = rng.choice([g.code for g in T.REVIEW_GROUPS])
        vals = printed["review_litigation"][row]
        table = "review_litigation"
    if is_blank(vals[-1]):
        return None
    true = vals[-1]
    delta = rng.choice((1, 1, 1, 2, 3, 10))
    wrong = true - delta if true >= delta and rng.random() < 0.4 else true + delta
    vals[-1] = wrong
    return Fault("wrong_total", table, row, "total", f"printed {wrong}; the other columns add up to {true}")


def _swapped(rng, printed) -> Fault | None:
    options = []
    for r, vals in printed["applications"].items():
        for j in range(5):  # horizontal neighbours among the six applicant columns
            if vals[j] != vals[j + 1] and not is_blank(vals[j]) and not is_blank(vals[j + 1]):
                options.append(("applications", r, j, r, j + 1))
    outcomes = (*T.TEMPLATE_2021.outcome_rows, *T.TEMPLATE_2019.outcome_rows)
    outcome = [r for r in printed["applications"] if r in outcomes]
    for a, b in zip(outcome, outcome[1:]):  # vertical neighbours among the outcome rows
        for j in range(6):
            va, vb = printed["applications"][a][j], printed["applications"][b][j]
            if va != vb and not is_blank(va) and not is_blank(vb):
                options.append(("applications", a, j, b, j))
    for g, vals in printed["review_litigation"].items():
        for j in range(4):
            if vals[j] != vals[4] and not is_blank(vals[j]) and not is_blank(vals[4]):
                options.append(("review_litigation", g, j, g, 4))
    if not options:
        return None
    table, r1, j1, r2, j2 = rng.choice(options)
    t = printed[table]
    t[r1][j1], t[r2][j2] = t[r2][j2], t[r1][j1]
    cols = T.APPLICANT_CODES if table == "applications" else T.REVIEW_CODES
    return Fault("swapped_cells", table, r1, cols[j1],
                 f"{r1}/{cols[j1]} ({t[r2][j2]}) and {r2}/{cols[j2]} ({t[r1][j1]}) printed swapped")


def _blank_nonzero(rng, printed, token: str) -> Fault | None:
    cells = [(table, r, j) for table in ("applications", "review_litigation")
             for r, vals in printed[table].items() for j, v in enumerate(vals) if isinstance(v, int) and v > 0]
    if not cells:
        return None
    table, r, j = rng.choice(cells)
    value = printed[table][r][j]
    printed[table][r][j] = token
    cols = T.APPLICANT_CODES if table == "applications" else T.REVIEW_CODES
    return Fault("blank_nonzero", table, r, cols[j], f"printed {token or 'empty'!r}; the consistent value is {value}")


def _glued(rng, printed) -> Fault | None:
    rows = [("active_disclosure", i) for i, cols in printed["active_disclosure"].items()
            if len(cols) >= 2 and all(isinstance(v, int) and v >= 0 for v in cols.values())]
    rows += [("applications", r) for r, vals in printed["applications"].items()
             if all(isinstance(v, int) for v in vals)]
    if all(isinstance(v, int) for g in printed["review_litigation"].values() for v in g):
        rows.append(("review_litigation", None))  # table 四 prints its three groups in one row
    if not rows:
        return None
    weights = [1 if t == "active_disclosure" else 3 if t == "review_litigation" else 1.5 for t, _ in rows]
    table, row = rng.choices(rows, weights)[0]
    t = printed[table]
    values = (t[row].values() if table == "active_disclosure" else t[row]) if row else \
        [v for g in t.values() for v in g]
    return Fault("glued_row", table, row, None, "the row's numbers printed without separators: "
                 + "".join(str(v) for v in values))


def inject(rng: random.Random, printed: dict, fmt: str, blank_token: str) -> Fault | None:
    """Pick and apply one fault (None when the drawn kind cannot apply to this report)."""
    kinds = [k for k in KINDS if k != "encoding" or fmt in TEXT_FORMATS]
    weights = [w for k, w in zip(KINDS, WEIGHTS) if k in kinds]
    kind = rng.choices(kinds, weights)[0]
    if kind == "wrong_total":
        return _wrong_total(rng, printed)
    if kind == "swapped_cells":
        return _swapped(rng, printed)
    if kind == "blank_nonzero":
        return _blank_nonzero(rng, printed, blank_token)
    if kind == "glued_row":
        return _glued(rng, printed)
    if kind == "missing_table":
        table = rng.choice(T.TABLES)
        return Fault("missing_table", table, None, None, "the table and its heading are not printed")
    if rng.random() < 0.6:
        return Fault("encoding", None, None, None, "gb18030")
    return Fault("encoding", None, None, None, rng.choice(("mojibake", "garbage")))


# ---------------------------------------------------------------------------------------------
# the outcome the contracts must reach
# ---------------------------------------------------------------------------------------------
def _n(v) -> int:
    return v if isinstance(v, int) else 0


def judge(printed: dict, template: str, year: int, style: Style,
          fault: Fault | None) -> tuple[str, list[str], list[str]]:
    """(expect, error rule ids, warning rule ids) for a report printed like this."""
    if fault is not None and fault.kind == "encoding" and fault.detail != "gb18030":
        return "failed", [], []
    tpl = T.template(template)
    errors: set[str] = set()
    warnings: set[str] = set()
    missing = fault.table if fault is not None and fault.kind == "missing_table" else None
    glued = (fault.table, fault.row) if fault is not None and fault.kind == "glued_row" else None
    if missing or glued:
        errors.add(TABLES_PRESENT)
    if (template == "2019") != (year <= 2020):
        warnings.add(TEMPLATE_YEAR)
    for name in T.TABLES:
        if name == missing:
            continue
        t = printed[name]
        rows = [list(cols.values()) for cols in t.values()] if name == "active_disclosure" else t.values()
        if any(is_blank(v) for vals in rows if not _plain(vals) for v in vals):
            warnings.add(BLANK_AS_ZERO)

    if missing != "applications":
        apps: dict[str, list[int] | None] = {}
        for r in tpl.application_codes:
            vals = printed["applications"][r]
            row = list(vals) if _plain(vals) else [arith(v) for v in vals]
            if style.org_subtotal:
                row.append(sum(_n(v) for v in vals[1:6]))  # printed as render computes it
            apps[r] = None if glued == ("applications", r) else row
        width = 8 if style.org_subtotal else 7
        rows = dict(apps)
        if style.subtotals:
            for g in T.SUBTOTAL_GROUPS:
                items = T.group_items(tpl, g)
                if items:
                    sums = [sum(_n(printed["applications"][i][j]) for i in items) for j in range(7)]
                    if style.org_subtotal:
                        sums.append(sum(sums[1:6]))
                    rows[T.subtotal_row(g)] = sums
                    if all(apps[i] is not None for i in items) and any(
                            sum(apps[i][j] for i in items) != sums[j] for j in range(width)):
                        errors.add(SUBTOTALS)
        for row in rows.values():
            if row is not None and sum(row[:6]) != row[6]:
                errors.add(ROW_TOTAL)
        known = all(apps[r] is not None for r in (*T.BALANCE_IN, *T.BALANCE_OUT))
        for j in range(width):
            if known and apps["new_received"][j] + apps["carried_over"][j] != \
                    apps["total_processed"][j] + apps["carried_forward"][j]:
                errors.add(BALANCE)
            if all(apps[r] is not None for r in (*tpl.outcome_rows, "total_processed")) and \
                    sum(apps[r][j] for r in tpl.outcome_rows) != apps["total_processed"][j]:
                errors.add(OUTCOMES)
    if missing != "review_litigation" and glued != ("review_litigation", None):
        for vals in printed["review_litigation"].values():
            v = [arith(x) for x in vals]
            if sum(v[:4]) != v[4]:
                errors.add(GROUP_TOTAL)
    return ("quarantined" if errors else "validated"), sorted(errors), sorted(warnings)
