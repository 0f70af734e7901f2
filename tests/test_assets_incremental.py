"""Incremental runs: unchanged files are not parsed again, and the outputs equal a full run's, byte for byte."""
from __future__ import annotations

import hashlib
import shutil


from conftest import DATA, SEEDS
from pipeline.definitions import resources
from pipeline.runner import materialize_all


def run(raw, wh):
    s = materialize_all(resources(str(raw), str(wh), workers=1))
    assert s.success
    return {k: s.parse[k] for k in ("parsed", "reused", "dropped")}


def digests(wh):
    return {p.relative_to(wh).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(wh.rglob("*.parquet"))}


def test_only_new_and_changed_files_are_parsed(tmp_path):
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    raw.mkdir()
    for p in SEEDS[:4]:
        shutil.copy(p, raw / p.name)
    assert run(raw, wh) == {"parsed": 4, "reused": 0, "dropped": 0}
    first = digests(wh)
    assert run(raw, wh) == {"parsed": 0, "reused": 4, "dropped": 0}
    assert digests(wh) == first

    shutil.copy(SEEDS[4], raw / SEEDS[4].name)  # a new file
    changed = raw / SEEDS[0].name  # a changed file: one published number differs
    changed.write_text(changed.read_text(encoding="utf-8").replace("\t110686\n", "\t110687\n"), encoding="utf-8")
    (raw / SEEDS[1].name).unlink()  # a removed file
    shutil.copy(DATA / "devset" / "raw" / "006.txt", raw / "glued.txt")
    assert run(raw, wh) == {"parsed": 3, "reused": 2, "dropped": 2}

    full = tmp_path / "full"
    run(raw, full)
    assert digests(wh) == digests(full)
