"""The likely culprit of a table 三 arithmetic error (`contracts.culprit`), on altered seeds.

Each test re-prints cells of one parsed seed (through the real cell policy, `altered.py`), validates all
five seeds at once, and checks the suspect columns and messages of the altered report's violations. The
right answer is known because the test made the error: the original printed value comes from the seed's
truth file, never from the code under test.
"""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import altered as X
from contracts.violations import SUSPECT
from nianbao import template as T

APPS = "applications"
BALANCE, OUTCOMES, ROW_TOTAL, SUBTOTALS = (
    "applications.balance", "applications.outcomes_sum", "applications.row_total", "applications.subtotals")
PREFIXES = ("000", "001", "002", "003", "004")
ROWS_2021 = T.TEMPLATE_2021.application_codes


def errors(v, rid: str) -> pl.DataFrame:
    """The altered report's error violations."""
    return v.violations.filter((pl.col("report_id") == rid) & (pl.col("severity") == "error"))


def suspects(v, rid: str) -> set[tuple]:
    """(suspect_row, suspect_column, suspect_value, suspect_kind) over the report's error violations."""
    return set(errors(v, rid).select(list(SUSPECT)).iter_rows())


def assert_only(v, rid: str, suspect: tuple) -> None:
    """Every error of `rid` names `suspect`; no other report's violation names anything."""
    assert errors(v, rid).height >= 2, errors(v, rid)
    assert suspects(v, rid) == {suspect}, errors(v, rid)
    others = v.violations.filter(pl.col("report_id") != rid)
    assert others.filter(pl.col("suspect_kind").is_not_null()).height == 0, others


# --- (e) clean seeds ---------------------------------------------------------------------------

def test_clean_seeds_fill_no_suspect_columns(base):
    cols = base.violations.columns
    assert cols[cols.index("suspect_row"):][:4] == list(SUSPECT)  # then where the culprit was printed
    assert base.violations.schema["suspect_value"] == pl.Int64
    assert base.violations.height == 0


def test_other_violations_leave_the_suspect_columns_null(seeds, ids):
    """A blank counted as 0 (a warning) and a wrong table 四 total (one equation, no column to cross it
    with) are not arithmetic errors of table 三 a cell can be pinned on: no suspect, no note."""
    reports, cells = seeds
    cells = X.set_cell(cells, ids["001"], APPS, "granted", "other_org", "—")
    cells = X.set_cell(cells, ids["002"], "review_litigation", "review", "total", "7")
    v = X.run(reports, cells)
    assert set(v.violations["rule"]) == {"values.blank_as_zero", "review_litigation.group_total"}
    assert v.violations.select(pl.col(list(SUSPECT)).is_null().all()).row(0) == (True,) * 4
    assert not v.violations["message"].str.contains("culprit|layout split").any()


# --- (a) one applicant cell --------------------------------------------------------------------

SINGLE = [
    pytest.param("000", "granted", "natural_person", "30", id="000-granted-natural_person-29to30"),
    pytest.param("000", "carried_forward", "natural_person", "2", id="000-carried_forward-natural_person-0to2"),
    pytest.param("004", "new_received", "commercial_enterprise", "2", id="004-new_received-commercial-1to2"),
    pytest.param("002", "carried_over", "natural_person", "1", id="002-carried_over-natural_person-0to1"),
    pytest.param("004", "partially_granted", "natural_person", "12", id="004-partially_granted-21to12"),
    pytest.param("001", "total_processed", "natural_person", "91", id="001-total_processed-natural_person-19to91"),
    pytest.param("003", "unavailable_unclear", "other_org", "7", id="003-unavailable_unclear-other_org-0to7"),
]


@pytest.mark.parametrize("prefix, row, column, raw", SINGLE)
def test_one_wrong_applicant_cell_is_named_with_its_printed_value(seeds, ids, prefix, row, column, raw):
    reports, cells = seeds
    rid = ids[prefix]
    original = X.truth_app(prefix, row, column)
    v = X.run(reports, X.set_cell(cells, rid, APPS, row, column, raw))
    assert_only(v, rid, (row, column, original, "single_cell"))
    assert set(errors(v, rid)["rule"]) >= {ROW_TOTAL}
    assert errors(v, rid)["message"].str.contains(
        f"likely culprit: {row}/{column} printed {raw}, {original} makes", literal=True).all()


def test_message_keeps_the_rule_text(seeds, ids):
    """The note is appended: the rule's own message (expected and actual) stays first."""
    reports, cells = seeds
    rid = ids["000"]
    v = X.run(reports, X.set_cell(cells, rid, APPS, "granted", "natural_person", "30"))
    msg = dict(errors(v, rid).select("rule", "message").iter_rows())
    assert msg[ROW_TOTAL] == ("total printed 31 but the six applicant columns add up to 32 in row granted; likely "
                              "culprit: granted/natural_person printed 30, 29 makes both the row and the column add up")
    assert msg[OUTCOMES].startswith("column natural_person: total_processed = 48 but the outcome rows = 49; likely culprit")


# --- (b) a total cell ----------------------------------------------------------------------------

TOTALS = [
    pytest.param("000", "new_received", "55", {ROW_TOTAL, BALANCE}, id="000-new_received-total-54to55"),
    pytest.param("000", "granted", "30", {ROW_TOTAL, OUTCOMES}, id="000-granted-total-31to30"),
    # total_processed/total sits in three equations: its row, the balance and the outcomes of column total
    pytest.param("000", "total_processed", "51", {ROW_TOTAL, BALANCE, OUTCOMES}, id="000-total_processed-total-50to51"),
    pytest.param("004", "carried_forward", "3", {ROW_TOTAL, BALANCE}, id="004-carried_forward-total-0to3"),
]


@pytest.mark.parametrize("prefix, row, raw, rules", TOTALS)
def test_a_wrong_total_cell_is_named(seeds, ids, prefix, row, raw, rules):
    reports, cells = seeds
    rid = ids[prefix]
    v = X.run(reports, X.set_cell(cells, rid, APPS, row, "total", raw))
    assert set(errors(v, rid)["rule"]) == rules
    assert_only(v, rid, (row, "total", X.truth_app(prefix, row, "total"), "single_cell"))


# --- (c) several corrections: none named ---------------------------------------------------------

def test_two_errors_in_a_rectangle_name_no_culprit(seeds, ids):
    """granted/natural_person and partially_granted/commercial_enterprise each +1: the two failing rows and
    the two failing columns are fixed as well by the other corner pair, so no cell is the likely one."""
    reports, cells = seeds
    rid = ids["000"]
    v = X.run(reports, X.set_cells(cells, rid, APPS, {("granted", "natural_person"): "30",
                                                      ("partially_granted", "commercial_enterprise"): "1"}))
    errs = errors(v, rid)
    assert errs.height == 4
    assert suspects(v, rid) == {(None, None, None, None)}
    assert errs["message"].str.contains("no single likely culprit: 2 corrections would each make it add up").all()
    row = errs.filter(pl.col("row") == "granted")["message"].item()
    assert "(granted/commercial_enterprise, granted/natural_person)" in row  # named in sorted order


def test_two_errors_in_different_rows_and_columns_name_each_its_own(seeds, ids):
    """Two wrong cells whose rows and columns are all different, with different errors: each violation is
    fixed by one correction only, its own cell's."""
    reports, cells = seeds
    rid = ids["000"]
    v = X.run(reports, X.set_cells(cells, rid, APPS, {("granted", "natural_person"): "30",
                                                      ("carried_forward", "commercial_enterprise"): "7"}))
    got = set(errors(v, rid).select("rule", "row", "column", *SUSPECT).iter_rows())
    assert got == {
        (ROW_TOTAL, "granted", "total", "granted", "natural_person", 29, "single_cell"),
        (OUTCOMES, "total_processed", "natural_person", "granted", "natural_person", 29, "single_cell"),
        (ROW_TOTAL, "carried_forward", "total", "carried_forward", "commercial_enterprise", 4, "single_cell"),
        (BALANCE, None, "commercial_enterprise", "carried_forward", "commercial_enterprise", 4, "single_cell"),
    }


def test_swapped_neighbours_name_no_culprit(seeds, ids):
    """Two cells of a row swapped: the row adds up, only the columns fail; no single cell explains that."""
    reports, cells = seeds
    rid = ids["004"]
    v = X.run(reports, X.set_cells(cells, rid, APPS, {("partially_granted", "natural_person"): "1",
                                                      ("partially_granted", "commercial_enterprise"): "21"}))
    assert set(errors(v, rid)["rule"]) == {OUTCOMES}
    assert suspects(v, rid) == {(None, None, None, None)}
    assert not errors(v, rid)["message"].str.contains("culprit|layout split").any()


def test_a_correction_below_zero_is_no_culprit(seeds, ids):
    """Three wrong cells (granted/total 31→28, partially_granted/research_institution 0→3 and its total 6→9)
    leave one failing row (granted, 3 short) and one failing column (research_institution, 3 over), which
    granted/research_institution would explain only by going from 0 to −3: a count is never below 0, so
    nothing is named."""
    reports, cells = seeds
    rid = ids["000"]
    v = X.run(reports, X.set_cells(cells, rid, APPS, {("granted", "total"): "28",
                                                      ("partially_granted", "research_institution"): "3",
                                                      ("partially_granted", "total"): "9"}))
    assert set(errors(v, rid).select("rule", "row", "column").iter_rows()) == {
        (ROW_TOTAL, "granted", "total"), (OUTCOMES, "total_processed", "research_institution")}
    assert suspects(v, rid) == {(None, None, None, None)}
    assert not errors(v, rid)["message"].str.contains("culprit|layout split").any()


# --- (d) glued digits ------------------------------------------------------------------------------

GLUED = [
    # "2","0" → "20" and a blank: the split leaves the blank at 0, the same correction as 20 → 2; named as the split
    pytest.param("000", "denied_internal_affairs", ("natural_person", "commercial_enterprise"), ("20", ""), (20, 0),
                 id="000-denied_internal_affairs-2,0-as-20,blank"),
    pytest.param("004", "partially_granted", ("natural_person", "commercial_enterprise"), ("211", ""), (211, 0),
                 id="004-partially_granted-21,1-as-211,blank"),
    # the digits land in the right-hand cell, the left one blank (a placeholder counts as 0 too)
    pytest.param("000", "new_received", ("natural_person", "commercial_enterprise"), ("—", "485"), (0, 485),
                 id="000-new_received-48,5-as-placeholder,485"),
]


@pytest.mark.parametrize("prefix, row, pair, raws, read", GLUED)
def test_glued_neighbours_are_a_layout_split(seeds, ids, prefix, row, pair, raws, read):
    reports, cells = seeds
    rid = ids[prefix]
    a, b = (X.truth_app(prefix, row, c) for c in pair)
    v = X.run(reports, X.set_cells(cells, rid, APPS, {(row, pair[0]): raws[0], (row, pair[1]): raws[1]}))
    assert_only(v, rid, (row, ",".join(pair), None, "glued_split"))
    assert errors(v, rid)["message"].str.contains(
        f"likely a layout split, not a source error: {row}/{pair[0]} and {pair[1]} read as {read[0]} and {read[1]}, "
        f"but {a} and {b}", literal=True).all()


def test_digits_moved_between_two_printed_cells_name_nothing(seeds, ids):
    """Seed 000 granted: natural_person 29 printed "2" and commercial_enterprise 1 printed "91" (a digit moved
    across the border). Neither cell reads as blank, so it is not a glued pair; two cells are wrong, so no
    single cell makes the row and its columns add up: nothing is named."""
    reports, cells = seeds
    rid = ids["000"]
    v = X.run(reports, X.set_cells(cells, rid, APPS, {("granted", "natural_person"): "2",
                                                      ("granted", "commercial_enterprise"): "91"}))
    assert errors(v, rid).height >= 2
    assert errors(v, rid).filter(pl.col("suspect_kind").is_not_null()).height == 0


# --- other layouts: printed subtotal rows, the org subtotal column, the 2019 template ------------------

def test_an_item_under_a_printed_subtotal_row_is_named(seeds, ids):
    """With （三）不予公开 printed, denied_third_party_rights/natural_person sits in its row, the outcomes of
    its column and the denied subtotal of its column: all three fail and one cell explains them."""
    reports, cells = seeds
    rid = ids["000"]
    cells = X.with_subtotal_row(cells, rid, "denied")
    v = X.run(reports, X.set_cell(cells, rid, APPS, "denied_third_party_rights", "natural_person", "5"))
    assert set(errors(v, rid)["rule"]) == {ROW_TOTAL, OUTCOMES, SUBTOTALS}
    assert_only(v, rid, ("denied_third_party_rights", "natural_person", 6, "single_cell"))


def test_an_org_cell_with_the_org_subtotal_printed_is_named(seeds, ids):
    """With 法人或其他组织小计 printed, an organisation cell is also in the org subtotal's row equation."""
    reports, cells = seeds
    rid = ids["000"]
    cells = X.with_org_subtotal(cells, rid)
    v = X.run(reports, X.set_cell(cells, rid, APPS, "new_received", "commercial_enterprise", "6"))
    assert set(errors(v, rid).select("rule", "row", "column").iter_rows()) == {
        (ROW_TOTAL, "new_received", "total"), (SUBTOTALS, "new_received", "org_subtotal"),
        (BALANCE, None, "commercial_enterprise")}
    assert_only(v, rid, ("new_received", "commercial_enterprise", 5, "single_cell"))


def test_2019_template_cell_is_named(seeds, ids):
    """The 2019 template's （六）其他处理 row is one outcome row: a wrong cell there is named too."""
    reports, cells = X.to_2019(*seeds, ids["004"], year=2020)
    rid = ids["004"]
    v = X.run(reports, X.set_cell(cells, rid, APPS, "other_processing", "natural_person", "2"))
    assert_only(v, rid, ("other_processing", "natural_person", 1, "single_cell"))


# --- the property ----------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), row=st.sampled_from(ROWS_2021),
       column=st.sampled_from(T.APPLICANT_CODES), new=st.integers(0, 5_000))
def test_any_single_cell_perturbation_is_named_with_its_original_value(seeds, ids, prefix, row, column, new):
    """A random cell of a valid seed's table 三 re-printed with another value breaks its row and its
    column(s); the suspect is that cell and the corrected value its original. (When the new value is the
    original's digits followed by a 0 and the right neighbour is 0, the glued reading is the same correction
    and is what is reported.)"""
    reports, cells = seeds
    rid = ids[prefix]
    original = X.truth_app(prefix, row, column)
    assume(new != original)
    one = reports.filter(pl.col("report_id") == rid)
    v = X.run(one, X.set_cell(cells.filter(pl.col("report_id") == rid), rid, APPS, row, column, str(new)))
    i = T.APPLICANT_CODES.index(column)
    right = T.APPLICANT_CODES[i + 1] if i + 1 < len(T.APPLICANT_CODES) else None
    if original and new == 10 * original and right and X.truth_app(prefix, row, right) == 0:
        assert suspects(v, rid) == {(row, f"{column},{right}", None, "glued_split")}, errors(v, rid)
    else:
        assert suspects(v, rid) == {(row, column, original, "single_cell")}, errors(v, rid)
