"""The parser's version hashes only the code that reads files: editing anything else re-parses nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import nianbao
from nianbao.version import PARSER_VERSION, parser_version

PACKAGE = Path(nianbao.__file__).parent


@pytest.fixture()
def copy(tmp_path) -> Path:
    root = tmp_path / "nianbao"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_version_of_the_installed_package():
    assert parser_version() == PARSER_VERSION


@pytest.mark.parametrize("module", ["summary.py", "store.py", "incremental.py", "atomic.py", "manifest.py",
                                    "version.py"])
def test_editing_code_that_reads_no_file_keeps_the_version(copy, module):
    before = parser_version(copy)
    with (copy / module).open("a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    assert parser_version(copy) == before


@pytest.mark.parametrize("module", ["parsers/text.py", "parsers/align.py", "parsers/pdf.py", "template.py", "cells.py",
                                    "meta.py", "regions.py", "data/retired_divisions.py"])
def test_editing_the_parser_changes_the_version(copy, module):
    before = parser_version(copy)
    with (copy / module).open("a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    assert parser_version(copy) != before


def test_assets_carry_the_versions_of_the_code_that_decides_them():
    """The Dagster UI shows an asset as stale when its code_version changes: parse assets follow the parser,
    the judged and published ones the rules."""
    from contracts.version import RULES_VERSION
    from pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    version = {key.to_user_string(): graph.get(key).code_version for key in graph.get_all_asset_keys()}
    for name in ("parsed_reports", "parsed_cells", "parse_failures"):
        assert version[name] == PARSER_VERSION
    for name in ("violations", "reports", "applications"):
        assert version[name] == RULES_VERSION


@pytest.fixture()
def repo_copy(tmp_path) -> Path:
    root = tmp_path / "repo"
    for part in ("contracts", "nianbao", "assets", "pipeline"):
        shutil.copytree(PACKAGE.parent / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.mark.parametrize("module, changes", [("contracts/applications.py", True), ("contracts/narrative.py", True),
                                             ("nianbao/template.py", True), ("assets/validate.py", False),
                                             ("pipeline/alerts.py", False), ("nianbao/summary.py", False),
                                             ("nianbao/parsers/text.py", False)])
def test_rules_version_follows_the_rules_only(repo_copy, module, changes):
    """Editing a rule re-judges without re-parsing (the parser version stays); editing the Dagster layer,
    the alerts or the pages re-judges nothing."""
    from contracts.version import rules_version

    before_rules, before_parser = rules_version(repo_copy), parser_version(repo_copy / "nianbao")
    with (repo_copy / module).open("a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    assert (rules_version(repo_copy) != before_rules) is changes
    if module.startswith("contracts/"):
        assert parser_version(repo_copy / "nianbao") == before_parser
