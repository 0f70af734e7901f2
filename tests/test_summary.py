"""The year summary page: figures from hand-made frames (zero denominators, not reported vs 0, the error
and warning lists, escaping, offline), and the page the pipeline writes for the seeds, opened in headless
Chromium with the network blocked (its charts must render, its Chinese must be drawn in a CJK font)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance

import browser as B
from conftest import SEEDS
from contracts.catalogue import RULES
from contracts.version import RULES_VERSION
from nianbao import summary as S
from nianbao.version import PARSER_VERSION
from pipeline.definitions import resources
from pipeline.runner import materialize_all

RULE_NAMES = {r.id: r.zh for r in RULES.values()}
EPOCH = "1700000000"  # SOURCE_DATE_EPOCH of the pipeline run below: 2023-11-14 22:13:20 UTC

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


def rollup(by_province: dict[str | None, int | None]) -> pl.DataFrame:
    """A province rollup with only applications new_received × total (and one other cell, to be ignored).
    None: the province's only report was quarantined (no value, no validated report, one quarantined)."""
    rows = [{"province": p, "table": "applications", "row": "new_received", "column": "total", "value": v,
             "n_reports": int(v is not None), "n_quarantined": int(v is None)} for p, v in by_province.items()]
    rows += [{"province": p, "table": "applications", "row": "granted", "column": "total", "value": 10 ** 6,
              "n_reports": 1, "n_quarantined": 0} for p in by_province]
    return pl.DataFrame(rows, schema={"province": pl.String, "table": pl.String, "row": pl.String,
                                      "column": pl.String, "value": pl.Int64, "n_reports": pl.Int64,
                                      "n_quarantined": pl.Int64})


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
        parse_failures=2, no_year=3, rule_names=RULE_NAMES)
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
    assert s.counts == {"parsed": 5, "validated": 4, "quarantined": 1, "parse_failures": 2, "no_year": 3,
                        "applications_received": 15}
    assert s.by_province.rows() == [("山西省", 12, 1, 0), (None, 3, 1, 0), ("河南省", 0, 1, 0)]
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


def test_a_province_with_only_quarantined_reports_is_not_reported_not_zero():
    s = figures(rollup_province=rollup({"山西省": 12, "河南省": 0, "湖北省": None}))
    rows = {r["province"]: (r["received"], r["n_reports"], r["n_quarantined"]) for r in s.by_province.iter_rows(named=True)}
    assert rows == {"山西省": (12, 1, 0), "河南省": (0, 1, 0), "湖北省": (None, 0, 1)}
    assert s.counts["applications_received"] == 12
    page = S.render_html(s)
    values = dict(re.findall(r'<text class="label"[^>]*>([^<]+)</text>\n(?:<rect[^\n]*\n)?<text class="value"[^>]*>'
                             r'([^<]+)</text>', page))
    assert values["河南省"].startswith("0 (1 report")  # printed 0: a figure
    assert values["湖北省"].startswith("— not reported") and "1 quarantined" in values["湖北省"]
    assert "| 湖北省 | — not reported" in S.render_markdown(s)


def error_rows(page: str) -> list[dict[str, str]]:
    """The quarantine table's rows: class of each cell → its text."""
    out = []
    for tr in re.findall(r'<tr data-report="[^"]+" data-rule="[^"]+">(.*?)</tr>', page, re.S):
        out.append({k: " ".join(re.sub(r"<[^>]+>", " ", v).split())
                    for k, v in re.findall(r'<td class="(\w+)">(.*?)</td>', tr)})
    return out


# the rule's cell printed 10 where 20 was expected; the likely culprit is the cell printed "19", which should be 9
NEW_COLUMNS = [("bad", "bad.txt", "applications.row_total", "error", "applications", "new_received", "total", 20, 10,
                "row total 10 ≠ 20", "new_received", "natural_person", 9, "single_cell", 2023, "某县人民政府", "500000",
                "19", 41, 2)]


def test_quarantine_list_shows_body_cell_values_culprit_place_and_rule_in_chinese():
    """With the violations' new columns (body, printed, line, page) each error is one row; printed, line and
    page are about the culprit cell (the suspect when there is one, else the rule's own cell)."""
    cols = ["report_id", "source", "rule", "severity", "table", "row", "column", "expected", "actual", "message",
            "suspect_row", "suspect_column", "suspect_value", "suspect_kind", "year", "body", "region_code", "printed",
            "line", "page"]
    v = pl.DataFrame(NEW_COLUMNS + [("bad", "bad.txt", "values.non_negative_integer", "error", "active_disclosure",
                                     "licensing", "decisions", None, None, "negative", None, None, None, None, 2023,
                                     "某县人民政府", "500000", "－5", 7, None)], schema=cols, orient="row")
    page = S.render_html(figures(violations=v))
    rows = error_rows(page)
    assert rows[0] == {"source": "bad.txt", "body": "某县人民政府",
                       "rule": "行合计：各类申请人之和等于总计 applications.row_total",
                       "cell": "表三 收到和处理政府信息公开申请情况 › 一、本年新收政府信息公开申请数量 › 总计 "
                               "applications/new_received/total",
                       "printed": "10", "expected": "20",
                       "culprit": "一、本年新收政府信息公开申请数量 › 自然人: printed 印刷 “19” → 9",
                       "where": "line 第41行, page 第2页", "message": "row total 10 ≠ 20"}
    assert rows[1]["cell"].startswith("表二 主动公开政府信息情况 › 行政许可 › 本年处理决定数量")
    # no suspect: the printed text is the rule's own cell's
    assert (rows[1]["printed"], rows[1]["expected"], rows[1]["where"], rows[1]["culprit"]) == ("－5", "—", "line 第7行", "—")
    assert "数值为非负整数" in rows[1]["rule"]


def test_quarantine_list_falls_back_without_the_new_columns():
    """Today's violations (no body, printed, line, page): the body comes from parsed_reports, printed from
    `actual`, the place is "—"."""
    parsed = pl.DataFrame({"report_id": ["r1", "r2", "r3", "r4", "bad"], "body": [None, None, None, None, "乙县"]})
    rows = error_rows(S.render_html(figures(parsed_reports=parsed, violations=violations(
        [("bad", "bad.txt", "applications.balance", "error", "balance off")]))))
    assert rows == [{"source": "bad.txt", "body": "乙县", "rule": "收支平衡：新收 + 上年结转 = 办理总计 + 结转下年度 "
                     "applications.balance", "cell": "—", "printed": "—", "expected": "—", "culprit": "—",
                     "where": "—", "message": "balance off"}]
    # and the actual value is the printed one when the dataset has it
    v = pl.DataFrame([("bad", "bad.txt", "applications.row_total", "error", "applications", "granted", "total", 5, 4,
                       "m")], schema=["report_id", "source", "rule", "severity", "table", "row", "column", "expected",
                                      "actual", "message"], orient="row")
    row = error_rows(S.render_html(figures(parsed_reports=parsed, violations=v)))[0]
    assert (row["printed"], row["expected"]) == ("4", "5")


def test_warnings_per_rule_with_counts_and_a_capped_list():
    n = S.WARNING_LIST + 5
    v = violations([(f"w{i:02}", f"w{i:02}.txt", "history.carry_over", "warning", "carried") for i in range(n)]
                   + [("w00", "w00.txt", "history.carry_over", "warning", "again"),
                      ("r1", "r1.txt", "narrative.applications_count", "warning", "stated 5")])
    s = figures(violations=v)
    assert s.warnings.select("rule", "n", "n_reports").rows() == [("history.carry_over", n + 1, n),
                                                                   ("narrative.applications_count", 1, 1)]
    assert s.counts["quarantined"] == 0
    page = S.render_html(s)
    carry = re.search(r'<tr data-rule="history.carry_over">(.*?)</tr>', page, re.S).group(1)
    assert "上年结转数与上年报告的结转下年度数不符" in carry
    assert "w00.txt" in carry and f"w{S.WARNING_LIST - 1:02}.txt" in carry and f"w{S.WARNING_LIST:02}.txt" not in carry
    assert "and 5 more" in carry
    assert "正文所述申请数与表三不符" in page and f"Warnings 警告 ({n + 2} warnings)" in page


def test_generation_time_honours_source_date_epoch():
    assert S.generation_time({"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01 00:00:00 UTC"
    assert S.generation_time({"SOURCE_DATE_EPOCH": EPOCH}) == "2023-11-14 22:13:20 UTC"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", S.generation_time({}))


def test_extra_sections_plug_in_before_the_quarantine_list():
    s = figures()
    extra = S.Section("year-over-year", "Year over year 同比", '<p class="yoy">applications +12%</p>')
    page = S.render_html(s, [extra])
    assert page.index('<section id="year-over-year">') < page.index('<section id="quarantine">')
    assert "<h2>Year over year 同比</h2>" in page and '<p class="yoy">applications +12%</p>' in page
    assert S.render_html(s) == S.render_html(s, [])  # no section: nothing added


def test_the_page_names_real_cjk_fonts_with_fallbacks():
    css = re.search(r"body\{font-family:([^;]+);", S.render_html(figures())).group(1)
    families = [f.strip().strip('"') for f in css.split(",")]
    for f in ("PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
              "WenQuanYi Micro Hei"):
        assert f in families
    assert families[-1] == "sans-serif"


# --- the page the pipeline writes, in headless Chromium ----------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Seeds 000, 001, 004; seed 003 as a department (nothing processed); a broken copy of 002; a copy of
    000 whose year cannot be read; an empty file. Run with SOURCE_DATE_EPOCH set."""
    raw = tmp_path_factory.mktemp("raw")
    for p in (SEEDS[0], SEEDS[1], SEEDS[4]):
        shutil.copy(p, raw / p.name)
    s3 = SEEDS[3].read_text(encoding="utf-8")
    (raw / "dept.txt").write_text(s3.replace("四方台区2023年", "四方台区教育局2023年"), encoding="utf-8")
    s2 = SEEDS[2].read_text(encoding="utf-8")
    broken = s2.replace("一、本年新收政府信息公开申请数量\t\t9", "一、本年新收政府信息公开申请数量\t\t19")
    assert broken != s2
    (raw / "broken.txt").write_text(broken, encoding="utf-8")
    s0 = SEEDS[0].read_text(encoding="utf-8")
    (raw / "noyear.txt").write_text(s0.replace("2023", "本").replace("2022", "上"), encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    wh = tmp_path_factory.mktemp("warehouse")
    instance = DagsterInstance.ephemeral()
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        result = materialize_all(resources(str(raw), str(wh), workers=1), instance=instance)
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH") if before is None else os.environ.update(SOURCE_DATE_EPOCH=before)
    assert result.success
    return wh, instance, raw


@pytest.fixture(scope="module")
def fonts(tmp_path_factory) -> dict:
    """An environment with a CJK font for Chromium (see browser.cjk_font_env)."""
    return B.cjk_font_env(tmp_path_factory.mktemp("fonts"))


def year(wh: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(wh / name / "2023" / "part-0.parquet")


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


def page_2023(wh: Path) -> Path:
    return wh / "summary" / "2023" / "index.html"


def test_pipeline_writes_a_page_whose_charts_render_in_chromium_offline(sample, tmp_path):
    wh, *_ = sample
    dom = B.dom(page_2023(wh), tmp_path / "profile")
    want = expected_bars(wh)
    assert want > 0
    assert re.search(r'<body[^>]*data-rendered-bars="(\d+)"', dom).group(1) == str(want)
    assert bars(page_2023(wh).read_text(encoding="utf-8")) == want
    charts = re.findall(r'<svg class="chart"[^>]*data-rendered-bars="(\d+)"', dom)
    assert len(charts) == 3 and all(int(n) > 0 for n in charts)
    assert "宁夏回族自治区" in dom and "四方台区" not in dom  # provinces, not bodies
    assert "department 部门" in dom and "n/a (0 / 0)" in dom  # the department processed nothing
    # 河南省's only report (broken.txt) is quarantined: not reported, not 0
    assert re.search(r">河南省</text>\n<text class=\"value\"[^>]*>— not reported 未报告 \(no validated report, "
                     r"1 quarantined\)<", dom)


def test_page_lists_the_quarantined_report_and_references_nothing_outside(sample):
    wh, *_ = sample
    page = page_2023(wh).read_text(encoding="utf-8")
    rows = error_rows(page)
    assert {r["source"] for r in rows} == {"broken.txt"} and {r["body"] for r in rows} == {"修武县人民政府"}
    by_rule = {re.search(r"[a-z_]+\.[a-z_]+", r["rule"]).group(0): r for r in rows}
    assert set(by_rule) == {"applications.balance", "applications.row_total"}
    row_total = by_rule["applications.row_total"]
    assert row_total["rule"].startswith("行合计")
    assert row_total["cell"].startswith("表三 收到和处理政府信息公开申请情况 › 一、本年新收政府信息公开申请数量 › 总计")
    v = year(wh, "violations").filter(pl.col("rule") == "applications.row_total").row(0, named=True)
    assert (row_total["printed"], row_total["expected"]) == (str(v["actual"]), str(v["expected"]))
    # the likely culprit: natural_person of new_received, printed 19 for 9
    assert re.fullmatch(r"一、本年新收政府信息公开申请数量 › 自然人(: printed 印刷 “19”)? → 9", row_total["culprit"])
    if v.get("line") is not None:  # the violations dataset says where the culprit cell was printed
        assert row_total["where"] == f"line 第{v['line']}行"
    assert B.text_of(page).count("broken.txt") == len(rows)
    assert external_references(page) == []
    counts = dict(re.findall(r'<div data-count="(\w+)"><dt>[^<]+</dt><dd>([^<]+)</dd>', page))
    received = year(wh, "rollup_province").filter((pl.col("row") == "new_received") & (pl.col("column") == "total"))
    assert counts == {"parsed": "5", "validated": "4", "quarantined": "1", "parse_failures": "1", "no_year": "1",
                      "applications_received": f'{int(received["value"].sum()):,}'}


def test_page_says_when_and_from_what_it_was_made(sample):
    wh, _, raw = sample
    page = page_2023(wh).read_text(encoding="utf-8")
    made = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", page.split('id="provenance"')[1]))
    assert made == {"generated 生成时间": "2023-11-14 22:13:20 UTC", "raw folder 原始文件目录": str(raw),
                    "input files 输入文件数": "7", "parser version 解析器版本": PARSER_VERSION,
                    "rules version 规则版本": RULES_VERSION}
    # the duplicate of 000 (noyear.txt has no year) is not there, but the warnings section is
    assert '<section id="warnings">' in page


def test_reports_of_no_year_have_their_own_page_and_are_counted_on_every_page(sample):
    wh, *_ = sample
    unknown = wh / "summary" / "unknown" / "index.html"
    assert unknown.exists()
    html = unknown.read_text(encoding="utf-8")
    assert "year unknown 年度未识别" in html and "noyear.txt" not in B.text_of(page_2023(wh).read_text(encoding="utf-8"))
    for page in (html, page_2023(wh).read_text(encoding="utf-8")):
        assert re.search(r'<div data-count="no_year"><dt>[^<]+</dt><dd>1</dd>', page)


def test_page_draws_its_chinese_in_a_cjk_font_not_boxes(sample, fonts, tmp_path):
    """Every CJK character of the page, as Chromium laid it out, is in the cmap of an installed font the
    page's CSS names; and Chromium draws two different characters differently in that CSS (tofu boxes
    would be identical), unlike on a machine with no CJK font, where they are the same box."""
    wh, *_ = sample
    html = page_2023(wh).read_text(encoding="utf-8")
    stack = [f.strip().strip('"') for f in re.search(r"body\{font-family:([^;]+);", html).group(1).split(",")]
    faces = B.cjk_faces(fonts)
    named = [f for f in stack if f in faces]
    assert named, f"none of the page's fonts {stack} is installed (installed CJK: {sorted(faces)})"
    chars = set(B.CJK.findall(B.text_of(B.dom(page_2023(wh), tmp_path / "p0", fonts))))
    assert len(chars) > 50  # the page is mostly Chinese
    assert {c for c in chars if ord(c) not in faces[named[0]]} == set()

    style = re.search(r"<style>.*?</style>", html, re.S).group(0)

    def glyph(ch: str, env: dict, name: str) -> bytes:
        one = tmp_path / f"{name}.html"
        one.write_text(f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{style}</head>'
                       f'<body><p style="font-size:120px;margin:0">{ch}</p></body></html>', encoding="utf-8")
        return B.screenshot(one, tmp_path / f"{name}.png", tmp_path / f"profile-{name}", env, size="200,200")

    blank = glyph("&nbsp;", fonts, "blank")
    zheng, fu = glyph("政", fonts, "zheng"), glyph("府", fonts, "fu")
    assert zheng != blank and fu != blank and zheng != fu
    bare = B.latin_only_env(tmp_path / "bare")
    if bare is not None:  # the control: with no CJK font, both are the same box (tofu)
        assert glyph("政", bare, "zheng-bare") == glyph("府", bare, "fu-bare") != blank

    # the whole page, for people to look at (NIANBAO_SHOTS: a folder to keep it in)
    shot = B.screenshot(page_2023(wh), tmp_path / "year-2023.png", tmp_path / "p1", fonts)
    assert len(set(shot[i:i + 3] for i in range(0, len(shot), 3 * 97))) > 2  # not a blank page
    if os.environ.get("NIANBAO_SHOTS"):
        Path(os.environ["NIANBAO_SHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "year-2023.png", Path(os.environ["NIANBAO_SHOTS"]) / "year-2023.png")


def test_identical_inputs_and_epoch_give_an_identical_page(sample, tmp_path, monkeypatch):
    """Rendering the same year again with the same SOURCE_DATE_EPOCH writes the same bytes."""
    from assets import summary as A
    from assets.resources import RawReports
    from assets.warehouse import Warehouse

    wh, _, raw = sample
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    w = Warehouse(root=str(wh))
    failures = w.read("parse_failures").height
    figures = A.year_figures(w, "2023", failures, A.no_year_count(w), A.inputs(w, RawReports(root=str(raw))))
    again = S.render_html(figures, A.extra_sections(w, "2023", figures))
    assert again == page_2023(wh).read_text(encoding="utf-8")


def test_materialisation_links_the_page_and_previews_it(sample):
    wh, instance, _ = sample
    event = instance.get_latest_materialization_event(AssetKey("year_summary"))
    meta = event.asset_materialization.metadata
    page = page_2023(wh)
    assert Path(meta["page 2023"].value) == page
    link = meta["link 2023"].value
    assert link.startswith("file://") and Path(unquote(urlparse(link).path)) == page.resolve()
    preview = meta["preview"].value
    assert "### 2023" in preview and "broken.txt" in preview and "宁夏回族自治区" in preview
