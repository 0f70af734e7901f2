"""Counts stated in the prose against the tables: narrative.applications_count, narrative.review_litigation_count."""
from __future__ import annotations

import polars as pl
import pytest

from conftest import SEEDS, truth_of
from contracts import narrative as N
from nianbao.batch import parse_many
from nianbao.narrative import stated_counts

SEED0 = next(p for p in SEEDS if p.name.startswith("000"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_stated_counts_are_the_hand_checked_ones(seed):
    got = stated_counts(seed.read_text(encoding="utf-8"))
    truth = truth_of(seed)["narrative"]
    assert all(truth.get(k) == v for k, v in got.items()), (got, truth)  # never a wrong number
    if truth.get("applications_received"):
        assert got.get("applications_received") == truth["applications_received"]


def test_table_rows_and_conflicting_statements_are_not_read():
    text = "一、本年新收政府信息公开申请数量\t54件\t\n全年共收到政府信息公开申请54件，办结50件。\n另一处写道共收到政府信息公开申请55件。"
    assert "applications_received" not in stated_counts(text)  # 54 and 55: the text does not decide
    assert stated_counts("行政复议6件、行政诉讼2件，均已办结。") == {"review_cases": 6, "litigation_cases": 2}


def warnings_for(tmp_path, text: str) -> pl.DataFrame:
    f = tmp_path / SEED0.name
    f.write_text(text, encoding="utf-8")
    parsed = parse_many([(str(f), f.name)], workers=1)
    return N.warnings(parsed.reports, parsed.cells)


def test_a_seed_whose_prose_agrees_has_no_warning(tmp_path):
    assert warnings_for(tmp_path, SEED0.read_text(encoding="utf-8")).height == 0


def test_a_stated_count_that_disagrees_is_a_warning_naming_both(tmp_path):
    text = SEED0.read_text(encoding="utf-8")
    assert "申请54件" in text and "行政复议6件" in text
    v = warnings_for(tmp_path, text.replace("申请54件", "申请55件").replace("行政复议6件", "行政复议7件"))
    got = sorted(v.select("rule", "table", "row", "column", "expected", "actual").rows())
    assert got == [("narrative.applications_count", "applications", "new_received", "total", 55, 54),
                   ("narrative.review_litigation_count", "review_litigation", "review", "total", 7, 6)]
    assert (v["severity"] == "warning").all()
    assert "the text states 55 applications received but table 三 has 54" in v["message"].to_list()
