"""Cell- and report-level contracts: values.non_negative_integer, values.blank_as_zero (warning),
structure.tables_present, structure.template_year (warning), and the pandera runner guard.

Cells are re-printed through the real cell policy (`altered.py`), so a test states what a report
printed ("-3", "2.5", "abc", "", "—") and the status follows from `nianbao.cells.read`.
Numbers from the truth files: seed 000 granted = [29, 1, 0, 1, 0, 0, 31], partially_granted 6,
denied 6 + 2, unavailable 5, total_processed/natural_person 48; fee 47617.42 (万元).
"""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import altered as X
from contracts import applications as A
from contracts import cells as C
from contracts import review_litigation as R
from contracts.reports import Reports
from contracts.runner import failures
from nianbao import frames as F
from nianbao import template as T
from nianbao.cells import PLACEHOLDERS

NON_NEG, PRESENT, BLANK, TEMPLATE_YEAR = (
    "values.non_negative_integer", "structure.tables_present", "values.blank_as_zero", "structure.template_year")
ROW_TOTAL, OUTCOMES, BALANCE, GROUP_TOTAL = (
    "applications.row_total", "applications.outcomes_sum", "applications.balance", "review_litigation.group_total")
APPS, RL, AD = "applications", "review_litigation", "active_disclosure"
PREFIXES = ("000", "001", "002", "003", "004")


def err(rule, table, row, column, expected=None, actual=None) -> tuple:
    return (rule, "error", table, row, column, expected, actual)


def warn(rule, table=None) -> tuple:
    return (rule, "warning", table, None, None, None, None)


@pytest.mark.parametrize("rule", [NON_NEG, PRESENT, BLANK, TEMPLATE_YEAR])
def test_rule_silent_on_unaltered_seeds(base, rule):
    assert X.found(base, rule=rule) == set()
    assert set(X.statuses(base).values()) == {"validated"}


# --- values.non_negative_integer -----------------------------------------------------------------

NON_NEGATIVE = [
    # table 二 has no arithmetic: the value rule alone fires
    pytest.param("000", AD, "normative_documents", "issued", "-3",
                 {err(NON_NEG, AD, "normative_documents", "issued", None, -3)}, id="count-negative"),
    pytest.param("002", AD, "licensing", "decisions", "2.5",
                 {err(NON_NEG, AD, "licensing", "decisions")}, id="count-non-integer"),
    pytest.param("004", AD, "penalty", "decisions", "abc",
                 {err(NON_NEG, AD, "penalty", "decisions")}, id="count-unreadable"),
    pytest.param("000", AD, "fees", "amount_10k_yuan", "-47617.42",
                 {err(NON_NEG, AD, "fees", "amount_10k_yuan")}, id="fee-negative"),
    pytest.param("002", AD, "fees", "amount_10k_yuan", "-811",
                 {err(NON_NEG, AD, "fees", "amount_10k_yuan", None, -811)}, id="fee-negative-integral"),
    # in table 三 a non-integer or unreadable count is unknown: no identity is judged on it
    pytest.param("000", APPS, "granted", "natural_person", "2.5",
                 {err(NON_NEG, APPS, "granted", "natural_person")}, id="applications-non-integer"),
    pytest.param("000", APPS, "granted", "natural_person", "abc",
                 {err(NON_NEG, APPS, "granted", "natural_person")}, id="applications-unreadable"),
    # a negative count is a printed number: the identities are judged on it
    pytest.param("000", APPS, "denied_state_secret", "natural_person", "-3",
                 {err(NON_NEG, APPS, "denied_state_secret", "natural_person", None, -3),
                  err(ROW_TOTAL, APPS, "denied_state_secret", "total", -3, 0),
                  err(OUTCOMES, APPS, "total_processed", "natural_person", 45, 48)}, id="applications-negative"),
    pytest.param("003", RL, "review", "upheld", "-1",
                 {err(NON_NEG, RL, "review", "upheld", None, -1), err(GROUP_TOTAL, RL, "review", "total", -1, 0)},
                 id="review-negative"),
]


@pytest.mark.parametrize("prefix, table, row, column, raw, expected", NON_NEGATIVE)
def test_not_a_non_negative_integer(seeds, ids, prefix, table, row, column, raw, expected):
    reports, cells = seeds
    rid = ids[prefix]
    v = X.run(reports, X.set_cell(cells, rid, table, row, column, raw))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == expected


@pytest.mark.parametrize("prefix, table, row, column, raw", [
    pytest.param("000", APPS, "granted", "natural_person", "２９", id="full-width-digits"),
    pytest.param("000", APPS, "granted", "natural_person", " 2 9 ", id="spaces-inside"),
    pytest.param("000", APPS, "granted", "natural_person", "29件", id="count-unit"),
    pytest.param("000", APPS, "granted", "natural_person", "29（含续办1件）", id="annotation"),
    pytest.param("000", AD, "licensing", "decisions", "110,686", id="thousands-separator"),
    pytest.param("003", AD, "fees", "amount_10k_yuan", "12.345678", id="fee-decimal"),
    pytest.param("003", AD, "fees", "amount_10k_yuan", "251000元", id="fee-in-yuan"),
])
def test_printed_forms_of_valid_numbers_pass(seeds, ids, prefix, table, row, column, raw):
    reports, cells = seeds
    v = X.run(reports, X.set_cell(cells, ids[prefix], table, row, column, raw))
    assert v.violations.height == 0, v.violations
    assert set(X.statuses(v).values()) == {"validated"}


# --- values.blank_as_zero ------------------------------------------------------------------------

BLANK_ZERO = [pytest.param(APPS, "denied_state_secret", "natural_person", raw, id=f"applications-{raw!r}")
              for raw in ("", "   ", "—", "/", "-", "--", "无", "N/A", "空", "不适用")] + [
    pytest.param(RL, "litigation_after_review", "upheld", "", id="review_litigation-''"),
    pytest.param(AD, "regulations", "issued", "—", id="active_disclosure-'—'"),
]


@pytest.mark.parametrize("table, row, column, raw", BLANK_ZERO)
def test_blank_zero_warns_and_stays_validated(seeds, ids, table, row, column, raw):
    reports, cells = seeds
    rid = ids["000"]
    assert X.cell(cells, rid, table, row, column)["value_int"] == 0
    v = X.run(reports, X.set_cell(cells, rid, table, row, column, raw))
    assert set(X.statuses(v).values()) == {"validated"}
    assert X.found(v) == {warn(BLANK, table)}
    assert v.violations["report_id"].to_list() == [rid]


def test_one_warning_per_report_and_table(seeds, ids):
    reports, cells = seeds
    a, b = ids["000"], ids["003"]
    cells = X.set_cells(cells, a, APPS, {("denied_state_secret", "natural_person"): "",
                                         ("not_processed_excessive", "total"): "—",
                                         ("carried_over", "other_org"): "/"})
    cells = X.set_cell(cells, a, RL, "litigation_after_review", "total", "")
    cells = X.set_cells(cells, b, RL, {(g, c): "" for g in ("review", "litigation_direct") for c in ("upheld", "total")})
    v = X.run(reports, cells)
    assert set(X.statuses(v).values()) == {"validated"}
    assert X.found(v, report_id=a) == {warn(BLANK, APPS), warn(BLANK, RL)}
    assert X.found(v, report_id=b) == {warn(BLANK, RL)}
    counts = dict(v.violations.select(pl.col("report_id") + "/" + pl.col("table"), "message").iter_rows())
    assert counts[f"{a}/{APPS}"].startswith("3 ")
    assert counts[f"{b}/{RL}"].startswith("4 ")


@pytest.mark.parametrize("raw", ["", "—", "/"])
def test_blank_nonzero_is_a_published_error(seeds, ids, raw):
    """granted/natural_person 29 left blank counts as 0: row total 2 ≠ 31, outcomes 19 ≠ 48."""
    reports, cells = seeds
    rid = ids["000"]
    v = X.run(reports, X.set_cell(cells, rid, APPS, "granted", "natural_person", raw))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {
        err(ROW_TOTAL, APPS, "granted", "total", 2, 31),
        err(OUTCOMES, APPS, "total_processed", "natural_person", 19, 48),
        warn(BLANK, APPS),
    }


@pytest.fixture(scope="module")
def zero_cells(seeds) -> list[tuple]:
    _, cells = seeds
    return cells.filter(pl.col("value") == 0).select("report_id", "table", "row", "column").rows()


@settings(max_examples=15, deadline=None)
@given(data=st.data(), raw=st.sampled_from(sorted(PLACEHOLDERS | {"", " "})))
def test_any_zero_blanked_warns_only(seeds, zero_cells, data, raw):
    reports, cells = seeds
    rid, table, row, column = data.draw(st.sampled_from(zero_cells))
    v = X.run(reports, X.set_cell(cells, rid, table, row, column, raw))
    assert set(X.statuses(v).values()) == {"validated"}
    assert X.found(v) == {warn(BLANK, table)}
    assert v.violations["report_id"].to_list() == [rid]


# --- structure.tables_present --------------------------------------------------------------------

@pytest.mark.parametrize("status", ["missing", "ambiguous"])
@pytest.mark.parametrize("prefix, table, row, column", [
    ("002", APPS, "carried_forward", "natural_person"),   # in balance and a row total
    ("000", APPS, "granted", "natural_person"),           # in outcomes_sum and a row total
    ("000", APPS, "total_processed", "total"),            # in balance, outcomes_sum and a row total
    ("004", RL, "review", "upheld"),
    ("001", AD, "normative_documents", "in_force"),
])
def test_unknown_cell_only_breaks_presence(seeds, ids, status, prefix, table, row, column):
    """No confident wrong judgement: an undecided cell gives no arithmetic violation."""
    reports, cells = seeds
    rid = ids[prefix]
    v = X.run(reports, X.mark(cells, rid, table, status, row, column))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {err(PRESENT, table, row, column)}


def test_unknown_cell_hides_only_its_own_equations(seeds, ids):
    """An undecided granted/natural_person does not hide a real error elsewhere in the table."""
    reports, cells = seeds
    rid = ids["000"]
    cells = X.mark(cells, rid, APPS, "ambiguous", "granted", "natural_person")
    cells = X.set_cell(cells, rid, APPS, "carried_forward", "commercial_enterprise", "5")
    v = X.run(reports, cells)
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {
        err(PRESENT, APPS, "granted", "natural_person"),
        err(BALANCE, APPS, None, "commercial_enterprise", 5, 6),
        err(ROW_TOTAL, APPS, "carried_forward", "total", 5, 4),
    }


@pytest.mark.parametrize("table", [AD, APPS, RL])
def test_missing_table_is_one_violation(seeds, ids, table):
    reports, cells = seeds
    rid = ids["001"]
    v = X.run(reports, X.drop_table(cells, rid, table))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {err(PRESENT, table, None, None)}


def test_missing_tables_in_two_reports(seeds, ids):
    reports, cells = seeds
    cells = X.drop_table(X.drop_table(cells, ids["000"], APPS), ids["000"], RL)
    cells = X.drop_table(cells, ids["004"], AD)
    v = X.run(reports, cells)
    assert X.statuses(v) == {ids["000"]: "quarantined", ids["001"]: "validated", ids["002"]: "validated",
                             ids["003"]: "validated", ids["004"]: "quarantined"}
    assert X.found(v, report_id=ids["000"]) == {err(PRESENT, APPS, None, None), err(PRESENT, RL, None, None)}
    assert X.found(v, report_id=ids["004"]) == {err(PRESENT, AD, None, None)}


def test_structure_violations_at_the_coarsest_true_level(seeds, ids):
    """Table 四 with only review/total found: two whole rows missing (one violation each), four cells."""
    reports, cells = seeds
    rid = ids["004"]
    cells = X.set_cell(X.drop_table(cells, rid, RL), rid, RL, "review", "total", "8")
    v = X.run(reports, cells)
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {
        err(PRESENT, RL, "litigation_direct", None), err(PRESENT, RL, "litigation_after_review", None),
        *(err(PRESENT, RL, "review", c) for c in ("upheld", "corrected", "other", "pending")),
    }


@pytest.mark.parametrize("status", ["missing", "ambiguous"])
def test_whole_undecided_row_is_one_violation(seeds, ids, status):
    """A row missing (or undecided for one reason, e.g. one glued run) is one violation, no arithmetic."""
    reports, cells = seeds
    rid = ids["000"]
    v = X.run(reports, X.mark(cells, rid, APPS, status, row="granted", note="one glued run"))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {err(PRESENT, APPS, "granted", None)}


def test_row_undecided_for_different_reasons_is_reported_per_cell(seeds, ids):
    reports, cells = seeds
    rid = ids["000"]
    for i, column in enumerate(("natural_person", "commercial_enterprise")):
        cells = X.mark(cells, rid, APPS, "ambiguous", "granted", column, note=f"reason {i}")
    cells = X.mark(cells, rid, APPS, "missing", row="partially_granted")
    cells = X.mark(cells, rid, APPS, "ambiguous", "partially_granted", "total")
    v = X.run(reports, cells)
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {
        err(PRESENT, APPS, "granted", "natural_person"), err(PRESENT, APPS, "granted", "commercial_enterprise"),
        *(err(PRESENT, APPS, "partially_granted", c) for c in T.APPLICANT_CODES),
    }


def test_single_cell_row_missing_is_named_by_its_row(seeds, ids):
    """Table 二's fees row has one cell: its absence is reported as the row (column left null)."""
    reports, cells = seeds
    rid = ids["001"]
    v = X.run(reports, X.drop_cell(cells, rid, AD, "fees", "amount_10k_yuan"))
    X.only_quarantined(v, rid)
    assert X.found(v, report_id=rid) == {err(PRESENT, AD, "fees", None)}


def test_cells_absent_from_the_frame_are_missing(seeds, ids):
    reports, cells = seeds
    rid = ids["001"]
    cells = cells.filter(~((pl.col("report_id") == rid) & (pl.col("table") == RL)))
    v = X.run(reports, cells)
    assert X.statuses(v)[rid] == "quarantined"


# --- structure.template_year ---------------------------------------------------------------------

@pytest.mark.parametrize("year, warned", [(2019, False), (2020, False), (2021, True), (2023, True)])
def test_template_year_2019(seeds, ids, year, warned):
    reports, cells = seeds
    rid = ids["004"]
    reports, cells = X.to_2019(reports, cells, rid, year=year)
    v = X.run(reports, cells)
    assert set(X.statuses(v).values()) == {"validated"}
    assert X.found(v) == ({warn(TEMPLATE_YEAR)} if warned else set())
    if warned:
        assert v.violations["report_id"].to_list() == [rid]
        assert v.violations["message"].to_list() == [f"reporting year {year} laid out with the 2019 template"]


@pytest.mark.parametrize("year, warned", [(2019, True), (2020, True), (2021, False), (None, False)])
def test_template_year_2021(seeds, ids, year, warned):
    reports, cells = seeds
    rid = ids["002"]
    reports = reports.with_columns(year=pl.when(pl.col("report_id") == rid).then(pl.lit(year, pl.Int32))
                                   .otherwise(pl.col("year")))
    v = X.run(reports, cells)
    assert set(X.statuses(v).values()) == {"validated"}
    assert X.found(v) == ({warn(TEMPLATE_YEAR)} if warned else set())


# --- the pandera runner --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def frames(seeds):
    """Every frame the contracts run on, built from the unaltered seeds."""
    reports, cells = seeds
    apps = F.applications(cells, arith=True)
    return {
        "reports": (Reports, reports),
        "cells": (C.Cells, cells),
        "applications": (A.Applications, apps),
        "identities": (A.ApplicationIdentities, A.identity_frame(apps, reports)),
        "review_litigation": (R.ReviewLitigation, F.review_litigation(cells, arith=True)),
    }


@pytest.mark.parametrize("name", ["reports", "cells", "applications", "identities", "review_litigation"])
def test_runner_refuses_lazy_frames(frames, name):
    model, frame = frames[name]
    with pytest.raises(TypeError):
        failures(model, frame.lazy())
    assert failures(model, frame).height == 0  # the collected seeds pass


def test_runner_data_checks_really_run(seeds, ids):
    """Broken frames fail their data checks (not only the schema), at the right row."""
    reports, cells = seeds
    rid = ids["004"]
    broken = X.set_cell(X.set_cell(cells, rid, RL, "review", "total", "9"), rid, AD, "penalty", "decisions", "abc")

    fc = failures(C.Cells, broken)
    bad = broken.with_row_index("i").filter((pl.col("report_id") == rid) & (pl.col("raw") == "abc"))["i"].to_list()
    assert fc.filter(pl.col("check") == C.NON_NEGATIVE)["index"].to_list() == bad

    rl = F.review_litigation(broken, arith=True)
    fc = failures(R.ReviewLitigation, rl)
    at = rl.with_row_index("i").filter((pl.col("report_id") == rid) & (pl.col("group") == "review"))["i"].to_list()
    assert fc.filter(pl.col("check") == R.GROUP_TOTAL)["index"].to_list() == at

    apps = F.applications(X.set_cell(cells, rid, APPS, "new_received", "natural_person", "70"), arith=True)
    fc = failures(A.Applications, apps)
    at = apps.with_row_index("i").filter((pl.col("report_id") == rid) & (pl.col("row") == "new_received"))["i"]
    assert fc.filter(pl.col("check") == A.ROW_TOTAL)["index"].to_list() == at.to_list()
    fc = failures(A.ApplicationIdentities, A.identity_frame(apps, reports))
    assert fc["column"].unique().to_list() == ["applications.balance||natural_person"]


def test_runner_rejects_a_frame_without_the_contract_schema(seeds):
    _, cells = seeds
    with pytest.raises(ValueError):
        failures(C.Cells, cells.drop("status"))


# --- the report record ---------------------------------------------------------------------------

def _with(reports: pl.DataFrame, rid: str, column: str, value) -> pl.DataFrame:
    return reports.with_columns(pl.when(pl.col("report_id") == rid).then(pl.lit(value))
                                .otherwise(pl.col(column)).cast(reports.schema[column]).alias(column))


@pytest.mark.parametrize("column, value", [("template", "2018"), ("year", 1999)])
def test_reports_model_catches_a_bad_record(seeds, ids, column, value):
    reports, _ = seeds
    fc = failures(Reports, _with(reports, ids["000"], column, value))
    assert fc["column"].to_list() == [column] and fc["index"].to_list() == [0]


@pytest.mark.parametrize("column, value", [("template", "2018"), ("year", 1999)])
def test_report_record_breaking_the_reports_model_is_not_validated(seeds, ids, column, value):
    reports, cells = seeds
    rid = ids["000"]
    try:
        v = X.run(_with(reports, rid, column, value), cells)
    except ValueError:
        return
    assert X.statuses(v)[rid] != "validated"


def test_pipeline_bugs_raise_instead_of_passing(seeds, ids):
    """Two cells at one address, or an unknown status, are the pipeline's own errors: validate refuses them."""
    reports, cells = seeds
    with pytest.raises(ValueError, match="Cells"):
        X.run(reports, pl.concat([cells, cells.head(1)]))
    with pytest.raises(ValueError, match="Cells"):
        X.run(reports, cells.with_columns(status=pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("weird"))
                                          .otherwise(pl.col("status"))))
