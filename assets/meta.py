"""Materialisation metadata shared by the assets: row counts, column schemas and markdown previews, and
the metadata of each year partition when a run materialises several years (`year_written`, `year_rows`)."""

import polars as pl
from dagster import MetadataValue, TableColumn, TableSchema


def _cell(v) -> str:
    """A value as a Markdown table cell, in full (a pipe escaped, line breaks as spaces)."""
    return "" if v is None else " ".join(str(v).split("\n")).replace("|", "\\|")


def markdown_table(df: pl.DataFrame, limit: int = 10) -> str:
    """A markdown table of the first rows (no pandas needed), every cell in full."""
    head = df.head(limit)
    cols = head.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in head.iter_rows():
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
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


# --- per-year metadata -------------------------------------------------------------------------------
# A step over several year partitions (a single-run backfill) returns one MaterializeResult, whose metadata
# Dagster copies to every year's materialisation. Partition-scoped metadata (`add_asset_metadata(...,
# partition_key=)`, Dagster 1.13) overrides it key by key: these helpers give each year its own figures.


def _asset_context(asset: str | None = None):
    """The running asset step's context when it materialises year partitions (of `asset`, when given;
    else of its only asset), else None (outside a step, in a check, unpartitioned)."""
    from dagster import AssetExecutionContext, AssetKey

    try:
        context = AssetExecutionContext.get()
    except Exception:  # noqa: BLE001 - no asset step is running (a test, the CLI, a check)
        return None
    keys = context.assets_def.keys
    if asset is None and len(keys) != 1 or asset is not None and AssetKey(asset) not in keys:
        return None
    return context if context.assets_def.partitions_def is not None else None


def year_metadata(asset: str | None, key: str, metadata: dict) -> None:
    """Give year partition `key` of `asset` (the step's only asset when None) this metadata in the running
    step, over what the step returns for all its years; nothing outside a year step."""
    context = _asset_context(asset)
    if context is not None and key in context.partition_keys:
        context.add_asset_metadata(metadata, asset_key=asset or context.assets_def.key, partition_key=key)


def year_written(name: str, key: str, df: pl.DataFrame, preview: int = 10, rows: int | None = None) -> None:
    """Dataset `name`'s year `key` was written (`Warehouse.write_year`): its row count (`rows`, default
    `df`'s) and preview (the first rows of `df`) are that year's, in the running step's materialisation of
    that partition."""
    year_metadata(name, key, {"dagster/row_count": df.height if rows is None else rows,
                              "preview": MetadataValue.md(markdown_table(df, preview))})


def year_rows(rows: list[dict]) -> None:
    """A step's per-year figures (one dict per year, with "year"): each becomes that year's metadata in the
    running step's materialisation of its only asset (a multi-asset's years get their row counts from
    `year_written`)."""
    for row in rows:
        year_metadata(None, str(row["year"]), {k: v for k, v in row.items() if k != "year"})
