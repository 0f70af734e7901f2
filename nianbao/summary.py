"""A reporting year on one self-contained HTML page (and a markdown preview): counts, charts, quarantine
list, warnings, provenance.

Pure: polars frames in, strings out. The page works offline: no script, style, font or image is fetched
(CSS inline, charts as inline SVG); its only script marks, once laid out, how many bars have a visible
box (`data-rendered-bars` on each chart and on <body>), so a headless browser can tell that the charts
rendered. Every text from the data is escaped. The CSS names the CJK fonts of the common systems
(`FONT_STACK`), so Chinese text is drawn in a CJK face rather than as boxes wherever one is installed.

Figures:
- counts: parsed, validated, quarantined (reports of the year), parse failures and reports whose year
  could not be read (partition and folder `unknown`), over all inputs;
- applications received by province: applications `new_received` × `total`, summed per province over the
  province rollup (validated reports only; a government's report may already include its departments');
  a province with no validated report has no figure ("— not reported"), which is not 0;
- disclosure rate by body type: (granted + partially_granted) / total_processed, column `total`, the sums of
  the validated reports of each body type (a pooled rate, not a mean of rates); no rate where nothing was
  processed;
- correction rate of review and litigation: corrected / (total − pending) per table 四 group, pooled the same way;
- the quarantine list: every error of every quarantined report: its body, the rule's cell (in the
  template's Chinese labels), the value printed there and the expected one, the likely culprit (its cell,
  its printed text, the value that fits), the line/page of the culprit cell where known, and the rule in
  Chinese and English;
- the warnings: per warning rule, how many and which reports (capped);
- provenance: when the page was generated (UTC; `SOURCE_DATE_EPOCH` when set) and from what (raw folder,
  number of input files, parser and rules versions).

Other sections (e.g. year-over-year comparisons) plug in as `Section`s: `render_html(s, extra=[...])`.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone

import polars as pl

from nianbao import template as T
from nianbao.store import UNKNOWN_YEAR as NO_YEAR_KEY  # the partition of reports whose year could not be read

BODY_TYPES = {  # classify_body's codes (nianbao/regions.py), in display order
    "government": "government 人民政府", "general_office": "general office 办公室/办公厅",
    "department": "department 部门", "township": "township 乡镇/街道", "special_zone": "special zone 开发区等",
    "other": "other 其他",
}
UNKNOWN_LABEL = "(unresolved 未识别)"
NOT_REPORTED = "— not reported 未报告"  # a province with no validated report: no figure, which is not 0
GROUPS = {g.code: g.label for g in T.REVIEW_GROUPS}
QUARANTINE_LIMIT = 10_000  # error rows listed on the page; the violations dataset has them all
WARNING_LIST = 20  # reports listed per warning rule ("and N more")

# The cell labels of the template (nianbao/template.py), 2021 names first where both templates name a code.
TABLE_LABELS = {"active_disclosure": "表二 主动公开政府信息情况",
                "applications": "表三 收到和处理政府信息公开申请情况",
                "review_litigation": "表四 政府信息公开行政复议、行政诉讼情况"}
ROW_LABELS = {**{r.code: r.label for t in (T.TEMPLATE_2019, T.TEMPLATE_2021)
                 for r in (*t.active_items, *t.application_rows)},
              **{g.code: g.label for g in T.REVIEW_GROUPS}}
COLUMN_LABELS = {c.code: c.label for c in (*T.ACTIVE_COLUMNS, *T.APPLICANT_COLUMNS, T.ORG_SUBTOTAL,
                                           *T.REVIEW_COLUMNS)}
# Real CJK faces of macOS, Windows and Linux, then the generic family (fontconfig falls back from it).
FONT_STACK = ('"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",'
              '"Source Han Sans CN","WenQuanYi Micro Hei","WenQuanYi Zen Hei","Droid Sans Fallback",sans-serif')


@dataclass(frozen=True)
class Section:
    """An extra section of the page (e.g. year-over-year comparisons): `html` is a trusted fragment, whose
    data the section's author escaped (`esc`)."""

    id: str
    title: str
    html: str


@dataclass(frozen=True)
class Provenance:
    """What a page was made from, and when (UTC text, see `generation_time`)."""

    generated: str = ""
    raw: str = ""  # the raw folder
    files: int | None = None  # input files in it
    parser: str = ""
    rules: str = ""


@dataclass(frozen=True)
class YearSummary:
    """The figures of one reporting year, ready to render."""

    year: str
    counts: dict  # parsed, validated, quarantined, parse_failures, no_year (both: all inputs), applications_received
    by_province: pl.DataFrame  # province, received (null: not reported), n_reports, n_quarantined
    by_body_type: pl.DataFrame  # body_type, disclosed, processed, rate (null: nothing processed)
    correction: pl.DataFrame  # group, corrected, decided, rate (null: nothing decided)
    quarantine: pl.DataFrame  # report_id, source, rules, message: one row per quarantined report
    errors: pl.DataFrame = field(default_factory=pl.DataFrame)  # one row per error of a quarantined report
    warnings: pl.DataFrame = field(default_factory=pl.DataFrame)  # rule, n, n_reports, reports (list of str)
    provenance: Provenance = field(default_factory=Provenance)
    rule_names: dict = field(default_factory=dict)  # rule id → its Chinese name (contracts/catalogue.py)


def generation_time(environ=None) -> str:
    """The time a page is generated, UTC: `SOURCE_DATE_EPOCH` (seconds) when set, so that a build can be
    reproduced byte for byte; the clock otherwise."""
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    when = (datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit()
            else datetime.now(timezone.utc).replace(microsecond=0))
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


# --- figures ---------------------------------------------------------------------------------------

def ratio(num: str, den: str) -> pl.Expr:
    """num / den as a float, null where den is 0 or null (never a division by zero)."""
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None).cast(pl.Float64)


def applications_by_province(rollup_province: pl.DataFrame) -> pl.DataFrame:
    """Applications received (new_received, total) per province, most first; summed over any other key
    of the rollup (template, level, body type). `received` is null for a province none of whose reports
    was validated (the rollup has no value there): not reported, which is not 0. `n_quarantined`: the
    province's reports kept out by a contract error (0 when the rollup does not say)."""
    hit = rollup_province.filter((pl.col("table") == "applications") & (pl.col("row") == "new_received")
                                 & (pl.col("column") == "total"))
    if "n_quarantined" not in hit.columns:
        hit = hit.with_columns(n_quarantined=pl.lit(0, pl.Int64))
    value = pl.col("value").cast(pl.Int64)
    return (hit.group_by("province")
            .agg(received=pl.when(value.is_not_null().any()).then(value.sum()).otherwise(None),
                 n_reports=pl.col("n_reports").sum().cast(pl.Int64),
                 n_quarantined=pl.col("n_quarantined").sum().cast(pl.Int64))
            .sort(["received", "province"], descending=[True, False], nulls_last=True))


def _in_order(df: pl.DataFrame, col: str, order: list) -> pl.DataFrame:
    rank = {k: i for i, k in enumerate(order)}
    return df.with_columns(_o=pl.col(col).replace_strict(rank, default=len(order), return_dtype=pl.Int64)).sort(
        "_o", col, nulls_last=True).drop("_o")


def disclosure_by_body_type(reports: pl.DataFrame, applications: pl.DataFrame) -> pl.DataFrame:
    """Per body type: disclosed (granted + partially_granted), processed (total_processed), both in the
    `total` column, and their ratio (null when nothing was processed). Blank cells count as 0."""
    apps = applications.filter(pl.col("row").is_in(["granted", "partially_granted", "total_processed"]))
    per = apps.join(reports.select("report_id", "body_type"), on="report_id", how="inner").group_by("body_type").agg(
        disclosed=pl.col("total").filter(pl.col("row") != "total_processed").sum().cast(pl.Int64),
        processed=pl.col("total").filter(pl.col("row") == "total_processed").sum().cast(pl.Int64))
    # body types of reports without table 三 rows still get a line (n/a)
    every = reports.select("body_type").unique()
    per = every.join(per, on="body_type", how="left", nulls_equal=True).with_columns(
        pl.col("disclosed", "processed").fill_null(0))
    return _in_order(per.with_columns(rate=ratio("disclosed", "processed")), "body_type", list(BODY_TYPES))


def correction_rates(review_litigation: pl.DataFrame) -> pl.DataFrame:
    """Per table 四 group (template order): corrected, decided (total − pending) and their ratio (null
    when nothing was decided). Blank cells count as 0."""
    per = review_litigation.group_by("group").agg(
        corrected=pl.col("corrected").sum().cast(pl.Int64),
        decided=(pl.col("total").fill_null(0) - pl.col("pending").fill_null(0)).sum().cast(pl.Int64))
    every = pl.DataFrame({"group": list(GROUPS)})
    per = every.join(per, on="group", how="left").with_columns(pl.col("corrected", "decided").fill_null(0))
    return per.with_columns(rate=ratio("corrected", "decided"))


def quarantine_list(violations: pl.DataFrame) -> pl.DataFrame:
    """One row per quarantined report (one with an error): source, its error rules (sorted, distinct) and
    its first error message, in source order."""
    err = violations.filter(pl.col("severity") == "error")
    return (err.group_by("report_id", maintain_order=True)
            .agg(pl.col("source").first(), rules=pl.col("rule").unique().sort().str.join(", "),
                 message=pl.col("message").first())
            .sort("source", "report_id", nulls_last=True))


# the violation columns the error list shows; those a violations dataset lacks are null (older datasets
# have no body, printed, line or page). `actual` is what the report printed in the rule's cell; `printed`,
# `line` and `page` are about the culprit cell: the suspect cell when there is a single one, else the
# rule's own cell (contracts/violations.py).
ERROR_COLUMNS = {"report_id": pl.String, "source": pl.String, "body": pl.String, "rule": pl.String,
                 "table": pl.String, "row": pl.String, "column": pl.String, "actual": pl.String,
                 "expected": pl.String, "printed": pl.String, "line": pl.Int64, "page": pl.Int64,
                 "message": pl.String, "suspect_row": pl.String, "suspect_column": pl.String,
                 "suspect_value": pl.Int64, "suspect_kind": pl.String}


def error_list(violations: pl.DataFrame, parsed_reports: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every error of every quarantined report, by source: the columns of `ERROR_COLUMNS`; `body` falls
    back to the body of parsed_reports."""
    err = violations.filter(pl.col("severity") == "error")
    if "body" not in err.columns and parsed_reports is not None and "body" in parsed_reports.columns:
        err = err.join(parsed_reports.select("report_id", "body").unique("report_id"), on="report_id", how="left")
    err = err.with_columns(pl.lit(None, t).alias(c) for c, t in ERROR_COLUMNS.items() if c not in err.columns)
    return (err.select(pl.col(c).cast(t, strict=False) for c, t in ERROR_COLUMNS.items())
            .sort("source", "report_id", "rule", "table", "row", "column", nulls_last=True, maintain_order=True))


def warning_list(violations: pl.DataFrame, parsed_reports: pl.DataFrame | None = None,
                 limit: int = WARNING_LIST) -> pl.DataFrame:
    """Per warning rule (most frequent first): n (violations), n_reports, and the first `limit` reports
    ("source (body)", by source)."""
    warn = violations.filter(pl.col("severity") == "warning")
    if "body" not in warn.columns:
        if parsed_reports is not None and "body" in parsed_reports.columns:
            warn = warn.join(parsed_reports.select("report_id", "body").unique("report_id"), on="report_id",
                             how="left")
        else:
            warn = warn.with_columns(body=pl.lit(None, pl.String))
    who = pl.when(pl.col("body").is_not_null()).then(
        pl.format("{} ({})", pl.col("source").fill_null(pl.col("report_id")), pl.col("body"))).otherwise(
        pl.col("source").fill_null(pl.col("report_id")))
    per = (warn.with_columns(who=who).sort("source", "report_id", nulls_last=True)
           .group_by("rule", maintain_order=True)
           .agg(n=pl.len().cast(pl.Int64), n_reports=pl.col("report_id").n_unique().cast(pl.Int64),
                reports=pl.col("who").unique(maintain_order=True).head(limit)))
    return per.sort(["n", "rule"], descending=[True, False])


def summarise(year: str, *, parsed_reports: pl.DataFrame, reports: pl.DataFrame, applications: pl.DataFrame,
              review_litigation: pl.DataFrame, rollup_province: pl.DataFrame, violations: pl.DataFrame,
              parse_failures: int, no_year: int = 0, provenance: Provenance | None = None,
              rule_names: dict | None = None) -> YearSummary:
    """The figures of one year from its datasets. `parse_failures` and `no_year` (reports whose year could
    not be read) are counts over all inputs; `rule_names`: rule id → Chinese name."""
    q = quarantine_list(violations)
    prov = applications_by_province(rollup_province)
    counts = {"parsed": parsed_reports.height, "validated": reports.height, "quarantined": q.height,
              "parse_failures": parse_failures, "no_year": no_year,
              "applications_received": int(prov["received"].sum() or 0)}
    return YearSummary(year, counts, prov, disclosure_by_body_type(reports, applications),
                       correction_rates(review_litigation), q, error_list(violations, parsed_reports),
                       warning_list(violations, parsed_reports), provenance or Provenance(), dict(rule_names or {}))


# --- rendering -------------------------------------------------------------------------------------

def esc(v) -> str:
    """Text for HTML (element content or a quoted attribute)."""
    return html.escape("" if v is None else str(v), quote=True)


def number(v) -> str:
    return "n/a" if v is None else f"{v:,}"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def percent(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


LABEL_W, BAR_W, ROW_H, VALUE_W = 240, 380, 24, 330


def bar_chart(title: str, rows: list[tuple[str, float | None, str]], scale: float | None = None) -> str:
    """A horizontal bar chart as inline SVG: one line per (label, value, text). A bar (`rect.bar`) is
    drawn for each positive value, at least 1 px long; zero and missing values get their text only.
    Bars are scaled to `scale` (default: the largest value)."""
    top = scale or max([v for _, v, _ in rows if v is not None] or [0]) or 1
    height = max(len(rows), 1) * ROW_H + 8
    width = LABEL_W + BAR_W + VALUE_W
    out = [f'<svg class="chart" role="img" aria-label="{esc(title)}" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, value, text) in enumerate(rows):
        y = 4 + i * ROW_H
        mid = y + ROW_H / 2 + 4
        out.append(f'<text class="label" x="{LABEL_W - 8}" y="{mid:g}" text-anchor="end">{esc(label)}</text>')
        end = LABEL_W
        if value is not None and value > 0:
            w = max(1.0, BAR_W * min(value / top, 1.0))
            out.append(f'<rect class="bar" x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 6}">'
                       f'<title>{esc(label)}: {esc(text)}</title></rect>')
            end += w
        out.append(f'<text class="value" x="{end + 6:.1f}" y="{mid:g}">{esc(text)}</text>')
    if not rows:
        out.append(f'<text class="value" x="{LABEL_W}" y="{ROW_H / 2 + 4:g}">no data</text>')
    out.append("</svg>")
    return "\n".join(out)


def body_label(code: str | None) -> str:
    return UNKNOWN_LABEL if code is None else BODY_TYPES.get(code, code)


def province_text(r: dict) -> str:
    """A province's figure: the sum and its reports, or "not reported" when no report was validated."""
    q = r.get("n_quarantined") or 0
    kept_out = f", {q:,} quarantined" if q else ""
    if r["received"] is None:
        return f'{NOT_REPORTED} (no validated report{kept_out})'
    return f'{number(r["received"])} ({plural(r["n_reports"], "report")}{kept_out})'


def province_chart(s: YearSummary) -> str:
    rows = [(r["province"] or UNKNOWN_LABEL, r["received"], province_text(r))
            for r in s.by_province.iter_rows(named=True)]
    return bar_chart("applications received by province", rows)


def disclosure_chart(s: YearSummary) -> str:
    rows = [(body_label(r["body_type"]), r["rate"],
             f'{percent(r["rate"])} ({number(r["disclosed"])} / {number(r["processed"])})')
            for r in s.by_body_type.iter_rows(named=True)]
    return bar_chart("disclosure rate by body type", rows, scale=1.0)


def correction_chart(s: YearSummary) -> str:
    rows = [(GROUPS.get(r["group"], r["group"]), r["rate"],
             f'{percent(r["rate"])} ({number(r["corrected"])} / {number(r["decided"])})')
            for r in s.correction.iter_rows(named=True)]
    return bar_chart("correction rate of review and litigation", rows, scale=1.0)


def cell_label(table: str | None, row: str | None, column: str | None) -> str:
    """A cell in the template's Chinese labels: "表三 … › 一、本年新收… › 自然人" (codes not in the template
    are shown as they are; a part the rule does not name is left out)."""
    parts = [TABLE_LABELS.get(table, table) if table else None, ROW_LABELS.get(row, row) if row else None,
             " + ".join(COLUMN_LABELS.get(c, c) for c in column.split(",")) if column else None]
    return " › ".join(p for p in parts if p) or "—"


def cell_codes(table: str | None, row: str | None, column: str | None) -> str:
    return "/".join(p for p in (table, row, column) if p)


def single_suspect(r: dict) -> bool:
    return r.get("suspect_kind") == "single_cell"


def printed_value(r: dict) -> str:
    """What the report printed in the rule's cell: `actual`, else the printed text when that is about the
    rule's own cell (no single suspect)."""
    if r.get("actual") is not None:
        return r["actual"]
    return r["printed"] if r.get("printed") is not None and not single_suspect(r) else "—"


def culprit(r: dict) -> str:
    """The likely culprit of an error (contracts/culprit.py), as HTML: its cell, what was printed there,
    and the value that makes the sums hold."""
    if not r.get("suspect_kind"):
        return "—"
    where = esc(cell_label(None, r["suspect_row"], r["suspect_column"]))
    if r["suspect_kind"] == "glued_split":
        return f"{where}<br><small>two cells glued together (reading error 读取错误)</small>"
    shown = f": printed 印刷 “{esc(r['printed'])}”" if r.get("printed") is not None else ""
    return f"{where}{shown} → <b>{number(r['suspect_value'])}</b>"


def location(r: dict) -> str:
    bits = ([f"line 第{r['line']}行"] if r.get("line") is not None else []) + (
        [f"page 第{r['page']}页"] if r.get("page") is not None else [])
    return ", ".join(bits) or "—"


def rule_cell(s: YearSummary, rule: str) -> str:
    zh = s.rule_names.get(rule, "")
    return (f"{esc(zh)}<br>" if zh else "") + f'<code>{esc(rule)}</code>'


def quarantine_table(s: YearSummary, limit: int = QUARANTINE_LIMIT) -> str:
    """Every error of the quarantined reports: the report (file and body), the rule, the cell, printed
    and expected values, the likely culprit, where in the file, the message."""
    if s.quarantine.height == 0:
        return '<p class="none">No report was quarantined. 无隔离报告。</p>'
    out = ['<table class="quarantine"><thead><tr><th>source file 文件</th><th>body 机关</th><th>rule 规则</th>'
           '<th>cell 单元格</th><th>printed 印刷值</th><th>expected 应为</th><th>likely culprit 可能出错的单元格</th>'
           '<th>where (culprit cell) 位置</th><th>message 说明</th></tr></thead><tbody>']
    for r in s.errors.head(limit).iter_rows(named=True):
        codes = cell_codes(r["table"], r["row"], r["column"])
        out.append(
            f'<tr data-report="{esc(r["report_id"])}" data-rule="{esc(r["rule"])}">'
            f'<td class="source">{esc(r["source"])}</td><td class="body">{esc(r["body"] or "—")}</td>'
            f'<td class="rule">{rule_cell(s, r["rule"])}</td>'
            f'<td class="cell">{esc(cell_label(r["table"], r["row"], r["column"]))}'
            f'{f"<br><small>{esc(codes)}</small>" if codes else ""}</td>'
            f'<td class="printed">{esc(printed_value(r))}</td>'
            f'<td class="expected">{esc(r["expected"] if r["expected"] is not None else "—")}</td>'
            f'<td class="culprit">{culprit(r)}</td><td class="where">{esc(location(r))}</td>'
            f'<td class="message">{esc(r["message"])}</td></tr>')
    out.append("</tbody></table>")
    if s.errors.height > limit:
        out.append(f'<p class="more">… and {s.errors.height - limit:,} more errors: see the violations dataset.</p>')
    return "\n".join(out)


def warnings_table(s: YearSummary) -> str:
    """Per warning rule: how many, and which reports (the first WARNING_LIST, "and N more")."""
    if s.warnings.height == 0:
        return '<p class="none">No warning. 无警告。</p>'
    out = ['<table class="warnings"><thead><tr><th>rule 规则</th><th>warnings 条数</th><th>reports 报告数</th>'
           '<th>reports 报告</th></tr></thead><tbody>']
    for r in s.warnings.iter_rows(named=True):
        more = r["n_reports"] - len(r["reports"])
        listed = ", ".join(esc(x) for x in r["reports"]) + (f" … and {more:,} more 等" if more > 0 else "")
        out.append(f'<tr data-rule="{esc(r["rule"])}"><td class="rule">{rule_cell(s, r["rule"])}</td>'
                   f'<td class="n">{r["n"]:,}</td><td class="n">{r["n_reports"]:,}</td>'
                   f'<td class="reports">{listed}</td></tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


COMPARISON_LIMIT = 200  # rows per comparison table on the page; the datasets have them all
COMPARISON_SECTIONS = (  # (frame of `contracts.comparisons.page_frames`, section id, title, what it shows)
    ("top_changes", "changes", "Largest changes from last year 较上年变化最大的数据",
     "Per body reporting in both years, its largest changes (the `comparisons` dataset has every cell)."),
    ("stock_breaks", "stock", "Stock continuity breaks 现行有效件数不衔接",
     "现行有效 last year + 制发 − 废止 should equal this year's 现行有效."),
    ("narrative_reuse", "reuse", "Narrative reused from last year 正文沿用上年",
     "Share of this year's sentences identical to last year's (masked: numbers ignored)."),
    ("coverage_counts", "coverage", "Coverage by region 报送情况",
     "Bodies reporting in both years, last year only (missing), this year only (new)."),
    ("missing", "missing", "Reported last year, not this year 上年报送、本年未报送", ""),
    ("new", "new", "New this year 本年新增", ""),
)


def frame_table(df: pl.DataFrame, limit: int = COMPARISON_LIMIT) -> str:
    """A frame as an HTML table: labels for table/row/column codes, "—" for null (not reported), shares
    as percentages, at most `limit` rows ("and N more")."""
    if not df.height:
        return "<p>None. 无。</p>"
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = []
    for r in df.head(limit).iter_rows(named=True):
        cells = []
        for c, v in r.items():
            if v is None:
                text = "—"
            elif c == "table":
                text = TABLE_LABELS.get(v, v)
            elif c == "row":
                text = ROW_LABELS.get(v, v)
            elif c == "column":
                text = COLUMN_LABELS.get(v, v)
            elif "share" in c and isinstance(v, float):
                text = percent(v)
            else:
                text = v
            cells.append(f"<td>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p>… and {df.height - limit:,} more.</p>" if df.height > limit else ""
    return f'<table class="compare"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def comparison_sections(frames: dict[str, pl.DataFrame]) -> list[Section]:
    """The year-over-year sections of a year page from `contracts.comparisons.page_frames` (empty when the
    year before has no reports: nothing to compare)."""
    if not frames or all(not f.height for f in frames.values()):
        return [Section("compare", "Year over year 同比", "<p>No report of the year before to compare with. "
                                                        "无上年报告可比。</p>")]
    return [Section(sid, title, (f"<p>{esc(note)}</p>" if note else "") + frame_table(frames[name]))
            for name, sid, title, note in COMPARISON_SECTIONS if name in frames]


def provenance(s: YearSummary) -> str:
    p = s.provenance
    items = [("generated 生成时间", p.generated or "—"), ("raw folder 原始文件目录", p.raw or "—"),
             ("input files 输入文件数", "—" if p.files is None else f"{p.files:,}"),
             ("parser version 解析器版本", p.parser or "—"), ("rules version 规则版本", p.rules or "—")]
    return '<dl class="provenance">' + "".join(
        f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items) + "</dl>"


COUNT_LABELS = {"parsed": "reports parsed", "validated": "validated", "quarantined": "quarantined",
                "parse_failures": "parse failures (all years)", "no_year": "no year (all inputs)",
                "applications_received": "applications received"}
COUNT_ZH = {"parsed": "已解析", "validated": "通过校验", "quarantined": "已隔离", "parse_failures": "解析失败",
            "no_year": "年度未识别", "applications_received": "收到申请"}

STYLE = """
body{font-family:%s;
margin:2em auto;max-width:72em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
dl.counts{display:flex;flex-wrap:wrap;gap:1em}dl.counts div{border:1px solid #ddd;padding:.5em 1em;border-radius:4px}
dl.counts dt{font-size:.85em;color:#555}dl.counts dd{margin:0;font-size:1.4em;font-weight:bold}
dl.provenance{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;font-size:.9em}
dl.provenance dt{color:#555}dl.provenance dd{margin:0;font-family:ui-monospace,monospace,%s}
svg.chart{font-family:inherit;font-size:13px;max-width:100%%;height:auto}svg.chart rect.bar{fill:#3b6ea5}
svg.chart text{fill:#222}p.note{font-size:.85em;color:#555}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;
vertical-align:top}th{background:#f4f4f4}td.n{text-align:right}code,small{color:#555}
td.body,td.where{white-space:nowrap}td.culprit,td.cell{min-width:12em}
""" % (FONT_STACK, FONT_STACK)

# Marks rendering for a headless check: the bars whose laid-out box is not empty, per chart and in all.
SCRIPT = """
(function(){var n=0;document.querySelectorAll("svg.chart").forEach(function(svg){var k=0;
svg.querySelectorAll("rect.bar").forEach(function(r){var b=r.getBoundingClientRect();if(b.width>0&&b.height>0)k++;});
svg.setAttribute("data-rendered-bars",k);n+=k;});document.body.setAttribute("data-rendered-bars",n);})();
"""


def year_title(year: str) -> str:
    return "year unknown 年度未识别" if year == NO_YEAR_KEY else f"reporting year {year} 年度"


def render_html(s: YearSummary, extra: list[Section] | tuple[Section, ...] = ()) -> str:
    """The year's page: a complete, self-contained HTML document (UTF-8). `extra` sections (e.g. the
    year-over-year comparisons) go after the charts, before the quarantine list."""
    counts = "".join(f'<div data-count="{esc(k)}"><dt>{esc(COUNT_LABELS[k])} {esc(COUNT_ZH[k])}</dt>'
                     f"<dd>{number(v)}</dd></div>" for k, v in s.counts.items())
    year = esc(s.year)
    more = "".join(f'<section id="{esc(x.id)}">\n<h2>{esc(x.title)}</h2>\n{x.html}\n</section>\n' for x in extra)
    no_year = s.counts.get("no_year", 0)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>政府信息公开工作年度报告 {year}: summary</title>
<style>{STYLE}</style>
</head>
<body data-year="{year}">
<h1>政府信息公开工作年度报告 · {esc(year_title(s.year))}</h1>
<dl class="counts">{counts}</dl>
<p class="note">Figures are sums over the validated reports only (quarantined reports are left out). A
government's report often covers its whole jurisdiction, so a province's sum can count a figure twice.
Parse failures are counted over all inputs: a file that failed to parse has no known year.
{plural(no_year, "report")} had no readable year (年度未识别): they are in the partition
<code>unknown</code> (folder <code>unknown/</code>), on no year's page but their own.</p>
<section id="by-province">
<h2>Applications received by province 各省收到申请数</h2>
<p class="note">Table 三, row 一、本年新收政府信息公开申请数量, column 总计. “{esc(NOT_REPORTED)}”: the
province has reports this year but none was validated, so there is no figure (not 0).</p>
{province_chart(s)}
</section>
<section id="by-body-type">
<h2>Disclosure rate by body type 各类机关公开率</h2>
<p class="note">(予以公开 + 部分公开) / 总计 of the 办理结果, column 总计, over the body type's reports;
n/a where nothing was processed.</p>
{disclosure_chart(s)}
</section>
<section id="correction">
<h2>Correction rate of review and litigation 复议诉讼纠错率</h2>
<p class="note">结果纠正 / (总计 − 尚未审结) of table 四; n/a where no case was decided.</p>
{correction_chart(s)}
</section>
{more}<section id="quarantine">
<h2>Quarantine 隔离报告 ({plural(s.quarantine.height, "report")}, {plural(s.errors.height, "error")})</h2>
{quarantine_table(s)}
</section>
<section id="warnings">
<h2>Warnings 警告 ({plural(int(s.warnings["n"].sum()) if s.warnings.height else 0, "warning")})</h2>
<p class="note">Warnings do not keep a report out of the datasets: history (against last year's report),
narrative (the prose against the tables), carry-over, duplicates, template and region.</p>
{warnings_table(s)}
</section>
<section id="provenance">
<h2>Generated from 数据来源</h2>
{provenance(s)}
</section>
<script>{SCRIPT}</script>
</body>
</html>
"""


def _md(v) -> str:
    return ("" if v is None else str(v)).replace("|", "/").replace("\n", " ")[:80]


def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(_md(v) for v in r) + " |" for r in rows])


def render_markdown(s: YearSummary, limit: int = 5) -> str:
    """A short markdown preview of the page: counts, top provinces, rates by body type, first quarantined."""
    c = s.counts
    out = [f"### {s.year}", ", ".join(f"{COUNT_LABELS[k]}: **{number(v)}**" for k, v in c.items()), "",
           md_table(["province", "applications received", "reports"],
                    [[r["province"] or UNKNOWN_LABEL,
                      NOT_REPORTED if r["received"] is None else number(r["received"]), r["n_reports"]]
                     for r in s.by_province.head(limit).iter_rows(named=True)]), "",
           md_table(["body type", "disclosure rate", "disclosed", "processed"],
                    [[body_label(r["body_type"]), percent(r["rate"]), number(r["disclosed"]), number(r["processed"])]
                     for r in s.by_body_type.iter_rows(named=True)]), ""]
    if s.quarantine.height:
        out.append(md_table(["quarantined source", "rules", "first message"],
                            [[r["source"], r["rules"], r["message"]] for r in s.quarantine.head(limit).iter_rows(named=True)]))
        if s.quarantine.height > limit:
            out.append(f"\n… {s.quarantine.height - limit} more quarantined")
    else:
        out.append("No report was quarantined.")
    return "\n".join(out)
