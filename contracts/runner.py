"""Run a pandera-polars model over a whole collected frame and return its failure cases (never raises)."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

FAILURE_SCHEMA = {"column": pl.String, "check": pl.String, "index": pl.Int64, "failure_case": pl.String}


def failures(model: type[pa.DataFrameModel], frame: pl.DataFrame) -> pl.DataFrame:
    """Validate `frame` (a DataFrame, so data checks run, not only the schema) and list what failed."""
    if not isinstance(frame, pl.DataFrame):
        raise TypeError("validate collected DataFrames: a LazyFrame is checked for its schema only")
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        schema_level = fc.filter(pl.col("index").is_null())
        if schema_level.height:
            raise ValueError(f"{model.__name__}: frame does not have the contract's schema:\n{schema_level}") from None
        return fc.select(
            pl.col("column").cast(pl.String), pl.col("check").cast(pl.String),
            pl.col("index").cast(pl.Int64), pl.col("failure_case").cast(pl.String),
        )
    return pl.DataFrame(schema=FAILURE_SCHEMA)


def failing_rows(fc: pl.DataFrame, check: str) -> list[int]:
    """Row indices of the frame that failed the named check."""
    return fc.filter(pl.col("check") == check)["index"].unique().sort().to_list()


def require(model: type[pa.DataFrameModel], frame: pl.DataFrame, allowed: tuple[str, ...] = ()) -> pl.DataFrame:
    """Like `failures`, but a failure of any check not in `allowed` is a pipeline bug: raise, naming it.

    Report errors are the `allowed` checks (they become violations); every other check of the model
    guards the pipeline's own output (dtypes, codes, statuses, uniqueness).
    """
    fc = failures(model, frame)
    bugs = fc.filter(~pl.col("check").is_in(list(allowed)))
    if bugs.height:
        raise ValueError(f"{model.__name__}: {bugs.height} failures of the pipeline's own contract:\n{bugs.head(10)}")
    return fc
