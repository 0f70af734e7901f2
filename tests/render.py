"""Render report tables to each text layout of the spec, for round-trip tests (render → parse → same cells)."""
from __future__ import annotations

from nianbao import template as T

LAYOUTS = ("cell_per_line", "bar_suffix", "tab_rows", "markdown", "space_rows")


def _fmt(v, thousands: bool = False, fullwidth: bool = False) -> str:
    if v is None:
        return "—"
    s = f"{v:,}" if thousands and isinstance(v, int) else str(v)
    if fullwidth:
        s = s.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return s


def table_rows(tables: dict, tpl: T.Template, org_subtotal: bool = False, subtotals: bool = False,
               **fmt) -> dict[str, list[list[str]]]:
    """The three tables as rows of printed cells, headers included, in template order.

    `org_subtotal` prints a 小计 column after the five organisation columns; `subtotals` prints each
    group's total row (（三）不予公开 …) above its items.
    """
    active: list[list[str]] = []
    blocks = {"regulations": "（一）", "normative_documents": None, "licensing": "（五）", "other_external_services": None,
              "penalty": "（六）", "enforcement": None, "fees": "（八）", "procurement": "（九）"}
    for item in tpl.active_items:
        if blocks.get(item.code):
            active.append([f"第二十条第{blocks[item.code]}项"])
            active.append(["信息内容", *[c.label for c in item.columns]])
        active.append([item.label, *[_fmt(tables["active_disclosure"][item.code][c.code], **fmt) for c in item.columns]])
    apps = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
            ["自然人", "法人或其他组织", "总计"],
            ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"] + (["小计"] if org_subtotal else [])]

    def printed(values):
        values = list(values)
        if org_subtotal:
            values.insert(6, sum(v or 0 for v in values[1:6]))
        return [_fmt(v, **fmt) for v in values]

    for r in tpl.application_rows:
        if r.subtotal:
            if subtotals and T.group_items(tpl, r.group):
                items = [tables["applications"][i] for i in T.group_items(tpl, r.group)]
                apps.append([r.label, *printed(sum(v[j] or 0 for v in items) for j in range(7))])
            continue
        label = r.label.split(" ")[-1] if subtotals and r.group else r.label
        apps.append([label, *printed(tables["applications"][r.code])])
    review = [["行政复议", "行政诉讼"],
              ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
              ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
              [_fmt(v, **fmt) for g in T.REVIEW_GROUPS for v in tables["review_litigation"][g.code]]]
    return {"active_disclosure": active, "applications": apps, "review_litigation": review}


def _render_rows(rows: list[list[str]], layout: str) -> list[str]:
    out: list[str] = []
    for i, row in enumerate(rows):
        if layout == "cell_per_line":
            out += [f"\t{c}" for c in row] + [""]
        elif layout == "bar_suffix":
            out += [f"{c} |" for c in row]
        elif layout == "tab_rows":
            out.append("\t".join(row))
        elif layout == "markdown":
            out.append("| " + " | ".join(row) + " |")
            if i == 0:
                out.append("|" + "---|" * len(row))
        elif layout == "space_rows":
            out.append(" ".join(row))
            if i == len(rows) // 2:
                out.append("- 4 -")  # a PDF page footer inside the table
        else:
            raise ValueError(layout)
    return out


def render(title: str, tables: dict, template: str = "2021", layout: str = "tab_rows", **fmt) -> str:
    """A whole report as text in one layout: title, narrative, the three tables, closing sections."""
    tpl = T.template(template)
    rows = table_rows(tables, tpl, **fmt)
    lines = [title, "", "一、总体情况", "本年度共收到政府信息公开申请若干件，行政许可事项办理情况良好。", "",
             "二、主动公开政府信息情况"]
    lines += _render_rows(rows["active_disclosure"], layout)
    lines += ["", "三、收到和处理政府信息公开申请情况"]
    lines += _render_rows(rows["applications"], layout)
    lines += ["", "四、政府信息公开行政复议、行政诉讼情况"]
    lines += _render_rows(rows["review_litigation"], layout)
    lines += ["", "五、存在的主要问题及改进情况", "一是公开质量有待提高。", "", "六、其他需要报告的事项", "无。"]
    return "\n".join(lines) + "\n"


def _html_rows(rows: list[list[str]], table: str) -> list[str]:
    """Rows as <tr>, with the spans real pages use: a rowspan'd group label in table 三, colspans in headers."""
    out = []
    for i, row in enumerate(rows):
        cells = [f"<td>{c if c != '' else '&nbsp;'}</td>" for c in row]
        if table == "applications" and i == 0:
            cells = [f'<td colspan="3" rowspan="3">{row[0]}</td>', f'<td colspan="7">{row[1]}</td>']
        elif table == "applications" and i == 1:
            cells = [f"<td>{row[0]}</td>", f'<td colspan="5">{row[1]}</td>', f"<td>{row[2]}</td>"]
        elif len(row) == 1:
            cells = [f'<td colspan="4"><p><span>{"</span><span>".join(row[0])}</span></p></td>']
        out.append("<tr>" + "".join(cells) + "</tr>")
    return out


def render_html(title: str, tables: dict, template: str = "2021", **fmt) -> str:
    """A whole report as a CMS page: navigation, a metadata table first, then the report's tables."""
    tpl = T.template(template)
    rows = table_rows(tables, tpl, **fmt)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}_测试县人民政府网站</title>",
             "<style>td{border:1px solid}</style><script>var x = '行政复议 第二十条';</script></head><body>",
             "<div class='nav'><a href='/'>首页</a> &gt; 政务公开 &gt; 年报</div>",
             "<table class='meta'><tr><td>索引号</td><td>000014349/2024-11355</td></tr>",
             f"<tr><td>标题</td><td>{title}</td></tr><tr><td>发布日期</td><td>2024-01-20</td></tr></table>",
             f"<div class='article'><h1>{title}</h1><p>一、总体情况</p><p>本年度工作情况良好。</p>",
             "<p>二、主动公开政府信息情况</p><table>", *_html_rows(rows["active_disclosure"], "active"), "</table>",
             "<p>三、收到和处理政府信息公开申请情况</p><table>", *_html_rows(rows["applications"], "applications"),
             "</table>", "<p>四、政府信息公开行政复议、行政诉讼情况</p><table>",
             *_html_rows(rows["review_litigation"], "review"), "</table>",
             "<p>五、存在的主要问题及改进情况</p><p>无。</p></div></body></html>"]
    return "\n".join(parts)
