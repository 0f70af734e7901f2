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


@pytest.fixture(scope="session")
def seeds(parsed_seeds):
    """(reports, cells) frames of the five parsed seeds."""
    return parsed_seeds.reports, parsed_seeds.cells


@pytest.fixture(scope="session")
def ids(parsed_seeds) -> dict[str, str]:
    """Seed prefix ("000" …) → report_id."""
    import altered

    return {p.name[:3]: altered.seed_id(parsed_seeds.reports, p.name[:3]) for p in SEEDS}


@pytest.fixture(scope="session")
def base(seeds):
    """The validation of the five unaltered seeds."""
    import altered

    return altered.run(*seeds)
