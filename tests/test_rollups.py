"""Rollups: per (year, province, level, body type, template), never across levels or body types; rates;
national = Σ provincial for the same key. On the five seeds with hand-checked truth."""
from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.rollups import NATIONAL_KEY, PROVINCE_KEY, rollup
from contracts.publish import publish
from conftest import SEEDS, truth_of

TOTAL = 6  # position of the total column in a truth row


@pytest.fixture(scope="module")
def published(seeds):
    reports, cells = seeds
    none = pl.DataFrame(schema={"report_id": pl.String, "severity": pl.String})
    out = publish(reports, cells, none)
    order = {p.name: truth_of(p) for p in SEEDS}
    return reports, out, order


def placed(reports: pl.DataFrame, where: dict[str, tuple]) -> pl.DataFrame:
    """The reports with (province, region_level, body_type) set per seed prefix."""
    keys = pl.DataFrame([(rid, *where[src[:3]]) for rid, src in reports.select("report_id", "source").iter_rows()],
                        schema=["report_id", "p", "l", "b"], orient="row")
    return (reports.join(keys, on="report_id").with_columns(province="p", region_level="l", body_type="b")
            .drop("p", "l", "b"))


def _roll(reports, out, bad_ids, key):
    kept = reports.filter(~pl.col("report_id").is_in(list(bad_ids)))
    tables = {t: out[t].filter(~pl.col("report_id").is_in(list(bad_ids)))
              for t in ("active_disclosure", "applications", "review_litigation")}
    return rollup(tables, kept, reports, pl.Series(list(bad_ids), dtype=pl.String), key)


def cell(df, table, row, column, **key):
    sel = df.filter((pl.col("table") == table) & (pl.col("row") == row) & (pl.col("column") == column))
    for k, v in key.items():
        sel = sel.filter(pl.col(k).is_null() if v is None else pl.col(k) == v)
    assert sel.height == 1, sel
    return sel.row(0, named=True)


def test_hand_computed_example(published):
    reports, out, truth = published
    t = {name[:3]: d for name, d in truth.items()}
    where = {"000": ("P", "county", "government"), "001": ("P", "county", "government"),
             "002": ("P", "county", "department"), "003": ("Q", "county", "government"),
             "004": ("P", "county", "government")}
    reports = placed(reports, where)
    bad = reports.filter(pl.col("source").str.starts_with("004"))["report_id"].to_list()  # quarantined
    prov = _roll(reports, out, bad, PROVINCE_KEY)
    nat = _roll(reports, out, bad, NATIONAL_KEY)

    def truth_total(seed, row):
        return t[seed]["applications"][row][TOTAL] or 0

    # a county government and a department of the same province are different keys, never summed
    gov = cell(prov, "applications", "new_received", "total", province="P", body_type="government")
    assert gov["value"] == truth_total("000", "new_received") + truth_total("001", "new_received")
    assert (gov["n_reports"], gov["n_quarantined"]) == (2, 1)
    dep = cell(prov, "applications", "new_received", "total", province="P", body_type="department")
    assert (dep["value"], dep["n_reports"], dep["n_quarantined"]) == (truth_total("002", "new_received"), 1, 0)
    ngov = cell(nat, "applications", "new_received", "total", body_type="government")
    assert ngov["value"] == sum(truth_total(s, "new_received") for s in ("000", "001", "003"))
    assert (ngov["n_reports"], ngov["n_quarantined"]) == (3, 1)

    # disclosure rate = (granted + partially_granted) / total_processed, from the truth by hand
    num = sum(truth_total(s, "granted") + truth_total(s, "partially_granted") for s in ("000", "001"))
    den = sum(truth_total(s, "total_processed") for s in ("000", "001"))
    rate = cell(prov, "rates", "disclosure_rate", "total", province="P", body_type="government")
    assert rate["value"] == (round(Decimal(num) / Decimal(den), 6) if den else None)
    assert rate["n_reports"] == 2

    # review correction rate = corrected / (total - pending); null when nothing was settled
    for (p, b), seeds_ in {("P", "department"): ("002",), ("Q", "government"): ("003",)}.items():
        r = [t[s]["review_litigation"]["review"] for s in seeds_]
        settled = sum((g[4] or 0) - (g[3] or 0) for g in r)
        got = cell(prov, "rates", "review_correction_rate", "total", province=p, body_type=b)["value"]
        assert got == (round(Decimal(sum(g[1] or 0 for g in r)) / settled, 6) if settled else None)


def test_a_key_with_only_quarantined_reports_keeps_its_count(published):
    reports, out, _ = published
    where = {s: ("P", "county", "government") for s in ("000", "001", "002", "003")} | {"004": ("Q", "county", "government")}
    reports = placed(reports, where)
    bad = reports.filter(pl.col("source").str.starts_with("004"))["report_id"].to_list()
    prov = _roll(reports, out, bad, PROVINCE_KEY)
    q = cell(prov, "applications", "new_received", "total", province="Q")
    assert (q["value"], q["n_reports"], q["n_quarantined"]) == (None, 0, 1)


SUMMED = ["value", "n_reports", "n_blank", "n_quarantined"]
PLACES = st.tuples(st.sampled_from(["P", "Q", None]), st.sampled_from(["county", "prefecture"]),
                   st.sampled_from(["government", "department", "township"]))


@settings(max_examples=40, deadline=None)
@given(where=st.fixed_dictionaries({s: PLACES for s in ("000", "001", "002", "003", "004")}),
       bad=st.sets(st.sampled_from(["000", "001", "002", "003", "004"])))
def test_national_is_the_sum_of_the_provinces(published, where, bad):
    reports, out, _ = published
    reports = placed(reports, where)
    bad_ids = reports.filter(pl.col("source").str.slice(0, 3).is_in(list(bad)))["report_id"].to_list()
    prov = _roll(reports, out, bad_ids, PROVINCE_KEY).filter(pl.col("table") != "rates")
    nat = _roll(reports, out, bad_ids, NATIONAL_KEY).filter(pl.col("table") != "rates")
    cols = [k for k in NATIONAL_KEY] + ["table", "row", "column"]
    summed = prov.group_by(cols).agg(
        pl.when(pl.col("value").is_null().all()).then(None).otherwise(pl.col("value").sum()).alias("value"),
        *[pl.col(c).sum() for c in SUMMED[1:]])
    both = nat.join(summed, on=cols, how="full", nulls_equal=True, suffix="_p")
    assert both.height == nat.height == summed.height
    for c in SUMMED:
        assert both.filter(~pl.col(c).eq_missing(pl.col(f"{c}_p"))).height == 0, c
