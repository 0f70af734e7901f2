"""Parse many files in batches on a process pool and collect the results as columnar frames."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl

from nianbao import frames as F
from nianbao import isolation as I
from nianbao.decode import MAX_BYTES
from nianbao.parsers import parse_bytes
from nianbao.rawfiles import NotRegular, open_regular
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
    prose: pl.DataFrame | None = None  # the reports' sentence hashes (frames.PROSE_SCHEMA), until stored

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
        with open_regular(path) as f:  # a FIFO put there since the inventory is not waited on
            size = os.fstat(f.fileno()).st_size
            if size > MAX_BYTES:  # not even read
                return rid, None, {"path": relpath, "sha256": None, "size": size,
                                   "error": f"file is {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit "
                                            "for one report"}
            data = f.read()
    except NotRegular as e:
        return rid, None, {"path": relpath, "sha256": None, "size": None, "error": str(e)}
    except OSError as e:
        return rid, None, {"path": relpath, "sha256": None, "size": None, "error": f"cannot read file: {e.strerror}"}
    sha = hashlib.sha256(data).hexdigest()
    I.mark(relpath)
    try:
        with I.time_limit(I.limits().seconds):
            rep = with_folder_region(parse_bytes(data, Path(path).name, path), relpath)
    except ParseError as e:
        return rid, None, {"path": relpath, "sha256": sha, "size": len(data), "error": str(e)}
    except I.FileTimeout as e:
        return rid, None, {"path": relpath, "sha256": sha, "size": len(data), "error": str(e)}
    except MemoryError:
        return rid, None, {"path": relpath, "sha256": sha, "size": len(data),
                           "error": f"over the memory limit of {I.limits().memory_mb} MB for parsing one file "
                                    "(NIANBAO_FILE_MEMORY_MB)"}
    except Exception as e:  # a parser bug must not stop the run: the file fails with the reason
        return rid, None, {"path": relpath, "sha256": sha, "size": len(data),
                           "error": f"internal parser error {type(e).__name__}: {e}"}
    finally:
        I.mark(None)
    return rid, rep, {"path": relpath, "sha256": sha, "size": len(data)}


def parse_batch(items: list[tuple[str, str]], keep: bool = False) -> Parsed:
    """Parse (path, relpath) pairs in this process."""
    reports, cells, failures, objects, prose = [], [], [], [], []
    for path, relpath in items:
        rid, rep, info = _parse_one(path, relpath)
        if rep is None:
            failures.append({"report_id": rid, "source": Path(path).name, **info, "parser": PARSER_VERSION})
            continue
        reports.append(F.report_rows(rep, rid, info["path"], info["sha256"], info["size"]))
        cells.append(F.cell_columns(rep, rid))
        prose.append((rid, rep))
        if keep:
            objects.append(rep)
    return Parsed(
        pl.DataFrame(reports, schema=F.REPORT_SCHEMA),
        F.cells_frame(cells),
        pl.DataFrame(failures, schema=F.FAILURE_SCHEMA),
        objects if keep else None,
        prose=F.prose_frame(prose),
    )


def _on_pool(chunks: list[list[tuple]], task, workers: int,
             progress: Callable[[int], None] | None) -> list[Parsed]:
    """Run `task` on every chunk on a pool of worker processes (`nianbao.isolation`: per-file time and
    memory limits, workers that die with the run), results in chunk order.

    When a worker dies, the pool breaks: the file it was reading fails alone (with the signal), and the
    unfinished chunks are run again, without it, on a new pool."""
    # forkserver: workers start from a small clean process, not a copy of the caller (a Dagster run
    # holding hundreds of MB), so each worker's memory is the parser's, and no lock or thread of the
    # caller is inherited half-way
    ctx = multiprocessing.get_context("forkserver")
    status = tempfile.mkdtemp(prefix="nianbao-workers-")
    done: dict[int, Parsed] = {}
    dead: dict[str, str] = {}  # relpath → why its worker died
    try:
        while len(done) < len(chunks):
            todo = [i for i in range(len(chunks)) if i not in done]
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=I.init_worker,
                                       initargs=(I.limits(), status, os.getpid()))
            try:
                futures = {i: pool.submit(task, [x for x in chunks[i] if x[1] not in dead]) for i in todo}
                for i in todo:
                    done[i] = futures[i].result()
                    if progress:
                        progress(_n_read(chunks[i]))
            except BrokenProcessPool:
                procs = dict(pool._processes or {})  # (the executor forgets them when it shuts down)
                pool.shutdown(wait=True, cancel_futures=True)
                for p in procs.values():
                    p.join(5)
                # a worker the pool terminated (SIGTERM) or that is somehow still running is not the culprit
                found = I.culprits(status, {pid: p.exitcode for pid, p in procs.items() if p.exitcode is not None})
                if not found:  # no worker said what it was reading: fail the first unfinished chunk whole
                    first = next(i for i in todo if i not in done)
                    found = {rel: I.died(None) + " (one of its batch; the file could not be told apart)"
                             for rel in (x[1] for x in chunks[first]) if rel not in dead}
                dead.update(found)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        shutil.rmtree(status, ignore_errors=True)
    parts = [done[i] for i in range(len(chunks))]
    if dead:
        parts.append(_died(chunks, dead))
    return parts


def _died(chunks: list[list[tuple]], dead: dict[str, str]) -> Parsed:
    """Failure rows for the files whose worker died."""
    rows = []
    for path, rel in (x[:2] for chunk in chunks for x in chunk if x[1] in dead):
        try:
            data = Path(path).read_bytes()
            sha, size = hashlib.sha256(data).hexdigest(), len(data)
        except OSError:
            sha, size = None, None
        rows.append({"report_id": report_id(rel), "source": Path(path).name, "path": rel, "sha256": sha,
                     "size": size, "error": dead[rel], "parser": PARSER_VERSION})
    return Parsed(pl.DataFrame(schema=F.REPORT_SCHEMA), F.cells_frame([]),
                  pl.DataFrame(rows, schema=F.FAILURE_SCHEMA))


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def parse_many(items: Iterable[tuple[str, str]], workers: int | None = None, batch_size: int = 200,
               keep: bool = False, progress: Callable[[int], None] | None = None) -> Parsed:
    """Parse (path, relpath) pairs on `workers` processes (default: all cores), in batches of `batch_size`,
    in a deterministic order (by relpath)."""
    items = sorted(items, key=lambda x: x[1])
    return run_chunks(list(_chunks(items, batch_size)), partial(parse_batch, keep=keep), workers, progress, keep)


def run_chunks(chunks: list[list[tuple]], task: Callable[[list[tuple]], Parsed], workers: int | None = None,
               progress: Callable[[int], None] | None = None, keep: bool = False) -> Parsed:
    """Run `task` on every chunk of items, on `workers` processes, and gather the results in chunk order.

    An item is (path, relpath, …): `task` (a picklable, module-level function or a partial of one) gets
    the chunk's items, minus any whose reading killed a worker (those fail alone, see `_on_pool`). The
    parse stage's task (`incremental.parse_and_store`) parses its chunk, writes the cells to the cell
    store and returns only the small per-report rows, so the caller neither receives nor holds the cells
    and memory stays bounded by a chunk. `progress` is told how many files each chunk read (items whose
    path is None are not read: the parse stage's reused reports)."""
    workers = workers or os.cpu_count() or 1
    if multiprocessing.current_process().daemon:  # e.g. a Celery prefork worker's child: it cannot start a pool
        workers = 1
    if workers == 1:
        parts = []
        for chunk in chunks:
            parts.append(task(chunk))
            if progress:
                progress(_n_read(chunk))
    else:
        parts = _on_pool(chunks, task, workers, progress)
    if not parts:
        parts = [parse_batch([], keep)]
    statuses: dict[str, int] = {}
    for p in parts:
        for status, n in (p.statuses or {}).items():
            statuses[status] = statuses.get(status, 0) + n
    return Parsed(
        pl.concat([p.reports for p in parts], how="diagonal"),  # (failure-only parts have no `segment`)
        pl.concat([p.cells for p in parts]),
        pl.concat([p.failures for p in parts]),
        [o for p in parts for o in (p.objects or [])] if keep else None,
        statuses,
        pl.concat([p.prose for p in parts if p.prose is not None]) if any(p.prose is not None for p in parts)
        else None,
    )


def _n_read(chunk: list[tuple]) -> int:
    """How many files of a chunk are read (not reused)."""
    return sum(1 for x in chunk if x[0] is not None)
