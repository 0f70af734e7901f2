"""Jobs and sensors: new or changed raw files → a parse run; a parse → one run of `nianbao_full` over the
years it found (a single-run backfill per consecutive span of years); finished runs → an alert about their
new failures; a failed run → that alert at once.

The jobs run their steps in one process (`in_process_executor`): a step is a few seconds of polars, and a
process per step (Dagster's default) costs more than the work on a small folder.
"""
from __future__ import annotations

import hashlib
import os

from dagster import (AssetKey, AssetSelection, DefaultSensorStatus, RunFailureSensorContext, RunRequest,
                     SensorEvaluationContext, SkipReason, asset_sensor, define_asset_job, in_process_executor,
                     run_failure_sensor, sensor)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.partitions import YEARS, spans
from assets.resources import RawReports
from assets.warehouse import Warehouse
from pipeline.alerts import Alerts, finished_runs

PARSE_SELECTION = AssetSelection.groups("ingest", "parse")  # unpartitioned: the inventory and the parse
YEAR_SELECTION = AssetSelection.groups("validate", "datasets", "rollups")  # partitioned by year
FULL = "nianbao_full"
CLI_TAG = "nianbao/cli"  # on the runs `nianbao run` makes (the years sensor leaves their parse alone)

FULL_JOB = define_asset_job(
    FULL, selection=AssetSelection.all(), executor_def=in_process_executor,
    description="Every asset and check. `nianbao run` runs it twice or more: the parse stage (no partition), "
                "then the year stages over each consecutive span of years (a single-run backfill). In the UI, "
                "launch parse_job (or this job's parse stage): the sensor full_years_sensor then runs this job "
                "over every year the parse found. Re-execute any of its runs from the UI.")
PARSE_JOB = define_asset_job("parse_job", selection=PARSE_SELECTION, executor_def=in_process_executor,
                             description="Inventory the raw folder and parse what is new or changed; then "
                                         "full_years_sensor runs nianbao_full over every year found.")
YEAR_JOB = define_asset_job("year_job", selection=YEAR_SELECTION, partitions_def=YEARS,
                            executor_def=in_process_executor,
                            description="Validate, publish and roll up one reporting year.")


def listing_digest(root: str) -> tuple[str, int]:
    """A digest of the raw folder's (path, size, mtime) listing, and the number of files: cheap, no reading."""
    h, n = hashlib.sha256(), 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            st = os.stat(os.path.join(dirpath, name))
            h.update(f"{os.path.relpath(os.path.join(dirpath, name), root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            n += 1
    return h.hexdigest(), n


@sensor(job=PARSE_JOB, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED)
def raw_files_sensor(context: SensorEvaluationContext, raw: RawReports):
    """Requests a parse run when files are added to, changed in or removed from the raw folder."""
    digest, n = listing_digest(raw.root)
    if digest == context.cursor:
        return SkipReason(f"{n} raw files, unchanged")
    context.update_cursor(digest)
    return RunRequest(run_key=digest, tags={"nianbao/raw_files": str(n)})


@asset_sensor(asset_key=AssetKey("parsed_reports"), job=YEAR_JOB, default_status=DefaultSensorStatus.STOPPED)
def changed_years_sensor(context: SensorEvaluationContext, asset_event):
    """After a parse, requests a run of each year partition whose reports were added, changed or removed."""
    mat = asset_event.dagster_event.event_specific_data.materialization
    changed = mat.metadata.get("years_changed")
    keys = [k for k in (changed.value if changed else "").split(",") if k]
    if not keys:
        return SkipReason("the parse changed no year")
    return [RunRequest(run_key=f"{asset_event.run_id}:{k}", partition_key=k) for k in keys]


def year_run_requests(context: SensorEvaluationContext, run_id: str, keys: list[str]) -> list[RunRequest]:
    """One `nianbao_full` run request per consecutive span of `keys` (in the instance's order of the year
    partitions): the year stages and their checks over the span, as a single-run backfill."""
    selected = YEAR_SELECTION.resolve(context.repository_def.asset_graph)
    order = context.instance.get_dynamic_partitions(YEARS.name)
    return [RunRequest(run_key=f"{run_id}:{span[0]}-{span[-1]}", asset_selection=sorted(selected),
                       tags={ASSET_PARTITION_RANGE_START_TAG: span[0], ASSET_PARTITION_RANGE_END_TAG: span[-1]})
            for span in spans(order, [k for k in keys if k in order])]


@asset_sensor(asset_key=AssetKey("parsed_reports"), job=FULL_JOB, minimum_interval_seconds=5,
              default_status=DefaultSensorStatus.RUNNING)
def full_years_sensor(context: SensorEvaluationContext, asset_event):
    """After a parse launched from the UI (parse_job, or nianbao_full's parse stage), runs nianbao_full over
    every year the parse found, one run per consecutive span of years: so a fresh instance, whose year
    partitions the parse has just added, validates every year. Leaves the parses of `nianbao run` alone
    (it runs the years itself)."""
    run = context.instance.get_run_by_id(asset_event.run_id)
    # a parse of `nianbao run` is skipped; its re-execution from the UI (a run with a parent) is not
    if run is not None and CLI_TAG in run.tags and run.parent_run_id is None:
        return SkipReason("a parse of nianbao run: it runs its years itself")
    mat = asset_event.dagster_event.event_specific_data.materialization
    found = mat.metadata.get("years")
    keys = [k for k in (found.value if found else "").split(",") if k]
    if not keys:
        return SkipReason("the parse found no year")
    return year_run_requests(context, asset_event.run_id, keys)


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def alerts_sensor(context: SensorEvaluationContext, alerts: Alerts, warehouse: Warehouse):
    """After runs finish (any job, also `nianbao run`'s in-process runs), sends one alert per new set of
    failures (quarantined reports, parse failures, failed checks and steps) through the `alerts` channels.
    Running by default: with no configuration it only writes to this sensor's log."""
    records = finished_runs(context.instance, context.cursor)
    if not records:
        return SkipReason("no run finished since the last look")
    sent = alerts.send_after(context.instance, [r.dagster_run.run_id for r in records], warehouse, context.log)
    context.update_cursor(max(r.update_timestamp for r in records).isoformat())
    told = "; ".join(f"{d.channel} {'sent' if d.ok else 'FAILED: ' + d.error}" for d in sent)
    return SkipReason(f"{len(records)} finished runs looked at; " + (told or "nothing new to tell"))


@run_failure_sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def run_failure_alert_sensor(context: RunFailureSensorContext, alerts: Alerts, warehouse: Warehouse) -> None:
    """When a run of this code location fails, sends its new failures at once through the `alerts` channels:
    the job, the run, the failing step with its error's first line (and what else the run found). It
    shares the alert state with `alerts_sensor`, so a failure is sent once, by whichever sensor looks first."""
    run = context.dagster_run
    sent = alerts.send_after(context.instance, [run.run_id], warehouse, context.log)
    told = "; ".join(f"{d.channel} {'sent' if d.ok else 'FAILED: ' + d.error}" for d in sent)
    context.log.info("run %s of %s failed; %s", run.run_id, run.job_name, told or "nothing new to tell")


JOBS = [FULL_JOB, PARSE_JOB, YEAR_JOB]
SENSORS = [raw_files_sensor, changed_years_sensor, full_years_sensor, alerts_sensor,
           run_failure_alert_sensor]  # what the code location registers
