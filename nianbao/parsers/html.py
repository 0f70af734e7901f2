"""HTML → text lines for the text parser: one line per paragraph, one TAB-separated line per table row.

Cells are read in order, not by grid column (header and data rows often disagree on colspans), so
rowspan/colspan need no expansion here: a row's label is followed by its values whatever the grid.
A table that contains other tables is page layout (common in CMS pages): its cells are walked as
blocks, and only the innermost tables are read as data. Labels split into one <span> per character
are joined; `&nbsp;`, `<o:p> </o:p>` and empty cells are empty; digits split by a line break are joined.
"""
from __future__ import annotations

import re

_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header",
          "footer", "blockquote", "pre", "br", "hr", "dd", "dt", "dl", "center", "form", "caption", "tbody",
          "thead", "tfoot", "tr", "td", "th", "main", "aside", "nav", "figure", "figcaption"}
_SKIP = {"script", "style", "noscript", "template", "iframe", "svg", "object", "head", "select", "button",
         "input", "textarea", "option"}
_WS = re.compile(r"[\s\u00a0\u3000]+")
_NUMERIC = re.compile(r"[\d\s\u00a0.,，]+")


def _cell_text(node) -> str:
    text = node.text(deep=True, separator="")
    if not text or (text.isdigit() and text.isascii()):  # most cells: empty or a plain number, as they are
        return text
    text = _WS.sub(" ", text).strip()
    if _NUMERIC.fullmatch(text):
        text = _WS.sub("", text)  # "12\n34" is one number split by a line break
    return text


def _rows(table) -> list[list[str]]:
    """The cells of each row of a table without nested tables, in printed order."""
    return [[_cell_text(td) for td in tr.iter() if td.tag in ("td", "th")] for tr in table.css("tr")]


def _walk(root, out: list[str], buf: list[str]) -> None:
    """The text of `root`'s descendants: block elements as lines, innermost tables as TAB rows.

    Iterative (an explicit stack of open elements), so a page nested thousands of elements deep reads
    like any other instead of exhausting Python's recursion limit."""
    end = object()
    stack = [(root.iter(include_text=True), False)]  # (an open element's children, is it a block)
    while stack:
        children, block = stack[-1]
        child = next(children, end)
        if child is end:
            stack.pop()
            if block:
                _flush(out, buf)
            continue
        tag = child.tag
        if tag == "-text":
            buf.append(child.text_content or "")
            continue
        if tag in _SKIP or tag == "-comment":
            continue
        if tag == "table":
            _flush(out, buf)
            if len(child.css("table")) > 1:  # css() includes the node itself
                stack.append((child.iter(include_text=True), False))  # a layout table: its cells are blocks
            else:
                out.extend("\t".join(r) for r in _rows(child))
                out.append("")
            continue
        is_block = tag in _BLOCK
        if is_block:
            _flush(out, buf)
        stack.append((child.iter(include_text=True), is_block))


def _flush(out: list[str], buf: list[str]) -> None:
    if not buf:  # called at both ends of every block element: mostly with nothing gathered
        return
    line = _WS.sub(" ", "".join(buf)).strip()
    buf.clear()
    if line:
        out.append(line)


def html_text(data: bytes | str) -> str:
    """The page as text lines (body only; the <title> first when the body has no title line)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(data)
    if "<sup" in data or "<SUP" in data if isinstance(data, str) else b"<sup" in data.lower():
        for sup in tree.css("sup"):  # a footnote marker: "74<sup>1</sup>" is 74 with note 1, never 741
            sup.replace_with("^" + sup.text(deep=True, separator="").strip())
    out: list[str] = []
    title = tree.css_first("title")
    body = tree.body or tree.root
    if body is not None:
        _walk(body, out, [])
    head = _WS.sub(" ", title.text()).strip() if title is not None else ""
    head = re.split(r"\s*[_|｜]\s*|\s+-\s+", head)[0] if head else ""
    return "\n".join(([head, ""] if head else []) + out) + "\n"
