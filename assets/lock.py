"""One run at a time on a warehouse: an exclusive lock, and the runs a killed process left STARTED.

`warehouse_lock(warehouse)` takes `flock` on `<warehouse>/.lock` for the whole run. The kernel releases
it when the holder dies, however it dies, so a stale lock cannot block anyone; the file's content says
who holds it ("in use by pid 123 on host since 2026-12-05T20:31:05, run started by `nianbao run`") and,
when a run ends cleanly, that it ended. Finding a lock free whose file still says "running" means the
previous holder was killed (`Held.previous`: its temp files are swept). Every run a `nianbao run` makes
is tagged with this warehouse and its pid, so while holding the lock, `killed_runs` finds the Dagster
runs killed processes left STARTED, and `mark_killed` marks them failed.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from assets.warehouse import Warehouse

LOCK_FILE = ".lock"
WAREHOUSE_TAG, PID_TAG = "nianbao/warehouse", "nianbao/pid"


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse."""


@dataclass
class Held:
    """The lock held by this process, and what the previous holder left: its record if it was killed."""

    previous: dict | None  # the record of a holder that never released the lock cleanly, or None


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


@contextmanager
def warehouse_lock(warehouse: Warehouse, wait: bool = False, what: str = "nianbao run") -> Iterator[Held]:
    """Hold the warehouse for the block. Busy: wait for it (`wait`) or raise WarehouseBusy saying who
    holds it since when."""
    path = warehouse.state(LOCK_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise WarehouseBusy(f"warehouse {warehouse.root} in use by {_describe(_read(fd))}") from None
        before = _read(fd)
        previous = before if before and before.get("state") == "running" else None
        _write(fd, {"state": "running", "pid": os.getpid(), "host": socket.gethostname(), "since": _now(),
                    "what": what})
        try:
            yield Held(previous)
        finally:
            record = _read(fd) or {}
            _write(fd, {**record, "state": "ended", "ended": _now()})
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read(fd: int) -> dict | None:
    os.lseek(fd, 0, os.SEEK_SET)
    data = os.read(fd, 65536)
    try:
        return json.loads(data) if data.strip() else None
    except ValueError:
        return None


def _write(fd: int, record: dict) -> None:
    data = json.dumps(record).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)


def _describe(record: dict | None) -> str:
    if not record:
        return "another run (no record of which)"
    return (f"{record.get('what', 'a run')} (pid {record.get('pid')} on {record.get('host')}) "
            f"since {record.get('since')}")


def run_tags(warehouse: Warehouse) -> dict[str, str]:
    """The tags of a run this process makes on `warehouse` (what `killed_runs` looks for)."""
    return {WAREHOUSE_TAG: str(warehouse.root), PID_TAG: str(os.getpid())}


def killed_runs(instance, warehouse: Warehouse) -> list:
    """Runs on this warehouse that the instance still has as started but that no process runs: every run
    of a `nianbao run` holds the lock, so while this process holds it, a started run tagged with this
    warehouse and another pid was left by a process that was killed (this finds those of every killed
    run, also when the run after a killed one was itself killed before it could mark them)."""
    from dagster import DagsterRunStatus, RunsFilter

    runs = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING,
                                                  DagsterRunStatus.NOT_STARTED],
                                        tags={WAREHOUSE_TAG: str(warehouse.root)}))
    return [r for r in runs if r.tags.get(PID_TAG) != str(os.getpid())]


def mark_killed(instance, warehouse: Warehouse) -> list[str]:
    """Mark failed the runs killed processes left started on this warehouse; their ids. Only while
    holding the lock."""
    out = []
    for run in killed_runs(instance, warehouse):
        instance.report_run_failed(run, f"the process running it (pid {run.tags.get(PID_TAG)}) was killed; "
                                        f"found by the next nianbao run at {_now()}")
        out.append(run.run_id)
    return out
