"""The parser's version: a hash of the code that turns a file into cells, and of nothing else.

A cached parse is reused only when both the file's content hash and this version match. The version
hashes the modules that read files (`PARSE_MODULES`: the format backends and the text parser, the
template, the cell policy, decoding, metadata, regions, the prose's sentence hashes, the parsed record
and its frames, the batch that applies the folder's region), so changing any of them re-parses
everything, and editing anything else (the year pages, the store, the synthetic corpus, the contracts,
the Dagster layer) re-parses nothing.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

_HERE = Path(__file__).parent

# the modules (globs relative to the nianbao package) whose code decides what a file parses to
PARSE_MODULES = ("template.py", "cells.py", "decode.py", "formats.py", "meta.py", "narrative.py", "prose.py",
                 "regions.py", "report.py", "frames.py", "batch.py", "parsers/*.py", "data/*.py")


def hash_modules(root: Path, patterns: tuple[str, ...]) -> str:
    """A short hash of the files under `root` matching `patterns` (globs), their paths and contents."""
    h = hashlib.sha256()
    for p in sorted({p for pattern in patterns for p in root.glob(pattern)}):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def parser_version(root: Path = _HERE) -> str:
    """The hash of the parse modules under `root` (the nianbao package; a copy of it in the tests)."""
    return hash_modules(root, PARSE_MODULES)


PARSER_VERSION = parser_version()
