"""Render report tables to each text layout of the spec, for round-trip tests (render → parse → same cells).

The renderers live in `synth.render` (the synthetic corpus uses them too); this module re-exports them.
"""
from __future__ import annotations

from synth.render import *  # noqa: F401,F403
from synth.render import _fmt, _html_rows, _render_rows  # noqa: F401  (private names some tests reach for)
