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

_SIDE: list[ProcessPoolExecutor] = []  # the started process's executor, if any
_USED: list[bool] = []  # whether it was asked to validate


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
    if _SIDE or multiprocessing.current_process().daemon:  # (a daemonic process cannot have children)
        return
    try:
        ex = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                                 initializer=_init, initargs=(os.getpid(),))
        ex.submit(int)  # the process starts at the first task, and imports GX before running it
    except (OSError, RuntimeError):  # no process could be started: GX runs in the run's process
        return
    _SIDE.append(ex)


def pid() -> int | None:
    """The GX process's id, None when there is none."""
    procs = list((_SIDE[0]._processes or {}).keys()) if _SIDE else []  # (the executor's record of its process)
    return procs[0] if procs else None


def _remote(derived: list) -> list:
    from contracts import gx

    return gx.validate_here(derived)


def validate(derived: list) -> list | None:
    """`contracts.gx.validate_here(derived)` in the GX process; None if there is none (or it died): the
    caller then validates itself."""
    if not _SIDE:
        return None
    _USED.append(True)
    try:
        return _SIDE[0].submit(_remote, derived).result()
    except BrokenProcessPool:
        stop()
        return None


def stop() -> None:
    """End the GX process: wait for it if it validated (it is done), else kill it, maybe mid-import."""
    while _SIDE:
        ex = _SIDE.pop()
        if not _USED:
            for p in list((ex._processes or {}).values()):  # (the executor's own record of its process)
                p.kill()
        ex.shutdown(wait=True, cancel_futures=True)
    _USED.clear()
