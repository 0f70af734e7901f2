"""Contracts of table 三 (applications): balance, outcomes_sum, row_total, subtotals, on both templates.

Each test alters the minimum of one parsed seed (through the real cell policy, see `altered.py`),
validates ALL five seeds at once, and checks that exactly the altered report is quarantined with
exactly the expected violations. Expected and actual numbers are worked out by hand from the seeds'
truth files (tests/data/seeds/truth/), e.g. seed 000: granted/natural_person 29,
total_processed/natural_person 48, new_received/total 54, carried_forward/total 4.
"""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import altered as X
from nianbao import template as T

APPS = "applications"
BALANCE, OUTCOMES, ROW_TOTAL, SUBTOTALS = (
    "applications.balance", "applications.outcomes_sum", "applications.row_total", "applications.subtotals")
PREFIXES = ("000", "001", "002", "003", "004")


def err(rule: str, row: str | None, column: str, expected: int, actual: int, table: str = APPS) -> tuple:
    return (rule, "error", table, row, column, expected, actual)


# --- the unaltered seeds -----------------------------------------------------------------------

def test_seed_tables_are_the_truth(seeds, ids):
    """The parsed table 三 of every seed is its truth table (so the hand-worked numbers below hold)."""
    reports, cells = seeds
    for prefix, rid in ids.items():
        t = X.truth(prefix)["applications"]
        got = (cells.filter((pl.col("report_id") == rid) & (pl.col("table") == APPS))
               .select("row", "column", "value_int").iter_rows())
        by_row: dict[str, list] = {}
        for row, col, v in got:
            by_row.setdefault(row, [None] * 7)[T.APPLICANT_CODES.index(col)] = v
        assert by_row == t, prefix


def test_unaltered_seeds_validate(base, ids):
    assert base.violations.filter(pl.col("severity") == "error").height == 0, base.violations
    assert X.statuses(base) == {rid: "validated" for rid in ids.values()}
    assert base.status["n_errors"].to_list() == [0] * 5


@pytest.mark.parametrize("rule", [BALANCE, OUTCOMES, ROW_TOTAL, SUBTOTALS])
def test_rule_silent_on_unaltered_seeds(base, rule):
    assert X.found(base, rule=rule) == set()


# --- one (or the minimum of) altered cells -----------------------------------------------------

SCENARIOS = [
    # a single cell sits in one row equation and one column equation: both fire
    pytest.param("000", {("carried_forward", "natural_person"): "2"},
                 {err(BALANCE, None, "natural_person", 48, 50), err(ROW_TOTAL, "carried_forward", "total", 6, 4)},
                 id="000-carried_forward-natural_person-0to2"),
    pytest.param("004", {("new_received", "commercial_enterprise"): "2"},
                 {err(BALANCE, None, "commercial_enterprise", 2, 1), err(ROW_TOTAL, "new_received", "total", 71, 70)},
                 id="004-new_received-commercial-1to2"),
    pytest.param("002", {("carried_over", "natural_person"): "1"},
                 {err(BALANCE, None, "natural_person", 10, 9), err(ROW_TOTAL, "carried_over", "total", 1, 0)},
                 id="002-carried_over-natural_person-0to1"),
    pytest.param("000", {("new_received", "other_org"): "1"},
                 {err(BALANCE, None, "other_org", 1, 0), err(ROW_TOTAL, "new_received", "total", 55, 54)},
                 id="000-new_received-other_org-0to1"),
    pytest.param("000", {("granted", "natural_person"): "30"},
                 {err(OUTCOMES, "total_processed", "natural_person", 49, 48), err(ROW_TOTAL, "granted", "total", 32, 31)},
                 id="000-granted-natural_person-29to30"),
    pytest.param("004", {("other_overdue_correction", "natural_person"): "0"},
                 {err(OUTCOMES, "total_processed", "natural_person", 68, 69),
                  err(ROW_TOTAL, "other_overdue_correction", "total", 0, 1)},
                 id="004-other_overdue_correction-1to0"),
    # total_processed/total sits in three equations
    pytest.param("000", {("total_processed", "total"): "51"},
                 {err(BALANCE, None, "total", 54, 55), err(OUTCOMES, "total_processed", "total", 50, 51),
                  err(ROW_TOTAL, "total_processed", "total", 50, 51)},
                 id="000-total_processed-total-50to51"),
    # the minimum alteration that breaks only one rule
    pytest.param("000", {("carried_forward", "natural_person"): "2", ("carried_forward", "total"): "6"},
                 {err(BALANCE, None, "natural_person", 48, 50), err(BALANCE, None, "total", 54, 56)},
                 id="000-balance-only"),
    pytest.param("000", {("granted", "natural_person"): "30", ("granted", "total"): "32"},
                 {err(OUTCOMES, "total_processed", "natural_person", 49, 48),
                  err(OUTCOMES, "total_processed", "total", 51, 50)},
                 id="000-outcomes_sum-only"),
    pytest.param("000", {("granted", "natural_person"): "28", ("partially_granted", "natural_person"): "7"},
                 {err(ROW_TOTAL, "granted", "total", 30, 31), err(ROW_TOTAL, "partially_granted", "total", 7, 6)},
                 id="000-row_total-only"),
]


@pytest.mark.parametrize("prefix, printed, expected", SCENARIOS)
def test_altered_cells_quarantine_only_that_report(seeds, ids, base, prefix, printed, expected):
    reports, cells = seeds
    rid = ids[prefix]
    v = X.run(reports, X.set_cells(cells, rid, APPS, printed))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == expected
    for rule in {e[0] for e in expected}:
        assert X.found(base, report_id=rid, rule=rule) == set()


@settings(max_examples=25, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), column=st.sampled_from(T.APPLICANT_CODES), delta=st.integers(1, 10_000))
def test_more_received_breaks_balance_and_row_total(seeds, ids, prefix, column, delta):
    """Any positive delta added to new_received in any column c: balance names c, row_total new_received."""
    reports, cells = seeds
    rid = ids[prefix]
    printed = X.truth_app(prefix, "new_received", column)
    inflow = printed + X.truth_app(prefix, "carried_over", column)
    outflow = X.truth_app(prefix, "total_processed", column) + X.truth_app(prefix, "carried_forward", column)
    assert inflow == outflow  # the seed is consistent
    row = X.truth(prefix)["applications"]["new_received"]
    if column == "total":  # the printed total moves away from the six columns
        row_total = err(ROW_TOTAL, "new_received", "total", sum(row[:6]), row[6] + delta)
    else:
        row_total = err(ROW_TOTAL, "new_received", "total", sum(row[:6]) + delta, row[6])
    v = X.run(reports, X.shift(cells, rid, APPS, "new_received", column, delta))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {err(BALANCE, None, column, inflow + delta, outflow), row_total}


# --- printed subtotals ---------------------------------------------------------------------------

def test_consistent_subtotal_rows_and_org_column_validate(seeds, ids):
    """Printing every group subtotal row and the org_subtotal column, all correct, breaks nothing."""
    reports, cells = seeds
    for prefix in ("000", "004"):
        for group in T.SUBTOTAL_GROUPS:
            cells = X.with_subtotal_row(cells, ids[prefix], group)
        cells = X.with_org_subtotal(cells, ids[prefix])
    assert X.cell(cells, ids["004"], APPS, "other_subtotal", "natural_person")["value_int"] == 1
    assert X.cell(cells, ids["000"], APPS, "denied_subtotal", "org_subtotal")["value_int"] == 0
    assert X.cell(cells, ids["000"], APPS, "denied_subtotal", "total")["value_int"] == 8
    v = X.run(reports, cells)
    assert v.violations.height == 0, v.violations
    assert set(X.statuses(v).values()) == {"validated"}


SUBTOTAL_ROWS = [
    pytest.param("000", "denied", ("denied_subtotal", "natural_person"), "9",
                 {err(SUBTOTALS, "denied_subtotal", "natural_person", 8, 9),
                  err(ROW_TOTAL, "denied_subtotal", "total", 9, 8)}, id="000-denied_subtotal-8to9"),
    pytest.param("004", "other", ("other_subtotal", "natural_person"), "0",
                 {err(SUBTOTALS, "other_subtotal", "natural_person", 1, 0),
                  err(ROW_TOTAL, "other_subtotal", "total", 0, 1)}, id="004-other_subtotal-1to0"),
    pytest.param("004", "unavailable", ("unavailable_subtotal", "total"), "15",
                 {err(SUBTOTALS, "unavailable_subtotal", "total", 14, 15),
                  err(ROW_TOTAL, "unavailable_subtotal", "total", 14, 15)}, id="004-unavailable_subtotal-total-14to15"),
    pytest.param("001", "not_processed", ("not_processed_subtotal", "natural_person"), "2",
                 {err(SUBTOTALS, "not_processed_subtotal", "natural_person", 1, 2),
                  err(ROW_TOTAL, "not_processed_subtotal", "total", 2, 1)}, id="001-not_processed_subtotal-1to2"),
]


@pytest.mark.parametrize("prefix, group, address, raw, expected", SUBTOTAL_ROWS)
def test_wrong_subtotal_row(seeds, ids, prefix, group, address, raw, expected):
    reports, cells = seeds
    rid = ids[prefix]
    cells = X.with_subtotal_row(cells, rid, group)
    v = X.run(reports, X.set_cells(cells, rid, APPS, {address: raw}))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == expected


ORG_COLUMN = [
    # granted: five org columns 1+0+1+0+0 = 2; the org_subtotal column's outcome rows then add up to 3 ≠ 2
    pytest.param("granted", "3", {err(SUBTOTALS, "granted", "org_subtotal", 2, 3),
                                  err(OUTCOMES, "total_processed", "org_subtotal", 3, 2)}, id="granted-2to3"),
    # new_received: 5+0+1+0+0 = 6; carried_forward 4, total_processed 2
    pytest.param("new_received", "5", {err(SUBTOTALS, "new_received", "org_subtotal", 6, 5),
                                       err(BALANCE, None, "org_subtotal", 5, 6)}, id="new_received-6to5"),
]


@pytest.mark.parametrize("row, raw, expected", ORG_COLUMN)
def test_wrong_org_subtotal_column(seeds, ids, row, raw, expected):
    reports, cells = seeds
    rid = ids["000"]
    cells = X.with_org_subtotal(cells, rid)
    v = X.run(reports, X.set_cell(cells, rid, APPS, row, "org_subtotal", raw))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == expected


# --- the 2019 template -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds_2019(seeds, ids):
    """Seeds 000 and 004 laid out with the 2019 template (year 2020), the other three untouched."""
    reports, cells = seeds
    for prefix in ("000", "004"):
        reports, cells = X.to_2019(reports, cells, ids[prefix], year=2020)
    return reports, cells


def test_2019_conversion_has_the_2019_cells(seeds_2019, ids):
    reports, cells = seeds_2019
    rid = ids["004"]
    mine = cells.filter(pl.col("report_id") == rid)
    assert mine.filter(pl.col("table") == APPS).height == 161
    assert (set(mine.filter(pl.col("table") == APPS)["row"].unique())
            == set(T.TEMPLATE_2019.application_codes))
    assert (set(mine.filter(pl.col("table") == "active_disclosure").select("row", "column").iter_rows())
            == set(T.TEMPLATE_2019.active_fields()))
    # other_overdue_correction 1 + other_unpaid_fee 0 + other_misc 0
    assert X.cell(cells, rid, APPS, "other_processing", "natural_person")["value_int"] == 1
    assert X.cell(cells, rid, APPS, "other_processing", "total")["value_int"] == 1
    assert X.cell(cells, rid, "active_disclosure", "licensing", "change")["value_int"] == -3


def test_consistent_2019_reports_validate(seeds_2019):
    v = X.run(*seeds_2019)
    assert v.violations.height == 0, v.violations
    assert set(X.statuses(v).values()) == {"validated"}


@pytest.mark.parametrize("prefix, raw, expected", [
    pytest.param("004", "2", {err(OUTCOMES, "total_processed", "natural_person", 70, 69),
                              err(ROW_TOTAL, "other_processing", "total", 2, 1)}, id="004-other_processing-1to2"),
    pytest.param("000", "3", {err(OUTCOMES, "total_processed", "natural_person", 51, 48),
                              err(ROW_TOTAL, "other_processing", "total", 3, 0)}, id="000-other_processing-0to3"),
])
def test_2019_other_processing_is_an_outcome(seeds_2019, ids, prefix, raw, expected):
    reports, cells = seeds_2019
    rid = ids[prefix]
    v = X.run(reports, X.set_cell(cells, rid, APPS, "other_processing", "natural_person", raw))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == expected


def test_2019_report_is_held_to_its_own_outcome_rows(seeds_2019, ids):
    """Moving other_processing's count into the total only (as if （六） were not an outcome) is an error."""
    reports, cells = seeds_2019
    rid = ids["004"]
    altered = X.set_cells(cells, rid, APPS, {("other_processing", "natural_person"): "0",
                                             ("other_processing", "total"): "0"})
    v = X.run(reports, altered)
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {err(OUTCOMES, "total_processed", "natural_person", 68, 69),
                                         err(OUTCOMES, "total_processed", "total", 69, 70)}
