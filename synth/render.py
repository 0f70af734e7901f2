"""Render report tables as printed: the five text layouts of the spec, an HTML CMS page, and merged-cell grids.

Used by the round-trip tests (render → parse → same cells) and by the synthetic corpus
(`synth`). A table's values are what the report prints: ints, Decimals or decimal strings,
None (printed as the placeholder "—"), or a string printed as is ("" for an empty cell, "/" or "无" for
a placeholder, "+12" for a signed change). In sums (the optional 小计 column and group total rows)
anything that is not an int counts as 0, as the blank-as-zero policy says.
"""
from __future__ import annotations

import re

from nianbao import template as T

__all__ = ["LAYOUTS", "HEADINGS", "table_rows", "coded_rows", "render_rows", "render", "render_html", "html_rows",
           "report_grids", "grids_from_rows", "report_blocks", "place", "label_parts"]

LAYOUTS = ("cell_per_line", "bar_suffix", "tab_rows", "markdown", "space_rows")
HEADINGS = {"active_disclosure": "二、主动公开政府信息情况", "applications": "三、收到和处理政府信息公开申请情况",
            "review_litigation": "四、政府信息公开行政复议、行政诉讼情况"}
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ACTIVE_BLOCKS = {"regulations": "（一）", "normative_documents": None, "licensing": "（五）",
                  "other_external_services": None, "penalty": "（六）", "enforcement": None, "fees": "（八）",
                  "procurement": "（九）"}


def _fmt(v, thousands: bool = False, fullwidth: bool = False) -> str:
    if v is None:
        return "—"
    s = f"{v:,}" if thousands and isinstance(v, int) else str(v)
    if fullwidth:
        s = s.translate(_FULLWIDTH)
    return s


def _n(v) -> int:
    """A printed value in a sum: ints count, anything else (None, blank, placeholder) is 0."""
    return v if isinstance(v, int) else 0


def coded_rows(tables: dict, tpl: T.Template, org_subtotal: bool = False, subtotals: bool = False,
               **fmt) -> dict[str, list[tuple[str | None, list[str]]]]:
    """Like `table_rows`, each row with the code of its template row (None for header rows).

    Table 二 rows carry their item code, table 三 rows their row code (a printed group total its
    `*_subtotal` code), and table 四's value row the code "review_litigation".
    """
    active: list[tuple[str | None, list[str]]] = []
    for item in tpl.active_items:
        if _ACTIVE_BLOCKS.get(item.code):
            active.append((None, [f"第二十条第{_ACTIVE_BLOCKS[item.code]}项"]))
            active.append((None, ["信息内容", *[c.label for c in item.columns]]))
        active.append((item.code, [item.label, *[_fmt(tables["active_disclosure"][item.code][c.code], **fmt)
                                                 for c in item.columns]]))
    apps: list[tuple[str | None, list[str]]] = [
        (None, ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"]),
        (None, ["自然人", "法人或其他组织", "总计"]),
        (None, ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"] + (["小计"] if org_subtotal else []))]

    def printed(values):
        values = list(values)
        if org_subtotal:
            values.insert(6, sum(_n(v) for v in values[1:6]))
        return [_fmt(v, **fmt) for v in values]

    for r in tpl.application_rows:
        if r.subtotal:
            if subtotals and T.group_items(tpl, r.group):
                items = [tables["applications"][i] for i in T.group_items(tpl, r.group)]
                apps.append((r.code, [r.label, *printed(sum(_n(v[j]) for v in items) for j in range(7))]))
            continue
        label = r.label.split(" ")[-1] if subtotals and r.group else r.label
        apps.append((r.code, [label, *printed(tables["applications"][r.code])]))
    review = [(None, ["行政复议", "行政诉讼"]),
              (None, ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"]),
              (None, ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2),
              ("review_litigation", [_fmt(v, **fmt) for g in T.REVIEW_GROUPS
                                     for v in tables["review_litigation"][g.code]])]
    return {"active_disclosure": active, "applications": apps, "review_litigation": review}


def table_rows(tables: dict, tpl: T.Template, org_subtotal: bool = False, subtotals: bool = False,
               **fmt) -> dict[str, list[list[str]]]:
    """The three tables as rows of printed cells, headers included, in template order.

    `org_subtotal` prints a 小计 column after the five organisation columns; `subtotals` prints each
    group's total row (（三）不予公开 …) above its items.
    """
    coded = coded_rows(tables, tpl, org_subtotal, subtotals, **fmt)
    return {name: [row for _, row in rows] for name, rows in coded.items()}


def render_rows(rows: list[list[str]], layout: str, footer: str = "- 4 -") -> list[str]:
    """A table's rows as text lines in one layout (`space_rows` puts a page footer in the middle)."""
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
                out.append(footer)  # a PDF page footer inside the table
        else:
            raise ValueError(layout)
    return out


_render_rows = render_rows  # the name the tests knew


def render(title: str, tables: dict, template: str = "2021", layout: str = "tab_rows", **fmt) -> str:
    """A whole report as text in one layout: title, narrative, the three tables, closing sections."""
    tpl = T.template(template)
    rows = table_rows(tables, tpl, **fmt)
    lines = [title, "", "一、总体情况", "本年度共收到政府信息公开申请若干件，行政许可事项办理情况良好。", "",
             "二、主动公开政府信息情况"]
    lines += render_rows(rows["active_disclosure"], layout)
    lines += ["", "三、收到和处理政府信息公开申请情况"]
    lines += render_rows(rows["applications"], layout)
    lines += ["", "四、政府信息公开行政复议、行政诉讼情况"]
    lines += render_rows(rows["review_litigation"], layout)
    lines += ["", "五、存在的主要问题及改进情况", "一是公开质量有待提高。", "", "六、其他需要报告的事项", "无。"]
    return "\n".join(lines) + "\n"


def html_rows(rows: list[list[str]], table: str) -> list[str]:
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


_html_rows = html_rows


def render_html(title: str, tables: dict, template: str = "2021", site: str = "测试县人民政府网站",
                index_no: str = "000014349/2024-11355", date: str = "2024-01-20", **fmt) -> str:
    """A whole report as a CMS page: navigation, a metadata table first, then the report's tables."""
    tpl = T.template(template)
    rows = table_rows(tables, tpl, **fmt)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}_{site}</title>",
             "<style>td{border:1px solid}</style><script>var x = '行政复议 第二十条';</script></head><body>",
             "<div class='nav'><a href='/'>首页</a> &gt; 政务公开 &gt; 年报</div>",
             f"<table class='meta'><tr><td>索引号</td><td>{index_no}</td></tr>",
             f"<tr><td>标题</td><td>{title}</td></tr><tr><td>发布日期</td><td>{date}</td></tr></table>",
             f"<div class='article'><h1>{title}</h1><p>一、总体情况</p><p>本年度工作情况良好。</p>",
             "<p>二、主动公开政府信息情况</p><table>", *html_rows(rows["active_disclosure"], "active"), "</table>",
             "<p>三、收到和处理政府信息公开申请情况</p><table>", *html_rows(rows["applications"], "applications"),
             "</table>", "<p>四、政府信息公开行政复议、行政诉讼情况</p><table>",
             *html_rows(rows["review_litigation"], "review"), "</table>",
             "<p>五、存在的主要问题及改进情况</p><p>无。</p></div></body></html>"]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Merged-cell grids (DOCX and PDF tables): (row, col, text, rowspan, colspan) per printed cell
# ---------------------------------------------------------------------------------------------
_LEVEL = (re.compile(r"^[一二三四五六七八九十]、"), re.compile(r"^（[一二三四五六七八九十]）"), re.compile(r"^\d+\."))
Placed = tuple[int, int, str, int, int]


def place(spec: list[list[tuple[str, int, int]]], ncols: int) -> list[Placed]:
    """Rows of (text, rowspan, colspan) → (row, col, text, rowspan, colspan), skipping cells already spanned."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(spec):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, text, rs, cs))
            taken |= {(r + i, c + j) for i in range(rs) for j in range(cs)}
            c += cs
        if c > ncols:
            raise ValueError(f"row {row!r} is wider than {ncols} columns")
    return out


def label_parts(label: str) -> list[tuple[int, str]]:
    """'（三）不予公开 1.属于国家秘密' → [(1, '（三）不予公开'), (2, '1.属于国家秘密')]."""
    parts = []
    for p in label.split(" "):
        level = next((i for i, rx in enumerate(_LEVEL) if rx.match(p)), None)
        if level is None:
            raise ValueError(f"label part without a list marker: {p!r}")
        parts.append((level, p))
    return parts


def _applications_spec(rows: list[list[str]]) -> list[list[tuple[str, int, int]]]:
    """Table 三 with its real merges: three label columns, 三、本年度办理结果 and each （N） group merged down.

    A data row printed with fewer than seven value cells (a glued row) has its last cell spanning the rest.
    """
    corner, applicant = rows[0]
    natural, org, total = rows[1]
    spec = [[(corner, 3, 3), (applicant, 1, 7)], [(natural, 2, 1), (org, 1, 5), (total, 2, 1)],
            [(t, 1, 1) for t in rows[2]]]
    data = rows[3:]
    parts = [label_parts(r[0]) for r in data]
    # How many rows below each label start inherit it (a vertical merge): until a row restarts that level or above.
    for i, (row, ps) in enumerate(zip(data, parts)):
        cells = []
        for k, (level, text) in enumerate(ps):
            span = 1
            for later in parts[i + 1:]:
                if later[0][0] <= level:
                    break
                span += 1
            cs = 3 - level if k == len(ps) - 1 else 1  # the deepest label runs to the value columns
            cells.append((text, span, cs))
        values = [(v, 1, 1) for v in row[1:]]
        if 0 < len(values) < 7:
            values[-1] = (values[-1][0], 1, 8 - len(values))
        spec.append(cells + values)
    return spec


def grids_from_rows(rows: dict[str, list[list[str]]]) -> dict[str, tuple[int, list[Placed]]]:
    """The three tables (rows as `table_rows` prints them, default columns) as (ncols, placed cells)."""
    active_cols = max(len(r) for r in rows["active_disclosure"])
    active = [[(c, 1, 1) for c in r[:-1]] + [(r[-1], 1, active_cols - len(r) + 1)] for r in rows["active_disclosure"]]
    rv = rows["review_litigation"]
    values = [(t, 1, 1) for t in rv[3]]
    if len(values) < 15:
        values[-1] = (values[-1][0], 1, 16 - len(values))
    review = [[(rv[0][0], 1, 5), (rv[0][1], 1, 10)],
              [(t, 2, 1) for t in rv[1][:5]] + [(rv[1][5], 1, 5), (rv[1][6], 1, 5)],
              [(t, 1, 1) for t in rv[2]],
              values]
    return {"active_disclosure": (active_cols, place(active, active_cols)),
            "applications": (10, place(_applications_spec(rows["applications"]), 10)),
            "review_litigation": (15, place(review, 15))}


def report_grids(truth: dict) -> dict[str, tuple[int, list[Placed]]]:
    """The three tables of a truth-shaped report as (ncols, placed cells), with the merges real reports print."""
    return grids_from_rows(table_rows(truth, T.template(str(truth["template"]))))


def report_blocks(truth: dict) -> list[tuple[str, str]]:
    """The report in reading order, as `render()` lays it out: ('p', text) and ('table', name) blocks."""
    out = [("p", truth["title"]), ("p", ""), ("p", "一、总体情况"),
           ("p", "本年度共收到政府信息公开申请若干件，行政许可事项办理情况良好。"), ("p", "")]
    for name in T.TABLES:
        out += [("p", HEADINGS[name]), ("table", name), ("p", "")]
    out += [("p", "五、存在的主要问题及改进情况"), ("p", "一是公开质量有待提高。"), ("p", ""),
            ("p", "六、其他需要报告的事项"), ("p", "无。")]
    return out
