"""The same code location on Celery workers: the assets, checks and resources of pipeline/definitions.py,
run by dagster-celery's executor (broker and result backend: Redis). `make cluster` drives it.

    python -m pipeline.cluster worker-config DIR   write the workers' dagster_celery_config.py into DIR
    python -m pipeline.cluster wait-workers N       wait until N workers answer a ping on the broker
    python -m pipeline.cluster run --raw R --out W  materialise everything through the workers, print a summary

Like `nianbao run` (pipeline/runner.py): one run of `parse_job` (inventory, parse), then one run of `year_job`
per year partition (validate, publish, roll up); every step of every run is a Celery task. Broker and backend
come from $NIANBAO_CELERY_BROKER / $NIANBAO_CELERY_BACKEND (default: a Redis on the non-default port 6399, so
a system Redis does not clash). The instance ($DAGSTER_HOME) must be persistent and shared with the workers:
they read the run and write its events there.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

from dagster import Definitions
from dagster_celery import celery_executor

from pipeline import definitions as base

BROKER_DEFAULT = "redis://127.0.0.1:6399/0"


def broker_url() -> str:
    return os.environ.get("NIANBAO_CELERY_BROKER", BROKER_DEFAULT)


def backend_url() -> str:
    return os.environ.get("NIANBAO_CELERY_BACKEND", broker_url())


executor = celery_executor.configured({"broker": broker_url(), "backend": backend_url()}, name="nianbao_celery")
INGEST, PUBLISH = base.PARSE_JOB.name, base.YEAR_JOB.name  # the jobs of pipeline/definitions.py, run on Celery


def definitions(raw: str | None = None, warehouse: str | None = None) -> Definitions:
    """pipeline/definitions.py's code location (assets, checks, jobs, sensors) with the Celery executor as the
    default, and its resources for `raw` and `warehouse` (defaults as there)."""
    d = base.defs
    return Definitions(assets=base.ASSETS, asset_checks=base.CHECKS, jobs=d.jobs, sensors=d.sensors,
                       schedules=d.schedules, resources=base.resources(raw, warehouse), executor=executor)


defs = definitions()


def job(name: str, raw: str | None = None, warehouse: str | None = None):
    """A job, rebuilt in every worker from this module, this function and its arguments (the executor needs
    a reconstructable job; the arguments travel with the run, so the workers need no environment)."""
    return definitions(raw, warehouse).resolve_job_def(name)


def worker_config(folder: str) -> Path:
    """Write the module dagster_celery.app imports on a worker (put `folder` on its PYTHONPATH)."""
    path = Path(folder) / "dagster_celery_config.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"broker_url = {broker_url()!r}\nresult_backend = {backend_url()!r}\n"
                    "worker_prefetch_multiplier = 1\n")
    return path


def wait_workers(n: int, timeout: float = 90.0) -> list[str]:
    """Names of the workers answering on the broker, once there are `n` (RuntimeError after `timeout` s)."""
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app

    app = make_app(CeleryExecutor.for_cli(broker=broker_url(), backend=backend_url()).app_args())
    deadline, names = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        names = sorted(k for reply in app.control.ping(timeout=1.0) or [] for k in reply)
        if len(names) >= n:
            return names
        time.sleep(0.5)
    raise RuntimeError(f"{len(names)} of {n} Celery workers answered on {broker_url()} within {timeout:.0f} s")


def _execute(name: str, raw: str, out: str, partition: str | None, steps: dict, checks: list) -> bool:
    """One run of job `name` through the workers; records which worker ran each step, and the checks."""
    from celery.exceptions import DuplicateTaskNameWarning
    from dagster import DagsterEventType, DagsterInstance, build_reconstructable_job, execute_job

    # dagster-celery registers its task again for every step it submits; Celery 5.7 warns each time
    warnings.filterwarnings("ignore", category=DuplicateTaskNameWarning)

    target = build_reconstructable_job("pipeline.cluster", "job",
                                       reconstructable_args=(name,),
                                       reconstructable_kwargs={"raw": raw, "warehouse": out})
    tags = {"dagster/partition": partition} if partition else None
    with execute_job(target, instance=DagsterInstance.get(), tags=tags,
                     run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}}) as result:
        for e in result.all_events:
            meta = (e.event_specific_data.metadata or {}) if e.event_type == DagsterEventType.ENGINE_EVENT else {}
            if e.step_key and "Celery worker" in meta:
                steps[f"{e.step_key}{f' [{partition}]' if partition else ''}"] = meta["Celery worker"].value
        checks.extend((e.asset_key.to_user_string(), e.check_name, partition, e)
                      for e in result.get_asset_check_evaluations())
        print(f"  run {result.run_id[:8]} {name}{f' [{partition}]' if partition else ''}: "
              f"{'success' if result.success else 'FAILED'}")
        return result.success


def run(raw: str, out: str) -> int:
    """Ingest, then every year partition, through the workers; print a summary; 0 when every check passed
    (or only warned)."""
    from assets.warehouse import Warehouse
    from assets.partitions import keys_of

    t0, steps, checks = time.perf_counter(), {}, []
    print(f"Celery broker {broker_url()}, warehouse {out}")
    if not _execute(INGEST, raw, out, None, steps, checks):
        return 2
    wh = Warehouse(root=out)
    reports, failures = wh.read("parsed_reports"), wh.read("parse_failures")
    years = keys_of(reports["year"])
    for key in years:
        if not _execute(PUBLISH, raw, out, key, steps, checks):
            return 2
    wall = time.perf_counter() - t0
    cons = [e.metadata for a, n, _, e in checks if (a, n) == ("reports", "conservation")]
    validated, quarantined = (sum(m[k].value for m in cons) for k in ("validated", "quarantined"))
    print(f"{reports.height + failures.height} files in: {validated} validated, {quarantined} quarantined, "
          f"{failures.height} failed; years {', '.join(years) or 'none'} ({wall:.1f} s)")
    bad = [(a, n, k, e) for a, n, k, e in checks if not e.passed]
    print(f"{len(checks)} check evaluations, {len(bad)} not passed")
    for a, n, k, e in bad:
        print(f"  check {a}:{n}{f' [{k}]' if k else ''} {e.severity.value.lower()}")
    print(f"{len(steps)} steps on {len(set(steps.values()))} Celery workers:")
    for step, worker in steps.items():
        print(f"  {step:56} {worker}")
    return 0 if all(e.passed or e.severity.value == "WARN" for *_, e in checks) else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline.cluster", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("worker-config").add_argument("folder")
    sub.add_parser("wait-workers").add_argument("n", type=int)
    sr = sub.add_parser("run")
    sr.add_argument("--raw", required=True)
    sr.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.cmd == "worker-config":
        print(worker_config(a.folder))
        return 0
    if a.cmd == "wait-workers":
        print("workers ready: " + ", ".join(wait_workers(a.n)))
        return 0
    return run(str(Path(a.raw).resolve()), str(Path(a.out).resolve()))


if __name__ == "__main__":
    sys.exit(main())
