"""Partitions: one per reporting year (few and stable; never one per file)."""
from __future__ import annotations

import polars as pl
from dagster import DynamicPartitionsDefinition


from nianbao.store import HIVE_NULL, UNKNOWN_YEAR as UNKNOWN, year_filter, year_folder as folder  # noqa: F401
from nianbao.store import year_key as key_of

YEARS = DynamicPartitionsDefinition(name="year")


def keys_of(years: pl.Series) -> list[str]:
    """Sorted partition keys of the years present."""
    return sorted({key_of(y) for y in years.to_list()})
