"""The Data Docs page of a year: the Great Expectations results (`contracts.gx.validate`) on one
self-contained HTML page, reports named by source file and body.

Why not GX's own Data Docs (GX 1.x site builder): its page templates load Bootstrap, jQuery,
bootstrap-table, Font Awesome, Vega and more from CDNs (no setting makes them local; only its logo
images are copied), so the site is blank offline; it names each validation by batch hash and writes it
under a run-time folder (`validations/<suite>/<run>/<timestamp>/…`), so two identical runs differ. This
page fetches nothing (inline CSS, no script), names every report, and depends only on the results: two
runs on the same inputs write the same bytes.
"""
from __future__ import annotations

import polars as pl

from contracts.catalogue import RULES
from contracts.gx import Outcome
from nianbao.summary import FONT_STACK, esc, year_title

LISTED = 50  # failing reports listed per expectation ("and N more")

STYLE = """
body{font-family:%s;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
dl.stats{display:flex;flex-wrap:wrap;gap:1em}dl.stats div{border:1px solid #ddd;padding:.5em 1em;border-radius:4px}
dl.stats dt{font-size:.85em;color:#555}dl.stats dd{margin:0;font-size:1.3em;font-weight:bold}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;
vertical-align:top}th{background:#f4f4f4}td.n{text-align:right}code,small{color:#555}
.passed{color:#17692b}.failed{color:#a61b1b;font-weight:bold}p.note{font-size:.85em;color:#555}
""" % FONT_STACK


def report_name(r: dict) -> str:
    """A report as people know it: its source file, and its body when known."""
    source = r.get("source") or r["report_id"]
    return f"{source} ({r['body']})" if r.get("body") else source


def _status(ok: bool) -> str:
    return '<span class="passed">✓ passed 通过</span>' if ok else '<span class="failed">✗ failed 未通过</span>'


def _rule(rule: str) -> str:
    r = RULES.get(rule)
    return (f"{esc(r.zh)}<br>" if r and r.zh else "") + f"<code>{esc(rule)}</code>"


def render_docs(year: str, outcomes: list[Outcome], reports: pl.DataFrame, *, rules_version: str = "",
                gx_version: str = "") -> str:
    """The page: statistics, every expectation (rule, condition, rows, failing reports with their values)
    and every report with the rules it fails. `reports`: report_id, source and (optionally) body."""
    cols = [c for c in ("report_id", "source", "body") if c in reports.columns]
    rows = sorted(reports.select(cols).unique("report_id").iter_rows(named=True),
                  key=lambda r: (r.get("source") or "", r["report_id"]))
    names = {r["report_id"]: report_name(r) for r in rows}
    failed_by: dict[str, list[str]] = {}
    for o in outcomes:
        for rid, _ in o.unexpected:
            failed_by.setdefault(rid, [])
            if o.rule not in failed_by[rid]:
                failed_by[rid].append(o.rule)
    n_ok = sum(o.success for o in outcomes)
    stats = [("expectations 期望", len(outcomes)), ("passed 通过", n_ok), ("failed 未通过", len(outcomes) - n_ok),
             ("reports 报告", len(rows)), ("failing reports 未通过的报告", len(failed_by))]
    out = [f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data Docs {esc(year)}: Great Expectations</title>
<style>{STYLE}</style>
</head>
<body data-year="{esc(year)}">
<h1>Data Docs · 数据校验 · {esc(year_title(year))}</h1>
<p class="note">The error rules of the catalogue as a Great Expectations suite, over the year's reports
(validated and quarantined), one row per report. Great Expectations {esc(gx_version) or "—"}, rules version
{esc(rules_version) or "—"}.</p>
<dl class="stats">""" + "".join(f"<div><dt>{esc(k)}</dt><dd>{v:,}</dd></div>" for k, v in stats) + "</dl>",
           '<section id="expectations">\n<h2>Expectations 期望</h2>',
           '<table class="expectations"><thead><tr><th>status 结果</th><th>rule 规则</th><th>expectation</th>'
           '<th>rows 行数</th><th>unexpected 不符</th><th>failing reports (value) 未通过的报告（值）</th>'
           '</tr></thead><tbody>']
    for o in outcomes:
        listed = ", ".join(f"{esc(names.get(rid, rid))}: {esc(v)}" for rid, v in o.unexpected[:LISTED])
        if len(o.unexpected) > LISTED:
            listed += f" … and {len(o.unexpected) - LISTED:,} more 等"
        out.append(f'<tr data-rule="{esc(o.rule)}" data-success="{str(o.success).lower()}">'
                   f"<td>{_status(o.success)}</td><td>{_rule(o.rule)}</td>"
                   f"<td><code>{esc(o.expectation)}</code><br><small>{esc(o.column)} {esc(o.condition)}</small></td>"
                   f'<td class="n">{o.element_count:,}</td><td class="n">{o.unexpected_count:,}</td>'
                   f'<td class="reports">{listed or "—"}</td></tr>')
    out += ["</tbody></table>", "</section>", '<section id="reports">\n<h2>Reports 报告</h2>',
            '<table class="reports"><thead><tr><th>report 报告</th><th>status 结果</th><th>rules failed 未通过的规则</th>'
            "</tr></thead><tbody>"]
    for r in rows:
        bad = failed_by.get(r["report_id"], [])
        out.append(f'<tr data-report="{esc(r["report_id"])}"><td class="name">{esc(names[r["report_id"]])}</td>'
                   f"<td>{_status(not bad)}</td><td>{'<br>'.join(_rule(x) for x in bad) or '—'}</td></tr>")
    out += ["</tbody></table>", "</section>", "</body>", "</html>", ""]
    return "\n".join(out)
