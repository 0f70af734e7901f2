"""The error rules as a plain per-report Python loop: the baseline the vectorised contracts are compared with.

Same inputs (the cells frame, blanks as 0, unknown cells not judged) and the same answer (which reports
break which rule); only the execution differs.
"""
from __future__ import annotations

from collections import defaultdict

import polars as pl

from nianbao import template as T

COUNTED_AS_ZERO = {"blank", "placeholder"}


def failing(reports: pl.DataFrame, cells: pl.DataFrame) -> dict[str, set[str]]:
    """rule id → report ids, computed report by report."""
    templates = dict(zip(reports["report_id"], reports["template"]))
    by_report: dict[str, list[tuple]] = defaultdict(list)
    for row in cells.select("report_id", "table", "row", "column", "status", "value_int", "value").iter_rows():
        by_report[row[0]].append(row[1:])
    out: dict[str, set[str]] = defaultdict(set)
    for rid, rows in by_report.items():
        for rule in check_report(rows, T.template(templates[rid])):
            out[rule].add(rid)
    return dict(out)


def check_report(rows: list[tuple], tpl: T.Template) -> set[str]:
    """The rules one report breaks."""
    broken: set[str] = set()
    val: dict[tuple[str, str, str], int | None] = {}
    for table, row, col, status, vint, value in rows:
        if status == "value":
            v = vint
            if col in ("amount_10k_yuan", "amount"):
                if value is not None and value < 0:
                    broken.add("values.non_negative_integer")
            elif col == "change":
                if vint is None:
                    broken.add("values.non_negative_integer")
            elif vint is None or vint < 0:
                broken.add("values.non_negative_integer")
        elif status in COUNTED_AS_ZERO:
            v = 0
        else:
            v = None
            if status in ("missing", "ambiguous"):
                broken.add("structure.tables_present")
            if status == "invalid":
                broken.add("values.non_negative_integer")
        val[(table, row, col)] = v

    def get(table, row, col):
        return val.get((table, row, col))

    def total(terms):
        vs = [get("applications", r, c) for r, c in terms]
        return None if any(v is None for v in vs) else sum(vs)

    for r in tpl.application_codes:
        six = total([(r, c) for c in T.APPLICANTS])
        t = get("applications", r, "total")
        if six is not None and t is not None and six != t:
            broken.add("applications.row_total")
    for c in T.APPLICANT_CODES:
        inflow, outflow = total([(r, c) for r in T.BALANCE_IN]), total([(r, c) for r in T.BALANCE_OUT])
        if inflow is not None and outflow is not None and inflow != outflow:
            broken.add("applications.balance")
        outcomes, tp = total([(r, c) for r in tpl.outcome_rows]), get("applications", "total_processed", c)
        if outcomes is not None and tp is not None and outcomes != tp:
            broken.add("applications.outcomes_sum")
    for g in T.REVIEW_GROUPS:
        parts = [get("review_litigation", g.code, c) for c in T.REVIEW_CODES[:-1]]
        t = get("review_litigation", g.code, "total")
        if t is not None and all(p is not None for p in parts) and sum(parts) != t:
            broken.add("review_litigation.group_total")
    return broken
