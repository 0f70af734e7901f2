"""The report template, once: tables, rows, columns, codes, label variants and identities (2019 and 2021).

Everything that knows what a 年度报告 table looks like reads it from here: the parsers look labels up
in it, the contracts build their rules from its identities, the JSON form and the Parquet schemas
take their keys and column order from it, and the docs are generated from it (`describe()`).

Label patterns are regular expressions matched against *normalised* text (see `normalise`): NFKC
(full-width digits and brackets become ASCII), all whitespace removed. Adding a label variant is a
one-line change to a pattern below.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

TEMPLATES = ("2021", "2019")
TABLES = ("active_disclosure", "applications", "review_litigation")

_PUNCT = str.maketrans({"“": '"', "”": '"', "〔": "[", "〕": "]", "．": ".", "｡": ".", "，": ",", "、": "、"})


_LIST_NUMBER = re.compile(r"(?<![\d.])(\d{1,2})、")


# The full-width forms a sentence is mostly printed with, and their NFKC forms (each its compatibility
# decomposition, an ASCII character)
_FULL_WIDTH = (("，", ","), ("：", ":"), ("；", ";"), ("（", "("), ("）", ")"), ("？", "?"), ("！", "!"),
               ("\u3000", " "))


def nfkc(line: str) -> str:
    """`unicodedata.normalize("NFKC", line)`, several times faster for a line whose only compatibility
    characters are common full-width punctuation: those are replaced by their decompositions, and when
    what is left is already in NFKC, it is the line's NFKC (the decomposition of both is the same)."""
    s = line
    for wide, narrow in _FULL_WIDTH:
        if wide in s:
            s = s.replace(wide, narrow)
    return s if unicodedata.is_normalized("NFKC", s) else unicodedata.normalize("NFKC", line)


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """NFKC, unify quotes and dots, drop every whitespace character: the form labels are matched in.

    A list number is written "1." whether printed "1." or "1、"."""
    # (whitespace dropped by str.split, whose whitespace is that of the regex \s, at C speed)
    s = "".join(nfkc(text).translate(_PUNCT).split())
    return _LIST_NUMBER.sub(r"\1.", s) if "、" in s else s


@dataclass(frozen=True)
class Column:
    """One column of a table: its code, printed label, label pattern and value kind."""

    code: str
    label: str
    pattern: str
    kind: str = "count"  # count | decimal | signed


@dataclass(frozen=True)
class Row:
    """One row (or item) of a table: code, printed label, label pattern, and its place in the identities."""

    code: str
    label: str
    pattern: str
    group: str | None = None  # denied | unavailable | not_processed | other
    subtotal: bool = False  # printed group total, not part of the template proper
    columns: tuple[Column, ...] = ()  # table 二 only: the item's own columns


@dataclass(frozen=True)
class Template:
    """One template year: the rows and columns of the three tables."""

    name: str
    active_items: tuple[Row, ...]
    application_rows: tuple[Row, ...]
    outcome_rows: tuple[str, ...]
    header_pattern: str  # table 二 column header that identifies this template

    @property
    def application_codes(self) -> tuple[str, ...]:
        """Row codes of table 三 in template order (subtotal rows excluded)."""
        return tuple(r.code for r in self.application_rows if not r.subtotal)

    def active_fields(self) -> tuple[tuple[str, str], ...]:
        """(item, column) pairs of table 二 in template order."""
        return tuple((i.code, c.code) for i in self.active_items for c in i.columns)


# ---------------------------------------------------------------------------------------------
# Table 二: active disclosure
# ---------------------------------------------------------------------------------------------
_ISSUED = Column("issued", "本年制发件数", r"本年制发件数")
_REPEALED = Column("repealed", "本年废止件数", r"本年废止件数")
_IN_FORCE = Column("in_force", "现行有效件数", r"现行有效件数")
_DECISIONS = Column("decisions", "本年处理决定数量", r"(本年)?处理决定数量")
_FEE_AMOUNT = Column("amount_10k_yuan", "本年收费金额（单位：万元）", r"本年收费金额", kind="decimal")

_NEW_MADE = Column("new_made", "本年新制作数量", r"本年新制作数量")
_NEW_PUBLISHED = Column("new_published", "本年新公开数量", r"本年新公开数量")
_TOTAL_PUBLISHED = Column("total_published", "对外公开总数量", r"对外公开总数量")
_PREVIOUS = Column("previous_items", "上一年项目数量", r"上一年项目数量")
_CHANGE = Column("change", "本年增/减", r"本年增[/／]?减", kind="signed")
_PROJECTS = Column("projects", "采购项目数量", r"采购项目数量")
_AMOUNT = Column("amount", "采购总金额", r"采购总金额", kind="decimal")

_REGULATIONS = r"(?<!行政)(?<!规范性文件)规章$"
_NORMATIVE = r"(行政)?规范性文件$"

ACTIVE_2021 = (
    Row("regulations", "规章", _REGULATIONS, columns=(_ISSUED, _REPEALED, _IN_FORCE)),
    Row("normative_documents", "行政规范性文件", _NORMATIVE, columns=(_ISSUED, _REPEALED, _IN_FORCE)),
    Row("licensing", "行政许可", r"行政许可$", columns=(_DECISIONS,)),
    Row("penalty", "行政处罚", r"行政处罚$", columns=(_DECISIONS,)),
    Row("enforcement", "行政强制", r"行政强制$", columns=(_DECISIONS,)),
    Row("fees", "行政事业性收费", r"行政事业性收费$", columns=(_FEE_AMOUNT,)),
)
ACTIVE_2019 = (
    Row("regulations", "规章", _REGULATIONS, columns=(_NEW_MADE, _NEW_PUBLISHED, _TOTAL_PUBLISHED)),
    Row("normative_documents", "规范性文件", _NORMATIVE, columns=(_NEW_MADE, _NEW_PUBLISHED, _TOTAL_PUBLISHED)),
    Row("licensing", "行政许可", r"行政许可$", columns=(_PREVIOUS, _CHANGE, _DECISIONS)),
    Row("other_external_services", "其他对外管理服务事项", r"其他对外管理服务事项$", columns=(_PREVIOUS, _CHANGE, _DECISIONS)),
    Row("penalty", "行政处罚", r"行政处罚$", columns=(_PREVIOUS, _CHANGE, _DECISIONS)),
    Row("enforcement", "行政强制", r"行政强制$", columns=(_PREVIOUS, _CHANGE, _DECISIONS)),
    Row("fees", "行政事业性收费", r"行政事业性收费$", columns=(_PREVIOUS, _CHANGE)),
    Row("procurement", "政府集中采购", r"政府集中采购$", columns=(_PROJECTS, _AMOUNT)),
)

# ---------------------------------------------------------------------------------------------
# Table 三: applications
# ---------------------------------------------------------------------------------------------
APPLICANT_COLUMNS = (
    Column("natural_person", "自然人", r"自然人"),
    Column("commercial_enterprise", "商业企业", r"商业企业"),
    Column("research_institution", "科研机构", r"科研机构"),
    Column("social_welfare_org", "社会公益组织", r"社会公益组织"),
    Column("legal_service_org", "法律服务机构", r"法律服务机构"),
    Column("other_org", "其他", r"其他"),
    Column("total", "总计", r"总计"),
)
ORG_SUBTOTAL = Column("org_subtotal", "法人或其他组织小计", r"小计")
ORG_COLUMNS = ("commercial_enterprise", "research_institution", "social_welfare_org", "legal_service_org", "other_org")
APPLICANT_CODES = tuple(c.code for c in APPLICANT_COLUMNS)  # the seven printed in every report
APPLICANTS = APPLICANT_CODES[:-1]  # the six that add up to `total`

_L = r"(?:^|[.、)]|\d)"  # what may stand before an item label: start, a list marker, a bracket
_ROWS_HEAD = (
    Row("new_received", "一、本年新收政府信息公开申请数量", r"本年新收"),
    Row("carried_over", "二、上年结转政府信息公开申请数量", r"上年结转"),
    Row("granted", "三、本年度办理结果 （一）予以公开", r"(?<!不)予以公开$"),
    Row("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", r"部分公开"),
    Row("denied_subtotal", "（三）不予公开", r"\(三\)不予公开$", group="denied", subtotal=True),
    Row("denied_state_secret", "（三）不予公开 1.属于国家秘密", r"国家秘密$", group="denied"),
    Row("denied_prohibited_by_law", "2.其他法律行政法规禁止公开", r"法律行政法规禁止公开$", group="denied"),
    Row("denied_security_stability", "3.危及“三安全一稳定”", r"三安全一稳定\"?$", group="denied"),
    Row("denied_third_party_rights", "4.保护第三方合法权益", r"第三方合法权益$", group="denied"),
    Row("denied_internal_affairs", "5.属于三类内部事务信息", r"内部事务信息$", group="denied"),
    Row("denied_process_information", "6.属于四类过程性信息", r"过程性信息$", group="denied"),
    Row("denied_enforcement_files", "7.属于行政执法案卷", r"行政执法案卷$", group="denied"),
    Row("denied_administrative_query", "8.属于行政查询事项", r"行政查询事项$", group="denied"),
    Row("unavailable_subtotal", "（四）无法提供", r"\(四\)无法提供$", group="unavailable", subtotal=True),
    Row("unavailable_not_held", "（四）无法提供 1.本机关不掌握相关政府信息", r"不掌握相关政府信息$", group="unavailable"),
    Row("unavailable_needs_creation", "2.没有现成信息需要另行制作", r"另行制作$", group="unavailable"),
    Row("unavailable_unclear", "3.补正后申请内容仍不明确", r"仍不明确$", group="unavailable"),
    Row("not_processed_subtotal", "（五）不予处理", r"\(五\)不予处理$", group="not_processed", subtotal=True),
    Row("not_processed_complaint", "（五）不予处理 1.信访举报投诉类申请", r"信访举报投诉类申请$", group="not_processed"),
    Row("not_processed_duplicate", "2.重复申请", r"重复申请$", group="not_processed"),
    Row("not_processed_publication", "3.要求提供公开出版物", r"公开出版物$", group="not_processed"),
    Row("not_processed_excessive", "4.无正当理由大量反复申请", r"大量反复申请$", group="not_processed"),
    Row("not_processed_confirmation", "5.要求行政机关确认或重新出具已获取信息", r"重新出具已获取信息$", group="not_processed"),
)
_ROWS_TAIL = (
    Row("total_processed", "（七）总计", r"\(七\)总计$|^总计$"),
    Row("carried_forward", "四、结转下年度继续办理", r"结转下年度继续办理$"),
)
_OTHER_2021 = (
    Row("other_subtotal", "（六）其他处理", r"\(六\)其他(处理)?$", group="other", subtotal=True),
    Row("other_overdue_correction", "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        r"逾期不补正.*不再处理其政府信息公开申请$", group="other"),
    Row("other_unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        r"缴纳费用.*不再处理其政府信息公开申请$", group="other"),
    Row("other_misc", "3.其他", r"(?<!\(六\))(?:^|3\.)其他$", group="other"),
)
_OTHER_2019 = (Row("other_processing", "（六）其他处理", r"\(六\)其他(处理)?$"),)

APPLICATIONS_2021 = _ROWS_HEAD + _OTHER_2021 + _ROWS_TAIL
APPLICATIONS_2019 = _ROWS_HEAD + _OTHER_2019 + _ROWS_TAIL

# ---------------------------------------------------------------------------------------------
# Table 四: review and litigation
# ---------------------------------------------------------------------------------------------
REVIEW_GROUPS = (
    Row("review", "行政复议", r"行政复议"),
    Row("litigation_direct", "行政诉讼 未经复议直接起诉", r"未经复议直接起诉"),
    Row("litigation_after_review", "行政诉讼 复议后起诉", r"复议后起诉"),
)
REVIEW_COLUMNS = (
    Column("upheld", "结果维持", r"结果维持"),
    Column("corrected", "结果纠正", r"结果纠正"),
    Column("other", "其他结果", r"其他结果"),
    Column("pending", "尚未审结", r"尚未审结"),
    Column("total", "总计", r"总计"),
)
REVIEW_CODES = tuple(c.code for c in REVIEW_COLUMNS)

_OUTCOMES_2021 = tuple(
    r.code for r in APPLICATIONS_2021 if not r.subtotal and r.code not in
    ("new_received", "carried_over", "total_processed", "carried_forward")
)
_OUTCOMES_2019 = tuple(
    r.code for r in APPLICATIONS_2019 if not r.subtotal and r.code not in
    ("new_received", "carried_over", "total_processed", "carried_forward")
)

TEMPLATE_2021 = Template("2021", ACTIVE_2021, APPLICATIONS_2021, _OUTCOMES_2021, r"本年制发件数|现行有效件数|本年废止件数")
TEMPLATE_2019 = Template("2019", ACTIVE_2019, APPLICATIONS_2019, _OUTCOMES_2019, r"本年新制作数量|对外公开总数量|上一年项目数量")
BY_NAME = {"2021": TEMPLATE_2021, "2019": TEMPLATE_2019}

# The identity printed in table 三's corner cell, per column: inflow = outflow.
BALANCE_IN = ("new_received", "carried_over")
BALANCE_OUT = ("total_processed", "carried_forward")
SUBTOTAL_GROUPS = ("denied", "unavailable", "not_processed", "other")

# Every active-disclosure field of both templates, with its kind, in a fixed column order.
ACTIVE_COLUMNS: tuple[Column, ...] = tuple(
    {c.code: c for t in (ACTIVE_2021, ACTIVE_2019) for item in t for c in item.columns}.values()
)


def template(name: str) -> Template:
    """The template called `name` ("2021" or "2019")."""
    return BY_NAME[str(name)]


@lru_cache(maxsize=None)
def compiled(pattern: str) -> re.Pattern[str]:
    """A compiled label pattern (cached)."""
    return re.compile(pattern)


@lru_cache(maxsize=None)
def literals(pattern: str) -> tuple[str, ...]:
    """Plain CJK runs of which every match of `pattern` contains at least one: a cheap test before the regex.

    Empty when the pattern has alternatives or optional parts that make that unsafe."""
    if "|" in pattern or "?" in pattern.replace("(?<", "").replace("(?:", ""):
        return ()
    runs = re.findall(r"[\u4e00-\u9fff]{2,}", re.sub(r"\(\?<!?[^)]*\)", "", pattern))
    return (max(runs, key=len),) if runs else ()


def group_items(tpl: Template, group: str) -> tuple[str, ...]:
    """The item rows of a subtotal group, in template order."""
    return tuple(r.code for r in tpl.application_rows if r.group == group and not r.subtotal)


def subtotal_row(group: str) -> str:
    """The code of a group's printed subtotal row."""
    return f"{group}_subtotal"


def describe() -> str:
    """The template as Markdown tables (the docs are generated from this)."""
    out = []
    for tpl in (TEMPLATE_2021, TEMPLATE_2019):
        out.append(f"## Template {tpl.name}\n\n### active_disclosure\n\n| item | label | columns |\n|---|---|---|")
        for item in tpl.active_items:
            cols = ", ".join(f"`{c.code}` {c.label}" for c in item.columns)
            out.append(f"| `{item.code}` | {item.label} | {cols} |")
        out.append("\n### applications\n\n| row | label | kind |\n|---|---|---|")
        for r in tpl.application_rows:
            out.append(f"| `{r.code}` | {r.label} | {'subtotal (when printed)' if r.subtotal else 'outcome' if r.code in tpl.outcome_rows else 'flow'} |")
        out.append("\nColumns: " + ", ".join(f"`{c.code}` {c.label}" for c in APPLICANT_COLUMNS)
                   + f"; optional `{ORG_SUBTOTAL.code}` {ORG_SUBTOTAL.label}.\n")
    out.append("## review_litigation (both templates)\n\nGroups: " + ", ".join(f"`{g.code}` {g.label}" for g in REVIEW_GROUPS)
               + ".\nColumns: " + ", ".join(f"`{c.code}` {c.label}" for c in REVIEW_COLUMNS) + ".\n")
    return "\n".join(out)


@dataclass(frozen=True)
class Cell:
    """The address of one cell: table, row (item/group) and column codes."""

    table: str
    row: str
    column: str


@lru_cache(maxsize=256)
def expected_cells(tpl: Template, extra_rows: tuple[str, ...] = (), org_subtotal: bool = False) -> tuple[Cell, ...]:
    """Every cell a report of this template must print, in canonical order (plus printed extras)."""
    cells = [Cell("active_disclosure", item, col) for item, col in tpl.active_fields()]
    cols = APPLICANT_CODES + ((ORG_SUBTOTAL.code,) if org_subtotal else ())
    for r in tpl.application_rows:
        if r.subtotal and r.code not in extra_rows:
            continue
        cells += [Cell("applications", r.code, c) for c in cols]
    cells += [Cell("review_litigation", g.code, c) for g in REVIEW_GROUPS for c in REVIEW_CODES]
    return tuple(cells)

