"""Run every contract over all parsed reports at once and decide each report's fate."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from contracts import applications as A
from contracts import cells as C
from contracts import culprit
from contracts import layout as L
from contracts import review_litigation as R
from contracts import violations as V
from contracts.reports import Reports, ambiguous_region_warnings, template_year_warnings
from contracts.runner import failing_rows, failures, require

VALIDATED, QUARANTINED, FAILED = "validated", "quarantined", "failed"


@dataclass
class Validation:
    """All violations, and per report: validated or quarantined, with error and warning counts."""

    violations: pl.DataFrame
    status: pl.DataFrame  # report_id, status, n_errors, n_warnings


def validate(reports: pl.DataFrame, cells: pl.DataFrame) -> Validation:
    """Check every rule of the catalogue that can be judged from the reports themselves."""
    require(Reports, reports)
    cells, layout = C.completed(reports, cells)
    parts = [template_year_warnings(reports), ambiguous_region_warnings(reports), C.blank_warnings(cells),
             C.collapsed_warnings(cells)]

    fc = require(C.Cells, cells.with_columns(layout.key), allowed=(C.NON_NEGATIVE, C.PRESENT))
    parts.append(C.value_violations(cells, failing_rows(fc, C.NON_NEGATIVE)))
    parts.append(C.presence_violations(cells, failing_rows(fc, C.PRESENT), layout))

    apps, rl = L.wide_frames(cells, layout)
    fc = failures(A.Applications, apps)
    for rule in (A.ROW_TOTAL, A.SUBTOTALS):
        parts.append(A.row_violations(apps, failing_rows(fc, rule), rule))
    ident = A.identity_frame(apps, reports)
    # the model judges the differences; the #expected/#actual companions are only read for the messages
    parts.append(A.identity_violations(ident, failures(A.ApplicationIdentities, ident.select("report_id", *A.NAMES))))

    parts.append(R.group_violations(rl, failing_rows(failures(R.ReviewLitigation, rl), R.GROUP_TOTAL)))

    violations = V.frame(parts, reports.select("report_id", "source"))
    violations = culprit.annotate(violations, apps, ident, reports)  # name the likely wrong cell of a failing sum
    require(V.Violations, violations)
    counts = violations.group_by("report_id").agg(
        n_errors=(pl.col("severity") == "error").sum().cast(pl.Int64),
        n_warnings=(pl.col("severity") == "warning").sum().cast(pl.Int64))
    status = (
        reports.select("report_id").join(counts, on="report_id", how="left", maintain_order="left")
        .with_columns(pl.col("n_errors", "n_warnings").fill_null(0))
        .with_columns(status=pl.when(pl.col("n_errors") > 0).then(pl.lit(QUARANTINED)).otherwise(pl.lit(VALIDATED)))
        .select("report_id", "status", "n_errors", "n_warnings")
    )
    return Validation(violations, status)
