"""Contract of table 四 (review_litigation): per group, upheld + corrected + other + pending = total.

Numbers from the truth files: seed 004 review = [2, 2, 3, 1, 8], litigation_direct = [1, 0, 0, 0, 1];
seed 000 review = [0, 6, 0, 0, 6], litigation_direct = [1, 0, 1, 0, 2]; seeds 001–003 all zero.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import altered as X
from nianbao import template as T

RL = "review_litigation"
GROUP_TOTAL = "review_litigation.group_total"
PREFIXES = ("000", "001", "002", "003", "004")
GROUPS = tuple(g.code for g in T.REVIEW_GROUPS)
PARTS = ("upheld", "corrected", "other", "pending")


def group_total(group: str, expected: int, actual: int) -> tuple:
    return (GROUP_TOTAL, "error", RL, group, "total", expected, actual)


def test_seed_tables_are_the_truth(seeds, ids):
    _, cells = seeds
    for prefix, rid in ids.items():
        for group, numbers in X.truth(prefix)[RL].items():
            got = [X.cell(cells, rid, RL, group, c)["value_int"] for c in T.REVIEW_CODES]
            assert got == numbers, (prefix, group)


def test_group_total_silent_on_unaltered_seeds(base):
    assert X.found(base, rule=GROUP_TOTAL) == set()
    assert set(X.statuses(base).values()) == {"validated"}


@pytest.mark.parametrize("prefix, group, column, raw, expected", [
    pytest.param("004", "review", "corrected", "3", group_total("review", 9, 8), id="004-review-corrected-2to3"),
    pytest.param("004", "review", "total", "7", group_total("review", 8, 7), id="004-review-total-8to7"),
    pytest.param("004", "litigation_direct", "upheld", "0", group_total("litigation_direct", 0, 1),
                 id="004-litigation_direct-upheld-1to0"),
    pytest.param("000", "litigation_direct", "other", "0", group_total("litigation_direct", 1, 2),
                 id="000-litigation_direct-other-1to0"),
    pytest.param("001", "litigation_after_review", "pending", "4", group_total("litigation_after_review", 4, 0),
                 id="001-litigation_after_review-pending-0to4"),
])
def test_one_wrong_cell(seeds, ids, base, prefix, group, column, raw, expected):
    reports, cells = seeds
    rid = ids[prefix]
    v = X.run(reports, X.set_cell(cells, rid, RL, group, column, raw))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {expected}
    assert X.found(base, report_id=rid, rule=GROUP_TOTAL) == set()


@settings(max_examples=15, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), group=st.sampled_from(GROUPS), column=st.sampled_from(PARTS),
       delta=st.integers(1, 10_000))
def test_any_part_raised_breaks_its_group_only(seeds, ids, prefix, group, column, delta):
    reports, cells = seeds
    rid = ids[prefix]
    numbers = X.truth(prefix)[RL][group]
    v = X.run(reports, X.shift(cells, rid, RL, group, column, delta))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {group_total(group, sum(numbers[:4]) + delta, numbers[4])}


def test_two_groups_wrong_two_violations(seeds, ids):
    reports, cells = seeds
    rid = ids["004"]
    v = X.run(reports, X.set_cells(cells, rid, RL, {("review", "pending"): "0", ("litigation_direct", "total"): "2"}))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {group_total("review", 7, 8), group_total("litigation_direct", 1, 2)}


def test_blank_nonzero_total_is_a_published_error(seeds, ids):
    """Blank counts as 0: a blank total of a non-empty group breaks the group total (and warns)."""
    reports, cells = seeds
    rid = ids["004"]
    v = X.run(reports, X.set_cell(cells, rid, RL, "review", "total", ""))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {
        group_total("review", 8, 0),
        ("values.blank_as_zero", "warning", RL, None, None, None, None),
    }


@pytest.mark.parametrize("status", ["missing", "ambiguous"])
@pytest.mark.parametrize("column", ["corrected", "total"])
def test_unknown_cell_is_not_judged(seeds, ids, status, column):
    """An undecided cell never yields a group_total violation, only structure.tables_present."""
    reports, cells = seeds
    rid = ids["004"]
    v = X.run(reports, X.mark(cells, rid, RL, status, "review", column))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {("structure.tables_present", "error", RL, "review", column, None, None)}


def test_missing_table_is_one_violation_not_fifteen(seeds, ids):
    reports, cells = seeds
    rid = ids["004"]
    v = X.run(reports, X.drop_table(cells, rid, RL))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {("structure.tables_present", "error", RL, None, None, None, None)}
