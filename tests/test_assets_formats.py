"""Every input format end to end through the Dagster assets: txt, markdown, HTML, glued text, DOCX, PDF."""
from __future__ import annotations

import shutil

import polars as pl
import pytest

from conftest import DATA, SEEDS
from pipeline.definitions import resources
from pipeline.runner import materialize_all
from test_parser_docx import _truth, build_docx
from test_parser_pdf import build_pdf


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(SEEDS[0], raw / "seed.txt")
    shutil.copy(DATA / "devset" / "raw" / "003.md", raw / "ocr.md")
    shutil.copy(DATA / "devset" / "raw" / "002.html", raw / "page.html")
    shutil.copy(DATA / "devset" / "raw" / "006.txt", raw / "glued.txt")
    (raw / "report.docx").write_bytes(build_docx(_truth(SEEDS[1])))
    (raw / "report.pdf").write_bytes(build_pdf(_truth(SEEDS[2])))
    (raw / "sub").mkdir()
    (raw / "sub" / "gbk.txt").write_bytes(SEEDS[3].read_text(encoding="utf-8").encode("gb18030"))
    wh = tmp_path_factory.mktemp("wh")
    s = materialize_all(resources(str(raw), str(wh), workers=2))
    assert s.success
    assert all(e.passed for _, name, _, e in s.checks if name.endswith("conservation"))
    return wh


def read(wh, name):
    return pl.scan_parquet(f"{wh}/{name}/**/*.parquet").collect()


def test_each_format_reaches_the_datasets(warehouse):
    reports = read(warehouse, "reports")
    assert dict(zip(reports["path"], reports["format"])) == {
        "seed.txt": "text", "ocr.md": "markdown", "page.html": "html", "report.docx": "docx",
        "report.pdf": "pdf", "sub/gbk.txt": "text"}
    assert read(warehouse, "parse_failures").height == 0


def test_glued_report_is_quarantined_for_its_undecidable_triple_only(warehouse):
    v = read(warehouse, "violations").filter(pl.col("severity") == "error")
    assert v.select("source", "rule", "table", "row").rows() == [
        ("glued.txt", "structure.tables_present", "active_disclosure", "normative_documents")]
    assert "693665" in v["message"][0] and "69/3/665" in v["message"][0]


@pytest.mark.parametrize("path, seed", [("report.docx", 1), ("report.pdf", 2), ("sub/gbk.txt", 3)])
def test_values_from_docx_pdf_and_gbk_match_their_truth(warehouse, path, seed):
    truth = _truth(SEEDS[seed])
    rid = read(warehouse, "reports").filter(pl.col("path") == path)["report_id"][0]
    apps = read(warehouse, "applications").filter(pl.col("report_id") == rid)
    got = {r["row"]: [r[c] for c in ("natural_person", "commercial_enterprise", "research_institution",
                                     "social_welfare_org", "legal_service_org", "other_org", "total")]
           for r in apps.iter_rows(named=True)}
    assert got == truth["applications"]
