"""Property: any table, rendered to any text layout of the spec, parses back to the same cells."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao import template as T
from nianbao.parsers.text import parse_text
from render import LAYOUTS, render

COUNT = st.one_of(st.integers(0, 9), st.integers(0, 2_000_000), st.none())  # None renders as a placeholder "—"
SIGNED = st.one_of(st.integers(-500, 500), st.none())


def column_strategy(col: T.Column):
    if col.kind == "decimal":
        return st.one_of(st.integers(0, 10**6).map(lambda n: Decimal(n) / 1000), st.none())
    return SIGNED if col.kind == "signed" else COUNT


@st.composite
def tables(draw, template: str):
    tpl = T.template(template)
    active = {i.code: {c.code: draw(column_strategy(c)) for c in i.columns} for i in tpl.active_items}
    apps = {r.code: [draw(COUNT) for _ in T.APPLICANT_CODES] for r in tpl.application_rows if not r.subtotal}
    review = {g.code: [draw(COUNT) for _ in T.REVIEW_CODES] for g in T.REVIEW_GROUPS}
    return {"active_disclosure": active, "applications": apps, "review_litigation": review}


def expected_json(t: dict) -> dict:
    """What the parser must give back: placeholders are null, decimals exact."""
    def v(x):
        if isinstance(x, Decimal):
            return int(x) if x == x.to_integral_value() else format(x.normalize(), "f")
        return x
    return {
        "active_disclosure": {i: {c: v(x) for c, x in cols.items()} for i, cols in t["active_disclosure"].items()},
        "applications": {r: [v(x) for x in vals] for r, vals in t["applications"].items()},
        "review_litigation": {g: [v(x) for x in vals] for g, vals in t["review_litigation"].items()},
    }


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("template", T.TEMPLATES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), thousands=st.booleans(), fullwidth=st.booleans(), org=st.booleans(), subtotals=st.booleans())
def test_render_parse_round_trip(layout, template, data, thousands, fullwidth, org, subtotals):
    t = data.draw(tables(template))
    year = 2020 if template == "2019" else 2023
    text = render(f"测试县人民政府{year}年政府信息公开工作年度报告", t, template, layout, org_subtotal=org,
                  subtotals=subtotals, thousands=thousands and layout != "space_rows", fullwidth=fullwidth)
    rep = parse_text(text, "x.txt")
    got = rep.tables_json()
    assert rep.template == template
    assert rep.year == year
    assert rep.body == "测试县人民政府"
    want = expected_json(t)
    for table in want:
        apps = {r: v for r, v in got[table].items() if not r.endswith("_subtotal")}
        assert apps == want[table], table
    assert rep.org_subtotal == org
    if org:
        assert got["applications_org_subtotal"]["new_received"] == sum(v or 0 for v in t["applications"]["new_received"][1:6])
    if subtotals:
        denied = [t["applications"][r] for r in T.group_items(T.template(template), "denied")]
        assert got["applications"]["denied_subtotal"][0] == sum(v[0] or 0 for v in denied)


@pytest.mark.parametrize("template", T.TEMPLATES)
@settings(max_examples=15, deadline=None)
@given(data=st.data(), thousands=st.booleans(), fullwidth=st.booleans())
def test_html_page_round_trip(template, data, thousands, fullwidth):
    from nianbao.parsers import parse_bytes
    from render import render_html

    t = data.draw(tables(template))
    year = 2020 if template == "2019" else 2023
    page = render_html(f"测试县人民政府{year}年政府信息公开工作年度报告", t, template, thousands=thousands,
                       fullwidth=fullwidth)
    rep = parse_bytes(page.encode("utf-8"), "x.html")
    assert rep.fmt == "html" and rep.template == template and rep.year == year
    got, want = rep.tables_json(), expected_json(t)
    for table in want:
        assert got[table] == want[table], table
