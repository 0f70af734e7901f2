"""The whole asset graph materialised in-process on the sample: schemas, counts, conservation, determinism."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import polars as pl
import pytest

from conftest import DATA, SEEDS
from nianbao.store import CellStore
from pipeline.definitions import CHECKS, defs, resources
from pipeline.runner import materialize_all

DATASETS = ("raw_inventory", "parsed_reports", "parsed_cells", "parse_failures", "violations", "reports",
            "active_disclosure", "applications", "review_litigation", "rollup_province", "rollup_national")


def run(raw: Path, warehouse: Path):
    s = materialize_all(resources(str(raw), str(warehouse), workers=1))
    assert s.success
    checks = {}  # check → {year (None for the parse stage's checks): its evaluation}
    for asset, name, key, e in s.checks:
        checks.setdefault(f"{name}@{asset}", {})[key] = e
    return s, checks


def digests(warehouse: Path) -> dict[str, str]:
    return {str(p.relative_to(warehouse)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(warehouse.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    for p in SEEDS:
        shutil.copy(p, raw / p.name)
    wh = tmp_path_factory.mktemp("warehouse")
    result, checks = run(raw, wh)
    return raw, wh, result, checks


def read(wh: Path, name: str) -> pl.DataFrame:
    return pl.scan_parquet(f"{wh}/{name}/**/*.parquet").collect()


def test_definitions_load_with_every_asset_and_check():
    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert set(DATASETS) <= keys
    checks = {f"{k.asset_key.to_user_string()}:{k.name}" for c in CHECKS for k in c.check_keys}
    assert {"violations:applications_rules", "violations:review_litigation_rules", "violations:values_rules",
            "violations:structure_rules", "violations:history_warnings", "violations:narrative_warnings",
            "applications:contract", "review_litigation:contract", "parsed_reports:parse_conservation",
            "reports:conservation", "parse_failures:no_parse_failures", "parsed_reports:every_report_has_a_year",
            "rollup_national:sum_of_provinces"} <= checks


def test_every_dataset_is_written_and_readable(sample_run):
    _, wh, _, _ = sample_run
    for name in DATASETS:
        assert list((wh / name).rglob("*.parquet")), name
    assert (wh / "reports" / "2023" / "part-0.parquet").exists()
    assert read(wh, "reports").height == 5
    assert read(wh, "applications").height == 5 * 25
    assert read(wh, "review_litigation").height == 5 * 3
    assert read(wh, "active_disclosure").height == 5 * 6
    cells = CellStore(wh / "parsed_cells").read(pl.read_parquet(wh / "parsed_reports" / "part-0.parquet"))
    assert cells.height == 5 * 200
    assert read(wh, "violations").filter(pl.col("severity") == "error").height == 0


def test_dataset_schemas(sample_run):
    _, wh, _, _ = sample_run
    apps = read(wh, "applications")
    assert apps.columns == ["report_id", "year", "template", "row", "natural_person", "commercial_enterprise",
                            "research_institution", "social_welfare_org", "legal_service_org", "other_org",
                            "total", "org_subtotal"]
    assert apps.schema["total"] == pl.Int64
    fees = read(wh, "active_disclosure").filter(pl.col("item") == "fees")
    assert fees.schema["amount_10k_yuan"] == pl.Decimal(38, 6)
    assert sorted(str(x) for x in fees["amount_10k_yuan"]) == sorted(
        ["47617.420000", "3080.699000", "811.000000", "0.000000", "2018.000000"])
    from contracts.violations import SCHEMA

    assert read(wh, "violations").schema == SCHEMA  # as declared (the catalogue shows the same: test_dagster_ui)


def test_values_match_truth(sample_run):
    _, wh, _, _ = sample_run
    apps = read(wh, "applications").join(read(wh, "reports").select("report_id", "source"), on="report_id")
    row = apps.filter((pl.col("source") == SEEDS[0].name) & (pl.col("row") == "new_received"))
    assert row.select("natural_person", "commercial_enterprise", "total").row(0) == (48, 5, 54)


def test_conservation_and_checks(sample_run):
    _, _, summary, checks = sample_run
    assert checks["conservation@reports"]["2023"].passed and checks["parse_conservation@parsed_reports"][None].passed
    assert summary.counts == {"inputs": 5, "validated": 5, "quarantined": 0, "failed": 0}
    assert all(e.passed for c in checks.values() for e in c.values())
    assert checks["applications_rules@violations"]["2023"].metadata["reports_checked"].value == 5
    assert checks["no_parse_failures@parse_failures"][None].passed


def test_rollups_sum_the_reports(sample_run):
    _, wh, _, _ = sample_run
    nat = read(wh, "rollup_national")
    cell = nat.filter((pl.col("table") == "applications") & (pl.col("row") == "new_received")
                      & (pl.col("column") == "total"))
    assert cell["value"].to_list() == [54 + 20 + 10 + 0 + 70]
    assert cell["n_reports"].to_list() == [5]
    prov = read(wh, "rollup_province")
    assert set(prov["province"].unique()) == {"重庆市", "山西省", "河南省", "黑龙江省", "宁夏回族自治区"}
    key = ["year", "region_level", "body_type", "template", "table", "row", "column"]
    by_prov = prov.filter(pl.col("table") != "rates").group_by(key).agg(pl.col("value").sum())
    both = nat.filter(pl.col("table") != "rates").join(by_prov, on=key, suffix="_prov", nulls_equal=True)
    assert both.height == nat.filter(pl.col("table") != "rates").height
    assert (both["value"] == both["value_prov"]).all()


def test_second_run_writes_byte_identical_files(sample_run, tmp_path):
    raw, wh, _, _ = sample_run
    first = digests(wh)
    run(raw, tmp_path)
    assert digests(tmp_path) == first


def test_bad_files_fail_quarantine_and_conservation_holds(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for p in SEEDS[:2]:
        shutil.copy(p, raw / p.name)
    (raw / "empty.txt").write_bytes(b"")
    (raw / "noise.txt").write_bytes(bytes(range(256)) * 50)
    broken = SEEDS[2].read_text(encoding="utf-8").replace("一、本年新收政府信息公开申请数量→→9".replace("→", "\t"),
                                                         "一、本年新收政府信息公开申请数量\t\t19")
    (raw / "broken.txt").write_text(broken, encoding="utf-8")
    shutil.copy(DATA / "devset" / "raw" / "003.md", raw / "003.md")
    summary, checks = run(raw, tmp_path / "wh")
    assert summary.counts == {"inputs": 6, "validated": 3, "quarantined": 1, "failed": 2}
    assert all(e.passed for k, c in checks.items() if "conservation" in k for e in c.values())
    rules = checks["applications_rules@violations"]  # a WARN: the run stays green
    assert not rules["2023"].passed and rules["2023"].severity.value == "WARN"  # broken.txt
    assert rules["2025"].passed  # 003.md: each year has its own evaluation
    failed = checks["no_parse_failures@parse_failures"][None]  # failed files: not every check is green
    assert not failed.passed and failed.severity.value == "WARN" and failed.metadata["failed"].value == 2
    assert "empty.txt" in failed.metadata["listed"].value and "noise.txt" in failed.metadata["listed"].value
    listed = rules["2023"].metadata["listed"].value  # the violations in full, with where they were printed
    assert "broken.txt" in listed and "applications.row_total" in listed
    header = listed.splitlines()[0]
    for column in ("source", "year", "body", "region_code", "printed", "line", "page", "expected", "actual"):
        assert f"| {column} |" in header, column
    failures = read(tmp_path / "wh", "parse_failures").sort("source")
    assert failures["source"].to_list() == ["empty.txt", "noise.txt"]
    assert failures["error"].to_list()[0] == "empty file"
    v = read(tmp_path / "wh", "violations").filter(pl.col("severity") == "error")
    assert set(v["source"]) == {"broken.txt"}
    assert {(r["rule"], r["row"], r["column"]) for r in v.iter_rows(named=True)} >= {
        ("applications.row_total", "new_received", "total"), ("applications.balance", None, "natural_person")}
    assert "broken.txt" not in read(tmp_path / "wh", "reports")["source"].to_list()


def test_published_files_are_readable_by_other_users_of_the_warehouse(sample_run):
    """Issue 13: published Parquet files were mode 0600 (the temp file's), unreadable on a shared warehouse."""
    import os
    import stat

    _, warehouse, _, _ = sample_run
    mask = os.umask(0)
    os.umask(mask)
    files = [p for p in Path(warehouse).rglob("*.parquet") if not p.name.startswith(".")]
    assert files
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask, p
