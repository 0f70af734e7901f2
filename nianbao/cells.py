"""Cell text → value: the one documented policy for every printed cell.

Policy (REPORT_TEMPLATE.md, "Cell values"):

* the raw text of every cell is kept as printed;
* full-width digits, thousands separators ("1,234") and stray spaces inside a number are normalised;
* an empty cell is `blank`, a placeholder ("/", "-", "—", "无", "不适用", "N/A", "空" …) is `placeholder`:
  both have the value None, and both count as 0 in arithmetic (the report gets the warning
  `values.blank_as_zero`);
* a number with a unit is converted to the column's unit and noted ("251000元" → 25.1 万元);
* a number followed by a bracketed annotation keeps the number and notes the annotation
  ("22（其中修订16件）" → 22);
* a number the published types cannot hold exactly is `invalid` with the reason, never rounded or cut:
  a count beyond a 64-bit integer, an amount with more than 32 digits before the point or 6 after it
  (the datasets' `Decimal(38,6)`);
* anything else is `invalid` (value None, raw kept) and breaks `values.non_negative_integer`.

Values are `Decimal`, never binary floats, so fee amounts such as 4166.241619 stay exact.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

PLACEHOLDERS = frozenset({"/", "-", "--", "—", "——", "–", "―", "无", "不适用", "N/A", "NA", "n/a", "空", "\\", "／", "×"})

# Statuses a cell can have. Only VALUE carries a number.
VALUE, BLANK, PLACEHOLDER, INVALID, AMBIGUOUS, MISSING = "value", "blank", "placeholder", "invalid", "ambiguous", "missing"
# A row of a collapsed group: the report printed the group's total instead of its rows (warning, not error).
NOT_PRINTED = "not_printed"
COUNTED_AS_ZERO = (BLANK, PLACEHOLDER)
UNKNOWN = (INVALID, AMBIGUOUS, MISSING)

INT64_MAX = 2**63 - 1
DECIMAL_INT_DIGITS, DECIMAL_SCALE = 32, 6  # Decimal(38, 6), the published amount type
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_UNIT = re.compile(r"^([+-]?\d+(?:\.\d+)?)(万元|元)$")
_ANNOTATED = re.compile(r"^([+-]?\d+(?:\.\d+)?)(?:件|条|个|项)?[(\[](.*)[)\]]$")
_SIGNED_WORD = re.compile(r"^(增加|增|减少|减)(\d+)$")
_COUNT_SUFFIX = re.compile(r"^(\d+)(件|条|个|项)$")


@dataclass(frozen=True, slots=True)
class CellValue:
    """A cell's reading: its status, its value (None unless status is `value`) and a note."""

    status: str
    value: Decimal | None = None
    note: str | None = None


def clean(raw: str) -> str:
    """NFKC (full-width digits and brackets → ASCII), whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))


@lru_cache(maxsize=65536)  # asked for every cell the tokenizer meets
def looks_like_value(raw: str) -> bool:
    """True when a cell's text is a number, a placeholder, or a number with a unit or note (whether or not
    the number fits the published types: a too-large number is still a value token, read as invalid)."""
    if raw.isascii() and raw.isdigit():
        return True
    return _read(raw, "count").status != INVALID


# Footnote markers printed beside a number: superscript and subscript digits, circled and parenthesised
# numbers. NFKC would turn "110686³" into 1106863; a marker is never a digit of the value.
_MARKERS = "".join(chr(c) for c in (*range(0x2070, 0x209D), 0xB9, 0xB2, 0xB3, *range(0x2460, 0x24FF),
                                    *range(0x2776, 0x2794), *range(0x3251, 0x3260), *range(0x32B1, 0x32C0)))
_MARKER_RUN = re.compile(f"[{re.escape(_MARKERS)}]+|\\ue000\\d+|\\^\\d+")
_HAS_MARKER = re.compile(f"[{re.escape(_MARKERS)}\\ue000^]")


def _representable(v: CellValue, kind: str, raw: str) -> CellValue:
    """`v`, or `invalid` with the reason when its value does not fit the published type exactly."""
    if v.status != VALUE or v.value is None:
        return v
    value = v.value
    if kind == "decimal":
        sign, digits, exponent = value.as_tuple()
        scale = max(0, -exponent)
        if len(digits) - scale > DECIMAL_INT_DIGITS or (scale > DECIMAL_SCALE and value != round(value, DECIMAL_SCALE)):
            return CellValue(INVALID, note=f"amount beyond Decimal(38,6) (at most {DECIMAL_INT_DIGITS} digits before "
                                           f"the point and {DECIMAL_SCALE} after)")
        return v
    if abs(value) > INT64_MAX:
        return CellValue(INVALID, note="number too large for a count (over 2^63-1)")
    return v


@lru_cache(maxsize=65536)  # cells repeat ("0" above all); readings are immutable
def read(raw: str | None, kind: str = "count") -> CellValue:
    """Read one cell's printed text under the policy above. `kind` is count, decimal or signed."""
    if raw is None:
        return CellValue(MISSING, note="cell not found")
    if raw.isascii() and raw.isdigit() and len(raw) < 19:  # the common case, without normalisation
        return CellValue(VALUE, Decimal(raw))
    return _representable(_read(raw, kind), kind, raw)


def _read(raw: str, kind: str) -> CellValue:
    if _HAS_MARKER.search(raw):
        markers = "".join(_MARKER_RUN.findall(raw))
        bare = _MARKER_RUN.sub("", raw)
        if markers and not bare.strip():
            return CellValue(INVALID, note=f"only a footnote marker: {raw.strip()[:40]!r}")
        if markers:
            v = read(bare, kind)
            note = f"footnote marker {markers!r} dropped"
            return CellValue(v.status, v.value, f"{v.note}; {note}" if v.note else note)
    s = clean(raw)
    if s == "":
        return CellValue(BLANK)
    if s in PLACEHOLDERS or raw.strip() in PLACEHOLDERS:
        return CellValue(PLACEHOLDER)
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if _NUMBER.fullmatch(s):
        return CellValue(VALUE, Decimal(s))
    m = _UNIT.match(s)
    if m:
        amount = Decimal(m.group(1))
        if kind == "decimal" and m.group(2) == "元":
            return CellValue(VALUE, amount / 10000, note=f"converted from {m.group(1)}元 to 万元")
        return CellValue(VALUE, amount, note=f"unit {m.group(2)} printed in the cell")
    m = _ANNOTATED.match(s)
    if m:
        return CellValue(VALUE, Decimal(m.group(1)), note=f"annotation ignored: {m.group(2)}")
    m = _COUNT_SUFFIX.match(s)
    if m:
        return CellValue(VALUE, Decimal(m.group(1)), note=f"unit {m.group(2)} printed in the cell")
    m = _SIGNED_WORD.match(s)
    if m and kind == "signed":
        sign = -1 if m.group(1).startswith("减") else 1
        return CellValue(VALUE, sign * Decimal(m.group(2)), note=f"read {m.group(0)} as {sign * int(m.group(2)):+d}")
    return CellValue(INVALID, note=f"not a number: {raw.strip()[:40]!r}")
