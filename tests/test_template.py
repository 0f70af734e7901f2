"""The template in code: both templates' shapes, and the generated docs kept true."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nianbao import template as T

REPO = Path(__file__).resolve().parents[1]


def test_shapes_of_both_templates():
    assert len(T.TEMPLATE_2021.application_codes) == 25
    assert len(T.TEMPLATE_2019.application_codes) == 23
    assert len(T.APPLICANT_CODES) == 7
    assert len([c for c in T.expected_cells(T.TEMPLATE_2021) if c.table == "applications"]) == 175
    assert len([c for c in T.expected_cells(T.TEMPLATE_2019) if c.table == "applications"]) == 161
    assert len([c for c in T.expected_cells(T.TEMPLATE_2021) if c.table == "review_litigation"]) == 15
    assert [i.code for i in T.TEMPLATE_2019.active_items][-2:] == ["fees", "procurement"]
    assert "other_processing" in T.TEMPLATE_2019.outcome_rows
    assert "other_misc" in T.TEMPLATE_2021.outcome_rows and "other_processing" not in T.TEMPLATE_2021.outcome_rows


def test_label_variants_match_their_row_only():
    rows = T.TEMPLATE_2021.application_rows
    def which(label):
        hits = [r.code for r in rows if T.compiled(r.pattern).search(T.normalise(label))]
        return hits
    assert which("3.其他") == ["other_misc"]
    assert which("（六）其他处理") == ["other_subtotal"]
    assert which("(六) 其他") == ["other_subtotal"]
    assert which("（一）予以公开") == ["granted"]
    assert which("1. 属于国家秘密") == ["denied_state_secret"]
    assert which("（七）总计") == ["total_processed"]


def test_generated_docs_are_up_to_date():
    out = subprocess.run([sys.executable, "-m", "pipeline.cli", "template"], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    assert out.strip() in (REPO / "docs" / "template.md").read_text(encoding="utf-8")
