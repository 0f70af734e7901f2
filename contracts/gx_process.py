"""Great Expectations in a process of its own, started early: importing GX costs seconds of CPU.

`nianbao run` calls `start()` first thing. One worker process (forkserver) imports GX at once, on the
core the run's own start leaves idle (Dagster's imports, the inventory), and later runs the Data Docs'
validations (`contracts.gx.validate_frames` sends it the derived frames; they are small: one row per
report). The run itself never imports GX. `stop()` ends the process: at once if it was never
asked to validate, else after its last validation.

Without `start()` (the Dagster UI's runs, the tests), or if the process has died, GX runs in the calling
process: the same code, the same results. The process dies with the run (`nianbao.isolation.die_with`).
This module imports nothing heavy, so that the import begins before the run's own.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass


@dataclass
class _Side:
    """The started GX process: its executor, and whether it was asked to validate."""

    executor: ProcessPoolExecutor
    used: bool = False

    def processes(self) -> dict:
        """pid → process, the executor's own record (empty once it shut down)."""
        return dict(self.executor._processes or {})


_side: _Side | None = None


def _init(run_pid: int) -> None:
    from nianbao.isolation import die_with

    die_with(run_pid)
    try:
        from contracts import gx

        gx.import_gx()
    except Exception:  # noqa: BLE001 — the validation that needs it reports the error
        pass


def start() -> None:
    """Start the GX process (once per process; a no-op if it runs)."""
    global _side
    if _side is not None or multiprocessing.current_process().daemon:  # (a daemonic process has no children)
        return
    try:
        ex = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                                 initializer=_init, initargs=(os.getpid(),))
        ex.submit(int)  # the process starts at the first task, and imports GX before running it
    except (OSError, RuntimeError):  # no process could be started: GX runs in the run's process
        return
    _side = _Side(ex)


def pid() -> int | None:
    """The GX process's id, None when there is none."""
    return next(iter(_side.processes()), None) if _side is not None else None


def _remote(derived: list) -> list:
    from contracts import gx

    return gx.validate_here(derived)


def validate(derived: list) -> list | None:
    """`contracts.gx.validate_here(derived)` in the GX process; None if there is none (or it died): the
    caller then validates itself."""
    if _side is None:
        return None
    _side.used = True
    try:
        return _side.executor.submit(_remote, derived).result()
    except BrokenProcessPool:
        stop()
        return None


def stop() -> None:
    """End the GX process: wait for it if it validated (it is done), else kill it, maybe mid-import."""
    global _side
    side, _side = _side, None
    if side is None:
        return
    if not side.used:
        for p in side.processes().values():
            p.kill()
    side.executor.shutdown(wait=True, cancel_futures=True)
