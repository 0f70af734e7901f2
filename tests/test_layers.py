"""The layers point one way: nianbao (reading files) ← contracts (rules, the judge) ← assets (Dagster
definitions, warehouse, resources) ← pipeline (jobs, sensors, CLI); the runtime never imports synth."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# synth (the synthetic and hazard corpora, and their renderers) serves tests and benchmarks only
FORBIDDEN = {"nianbao": ("dagster", "pandera", "contracts", "assets", "pipeline", "synth"),
             "contracts": ("dagster", "assets", "pipeline", "synth"),
             "assets": ("pipeline", "synth")}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_one_above_it(layer):
    bad = {str(p.relative_to(REPO)): sorted(_imports(p) & set(FORBIDDEN[layer]))
           for p in (REPO / layer).rglob("*.py")}
    assert {k: v for k, v in bad.items() if v} == {}
