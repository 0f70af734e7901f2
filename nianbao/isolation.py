"""Per-file isolation of the parse: a time limit and a memory limit per file, workers that die with the
run, and the file that killed a worker found and failed alone.

* **Time**: each file is parsed under a SIGALRM timer (`time_limit`); past `Limits.seconds` the parse is
  interrupted and the file fails with "parsing took longer than N s". Python code is interrupted at
  once; a C library call (lexbor, pdfium) when it returns.
* **Memory**: a worker's address space is capped (`RLIMIT_AS`, `Limits.memory_mb`); a file whose parse
  needs more gets a MemoryError and fails with "over the memory limit"; if the cap is hit inside a
  C library that aborts instead, the worker dies and the next point applies.
* **Crashes**: before each file a worker writes the file's name to its status file (`mark`); when a
  worker dies (segfault, abort, SIGKILL), `culprits` names the file it was reading, that file fails with
  the signal, and the rest of its batch is parsed again (`nianbao.batch.parse_many`).
* **Orphans**: a worker's parent is the forkserver, which outlives a killed run as long as any worker
  holds its "alive" pipe. So each worker watches the run's process itself (a thread blocked on a pidfd
  of the run) and kills itself when the run is gone; the forkserver then sees its pipe close and exits.
  A killed run leaves no parser process behind.

Limits come from the environment: NIANBAO_FILE_TIMEOUT (seconds, default 60) and
NIANBAO_FILE_MEMORY_MB (address space of a parse worker, default 2048; a worker needs ~1 GB of it for
its libraries). In the in-process path (`workers=1`, used by the tests) only the time limit applies.
"""
from __future__ import annotations

import ctypes
import gc
import os
import resource
import select
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """What one file may take: wall seconds of parsing, and MB of address space of its worker process."""

    seconds: float = 60.0
    memory_mb: int = 2048

    @classmethod
    def from_env(cls, environ: dict | None = None) -> Limits:
        env = os.environ if environ is None else environ
        return cls(float(env.get("NIANBAO_FILE_TIMEOUT", cls.seconds)),
                   int(env.get("NIANBAO_FILE_MEMORY_MB", cls.memory_mb)))


class FileTimeout(BaseException):
    """Raised in a parse that ran past its time limit (a BaseException: no `except Exception` in a parser
    may swallow it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block with FileTimeout after `seconds` (only in a process's main thread, where
    signals are delivered; elsewhere the block runs unlimited)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise FileTimeout(f"parsing took longer than {seconds:g} s (the per-file time limit, NIANBAO_FILE_TIMEOUT)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- in the worker --------------------------------------------------------------------------------
_STATUS: int | None = None  # the open status file of this worker
_LIMITS: Limits | None = None


def limits() -> Limits:
    """The limits in force in this process: the pool's in a worker, else the environment's."""
    return _LIMITS or Limits.from_env()


def init_worker(limits: Limits, status_dir: str, run_pid: int | None = None) -> None:
    """Pool initializer: die with the run (`run_pid`) and with the parent, cap the address space, and
    keep a status file."""
    global _STATUS, _LIMITS
    _LIMITS = limits
    die_with(run_pid)
    if limits.memory_mb > 0:
        cap = limits.memory_mb * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    _STATUS = os.open(Path(status_dir) / str(os.getpid()), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    quiet_gc()


def die_with(run_pid: int | None) -> None:
    """In a pool's worker: die with the parent (the forkserver) and with the run `run_pid` (see "Orphans"
    above), so that a killed run leaves no process behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: workers still end when the pool shuts down
        pass
    if run_pid is not None:
        threading.Thread(target=_die_with, args=(run_pid,), daemon=True, name="nianbao-watch-run").start()


def quiet_gc() -> None:
    """Make the cyclic garbage collector cheap in a parse worker: the parser makes some 5,000 small objects
    per file (cells, tokens), nearly none in cycles, and Python's default thresholds ran a collection every
    700 of them, scanning the worker's imported modules each time (15% of the parse's CPU). The modules are
    imported now and frozen (never scanned again), and a young collection runs every 50,000 allocations."""
    import nianbao.parsers.docx  # noqa: F401 — what the parser imports lazily, so that it is frozen too
    import nianbao.parsers.html  # noqa: F401
    import nianbao.parsers.text  # noqa: F401
    import nianbao.regions

    nianbao.regions._index()  # the divisions table (some 100,000 objects, loaded on first use)
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)


def _die_with(pid: int) -> None:
    """Block until process `pid` has exited, then SIGKILL this process (a pidfd where the kernel has
    them, else a poll every half second)."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])
    else:
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
            time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)


def mark(relpath: str | None) -> None:
    """Record which file this worker is reading now (None: between files), NUL-terminated at the start of
    its status file (one pwrite: a microsecond). A no-op outside a pool worker."""
    if _STATUS is not None:
        os.pwrite(_STATUS, b"\0" if relpath is None else relpath.encode("utf-8", "surrogateescape") + b"\0", 0)


# --- in the run -----------------------------------------------------------------------------------
def culprits(status_dir: str, exitcodes: dict[int, int | None]) -> dict[str, str]:
    """relpath → reason, for the files the dead workers were reading. `exitcodes`: pid → exit code of the
    pool's processes after it broke; those the pool itself terminated (SIGTERM) are not culprits."""
    out = {}
    for pid, code in exitcodes.items():
        if code in (0, -signal.SIGTERM):
            continue
        try:
            relpath = (Path(status_dir) / str(pid)).read_bytes().split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        except OSError:
            continue
        if relpath:
            out[relpath] = died(code)
    return out


def died(code: int | None) -> str:
    """The reason a file fails when the process parsing it died with exit code `code`."""
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        why = " (e.g. over the memory limit, NIANBAO_FILE_MEMORY_MB)" if -code in (signal.SIGKILL, signal.SIGABRT) else ""
        return f"the parser process died while reading this file: {name}{why}"
    return f"the parser process died while reading this file (exit code {code})"
