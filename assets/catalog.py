"""The asset catalogue the Dagster UI shows: each asset's owners, tags, kinds, declared table schema (with
column descriptions) and source code references, applied to the asset definitions in one place
(`catalogued`, used by pipeline/definitions.py and the runner) rather than in every asset's decorator.

Each dataset's column schema is built from the one place that defines it: the frame schemas of
nianbao/frames.py and nianbao/incremental.py, assets/inventory.py's, contracts/violations.py's, and for the
published datasets and the rollups what contracts/publish.py and contracts/rollups.py make of no reports
(so a column added there appears here). Column descriptions are in `COLUMNS`, one dict for every dataset;
the template's columns are described by their printed labels (nianbao/template.py).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache

import polars as pl
from dagster import AssetsDefinition, TableColumn, TableSchema, map_asset_specs, with_source_code_references

OWNERS = ["team:nianbao"]
DOMAIN = {"domain": "gov_info_disclosure"}  # 政府信息公开工作年度报告

# What each asset is made with and stored as (Dagster "kinds": icons and filters in the UI).
KINDS = {
    "raw_inventory": {"python", "parquet"},
    "parsed_reports": {"python", "polars", "parquet"},
    "parsed_cells": {"python", "polars", "parquet"},
    "parsed_prose": {"python", "polars", "parquet"},
    "parse_failures": {"python", "polars", "parquet"},
    "violations": {"pandera", "polars", "parquet"},
    "reports": {"polars", "parquet"},
    "active_disclosure": {"polars", "parquet"},
    "applications": {"polars", "parquet"},
    "review_litigation": {"polars", "parquet"},
    "rollup_province": {"polars", "parquet"},
    "rollup_national": {"polars", "parquet"},
    "data_docs": {"great_expectations", "html"},
    "year_summary": {"html"},
}
NOT_TABLES = ("data_docs", "year_summary")  # HTML sites, no column schema

# Every column of every dataset, described once (the template's own columns are added from its labels); a
# column that means something else in one dataset is described under "<dataset>.<column>".
COLUMNS = {
    "report_id": "Stable id of the input file (a hash of its path under the raw folder); joins every dataset.",
    "path": "Path of the input file, relative to the raw folder.",
    "source": "File name of the input file.",
    "size": "Size of the input file in bytes.",
    "sha256": "SHA-256 of the input file's content.",
    "problem": "Why the input is never opened (a FIFO, a link leading outside the raw folder, …); null for a "
               "regular file.",
    "format": "File format the parser read (txt, pdf, docx, …).",
    "title": "Title of the report as printed.",
    "body": "The reporting body (机关) named by the report or the manifest.",
    "body_type": "Kind of body (government, department, …) derived from its name.",
    "year": "Reporting year (the year the report covers); the partition key of the year datasets.",
    "template": "Which national template the report follows: 2021 (current) or 2019.",
    "region_code": "Administrative division code (GB/T 2260) of the body's region.",
    "province": "Province of the body's region.",
    "prefecture": "Prefecture-level city of the body's region.",
    "county": "County-level division of the body's region.",
    "notes": "Parser notes on the report (repairs, ambiguities).",
    "parser": "Version of the parser that read the file.",
    "region_level": "Level of the body's region: national, province, prefecture or county.",
    "region_candidates": "Region codes the body's name could denote when it is ambiguous.",
    "segment": "Cell-store segment file holding the report's cells.",
    "table": "Template table: active_disclosure (二), applications (三), review_litigation (四); rates in the "
             "rollups.",
    "row": "Template row code of the cell.",
    "column": "Template column code of the cell.",
    "raw": "The cell's text as printed.",
    "line": "Line of the extracted text the cell was read from.",
    "status": "How the cell was read: value, blank, placeholder, invalid, ambiguous, missing, not_printed.",
    "value": "Numeric value of the cell (decimal); in the rollups the sum over the reports.",
    "value_int": "Value of a count cell as an integer.",
    "note": "Parser note on the cell.",
    "parsed_prose.exact": "The report's distinct prose sentences (NFKC, spaces removed) as sorted 64-bit BLAKE2b "
                          "hashes.",
    "parsed_prose.masked": "The same sentences with every number replaced by #, hashed likewise: a sentence "
                           "reused with new figures.",
    "label": "The printed row label the cell's row was read from.",
    "page": "PDF page of the cell (null for other formats).",
    "y": "Vertical position of the cell on its PDF page.",
    "error": "Why the file could not be read as a report.",
    "rule": "Id of the broken rule (contracts/catalogue.py; `nianbao template` lists them).",
    "severity": "error (the report is quarantined) or warning (it is published with the warning).",
    "expected": "The figure the rule expects (e.g. the sum of the parts).",
    "actual": "The figure the report prints.",
    "message": "What is wrong, in words.",
    "printed": "The culprit cell's text as printed in the report.",
    "suspect_row": "Row of the cell that most likely holds the error (null unless one correction fixes it).",
    "suspect_column": "Column of the suspect cell (two columns for a glued split).",
    "suspect_value": "The value of the suspect cell that makes the sums hold.",
    "suspect_kind": "single_cell or glued_split.",
    "n_warnings": "Number of warnings the report has (see violations).",
    "item": "Table 二 item (regulations, normative documents, licences, …).",
    "group": "Table 四 group: administrative review, litigation without or after review.",
    "n_reports": "Number of validated reports behind the figure.",
    "n_blank": "Number of those reports that printed the cell blank.",
    "n_quarantined": "Number of reports of the key quarantined (not in the figures).",
    # the year-on-year comparisons (assets/comparisons.py, contracts/comparisons.py)
    "previous_report_id": "The same body's report of the year before.",
    "previous_value": "The cell's value in the year before's report.",
    "relative_change": "change / previous_value (null when the year before is 0 or blank).",
    "rank": "Rank of the change among the report's cells (1: the largest relative change).",
    "previous_in_force": "Documents in force at the end of the year before, as that report printed them.",
    "expected_in_force": "previous_in_force + issued − repealed.",
    "difference": "in_force − expected_in_force (0 when the stock carries over).",
    "body_key": "The body's identity across years: region code and normalised name.",
    "previous_template": "Template of the year before's report.",
    "n_compared": "Cells compared with the year before.",
    "n_changed": "Of those, cells whose value changed.",
    "top_table": "Table of the largest relative change.",
    "top_row": "Row of the largest relative change.",
    "top_column": "Column of the largest relative change.",
    "top_change": "The largest relative change's absolute change.",
    "stock_breaks": "Items whose stock does not carry over from the year before.",
    "n_sentences": "Sentences of the report's prose.",
    "n_sentences_previous": "Sentences of the year before's prose.",
    "n_reused": "Sentences copied verbatim from the year before.",
    "reused_share": "n_reused / n_sentences.",
    "n_reused_masked": "Sentences copied from the year before once numbers and years are masked.",
    "reused_share_masked": "n_reused_masked / n_sentences.",
    # a column meaning something else in one dataset: "<dataset>.<column>"
    "comparisons.change": "value − previous_value.",
    "coverage.status": "continuing (a report this year and last), missing (last year only) or new (this year only).",
}


@cache
def _derived() -> dict[str, str]:
    """Descriptions made from their definitions: the template's columns (their printed labels) and the
    figures the prose may state (nianbao/frames.py STATED)."""
    from nianbao import template as T
    from nianbao.frames import STATED

    cols = (*T.ACTIVE_COLUMNS, *T.APPLICANT_COLUMNS, T.ORG_SUBTOTAL, *T.REVIEW_COLUMNS)
    return {**{c.code: f"Template column {c.label} ({c.code})" + (": a total" if c.code == "total" else "")
               for c in cols},
            **{f"stated_{f}": f"The {f.replace('_', ' ')} figure as the report's prose states it (null when "
                              "it does not), checked against the tables (contracts/narrative.py)." for f in STATED}}


@cache
def schemas() -> dict[str, dict]:
    """Each table dataset's declared schema (column → polars dtype), from its one definition."""
    from assets.inventory import SCHEMA as INVENTORY
    from contracts.publish import publish
    from contracts.rollups import NATIONAL_KEY, PROVINCE_KEY, TABLES, rollup
    from contracts.violations import SCHEMA as VIOLATIONS
    from nianbao.frames import CELL_SCHEMA, FAILURE_SCHEMA, PROSE_SCHEMA
    from nianbao.incremental import INDEX_SCHEMA

    none = pl.DataFrame(schema=INDEX_SCHEMA)
    published = publish(none, pl.DataFrame(schema=CELL_SCHEMA), pl.DataFrame(schema=VIOLATIONS))
    tables = {t: published[t] for t, _ in TABLES}
    nobody = pl.Series("report_id", [], pl.String)
    return {**_comparison_schemas(),
        "raw_inventory": dict(INVENTORY), "parsed_reports": dict(INDEX_SCHEMA), "parsed_cells": dict(CELL_SCHEMA),
        "parsed_prose": dict(PROSE_SCHEMA),
        "parse_failures": dict(FAILURE_SCHEMA), "violations": dict(VIOLATIONS),
        **{name: dict(df.schema) for name, df in published.items()},
        "rollup_province": dict(rollup(tables, published["reports"], none, nobody, PROVINCE_KEY).schema),
        "rollup_national": dict(rollup(tables, published["reports"], none, nobody, NATIONAL_KEY).schema),
    }


def _comparison_schemas() -> dict[str, dict]:
    """The year-on-year datasets' schemas (contracts/comparisons.py), when that module is there."""
    try:
        from contracts import comparisons as C
    except ImportError:
        return {}
    return {"comparisons": dict(C.CELL_SCHEMA), "comparisons_stock": dict(C.STOCK_SCHEMA),
            "comparisons_bodies": dict(C.BODY_SCHEMA), "coverage": dict(C.COVERAGE_SCHEMA)}


def describe(dataset: str, column: str) -> str | None:
    """A column's description (None when it has none: a test keeps that from happening)."""
    return COLUMNS.get(f"{dataset}.{column}") or COLUMNS.get(column) or _derived().get(column)


def table_schema(name: str) -> TableSchema:
    """The declared schema of dataset `name` as Dagster shows it (`dagster/column_schema`)."""
    return TableSchema(columns=[TableColumn(c, str(t), description=describe(name, c) or "")
                                for c, t in schemas()[name].items()])


DEFAULT_KINDS = {"polars", "parquet"}  # an asset added without an entry here (tests/test_dagster_ui.py notices)


def _spec(spec):
    name = spec.key.to_user_string()
    metadata = {"dagster/column_schema": table_schema(name)} if name in schemas() else {}
    tags = {**spec.tags, **DOMAIN, "stage": spec.group_name or "default",
            "partitioned_by": "year" if spec.partitions_def is not None else "none"}
    return (spec.replace_attributes(owners=OWNERS, kinds=KINDS.get(name, DEFAULT_KINDS), tags=tags)
            .merge_attributes(metadata=metadata))


def catalogued(assets: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
    """`assets` with the catalogue applied: owners, tags, kinds, the declared column schema, and
    references to their source code (local files: the repository has no remote to link to)."""
    with warnings.catch_warnings():  # code references are beta in dagster 1.13
        warnings.simplefilter("ignore")
        return list(with_source_code_references(map_asset_specs(_spec, assets)))
