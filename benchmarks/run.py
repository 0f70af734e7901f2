"""`make bench`: figures, never assertions. Parse throughput per format, contract validation, load time.

Writes benchmarks/results.json and prints a table. Each format's corpus is built from the bundled
fixtures (the seeds and the devset; DOCX and PDF generated from the seed truths as in the tests), so
the figures are measured on the same reports in every format. Throughput is per core: one process.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from contracts.validate import validate  # noqa: E402
from nianbao.batch import parse_many  # noqa: E402
from nianbao.decode import decode  # noqa: E402
from nianbao.formats import detect  # noqa: E402
from nianbao.parsers import parse_bytes, to_text  # noqa: E402

DATA = REPO / "tests" / "data"


def median_time(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def corpora() -> dict[str, list[bytes]]:
    """Reports per format, as bytes in memory (reading from disk is not what is measured)."""
    seeds = sorted((DATA / "seeds").glob("*.txt"))
    out = {
        "txt": [p.read_bytes() for p in seeds],
        "md": [(DATA / "devset" / "raw" / "003.md").read_bytes()],
        "glued": [(DATA / "devset" / "raw" / n).read_bytes() for n in ("006.txt", "012.txt")],
    }
    from render import render_html
    from test_parser_docx import _truth, build_docx

    truths = [_truth(p) for p in seeds]
    out["html"] = [(DATA / "devset" / "raw" / "002.html").read_bytes()] + [
        render_html(t["title"], t, "2021").encode() for t in truths]
    out["docx"] = [build_docx(t) for t in truths]
    try:
        from test_parser_pdf import build_pdf

        out["pdf"] = [build_pdf(t) for t in truths]
    except ImportError:  # reportlab missing: no PDF figure
        pass
    return out


def throughput(docs: list[bytes], fn, target_s: float = 1.0) -> float:
    """Documents per second of fn over the corpus, repeated to run about target_s."""
    fn(docs[0])
    t = time.perf_counter()
    for d in docs:
        fn(d)
    once = max(time.perf_counter() - t, 1e-6)
    rounds = max(1, int(target_s / once))
    t = median_time(lambda: [fn(d) for _ in range(rounds) for d in docs])
    return rounds * len(docs) / t


def floor(fmt: str):
    """Just getting at the text: decoding, or the format library's own read, with no table logic."""
    def f(data: bytes):
        kind = detect(data)
        if kind in ("text", "markdown"):
            return decode(data)
        if kind == "html":
            from selectolax.lexbor import LexborHTMLParser

            return LexborHTMLParser(decode(data)).body.text()
        return to_text(data, kind)  # DOCX XML walk / pdfium text: the library read is the whole floor
    return f


def main() -> int:
    results: dict = {"parse_per_core": {}, "floor_per_core": {}}
    for fmt, docs in corpora().items():
        results["parse_per_core"][fmt] = round(throughput(docs, lambda d: parse_bytes(d, "x")), 1)
        results["floor_per_core"][fmt] = round(throughput(docs, floor(fmt)), 1)

    seeds = sorted((DATA / "seeds").glob("*.txt"))
    items = [(str(p), f"{i:05d}/{p.name}") for i in range(400) for p in seeds]  # 2,000 reports
    n = len(items)
    all_cores = median_time(lambda: parse_many(items, workers=os.cpu_count()), repeat=1)
    parsed = parse_many(items, workers=os.cpu_count())
    val = median_time(lambda: validate(parsed.reports, parsed.cells))
    load = median_time(lambda: subprocess.run([sys.executable, "-c", "import pipeline.definitions"], cwd=REPO,
                                              check=True))
    results.update({
        "parse_all_cores_per_s": {"txt": round(n / all_cores, 1), "reports": n},
        "validate_s": {"pandera_polars": round(val, 3), "reports": n},
        "code_location_load_s": round(load, 2),
        "machine": {"cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
                    "python": platform.python_version(), "polars": pl.__version__, "date": date.today().isoformat()},
    })
    (REPO / "benchmarks" / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"{'format':8} {'parse (reports/s/core)':>24} {'floor (docs/s/core)':>21} {'parse/floor':>12}")
    for fmt, v in results["parse_per_core"].items():
        fl = results["floor_per_core"][fmt]
        print(f"{fmt:8} {v:24,.0f} {fl:21,.0f} {v / fl:12.2f}")
    print(f"\ntext parse on all {os.cpu_count()} cores: {n / all_cores:,.0f} reports/s ({n} reports, incl. pool start-up)")
    print(f"contracts over {n} reports: {val:.3f} s")
    print(f"code location import: {load:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
