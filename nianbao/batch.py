"""Parse many files in batches on a process pool and collect the results as columnar frames."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl

from nianbao import frames as F
from nianbao.parsers import parse_bytes
from nianbao.report import ParsedReport, ParseError
from nianbao.version import PARSER_VERSION


def report_id(relpath: str) -> str:
    """A report's stable id: 16 hex digits of the SHA-256 of its path relative to the raw folder."""
    return hashlib.sha256(relpath.encode("utf-8")).hexdigest()[:16]


@dataclass
class Parsed:
    """The parse of a set of files: one row per report, every cell, and one row per failure."""

    reports: pl.DataFrame
    cells: pl.DataFrame
    failures: pl.DataFrame
    objects: list[ParsedReport] | None = None  # kept only when asked for (CLI JSON output)
    statuses: dict[str, int] | None = None  # cells by status, when the cells were stored and dropped

    @property
    def n_inputs(self) -> int:
        return self.reports.height + self.failures.height


def with_folder_region(rep: ParsedReport, relpath: str) -> ParsedReport:
    """The report with an unresolved region filled (or an ambiguous one narrowed) from the folder names
    of its path (`raw/重庆市/巫山县/report.txt`): the one fallback the parser cannot see from the bytes."""
    if rep.region.get("code"):
        return rep
    from nianbao.regions import Region, folder_region, refine

    current = Region(None, None, None, None, None, rep.region_candidates)
    better = refine(current, folder_region(relpath), "folder")
    return rep if better == current else rep.with_region(better)


def _parse_one(path: str, relpath: str):
    rid = report_id(relpath)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return rid, None, {"path": relpath, "sha256": None, "size": None, "error": f"cannot read file: {e.strerror}"}
    sha = hashlib.sha256(data).hexdigest()
    try:
        rep = with_folder_region(parse_bytes(data, Path(path).name, path), relpath)
    except ParseError as e:
        return rid, None, {"path": relpath, "sha256": sha, "size": len(data), "error": str(e)}
    except Exception as e:  # a parser bug must not stop the run: the file fails with the reason
        return rid, None, {"path": relpath, "sha256": sha, "size": len(data),
                           "error": f"internal parser error {type(e).__name__}: {e}"}
    return rid, rep, {"path": relpath, "sha256": sha, "size": len(data)}


def parse_batch(items: list[tuple[str, str]], keep: bool = False) -> Parsed:
    """Parse (path, relpath) pairs in this process."""
    reports, cells, failures, objects = [], [], [], []
    for path, relpath in items:
        rid, rep, info = _parse_one(path, relpath)
        if rep is None:
            failures.append({"report_id": rid, "source": Path(path).name, **info, "parser": PARSER_VERSION})
            continue
        reports.append(F.report_rows(rep, rid, info["path"], info["sha256"], info["size"]))
        cells.append(F.cell_columns(rep, rid))
        if keep:
            objects.append(rep)
    return Parsed(
        pl.DataFrame(reports, schema=F.REPORT_SCHEMA),
        F.cells_frame(cells),
        pl.DataFrame(failures, schema=F.FAILURE_SCHEMA),
        objects if keep else None,
    )


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def parse_many(items: Iterable[tuple[str, str]], workers: int | None = None, batch_size: int = 200,
               keep: bool = False, progress: Callable[[int], None] | None = None,
               task: Callable[[list[tuple[str, str]]], Parsed] | None = None) -> Parsed:
    """Parse files on `workers` processes (default: all cores), in batches, in a deterministic order.

    `task`, when given, replaces `parse_batch` as the work done on a batch in the worker (a picklable,
    module-level function or a partial of one): the parse stage's task parses the batch, writes its cells
    to the cell store and returns only the small per-report rows, so the caller neither receives nor holds
    the cells, and memory stays bounded by a batch.
    """
    task = task or partial(parse_batch, keep=keep)
    items = sorted(items, key=lambda x: x[1])
    workers = workers or os.cpu_count() or 1
    if multiprocessing.current_process().daemon:  # e.g. a Celery prefork worker's child: it cannot start a pool
        workers = 1
    parts: list[Parsed] = []
    if workers == 1 or len(items) <= batch_size:
        for chunk in _chunks(items, batch_size):
            parts.append(task(chunk))
            if progress:
                progress(len(chunk))
    else:
        # forkserver: workers start from a small clean process, not a copy of the caller (a Dagster run
        # holding hundreds of MB), so each worker's memory is the parser's, and no lock or thread of the
        # caller is inherited half-way
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            chunks = list(_chunks(items, batch_size))
            for chunk, part in zip(chunks, pool.map(task, chunks)):
                parts.append(part)
                if progress:
                    progress(len(chunk))
    if not parts:
        parts = [parse_batch([], keep)]
    statuses: dict[str, int] = {}
    for p in parts:
        for status, n in (p.statuses or {}).items():
            statuses[status] = statuses.get(status, 0) + n
    return Parsed(
        pl.concat([p.reports for p in parts]),
        pl.concat([p.cells for p in parts]),
        pl.concat([p.failures for p in parts]),
        [o for p in parts for o in (p.objects or [])] if keep else None,
        statuses,
    )
