"""The `nianbao` command line: parse, check, run, template."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def _expand(paths: list[str]) -> list[str]:
    """The files named, a folder standing for every input file in it as the pipeline lists a raw folder
    (`assets.resources.RawReports.files`: hidden files and the manifest left out, sorted by path). A file
    named twice (directly or through a folder) is judged once, with a note on stderr."""
    from assets.resources import RawReports

    out: list[str] = []
    seen: dict[str, str] = {}
    for p in paths:
        for f in ([full for full, _ in RawReports(root=p).files()] if Path(p).is_dir() else [p]):
            same = os.path.realpath(f)
            if same in seen:
                what = "given twice" if f == seen[same] else f"the same file as {seen[same]}"
                print(f"nianbao: {f}: {what}, judged once", file=sys.stderr)
                continue
            seen[same] = f
            out.append(f)
    return out


def _parse_with_violations(files: list[str], workers: int):
    """Parse files (in the order given; a folder: its input files) and judge them together as the pipeline
    judges a folder (`contracts.judge.judge_years`: every rule, narrative and history included, year by year)."""
    import polars as pl

    files = _expand(files)

    from contracts.judge import judge_years, with_resolved
    from nianbao.batch import parse_many, report_id

    parsed = parse_many([(f, f) for f in files], workers=workers, keep=True)
    judged = judge_years(parsed.reports, parsed.cells)
    v = judged.violations
    by_id: dict[str, list[dict]] = {}
    for row in v.drop("source").iter_rows(named=True):
        rid = row.pop("report_id")
        by_id.setdefault(rid, []).append(row)
    # the cells last year's report decided (glued stock rows), as the published datasets have them
    ids = [report_id(r) for r in parsed.reports["path"].to_list()]
    objects = {rid: with_resolved(o, judged.resolved.filter(pl.col("report_id") == rid))
               for rid, o in zip(ids, parsed.objects or [])}
    failures = {r["path"]: r["error"] for r in parsed.failures.iter_rows(named=True)}
    for f in files:
        if f in failures:
            yield f, None, failures[f], []
        else:
            rid = report_id(f)
            yield f, objects[rid], None, by_id.get(rid, [])


# the columns of a violation row `parse --json` leaves out (its shape is read by other programs): the report's
# own fields, and where the culprit cell was printed (`nianbao check` prints it)
LOCATED = ("year", "body", "region_code", "printed", "line", "page")


def _where(v: dict) -> str:
    """Where a finding's culprit cell was printed: ' (printed "12", line 84)' (page for a PDF), or ''."""
    bits = [f'printed "{v["printed"]}"'] * (v.get("printed") is not None) + (
        [f"page {v['page']}"] if v.get("page") is not None else [f"line {v['line']}"] if v.get("line") is not None
        else [])
    return f" ({', '.join(bits)})" if bits else ""


def cmd_parse(a) -> int:
    """Print one JSON object per input file (JSON Lines)."""
    for f, rep, error, violations in _parse_with_violations(a.files, a.workers):
        if rep is None:
            out = {"source": Path(f).name, "error": error}
        else:  # the report's year, body and region are the report's own fields; where cells were read, --cells
            out = rep.to_json([{k: x for k, x in v.items() if k not in LOCATED} for v in violations],
                              with_cells=a.cells)
        print(json.dumps(out, ensure_ascii=False, default=str), flush=False)
    return 0


def _n(count: int, word: str) -> str:
    """'1 error', '2 errors'."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def cmd_check(a) -> int:
    """Print the findings for people; exit 1 when any report has an error (or cannot be parsed)."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())  # piped: one finding per line
    worst = 0
    for f, rep, error, violations in _parse_with_violations(a.files, a.workers):
        name = Path(f).name
        if rep is None:
            console.print(f"[bold red]FAILED[/] {name}: {error}")
            worst = 1
            continue
        errors = [v for v in violations if v["severity"] == "error"]
        warnings = [v for v in violations if v["severity"] != "error"]
        state = "[bold red]QUARANTINED[/]" if errors else "[green]OK[/]"
        console.print(f"{state} {name}  {rep.title or ''} ({rep.year or 'year unknown'}, template {rep.template}): "
                      f"{_n(len(errors), 'error')}, {_n(len(warnings), 'warning')}", soft_wrap=True)
        for v in violations:
            cell = "/".join(x for x in (v["table"], v["row"], v["column"]) if x) or "report"
            numbers = "" if v["expected"] is None else f"expected {v['expected']}, printed {v['actual']}: "
            mark = "[red]error  [/]" if v["severity"] == "error" else "[yellow]warning[/]"
            console.print(f"  {mark} {v['rule']}  {cell}  {numbers}{v['message']}{escape(_where(v))}", soft_wrap=True,
                          highlight=False)
        worst = max(worst, 1 if errors else 0)
    return worst


def cmd_run(a) -> int:
    """Materialise every asset in-process (every year partition), alert about new failures (the configured
    channels; by default the log on stderr) and print a summary."""
    from contracts import gx_process

    gx_process.start()  # GX's import (seconds) runs beside the run's own imports, inventory and parse
    try:
        return _run(a)
    finally:
        gx_process.stop()


def _run(a) -> int:
    from dagster import DagsterInstance
    from rich.console import Console

    from pipeline.definitions import resources
    from assets.resources import dagster_home, raw_default, warehouse_default
    from pipeline.runner import materialize_all

    raw = str(Path(a.raw or raw_default()).resolve())
    out = str(Path(a.out or warehouse_default()).resolve())
    if not Path(raw).is_dir():
        print(f"nianbao run: the raw folder {raw} does not exist or is not a folder", file=sys.stderr)
        return 2
    if _alerts(prog="nianbao") is None:  # a typo in the alert settings is found now, not when an alert is lost
        return 2
    home = dagster_home(out)  # $DAGSTER_HOME, else <out>/.dagster
    console = Console(stderr=True)
    console.print(f"raw reports: {raw}\nwarehouse:   {out}\ndagster:     {home}")
    t0 = time.perf_counter()
    res, instance = resources(raw, out, progress=True, workers=a.workers), DagsterInstance.get()
    from assets.lock import WarehouseBusy

    try:
        s = materialize_all(res, instance, wait=a.wait,
                            on_partition=lambda k: console.print(f"years {k}: validate, publish, roll up (one run)"))
    except WarehouseBusy as e:
        console.print(f"[bold red]nianbao run: {e}[/] (run with --wait to wait for it)", soft_wrap=True)
        return 2
    for run_id in s.killed_runs:
        console.print(f"[yellow]run {run_id} was left started by a killed process: marked failed[/]")
    wall = time.perf_counter() - t0
    res["alerts"].send_after(instance, s.run_ids, res["warehouse"])  # what the alerts sensor would send; never raises
    if not s.success:
        console.print("[bold red]run failed[/]; see the Dagster UI (make ui) for the step that failed")
        return 2
    n = s.counts
    console.print(f"\n[bold]{n['inputs']} files in: {n['validated']} validated, {n['quarantined']} quarantined, "
                  f"{n['failed']} failed[/] ({wall:.1f} s; parsed {s.parse['parsed']}, reused {s.parse['reused']}; "
                  f"years run: {', '.join(s.years) or 'none'}; up to date: {', '.join(s.skipped) or 'none'})")
    if s.unaccounted:
        console.print(f"[bold red]{s.unaccounted} input files are neither validated, quarantined nor failed[/]: "
                      "the warehouse lost them (see the reports:conservation check)")
    failing = [(asset, name, key, e) for asset, name, key, e in s.checks if not e.passed]
    console.print(f"  {len(s.checks)} check evaluations, {len(failing)} not passed")
    for asset, name, key, e in failing:
        kind = "[yellow]warn[/]" if e.severity.value == "WARN" else "[red]FAILED[/]"
        console.print(f"  check {asset}:{name}{f' [{key}]' if key else ''} {kind}")
    print("Parquet outputs (one folder per dataset, a sub-folder per year: 2023/, unknown/):")
    for asset in ("reports", "active_disclosure", "applications", "review_litigation", "violations",
                  "parse_failures", "rollup_province", "rollup_national", "comparisons", "comparisons_stock",
                  "comparisons_bodies", "coverage", "parsed_cells"):
        print(f"  {asset:18} {Path(out) / asset}")
    print(f"read them with: polars.scan_parquet('{res['warehouse'].pattern('<dataset>')}')")
    for label, name in (("year pages (HTML)", "summary"), ("GX Data Docs (HTML)", "data_docs")):
        pages = sorted(str(p) for p in (Path(out) / name).glob("*/index.html"))
        if pages:
            print(f"{label}:")
            for page in pages[:10]:
                print(f"  {page}")
    return 0 if not s.unaccounted and all(e.passed or e.severity.value == "WARN" for *_, e in s.checks) else 1


def _alerts(prog: str):
    """The alert configuration from the environment, or None after printing what is wrong with it (one line
    per problem, secrets redacted)."""
    from pipeline.alerts import AlertConfigError, Alerts

    try:
        alerts = Alerts.from_env()
        problems = alerts.problems()
    except AlertConfigError as e:
        alerts, problems = None, [str(e)]
    for problem in problems:
        print(f"{prog}: alert configuration: {problem}", file=sys.stderr)
    return None if problems else alerts


def cmd_alerts(a) -> int:
    """`nianbao alerts test`: one test message to each configured channel; exit 1 when one fails."""
    alerts = _alerts(prog="nianbao alerts")
    if alerts is None:
        return 2
    if not alerts.channels():
        print("nianbao alerts: no alert channel is configured (NIANBAO_ALERT_LOG, NIANBAO_ALERT_SMTP_HOST and "
              "NIANBAO_ALERT_SMTP_TO, NIANBAO_ALERT_WEBHOOKS)", file=sys.stderr)
        return 2
    done = alerts.test()
    for d in done:
        print(f"{d.channel}: {'sent' if d.ok else f'FAILED ({d.error})'}")
    return 0 if all(d.ok for d in done) else 1


def cmd_template(a) -> int:
    """Print the template and the rule catalogue as Markdown."""
    from contracts.catalogue import describe as rules
    from nianbao.template import describe

    print(describe())
    print("\n## Rules\n")
    print(rules())
    return 0


def cmd_synth(a) -> int:
    """Generate a synthetic corpus (reports, truth JSON, manifest) and print a summary."""
    from synth import Options, generate, parse_formats, parse_years
    from synth.pdf import MissingDependency

    try:
        opts = Options(count=a.count, out=a.out, seed=a.seed, error_rate=a.error_rate,
                       formats=parse_formats(a.formats), years=parse_years(a.years), workers=a.workers,
                       gaps=a.parser_gaps)
        t0 = time.perf_counter()
        s = generate(opts)
    except (ValueError, MissingDependency) as e:
        print(f"nianbao synth: {e}", file=sys.stderr)
        return 2
    wall = time.perf_counter() - t0
    show = lambda c: ", ".join(f"{k} {v}" for k, v in sorted(c.items()))  # noqa: E731
    print(f"{s.reports} reports from {s.bodies} bodies in {wall:.1f} s ({s.reports / max(wall, 1e-9):,.0f}/s) "
          f"→ {Path(a.out)}/raw, truth, manifest.csv")
    print(f"  formats: {show(s.formats)}")
    print(f"  years:   {show(s.years)}")
    print(f"  expect:  {show(s.expect)}")
    print(f"  faults:  {show(s.faults) or 'none'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="nianbao", description="Government information-disclosure annual reports → "
                                "validated tables.")
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("parse", help="parse reports and print JSON Lines, one object per file",
                        description="Parse report files and print one JSON object per file (JSON Lines): source, "
                        "title, body, year, template, region, the three tables, and violations. A file that cannot "
                        "be parsed gives {\"source\", \"error\"}.")
    sp.add_argument("files", nargs="+", metavar="FILE", help="report files, or folders of them (judged together)")
    sp.add_argument("--json", action="store_true", help="JSON Lines output (the only format; accepted for clarity)")
    sp.add_argument("--cells", action="store_true", help="also print every cell's raw text, line and status")
    sp.add_argument("--workers", type=int, default=0, help="parser processes (default: one per core)")
    sp.set_defaults(fn=cmd_parse)
    sc = sub.add_parser("check", help="print contract findings for people; exit 1 on any error",
                        description="Parse and validate report files; print each rule broken with its cell, the "
                        "expected and the printed value. Exit status 1 when any report has an error.")
    sc.add_argument("files", nargs="+", metavar="FILE", help="report files, or folders of them (judged together)")
    sc.add_argument("--workers", type=int, default=0, help="parser processes (default: one per core)")
    sc.set_defaults(fn=cmd_check)
    sr = sub.add_parser("run", help="materialise every asset on a folder of reports",
                        description="Materialise every Dagster asset in-process on a folder of raw reports (default: "
                        "the bundled sample) and print a summary and where the Parquet outputs are.")
    sr.add_argument("--raw", help="folder of raw reports (default: data/sample, or $NIANBAO_RAW)")
    sr.add_argument("--out", help="warehouse folder (default: data/warehouse, or $NIANBAO_WAREHOUSE)")
    sr.add_argument("--workers", type=int, default=0, help="parser processes (default: one per core)")
    sr.add_argument("--wait", action="store_true",
                    help="when another run holds the warehouse, wait for it (default: refuse, naming it)")
    sr.set_defaults(fn=cmd_run)
    sy = sub.add_parser("synth", help="generate a synthetic corpus of reports with their truth",
                        description="Generate realistic synthetic reports (bodies from real division names, "
                        "multi-year series, both templates, five text layouts, HTML pages, DOCX, PDF) with injected "
                        "faults, and for each its truth JSON (cells, faults, the expected outcome and rule ids). "
                        "Writes DIR/raw/<year>/<id>.<ext>, DIR/truth/<id>.json and DIR/manifest.csv. Same "
                        "arguments, same bytes.")
    sy.add_argument("--count", type=int, required=True, metavar="N", help="number of reports")
    sy.add_argument("--out", required=True, metavar="DIR", help="output folder")
    sy.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sy.add_argument("--error-rate", type=float, default=0.02, metavar="R",
                    help="share of reports with an injected fault (default 0.02)")
    sy.add_argument("--formats", default="txt,html,md", help="formats drawn per report, from txt,html,md,docx,pdf "
                    "(default txt,html,md; pdf needs reportlab)")
    sy.add_argument("--years", default="2019-2025", help="reporting years, e.g. 2019-2025 or 2021,2023 "
                    "(default 2019-2025)")
    sy.add_argument("--workers", type=int, default=0, help="generator processes (default: one per core)")
    sy.add_argument("--parser-gaps", action="store_true", help="also generate layouts the current parser is "
                    "known to read wrongly (synth/faults.py GAPS); their expect stays what the spec requires")
    sy.set_defaults(fn=cmd_synth)
    sa = sub.add_parser("alerts", help="check the alert channels: `nianbao alerts test` sends each a test message",
                        description="Send one test message to each alert channel configured by the NIANBAO_ALERT_* "
                        "variables (log, e-mail, webhooks) and say how each went. Exit status 1 when one fails, "
                        "2 when the configuration is wrong or names no channel.")
    sa.add_argument("action", choices=["test"], help="test: send one test message to each channel")
    sa.set_defaults(fn=cmd_alerts)
    st = sub.add_parser("template", help="print the template and rule catalogue as Markdown",
                        description="Print both templates' tables, rows, columns and codes, and the rule catalogue.")
    st.set_defaults(fn=cmd_template)
    a = p.parse_args(argv)
    try:
        return a.fn(a)
    except BrokenPipeError:  # `nianbao check … | head`: the reader left; nothing more to say
        try:
            sys.stdout = open(os.devnull, "w")  # (so that the interpreter's final flush does not fail again)
        except OSError:
            pass
        return 0


if __name__ == "__main__":
    sys.exit(main())
