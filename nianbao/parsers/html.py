"""HTML → text lines for the text parser: one line per paragraph, one TAB-separated line per table row.

Cells are read in order, not by grid column (header and data rows often disagree on colspans), so
rowspan/colspan need no expansion here: a row's label is followed by its values whatever the grid.
A table that contains other tables is page layout (common in CMS pages): its cells are walked as
blocks, and only the innermost tables are read as data. Labels split into one <span> per character
are joined; `&nbsp;`, `<o:p> </o:p>` and empty cells are empty; digits split by a line break are joined.
A `<sup>` footnote marker is read as "^n" after its number, never as more digits of it. Outside data
tables, scripts, styles and the other elements of `_SKIP` are not read (a cell is read whole: its text
content). The <title> is the first line when the page has one.

The tree is walked node by node in one loop (an explicit stack, sibling links, Lexbor's tag ids rather
than tag names) and a cell's text is Lexbor's text content: a report page has some thousand nodes, and
after the parse, visiting them is most of the reading's cost.
"""
from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header",
          "footer", "blockquote", "pre", "br", "hr", "dd", "dt", "dl", "center", "form", "caption", "tbody",
          "thead", "tfoot", "tr", "td", "th", "main", "aside", "nav", "figure", "figcaption"}
_SKIP = {"script", "style", "noscript", "template", "iframe", "svg", "object", "head", "select", "button",
         "input", "textarea", "option"}
_NUMERIC = re.compile(r"[\d\s\u00a0.,，]+")


def _tag_ids(names) -> frozenset[int]:
    """Lexbor's ids of the named tags (the tags of HTML have fixed ids; an int compares faster than a name
    is made)."""
    tree = LexborHTMLParser("")
    return frozenset(tree.create_node(name).tag_id for name in names)


_BLOCK_IDS, _SKIP_IDS, _CELL_IDS = _tag_ids(_BLOCK), _tag_ids(_SKIP), _tag_ids(("td", "th"))
_ROW_GROUP_IDS = _tag_ids(("thead", "tbody", "tfoot"))
(_TABLE_ID,), (_TR_ID,) = _tag_ids(("table",)), _tag_ids(("tr",))
_TEXT_ID, _COMMENT_ID = (node.tag_id for node in LexborHTMLParser("<p>x<!---->").css_first("p").iter(include_text=True))


def _cell_text(text: str) -> str:
    """A cell's text as read: whitespace collapsed and stripped (`str.split`'s whitespace: \\s, NBSP, the
    ideographic space); a number split by a line break ("12\\n34") joined."""
    if not text or (text.isdigit() and text.isascii()):  # most cells: empty or a plain number, as they are
        return text
    if " " not in text and text.isprintable():  # no whitespace (every other whitespace is unprintable)
        return text
    text = " ".join(text.split())
    if _NUMERIC.fullmatch(text):
        text = text.replace(" ", "")
    return text


def _table_rows(table):
    """The <tr> elements of a table, in order: its row groups' (<thead>, <tbody>, <tfoot>) and its own,
    which is where the HTML parser puts every row of a table (a <tr> met in a cell closes the cell)."""
    for child in table.iter():
        tag = child.tag_id
        if tag in _ROW_GROUP_IDS:
            for tr in child.iter():
                if tr.tag_id == _TR_ID:
                    yield tr
        elif tag == _TR_ID:
            yield child


def _rows(table) -> list[list[str]]:
    """The cells of each row of a table without nested tables, in printed order."""
    rows = []
    for tr in _table_rows(table):
        cells = [td.text_lexbor() for td in tr.iter() if td.tag_id in _CELL_IDS]  # (textContent, at C speed)
        joined = "".join(cells)
        if " " in joined or not joined.isprintable():  # a cell with whitespace (every other is unprintable)
            cells = [_cell_text(text) for text in cells]
        rows.append(cells)  # (else every cell is as `_cell_text` reads it)
    return rows


def _layout_tables(tables) -> set[int]:
    """The `mem_id`s of the tables (all of a page's, `tree.tags("table")`) that contain another table: the
    tables among the others' ancestors (each ancestor looked at once: a page can be deeply nested)."""
    out: set[int] = set()
    seen: set[int] = set()
    for table in tables:
        node = table.parent
        while node is not None and node.mem_id not in seen:  # (a node seen before: its ancestors were too)
            seen.add(node.mem_id)
            if node.tag_id == _TABLE_ID:
                out.add(node.mem_id)
            node = node.parent
    return out


def _walk(root, out: list[str], buf: list[str], layout: set[int] = frozenset()) -> None:
    """The text of `root`'s descendants: block elements as lines, innermost tables as TAB rows (`layout`:
    the `mem_id`s of the tables that contain another table, `_layout_tables`).

    Iterative (an explicit stack of open elements, the tree followed by its sibling links), so a page
    nested thousands of elements deep reads like any other instead of exhausting Python's recursion limit."""
    stack = []  # (an open element, is it a block)
    node = root.first_child
    while True:
        if node is None:  # past the last child of the innermost open element
            if not stack:
                return
            node, block = stack.pop()
            if block and buf:
                _flush(out, buf)
            node = node.next
            continue
        tag = node.tag_id
        if tag == _TEXT_ID:
            buf.append(node.text_content or "")
        elif tag == _TABLE_ID:
            if buf:
                _flush(out, buf)
            if node.mem_id in layout:
                stack.append((node, False))  # a layout table: its cells are blocks
                node = node.first_child
                continue
            out.extend("\t".join(r) for r in _rows(node))
            out.append("")
        elif tag not in _SKIP_IDS and tag != _COMMENT_ID:
            block = tag in _BLOCK_IDS
            if block and buf:
                _flush(out, buf)
            stack.append((node, block))
            node = node.first_child
            continue
        node = node.next


def _flush(out: list[str], buf: list[str]) -> None:
    """The text gathered in `buf` as a line of `out` (called, when there is any, at both ends of every block
    element and table)."""
    line = " ".join("".join(buf).split())  # whitespace collapsed and stripped
    buf.clear()
    if line:
        out.append(line)


def html_text(data: bytes | str) -> str:
    """The page as text lines (body only; the <title> first when the body has no title line)."""
    tree = LexborHTMLParser(data)
    if tree.tags("sup") and ("<sup" in data or "<SUP" in data if isinstance(data, str) else b"<sup" in data.lower()):
        for sup in tree.css("sup"):  # a footnote marker: "74<sup>1</sup>" is 74 with note 1, never 741
            sup.replace_with("^" + sup.text(deep=True, separator="").strip())
    out: list[str] = []
    titles = tree.tags("title")  # (in document order, as css_first's; without a selector to compile)
    title = titles[0] if titles else None
    body = tree.body or tree.root
    if body is not None:
        tables = tree.tags("table")
        _walk(body, out, [], _layout_tables(tables) if len(tables) > 1 else frozenset())
    head = " ".join(title.text().split()) if title is not None else ""
    head = re.split(r"\s*[_|｜]\s*|\s+-\s+", head)[0] if head else ""
    return "\n".join(([head, ""] if head else []) + out) + "\n"
