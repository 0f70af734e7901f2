"""A reporting year on one self-contained HTML page (and a markdown preview): counts, charts, quarantine list.

Pure: polars frames in, strings out. The page works offline: no script, style, font or image is fetched
(CSS inline, charts as inline SVG); its only script marks, once laid out, how many bars have a visible
box (`data-rendered-bars` on each chart and on <body>), so a headless browser can tell that the charts
rendered. Every text from the data is escaped.

Figures:
- applications received by province: applications `new_received` × `total`, summed per province over the
  province rollup (validated reports only; a government's report may already include its departments');
- disclosure rate by body type: (granted + partially_granted) / total_processed, column `total`, the sums of
  the validated reports of each body type (a pooled rate, not a mean of rates); no rate where nothing was
  processed;
- correction rate of review and litigation: corrected / (total − pending) per table 四 group, pooled the same way;
- the quarantine list: each report with an error, its error rules and its first error message.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import polars as pl

from nianbao import template as T

BODY_TYPES = {  # classify_body's codes (nianbao/regions.py), in display order
    "government": "government 人民政府", "general_office": "general office 办公室/办公厅",
    "department": "department 部门", "township": "township 乡镇/街道", "special_zone": "special zone 开发区等",
    "other": "other 其他",
}
UNKNOWN_LABEL = "(unresolved 未识别)"
GROUPS = {g.code: g.label for g in T.REVIEW_GROUPS}
QUARANTINE_LIMIT = 10_000  # rows listed on the page; the violations dataset has them all


@dataclass(frozen=True)
class YearSummary:
    """The figures of one reporting year, ready to render."""

    year: str
    counts: dict  # parsed, validated, quarantined, parse_failures (all years), applications_received
    by_province: pl.DataFrame  # province, received, n_reports
    by_body_type: pl.DataFrame  # body_type, disclosed, processed, rate (null: nothing processed)
    correction: pl.DataFrame  # group, corrected, decided, rate (null: nothing decided)
    quarantine: pl.DataFrame  # report_id, source, rules, message


# --- figures ---------------------------------------------------------------------------------------

def ratio(num: str, den: str) -> pl.Expr:
    """num / den as a float, null where den is 0 or null (never a division by zero)."""
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None).cast(pl.Float64)


def applications_by_province(rollup_province: pl.DataFrame) -> pl.DataFrame:
    """Applications received (new_received, total) per province, most first; summed over any other key
    of the rollup (template, level, body type)."""
    hit = rollup_province.filter((pl.col("table") == "applications") & (pl.col("row") == "new_received")
                                 & (pl.col("column") == "total"))
    return (hit.group_by("province")
            .agg(received=pl.col("value").cast(pl.Int64).sum(), n_reports=pl.col("n_reports").sum().cast(pl.Int64))
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


def summarise(year: str, *, parsed_reports: pl.DataFrame, reports: pl.DataFrame, applications: pl.DataFrame,
              review_litigation: pl.DataFrame, rollup_province: pl.DataFrame, violations: pl.DataFrame,
              parse_failures: int) -> YearSummary:
    """The figures of one year from its datasets (`parse_failures`: the count over all inputs, whose year
    is unknown when they failed to parse)."""
    q = quarantine_list(violations)
    prov = applications_by_province(rollup_province)
    counts = {"parsed": parsed_reports.height, "validated": reports.height, "quarantined": q.height,
              "parse_failures": parse_failures, "applications_received": int(prov["received"].sum() or 0)}
    return YearSummary(year, counts, prov, disclosure_by_body_type(reports, applications),
                       correction_rates(review_litigation), q)


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


LABEL_W, BAR_W, ROW_H, VALUE_W = 240, 380, 24, 200


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


def province_chart(s: YearSummary) -> str:
    rows = [(r["province"] or UNKNOWN_LABEL, r["received"], f'{number(r["received"])} ({plural(r["n_reports"], "report")})')
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


def quarantine_table(s: YearSummary, limit: int = QUARANTINE_LIMIT) -> str:
    if s.quarantine.height == 0:
        return '<p class="none">No report was quarantined.</p>'
    out = ['<table class="quarantine"><thead><tr><th>source file</th><th>rules</th><th>first message</th>'
           '</tr></thead><tbody>']
    for r in s.quarantine.head(limit).iter_rows(named=True):
        out.append(f'<tr data-report="{esc(r["report_id"])}"><td>{esc(r["source"])}</td><td>{esc(r["rules"])}</td>'
                   f'<td>{esc(r["message"])}</td></tr>')
    out.append("</tbody></table>")
    if s.quarantine.height > limit:
        out.append(f'<p class="more">… {s.quarantine.height - limit:,} more: see the violations dataset.</p>')
    return "\n".join(out)


COUNT_LABELS = {"parsed": "reports parsed", "validated": "validated", "quarantined": "quarantined",
                "parse_failures": "parse failures (all years)", "applications_received": "applications received"}

STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:2em auto;max-width:64em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
dl.counts{display:flex;flex-wrap:wrap;gap:1em}dl.counts div{border:1px solid #ddd;padding:.5em 1em;border-radius:4px}
dl.counts dt{font-size:.85em;color:#555}dl.counts dd{margin:0;font-size:1.4em;font-weight:bold}
svg.chart{font-size:13px;max-width:100%;height:auto}svg.chart rect.bar{fill:#3b6ea5}
svg.chart text{fill:#222}p.note{font-size:.85em;color:#555}
table.quarantine{border-collapse:collapse;font-size:.9em}table.quarantine td,table.quarantine th{
border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
"""

# Marks rendering for a headless check: the bars whose laid-out box is not empty, per chart and in all.
SCRIPT = """
(function(){var n=0;document.querySelectorAll("svg.chart").forEach(function(svg){var k=0;
svg.querySelectorAll("rect.bar").forEach(function(r){var b=r.getBoundingClientRect();if(b.width>0&&b.height>0)k++;});
svg.setAttribute("data-rendered-bars",k);n+=k;});document.body.setAttribute("data-rendered-bars",n);})();
"""


def render_html(s: YearSummary) -> str:
    """The year's page: a complete, self-contained HTML document (UTF-8)."""
    counts = "".join(f"<div><dt>{esc(COUNT_LABELS[k])}</dt><dd>{number(v)}</dd></div>" for k, v in s.counts.items())
    year = esc(s.year)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>政府信息公开工作年度报告 {year}: summary</title>
<style>{STYLE}</style>
</head>
<body data-year="{year}">
<h1>政府信息公开工作年度报告 · reporting year {year}</h1>
<dl class="counts">{counts}</dl>
<p class="note">Figures are sums over the validated reports only (quarantined reports are left out). A
government's report often covers its whole jurisdiction, so a province's sum can count a figure twice.
Parse failures are counted over all inputs: a file that failed to parse has no known year.</p>
<section id="by-province">
<h2>Applications received by province</h2>
<p class="note">Table 三, row 一、本年新收政府信息公开申请数量, column 总计.</p>
{province_chart(s)}
</section>
<section id="by-body-type">
<h2>Disclosure rate by body type</h2>
<p class="note">(予以公开 + 部分公开) / 总计 of the 办理结果, column 总计, over the body type's reports;
n/a where nothing was processed.</p>
{disclosure_chart(s)}
</section>
<section id="correction">
<h2>Correction rate of review and litigation</h2>
<p class="note">结果纠正 / (总计 − 尚未审结) of table 四; n/a where no case was decided.</p>
{correction_chart(s)}
</section>
<section id="quarantine">
<h2>Quarantine ({plural(s.quarantine.height, "report")})</h2>
{quarantine_table(s)}
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
                    [[r["province"] or UNKNOWN_LABEL, number(r["received"]), r["n_reports"]]
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
