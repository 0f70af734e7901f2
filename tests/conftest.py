"""Shared fixtures: the seed and devset reports with their hand-checked truth, parsed once per session."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SEEDS = sorted((DATA / "seeds").glob("*.txt"))


def truth_of(path: Path) -> dict:
    """The truth file of a seed or devset report, in the canonical shape of REPORT_TEMPLATE.md."""
    t = path.parent / "truth" / (path.stem + ".json")
    if not t.exists():
        t = path.parent.parent / "truth" / (path.stem + ".json")
    d = json.loads(t.read_text(encoding="utf-8"))
    if "active" in d and "active_disclosure" not in d:  # older truth files name table 二 "active"
        d["active_disclosure"] = d.pop("active")
    return d


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    return SEEDS


@pytest.fixture(scope="session")
def parsed_seeds():
    """The five seeds parsed together: nianbao.batch.Parsed (reports, cells, failures, objects)."""
    from nianbao.batch import parse_many

    return parse_many([(str(p), p.name) for p in SEEDS], workers=1, keep=True)
