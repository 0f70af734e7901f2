"""Hostile raw folders (issue 14): only regular files inside the raw folder are read. A FIFO, a socket, a
link leading outside the folder, a dangling link, a link loop, a name that is not UTF-8 is an input failing
with the reason; hidden entries, the manifest and folder links are skipped and listed; the run finishes
and the clean report is published as when alone. Also: manifests csv cannot read, BOM-less UTF-16."""
from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance

from conftest import SEEDS
from nianbao import manifest as M
from nianbao.batch import report_id
from nianbao.decode import decode
from nianbao.report import ParseError
from pipeline.definitions import resources
from pipeline.runner import materialize_all

REPO = Path(__file__).resolve().parents[1]
DEADLINE = 120  # seconds for a pipeline run on two files (a few): past it, something waits on a FIFO
BAD_NAME = b"bad\xff\xfe.txt"  # not UTF-8
SHOWN = "bad\\xff\\xfe.txt"  # how it is stored

# relative path → the start of its parse failure reason
FAILURES = {
    "dangling.txt": "dangling symbolic link (to nowhere.txt)",
    "loop_a.txt": "symbolic link loop",
    "loop_b.txt": "symbolic link loop",
    "outside.txt": "symbolic link leading outside the raw folder: ",
    "outside_folder": "symbolic link leading outside the raw folder: ",
    "server.sock": "not a regular file: a socket",
    SHOWN: "file name is not valid UTF-8",
}
# relative path → the reason it is not an input
SKIPPED = {
    ".DS_Store": "hidden file",
    ".git/": "hidden folder",
    "linked_folder/": "symbolic link to a folder inside the raw folder, not followed (its target, sub, is listed",
}
READ = ["clean.txt", "inside.txt", "sub/target.txt", "utf16.txt"]  # the inputs that are parsed


def _socket(path: Path) -> None:
    """A Unix socket file at `path` (bound from its folder: a socket path is limited to ~100 bytes)."""
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(path.name)
    finally:
        os.chdir(here)


def make_hostile_folder(tmp: Path) -> Path:
    """A raw folder with a clean seed and one of each hostile entry (no FIFO: see the FIFO test)."""
    raw, outside = tmp / "raw", tmp / "elsewhere"
    (raw / "sub").mkdir(parents=True)
    outside.mkdir()
    shutil.copy(SEEDS[0], raw / "clean.txt")
    shutil.copy(SEEDS[1], raw / "sub" / "target.txt")
    (raw / "inside.txt").symlink_to(Path("sub") / "target.txt")
    (raw / "linked_folder").symlink_to("sub", target_is_directory=True)
    (raw / "utf16.txt").write_bytes(SEEDS[2].read_text(encoding="utf-8").encode("utf-16-le"))
    with open(os.fsencode(raw) + b"/" + BAD_NAME, "wb") as f:
        f.write(SEEDS[3].read_bytes())
    shutil.copy(SEEDS[4], outside / "report.txt")
    (raw / "outside.txt").symlink_to(outside / "report.txt")
    (raw / "outside_folder").symlink_to(outside, target_is_directory=True)
    (raw / "dangling.txt").symlink_to("nowhere.txt")
    (raw / "loop_a.txt").symlink_to("loop_b.txt")
    (raw / "loop_b.txt").symlink_to("loop_a.txt")
    _socket(raw / "server.sock")
    (raw / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (raw / ".git").mkdir()
    (raw / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return raw


def _clean_seed_alone(tmp: Path) -> dict:
    """The published row of SEEDS[0] as clean.txt, run alone."""
    raw, wh = tmp / "alone", tmp / "alone_wh"
    raw.mkdir()
    shutil.copy(SEEDS[0], raw / "clean.txt")
    assert materialize_all(resources(str(raw), str(wh), workers=1)).success
    return _published(wh)["clean.txt"]


def _published(wh: Path) -> dict[str, dict]:
    """Published reports by path."""
    reports = pl.scan_parquet(f"{wh}/reports/**/*.parquet").collect()
    return {r["path"]: r for r in reports.iter_rows(named=True)}


def _failures(wh: Path) -> dict[str, str]:
    failures = pl.read_parquet(wh / "parse_failures" / "part-0.parquet")
    assert failures["path"].is_unique().all()
    return dict(zip(failures["path"], failures["error"]))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """One run over the hostile folder: (summary, warehouse, raw_inventory metadata, the clean seed alone)."""
    tmp = tmp_path_factory.mktemp("hostile")
    raw, wh, instance = make_hostile_folder(tmp), tmp / "warehouse", DagsterInstance.ephemeral()
    s = materialize_all(resources(str(raw), str(wh), workers=1), instance)
    meta = instance.get_latest_materialization_event(AssetKey("raw_inventory")).asset_materialization.metadata
    return s, wh, {k: v.value for k, v in meta.items()}, _clean_seed_alone(tmp)


def test_the_run_finishes_with_one_outcome_per_input(hostile):
    s, wh, _, _ = hostile
    assert s.success
    assert all(e.passed for _, name, _, e in s.checks if name.endswith("conservation"))
    inventory = pl.read_parquet(wh / "raw_inventory" / "part-0.parquet")
    parsed = pl.read_parquet(wh / "parsed_reports" / "part-0.parquet")["path"].to_list()
    assert sorted(inventory["path"]) == sorted([*READ, *FAILURES])
    assert sorted(parsed) == READ and sorted(_failures(wh)) == sorted(FAILURES)
    assert s.counts["inputs"] == len(READ) + len(FAILURES) and s.counts["failed"] == len(FAILURES)
    assert s.counts["validated"] + s.counts["quarantined"] == len(READ) and s.unaccounted == 0


def test_what_cannot_be_read_fails_with_the_reason_and_is_never_opened(hostile):
    _, wh, _, _ = hostile
    failures = _failures(wh)
    for path, reason in FAILURES.items():
        assert failures[path].startswith(reason), (path, failures[path])
    assert failures["outside.txt"].endswith("elsewhere/report.txt")
    inventory = pl.read_parquet(wh / "raw_inventory" / "part-0.parquet").filter(pl.col("problem").is_not_null())
    assert sorted(inventory["path"]) == sorted(FAILURES)
    assert inventory["sha256"].null_count() == inventory["size"].null_count() == len(FAILURES)  # never read


def test_a_name_that_is_not_utf8_is_kept_escaped_with_a_stable_id(hostile):
    _, wh, _, _ = hostile
    failures = pl.read_parquet(wh / "parse_failures" / "part-0.parquet").filter(pl.col("path") == SHOWN)
    assert failures["report_id"].to_list() == [report_id(SHOWN)]
    assert failures["source"].to_list() == [SHOWN]


def test_links_to_files_inside_the_folder_are_read_folder_links_are_listed(hostile):
    _, wh, meta, _ = hostile
    parsed = {r["path"]: r for r in pl.read_parquet(wh / "parsed_reports" / "part-0.parquet").iter_rows(named=True)}
    assert parsed["inside.txt"]["sha256"] == parsed["sub/target.txt"]["sha256"]
    assert "linked_folder/target.txt" not in parsed
    assert f"linked_folder/: {SKIPPED['linked_folder/']}" in meta["skipped_entries"]


def test_hidden_entries_are_not_inputs_but_are_listed(hostile):
    _, _, meta, _ = hostile
    assert meta["skipped"] == len(SKIPPED)
    for rel, reason in SKIPPED.items():
        assert f"{rel}: {reason}" in meta["skipped_entries"]
    assert meta["not_read"] == len(FAILURES)


def test_utf16_without_a_bom_is_read_like_its_utf8_original(hostile):
    _, wh, _, _ = hostile
    parsed = pl.read_parquet(wh / "parsed_reports" / "part-0.parquet")
    rows = {r["path"]: r for r in parsed.iter_rows(named=True)}
    assert rows["utf16.txt"]["title"] and rows["utf16.txt"]["year"] == 2023
    assert "utf16.txt" in _published(wh)


def test_the_clean_seed_is_published_as_when_alone(hostile):
    _, wh, _, alone = hostile
    assert _published(wh)["clean.txt"] == alone


# --- a FIFO: opening it blocks until a writer comes, so the run goes in a child process with a deadline -----

RUN = """
import json, sys
from pipeline.definitions import resources
from pipeline.runner import materialize_all
s = materialize_all(resources(sys.argv[1], sys.argv[2], workers=1))
print(json.dumps({"success": s.success, "counts": s.counts, "unaccounted": s.unaccounted}))
"""


def _run_with_deadline(raw: Path, wh: Path) -> dict:
    """Materialise everything in a child process, killed past DEADLINE: a run that waits on a FIFO fails the
    test rather than hanging it."""
    try:
        r = subprocess.run([sys.executable, "-c", RUN, str(raw), str(wh)], capture_output=True, text=True,
                           cwd=REPO, timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run did not finish in {DEADLINE} s: something opened the FIFO")
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_a_fifo_fails_with_the_reason_and_does_not_hang_the_run(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEEDS[0], raw / "clean.txt")
    os.mkfifo(raw / "pipe.txt")
    out = _run_with_deadline(raw, tmp_path / "warehouse")
    assert out["success"] and out["unaccounted"] == 0
    assert out["counts"] == {"inputs": 2, "validated": 1, "quarantined": 0, "failed": 1}
    assert _failures(tmp_path / "warehouse") == {"pipe.txt": "not a regular file: a FIFO (named pipe)"}


def _within(seconds: float, fn, fifos: list[Path]):
    """fn() in a thread; past `seconds`, the FIFOs are opened for writing (so a reader waiting on one gets
    end of file and the thread ends) and the test fails."""
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        for f in fifos:
            os.close(os.open(f, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"a FIFO was opened for reading: {fifos}")
    return out[0]


def test_the_inventory_lists_a_fifo_without_opening_it(tmp_path):
    from assets.inventory import inventory
    from assets.resources import RawReports

    shutil.copy(SEEDS[0], tmp_path / "clean.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    df, cache, _ = _within(30, lambda: inventory(RawReports(root=str(tmp_path)).listing().files),
                           [tmp_path / "pipe.txt"])
    rows = {r["path"]: r for r in df.iter_rows(named=True)}
    assert rows["pipe.txt"]["problem"] == "not a regular file: a FIFO (named pipe)"
    assert rows["pipe.txt"]["sha256"] is None and rows["clean.txt"]["problem"] is None
    assert cache["path"].to_list() == ["clean.txt"]
    assert RawReports(root=str(tmp_path)).files() == [(str(tmp_path / "clean.txt"), "clean.txt")]


def test_a_name_shown_like_another_is_skipped_not_given_its_id(tmp_path):
    from nianbao.rawfiles import list_raw

    (tmp_path / "a\\xff.txt").write_text("literal backslash")
    with open(os.fsencode(tmp_path) + b"/a\xff.txt", "wb") as f:
        f.write(b"byte ff")
    listing = list_raw(tmp_path)
    assert [(f.rel, f.problem) for f in listing.files] == [("a\\xff.txt", None)]
    assert Path(listing.files[0].path).read_text() == "literal backslash"
    assert [rel for rel, _ in listing.skipped] == ["a\\xff.txt"]
    assert "not valid UTF-8" in listing.skipped[0][1]


# --- manifests csv cannot read: refused with one line naming the manifest and the line ------------------

HEADER = "file,body,region_code,url\n"
UNTERMINATED = HEADER + 'clean.txt,巫山县人民政府,500237,\nother.txt,"长治市人民政府办公室,140400,\nlast.txt,,,\n'
HUGE = HEADER + "clean.txt,巫山县人民政府,500237,\n" + "other.txt," + "长" * (200 * 1024) + ",,\n"
MANIFEST_ERRORS = {
    "unterminated": (UNTERMINATED, "manifest.csv, line 3: unterminated quote: the quoted field opened on this "
                                   "line runs to the end of the file"),
    "huge": (HUGE, "manifest.csv, line 3: cannot read the row (a field is over csv's limit of 131,072 characters"),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_ERRORS))
def test_a_manifest_csv_cannot_read_is_refused_naming_the_line(tmp_path, case):
    text, message = MANIFEST_ERRORS[case]
    (tmp_path / "manifest.csv").write_text(text, encoding="utf-8")
    with pytest.raises(M.ManifestError) as e:
        M.read_manifest(tmp_path / "manifest.csv")
    assert str(e.value).startswith(f"{tmp_path}/{message}")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("case", sorted(MANIFEST_ERRORS))
def test_the_pipeline_stops_at_a_manifest_it_cannot_read_with_that_line(tmp_path, case, monkeypatch):
    monkeypatch.delenv("NIANBAO_MANIFEST", raising=False)
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEEDS[0], raw / "clean.txt")
    (raw / "manifest.csv").write_text(MANIFEST_ERRORS[case][0], encoding="utf-8")
    instance = DagsterInstance.ephemeral()
    s = materialize_all(resources(str(raw), str(tmp_path / "warehouse"), workers=1), instance)
    assert not s.success
    failures = [e.dagster_event.step_failure_data for run in s.run_ids
                for e in instance.all_logs(run, of_type=DagsterEventType.STEP_FAILURE)]
    assert [f.error.message for f in failures] == [
        'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "parse_reports":\n']
    message = failures[0].error.cause.message.strip()  # the error the parse stage raised: one line
    assert message.startswith(f"nianbao.manifest.ManifestError: {raw}/{MANIFEST_ERRORS[case][1]}")
    assert "\n" not in message


# --- UTF-16 without a byte-order mark ---------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_decode_reads_utf16_without_a_bom(codec):
    for seed in SEEDS:
        text = seed.read_text(encoding="utf-8")
        assert decode(text.encode(codec)) == text


def test_decode_still_calls_binary_and_utf32_binary():
    text = SEEDS[0].read_text(encoding="utf-8")
    rnd = random.Random(7)
    noise = bytes(rnd.randrange(256) for _ in range(20000))
    for data in (noise, b"\x00" * 5000, text.encode("utf-32-le"), b"ab\x00\x00" * 2000):
        with pytest.raises(ParseError, match="binary content"):
            decode(data)
    with pytest.raises(ParseError, match="UTF-16-LE text without a byte-order mark, but undecodable bytes"):
        decode(text.encode("utf-16-le") + b"\x00\xd8")
