"""Random edits of the fixtures (issue 14 item 6): whatever is done to a report's text, the parser ends
in one outcome (a report, or ParseError with a reason), never another exception; every value it reads
is printed in the text; and a run over a folder of edited files accounts for every file."""
from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, SEEDS
from nianbao.batch import parse_batch
from nianbao.decode import decode
from nianbao.parsers import parse_bytes
from nianbao.report import ParseError
from pipeline.definitions import resources
from pipeline.runner import materialize_all

FIXTURES = [*SEEDS, *sorted((DATA / "devset" / "raw").glob("*.txt")), *sorted((DATA / "devset" / "raw").glob("*.md"))]
TEXTS = [p.read_text(encoding="utf-8") for p in FIXTURES]
NOISE = st.lists(st.sampled_from(list("0123456789０１２３\t |.,-—/　\n\x00年件一二三（）合计总计其他¹²③")
                                 + ["99999999999999999999", "2023年", "元", "万元"]), max_size=12).map("".join)


@st.composite
def edited(draw) -> str:
    """A fixture with a few random edits: spans deleted, duplicated or moved, noise inserted, digits
    changed, lines swapped, the end cut off."""
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = min(n, i + draw(st.integers(0, 400)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "digit", "swap", "truncate"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(NOISE) + text[i:]
        elif op == "digit":
            text = re.sub(r"\d", lambda m: str(draw(st.integers(0, 9))), text[i:j]).join((text[:i], text[j:]))
        elif op == "swap":
            lines = text.split("\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        else:
            text = text[:i]
    return text


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(edited(), st.sampled_from(["utf-8", "gb18030"]))
def test_an_edited_report_parses_or_fails_with_a_reason(text, encoding):
    data = text.encode(encoding, errors="replace")
    try:
        rep = parse_bytes(data, "edited.txt")
    except ParseError as e:
        assert str(e)
        return
    printed = _norm(decode(data))
    for c in rep.cells:
        if c.status == "value":
            assert c.raw is not None and _norm(c.raw) in printed, (c, "a value not printed in the text")


def test_a_folder_of_edited_reports_is_accounted_for(tmp_path):
    rng = random.Random(14)
    raw = tmp_path / "raw"
    raw.mkdir()
    for k in range(24):
        text = rng.choice(TEXTS)
        for _ in range(rng.randint(0, 4)):
            i = rng.randrange(len(text) + 1)
            j = min(len(text), i + rng.randint(0, 300))
            text = rng.choice([text[:i] + text[j:], text[:j] + text[i:j] + text[j:], text[:i] + "9" * rng.randint(1, 25) + text[i:]])
        Path(raw / f"edited{k:02}.txt").write_text(text, encoding="utf-8")
    s = materialize_all(resources(str(raw), str(tmp_path / "wh"), workers=2))
    assert s.success and s.unaccounted == 0
    n = s.counts
    assert n["inputs"] == 24 == n["validated"] + n["quarantined"] + n["failed"]
    # the same files judged one by one (the CLI's path) end the same way: parsed or failed
    alone = parse_batch([(str(p), p.name) for p in sorted(raw.iterdir())])
    assert alone.failures.height == n["failed"]
