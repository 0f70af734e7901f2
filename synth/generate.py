"""Generate a synthetic corpus: raw report files, their truth JSON, and a manifest.

Layout of the output folder::

    DIR/raw/<year>/<id>.<ext>     the reports (txt, md, html, docx, pdf)
    DIR/truth/<id>.json           what a correct parser reads, the faults injected, the expected outcome
    DIR/manifest.csv              file, body, region_code, year, template, format, expect (sorted by file)

Deterministic: the plan of bodies and years comes from one `random.Random` seeded with --seed, and
each body's reports from its own generator seeded with (seed, body number), so the same arguments
give byte-identical files whatever the number of worker processes.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from synth.render import LAYOUTS, grids_from_rows
from synth import documents as D
from synth import faults as F
from synth.bodies import Body, plan
from synth.values import BodyFigures, template_for

FORMATS = ("txt", "md", "html", "docx", "pdf")
DEFAULT_FORMATS = ("txt", "html", "md")
MANIFEST_FIELDS = ("file", "body", "region_code", "year", "template", "format", "expect")
BLANK_SHARE = 0.06  # reports that leave zero cells blank
CRAWLER_SHARE = 0.25  # txt reports with a crawler header (标题/发布时间/原文链接) before the title


@dataclass(frozen=True)
class Options:
    count: int
    out: str
    seed: int = 0
    error_rate: float = 0.02
    formats: tuple[str, ...] = DEFAULT_FORMATS
    years: tuple[int, ...] = tuple(range(2019, 2026))
    workers: int = 0  # 0: one per core
    gaps: bool = False  # also generate layouts the parser is known to fail on (faults.GAPS)
    blank_share: float = BLANK_SHARE  # reports that print (some of) their zero cells blank


@dataclass
class Summary:
    reports: int = 0
    bodies: int = 0
    formats: Counter = field(default_factory=Counter)
    years: Counter = field(default_factory=Counter)
    expect: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)


def parse_years(spec: str) -> tuple[int, ...]:
    """'2019-2025', '2021,2023' or '2023' → sorted years."""
    years: set[int] = set()
    try:
        for part in spec.split(","):
            part = part.strip()
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                years.update(range(min(a, b), max(a, b) + 1))
            elif part:
                years.add(int(part))
    except ValueError:
        years = set()
    if not years or min(years) < 2008 or max(years) > 2100:
        raise ValueError(f"--years {spec!r}: give years such as 2019-2025 or 2021,2023")
    return tuple(sorted(years))


def parse_formats(spec: str) -> tuple[str, ...]:
    fmts = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in spec.split(",") if f.strip()))
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ValueError(f"--formats {spec!r}: choose from {', '.join(FORMATS)}")
    return fmts


# ---------------------------------------------------------------------------------------------
# one report
# ---------------------------------------------------------------------------------------------
def _style(rng: random.Random, fmt: str) -> F.Style:
    layout = {"txt": None, "md": "markdown", "html": "html", "docx": "docx", "pdf": "pdf"}[fmt] or rng.choice(LAYOUTS)
    grid = fmt in ("docx", "pdf")
    org = not grid and rng.random() < 0.08
    subtotals = not grid and rng.random() < 0.08
    thousands = layout not in ("space_rows", "pdf") and rng.random() < 0.1
    fullwidth = fmt != "pdf" and rng.random() < 0.04
    return F.Style(layout, org, subtotals, thousands, fullwidth)


def _blank_token(rng: random.Random, layout: str, gaps: bool) -> str:
    empty_ok = F.EMPTY_OK + (F.EMPTY_GAP if gaps else ())
    if layout in empty_ok and rng.random() < 0.5:
        return ""
    return rng.choice(F.PDF_PLACEHOLDERS if layout == "pdf" else F.PLACEHOLDERS)


def _encode(text: str, fault: F.Fault | None) -> bytes:
    if fault is None or fault.kind != "encoding":
        return text.encode("utf-8")
    if fault.detail == "gb18030":
        return text.replace("charset='utf-8'", "charset='gb2312'").encode("gb18030")
    data = text.encode("utf-8")
    if fault.detail == "mojibake":  # UTF-8 read as Latin-1 and saved again as UTF-8
        return data.decode("latin-1").encode("utf-8")
    return bytes(b ^ 0x20 if b >= 0x80 else b for b in data)  # garbage: every non-ASCII byte bit-flipped


def _render(fmt: str, rng: random.Random, page: D.Page, printed: dict, template: str, style: F.Style,
            fault: F.Fault | None, gaps: bool = False) -> tuple[bytes, dict]:
    rows = D.printed_rows(printed, template, style, fault)
    extra: dict = {}
    if fmt in ("txt", "md"):
        crawler = fmt == "txt" and rng.random() < CRAWLER_SHARE
        extra["crawler_header"] = crawler
        return _encode(D.text(page, rows, style, fault, crawler, markdown=fmt == "md"), fault), extra
    if fmt == "html":
        return _encode(D.html(page, rows, style, fault, rng), fault), extra
    blocks, grids = D.blocks(page, fault), grids_from_rows(rows)
    if fmt == "docx":
        from synth.docx import build_docx

        return build_docx(blocks, grids), extra
    from reportlab.platypus.doctemplate import LayoutError

    from synth.pdf import build_pdf

    tight = rng.random() < 0.5
    rules = rng.choices(("GRID", "BOX", ""), (7, 2, 1))[0]
    pad = F.PDF_TIGHT_PAD_GAP if gaps and rng.random() < 0.5 else F.PDF_TIGHT_PAD
    try:
        data = build_pdf({}, tight=tight, rules=rules, blocks=blocks, grids=grids, pad=pad if tight else 3)
    except LayoutError:  # a tight table whose merged rows cannot fit one portrait page: print it roomy
        tight = False
        data = build_pdf({}, tight=tight, rules=rules, blocks=blocks, grids=grids)
    extra.update(tight=tight, rules=rules or "none", **({"padding": pad} if tight else {}))
    return data, extra


def _body_reports(body: Body, years: list[int], opts: Options) -> list[dict]:
    """Generate and write one body's series; the manifest rows, with the fault kinds."""
    rng = random.Random(f"nianbao-synth/{opts.seed}/{body.no}")
    figures = BodyFigures(body, rng)
    out_dir = Path(opts.out)
    rows = []
    for year in years:
        template = template_for(year, rng)
        rep = figures.report(year, template)
        fmt = rng.choice(opts.formats)
        style = _style(rng, fmt)
        truth = {"active_disclosure": rep.active_disclosure, "applications": rep.applications,
                 "review_litigation": rep.review_litigation}
        printed = F.printed_tables(truth, figures.plus_sign)
        token = _blank_token(rng, style.layout, opts.gaps)
        if rng.random() < opts.blank_share:
            share = 1.0 if rng.random() < 0.5 else 0.3
            if F.blank_zeros(rng, printed, token, share, opts.gaps):
                style = replace(style, blank=token or "empty", blank_share=share)
        fault = None
        if rng.random() < opts.error_rate:
            for _ in range(3):
                fault = F.inject(rng, printed, fmt, token)
                if fault is not None:
                    break
        expect, errors, warnings = F.judge(printed, template, year, style, fault)
        page = D.make_page(rng, body, year, template, truth, rep.narrative)
        data, extra = _render(fmt, rng, page, printed, template, style, fault, opts.gaps)
        rid = f"{body.no:06d}-{year}"
        name = f"{rid}.{fmt}"
        (out_dir / "raw" / str(year) / name).write_bytes(data)
        record = {
            "source": name, "title": page.title, "body": body.name, "body_type": body.kind,
            "region": body.division.region(), "year": year, "template": template, "format": fmt,
            "layout": {"layout": style.layout, "org_subtotal": style.org_subtotal, "subtotals": style.subtotals,
                       "thousands": style.thousands, "fullwidth": style.fullwidth, "blank": style.blank,
                       "blank_share": style.blank_share, **extra},
            **F.truth_of_printed(printed),
            "narrative": rep.narrative,
            "faults": [fault.as_json()] if fault else [],
            "expect": expect, "errors": errors, "warnings": warnings,
        }
        (out_dir / "truth" / f"{rid}.json").write_text(
            json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        rows.append({"file": f"raw/{year}/{name}", "body": body.name, "region_code": body.division.code,
                     "year": year, "template": template, "format": fmt, "expect": expect,
                     "_fault": fault.kind if fault else None})
    return rows


def _run_chunk(chunk: list[tuple[Body, list[int]]], opts: Options) -> list[dict]:
    return [row for body, years in chunk for row in _body_reports(body, years, opts)]


# ---------------------------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------------------------
def generate(opts: Options) -> Summary:
    """Write `opts.count` reports under `opts.out`; returns counts per format, year, outcome and fault."""
    if opts.count < 0:
        raise ValueError("--count must be ≥ 0")
    if not 0 <= opts.error_rate <= 1:
        raise ValueError("--error-rate must be between 0 and 1")
    if "pdf" in opts.formats:
        from synth.pdf import require_reportlab

        require_reportlab()
    out = Path(opts.out)
    if any(any((out / sub).iterdir()) for sub in ("raw", "truth") if (out / sub).is_dir()):
        raise ValueError(f"--out {out}: already holds a corpus (raw/ or truth/ is not empty), whose files would "
                         "mix with the new ones; choose a new folder or remove it")
    series = plan(random.Random(f"nianbao-synth/{opts.seed}"), opts.count, list(opts.years))
    for year in sorted({y for _, ys in series for y in ys}):
        (out / "raw" / str(year)).mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    workers = opts.workers or os.cpu_count() or 1
    size = 100 if "pdf" not in opts.formats else 10
    chunks = [series[i:i + size] for i in range(0, len(series), size)]
    rows: list[dict] = []
    if workers == 1 or len(chunks) <= 1:
        for chunk in chunks:
            rows += _run_chunk(chunk, opts)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part in pool.map(_run_chunk, chunks, [opts] * len(chunks), chunksize=4):
                rows += part
    rows.sort(key=lambda r: r["file"])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=MANIFEST_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (out / "manifest.csv").write_text(buf.getvalue(), encoding="utf-8")
    s = Summary(reports=len(rows), bodies=len(series))
    for r in rows:
        s.formats[r["format"]] += 1
        s.years[r["year"]] += 1
        s.expect[r["expect"]] += 1
        if r["_fault"]:
            s.faults[r["_fault"]] += 1
    return s
