"""`make bench`: figures, never assertions. Writes benchmarks/results.json and prints one table.

Every figure comes from this run, on corpora generated here by `nianbao synth` (deterministic):
- parse_per_core / floor_per_core: one process, files already in memory, per format, each file parsed
  once per timed round (warm-up on other files); the floor is just decoding the text (or the format
  library's own read, for DOCX and PDF);
- validate_s: the error rules over the same frames (the 100,000-report parse) three ways: the vectorised
  pandera-polars contracts, a per-report Python loop, and Great Expectations (each from the cells frame
  to the failing reports); validate_checks_only_s: pandera's models against the GX suite on the same
  derived frames (the derivation both share left out);
- e2e: `nianbao run` wall time and peak RSS of its process tree at 10,000 and 100,000 txt/html reports;
- stages_s: each run's seconds per stage (inventory, parse, judge, publish, rollups, comparisons (year over
  year, with coverage), data_docs, pages, checks; other = process start, imports and Dagster's own work), from Dagster's step timings;
- incremental: runs after 2% of the files changed, in the latest year only and spread over every year
  (see `incremental`), each as a share of the full run;
- accuracy: on the 10,000 corpus, truth cells read exactly, injected faults detected, false alarms.
Set NIANBAO_BENCH_SIZES=1000,10000 (say) for a quicker, smaller run.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from nianbao.decode import decode  # noqa: E402
from nianbao.formats import detect  # noqa: E402
from nianbao.parsers import parse_bytes, to_text  # noqa: E402
from nianbao.store import CellStore  # noqa: E402

EXE = [sys.executable, "-m", "pipeline.cli"]
SIZES = [int(x) for x in os.environ.get("NIANBAO_BENCH_SIZES", "10000,100000").split(",")]


def synth(out: Path, count: int, formats: str, seed: int = 1, error_rate: float | None = None,
          years: str | None = None) -> Path:
    extra = ([] if error_rate is None else ["--error-rate", str(error_rate)]) + ([] if years is None else ["--years", years])
    subprocess.run([*EXE, "synth", "--count", str(count), "--out", str(out), "--seed", str(seed),
                    "--formats", formats, *extra], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                parents[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/statm") as f:
                rss[int(d)] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    family, frontier = {pid}, [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p and c not in family]
        family.update(kids)
        frontier += kids
    return sum(rss.get(p, 0) for p in family) / 1e6


STAGES = {  # Dagster step → stage of the breakdown (asset checks go to "checks")
    "raw_inventory": "inventory", "parse_reports": "parse", "violations": "judge", "validated_datasets": "publish",
    "rollup_province": "rollups", "rollup_national": "rollups", "data_docs": "data_docs", "year_summary": "pages",
    "comparisons": "comparisons", "coverage": "comparisons",
}


def stage_seconds(home: Path, after: set[str]) -> dict:
    """Seconds per stage of the runs recorded in the Dagster instance at `home` other than `after` (run
    ids of earlier runs), from Dagster's own step timings."""
    from dagster import DagsterInstance

    out = {k: 0.0 for k in (*dict.fromkeys(STAGES.values()), "checks")}
    with DagsterInstance.from_config(str(home)) as instance:
        for r in instance.get_runs():
            if r.run_id in after:
                continue
            for st in instance.get_run_step_stats(r.run_id):
                if st.start_time and st.end_time:
                    out[STAGES.get(st.step_key, "checks")] += st.end_time - st.start_time
    return {k: round(v, 1) for k, v in out.items()}


def run_ids(home: Path) -> set[str]:
    from dagster import DagsterInstance

    if not (home / "dagster.yaml").exists():
        return set()
    with DagsterInstance.from_config(str(home)) as instance:
        return {r.run_id for r in instance.get_runs()}


def timed_run(raw: Path, wh: Path, home: Path) -> dict:
    """`nianbao run` as a subprocess: wall seconds, the peak RSS of its process tree, and the stages."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    before = run_ids(home)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    t = time.perf_counter()
    proc = subprocess.Popen([*EXE, "run", "--raw", str(raw), "--out", str(wh)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(0.25)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    th.join()
    wall = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(f"nianbao run failed ({proc.returncode}):\n{err[-3000:]}")
    stages = stage_seconds(home, before)
    stages["other"] = round(wall - sum(stages.values()), 1)  # process start, imports, Dagster's own work
    return {"wall_s": round(wall, 1), "peak_rss_mb": round(peak[0]), "stages_s": stages}


def throughput(docs: list[bytes], fn, rounds: int = 3) -> float:
    """Documents per second of fn: warm up on the first slice, then time `rounds` passes over disjoint
    slices, each file seen once (a file parsed again would hit the parser's line caches and flatter it);
    the median of the rounds."""
    size = len(docs) // (rounds + 1)
    for d in docs[:size]:
        fn(d)
    times = []
    for r in range(1, rounds + 1):
        part = docs[r * size:(r + 1) * size]
        t = time.perf_counter()
        for d in part:
            fn(d)
        times.append(time.perf_counter() - t)
    return size / statistics.median(times)


def floor(data: bytes):
    kind = detect(data)
    if kind in ("text", "markdown"):
        return decode(data)
    if kind == "html":
        from selectolax.lexbor import LexborHTMLParser

        return LexborHTMLParser(decode(data)).body.text()
    return to_text(data, kind)  # DOCX XML walk / pdfium text: the library read is the whole floor


def per_format(work: Path) -> tuple[dict, dict]:
    # ~400 clean files per format (faults such as a wrong encoding are for the accuracy figures)
    corpus = synth(work / "formats", 2000, "txt,md,html,docx,pdf", seed=2, error_rate=0)
    by: dict[str, list[bytes]] = {}
    for p in sorted((corpus / "raw").rglob("*.*")):
        by.setdefault(p.suffix.lstrip(".").replace("htm", "html").replace("htmll", "html"), []).append(p.read_bytes())
    parse, fl = {}, {}
    for fmt in ("txt", "md", "html", "docx", "pdf"):
        docs = by.get(fmt, [])
        if docs:
            parse[fmt] = round(throughput(docs, lambda d: parse_bytes(d, "x")), 1)
            fl[fmt] = round(throughput(docs, floor), 1)
    return parse, fl


def validation(wh: Path) -> tuple[dict, dict]:
    """The error rules over the same parsed frames, three ways (whole validation, from the cells frame to
    the failing reports), and the checks alone on the same derived frames: pandera's models against the
    GX suite (the derivation, which both share, left out)."""
    import rules_loop

    from contracts import applications as A
    from contracts import cells as C
    from contracts import gx
    from contracts import layout as L
    from contracts import review_litigation as R
    from contracts.runner import failures
    from contracts.validate import validate

    reports = pl.read_parquet(wh / "parsed_reports" / "part-0.parquet")
    cells = CellStore(wh / "parsed_cells").read(reports)
    # warm-up on 200 reports: imports, GX's context, pandera's schema objects are not validation
    few = reports.head(200)
    few_cells = cells.filter(pl.col("report_id").is_in(few["report_id"].implode()))
    validate(few, few_cells), rules_loop.failing(few, few_cells), gx.run(few, few_cells)

    def timed(fn, repeat: int = 1) -> float:
        """Median wall seconds of `repeat` calls."""
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    whole = {"pandera_polars": timed(lambda: validate(reports, cells), 3),
             "python_loop": timed(lambda: rules_loop.failing(reports, cells)),
             "great_expectations": timed(lambda: gx.run(reports, cells))}
    completed, layout = C.completed(reports, cells)
    apps, rl = L.wide_frames(completed, layout)
    ident = A.identity_frame(apps, reports)
    models = [(C.Cells, completed.with_columns(layout.key)), (A.Applications, apps),
              (A.ApplicationIdentities, ident.select("report_id", *A.NAMES)), (R.ReviewLitigation, rl)]
    derived = gx.frames(reports, cells)
    checks = {"pandera_polars": timed(lambda: [failures(m, f) for m, f in models], 3),
              "great_expectations": timed(lambda: gx.run_frames(derived))}
    rnd = lambda d: {k: round(v, 2) for k, v in d.items()}  # noqa: E731
    return {**rnd(whole), "reports": reports.height}, rnd(checks)


def accuracy(corpus: Path, wh: Path) -> dict:
    """Cells read exactly on reports without faults; faults detected with their rule; false alarms."""
    index = pl.read_parquet(wh / "parsed_reports" / "part-0.parquet")
    reports = index.select("report_id", "path")
    cells = CellStore(wh / "parsed_cells").read(index).select("report_id", "table", "row", "column", "status", "value")
    errors = pl.scan_parquet(f"{wh}/violations/**/*.parquet").filter(pl.col("severity") == "error").collect()
    failed = set(pl.read_parquet(wh / "parse_failures" / "part-0.parquet")["path"])
    rule_by_path = errors.join(reports, on="report_id").group_by("path").agg(pl.col("rule").unique())
    rules = dict(zip(rule_by_path["path"], rule_by_path["rule"].to_list()))
    got = {}
    for rid, table, row, col, status, value in cells.iter_rows():
        got[(rid, table, row, col)] = value if status == "value" else None
    ids = dict(zip(reports["path"], reports["report_id"]))
    exact = total = detected = faults = false_alarms = clean = 0
    for tp in sorted((corpus / "truth").glob("*.json")):
        t = json.loads(tp.read_text(encoding="utf-8"))
        path = next((p for p in (f"{t['year']}/{t['source']}", t["source"]) if p in ids or p in failed), None)
        want = set(t.get("errors") or [])
        if want:
            faults += 1
            detected += bool(want <= set(rules.get(path, [])) or (path in failed and t.get("expect") == "failed"))
        elif t.get("expect") == "validated":
            clean += 1
            false_alarms += bool(rules.get(path))
        if t.get("faults") or path not in ids:
            continue
        rid = ids[path]
        for table in ("active_disclosure", "applications", "review_litigation"):
            for row, vals in (t.get(table) or {}).items():
                pairs = vals.items() if isinstance(vals, dict) else zip(
                    ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
                     "legal_service_org", "other_org", "total") if table == "applications" else
                    ("upheld", "corrected", "other", "pending", "total"), vals)
                for col, v in pairs:
                    total += 1
                    g = got.get((rid, table, row, col))
                    exact += (v is None and g is None) or (v is not None and g is not None
                                                           and float(str(v).removesuffix("元")) == float(g))
    return {"cells_exact": round(exact / max(total, 1), 5), "cells": total,
            "faults_detected": round(detected / max(faults, 1), 4), "faults": faults,
            "false_alarms": false_alarms, "clean_reports": clean}


def incremental(work: Path, big: int, full_wall: float) -> dict:
    """Second and third runs on the big corpus's warehouse, each after 2% of the corpus changed:
    - latest_year: 1% of the corpus edited and 1% added, all in the latest reporting year (late and
      corrected reports of the year being collected: the other years are up to date and not run);
    - spread: 1% edited and 1% added across every year (every year is run again, its unchanged reports'
      judgments reused).
    Each with its wall time as a share of the full run."""
    raw = work / f"n{big}" / "raw"
    out = {}
    latest = max(p.name for p in raw.iterdir() if p.name.isdigit())
    n = max(1, big // 100)
    for name, years, pool in (("latest_year", latest, sorted(p for p in (raw / latest).rglob("*") if p.is_file())),
                              ("spread", "2019-2025", sorted(p for p in raw.rglob("*") if p.is_file()))):
        for p in pool[:: max(1, len(pool) // n)][:n]:  # edit n files: one published sentence changes
            p.write_bytes(p.read_bytes().replace("。".encode(), "；".encode(), 1) + b"\n")
        extra = synth(work / f"extra-{name}", n, "txt,html", seed=99 if name == "spread" else 98,
                      years=years)
        shutil.copytree(extra / "raw", raw / f"added-{name}")  # add n files
        r = timed_run(raw, work / f"wh{big}", work / f"home{big}")
        r["ratio"] = round(r["wall_s"] / full_wall, 3)
        out[name] = r
        print(f"incremental ({name}): {r}", flush=True)
    return out


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    results: dict = {}
    try:
        results["parse_per_core"], results["floor_per_core"] = per_format(work)
        results["e2e"] = {}
        for n in SIZES:
            corpus = synth(work / f"n{n}", n, "txt,html")
            results["e2e"][str(n)] = timed_run(corpus / "raw", work / f"wh{n}", work / f"home{n}")
            print(f"e2e {n}: {results['e2e'][str(n)]}", flush=True)
        big, small = max(SIZES), min(SIZES)
        results["accuracy"] = accuracy(work / f"n{small}", work / f"wh{small}")
        results["validate_s"], results["validate_checks_only_s"] = validation(work / f"wh{big}")
        results["incremental"] = incremental(work, big, results["e2e"][str(big)]["wall_s"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"] = {"cores": os.cpu_count(), "cpu": _cpu(), "python": platform.python_version(),
                          "polars": pl.__version__, "date": date.today().isoformat()}
    (REPO / "benchmarks" / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n{'format':8} {'parse/s/core':>13} {'floor/s/core':>13} {'parse/floor':>12}")
    for fmt, v in results["parse_per_core"].items():
        print(f"{fmt:8} {v:13,.0f} {results['floor_per_core'][fmt]:13,.0f} {v / results['floor_per_core'][fmt]:12.3f}")
    v = results["validate_s"]
    print(f"\nvalidation of {v['reports']:,} reports: pandera-polars {v['pandera_polars']} s, Python loop "
          f"{v['python_loop']} s ({v['python_loop'] / v['pandera_polars']:.1f}×), Great Expectations "
          f"{v['great_expectations']} s ({v['great_expectations'] / v['pandera_polars']:.1f}×)")
    c = results["validate_checks_only_s"]
    print(f"  the checks alone on the same derived frames: pandera-polars {c['pandera_polars']} s, Great Expectations "
          f"{c['great_expectations']} s ({c['great_expectations'] / c['pandera_polars']:.1f}×)")
    for n, e in results["e2e"].items():
        print(f"nianbao run, {int(n):,} reports: {e['wall_s']} s wall, peak RSS {e['peak_rss_mb']} MB")
    if len(SIZES) > 1:
        a, b = results["e2e"][str(min(SIZES))]["wall_s"], results["e2e"][str(max(SIZES))]["wall_s"]
        print(f"time({max(SIZES):,}) / time({min(SIZES):,}) = {b / a:.1f}")
    for n, e in results["e2e"].items():
        print(f"stages at {int(n):,} (s): " + ", ".join(f"{k} {v}" for k, v in e["stages_s"].items()))
    for name, r in results["incremental"].items():
        print(f"incremental run, 2% of files changed ({name}): {r['wall_s']} s = {r['ratio']:.1%} of the full run; "
              "stages: " + ", ".join(f"{k} {v}" for k, v in r["stages_s"].items()))
    print(f"accuracy: {results['accuracy']}")
    return 0


def _cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    sys.exit(main())
