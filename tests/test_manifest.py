"""The manifest (nianbao.manifest): reading and checking it, matching its rows to raw files, applying them,
and the whole pipeline with one: overrides, the folder fallback and the ambiguous-region warning."""
from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance

from conftest import SEEDS
from nianbao import manifest as M
from nianbao.batch import parse_many
from pipeline.definitions import resources
from assets.resources import RawReports
from pipeline.runner import materialize_all, read

HEADER = "file,body,region_code,url\n"
GULOU = ("320106", "320302", "350102", "410204")


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def altered(prefix: str, old: str, new: str) -> str:
    """A seed's text with a name replaced everywhere (its title, body and the text)."""
    (path,) = [p for p in SEEDS if p.name.startswith(prefix)]
    text = path.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


# --- reading and checking -----------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_reads_rows_with_or_without_bom(tmp_path, bom):
    path = write(tmp_path / "m.csv", HEADER + "a.txt,福州市鼓楼区人民政府,350102,https://www.gl.gov.cn/\n"
                 "sub\\b.txt,,,\n\n", bom)
    assert M.read_manifest(path) == [
        M.Entry(2, "a.txt", "福州市鼓楼区人民政府", "350102", "https://www.gl.gov.cn/"),
        M.Entry(3, "sub/b.txt")]


def test_other_columns_are_ignored_and_columns_may_be_missing(tmp_path):
    # the synthetic corpus' manifest: file, body, region_code, year, template, format, expect (no url)
    path = write(tmp_path / "m.csv", "file,body,region_code,year,template,format,expect\n"
                 "raw/2023/x.txt,巫山县人民政府,500237,2023,2021,txt,valid\n")
    assert M.read_manifest(path) == [M.Entry(2, "raw/2023/x.txt", "巫山县人民政府", "500237")]


@pytest.mark.parametrize("code", ["350199", "35010", "3501021", "35O102", "000000"])
def test_unknown_region_code_is_an_error_naming_the_line(tmp_path, code):
    path = write(tmp_path / "m.csv", HEADER + "a.txt,,500237,\n" + f"b.txt,,{code},\n")
    with pytest.raises(M.ManifestError, match=rf"m\.csv, line 3: region code '{code}' is not a GB/T 2260"):
        M.read_manifest(path)


def test_retired_codes_are_known(tmp_path):
    # 米林县 became 米林市 in 2023: its reports before then carry the old code
    path = write(tmp_path / "m.csv", HEADER + "a.txt,米林县人民政府,540422,\n")
    assert M.read_manifest(path)[0].region_code == "540422"


def test_a_file_named_twice_is_an_error(tmp_path):
    path = write(tmp_path / "m.csv", HEADER + "a.txt,,500237,\nb.txt,,,\n./a.txt,,350102,\n")
    with pytest.raises(M.ManifestError, match="line 4: a.txt is already named on line 2"):
        M.read_manifest(path)


def test_no_file_column_or_not_utf8_is_an_error(tmp_path):
    with pytest.raises(M.ManifestError, match="no 'file' column"):
        M.read_manifest(write(tmp_path / "m.csv", "path,body\na.txt,x\n"))
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "a.txt,巫山县人民政府,500237,\n").encode("gb18030"))
    with pytest.raises(M.ManifestError, match="not UTF-8"):
        M.read_manifest(gbk)
    with pytest.raises(M.ManifestError, match="line 2: the file column is empty"):
        M.read_manifest(write(tmp_path / "m.csv", HEADER + ",巫山县人民政府,500237,\n"))


# --- matching rows to files ---------------------------------------------------------------------------


def test_match_by_raw_path_manifest_path_or_unique_name(tmp_path):
    raw = tmp_path / "corpus" / "raw"
    rel = ["2023/a.txt", "2023/b.txt", "2024/b.txt", "c.txt"]
    entries = [M.Entry(2, "2023/a.txt"), M.Entry(3, "raw/2024/b.txt"), M.Entry(4, "c.txt"),
               M.Entry(5, "b.txt"), M.Entry(6, "gone.txt")]
    found, missing = M.match(entries, rel, raw, tmp_path / "corpus")
    assert {k: v.line for k, v in found.items()} == {"2023/a.txt": 2, "2024/b.txt": 3, "c.txt": 4}
    assert [e.line for e in missing] == [5, 6]  # b.txt is two files; gone.txt none


# --- applying rows to parsed reports ------------------------------------------------------------------


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    """Seeds 000 (its county name removed), 001 and 002 (named 鼓楼区 alone) parsed, by relpath."""
    d = tmp_path_factory.mktemp("apply")
    files = {"nameless.txt": altered("000", "巫山县", "本县"), "huguan.txt": SEEDS[1].read_text(encoding="utf-8"),
             "gulou.txt": altered("002", "修武县", "鼓楼区")}
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return parse_many([(str(d / n), n) for n in files], workers=1).reports


def row(reports: pl.DataFrame, path: str) -> dict:
    return reports.filter(pl.col("path") == path).row(0, named=True)


def test_parsed_as_expected_before_any_manifest(parsed):
    assert row(parsed, "nameless.txt")["region_code"] is None
    assert row(parsed, "huguan.txt")["region_code"] == "140427"
    assert row(parsed, "gulou.txt")["region_candidates"] == list(GULOU)


def test_apply_region_code_body_and_url(parsed):
    matched = {"nameless.txt": M.Entry(2, "nameless.txt", "巫山县人民政府", "500237", "https://www.cqws.gov.cn/"),
               "huguan.txt": M.Entry(3, "huguan.txt", "长治市人民政府办公室", "140400")}
    out, n = M.apply(parsed, matched)
    assert n == 2 and out["report_id"].to_list() == parsed["report_id"].to_list()
    a = row(out, "nameless.txt")
    assert (a["body"], a["body_type"], a["region_code"], a["province"], a["prefecture"], a["county"],
            a["region_level"]) == ("巫山县人民政府", "government", "500237", "重庆市", None, "巫山县", "county")
    assert a["notes"][-1] == ("manifest line 2: body 巫山县人民政府, region 500237 (重庆市巫山县), "
                              "url https://www.cqws.gov.cn/")
    assert a["parser"] == row(parsed, "nameless.txt")["parser"] + "+manifest." + matched["nameless.txt"].tag
    b = row(out, "huguan.txt")  # overrides a region resolved otherwise; a prefecture has no county
    assert (b["body_type"], b["region_code"], b["prefecture"], b["county"], b["region_level"]) == (
        "general_office", "140400", "长治市", None, "prefecture")
    assert row(out, "gulou.txt") == row(parsed, "gulou.txt")


def test_a_body_without_code_is_resolved_again_with_the_parsed_region_as_context(parsed):
    # the manifest's body names a township of the same county: body and type change, the region holds
    out, _ = M.apply(parsed, {"huguan.txt": M.Entry(2, "huguan.txt", "壶关县店上镇人民政府")})
    b = row(out, "huguan.txt")
    assert (b["body"], b["body_type"], b["region_code"]) == ("壶关县店上镇人民政府", "township", "140427")
    # a homonym in the manifest's body, narrowed by nothing: candidates stay, the body type changes
    out, _ = M.apply(parsed, {"gulou.txt": M.Entry(2, "gulou.txt", "鼓楼区教育局")})
    g = row(out, "gulou.txt")
    assert (g["body_type"], g["region_code"], g["region_candidates"]) == ("department", None, list(GULOU))
    # a url alone changes nothing but the notes
    out, _ = M.apply(parsed, {"gulou.txt": M.Entry(7, "gulou.txt", url="https://x.gov.cn/1.htm")})
    g = row(out, "gulou.txt")
    assert g["notes"][-1] == "manifest line 7: url https://x.gov.cn/1.htm"
    assert {k: v for k, v in g.items() if k not in ("notes", "parser")} == {
        k: v for k, v in row(parsed, "gulou.txt").items() if k not in ("notes", "parser")}


def test_reusable_keeps_rows_whose_manifest_row_is_unchanged(parsed):
    entry = M.Entry(2, "huguan.txt", "长治市人民政府办公室", "140400")
    applied, _ = M.apply(parsed, {"huguan.txt": entry})
    same = M.reusable(applied, {"huguan.txt": M.Entry(9, "huguan.txt", "长治市人民政府办公室", "140400")})
    assert sorted(same["path"].to_list()) == sorted(parsed["path"].to_list())
    assert same["parser"].to_list() == parsed["parser"].to_list()  # the tag is dropped: `apply` gives it back
    assert not any(n.startswith(M.NOTE) for ns in same["notes"].to_list() for n in ns)
    again, _ = M.apply(same, {"huguan.txt": entry})
    assert again.sort("path").equals(applied.sort("path"))  # applying twice = applying once
    changed = M.reusable(applied, {"huguan.txt": M.Entry(2, "huguan.txt", "壶关县人民政府", "140427")})
    assert "huguan.txt" not in changed["path"].to_list()
    assert "huguan.txt" not in M.reusable(applied, {})["path"].to_list()  # row removed: parse again
    assert "gulou.txt" not in M.reusable(parsed, {"gulou.txt": entry})["path"].to_list()  # row added


# --- the raw folder -----------------------------------------------------------------------------------


def test_manifest_is_found_and_is_not_an_input(tmp_path, monkeypatch):
    monkeypatch.delenv("NIANBAO_MANIFEST", raising=False)
    shutil.copy(SEEDS[0], tmp_path / "a.txt")
    raw = RawReports(root=str(tmp_path))
    assert raw.manifest_path() is None
    write(tmp_path / "manifest.csv", HEADER)
    assert raw.manifest_path() == tmp_path / "manifest.csv"
    assert [rel for _, rel in raw.files()] == ["a.txt"]
    (tmp_path / "meta").mkdir()
    other = write(tmp_path / "meta" / "names.csv", HEADER)
    monkeypatch.setenv("NIANBAO_MANIFEST", str(other))
    assert raw.manifest_path() == other
    assert [rel for _, rel in raw.files()] == ["a.txt"]
    with pytest.raises(FileNotFoundError, match="manifest not found"):  # configured, and missing
        RawReports(root=str(tmp_path), manifest=str(tmp_path / "x.csv")).manifest_path()


# --- the whole pipeline -------------------------------------------------------------------------------

RAW = {
    "nameless.txt": lambda: altered("000", "巫山县", "本县"),  # names no division at all
    "huguan.txt": lambda: SEEDS[1].read_text(encoding="utf-8"),  # 壶关县, overridden by the manifest
    "福建省/福州市/folder.txt": lambda: altered("002", "修武县", "鼓楼区"),  # a homonym, its folder says which
    "gulou.txt": lambda: altered("003", "四方台区", "鼓楼区人民政府"),  # a homonym alone: ambiguous
    "fuzhou.txt": lambda: altered("004", "同心县", "福州市鼓楼区人民政府"),  # the same name with context
}
FIRST = (HEADER + "nameless.txt,巫山县人民政府,500237,https://www.cqws.gov.cn/zwgk/nb/2023.html\n"
         "huguan.txt,长治市人民政府办公室,140400,\n"
         "gone.txt,,500237,\n")
SECOND = HEADER + "nameless.txt,巫溪县人民政府,500238,\n"  # huguan.txt's row removed, nameless.txt's changed


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs on one warehouse: with the first manifest, then with the second."""
    raw, wh = tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("warehouse")
    for rel, text in RAW.items():
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_text(text(), encoding="utf-8")
    write(raw / "manifest.csv", FIRST, bom=True)
    res, instance = resources(str(raw), str(wh), workers=1), DagsterInstance.ephemeral()
    first = materialize_all(res, instance)
    assert first.success
    out = {"first": (first, read(str(wh), "reports"), read(str(wh), "violations")),
           "parse_metadata": instance.get_latest_materialization_event(
               AssetKey("parsed_reports")).asset_materialization.metadata}
    write(raw / "manifest.csv", SECOND)
    second = materialize_all(res, instance)
    assert second.success
    out["second"] = (second, read(str(wh), "reports"), read(str(wh), "violations"))
    out["parsed"] = pl.read_parquet(wh / "parsed_reports" / "part-0.parquet")
    return out


def by_path(reports: pl.DataFrame) -> dict[str, dict]:
    return {r["path"]: r for r in reports.iter_rows(named=True)}


def test_pipeline_every_report_is_published_and_the_manifest_is_not_an_input(runs):
    summary, reports, _ = runs["first"]
    assert summary.counts == {"inputs": 5, "validated": 5, "quarantined": 0, "failed": 0}
    assert sorted(reports["path"].to_list()) == sorted(RAW)


def test_pipeline_manifest_assigns_and_overrides(runs):
    reports = by_path(runs["first"][1])
    a = reports["nameless.txt"]
    assert (a["body"], a["region_code"], a["province"], a["county"], a["region_level"], a["body_type"]) == (
        "巫山县人民政府", "500237", "重庆市", "巫山县", "county", "government")
    assert any(n.startswith("manifest line 2: ") for n in a["notes"])
    b = reports["huguan.txt"]
    assert (b["body"], b["region_code"], b["prefecture"], b["county"], b["region_level"], b["body_type"]) == (
        "长治市人民政府办公室", "140400", "长治市", None, "prefecture", "general_office")


def test_pipeline_folder_and_context_resolve_homonyms(runs):
    reports = by_path(runs["first"][1])
    f = reports["福建省/福州市/folder.txt"]
    assert (f["region_code"], f["region_candidates"]) == ("350102", [])
    assert "region 350102 from the folder" in f["notes"]
    assert reports["fuzhou.txt"]["region_code"] == "350102"


def test_pipeline_ambiguous_region_is_a_warning_and_no_province(runs):
    _, reports, violations = runs["first"]
    g = by_path(reports)["gulou.txt"]  # published: a warning does not quarantine
    assert (g["region_code"], g["province"], g["region_level"], g["region_candidates"]) == (None, None, None,
                                                                                           list(GULOU))
    amb = violations.filter(pl.col("rule") == "identity.ambiguous_region")
    assert amb["source"].to_list() == ["gulou.txt"]  # not fuzhou.txt, not the folder one
    assert amb["severity"].to_list() == ["warning"]
    message = amb["message"][0]
    for code, name in zip(GULOU, ("江苏省南京市鼓楼区", "江苏省徐州市鼓楼区", "福建省福州市鼓楼区", "河南省开封市鼓楼区")):
        assert f"{name} ({code})" in message
    assert g["n_warnings"] >= 1


def test_pipeline_manifest_figures_and_missing_files_in_the_metadata(runs):
    meta = {k: v.value for k, v in runs["parse_metadata"].items() if k.startswith("manifest")}
    assert meta["manifest"].endswith("manifest.csv")
    assert (meta["manifest_rows"], meta["manifest_applied"], meta["manifest_missing_files"]) == (3, 2, "gone.txt")


def test_pipeline_changed_manifest_reparses_only_its_files_and_republishes(runs):
    summary, reports, _ = runs["second"]
    assert (summary.parse["parsed"], summary.parse["reused"]) == (2, 3)  # nameless.txt and huguan.txt
    reports = by_path(reports)
    a = reports["nameless.txt"]
    assert (a["body"], a["region_code"], a["county"]) == ("巫溪县人民政府", "500238", "巫溪县")
    assert [n for n in a["notes"] if n.startswith(M.NOTE)] == ["manifest line 2: body 巫溪县人民政府, "
                                                              "region 500238 (重庆市巫溪县)"]
    b = reports["huguan.txt"]  # its row is gone: what the report says of itself again
    assert (b["body"], b["region_code"], b["county"], b["body_type"]) == (
        "壶关县人民政府", "140427", "壶关县", "government")
    assert not any(n.startswith(M.NOTE) for n in b["notes"])
    assert reports["gulou.txt"] == by_path(runs["first"][1])["gulou.txt"]  # untouched
