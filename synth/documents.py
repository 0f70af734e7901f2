"""A report as a document: title, narrative sections 一–六 around the tables, in txt, md, HTML or blocks.

The narrative states the report's own figures (applications received, review and litigation cases,
documents published), as real reports do; its numbers stay in sections 一, 五 and 六. Sections 五
and 六 never mention 行政复议, so a report whose table 四 is missing has no heading to find there.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from html import escape

from nianbao import template as T
from synth.render import coded_rows, html_rows, render_rows
from synth.bodies import Body
from synth.faults import Fault, Style

SECTION_4 = ("四、政府信息公开行政复议、行政诉讼情况", "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况")
SECTION_5 = ("五、存在的主要问题及改进情况", "五、存在问题及改进情况", "五、政府信息公开工作存在的主要问题及改进情况")
HEADINGS = {"active_disclosure": "二、主动公开政府信息情况", "applications": "三、收到和处理政府信息公开申请情况"}
PROBLEMS = (
    "一是政策解读形式不够丰富，图表图解、音视频解读占比不高；二是主动公开的及时性、规范性有待加强。",
    "个别栏目更新不及时，依申请公开答复文书的规范性还需提升，工作人员业务能力有待进一步提高。",
    "政务公开工作人员多为兼职，专业培训不足；公开内容的深度和广度与群众期待还有差距。",
)
IMPROVEMENTS = (
    "下一步，将丰富解读形式，加强重点领域信息公开，强化业务培训，不断提升政务公开质效。",
    "将进一步完善工作机制，压实工作责任，及时更新栏目内容，规范依申请公开办理流程。",
    "持续开展网站自查，健全信息发布审核制度，推动政务公开标准化规范化建设。",
)
MANAGEMENT = (
    "严格落实信息发布保密审查制度，坚持“先审查、后公开”和“一事一审”原则，全年未发生泄密事件。",
    "定期开展政务公开栏目巡查，及时清理过期信息，对已公开信息实行动态管理。",
)
PLATFORM = (
    "充分发挥政府网站第一平台作用，优化栏目设置，同步利用政务新媒体发布信息，拓宽公开渠道。",
    "依托政府信息公开专栏和政务服务大厅查阅点，方便群众查阅获取政府信息。",
)
SUPERVISION = (
    "将政务公开工作纳入年度绩效考核，加强日常督促指导，全年开展业务培训2次。",
    "健全社会评议和责任追究制度，畅通监督渠道，主动接受社会监督。",
)


@dataclass(frozen=True)
class Page:
    """Everything around the tables: title and publishing details, narrative paragraphs, headings."""

    title: str
    publisher: str
    site: str  # the website's name
    date: str  # publication date, YYYY-MM-DD
    url: str
    intro: list[str]
    general: list[str]  # section 一, lines (subheadings and paragraphs)
    section4: str
    section5: str
    problems: list[str]
    other: list[str]  # section 六


def make_title(rng: random.Random, body: Body, year: int) -> str:
    x = rng.random()
    if x < 0.72:
        return f"{body.name}{year}年政府信息公开工作年度报告"
    if x < 0.84:
        return f"{body.name}{year}年度政府信息公开工作年度报告"
    if x < 0.94:
        return f"{body.name} {year} 年政府信息公开工作年度报告"
    return f"{body.name}关于{year}年政府信息公开工作年度报告"


def make_page(rng: random.Random, body: Body, year: int, template: str, truth: dict, narrative: dict) -> Page:
    """The narrative of one report (deterministic given the generator)."""
    title = make_title(rng, body, year)
    month = rng.randint(1, 3)
    date = f"{year + 1}-{month:02d}-{rng.randint(1, 28 if month != 1 else 31):02d}"
    stamp = f"{year + 1}{month:02d}"
    url = f"http://www.{body.division.code}.gov.cn/zwgk/zfxxgknb/{stamp}/t{stamp}{body.no:06d}.html"
    doc_no = "国办公开办函〔2021〕30号" if template == "2021" else "国办公开办函〔2019〕60号"
    intro = [f"根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》"
             f"（{doc_no}）要求，编制本报告。本报告所列数据统计期限自{year}年1月1日起至{year}年12月31日止。"
             f"本报告电子版可在{body.site}查阅或下载。如对本报告有疑问，请与{body.name}办公室联系。"]
    act = truth["active_disclosure"]
    docs = sum(v or 0 for v in (act.get("normative_documents", {}).get("issued"),
                                act.get("normative_documents", {}).get("new_made")) if isinstance(v, int))
    published = rng.randint(20, 400) * (10 if body.kind == "government" else 1)
    general = ["（一）主动公开",
               f"{year}年，本机关通过政府网站主动公开政府信息{published}条，其中制发行政规范性文件{docs}件，"
               "重点领域信息公开及时准确。",
               "（二）依申请公开",
               f"全年共收到政府信息公开申请{narrative['applications_received']}件，均在法定期限内予以答复。"]
    if rng.random() < 0.5:
        general.append(f"全年因政府信息公开被申请行政复议{narrative['review_cases']}件，"
                       f"被提起行政诉讼{narrative['litigation_cases']}件。")
    general += ["（三）政府信息管理", rng.choice(MANAGEMENT), "（四）平台建设", rng.choice(PLATFORM),
                "（五）监督保障", rng.choice(SUPERVISION)]
    fee_yuan = rng.choice((0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 50, 100))
    other = ["本年度未收取信息处理费。" if fee_yuan == 0 else f"本年度共收取信息处理费{fee_yuan}元。", "无其他需要报告的事项。"]
    section5 = rng.choices(SECTION_5, (6, 2, 2))[0]
    return Page(title, body.name, body.site, date, url, intro, general, rng.choice(SECTION_4), section5,
                [rng.choice(PROBLEMS), rng.choice(IMPROVEMENTS)], other)


# ---------------------------------------------------------------------------------------------
# the tables as printed rows
# ---------------------------------------------------------------------------------------------
def _digits(cell: str) -> str:
    return cell.replace(",", "")


def printed_rows(printed: dict, template: str, style: Style, fault: Fault | None) -> dict[str, list[list[str]]]:
    """The three tables as rows of printed cells (a glued row's numbers joined into one cell)."""
    coded = coded_rows(printed, T.template(template), style.org_subtotal, style.subtotals, **style.fmt())
    glued = (fault.table, fault.row) if fault is not None and fault.kind == "glued_row" else None
    out: dict[str, list[list[str]]] = {}
    for name, rows in coded.items():
        lines = []
        for code, row in rows:
            if glued is not None and glued[0] == name and code == (glued[1] or "review_litigation"):
                if name == "review_litigation":
                    row = ["".join(_digits(c) for c in row)]
                else:
                    row = [row[0], "".join(_digits(c) for c in row[1:])]
            lines.append(row)
        out[name] = lines
    return out


def _tables_shown(fault: Fault | None) -> tuple[str, ...]:
    missing = fault.table if fault is not None and fault.kind == "missing_table" else None
    return tuple(t for t in T.TABLES if t != missing)


# ---------------------------------------------------------------------------------------------
# formats
# ---------------------------------------------------------------------------------------------
def text(page: Page, rows: dict, style: Style, fault: Fault | None, crawler: bool, markdown: bool = False) -> str:
    """txt (any text layout) or md: optional crawler header, title, narrative, headings, tables."""
    h = "## " if markdown else ""
    lines: list[str] = []
    if crawler:
        lines += [f"标题: {page.title}", f"发布时间: {page.date} 09:30", f"发布机构: {page.publisher}",
                  f"原文链接: {page.url}", "==================== 正文 ====================",
                  "当前位置：首页 > 政务公开 > 政府信息公开年报", ""]
    lines += [("# " if markdown else "") + page.title, "", *page.intro, "", h + "一、总体情况"]
    lines += [("### " if markdown and ln.startswith("（") else "") + ln for ln in page.general]
    shown = _tables_shown(fault)
    layout = style.layout
    for name in shown:
        heading = page.section4 if name == "review_litigation" else HEADINGS[name]
        lines += ["", h + heading]
        lines += render_rows(rows[name], layout, footer=f"- {2 + T.TABLES.index(name)} -")
    lines += ["", h + page.section5, *page.problems, "", h + "六、其他需要报告的事项", *page.other]
    return "\n".join(lines) + "\n"


_NAV = ("首页", "政务公开", "政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报",
        "政务服务", "互动交流", "走进本地", "专题专栏", "政策解读", "新闻动态")


def html(page: Page, rows: dict, style: Style, fault: Fault | None, rng: random.Random) -> str:
    """A CMS page: head with CSS and JS, navigation, breadcrumbs, a metadata table, then the article."""
    t = escape(page.title)
    site = escape(page.site)
    nav = "".join(f"<li><a href='/col/{i}/index.html'>{n}</a></li>" for i, n in enumerate(_NAV))
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{t}_{site}</title>",
           "<link rel='stylesheet' href='/css/main.css'><style>.article td{border:1px solid #000;padding:2px}"
           ".nav li{display:inline}</style>",
           "<script>var _hmt=_hmt||[];var pageInfo={col:'政府信息公开年报',tags:'行政复议 第二十条'};</script>",
           "</head><body>", f"<div class='top'><a href='/'>{site}</a></div><ul class='nav'>{nav}</ul>",
           "<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/col/1/'>政务公开</a> &gt; 政府信息公开年报</div>",
           "<table class='meta'>",
           f"<tr><td>索引号：</td><td>{page.url[-18:-5]}/{page.date[:4]}-{page.date[5:7]}</td>"
           f"<td>发布机构：</td><td>{escape(page.publisher)}</td></tr>",
           f"<tr><td>标题：</td><td colspan='3'>{t}</td></tr>",
           f"<tr><td>发布日期：</td><td>{page.date}</td><td>文号：</td><td></td></tr></table>"]
    layout_table = rng.random() < 0.2  # old CMS: the article sits in a layout table
    if layout_table:
        out.append("<table width='100%' class='layout'><tr><td>")
    out.append(f"<div class='article'><h1>{t}</h1>")
    out += [f"<p>{escape(p)}</p>" for p in page.intro]
    out.append("<p><strong>一、总体情况</strong></p>")
    out += [f"<p>{escape(p)}</p>" for p in page.general]
    br = rng.random() < 0.3
    for name in _tables_shown(fault):
        heading = page.section4 if name == "review_litigation" else HEADINGS[name]
        out.append(f"<p><strong>{heading}</strong></p>")
        body = "\n".join(html_rows(rows[name], "applications" if name == "applications" else name))
        if br:  # headers broken over lines inside their cells
            body = body.replace(">社会公益组织<", ">社会公益<br/>组织<").replace(">法律服务机构<", ">法律服务<br/>机构<")
        out.append(f"<table class='report' border='1' cellspacing='0'>\n{body}\n</table>")
    out.append(f"<p><strong>{page.section5}</strong></p>")
    out += [f"<p>{escape(p)}</p>" for p in page.problems]
    out.append("<p><strong>六、其他需要报告的事项</strong></p>")
    out += [f"<p>{escape(p)}</p>" for p in page.other]
    out.append("</div>")
    if layout_table:
        out.append("</td></tr></table>")
    out.append("<div class='footer'>主办单位：" + escape(page.publisher) + " 网站标识码：" + page.url[11:17]
               + " <a href='/sitemap.html'>网站地图</a></div></body></html>")
    return "\n".join(out) + "\n"


def blocks(page: Page, fault: Fault | None) -> list[tuple[str, str]]:
    """The report in reading order for DOCX and PDF: ('p', text) and ('table', name) blocks."""
    out = [("p", page.title), ("p", ""), *[("p", x) for x in page.intro], ("p", "一、总体情况")]
    out += [("p", x) for x in page.general]
    for name in _tables_shown(fault):
        out += [("p", page.section4 if name == "review_litigation" else HEADINGS[name]), ("table", name)]
    out += [("p", page.section5), *[("p", x) for x in page.problems], ("p", "六、其他需要报告的事项"),
            *[("p", x) for x in page.other]]
    return out
