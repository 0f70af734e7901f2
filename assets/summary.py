"""The year summary: one self-contained HTML page per reporting year (charts of the rollups, quarantine
list, warnings, provenance).

Written to <warehouse>/summary/<Y>/index.html, atomically; the materialisation links every page
(a path and a file:// URL) and previews its figures in markdown. The page fetches nothing, so it opens on
a machine without internet (see nianbao/summary.py). Its generation time honours SOURCE_DATE_EPOCH.
More sections (year-over-year comparisons) plug in through `extra_sections`.
"""

from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.comparisons import page_frames
from assets.partitions import YEARS
from assets.resources import RawReports
from assets.validate import SINGLE_RUN
from assets.warehouse import Warehouse
from contracts.catalogue import RULES
from contracts.version import RULES_VERSION
from nianbao.atomic import write_text_atomic
from nianbao.summary import (Provenance, Section, YearSummary, comparison_sections, generation_time, render_html,
                             render_markdown, summarise)
from nianbao.version import PARSER_VERSION, hash_modules

PAGE = "index.html"
# the page is rendered from the rollups (rules) by nianbao/summary.py: a change to either makes it stale
PAGES_VERSION = hash_modules(Path(__file__).resolve().parents[1], ("nianbao/summary.py", "contracts/*.py"))
PREVIEW_YEARS = 10  # years previewed in the metadata markdown (every page is still linked)


def page_path(warehouse: Warehouse, key: str) -> Path:
    """Where a year's page lives: <warehouse>/summary/<Y>/index.html."""
    return warehouse.year_dir("summary", key) / PAGE


RULE_NAMES = {r.id: r.zh for r in RULES.values()}  # the Chinese names shown beside the rule ids


def extra_sections(warehouse: Warehouse, key: str, figures: YearSummary) -> list[Section]:
    """Sections added to a year's page after its charts: the year-over-year comparisons
    (contracts/comparisons.py, read from the year's comparison datasets)."""
    return comparison_sections(page_frames(warehouse, key))


def no_year_count(warehouse: Warehouse) -> int:
    """Reports whose year could not be read (partition `unknown`), over all inputs."""
    parsed = warehouse.read("parsed_reports")
    return 0 if parsed is None else parsed.filter(pl.col("year").is_null()).height


def inputs(warehouse: Warehouse, raw: RawReports | None) -> Provenance:
    """What the pages are made from: the raw folder, its input files, the parser and rules versions, now."""
    inventory = warehouse.read("raw_inventory")
    return Provenance(generated=generation_time(), raw=str(raw.root) if raw is not None else "",
                      files=None if inventory is None else inventory.height, parser=PARSER_VERSION,
                      rules=RULES_VERSION)


def year_figures(warehouse: Warehouse, key: str, parse_failures: int, no_year: int = 0,
                 provenance: Provenance | None = None) -> YearSummary:
    """The figures of one year, read from the warehouse."""
    return summarise(key, parsed_reports=warehouse.read_year("parsed_reports", key),
                     reports=warehouse.read_year("reports", key),
                     applications=warehouse.read_year("applications", key),
                     review_litigation=warehouse.read_year("review_litigation", key),
                     rollup_province=warehouse.read_year("rollup_province", key),
                     violations=warehouse.read_year("violations", key), parse_failures=parse_failures,
                     no_year=no_year, provenance=provenance, rule_names=RULE_NAMES)


@asset(group_name="rollups", compute_kind="html", partitions_def=YEARS, backfill_policy=SINGLE_RUN, code_version=PAGES_VERSION,
       deps=["rollup_province", "rollup_national", "reports", "applications", "review_litigation", "violations",
             "parsed_reports", "parse_failures", "comparisons", "comparisons_stock", "comparisons_bodies",
             "coverage"])
def year_summary(context: AssetExecutionContext, warehouse: Warehouse, raw: RawReports) -> MaterializeResult:
    """A static HTML page per reporting year, for auditors (works offline): counts (with parse failures
    and reports of no year), applications received by province, disclosure rate by body type, correction
    rate of review and litigation, the quarantine list (every error, its cell and likely culprit), the
    warnings, and what the page was made from. <warehouse>/summary/<Y>/index.html."""
    failures = warehouse.read("parse_failures")
    n_failures = 0 if failures is None else failures.height
    n_no_year, made_from = no_year_count(warehouse), inputs(warehouse, raw)
    meta, previews = {}, []
    for key in context.partition_keys:
        figures = year_figures(warehouse, key, n_failures, n_no_year, made_from)
        page = render_html(figures, extra_sections(warehouse, key, figures))
        write_text_atomic(page, warehouse.year_dir_target("summary", key) / PAGE,
                          mode=0o644)  # for others to open
        path = page_path(warehouse, key)  # where it is published
        meta[f"page {key}"] = MetadataValue.path(str(path))
        meta[f"link {key}"] = MetadataValue.url(path.resolve().as_uri())
        if len(previews) < PREVIEW_YEARS:
            previews.append(render_markdown(figures))
    skipped = len(context.partition_keys) - len(previews)
    preview = "\n\n".join(previews) + (f"\n\n… {skipped} more years: open their pages" if skipped else "")
    return MaterializeResult(metadata={**meta, "preview": MetadataValue.md(preview),
                                       "pages": len(context.partition_keys)})
