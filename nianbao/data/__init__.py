"""Vendored, generated reference data for the nianbao domain core (no runtime deps)."""
