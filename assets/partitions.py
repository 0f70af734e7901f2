"""Partitions: one per reporting year (few and stable; never one per file)."""
from __future__ import annotations

import polars as pl
from dagster import DynamicPartitionsDefinition


from nianbao.store import UNKNOWN_YEAR as UNKNOWN, is_year_folder, year_filter, year_folder as folder  # noqa: F401
from nianbao.store import year_key as key_of

YEARS = DynamicPartitionsDefinition(name="year")


def keys_of(years: pl.Series) -> list[str]:
    """Sorted partition keys of the years present."""
    return sorted({key_of(y) for y in years.to_list()})


def spans(order: list[str], keys: list[str]) -> list[list[str]]:
    """`keys` as runs of consecutive partition keys in `order` (the instance's order of the year partitions):
    each span is one single-run backfill over a range of year partitions."""
    at = sorted(order.index(k) for k in keys)
    out: list[list[str]] = []
    for i in at:
        if out and order.index(out[-1][-1]) == i - 1:
            out[-1].append(order[i])
        else:
            out.append([order[i]])
    return out
