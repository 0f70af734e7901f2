"""The one judge: a year's parsed reports → their violations (errors and warnings), whoever asks.

`judge_reports` is the per-report part, run on any slice of a year (the pipeline runs a year in chunks
and keeps the rows of unchanged reports): glued stock rows that last year's report decides are decided,
then the contracts (`validate.validate`) and the narrative warnings run, and each report's history
figures are taken. `judge_year` adds what needs the whole year at once: the history warnings against
last year's figures and the duplicate inputs, and puts the rows in canonical order. `judge` is both,
for a whole year in one call; `judge_years` judges several years in year order, each against the one
before when it is among them: what `nianbao check DIR` and `nianbao parse --json FILES…` call, so the
CLI and the pipeline give the same findings for the same files.

Every violation row leaves the judge located (`contracts.violations.locate`): its report's year, body and
region, and the text, line and page of its culprit cell.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

import polars as pl

from contracts import history as H
from contracts import narrative as N
from contracts import violations as V
from contracts.validate import validate
from contracts.violations import SCHEMA as VIOLATION_SCHEMA
from nianbao.cells import VALUE
from nianbao.report import ParsedReport


@dataclass
class Judged:
    """What judging reports gives: violations (all rules), history figures, cells decided by last year."""

    violations: pl.DataFrame
    figures: pl.DataFrame
    resolved: pl.DataFrame


def judge_reports(reports: pl.DataFrame, cells: pl.DataFrame, previous: pl.DataFrame | None) -> Judged:
    """The per-report rules over some reports of one year (`previous`: last year's figures, or None)."""
    decided = H.resolve_from_history(reports, cells, previous)  # glued stock rows last year decides
    cells = H.apply_resolved(cells, decided)
    v = pl.concat([validate(reports, cells).violations,
                   V.frame([N.warnings(reports, cells)], reports.select("report_id", "source"))])
    v = V.locate(v, reports, cells)
    figs = H.figures(reports, cells).with_columns(
        stock_ambiguous=pl.col("stock_ambiguous") | pl.col("report_id").is_in(decided["report_id"].implode()))
    return Judged(v, figs, decided)


def quarantined(violations: pl.DataFrame) -> pl.Series:
    """Ids of the reports with at least one error."""
    return violations.filter(pl.col("severity") == "error")["report_id"].unique()


Cells = pl.DataFrame | Callable[[pl.DataFrame], pl.DataFrame]


def judge_year(reports: pl.DataFrame, per_report: pl.DataFrame, figures: pl.DataFrame,
               previous: pl.DataFrame | None, cells: Cells | None = None) -> pl.DataFrame:
    """A whole year's violations: the per-report rows plus the warnings that need other reports, in a
    total order (so a year judged in chunks, or partly reused, gives the bytes of one judged at once).

    `cells` locates the culprit cells of those warnings: the year's parsed cells, or a function giving the
    cells of some reports (rows of `reports`), so that only the reports with such a warning are read."""
    cross = V.frame(H.warnings(reports, figures, previous, quarantined(per_report)),
                    reports.select("report_id", "source"))
    if cross.height:
        these = reports.filter(pl.col("report_id").is_in(cross["report_id"].unique().implode()))
        got = cells(these) if callable(cells) else cells
        cross = V.locate(cross, these, pl.DataFrame(schema=V.CELLS) if got is None else got)
    v = pl.concat([per_report, cross])
    return v.sort(*v.columns, nulls_last=True, maintain_order=True)


def judge(reports: pl.DataFrame, cells: pl.DataFrame, previous: pl.DataFrame | None = None) -> Judged:
    """One year's reports judged at once (`previous`: last year's figures, or None)."""
    if not reports.height:
        return Judged(pl.DataFrame(schema=VIOLATION_SCHEMA), pl.DataFrame(schema=H.FIGURE_SCHEMA),
                      pl.DataFrame(schema=H.RESOLVED_SCHEMA))
    j = judge_reports(reports, cells, previous)
    return Judged(judge_year(reports, j.violations, j.figures, previous, cells), j.figures, j.resolved)


def judge_years(reports: pl.DataFrame, cells: pl.DataFrame) -> Judged:
    """Reports of any years judged as the pipeline judges them: year by year in order, each year against
    the figures of the year before when that year is among them. Reports without a year are one group,
    judged without history. Returns every year's violations, figures and history-decided cells."""
    out: list[Judged] = []
    previous, last = None, None
    years = sorted(reports["year"].unique().to_list(), key=lambda y: (y is None, y))
    for year in years:
        these = reports.filter(pl.col("year").is_null() if year is None else pl.col("year") == year)
        prev = previous if year is not None and last is not None and last == year - 1 else None
        j = judge(these, cells.filter(pl.col("report_id").is_in(these["report_id"].implode())), prev)
        out.append(j)
        if year is not None:
            previous, last = j.figures, year
    if not out:
        return judge(reports, cells)
    return Judged(pl.concat([j.violations for j in out]), pl.concat([j.figures for j in out]),
                  pl.concat([j.resolved for j in out]))


def with_resolved(rep: ParsedReport, resolved: pl.DataFrame) -> ParsedReport:
    """The parsed report with the cells last year's report decided (`resolved`: its rows of RESOLVED_SCHEMA)
    set to their value, as the published datasets have them, and a note saying so."""
    if not resolved.height:
        return rep
    got = {(t, r, c): (v, why) for t, r, c, v, why in
           resolved.select("table", "row", "column", "resolved", "resolution").iter_rows()}
    cells = tuple(c._replace(status=VALUE, value=Decimal(got[k][0]), note=got[k][1])
                  if (k := (c.table, c.row, c.column)) in got else c for c in rep.cells)
    said = sorted({f"{r}: {why}" for (_, r, _), (_, why) in got.items()})
    return replace(rep, cells=cells, notes=(*rep.notes, *said))
