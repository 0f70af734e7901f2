"""Runs as units: a run's year outputs are staged, then committed in one step (or discarded).

`nianbao run` gives its year runs a `Warehouse` with a staging token: every year partition they write
(Parquet, side files, Data Docs, the year page) goes to `<root>/.staging/<token>/<dataset>/<Y>/`.
When all of the run's years succeeded, `commit` writes a journal (the year folders to move, and the
unpartitioned datasets published with them: parse_failures), then swaps each staged year folder for the
published one (a rename each; the old folder goes to the staging area and is deleted). A run that fails leaves nothing published: `discard` deletes its staging area. A
process killed during the swap leaves its journal: `recover` (at the next run, under the warehouse
lock) finishes the swap; a staging area without a journal is an unfinished run and is deleted.

Readers see the year folders of the previous run or of this one: the swap takes a rename per year
folder (milliseconds), and a crash inside it is rolled forward, never left half done.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from assets.partitions import is_year_folder
from assets.warehouse import STAGING
from nianbao.atomic import write_text_atomic

JOURNAL = "JOURNAL.json"
TRASH = ".replaced"


def new_token() -> str:
    """A staging token unique to this run."""
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"


def _area(root: str | Path, token: str) -> Path:
    return Path(root) / STAGING / token


def commit(root: str | Path, token: str) -> int:
    """Publish the year folders staged under `token`; how many."""
    area = _area(root, token)
    if not area.exists():
        return 0
    moves = sorted([str(d.relative_to(area)) for d in area.glob("*/*") if d.is_dir() and is_year_folder(d.name)]
                   + [str(f.relative_to(area)) for f in area.glob("*/part-0.parquet")])
    write_text_atomic(json.dumps({"moves": moves}), area / JOURNAL)
    _apply(Path(root), area, moves)
    return len(moves)


def _apply(root: Path, area: Path, moves: list[str]) -> None:
    """Swap each staged year folder into place (idempotent: a swap done before a crash is skipped)."""
    for rel in moves:
        staged, live, old = area / rel, root / rel, area / TRASH / rel
        if not staged.exists():
            continue  # swapped already
        if staged.is_file():  # an unpartitioned dataset: one atomic rename
            live.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, live)
            continue
        if live.exists() and not old.exists():
            old.parent.mkdir(parents=True, exist_ok=True)
            os.replace(live, old)
        elif live.exists():  # the old one was set aside already, and a new one is there? (cannot happen)
            shutil.rmtree(live)
        live.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, live)
    shutil.rmtree(area, ignore_errors=True)


def discard(root: str | Path, token: str) -> None:
    """Forget a run that did not succeed: nothing it staged is published."""
    shutil.rmtree(_area(root, token), ignore_errors=True)


def recover(root: str | Path) -> list[str]:
    """Finish the commits a killed process left half done; delete the staging areas of unfinished runs.
    Returns what was done, one line each. Only under the warehouse lock."""
    done = []
    base = Path(root) / STAGING
    for area in sorted(base.iterdir()) if base.exists() else []:
        journal = area / JOURNAL
        if journal.exists():
            moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
            _apply(Path(root), area, moves)
            done.append(f"finished publishing run {area.name} ({len(moves)} year folders)")
        else:
            shutil.rmtree(area, ignore_errors=True)
            done.append(f"discarded the unfinished run {area.name}")
    return done
