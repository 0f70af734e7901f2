"""The cell policy: every printed form of a number reads to the same value; blanks and placeholders are null."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nianbao.cells import BLANK, INVALID, MISSING, PLACEHOLDER, PLACEHOLDERS, VALUE, read

FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


@given(st.integers(0, 10**12), st.booleans(), st.booleans(), st.sampled_from(["", " ", "\u3000", "\t"]))
def test_counts_read_the_same_in_every_printed_form(n, thousands, fullwidth, pad):
    s = f"{n:,}" if thousands else str(n)
    if fullwidth:
        s = s.translate(FULLWIDTH)
    v = read(pad + s + pad)
    assert v.status == VALUE and v.value == n


@given(st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False))
def test_amounts_stay_exact(d):
    v = read(format(d, "f"), "decimal")
    assert v.status == VALUE and v.value == d


@given(st.integers(1, 10**9))
def test_yuan_converted_to_10k_yuan_and_noted(n):
    v = read(f"{n}元", "decimal")
    assert v.value == Decimal(n) / 10000 and "converted" in v.note


@pytest.mark.parametrize("raw", sorted(PLACEHOLDERS))
def test_placeholders_are_null(raw):
    assert read(raw) == read(f" {raw} ") and read(raw).status == PLACEHOLDER and read(raw).value is None


@pytest.mark.parametrize("raw, status, value", [
    ("", BLANK, None), ("\u00a0", BLANK, None), (None, MISSING, None),
    ("22（其中修订16件）", VALUE, 22), ("1 234", VALUE, 1234), ("12件", VALUE, 12),
    ("abc", INVALID, None), ("-3", VALUE, -3), ("2.5", VALUE, Decimal("2.5")),
])
def test_documented_cases(raw, status, value):
    v = read(raw)
    assert (v.status, v.value) == (status, value)


@pytest.mark.parametrize("raw, value", [("-18", -18), ("+12", 12), ("减4", -4), ("增3", 3)])
def test_signed_changes(raw, value):
    assert read(raw, "signed").value == value
