"""The rules' version: a hash of the code that judges a report (`contracts/`, and the template, cell policy and
frames it judges through). A year's violations and datasets keep the rows of a report whose content, parser
and rules versions are unchanged; the Dagster assets that hold them carry it as their `code_version`."""
from __future__ import annotations

import hashlib
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
RULE_MODULES = ("contracts/*.py", "nianbao/template.py", "nianbao/cells.py", "nianbao/frames.py")


def rules_version(root: Path = _ROOT) -> str:
    """The hash of the rule modules under `root` (the repository; a copy of it in the tests)."""
    h = hashlib.sha256()
    for p in sorted({p for pattern in RULE_MODULES for p in root.glob(pattern)}):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


RULES_VERSION = rules_version()
