"""The rule catalogue (REPORT_TEMPLATE.md, "Contracts"): stable ids, severities, what each rule says."""
from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Rule:
    """One contract rule. An error keeps the report out of the validated datasets; a warning does not."""

    id: str
    severity: str
    table: str | None
    text: str
    zh: str = ""  # the rule's short name in Chinese (pages for auditors show it beside the id)
    implemented: bool = True


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("applications.balance", ERROR, "applications",
         "per column: new_received + carried_over = total_processed + carried_forward",
         zh="收支平衡：新收 + 上年结转 = 办理总计 + 结转下年度"),
    Rule("applications.outcomes_sum", ERROR, "applications",
         "per column: the outcome rows (granted … other_misc, or other_processing in 2019) add up to total_processed",
         zh="办理结果之和等于总计"),
    Rule("applications.row_total", ERROR, "applications", "per row: the six applicant columns add up to total",
         zh="行合计：各类申请人之和等于总计"),
    Rule("applications.subtotals", ERROR, "applications",
         "where printed: each group subtotal row equals its items; org_subtotal equals the five organisation columns",
         zh="小计等于其分项之和"),
    Rule("review_litigation.group_total", ERROR, "review_litigation",
         "per group: upheld + corrected + other + pending = total",
         zh="复议诉讼：维持 + 纠正 + 其他 + 尚未审结 = 总计"),
    Rule("values.non_negative_integer", ERROR, None, "every count cell is an integer ≥ 0; the fee amount is ≥ 0",
         zh="数值为非负整数"),
    Rule("structure.tables_present", ERROR, None,
         "all three tables found, every expected cell found (blank is allowed, missing or ambiguous is not)",
         zh="表格齐全、单元格齐全"),
    Rule("values.blank_as_zero", WARNING, None, "blank or placeholder cells were counted as 0",
         zh="空白或占位符按 0 计"),
    Rule("structure.collapsed_group", WARNING, "applications",
         "a group printed as its total only (\u201c（六）其他处理\u201d with one row of values): its rows were not "
         "printed, their cells are null, and identities that need them are not judged",
         zh="分组只印了合计行"),
    Rule("structure.template_year", WARNING, None, "the template does not match the reporting year",
         zh="模板与报告年度不符"),
    Rule("narrative.applications_count", WARNING, "applications",
         "a count stated in sections 一–六 disagrees with the table",
         zh="正文所述申请数与表三不符"),
    Rule("narrative.review_litigation_count", WARNING, "review_litigation",
         "stated 行政复议/行政诉讼 case counts disagree with table 四",
         zh="正文所述复议诉讼案件数与表四不符"),
    Rule("history.carry_over", WARNING, "applications",
         "per column, this year's carried_over ≠ last year's carried_forward for the same body",
         zh="上年结转数与上年报告的结转下年度数不符"),
    Rule("history.stock", WARNING, "active_disclosure",
         "in_force(Y) ≠ in_force(Y−1) + issued(Y) − repealed(Y) for the same body",
         zh="现行有效件数与上年存量及本年增减不符"),
    Rule("history.copied_tables", WARNING, None,
         "every table number identical to the previous year's report",
         zh="各表数字与上年报告完全相同"),
    Rule("identity.duplicate_report", WARNING, None, "two inputs for the same body and year",
         zh="同一机关同一年度有两份报告"),
    Rule("identity.ambiguous_region", WARNING, None,
         "the body's name fits several divisions (鼓楼区, 朝阳区 …) and neither the report, its crawl header, its "
         "folder nor the manifest says which: no region is guessed, and the report stays out of provincial rollups",
         zh="机关名称对应多个行政区划"),
)}

ERROR_RULES = tuple(r.id for r in RULES.values() if r.severity == ERROR)


def severity(rule_id: str) -> str:
    """The severity of a rule id."""
    return RULES[rule_id].severity


def name_zh(rule_id: str) -> str:
    """A rule's Chinese name ("" for an id not in the catalogue)."""
    r = RULES.get(rule_id)
    return r.zh if r else ""


def describe() -> str:
    """The catalogue as a Markdown table (for the docs)."""
    lines = ["| id | severity | rule | status |", "|---|---|---|---|"]
    for r in RULES.values():
        lines.append(f"| `{r.id}` | {r.severity} | {r.text} | {'checked' if r.implemented else 'planned'} |")
    return "\n".join(lines)
