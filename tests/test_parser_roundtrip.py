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
@given(data=st.data(), thousands=st.booleans(), fullwidth=st.booleans())
def test_render_parse_round_trip(layout, template, data, thousands, fullwidth):
    t = data.draw(tables(template))
    year = 2020 if template == "2019" else 2023
    text = render(f"测试县人民政府{year}年政府信息公开工作年度报告", t, template, layout,
                  thousands=thousands and layout != "space_rows", fullwidth=fullwidth)
    rep = parse_text(text, "x.txt")
    got = rep.tables_json()
    assert rep.template == template
    assert rep.year == year
    assert rep.body == "测试县人民政府"
    want = expected_json(t)
    for table in want:
        assert got[table] == want[table], table
