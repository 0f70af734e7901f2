"""Partitions: one per reporting year (few and stable; never one per file)."""
from __future__ import annotations

import polars as pl
from dagster import DynamicPartitionsDefinition


from nianbao.incremental import UNKNOWN_YEAR as UNKNOWN
from nianbao.incremental import year_key as key_of

YEARS = DynamicPartitionsDefinition(name="year")
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # how the unknown year is spelled in a folder name (hive convention)


def year_filter(key: str) -> pl.Expr:
    """The rows of one partition, by their `year` column."""
    return pl.col("year").is_null() if key == UNKNOWN else pl.col("year") == int(key)


def folder(key: str) -> str:
    """The hive folder of a partition: year=2023, or the hive spelling of null for the unknown year."""
    return f"year={HIVE_NULL if key == UNKNOWN else key}"


def keys_of(years: pl.Series) -> list[str]:
    """Sorted partition keys of the years present."""
    return sorted({key_of(y) for y in years.to_list()})
