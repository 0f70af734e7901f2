"""Warnings that need other reports: history (the same body's previous year) and duplicate inputs.

Built on seed 002 (修武县人民政府, 2023, one row per line): its "2022 report" is the same text with the
year changed and, where a test says so, a carried_forward or stock cell changed.
"""
from __future__ import annotations

import subprocess
import sys

import polars as pl

from conftest import SEEDS
from pipeline.definitions import resources
from pipeline.runner import materialize_all

SEED = next(p for p in SEEDS if p.name.startswith("002"))
TEXT = SEED.read_text(encoding="utf-8")
FORWARD = "四、结转下年度继续办理\t\t2\t0\t0\t0\t0\t0\t2\t"
STOCK = "行政规范性文件\t17\t8\t99"
HISTORY = ("history.carry_over", "history.stock", "history.copied_tables")


def previous_year(forward: str = FORWARD, stock: str = STOCK) -> str:
    """The 2022 report of the same body: the tables as given."""
    assert FORWARD in TEXT and STOCK in TEXT
    return TEXT.replace("2023", "2022").replace(FORWARD, forward).replace(STOCK, stock)


# this year's carried_over row is all 0 and in_force 99 = 90 + 17 - 8: a consistent previous year
CONSISTENT = {"forward": "四、结转下年度继续办理\t\t0\t0\t0\t0\t0\t0\t0\t", "stock": "行政规范性文件\t17\t8\t90"}


def run(tmp_path, files: dict[str, str]) -> pl.DataFrame:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    s = materialize_all(resources(str(raw), str(tmp_path / "wh"), workers=1))
    assert s.success
    v = pl.scan_parquet(f"{tmp_path}/wh/violations/**/*.parquet").collect()
    return v.filter(pl.col("rule").is_in([*HISTORY, "identity.duplicate_report"]))


def test_a_consistent_previous_year_raises_no_history_warning(tmp_path):
    v = run(tmp_path, {"2022.txt": previous_year(**CONSISTENT), "2023.txt": TEXT})
    assert v.height == 0, v


def test_carry_over_names_the_columns_that_disagree(tmp_path):
    v = run(tmp_path, {"2022.txt": previous_year(stock=CONSISTENT["stock"]), "2023.txt": TEXT})
    assert sorted(v["rule"].unique()) == ["history.carry_over"]
    assert sorted(zip(v["column"], v["expected"], v["actual"])) == [("natural_person", 2, 0), ("total", 2, 0)]
    assert v["source"].unique().to_list() == ["2023.txt"]
    assert (v["severity"] == "warning").all()


def test_stock_is_in_force_last_year_plus_issued_minus_repealed(tmp_path):
    v = run(tmp_path, {"2022.txt": previous_year(forward=CONSISTENT["forward"]), "2023.txt": TEXT})
    assert v.select("rule", "row", "column", "expected", "actual").rows() == [
        ("history.stock", "normative_documents", "in_force", 99 + 17 - 8, 99)]


def test_copied_tables(tmp_path):
    v = run(tmp_path, {"2022.txt": previous_year(), "2023.txt": TEXT})
    copied = v.filter(pl.col("rule") == "history.copied_tables")
    assert copied["source"].to_list() == ["2023.txt"]
    assert "identical" in copied["message"][0]


def test_a_duplicate_says_which_one_is_used_and_is_left_out_of_the_rollups(tmp_path):
    longer = TEXT + "\n（本报告另附说明。）\n"
    v = run(tmp_path, {"a.txt": TEXT, "b.txt": longer})
    assert v.select("rule", "source").rows() == [("identity.duplicate_report", "a.txt")]
    assert "b.txt is used (the larger file)" in v["message"][0]
    nat = pl.scan_parquet(f"{tmp_path}/wh/rollup_national/**/*.parquet").collect()
    cell = nat.filter((pl.col("table") == "applications") & (pl.col("row") == "new_received")
                      & (pl.col("column") == "total"))
    assert cell["n_reports"].to_list() == [1]  # counted once, not twice


def test_no_history_warning_on_a_clean_synthetic_series(tmp_path):
    """The generator's series satisfy carry-over and stock; none of its clean reports may raise one."""
    subprocess.run([sys.executable, "-m", "pipeline.cli", "synth", "--count", "60", "--out", str(tmp_path / "syn"),
                    "--seed", "5", "--error-rate", "0", "--formats", "txt", "--years", "2021-2024"],
                   check=True, capture_output=True)
    s = materialize_all(resources(str(tmp_path / "syn" / "raw"), str(tmp_path / "wh"), workers=1))
    assert s.success
    v = pl.scan_parquet(f"{tmp_path}/wh/violations/**/*.parquet").collect()
    assert v.filter(pl.col("rule").is_in(list(HISTORY))).height == 0
    figs = [pl.read_ipc(p) for p in (tmp_path / "wh" / "violations").rglob(".figures.arrow")]
    bodies = pl.concat(figs)["body_key"].drop_nulls()
    assert bodies.len() > bodies.n_unique()  # the corpus does have bodies reporting several years


GLUED = next((p for p in (SEED.parent.parent / "devset" / "raw").glob("006.*")), None)


def test_a_glued_stock_row_is_decided_by_last_years_report(tmp_path):
    """Devset 006 prints 行政规范性文件 as the digit run "693665" (10 readings). With the same body's report of
    the year before stating in_force 599, only 69/3/665 satisfies in_force = 599 + issued − repealed."""
    src = GLUED.read_text(encoding="utf-8")
    assert "行政规范性文件693665" in src
    this_year = src.replace("2022", "2023").replace("2021", "2022")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "cur.txt").write_text(this_year, encoding="utf-8")
    alone = materialize_all(resources(str(raw), str(tmp_path / "alone"), workers=1))
    assert alone.counts["quarantined"] == 1  # undecidable on its own: structure.tables_present

    (raw / "prev.txt").write_text(src.replace("行政规范性文件693665", "行政规范性文件69 3 599"), encoding="utf-8")
    s = materialize_all(resources(str(raw), str(tmp_path / "wh"), workers=1))
    assert s.success and s.counts["quarantined"] == 0
    wh = tmp_path / "wh"
    items = pl.scan_parquet(f"{wh}/active_disclosure/**/*.parquet").collect().filter(
        (pl.col("item") == "normative_documents") & (pl.col("year") == 2022))
    assert items.select("issued", "repealed", "in_force").row(0) == (69, 3, 665)
    notes = pl.scan_parquet(f"{wh}/reports/**/*.parquet").collect().filter(pl.col("source") == "cur.txt")["notes"][0]
    said = [n for n in notes if "resolved from history" in n]
    assert said and "prev.txt" in said[0] and "of 10 readings only 69/3/665" in said[0]


def test_a_glued_stock_row_stays_undecided_when_no_reading_fits_last_years_stock(tmp_path):
    src = GLUED.read_text(encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "cur.txt").write_text(src.replace("2022", "2023").replace("2021", "2022"), encoding="utf-8")
    # a stock last year that no reading of this year reaches: nothing is decided, nothing guessed
    (raw / "prev.txt").write_text(src.replace("行政规范性文件693665", "行政规范性文件69 3 100000"), encoding="utf-8")
    s = materialize_all(resources(str(raw), str(tmp_path / "wh"), workers=1))
    assert s.counts["quarantined"] == 1
    v = pl.scan_parquet(f"{tmp_path}/wh/violations/**/*.parquet").collect().filter(
        (pl.col("source") == "cur.txt") & (pl.col("rule") == "structure.tables_present"))
    assert v.height and "readings" in v["message"][0]
