"""The rules' version: a hash of the code that judges a report (`contracts/`, and the template, cell policy and
frames it judges through). A year's violations and datasets keep the rows of a report whose content, parser
and rules versions are unchanged; the Dagster assets that hold them carry it as their `code_version`."""
from __future__ import annotations

from pathlib import Path

from nianbao.version import hash_modules

_ROOT = Path(__file__).resolve().parents[1]
RULE_MODULES = ("contracts/*.py", "nianbao/template.py", "nianbao/cells.py", "nianbao/frames.py")


def rules_version(root: Path = _ROOT) -> str:
    """The hash of the rule modules under `root` (the repository; a copy of it in the tests)."""
    return hash_modules(root, RULE_MODULES)


RULES_VERSION = rules_version()
