"""Report-level contracts: the record of each parsed report, the template/year and ambiguous-region warnings."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from contracts.violations import with_rule

TEMPLATE_YEAR = "structure.template_year"
AMBIGUOUS_REGION = "identity.ambiguous_region"
LEVELS = ["province", "prefecture", "county"]  # nianbao.regions' division levels
_MISMATCH = ((pl.col("template") == "2019") & (pl.col("year") >= 2021)) | (
    (pl.col("template") == "2021") & (pl.col("year") <= 2020))


class Reports(pa.DataFrameModel):
    """One row per parsed report."""

    report_id: str = pa.Field(nullable=False, unique=True)
    source: str
    path: str
    sha256: str = pa.Field(str_length={"min_value": 64, "max_value": 64})
    size: pl.Int64 = pa.Field(ge=0)
    format: str
    title: str = pa.Field(nullable=True)
    body: str = pa.Field(nullable=True)
    body_type: str = pa.Field(nullable=True)
    year: pl.Int32 = pa.Field(nullable=True, in_range={"min_value": 2008, "max_value": 2100})
    template: str = pa.Field(isin=["2021", "2019"])
    region_code: str = pa.Field(nullable=True, str_matches=r"^\d{6}$")
    region_level: str = pa.Field(nullable=True, isin=LEVELS)

    class Config:
        strict = False


def template_year_warnings(reports: pl.DataFrame) -> pl.DataFrame:
    """A warning for each report whose template does not match its reporting year."""
    df = reports.filter(_MISMATCH.fill_null(False)).select(
        "report_id", table=pl.lit(None, pl.String), row=pl.lit(None, pl.String), column=pl.lit(None, pl.String),
        expected=pl.lit(None, pl.Int64), actual=pl.lit(None, pl.Int64),
        message=pl.format("reporting year {} laid out with the {} template", pl.col("year"), pl.col("template")))
    return with_rule(df, TEMPLATE_YEAR)


def ambiguous_region_warnings(reports: pl.DataFrame) -> pl.DataFrame:
    """A warning for each report whose body fits several divisions, naming every candidate and its code."""
    from nianbao.regions import division_name  # the division table, loaded only when a report needs it

    amb = reports.filter(pl.col("region_candidates").list.len() > 0).select("report_id", "body", "region_candidates")
    messages = [
        f"{body or 'the body'} fits {len(codes)} divisions: "
        + ", ".join(f"{division_name(c)} ({c})" for c in codes)
        + "; none is guessed: name the prefecture in the title, or give the file's region_code in the manifest"
        for body, codes in zip(amb["body"].to_list(), amb["region_candidates"].to_list())
    ]
    df = amb.select(
        "report_id", table=pl.lit(None, pl.String), row=pl.lit(None, pl.String), column=pl.lit(None, pl.String),
        expected=pl.lit(None, pl.Int64), actual=pl.lit(None, pl.Int64),
        message=pl.Series(messages, dtype=pl.String))
    return with_rule(df, AMBIGUOUS_REGION)
