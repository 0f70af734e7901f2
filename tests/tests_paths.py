"""Paths the worker-side test helpers need (importable without pytest's conftest)."""
from pathlib import Path

SEED = Path(__file__).parent / "data" / "seeds" / "000_0ca6d768b0b6ad6a.txt"
