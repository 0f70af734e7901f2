"""The hazard corpus (`synth.hazards`): deterministic, every hazard in every format where it is possible,
the truth equal to what is printed, PDFs self-contained (embedded font, extractable text)."""
from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest

from synth import hazards as H

HAS_PDF = importlib.util.find_spec("reportlab") is not None and importlib.util.find_spec("pypdfium2") is not None
FORMATS = H.FORMATS if HAS_PDF else tuple(f for f in H.FORMATS if f != "pdf")
MARKS = re.compile(r"[¹²³①②③]|<sup>\d</sup>")
NUM = re.compile(r"\d+(?:\.\d+)?")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hazards") / "c"
    H.generate(str(out), 60, seed=7, formats=FORMATS, workers=2)
    return out


def _docs(corpus: Path):
    for t in sorted((corpus / "truth").glob("*.json")):
        truth = json.loads(t.read_text(encoding="utf-8"))
        yield next((corpus / "raw").glob(t.stem + ".*")), truth


def test_same_seed_same_bytes(corpus, tmp_path):
    H.generate(str(tmp_path / "b"), 60, seed=7, formats=FORMATS, workers=1)
    a, b = _tree(corpus), _tree(tmp_path / "b")
    assert len(a) == 120 and a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_every_hazard_in_every_possible_format(corpus):
    seen = {(truth["format"], h["hazard"]) for _, truth in _docs(corpus) for h in truth["hazards"]}
    want = {(f, h) for h, fmts in H.HAZARDS.items() for f in fmts if f in FORMATS}
    assert sorted(want - seen) == []
    alone = {truth["hazards"][0]["hazard"] for _, truth in _docs(corpus) if len(truth["hazards"]) == 1}
    assert len(alone) >= 5  # hazards alone in some documents, combined in others


def test_truth_shape_and_checks(corpus):
    from nianbao import template as T

    for raw, truth in _docs(corpus):
        assert raw.stem == truth["id"] and raw.suffix == "." + truth["format"]
        tpl = T.template(truth["template"])
        assert set(tpl.application_codes) <= set(truth["applications"])
        assert all(len(v) == 7 for v in truth["applications"].values())
        assert all(len(v) == 5 for v in truth["review_litigation"].values())
        names = {h["hazard"] for h in truth["hazards"]}
        if "arithmetic_error" in names:
            assert truth["checks_violated"], truth["id"]
        elif not names & {"blank_cells", "placeholders"}:
            assert truth["checks_violated"] == [], truth["id"]
        for h in truth["hazards"]:
            if h["hazard"] == "collapsed_group":
                group = h["group"]
                assert h["row"] in truth["applications"] and h["row"] in truth["printed_labels"]
                assert all(truth["applications"][c] == [None] * 7 for c in T.group_items(tpl, group))
            if h["hazard"] == "label_typo":
                for r in h["rows"]:
                    assert r["printed"] != r["template"] and truth["printed_labels"][r["row"]].endswith(r["printed"])


# ---------------------------------------------------------------------------------------------
# the truth is what is printed
# ---------------------------------------------------------------------------------------------
def _numbers(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", MARKS.sub("", text))
    return NUM.findall(re.sub(r"(?<=\d),(?=\d{3})", "", text))


def _lines(raw: Path) -> list[str]:
    """The document's rows: text lines, HTML <tr>, Word <w:tr> (cell texts joined by a tab)."""
    if raw.suffix in (".txt", ".md"):
        return raw.read_text(encoding="utf-8").splitlines()
    if raw.suffix == ".html":
        html = raw.read_text(encoding="utf-8")
        return [re.sub(r"<[^>]+>", "", re.sub(r"</td>", "\t", MARKS.sub("", tr))) for tr in re.findall(r"<tr>.*?</tr>", html, re.S)]
    if raw.suffix == ".docx":
        xml = zipfile.ZipFile(raw).read("word/document.xml").decode("utf-8")
        xml = re.sub(r'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:t>\d</w:t></w:r>', "", xml)
        return [re.sub(r"<[^>]+>", "", re.sub(r"</w:tc>", "\t", tr)) for tr in re.findall(r"<w:tr>.*?</w:tr>", xml, re.S)]
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(raw.read_bytes())
    return ["\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))]


def _row_values(vals) -> list[str]:
    return [str(v) for v in vals if v is not None]


def _run(stream: list[str], i: int, want: list[str], skip: set[str]) -> int:
    """The index after `want` read from stream[i:], tokens in `skip` allowed in between; 0 when it is not there."""
    for w in want:
        while i < len(stream) and stream[i] != w and stream[i] in skip:
            i += 1
        if i >= len(stream) or stream[i] != w:
            return 0
        i += 1
    return i


def test_truth_numbers_are_printed_in_their_rows(corpus):
    for raw, truth in _docs(corpus):
        lines = _lines(raw)
        toks = [_numbers(x) for x in lines]
        rows = [truth["applications"][c] for c in truth["printed_labels"]] + [
            [v for g in truth["review_litigation"].values() for v in g]]
        if raw.suffix == ".pdf":  # one stream: each row's numbers in a run, the rows in order
            # a raised footnote digit (<super>) comes out of the text layer as a digit of its own: skip those
            raised = {str(c["marker"]) for h in truth["hazards"] if h["hazard"] == "footnote_markers"
                      and h["style"] == "raised" for c in h["cells"]}
            stream = [t for t in toks[0]]
            at = 0
            for vals in rows:
                want = _row_values(vals)
                if not want:
                    continue
                hit = next((i for i in range(at, len(stream)) if _run(stream, i, want, raised)), None)
                assert hit is not None, (truth["id"], want)
                at = _run(stream, hit, want, raised)
            continue
        at = 0
        for vals in rows:  # each row's numbers end one line (cell run), lines in template order
            want = _row_values(vals)
            if not want:
                continue
            hit = next((i for i in range(at, len(toks)) if toks[i][-len(want):] == want), None)
            assert hit is not None, (truth["id"], raw.suffix, want, lines[at:at + 5])
            at = hit + 1


def test_pdfs_embed_their_font_and_give_back_the_labels(corpus):
    if not HAS_PDF:
        pytest.skip("reportlab/pypdfium2 not installed")
    import pypdfium2 as pdfium

    pdfs = [(raw, truth) for raw, truth in _docs(corpus) if raw.suffix == ".pdf"]
    assert pdfs
    for raw, truth in pdfs:
        data = raw.read_bytes()
        descriptors = data.count(b"/Type /FontDescriptor")
        assert descriptors and data.count(b"/FontFile2") == descriptors, raw.name
        assert b"/Helvetica" not in data and b"STSong" not in data
        pdf = pdfium.PdfDocument(data)
        text = re.sub(r"\s", "", "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))))
        vertical = any(h["hazard"] == "vertical_group_labels" for h in truth["hazards"])
        for code, label in truth["printed_labels"].items():
            part = label.rpartition(" ")[2] if vertical else label
            assert re.sub(r"\s", "", part) in text, (raw.name, code, label)


def test_pdf_text_round_trips_without_system_fonts():
    """Drawn text comes back exactly from the embedded font (whatever fonts the machine has)."""
    if not HAS_PDF:
        pytest.skip("reportlab/pypdfium2 not installed")
    import io

    import pypdfium2 as pdfium
    from reportlab.pdfgen import canvas

    from synth.pdf import FONT, register_font

    register_font()
    drawn = "三、本年度办理结果 12 1,234 ¹²³ ① —“”２０２３年 巫山县 4.保护第三方合法权"
    buf = io.BytesIO()
    c = canvas.Canvas(buf, initialFontName=FONT)
    c.setFont(FONT, 10)
    c.drawString(50, 700, drawn)
    c.save()
    assert pdfium.PdfDocument(buf.getvalue())[0].get_textpage().get_text_range() == drawn


def test_a_character_missing_from_the_font_fails_loudly():
    if not HAS_PDF:
        pytest.skip("reportlab not installed")
    from synth.pdf import MissingGlyph, check_glyphs

    assert check_glyphs("巫山县2023年") == "巫山县2023年"
    with pytest.raises(MissingGlyph, match=r"U\+1F600"):
        check_glyphs("表情😀")


def test_cli(tmp_path, capsys):
    assert H.main([str(tmp_path / "o"), "--count", "5", "--seed", "2", "--formats", "txt,md"]) == 0
    assert len(list((tmp_path / "o" / "raw").iterdir())) == 5
    assert "5 documents" in capsys.readouterr().out
