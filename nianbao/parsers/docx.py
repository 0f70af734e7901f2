"""DOCX → text lines for the text parser: one line per paragraph, one line per table row (cells joined by TAB).

The package is read from memory with `zipfile`, every member's declared size and compression
ratio checked before anything is inflated (zip bombs), and word/document.xml parsed with
entity declarations refused (billion laughs / external entities). The body is walked in
document order straight over the XML, which is about twice as fast as python-docx's `row.cells`.
"""
from __future__ import annotations

import io
import zipfile
from functools import lru_cache

from nianbao.report import ParseError

DOCUMENT = "word/document.xml"
MAX_DOCUMENT_XML = 50 * 1024 * 1024  # uncompressed; the largest real report is a few MB
MAX_MEMBER = 500 * 1024 * 1024  # any member: we never read the others, but a file declaring this is not a report
MAX_RATIO = 200  # deflated XML of real documents stays well under 100:1
RATIO_FLOOR = 10 * 1024 * 1024  # small members cannot hurt, whatever their ratio

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC = _W + "p", _W + "tbl", _W + "tr", _W + "tc"
_TAB = _W + "tab"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Containers whose children are body content (content controls, custom XML).
_BLOCK_WRAPPERS = {_W + "sdt", _W + "sdtContent", _W + "customXml"}


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def _read_document_xml(data: bytes) -> bytes:
    """The bytes of word/document.xml, after the zip-bomb checks."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as e:
        raise ParseError(f"not a DOCX: corrupt zip ({e})") from e
    with zf:
        infos = zf.infolist()
        doc = next((i for i in infos if i.filename == DOCUMENT), None)
        if doc is None:
            raise ParseError(f"not a DOCX: the zip has no {DOCUMENT}")
        for info in infos:
            limit = MAX_DOCUMENT_XML if info is doc else MAX_MEMBER
            if info.file_size > limit:
                raise ParseError(f"DOCX {info.filename} expands to {_mb(info.file_size)} (limit {_mb(limit)}): "
                                 "refusing a possible zip bomb")
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                raise ParseError(f"DOCX {info.filename} expands {ratio:.0f}:1 to {_mb(info.file_size)} "
                                 f"(limit {MAX_RATIO}:1): refusing a possible zip bomb")
        try:
            with zf.open(doc) as f:
                # Bounded read: zipfile stops at the declared size, and a member that lies about it fails its CRC.
                xml = f.read(MAX_DOCUMENT_XML + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError) as e:
            raise ParseError(f"DOCX {DOCUMENT} cannot be read: {e}") from e  # encrypted, bad CRC, odd compression
    if len(xml) > MAX_DOCUMENT_XML:
        raise ParseError(f"DOCX {DOCUMENT} expands beyond {_mb(MAX_DOCUMENT_XML)}: refusing a possible zip bomb")
    return xml


def _parse_xml(xml: bytes):
    """The root element, with DTDs and entities refused instead of expanded."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as e:
        raise ParseError(f"DOCX {DOCUMENT} is not well-formed XML: {e}") from e
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        # A Word document never carries a DOCTYPE; one that declares entities is an attack.
        dtd = info.internalDTD
        entities = dtd is not None and any(True for _ in dtd.iterentities())
        raise ParseError(f"DOCX {DOCUMENT}: " + ("XML entities are not allowed" if entities else "an XML DOCTYPE is not allowed"))
    return root


@lru_cache(maxsize=1)
def _xpaths():
    from lxml import etree

    ns = {"w": _W[1:-1]}
    # w:tab only inside a run: w:pPr/w:tabs/w:tab are tab-stop definitions, not text.
    run_text = etree.XPath(".//w:r/w:t | .//w:r/w:tab", namespaces=ns)
    continuations = etree.XPath('.//w:tc[w:tcPr/w:vMerge[not(@w:val) or @w:val!="restart"]]', namespaces=ns)
    return run_text, continuations


_VALIGN = _W + "vertAlign"
_RPR = _W + "rPr"


def _raised(t) -> bool:
    """True when the run of text node `t` is superscript (a footnote marker beside a number)."""
    rpr = t.getparent().find(_RPR)
    v = rpr.find(_VALIGN) if rpr is not None else None
    return v is not None and v.get(_W + "val") == "superscript"


def _text(p, raised: bool) -> str:
    """A paragraph's text: every w:t, w:tab as a space; w:br and w:cr give nothing. A superscript run is
    marked "^" (a footnote marker: "74" + raised "1" is 74 with a note, never 741). `raised`: whether the
    document has any w:vertAlign at all (most have none, and then no paragraph is searched for one)."""
    nodes = _xpaths()[0](p)
    if not raised or p.find(".//" + _VALIGN) is None:
        return "".join(" " if n.tag == _TAB else (n.text or "") for n in nodes)
    return "".join(" " if n.tag == _TAB else ("^" if _raised(n) else "") + (n.text or "") for n in nodes)


def _children(el, tag):
    """Children of `el` with `tag`, looking through content controls and custom XML around them."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in _BLOCK_WRAPPERS:
            yield from _children(child, tag)


def _table(tbl, out: list[str], raised: bool) -> None:
    """One line per row; a cell that holds a nested table is a layout box: its content follows the row."""
    continuations = set(_xpaths()[1](tbl))  # one query per table: a find() per cell costs more than the rest
    for tr in _children(tbl, _TR):
        cells: list[str] = []
        nested: list[str] = []
        for tc in _children(tr, _TC):
            if tc in continuations:
                cells.append("")  # a merged cell's text sits in the first row it covers
            elif tc.find(".//" + _TBL) is not None:
                cells.append("")
                _blocks(tc, nested, raised)
            else:
                parts: list[str] = []
                _blocks(tc, parts, raised)
                cells.append("".join(parts))
        if any(cells) or not nested:
            out.append("\t".join(cells))
        out.extend(nested)


def _blocks(container, out: list[str], raised: bool = False) -> None:
    """Paragraphs and tables of a body (or cell) in document order."""
    for child in container:
        tag = child.tag
        if tag == _P:
            out.append(_text(child, raised))
        elif tag == _TBL:
            _table(child, out, raised)
        elif tag in _BLOCK_WRAPPERS:
            _blocks(child, out, raised)


def docx_text(data: bytes) -> str:
    """The text of a DOCX for `parse_text`: paragraphs as lines, table rows as TAB-joined lines.

    Raises ParseError for a file that is not a DOCX, a possible zip bomb, or XML with a DTD/entities.
    """
    xml = _read_document_xml(data)
    root = _parse_xml(xml)
    for fb in list(root.iter(_FALLBACK)):
        fb.getparent().remove(fb)  # mc:Fallback repeats the text of the mc:Choice it stands in for
    body = root.find(_W + "body")
    if body is None:
        raise ParseError(f"DOCX {DOCUMENT} has no w:body")
    out: list[str] = []
    _blocks(body, out, b"vertAlign" in xml)
    return "\n".join(out) + "\n"
