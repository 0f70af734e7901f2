"""Accuracy on the hazard corpus: figures, never assertions.

Generates `--count` documents (default 500, every format, every hazard of REPORT_TEMPLATE.md's two hazard
sections; `synth.hazards`, deterministic for `--seed`), parses each one with the project's parser
and prints, per format and overall: truth cells read exactly (strict), wrong numbers (a number that is not
the printed one: the figure that must stay 0), and how many documents got the right year, title and body
where the document prints them.

    .venv/bin/python benchmarks/hazards.py [--count 500] [--seed 1] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nianbao.formats import detect  # noqa: E402
from nianbao.parsers import extract, parse_bytes  # noqa: E402
from synth import hazards as H  # noqa: E402


def _num(v):
    if v is None:
        return None
    s = str(v).replace(",", "")
    return Decimal(s[:-1]) / 10000 if s.endswith("元") else Decimal(s)


def _cells(truth: dict):
    for item, cols in truth["active_disclosure"].items():
        for col, v in cols.items():
            yield ("active_disclosure", item, col), v
    for table in ("applications", "review_litigation"):
        for row, vals in truth[table].items():
            for j, v in enumerate(vals):
                yield (table, row, j), v


def score(corpus: Path) -> dict:
    n, good, wrong = Counter(), Counter(), Counter()
    meta = Counter()
    for t in sorted((corpus / "truth").glob("*.json")):
        truth = json.loads(t.read_text(encoding="utf-8"))
        raw = next((corpus / "raw").glob(t.stem + ".*"))
        fmt = raw.suffix.lstrip(".")
        got = parse_bytes(raw.read_bytes(), raw.name, str(raw))
        tables = got.tables_json()
        for (table, row, col), v in _cells(truth):
            try:
                g = tables[table][row][col]
            except (KeyError, IndexError, TypeError):
                g = None  # a row the parser did not give (not found): absent, not wrong
            n[fmt] += 1
            if _num(g) == _num(v):
                good[fmt] += 1
            elif g is not None:
                wrong[fmt] += 1
        meta["docs"] += 1
        meta["year"] += got.year == truth["year"]
        if truth.get("title"):
            meta["titled"] += 1
            meta["title"] += got.title == truth["title"]
        data = raw.read_bytes()
        if truth.get("body") and truth["body"] in extract(data, detect(data, raw.name), raw.name).text:
            meta["named"] += 1
            meta["body"] += got.body == truth["body"]
    return {"cells": dict(n), "strict": dict(good), "wrong": dict(wrong), "meta": dict(meta)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="write the corpus here (raw/, truth/) instead of a temporary folder")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(a.keep or Path(tmp) / "hazards")
        H.generate(str(out), a.count, seed=a.seed)
        r = score(out)
    n, good, wrong = r["cells"], r["strict"], r["wrong"]
    print(f"hazard corpus: {a.count} documents, seed {a.seed}")
    print(f"{'format':8} {'cells':>8} {'strict':>8} {'wrong':>6}")
    for fmt in sorted(n):
        print(f"{fmt:8} {n[fmt]:8,} {good.get(fmt, 0) / n[fmt]:8.2%} {wrong.get(fmt, 0):6}")
    tot, ok, bad = sum(n.values()), sum(good.values()), sum(wrong.values())
    print(f"{'all':8} {tot:8,} {ok / tot:8.2%} {bad:6}")
    m = r["meta"]
    print(f"year right {m.get('year', 0)}/{m['docs']}; title right {m.get('title', 0)}/{m.get('titled', 0)} "
          f"(documents with a title); body right {m.get('body', 0)}/{m.get('named', 0)} (documents that name it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
