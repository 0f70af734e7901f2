"""The parsed report record (a frozen dataclass of named-tuple cells) and its JSON form (the shape of the truth files)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from nianbao import template as T
from nianbao.cells import VALUE

if TYPE_CHECKING:
    from nianbao.regions import Region


class ParseError(Exception):
    """A file that cannot be read as a report; the message names what was wrong."""


class ParsedCell(NamedTuple):
    """One cell: where it sits in the template, what was printed, where, and how it was read.

    A named tuple (immutable, and several times cheaper to create than a frozen dataclass: a report
    has some two hundred cells)."""

    table: str
    row: str
    column: str
    raw: str | None
    line: int | None
    status: str
    value: Decimal | None
    note: str | None = None
    label: str | None = None  # the printed label (normalised) the cell's row was read from
    page: int | None = None  # PDF: the page (1-based) the cell's row is printed on
    y: float | None = None  # PDF: the row's top, in points from the top of the page


@dataclass(frozen=True)
class ParsedReport:
    """Everything read from one input file."""

    source: str
    title: str | None
    body: str | None
    year: int | None
    template: str
    region: dict = field(default_factory=dict)  # the truth files' shape: code, province, prefecture?, county?
    body_type: str | None = None
    region_level: str | None = None  # province | prefecture | county, None when unresolved
    region_candidates: tuple[str, ...] = ()  # the candidate codes when the name fits several divisions
    fmt: str = "text"
    cells: tuple[ParsedCell, ...] = ()
    notes: tuple[str, ...] = ()
    org_subtotal: bool = False
    printed_subtotals: tuple[str, ...] = ()
    stated: tuple[tuple[str, int], ...] = ()  # counts the prose states (nianbao.narrative), figure → number
    # the prose's distinct sentences as sorted 64-bit hashes, exact and numbers masked (nianbao.prose)
    prose: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())

    def with_region(self, region: Region, note: str | None = None) -> ParsedReport:
        """This report with its division set from a `nianbao.regions.Region` (and a note, if given).

        A region found by a fallback (the text, a crawl header, the folder name) is noted, so that a
        reader can tell how far the answer is from what the report says of itself."""
        notes = self.notes
        if note is None and region.via in ("text", "crawl header", "folder"):
            found = region.code or "candidates " + ", ".join(region.ambiguous)
            note = f"region {found} from the {region.via}"
        if note:
            notes = (*notes, note)
        return replace(self, region=region.as_json(), region_level=region.level,
                       region_candidates=tuple(region.ambiguous), notes=notes)

    def value_json(self, cell: ParsedCell):
        """A cell's value for JSON: int for counts, str for decimals (exact), None when not a value."""
        if cell.status != VALUE or cell.value is None:
            return None
        v = cell.value
        return int(v) if v == v.to_integral_value() else format(v.normalize(), "f")

    def tables_json(self) -> dict:
        """The three tables in the truth files' shape (blank, placeholder and unknown cells are null)."""
        tpl = T.template(self.template)
        by = {(c.table, c.row, c.column): c for c in self.cells}

        def val(table, row, col):
            c = by.get((table, row, col))
            return None if c is None else self.value_json(c)

        active = {item.code: {col.code: val("active_disclosure", item.code, col.code) for col in item.columns}
                  for item in tpl.active_items}
        rows = [r for r in tpl.application_rows if not r.subtotal or r.code in self.printed_subtotals]
        apps = {r.code: [val("applications", r.code, c) for c in T.APPLICANT_CODES] for r in rows}
        review = {g.code: [val("review_litigation", g.code, c) for c in T.REVIEW_CODES] for g in T.REVIEW_GROUPS}
        out = {"active_disclosure": active, "applications": apps, "review_litigation": review,
               # what the positions of the two tables' arrays are (the truth files' shape has lists)
               "columns": {"applications": list(T.APPLICANT_CODES), "review_litigation": list(T.REVIEW_CODES)}}
        if self.org_subtotal:
            out["applications_org_subtotal"] = {r.code: val("applications", r.code, T.ORG_SUBTOTAL.code) for r in rows}
        return out

    def to_json(self, violations: list[dict] | None = None, with_cells: bool = False) -> dict:
        """The report as one JSON object (see README, "nianbao parse --json")."""
        out = {
            "source": self.source, "title": self.title, "body": self.body, "body_type": self.body_type,
            "year": self.year, "template": self.template, "region": self.region,
            "region_level": self.region_level, "region_candidates": list(self.region_candidates),
            "narrative": dict(self.stated), "format": self.fmt,
            **self.tables_json(),
            "violations": violations or [],
            "notes": list(self.notes),
        }
        if with_cells:
            out["cells"] = [
                {"table": c.table, "row": c.row, "column": c.column, "raw": c.raw, "line": c.line,
                 "page": c.page, "y": c.y, "label": c.label, "status": c.status, "note": c.note} for c in self.cells
            ]
        return out
