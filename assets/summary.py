"""The year summary: one self-contained HTML page per reporting year (charts of the rollups, quarantine list).

Written to <warehouse>/summary/year=<Y>/index.html, atomically; the materialisation links every page
(a path and a file:// URL) and previews its figures in markdown. The page fetches nothing, so it opens on
a machine without internet (see nianbao/summary.py).
"""

from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.partitions import YEARS
from assets.validate import SINGLE_RUN
from assets.warehouse import Warehouse
from nianbao.atomic import write_text_atomic
from nianbao.summary import YearSummary, render_html, render_markdown, summarise
from nianbao.version import hash_modules

PAGE = "index.html"
# the page is rendered from the rollups (rules) by nianbao/summary.py: a change to either makes it stale
PAGES_VERSION = hash_modules(Path(__file__).resolve().parents[1], ("nianbao/summary.py", "contracts/*.py"))
PREVIEW_YEARS = 10  # years previewed in the metadata markdown (every page is still linked)


def page_path(warehouse: Warehouse, key: str) -> Path:
    """Where a year's page lives: <warehouse>/summary/year=<Y>/index.html."""
    return warehouse.year_dir("summary", key) / PAGE


def year_figures(warehouse: Warehouse, key: str, parse_failures: int) -> YearSummary:
    """The figures of one year, read from the warehouse."""
    return summarise(key, parsed_reports=warehouse.read_year("parsed_reports", key),
                     reports=warehouse.read_year("reports", key),
                     applications=warehouse.read_year("applications", key),
                     review_litigation=warehouse.read_year("review_litigation", key),
                     rollup_province=warehouse.read_year("rollup_province", key),
                     violations=warehouse.read_year("violations", key), parse_failures=parse_failures)


@asset(group_name="rollups", compute_kind="html", partitions_def=YEARS, backfill_policy=SINGLE_RUN, code_version=PAGES_VERSION,
       deps=["rollup_province", "rollup_national", "reports", "applications", "review_litigation", "violations",
             "parsed_reports", "parse_failures"])
def year_summary(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """A static HTML page per reporting year, for auditors (works offline): counts, applications received
    by province, disclosure rate by body type, correction rate of review and litigation, and the quarantine
    list. <warehouse>/summary/year=<Y>/index.html."""
    failures = warehouse.read("parse_failures")
    n_failures = 0 if failures is None else failures.height
    meta, previews = {}, []
    for key in context.partition_keys:
        figures = year_figures(warehouse, key, n_failures)
        write_text_atomic(render_html(figures), warehouse.year_dir_target("summary", key) / PAGE,
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
