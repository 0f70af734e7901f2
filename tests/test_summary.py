"""The year summary page: figures from hand-made frames (zero denominators, escaping, offline), and the page
the pipeline writes for the seeds, opened in headless Chromium (its charts must render)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance

from conftest import SEEDS
from nianbao import summary as S
from pipeline.definitions import resources
from pipeline.runner import materialize_all

APP_COLS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
            "legal_service_org", "other_org", "total"]


# --- hand-made frames ------------------------------------------------------------------------------

def reports(rows: list[tuple[str, str | None, str | None]]) -> pl.DataFrame:
    """(report_id, body_type, province) rows."""
    return pl.DataFrame(rows, schema={"report_id": pl.String, "body_type": pl.String, "province": pl.String},
                        orient="row")


def applications(figures: dict[str, dict[str, int | None]]) -> pl.DataFrame:
    """report_id → {row: total}: table 三 rows with only the total column filled."""
    rows = [{"report_id": rid, "row": row, **{c: None for c in APP_COLS[:-1]}, "total": v}
            for rid, per in figures.items() for row, v in per.items()]
    return pl.DataFrame(rows, schema={"report_id": pl.String, "row": pl.String, **{c: pl.Int64 for c in APP_COLS}})


def review(figures: dict[str, tuple[int, int, int]]) -> pl.DataFrame:
    """group → (corrected, pending, total), one report."""
    return pl.DataFrame([{"report_id": "r1", "group": g, "upheld": 0, "corrected": c, "other": 0, "pending": p,
                          "total": t} for g, (c, p, t) in figures.items()])


def rollup(by_province: dict[str | None, int]) -> pl.DataFrame:
    """A province rollup with only applications new_received × total (and one other cell, to be ignored)."""
    rows = [{"province": p, "table": "applications", "row": "new_received", "column": "total", "value": v,
             "n_reports": 1} for p, v in by_province.items()]
    rows += [{"province": p, "table": "applications", "row": "granted", "column": "total", "value": 10 ** 6,
              "n_reports": 1} for p in by_province]
    return pl.DataFrame(rows)


def violations(rows: list[tuple[str, str, str, str, str]]) -> pl.DataFrame:
    """(report_id, source, rule, severity, message) rows."""
    return pl.DataFrame(rows, schema=["report_id", "source", "rule", "severity", "message"], orient="row")


def figures(**over) -> S.YearSummary:
    """A small year: two governments (one with nothing processed), a department, a report of unknown type."""
    args = dict(
        parsed_reports=pl.DataFrame({"report_id": ["r1", "r2", "r3", "r4", "bad"]}),
        reports=reports([("r1", "government", "山西省"), ("r2", "government", "河南省"), ("r3", "department", "河南省"),
                         ("r4", None, None)]),
        applications=applications({
            "r1": {"granted": 3, "partially_granted": 1, "total_processed": 8},
            "r2": {"granted": 0, "partially_granted": 0, "total_processed": 0},
            "r3": {"granted": 0, "partially_granted": None, "total_processed": 0},
            "r4": {"granted": 2, "partially_granted": 0, "total_processed": 2}}),
        review_litigation=review({"review": (1, 1, 5), "litigation_direct": (0, 2, 2),
                                  "litigation_after_review": (0, 0, 0)}),
        rollup_province=rollup({"山西省": 12, "河南省": 0, None: 3}),
        violations=violations([("bad", "bad.txt", "applications.row_total", "error", "row total 9 ≠ 10"),
                               ("bad", "bad.txt", "applications.balance", "error", "balance off"),
                               ("r1", "r1.txt", "values.blank_as_zero", "warning", "blank")]),
        parse_failures=2)
    args.update(over)
    return S.summarise("2023", **args)


def bars(page: str) -> int:
    return len(re.findall(r'<rect class="bar"', page))


def external_references(page: str) -> list[str]:
    """Anything that would make a browser fetch: URLs, src/href attributes, CSS url() and @import."""
    found = re.findall(r"https?://", page)
    found += re.findall(r"""\b(?:src|href|xlink:href)\s*=\s*["']?[^"'\s>]*""", page)
    found += re.findall(r"url\(|@import", page)
    return found


def test_disclosure_rate_is_na_where_nothing_was_processed():
    s = figures()
    rates = {r["body_type"]: r for r in s.by_body_type.iter_rows(named=True)}
    assert rates["government"]["rate"] == pytest.approx(4 / 8)  # pooled: (3 + 1 + 0) / (8 + 0)
    assert (rates["department"]["processed"], rates["department"]["rate"]) == (0, None)
    assert rates[None]["rate"] == 1.0
    assert list(rates) == ["government", "department", None]  # display order, unknown last
    page = S.render_html(s)
    assert "n/a (0 / 0)" in page and "50.0% (4 / 8)" in page and "100.0% (2 / 2)" in page


def test_body_type_without_table_three_rows_is_listed_as_na():
    s = figures(reports=reports([("r1", "government", "山西省"), ("r9", "township", "山西省")]))
    rates = {r["body_type"]: r["rate"] for r in s.by_body_type.iter_rows(named=True)}
    assert rates == {"government": 0.5, "township": None}


def test_correction_rate_over_decided_cases_and_na_when_none_decided():
    s = figures()
    got = {r["group"]: (r["corrected"], r["decided"], r["rate"]) for r in s.correction.iter_rows(named=True)}
    assert got == {"review": (1, 4, 0.25), "litigation_direct": (0, 0, None), "litigation_after_review": (0, 0, None)}


def test_counts_province_sums_and_quarantine_list():
    s = figures()
    assert s.counts == {"parsed": 5, "validated": 4, "quarantined": 1, "parse_failures": 2,
                        "applications_received": 15}
    assert s.by_province.rows() == [("山西省", 12, 1), (None, 3, 1), ("河南省", 0, 1)]
    assert s.quarantine.select("source", "rules").rows() == [
        ("bad.txt", "applications.balance, applications.row_total")]  # warnings do not quarantine


def test_a_bar_per_positive_value_and_none_for_zero_or_na():
    s = figures()
    page = S.render_html(s)
    # provinces 山西省 12 and unresolved 3 (河南省 0: no bar); government 50% and unknown type 100% (department
    # n/a: no bar); review 25% (both litigation groups n/a)
    assert bars(page) == 2 + 2 + 1
    assert S.UNKNOWN_LABEL in page  # the unresolved province and body type are shown, not dropped


def test_a_tiny_value_still_gets_a_visible_bar():
    svg = S.bar_chart("t", [("big", 10 ** 9, "a"), ("tiny", 1, "b")])
    widths = [float(w) for w in re.findall(r'<rect class="bar"[^>]* width="([0-9.]+)"', svg)]
    assert widths == [S.BAR_W, 1.0]


def test_every_text_from_the_data_is_escaped():
    evil = '<img src=x onerror="alert(1)">&'
    s = figures(rollup_province=rollup({evil: 5}),
                violations=violations([("bad", f"{evil}.txt", "applications.row_total", "error", f"msg {evil}")]))
    page = S.render_html(s)
    assert evil not in page and "<img" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in page
    assert page.count("<script>") == 1  # only the page's own
    md = S.render_markdown(s)
    assert f"{evil}.txt".replace("|", "/") in md  # markdown is rendered by Dagster's sanitising viewer


def test_page_is_self_contained_utf8():
    page = S.render_html(figures())
    assert external_references(page) == []
    assert '<meta charset="utf-8">' in page[:300]
    assert "山西省" in page


def test_no_external_reference_finder_catches_each_kind():
    for bad in ('<script src="//cdn.example/x.js">', '<link href="https://cdn.example/x.css">',
                "<style>@import 'x.css'</style>", "<div style=\"background:url(x.png)\">"):
        assert external_references(bad), bad


def test_markdown_preview_lists_provinces_rates_and_quarantine():
    md = S.render_markdown(figures(), limit=1)
    assert "| 山西省 | 12 | 1 |" in md and "河南省" not in md.split("body type")[0]  # top 1 province only
    assert "| government 人民政府 | 50.0% | 4 | 8 |" in md and "| department 部门 | n/a | 0 | 0 |" in md
    assert "bad.txt" in md


# --- the page the pipeline writes, in headless Chromium ----------------------------------------------

def chromium_dom(page: Path, profile: Path) -> str:
    """The DOM of `page` after Chromium loaded it (and ran its script)."""
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is not installed: `make test` installs Debian's package "
                    "(apt-get install --no-install-recommends chromium)")
    r = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                        "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Seeds 000, 001, 004; seed 003 as a department (nothing processed); a broken copy of 002; an empty file."""
    raw = tmp_path_factory.mktemp("raw")
    for p in (SEEDS[0], SEEDS[1], SEEDS[4]):
        shutil.copy(p, raw / p.name)
    s3 = SEEDS[3].read_text(encoding="utf-8")
    (raw / "dept.txt").write_text(s3.replace("四方台区2023年", "四方台区教育局2023年"), encoding="utf-8")
    s2 = SEEDS[2].read_text(encoding="utf-8")
    broken = s2.replace("一、本年新收政府信息公开申请数量\t\t9", "一、本年新收政府信息公开申请数量\t\t19")
    assert broken != s2
    (raw / "broken.txt").write_text(broken, encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    wh = tmp_path_factory.mktemp("warehouse")
    instance = DagsterInstance.ephemeral()
    result = materialize_all(resources(str(raw), str(wh), workers=1), instance=instance)
    assert result.success
    return wh, instance


def year(wh: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(wh / name / "year=2023" / "part-0.parquet")


def expected_bars(wh: Path) -> int:
    """Bars the data calls for, from the validated datasets (not the page's own code): provinces that
    received applications, body types and table 四 groups with a positive rate."""
    rep, apps, rl = year(wh, "reports"), year(wh, "applications"), year(wh, "review_litigation")
    total = apps.join(rep, on="report_id")

    def row(code: str) -> pl.Expr:
        return pl.col("total").filter(pl.col("row") == code).sum()

    prov = total.group_by("province").agg(row("new_received")).filter(pl.col("total") > 0).height
    body = total.group_by("body_type").agg(disclosed=row("granted") + row("partially_granted"),
                                           processed=row("total_processed"))
    body = body.filter((pl.col("processed") > 0) & (pl.col("disclosed") > 0)).height
    groups = rl.group_by("group").agg(pl.col("corrected").sum(), (pl.col("total") - pl.col("pending")).sum())
    groups = groups.filter((pl.col("total") > 0) & (pl.col("corrected") > 0)).height
    return prov + body + groups


def test_pipeline_writes_a_page_whose_charts_render_in_chromium(sample, tmp_path):
    wh, _ = sample
    page = wh / "summary" / "year=2023" / "index.html"
    dom = chromium_dom(page, tmp_path / "profile")
    want = expected_bars(wh)
    assert want > 0
    assert re.search(r'<body[^>]*data-rendered-bars="(\d+)"', dom).group(1) == str(want)
    assert bars(page.read_text(encoding="utf-8")) == want
    charts = re.findall(r'<svg class="chart"[^>]*data-rendered-bars="(\d+)"', dom)
    assert len(charts) == 3 and all(int(n) > 0 for n in charts)
    assert "宁夏回族自治区" in dom and "四方台区" not in dom  # provinces, not bodies
    assert "department 部门" in dom and "n/a (0 / 0)" in dom  # the department processed nothing


def test_page_lists_the_quarantined_report_and_references_nothing_outside(sample):
    wh, _ = sample
    page = (wh / "summary" / "year=2023" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-report="[^"]+"><td>([^<]*)</td><td>([^<]*)</td>', page)
    assert rows == [("broken.txt", "applications.balance, applications.row_total")]
    assert external_references(page) == []
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert counts["reports parsed"] == "5" and counts["validated"] == "4" and counts["quarantined"] == "1"
    assert counts["parse failures (all years)"] == "1"


def test_materialisation_links_the_page_and_previews_it(sample):
    wh, instance = sample
    event = instance.get_latest_materialization_event(AssetKey("year_summary"))
    meta = event.asset_materialization.metadata
    page = wh / "summary" / "year=2023" / "index.html"
    assert Path(meta["page 2023"].value) == page
    link = meta["link 2023"].value
    assert link.startswith("file://") and Path(unquote(urlparse(link).path)) == page.resolve()
    preview = meta["preview"].value
    assert "### 2023" in preview and "broken.txt" in preview and "宁夏回族自治区" in preview
