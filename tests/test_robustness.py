"""A folder of bad inputs: one precise outcome per file, and the run goes on for the rest."""
from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

from conftest import DATA, SEEDS
from pipeline.definitions import resources
from pipeline.runner import materialize_all

REPO = Path(__file__).resolve().parents[1]
DOCX_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

# file name → the start of its parse failure reason (None: it parses)
EXPECTED_FAILURES = {
    "empty.txt": "empty file",
    "noise.bin.txt": "binary content",
    "huge.txt": "file is 20.0 MB, over the 8 MB limit",
    "bomb.docx": "DOCX word/document.xml expands",
    "entities.docx": "DOCX word/document.xml",
    "legacy.doc": "legacy Word .doc (OLE) is not supported",
    "notzip.docx": "not a DOCX",
    "english.html": "no Chinese text",
    "scanned.pdf": "PDF cannot be opened",
}


def _docx(document_xml: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", document_xml)
    return buf.getvalue()


def make_bad_folder(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(7)
    (root / "empty.txt").write_bytes(b"")
    (root / "noise.bin.txt").write_bytes(bytes(rnd.randrange(256) for _ in range(20000)))
    (root / "huge.txt").write_bytes(("行政许可" * 1_666_667).encode()[:20_000_000])
    (root / "bomb.docx").write_bytes(_docx(b"<w:document " + DOCX_NS.encode() + b">" + b"0" * 60_000_000))
    (root / "entities.docx").write_bytes(_docx(
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        f'<w:document {DOCX_NS}><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>'.encode()))
    (root / "legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048)
    (root / "notzip.docx").write_bytes(b"PK\x03\x04" + b"garbage" * 100)
    (root / "english.html").write_bytes(b"<html><body><p>Not found</p></body></html>")
    (root / "scanned.pdf").write_bytes(b"%PDF-1.4\n%garbage that is not a pdf\n")
    html = (DATA / "devset" / "raw" / "002.html").read_bytes()
    (root / "truncated.html").write_bytes(html[: len(html) * 2 // 3])
    text = SEEDS[2].read_text(encoding="utf-8")
    cut = text[: text.index("三、收到和处理")] + text[text.index("四、政府信息公开行政复议"):]
    (root / "no_table3.txt").write_text(cut, encoding="utf-8")
    (root / "gbk.txt").write_bytes(SEEDS[0].read_text(encoding="utf-8").encode("gb18030"))
    return root


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory):
    return make_bad_folder(tmp_path_factory.mktemp("bad"))


def test_cli_gives_one_precise_outcome_per_file(bad_folder):
    files = sorted(bad_folder.iterdir())
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", "parse", "--json", *map(str, files)],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = {json.loads(x)["source"]: json.loads(x) for x in r.stdout.splitlines()}
    assert set(out) == {f.name for f in files}
    for name, reason in EXPECTED_FAILURES.items():
        assert out[name].get("error", "").startswith(reason), (name, out[name].get("error"))
    assert "error" not in out["gbk.txt"] and out["gbk.txt"]["violations"] == []
    no3 = [v for v in out["no_table3.txt"]["violations"] if v["severity"] == "error"]
    assert [(v["rule"], v["table"], v["row"]) for v in no3] == [("structure.tables_present", "applications", None)]
    trunc = {(v["rule"], v["row"]) for v in out["truncated.html"]["violations"]}
    assert ("structure.tables_present", "carried_forward") in trunc


def test_pipeline_accounts_for_every_bad_file(bad_folder, tmp_path):
    s = materialize_all(resources(str(bad_folder), str(tmp_path), workers=2))
    assert s.success
    assert all(e.passed for _, name, _, e in s.checks if name.endswith("conservation"))
    assert s.counts == {"inputs": len(os.listdir(bad_folder)), "validated": 1, "quarantined": 2,
                        "failed": len(EXPECTED_FAILURES)}
    failures = pl.read_parquet(tmp_path / "parse_failures" / "part-0.parquet")
    reasons = dict(zip(failures["source"], failures["error"]))
    for name, reason in EXPECTED_FAILURES.items():
        assert reasons[name].startswith(reason), (name, reasons[name])
