"""Incremental runs: unchanged files are not parsed again, and the warehouse equals a full run's, byte for
byte: the published datasets and the parse's own (parsed_reports, the cell store's segment files)."""
from __future__ import annotations

import hashlib
import shutil

import polars as pl

from conftest import DATA, SEEDS
from nianbao.store import CellStore
from pipeline.definitions import resources
from pipeline.runner import materialize_all


def run(raw, wh):
    s = materialize_all(resources(str(raw), str(wh), workers=1))
    assert s.success
    return {k: s.parse[k] for k in ("parsed", "reused", "dropped")}


def digests(wh):
    """sha256 of every Parquet file under the warehouse."""
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
    assert digests(wh).keys() >= {"reports/2023/part-0.parquet", "violations/2023/part-0.parquet",
                                  "parsed_reports/part-0.parquet"}
    assert any(k.startswith("parsed_cells/2023/seg-") for k in digests(wh))
    assert {k.replace("parsed_cells/", "parsed_prose/") for k in digests(wh) if k.startswith("parsed_cells/")} == {
        k for k in digests(wh) if k.startswith("parsed_prose/")}  # each segment's sentence hashes beside its cells


def test_a_report_whose_sentence_hashes_are_gone_is_parsed_again(tmp_path):
    raw, wh = two_seeds_run(tmp_path)
    first = digests(wh)
    prose = CellStore(wh / "parsed_prose")
    hashes = prose.read(pl.read_parquet(wh / "parsed_reports" / "part-0.parquet"))
    assert hashes.height == 2 and all(len(x) > 5 for x in hashes["exact"].to_list())  # the seeds have prose
    for p in prose.files().values():
        p.unlink()
    assert run(raw, wh) == {"parsed": 2, "reused": 0, "dropped": 2}  # the comparisons need them: read again
    assert digests(wh) == first


def two_seeds_run(tmp_path):
    """A warehouse of a run on two seeds: (raw folder, warehouse)."""
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    raw.mkdir()
    for p in SEEDS[:2]:
        shutil.copy(p, raw / p.name)
    run(raw, wh)
    return raw, wh


def test_a_segment_nobody_points_at_is_removed_and_a_missing_one_is_named(tmp_path):
    raw, wh = two_seeds_run(tmp_path)
    store = CellStore(wh / "parsed_cells")
    stray = wh / "parsed_cells" / "2023" / "seg-0000000000000000.parquet"  # e.g. left by a crashed parse
    shutil.copy(next(iter(store.files().values())), stray)
    assert run(raw, wh) == {"parsed": 0, "reused": 2, "dropped": 0}
    assert not stray.exists()
    for p in store.files().values():
        p.unlink()
    reports = pl.read_parquet(wh / "parsed_reports" / "part-0.parquet")
    try:
        store.read(reports)
    except FileNotFoundError as e:
        assert "parsed cells of" in str(e) and "seg-" in str(e)
    else:
        raise AssertionError("reading a store with missing segments must fail, naming the file")
    assert run(raw, wh) == {"parsed": 2, "reused": 0, "dropped": 2}  # cells gone: the files are parsed again
    assert store.read(reports).height > 0


def test_the_stat_cache_reuses_hashes_of_untouched_files_only(tmp_path):
    import os
    import time

    from assets.inventory import RACY_NS, inventory

    raw = tmp_path / "raw"
    raw.mkdir()
    for p in SEEDS[:3]:
        shutil.copy(p, raw / p.name)
    old = time.time_ns() - 10 * RACY_NS
    for p in raw.iterdir():
        os.utime(p, ns=(old, old))
    files = sorted((str(p), p.name) for p in raw.iterdir())
    first, cache, hits = inventory(files)
    assert hits == 0
    again, _, hits = inventory(files, cache)
    assert hits == 3 and again.equals(first)
    # same size, new content, new mtime: hashed again
    p = raw / SEEDS[0].name
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("1", "2", 1), encoding="utf-8")
    changed, _, hits = inventory(files, cache)
    assert hits == 2
    assert changed.filter(pl.col("path") == SEEDS[0].name)["sha256"][0] == hashlib.sha256(p.read_bytes()).hexdigest()
    # files modified just before the cache was taken are not trusted even when their stat looks unchanged
    for q in raw.iterdir():
        os.utime(q)
    _, racy, _ = inventory(files)
    _, _, hits = inventory(files, racy)
    assert hits == 0


def test_a_year_whose_inputs_and_code_are_unchanged_is_not_run_again(tmp_path):
    """Only the years a change touches are judged, documented and rendered again (a changed year and the
    year after it, whose history rules look back); the outputs equal a full run's, byte for byte."""
    import json
    import subprocess
    import sys

    from assets.freshness import BASIS_FILE

    subprocess.run([sys.executable, "-m", "pipeline.cli", "synth", "--count", "40", "--out", str(tmp_path / "syn"),
                    "--seed", "3", "--error-rate", "0", "--formats", "txt", "--years", "2021-2024"],
                   check=True, capture_output=True)
    raw, wh = tmp_path / "syn" / "raw", tmp_path / "wh"
    first = materialize_all(resources(str(raw), str(wh), workers=1))
    assert first.success and first.years == ["2021", "2022", "2023", "2024"] and first.skipped == []
    again = materialize_all(resources(str(raw), str(wh), workers=1))
    assert again.success and again.years == [] and again.skipped == first.years
    assert again.counts == first.counts

    changed = sorted((raw / "2022").rglob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("。", "；", 1), encoding="utf-8")
    third = materialize_all(resources(str(raw), str(wh), workers=1))
    assert third.years == ["2022", "2023"] and third.skipped == ["2021", "2024"]
    full = materialize_all(resources(str(raw), str(tmp_path / "full"), workers=1))
    assert digests(wh) == digests(tmp_path / "full")
    assert third.counts == full.counts

    # an output removed (or rewritten) by hand, or a basis that does not match (other code), makes the year
    # run again
    (wh / "rollup_national" / "2021" / "part-0.parquet").unlink()
    basis = wh / BASIS_FILE
    recorded = json.loads(basis.read_text(encoding="utf-8"))
    recorded["2024"]["basis"] = "0123456789abcdef"
    basis.write_text(json.dumps(recorded), encoding="utf-8")
    fourth = materialize_all(resources(str(raw), str(wh), workers=1))
    assert fourth.years == ["2021", "2024"] and fourth.success
    assert digests(wh) == digests(tmp_path / "full")


def test_a_warehouse_of_the_old_hive_layout_is_renamed_in_place(tmp_path):
    """Year folders were `year=2023/` (and `year=__HIVE_DEFAULT_PARTITION__/`) before: the next run renames
    them, so no glob reads a year twice, and the warehouse ends as a fresh run's."""
    raw, wh = tmp_path / "raw", tmp_path / "wh"
    raw.mkdir()
    for p in SEEDS[:3]:
        shutil.copy(p, raw / p.name)
    run(raw, wh)
    fresh = digests(wh)
    for d in sorted(wh.glob("*/[0-9]*")) + sorted(wh.glob("*/unknown")):
        d.rename(d.with_name("year=" + (d.name if d.name != "unknown" else "__HIVE_DEFAULT_PARTITION__")))
    assert not list(wh.glob("*/[0-9]*")) and list(wh.glob("reports/year=2023"))
    run(raw, wh)
    assert not list(wh.glob("*/year=*"))
    assert digests(wh) == fresh
