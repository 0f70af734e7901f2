"""Warnings that need other reports: the same body's report of the previous year, a second copy.

`history.carry_over`, `history.stock`, `history.copied_tables` and `identity.duplicate_report` of the
catalogue. They are computed over a whole year at once from small per-report *figures* (the carried
rows of table 三, the stock cells of table 二, a digest of every table number) rather than from the
cells, so they stay cheap when most reports are reused from an earlier run:

* `figures(reports, cells)` → one row per report (computed with the per-report rules, chunk by chunk);
* `warnings(reports, figures, previous, errors)` → the violation rows, given the previous year's figures
  and the reports this year's per-report rules quarantined.

The same body is the same `body_key`: the region code and the body's name with spaces and full-width
forms normalised. Blank cells count as 0 (the cell policy); an unknown cell (missing, ambiguous, invalid)
is not judged.
"""
from __future__ import annotations

import re

import polars as pl

from contracts.violations import with_rule
from nianbao import template as T
from nianbao.cells import AMBIGUOUS, COUNTED_AS_ZERO, VALUE

CARRY_OVER, STOCK, COPIED, DUPLICATE = (
    "history.carry_over", "history.stock", "history.copied_tables", "identity.duplicate_report")
CROSS_REPORT = (CARRY_OVER, STOCK, COPIED, DUPLICATE)
STOCK_ITEMS = ("regulations", "normative_documents")
STOCK_LEVELS = ("in_force", "total_published", "previous_items")  # levels, not flows: they repeat by nature
STOCK_COLUMNS = ("issued", "repealed", "in_force")
CARRIED = ("carried_over", "carried_forward")
COLUMNS = T.APPLICANT_CODES
TABLES = ("active_disclosure", "applications", "review_litigation")

FIGURE_SCHEMA = {
    "report_id": pl.String, "source": pl.String, "body_key": pl.String, "template": pl.String,
    "stock_ambiguous": pl.Boolean,
    **{f"{r}|{c}": pl.Int64 for r in CARRIED for c in COLUMNS},
    **{f"{i}|{c}": pl.Int64 for i in STOCK_ITEMS for c in STOCK_COLUMNS},
    "digest": pl.UInt64, "all_zero": pl.Boolean,
}


def body_key(reports: pl.DataFrame) -> pl.Expr:
    """The same publishing body across years: region code + normalised body name (null without a body)."""
    name = (pl.col("body").str.normalize("NFKC").str.replace_all(r"\s+", ""))
    return pl.when(pl.col("body").is_null() | (name == "")).then(None).otherwise(
        pl.concat_str([pl.col("region_code").fill_null(""), name], separator="|"))


def figures(reports: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """One row per report: body key, template, carried_over/carried_forward per column, the stock cells,
    a digest of every table number and whether they are all 0."""
    if not reports.height:
        return pl.DataFrame(schema=FIGURE_SCHEMA)
    v = cells.select(
        "report_id", "table", "row", "column",
        n=pl.when(pl.col("status") == VALUE).then(pl.col("value_int"))
        .when(pl.col("status").is_in(list(COUNTED_AS_ZERO))).then(pl.lit(0, pl.Int64)).otherwise(None),
        printed=pl.when(pl.col("status") == VALUE).then(pl.col("value").cast(pl.String))
        .when(pl.col("status").is_in(list(COUNTED_AS_ZERO))).then(pl.lit("0")).otherwise(pl.lit("?")))

    names = [f"{r}|{c}" for r in CARRIED for c in COLUMNS] + [f"{i}|{c}" for i in STOCK_ITEMS for c in STOCK_COLUMNS]
    picked = (v.filter(((pl.col("table") == "applications") & pl.col("row").is_in(list(CARRIED)))
                       | ((pl.col("table") == "active_disclosure") & pl.col("row").is_in(list(STOCK_ITEMS))))
              .select("report_id", "n", name=pl.concat_str("row", "column", separator="|"))
              .filter(pl.col("name").is_in(names))
              .pivot(on="name", on_columns=names, index="report_id", values="n", aggregate_function="first"))
    # the digest of a report's tables: the (wrapping) sum of one hash per cell, of its table, row, column and
    # printed value, so it needs no sort and does not depend on the order the cells are stored in
    cell_hash = (pl.col("table").hash(0) ^ pl.col("row").hash(1) ^ pl.col("column").hash(2) ^ pl.col("printed").hash(3))
    digest = (v.filter(pl.col("table").is_in(list(TABLES)))
              .group_by("report_id")
              .agg(digest=cell_hash.sum(),
                   all_zero=((pl.col("n").fill_null(0) == 0) | pl.col("column").is_in(list(STOCK_LEVELS))).all()))
    undecided = (cells.filter((pl.col("table") == "active_disclosure") & pl.col("row").is_in(list(STOCK_ITEMS))
                              & (pl.col("status") == AMBIGUOUS)).select("report_id").unique()
                 .with_columns(stock_ambiguous=pl.lit(True)))
    out = (reports.select("report_id", "source", "template", body_key=body_key(reports))
           .join(picked, on="report_id", how="left").join(digest, on="report_id", how="left")
           .join(undecided, on="report_id", how="left").with_columns(pl.col("stock_ambiguous").fill_null(False)))
    return out.select([pl.col(c).cast(t) for c, t in FIGURE_SCHEMA.items()])


def _once(prev: pl.DataFrame) -> pl.DataFrame:
    """Previous-year figures of the bodies that had exactly one report that year (else: which one?)."""
    return prev.filter(pl.col("body_key").is_not_null() & (pl.len().over("body_key") == 1))


def _pairs(cur: pl.DataFrame, prev: pl.DataFrame) -> pl.DataFrame:
    """This year's figures beside the same body's previous-year figures (bodies with one report there)."""
    once = _once(prev)
    return cur.filter(pl.col("body_key").is_not_null()).join(
        once.rename({c: f"{c}@prev" for c in once.columns if c != "body_key"}), on="body_key", how="inner")


def _report_level(df: pl.DataFrame, message: pl.Expr, rule: str) -> pl.DataFrame:
    """Violation rows about a whole report (no cell, no expected/actual)."""
    none = pl.lit(None, pl.String)
    return with_rule(df.select("report_id", table=none, row=none, column=none, expected=pl.lit(None, pl.Int64),
                               actual=pl.lit(None, pl.Int64), message=message), rule)


def carry_over(pairs: pl.DataFrame) -> pl.DataFrame:
    """Per column: carried_over(Y) ≠ carried_forward(Y−1) of the same body."""
    parts = []
    for c in COLUMNS:
        now, before = pl.col(f"carried_over|{c}"), pl.col(f"carried_forward|{c}@prev")
        bad = pairs.filter(now.is_not_null() & before.is_not_null() & (now != before))
        parts.append(bad.select(
            "report_id", table=pl.lit("applications"), row=pl.lit("carried_over"), column=pl.lit(c),
            expected=before, actual=now,
            message=pl.format("carried_over/{} is {} but last year's report of the same body carried forward {}",
                              pl.lit(c), now, before)))
    return with_rule(pl.concat(parts), CARRY_OVER)


def stock(pairs: pl.DataFrame) -> pl.DataFrame:
    """2021 template, per stock item: in_force(Y) ≠ in_force(Y−1) + issued(Y) − repealed(Y)."""
    both = pairs.filter((pl.col("template") == "2021") & (pl.col("template@prev") == "2021"))
    parts = []
    for i in STOCK_ITEMS:
        now = pl.col(f"{i}|in_force")
        want = pl.col(f"{i}|in_force@prev") + pl.col(f"{i}|issued") - pl.col(f"{i}|repealed")
        bad = both.filter(now.is_not_null() & want.is_not_null() & (now != want))
        parts.append(bad.select(
            "report_id", table=pl.lit("active_disclosure"), row=pl.lit(i), column=pl.lit("in_force"),
            expected=want, actual=now,
            message=pl.format("{}/in_force is {} but last year's {} + issued {} − repealed {} = {}", pl.lit(i), now,
                              pl.col(f"{i}|in_force@prev"), pl.col(f"{i}|issued"), pl.col(f"{i}|repealed"), want)))
    return with_rule(pl.concat(parts), STOCK)


def copied(pairs: pl.DataFrame) -> pl.DataFrame:
    """Every table number identical to the same body's previous report (reports whose every flow is 0
    excepted: a body with nothing to report prints the same zeros, and the same stock levels, every year)."""
    bad = pairs.filter((pl.col("digest") == pl.col("digest@prev")) & ~pl.col("all_zero").fill_null(True))
    return _report_level(
        bad, pl.lit("every table number is identical to last year's report of the same body (tables copied?)"), COPIED)


def duplicates(reports: pl.DataFrame, figs: pl.DataFrame, errors: pl.Series) -> pl.DataFrame:
    """Same body and year twice: the report not used carries the warning, naming the one used and why.

    Used: one that passed the contracts over one that did not; then the larger file; then the first path.
    """
    df = (reports.select("report_id", "source", "path", "size")
          .join(figs.select("report_id", "body_key"), on="report_id")
          .filter(pl.col("body_key").is_not_null() & (pl.len().over("body_key") > 1))
          .with_columns(failed=pl.col("report_id").is_in(errors.implode())))
    if not df.height:
        return pl.DataFrame()
    df = df.sort("body_key", "failed", pl.col("size"), "path", descending=[False, False, True, False])
    first = df.group_by("body_key", maintain_order=True).agg(
        used_source=pl.col("source").first(), used_failed=pl.col("failed").first(),
        used_size=pl.col("size").first(), n=pl.len())
    df = df.join(first, on="body_key").filter(pl.col("source") != pl.col("used_source"))
    why = (pl.when(~pl.col("used_failed") & pl.col("failed")).then(pl.lit("it passed the contracts and this one did not"))
           .when(pl.col("used_size") > pl.col("size")).then(pl.lit("the larger file"))
           .otherwise(pl.lit("the first by path")))
    return _report_level(
        df, pl.format("{} inputs for the same body and year; {} is used ({}); this one is left out of the rollups",
                      pl.col("n"), pl.col("used_source"), why), DUPLICATE)


def warnings(reports: pl.DataFrame, figs: pl.DataFrame, previous: pl.DataFrame | None,
             errors: pl.Series) -> list[pl.DataFrame]:
    """The cross-report warnings of one year (violation parts, without `source`)."""
    parts = [duplicates(reports, figs, errors)]
    if previous is not None and previous.height:
        pairs = _pairs(figs, previous)
        parts += [carry_over(pairs), stock(pairs), copied(pairs)]
    return [p for p in parts if p.height]


def unused_duplicates(violations: pl.DataFrame) -> pl.Series:
    """Reports left out of the rollups because another input of the same body and year is used."""
    return violations.filter(pl.col("rule") == DUPLICATE)["report_id"].unique()


# ---- glued stock rows decided by last year's report ---------------------------------------------------

RESOLVED_SCHEMA = {"report_id": pl.String, "table": pl.String, "row": pl.String, "column": pl.String,
                   "resolved": pl.Int64, "resolution": pl.String}
_READING = re.compile(r"\d+(?:/\d+)*")


def readings(note: str | None) -> list[tuple[int, ...]] | None:
    """Every reading the parser listed for an ambiguous glued cell ("…; readings: 6/9/3665 | 69/3/665");
    None when there is no list or it was cut short ("…"): then uniqueness cannot be decided."""
    if not note or "readings: " not in note:
        return None
    items = note.split("readings: ", 1)[1].split(" | ")
    if not all(_READING.fullmatch(i) for i in items):
        return None
    return [tuple(int(x) for x in i.split("/")) for i in items]


def resolve_from_history(reports: pl.DataFrame, cells: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    """The ambiguous stock rows of table 二 (2021 template) that last year's report of the same body decides:
    exactly one reading satisfies in_force(Y) = in_force(Y−1) + issued(Y) − repealed(Y). One row per
    decided cell (RESOLVED_SCHEMA); rows with no or several such readings stay undecided (not listed)."""
    empty = pl.DataFrame(schema=RESOLVED_SCHEMA)
    if previous is None or not previous.height:
        return empty
    amb = cells.filter((pl.col("table") == "active_disclosure") & pl.col("row").is_in(list(STOCK_ITEMS))
                       & (pl.col("status") == AMBIGUOUS))
    if not amb.height:
        return empty
    rows = amb.group_by("report_id", "row", maintain_order=True).agg(pl.col("note").first())
    mine = reports.select("report_id", "template", body_key=body_key(reports))
    once = _once(previous).filter(pl.col("template") == "2021")
    rows = rows.join(mine, on="report_id").filter(pl.col("template") == "2021").join(
        once.select("body_key", prev_source="source", **{f"prev|{i}": pl.col(f"{i}|in_force") for i in STOCK_ITEMS}),
        on="body_key")
    out = []
    for rid, row, note, prev_source, *prev_in_force in rows.select(
            "report_id", "row", "note", "prev_source", *[f"prev|{i}" for i in STOCK_ITEMS]).iter_rows():
        before = prev_in_force[STOCK_ITEMS.index(row)]
        found = readings(note)
        if before is None or not found or any(len(r) != len(STOCK_COLUMNS) for r in found):
            continue
        fits = [r for r in found if r[2] == before + r[0] - r[1]]
        if len(fits) != 1:
            continue
        why = (f"resolved from history: of {len(found)} readings only {'/'.join(map(str, fits[0]))} gives "
               f"in_force = last year's {before} + issued − repealed ({prev_source})")
        out += [(rid, "active_disclosure", row, c, v, why) for c, v in zip(STOCK_COLUMNS, fits[0])]
    return pl.DataFrame(out, schema=RESOLVED_SCHEMA, orient="row") if out else empty


def apply_resolved(cells: pl.DataFrame, resolved: pl.DataFrame) -> pl.DataFrame:
    """The cells with the history-decided ones set: status value, the value, the note saying how."""
    if not resolved.height:
        return cells
    key = ["report_id", "table", "row", "column"]
    hit = pl.col("resolved").is_not_null()
    return (cells.join(resolved, on=key, how="left", maintain_order="left")
            .with_columns(status=pl.when(hit).then(pl.lit(VALUE)).otherwise(pl.col("status")),
                          value_int=pl.when(hit).then(pl.col("resolved")).otherwise(pl.col("value_int")),
                          value=pl.when(hit).then(pl.col("resolved").cast(cells.schema["value"]))
                          .otherwise(pl.col("value")),
                          note=pl.when(hit).then(pl.col("resolution")).otherwise(pl.col("note")))
            .select(cells.columns))
