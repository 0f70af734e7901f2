"""Which year partitions are up to date, so that a run re-does only the years whose inputs changed.

A year's outputs (violations, Data Docs, datasets, rollups, the year page) are a function of its parsed
reports, of the year before's (the history rules and the cross-year reading of glued stock rows look one
year back) and of the code of the year stages. Its *basis* is a hash of those three: every column of the
year's parsed_reports rows but the cell segment (so a changed file, a new parser, a manifest edit all
count), the same of the year before, and `YEAR_CODE`. After a year is materialised its basis is recorded
in `<warehouse>/.year_basis.json` with the size and modification time of its output files; a later
`nianbao run` skips a year whose basis is unchanged and whose outputs are on disk as that run left them.
The Dagster UI can always re-materialise any year.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from assets.partitions import key_of
from assets.warehouse import Warehouse
from nianbao.atomic import write_text_atomic
from nianbao.version import hash_modules

_ROOT = Path(__file__).resolve().parents[1]
# the code behind a year's outputs: the rules, the year stages, and what they read (conservative: any
# module of the runtime packages but the pipeline's jobs, sensors and CLI)
YEAR_CODE = hash_modules(_ROOT, ("contracts/*.py", "assets/*.py", "nianbao/*.py", "nianbao/parsers/*.py",
                                 "nianbao/data/*.py"))
BASIS_FILE = ".year_basis.json"
# one file per year that a finished year always has (the last stages of the year's run write the others)
OUTPUTS = ("violations", "reports", "active_disclosure", "applications", "review_litigation", "rollup_province",
           "rollup_national", "comparisons", "comparisons_stock", "comparisons_bodies", "coverage")


def _row_digests(reports: pl.DataFrame) -> dict[str, int]:
    """Per year key: an order-independent digest of its parsed_reports rows (segment excluded)."""
    if not reports.height:
        return {}
    rows = reports.drop("segment", strict=False)
    h = rows.hash_rows()  # fixed default seeds: the same rows give the same hashes (for one polars version)
    per = (pl.DataFrame({"year": rows["year"], "h": h}).group_by("year")
           .agg(pl.col("h").sum(), n=pl.len()))
    return {key_of(y): (int(s) << 32) ^ int(n) for y, s, n in per.iter_rows()}


def year_bases(reports: pl.DataFrame) -> dict[str, str]:
    """Year key → basis (see the module docstring) of every year in parsed_reports."""
    digests = _row_digests(reports)
    out = {}
    for key, d in digests.items():
        before = digests.get(str(int(key) - 1)) if key.isdigit() else None
        out[key] = hashlib.sha256(f"{YEAR_CODE}|{d}|{before}".encode()).hexdigest()[:16]
    return out


def _recorded(warehouse: Warehouse) -> dict[str, dict]:
    path = warehouse.state(BASIS_FILE)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _outputs(warehouse: Warehouse, key: str) -> dict[str, list[int]] | None:
    """name → [size, mtime_ns] of the year's output files; None when one is missing."""
    out = {}
    for name in OUTPUTS:
        try:
            st = warehouse.year_path(name, key).stat()
        except OSError:
            return None
        out[name] = [st.st_size, st.st_mtime_ns]
    return out


def stale_years(warehouse: Warehouse, reports: pl.DataFrame) -> list[str]:
    """The years of parsed_reports to materialise: basis changed or never recorded, or an output file
    missing or touched since (written by something else than the year's run, e.g. by hand)."""
    recorded = _recorded(warehouse)
    stale = []
    for key, b in year_bases(reports).items():
        was = recorded.get(key)
        if not isinstance(was, dict) or was.get("basis") != b or was.get("outputs") != _outputs(warehouse, key):
            stale.append(key)
    return sorted(stale)


def record(warehouse: Warehouse, reports: pl.DataFrame, years: list[str]) -> None:
    """Record the basis and output files of `years` (just materialised); forget years no longer parsed."""
    bases = year_bases(reports)
    kept = {k: v for k, v in _recorded(warehouse).items() if k in bases}
    kept.update({k: {"basis": bases[k], "outputs": _outputs(warehouse, k)} for k in years if k in bases})
    write_text_atomic(json.dumps(dict(sorted(kept.items())), indent=1) + "\n", warehouse.state(BASIS_FILE))
