"""Every dataset of the warehouse reads with pandas, polars and DuckDB (same rows, year an integer, one dtype
per column across years), and a broken report's violations and alert say who, where and what was printed."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from conftest import DATA, SEEDS
from pipeline.alerts import Findings, RunInfo, contract_errors, render
from pipeline.definitions import resources
from pipeline.runner import materialize_all

REPO = Path(__file__).resolve().parents[1]
PARTITIONED = ("reports", "active_disclosure", "applications", "review_litigation", "violations",
               "rollup_province", "rollup_national", "parsed_cells")
UNPARTITIONED = ("parse_failures", "parsed_reports", "raw_inventory")
WITH_YEAR = tuple(n for n in PARTITIONED + UNPARTITIONED if n not in ("parse_failures", "raw_inventory"))
BEFORE, AFTER = "\t（一）予以公开\n\t29\n", "\t（一）予以公开\n\t26\n"  # seed 000, table 三 予以公开 / 自然人


@pytest.fixture(scope="module")
def broken_text() -> str:
    text = SEEDS[0].read_text(encoding="utf-8")
    assert text.count(BEFORE) == 1
    return text.replace(BEFORE, AFTER)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, broken_text) -> Path:
    """Seeds 001–004 (2023), the devset (2019, 2021, 2024, 2025), seed 000 with one cell of table 三 changed
    (予以公开 / 自然人 29 → 26: neither the row nor the column adds up any more) and seed 001 without a year."""
    raw, wh = tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("wh")
    for p in [*SEEDS[1:], *sorted((DATA / "devset" / "raw").iterdir())]:
        shutil.copy(p, raw / p.name)
    (raw / "broken.txt").write_text(broken_text, encoding="utf-8")
    # seed 001 with every year taken out: its year cannot be read (the unknown year, folder unknown/)
    (raw / "noyear.txt").write_text(re.sub(r"20[12]\d年?", "", SEEDS[1].read_text(encoding="utf-8")), encoding="utf-8")
    assert materialize_all(resources(str(raw), str(wh), workers=1)).success
    return wh


def years_of(wh: Path, name: str) -> list[str]:
    return sorted(p.name for p in (wh / name).iterdir() if p.is_dir())


def test_the_fixtures_span_several_years_and_the_unknown_one(warehouse):
    for name in ("reports", "violations", "parsed_cells"):
        assert len(years_of(warehouse, name)) >= 3
        assert "unknown" in years_of(warehouse, name), name


@pytest.mark.parametrize("name", PARTITIONED + UNPARTITIONED)
def test_every_dataset_reads_with_polars_duckdb_and_pandas_alike(warehouse, name):
    folder = warehouse / name
    by_polars = pl.read_parquet(f"{folder}/**/*.parquet")
    read = f"read_parquet('{folder}/**/*.parquet', hive_partitioning=true)"
    duck_types = {name: kind for name, kind, *_ in duckdb.sql(f"describe select * from {read}").fetchall()}
    (n_duckdb,), = duckdb.sql(f"select count(*) from {read}").fetchall()
    # pandas as a user calls it (numpy_nullable: a year column with nulls stays an integer, README)
    by_pandas = pd.read_parquet(folder, dtype_backend="numpy_nullable")
    assert by_polars.height == n_duckdb == len(by_pandas)
    assert set(by_polars.columns) <= set(duck_types) and set(by_polars.columns) == set(by_pandas.columns)
    if name in WITH_YEAR:
        assert by_polars.height > 0
        assert by_polars.schema["year"] == pl.Int32
        assert duck_types["year"] in ("INTEGER", "BIGINT")
        assert pd.api.types.is_integer_dtype(by_pandas["year"])
        assert sorted(by_pandas["year"].dropna().unique()) == sorted(by_polars["year"].drop_nulls().unique())
        (n_null,), = duckdb.sql(f"select count(*) from {read} where year is null").fetchall()
        assert by_pandas["year"].isna().sum() == n_null == by_polars["year"].null_count()
        (n_2023,), = duckdb.sql(f"select count(*) from {read} where year = 2023").fetchall()
        assert n_2023 == by_polars.filter(pl.col("year") == 2023).height


@pytest.mark.parametrize("name", UNPARTITIONED)
def test_an_unpartitioned_dataset_reads_with_pandas_as_it_is(warehouse, name):
    assert len(pd.read_parquet(warehouse / name)) == pl.read_parquet(warehouse / name / "part-0.parquet").height


@pytest.mark.parametrize("name", PARTITIONED)
def test_pandas_reads_a_year_partitioned_dataset_without_options(warehouse, name):
    plain = pd.read_parquet(warehouse / name)  # what a user types first
    assert len(plain) == pl.read_parquet(f"{warehouse / name}/**/*.parquet").height
    if name in WITH_YEAR:
        assert plain["year"].dropna().astype(int).min() >= 2019


@pytest.mark.parametrize("name", PARTITIONED)
def test_a_column_has_one_dtype_in_every_year(warehouse, name):
    schemas = {p.parent.name: pq.read_schema(p).remove_metadata() for p in (warehouse / name).glob("*/*.parquet")}
    assert len(schemas) >= 2
    first = next(iter(schemas.values()))
    assert all(s.equals(first) for s in schemas.values()), {y: str(s) for y, s in schemas.items()}


def test_a_column_all_null_in_a_year_keeps_its_declared_dtype(tmp_path):
    from assets.warehouse import Warehouse
    from contracts.violations import SCHEMA

    wh = Warehouse(root=str(tmp_path))
    empty = pl.DataFrame({c: [None] for c in SCHEMA})  # every column pl.Null
    path = wh.write_year("violations", "2020", empty)
    assert pl.read_parquet_schema(path) == SCHEMA


# --- a broken report: its violations and its alert say who, which cell, what was printed, where -------------

def line_of_changed_cell(text: str) -> int:
    """The 1-based line of the changed value (the line after the 予以公开 label)."""
    lines = text.splitlines()
    at = lines.index("\t（一）予以公开") + 2
    assert lines[at - 1] == "\t26"
    return at


def test_the_violations_of_a_broken_report_name_the_report_and_the_printed_cell(warehouse, broken_text):
    v = pl.read_parquet(f"{warehouse}/violations/**/*.parquet").filter(pl.col("source") == "broken.txt")
    errors = v.filter(pl.col("severity") == "error")
    assert set(errors["rule"]) == {"applications.row_total", "applications.outcomes_sum"}
    # the report
    assert set(v["year"]) == {2023} and set(v["body"]) == {"巫山县"} and set(v["region_code"]) == {"500237"}
    # the culprit cell: 予以公开 / 自然人, as the file prints it, and where
    line = line_of_changed_cell(broken_text)
    assert errors.select("suspect_row", "suspect_column", "suspect_value", "printed", "line", "page").unique().rows() == [
        ("granted", "natural_person", 29, "26", line, None)]


def test_a_violation_without_a_suspect_points_at_the_rule_s_own_cell(warehouse):
    """003.md states 749 applications where table 三 prints 713: the warning is located at that total cell."""
    v = pl.read_parquet(f"{warehouse}/violations/**/*.parquet").filter(
        (pl.col("source") == "003.md") & (pl.col("rule") == "narrative.applications_count"))
    (row,) = v.to_dicts()
    text = (DATA / "devset" / "raw" / "003.md").read_text(encoding="utf-8").splitlines()
    assert row["suspect_kind"] is None and row["row"] == "new_received" and row["column"] == "total"
    assert row["printed"] == "713" and "713" in text[row["line"] - 1]
    assert row["year"] == 2025 and row["body"]


def test_the_alert_says_who_which_cell_what_was_printed_and_what_fits(warehouse, broken_text):
    from assets.warehouse import Warehouse

    failures = contract_errors(Warehouse(root=str(warehouse)), "2023")
    findings = Findings([RunInfo("r" * 36, "year_job", "SUCCESS")], {"year=2023"}, failures, str(warehouse))
    text = render(findings, {f.key for f in failures}).text()
    line = line_of_changed_cell(broken_text)
    said = f"巫山县 2023 表三 予以公开/自然人: printed 26, 29 would make the row and the column add up, line {line}"
    assert f"  - {said}" in text.splitlines()
    assert text.count(said) == 1  # one line per culprit, though two rules fail because of it


def test_check_prints_where_the_culprit_was_printed(tmp_path, broken_text):
    f = tmp_path / "broken.txt"
    f.write_text(broken_text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "check", str(f)], cwd=REPO, capture_output=True,
                         text=True).stdout
    line = line_of_changed_cell(broken_text)
    assert f'applications.row_total  applications/granted/total' in out
    assert f'(printed "26", line {line})' in out


def test_a_pdf_culprit_is_located_by_its_page_and_the_alert_says_the_page(tmp_path):
    """Seed 000's truth as a PDF, 予以公开 / 自然人 printed 26 instead of 29: the culprit is on the page that prints
    that row, and the alert names the page (a PDF has no lines of its own)."""
    import copy

    import pypdfium2 as pdfium

    from conftest import truth_of
    from contracts.judge import judge_years
    from nianbao.batch import parse_many
    from pipeline.alerts import culprit_line
    from synth.pdf import build_pdf

    truth = copy.deepcopy(truth_of(SEEDS[0]))
    assert truth["applications"]["granted"][0] == 29
    truth["applications"]["granted"][0] = 26
    path = tmp_path / "broken.pdf"
    path.write_bytes(build_pdf(truth))
    parsed = parse_many([(str(path), path.name)], workers=1, keep=True)
    errors = judge_years(parsed.reports, parsed.cells).violations.filter(pl.col("severity") == "error")
    (page,) = errors["page"].unique().to_list()
    assert set(errors["printed"]) == {"26"} and set(errors["suspect_kind"]) == {"single_cell"}
    text = pdfium.PdfDocument(path.read_bytes())[page - 1].get_textpage().get_text_range()
    assert any(x.startswith("（一）予以公开 26 ") for x in text.splitlines())
    assert {culprit_line(r) for r in errors.iter_rows(named=True)} == {
        f"巫山县 2023 表三 予以公开/自然人: printed 26, 29 would make the row and the column add up, page {page}"}


def test_the_expected_value_is_said_in_the_words_of_the_rule():
    from contracts.violations import SCHEMA
    from pipeline.alerts import culprit_line

    row = dict.fromkeys(SCHEMA) | {"report_id": "r", "source": "a.txt", "year": 2023, "body": "巫山县人民政府",
                                   "severity": "error", "table": "applications"}
    total = row | {"rule": "applications.row_total", "row": "granted", "column": "total", "expected": 15,
                   "actual": 12, "printed": "12", "line": 84}
    assert culprit_line(total) == "巫山县人民政府 2023 表三 予以公开/总计: printed 12, the row adds to 15, line 84"
    balance = row | {"rule": "applications.balance", "column": "natural_person", "expected": 19, "actual": 9}
    assert culprit_line(balance) == "巫山县人民政府 2023 表三 自然人: 新收 + 上年结转 = 19, 办理总计 + 结转下年度 = 9"
    group = row | {"table": "review_litigation", "rule": "review_litigation.group_total", "row": "litigation_direct",
                   "column": "total", "expected": 3, "actual": 4, "printed": "4", "page": 3, "year": None}
    assert culprit_line(group) == ("巫山县人民政府 (year unknown) 表四 行政诉讼 未经复议直接起诉/总计: printed 4, "
                                   "the group adds to 3, page 3")
