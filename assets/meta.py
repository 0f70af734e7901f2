"""Materialisation metadata shared by the assets: row counts, column schemas and markdown previews."""

import polars as pl
from dagster import MetadataValue, TableColumn, TableSchema


def markdown_table(df: pl.DataFrame, limit: int = 10) -> str:
    """A small markdown table of the first rows (no pandas needed)."""
    head = df.head(limit)
    cols = head.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in head.iter_rows():
        lines.append("| " + " | ".join("" if v is None else str(v).replace("|", "/")[:60] for v in row) + " |")
    if df.height > limit:
        lines.append(f"\n… {df.height - limit} more rows")
    return "\n".join(lines)


def frame_metadata(df: pl.DataFrame, preview: int = 10) -> dict:
    """Row count, column schema and a preview for a dataset asset."""
    return {
        "dagster/row_count": df.height,
        "dagster/column_schema": TableSchema(columns=[TableColumn(c, str(t)) for c, t in df.schema.items()]),
        "preview": MetadataValue.md(markdown_table(df, preview)),
    }


def schema_metadata(df: pl.DataFrame, preview: int = 10) -> dict:
    """Column schema and a preview (of one year, for steps that write several years)."""
    meta = frame_metadata(df, preview)
    meta.pop("dagster/row_count")
    return meta
