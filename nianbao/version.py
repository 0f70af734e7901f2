"""The parser's version: a hash of the code that turns a file into cells.

A cached parse is reused only when both the file's content hash and this version match, so changing the
parser (or the template) re-parses everything, and nothing else does.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

_HERE = Path(__file__).parent


def _version() -> str:
    h = hashlib.sha256()
    for p in sorted([*_HERE.glob("*.py"), *_HERE.glob("parsers/*.py"), *_HERE.glob("data/*.py")]):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


PARSER_VERSION = _version()
