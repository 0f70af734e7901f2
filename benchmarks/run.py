"""`make bench`: figures, never assertions. Parse throughput, contract validation time, code-location load time.

Writes benchmarks/results.json and prints a table. The corpus is the bundled seeds, replicated; a
synthetic national-scale corpus comes with `nianbao synth` (see the scale issue).
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
sys.path.insert(0, str(REPO))

from contracts.validate import validate  # noqa: E402
from nianbao.batch import parse_batch, parse_many  # noqa: E402
from nianbao.decode import decode  # noqa: E402


def median_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    seeds = sorted((REPO / "tests" / "data" / "seeds").glob("*.txt"))
    items = [(str(p), f"{i:05d}/{p.name}") for i in range(400) for p in seeds]  # 2,000 reports
    n = len(items)
    floor = median_of(lambda: [decode(Path(p).read_bytes()) for p, _ in items])
    one_core = median_of(lambda: parse_batch(items))
    all_cores = median_of(lambda: parse_many(items, workers=os.cpu_count()), repeat=1)
    parsed = parse_many(items, workers=os.cpu_count())
    val = median_of(lambda: validate(parsed.reports, parsed.cells))
    load = median_of(lambda: subprocess.run([sys.executable, "-c", "import pipeline.definitions"], cwd=REPO,
                                            check=True), repeat=3)
    results = {
        "corpus": f"{n} text reports (the seeds, replicated)",
        "parse_per_core": {"txt": round(n / one_core, 1)},
        "floor_per_core": {"txt": round(n / floor, 1)},
        "parse_all_cores_per_s": round(n / all_cores, 1),
        "validate_s": {"pandera_polars": round(val, 3), "reports": n},
        "code_location_load_s": round(load, 2),
        "machine": {"cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
                    "python": platform.python_version(), "polars": pl.__version__, "date": date.today().isoformat()},
    }
    (REPO / "benchmarks" / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"{'figure':38} value")
    print(f"{'read+decode floor (reports/s/core)':38} {results['floor_per_core']['txt']:,.0f}")
    print(f"{'text parse (reports/s/core)':38} {results['parse_per_core']['txt']:,.0f}")
    print(f"{'text parse, all cores (reports/s)':38} {results['parse_all_cores_per_s']:,.0f}")
    print(f"{'contracts over all reports (s)':38} {val:.3f}  ({n} reports)")
    print(f"{'code location import (s)':38} {load:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
