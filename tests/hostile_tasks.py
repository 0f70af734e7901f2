"""Batch tasks for tests/test_isolation.py, importable by the parse workers (a module, not a test)."""
from __future__ import annotations

import os
import signal
from pathlib import Path

from nianbao import isolation as I
from nianbao.batch import parse_batch


def crash_on_marked(items: list[tuple[str, str]]):
    """`parse_batch`, except that a file named crash*.txt kills its worker (as a segfault in a C library
    would) while the worker's status names it."""
    for _, rel in items:
        if os.path.basename(rel).startswith("crash"):
            I.mark(rel)
            os.kill(os.getpid(), signal.SIGKILL)
    return parse_batch(items)


def vm_size_mb(_: object = None) -> int:
    """The address space (MB) of a parse worker that has parsed one seed report."""
    seed = Path(__file__).parent / "data" / "seeds" / "000_0ca6d768b0b6ad6a.txt"
    parse_batch([(str(seed), seed.name)])
    for line in open("/proc/self/status"):
        if line.startswith("VmSize"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no VmSize in /proc/self/status")
