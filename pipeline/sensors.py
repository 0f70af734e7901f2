"""Sensors: new or changed raw files → a parse run; a parse that touched some years → those years' runs;
finished runs → an alert about their new failures; a failed run → that alert at once."""
from __future__ import annotations

import hashlib
import os

from dagster import (AssetKey, AssetSelection, DefaultSensorStatus, RunFailureSensorContext, RunRequest,
                     SensorEvaluationContext, SkipReason, asset_sensor, define_asset_job, run_failure_sensor, sensor)

from assets.partitions import YEARS
from assets.resources import RawReports
from assets.warehouse import Warehouse
from pipeline.alerts import Alerts, finished_runs

PARSE_JOB = define_asset_job("parse_job", selection=AssetSelection.groups("ingest", "parse"),
                             description="Inventory the raw folder and parse what is new or changed.")
YEAR_JOB = define_asset_job("year_job", selection=AssetSelection.groups("validate", "datasets", "rollups"),
                            partitions_def=YEARS,
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


SENSORS = [raw_files_sensor, changed_years_sensor, alerts_sensor,
           run_failure_alert_sensor]  # what the code location registers
