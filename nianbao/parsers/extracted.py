"""What a format backend hands to the text parser: the text lines, whether table rows are positional, and where each line was printed."""
from __future__ import annotations

from typing import NamedTuple


class Extracted(NamedTuple):
    """A file reduced to text lines for `parsers.text.parse_text`.

    * `text`: one line per paragraph or table row; the cells of a table row joined by TAB.
    * `grid`: True when the backend kept the table grid (HTML, DOCX, PDF): every TAB-separated cell of a
      table row stands in its column, so an empty field between two TABs (or after the last TAB) is a
      blank cell of that column, never a missing one. Plain text (False) has no such promise: its
      separators vary and a line's surrounding whitespace means nothing.
    * `places`: per line of `text.splitlines()` (same index), where it was printed: (page, y) with the
      page 1-based and y the distance in points from the top of the page to the line (the top of a
      table row spanning several lines); None for text formats, whose place is the line number.
    """

    text: str
    grid: bool = False
    places: tuple[tuple[int, float] | None, ...] | None = None
