"""Where every cell sits: each report's cells checked, by position, against its template's layout.

The parser writes a report's cells in the template's canonical order (`nianbao.template.expected_cells`
with the subtotal rows and the org_subtotal column it found printed). When that is so, the contracts do
not need string joins to know which expected cells are absent, whether an address occurs twice, or
where each value goes in the wide tables: positions say it. `layout` proves it, per report, with
vectorised comparisons of neighbouring rows and of each cell's column against the column expected at
its position, and hands the contracts integer positions. A report is *fast* when

* all its cells are one block of consecutive rows of the frame, and no other block has its report_id;
* the block is a sequence of row runs (consecutive cells of one table and row) whose rows belong to the
  report's template, in the template's order, each at most once, every row of the template proper present;
* each run holds exactly the first `len` columns of its row's printed layout (all of them, or for table
  三 the seven applicant columns, org_subtotal being optional).

Then every cell the template expects is there (so `complete` adds nothing), no address occurs twice,
and each run is one row of the wide frame. Every other report (cells out of order, absent or unknown
cells, a second block, an unknown template) is *slow*: the contracts treat it with the general code
(anti-join, pivot, hash-based uniqueness), restricted to the slow reports. Nothing is assumed: a
report is fast only when all of the above was checked on its actual cells.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from nianbao import frames as F
from nianbao import template as T
from nianbao.frames import ROW_ORDER

TEMPLATES = (T.TEMPLATE_2021, T.TEMPLATE_2019)
TEMPLATE_INDEX = {t.name: i for i, t in enumerate(TEMPLATES)}
ROW_CODE = {row: i for i, row in enumerate(ROW_ORDER)}  # every row code of every table and template
ROW_NAMES = pl.Series("row", list(ROW_CODE), dtype=pl.String)
ROW_ENUM = pl.Enum(list(ROW_CODE))
KEY = "address_key"  # the per-cell key column handed to the Cells model (see `contracts.cells`)


def _slots() -> tuple[dict[int, tuple], list[str], list[int]]:
    """(template, row) slot → (table, position, required, min len, max len, column offset), the flat list
    of every printed layout's columns, and the number of required rows per template."""
    slots: dict[int, tuple] = {}
    columns: list[str] = []
    required = []
    for ti, tpl in enumerate(TEMPLATES):
        subtotals = tuple(r.code for r in tpl.application_rows if r.subtotal)
        base = T.expected_cells(tpl)
        lean = T.expected_cells(tpl, subtotals, org_subtotal=False)
        full = T.expected_cells(tpl, subtotals, org_subtotal=True)
        runs: dict[tuple[str, str], list[str]] = {}
        for c in full:
            runs.setdefault((c.table, c.row), []).append(c.column)
        n_required = 0
        for pos, ((table, row), cols) in enumerate(runs.items()):
            need = [c.column for c in base if (c.table, c.row) == (table, row)]
            some = [c.column for c in lean if (c.table, c.row) == (table, row)]
            # the template proper is a prefix of the printed layout: the optional columns come last
            assert cols[:len(need)] == need and cols[:len(some)] == some, (tpl.name, table, row)
            assert ROW_ORDER.get(row) is not None and sum(1 for (_, r) in runs if r == row) == 1
            slots[ti * len(ROW_CODE) + ROW_CODE[row]] = (table, pos, bool(need), len(some), len(cols), len(columns))
            n_required += bool(need)
            columns += cols
        required.append(n_required)
    return slots, columns, required


_SLOTS, _COLUMNS, _REQUIRED = _slots()
N_SLOTS = len(TEMPLATES) * len(ROW_CODE)
STRIDE = 1 << max(len(_COLUMNS) - 1, 1).bit_length()  # key = report block × STRIDE + column offset


# per slot (and one more for "no slot"): table index, position, required, min and max run length, column offset
_SLOT_ROWS = np.array([
    (T.TABLES.index(v[0]), v[1], v[2], v[3], v[4], v[5]) if (v := _SLOTS.get(s)) else (-1, -1, 0, 1, 0, 0)
    for s in range(N_SLOTS + 1)], dtype=np.int32)
_SLOT_TABLE = tuple(np.ascontiguousarray(a) for a in _SLOT_ROWS.T)
COLUMNS = pl.Series("column", _COLUMNS + [None] * (STRIDE - len(_COLUMNS)), dtype=pl.String)
_REQUIRED_BY_TEMPLATE = np.array(_REQUIRED, dtype=np.int64)


@dataclass(frozen=True)
class Layout:
    """The proven layout of a cells frame (see the module docstring).

    `key` and `slow` have one entry per cell of the frame; `runs` one row per row run of the fast reports.
    """

    key: pl.Series  # UInt32 (UInt64 if huge): block × STRIDE + place in the printed layout; null in slow reports
    slow: pl.Series  # Boolean: the cell belongs to a slow report (or to no report of `reports`)
    runs: pl.DataFrame  # table (index in T.TABLES), row (code), start, len, block: the runs of the fast reports
    block_ids: pl.Series  # report_id of each block
    block_start: np.ndarray  # the first cell of each block, and the height of the frame the layout was proven on
    slow_reports: pl.DataFrame  # the rows of `reports` that are not fast (anti-joined by `complete`)

    def extended(self, n: int) -> Layout:
        """The layout of the frame with `n` more rows appended, all in slow reports."""
        if not n:
            return self
        return Layout(pl.concat([self.key, pl.repeat(None, n, dtype=self.key.dtype, eager=True).rename(KEY)]),
                      pl.concat([self.slow, pl.repeat(True, n, eager=True).rename("slow")]),
                      self.runs, self.block_ids, self.block_start, self.slow_reports)

    def rows_of(self, cells: pl.DataFrame, ids: pl.Series) -> np.ndarray:
        """The indices (in order) of the cells of `cells` (this layout's frame) whose report_id is in `ids`."""
        blocks = np.flatnonzero(self.block_ids.is_in(ids.implode()).to_numpy())
        n = self.block_start[-1]
        tail = cells.slice(n).select(pl.col("report_id").is_in(ids.implode())).to_series().to_numpy()
        return np.concatenate([np.arange(self.block_start[b], self.block_start[b + 1]) for b in blocks]
                              + [n + np.flatnonzero(tail)]).astype(np.int64)

    def table_runs(self, table: str) -> pl.DataFrame:
        """report_id, row, start, len of the runs of `table`, in frame order (`runs` of `nianbao.frames._pivot`)."""
        runs = self.runs.filter(pl.col("table") == T.TABLES.index(table))
        return pl.DataFrame({"report_id": self.block_ids.gather(runs["block"]), "row": ROW_NAMES.gather(runs["row"]),
                             "start": runs["start"], "len": runs["len"]})


def _changes(frame: pl.DataFrame, columns: list[str]) -> list[np.ndarray]:
    """Per column: True where a row differs from the one before (and at the first row; nulls differ)."""
    flags = frame.select(pl.col(c).ne_missing(pl.col(c).shift()) for c in columns)  # in parallel
    out = [flags.to_series(i).to_numpy() for i in range(len(columns))]
    for a in out:
        a[:1] = True
    return out


def layout(reports: pl.DataFrame, cells: pl.DataFrame) -> Layout:
    """Prove, per report, that its cells follow its template's printed layout (see the module docstring)."""
    n = cells.height
    report_new, table_new, row_new = _changes(cells, ["report_id", "table", "row"])
    table_new |= report_new  # a table run: consecutive cells of one report and table
    run_new = table_new | row_new  # a (row) run: consecutive cells of one report, table and row
    starts = np.flatnonzero(run_new)
    lens = np.diff(starts, append=n).astype(np.int32)
    new_block = report_new[starts]
    block = np.cumsum(new_block, dtype=np.int64) - 1  # per run: its block (consecutive cells of one report_id)
    block_starts = np.flatnonzero(new_block)  # per block: its first run

    # per block: the report's template, and whether its report_id has no other block (nor other report)
    templates = reports.select("report_id", "template").filter(~pl.col("report_id").is_duplicated())
    blocks = pl.DataFrame({"report_id": cells["report_id"].filter(pl.Series(report_new))}).with_columns(
        single=~pl.col("report_id").is_duplicated())
    blocks = blocks.join(templates, on="report_id", how="left", maintain_order="left")
    tpl = blocks["template"].replace_strict(TEMPLATE_INDEX, default=-1, return_dtype=pl.Int32).to_numpy()

    # per run: its table (decoded once per table run), row code and slot (template × row code)
    tables = cells["table"].filter(pl.Series(table_new)).cast(pl.Enum(T.TABLES), strict=False).to_physical()
    table_code = tables.fill_null(len(T.TABLES)).to_numpy().astype(np.int32)[np.cumsum(table_new[starts]) - 1]
    rows = cells["row"].filter(pl.Series(run_new)).cast(ROW_ENUM, strict=False).to_physical()
    row_code = rows.fill_null(0).to_numpy().astype(np.int32)
    tpl_of_run = tpl[block]
    known = (tpl_of_run >= 0) & rows.is_not_null().to_numpy()
    slot = np.where(known, tpl_of_run * len(ROW_CODE) + row_code, N_SLOTS)
    s_table, pos, required, lo, hi, offset = (a.take(slot) for a in _SLOT_TABLE)
    ok = known & (table_code == s_table) & (lens >= lo) & (lens <= hi)
    ok[1:] &= new_block[1:] | (pos[1:] > pos[:-1])  # the template's order, each row once

    # per cell: its column against the column of its position in its run's printed layout
    wide = (len(block_starts) + 1) * STRIDE + n >= 2**31  # int32 keys unless the frame is huge
    itype = np.int64 if wide else np.int32
    key = np.repeat((block * STRIDE + offset - starts).astype(itype), lens)
    key += np.arange(n, dtype=itype)  # block × STRIDE + position in the template's printed layout, where ok
    expected = COLUMNS.gather(pl.Series(key & (STRIDE - 1)))
    matches = (cells["column"] == expected).fill_null(False)
    if not matches.all():
        run_of_cell = np.cumsum(run_new) - 1
        ok[np.unique(run_of_cell[~matches.to_numpy()])] = False

    # per block: fast when single, every run ok and every required row present
    if len(block_starts):
        fast = (blocks["single"].to_numpy() & np.logical_and.reduceat(ok, block_starts)
                & (np.add.reduceat(required, block_starts) == np.where(tpl >= 0, _REQUIRED_BY_TEMPLATE[tpl], -1)))
    else:
        fast = np.zeros(0, dtype=bool)
    fast_run = fast[block]
    key = pl.Series(KEY, key.view(np.uint64 if wide else np.uint32))
    if fast.all():
        slow = pl.repeat(False, n, eager=True).rename("slow")
        fast_runs = pl.DataFrame({"table": table_code, "row": row_code, "start": starts, "len": lens, "block": block})
    else:
        slow = pl.Series("slow", np.repeat(~fast_run, lens))
        key = pl.select(pl.when(slow).then(None).otherwise(key)).to_series()
        fast_runs = pl.DataFrame({"table": table_code[fast_run], "row": row_code[fast_run], "start": starts[fast_run],
                                  "len": lens[fast_run], "block": block[fast_run]})
    ids = blocks["report_id"]
    fast_ids = ids.filter(pl.Series(fast))
    slow_reports = reports.filter(~pl.col("report_id").is_in(fast_ids.implode()))
    block_start = np.append(starts[block_starts], n).astype(np.int64)
    return Layout(key, slow, fast_runs, ids, block_start, slow_reports)


def wide_frames(cells: pl.DataFrame, layout: Layout) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tables 三 and 四 in arithmetic form (`nianbao.frames`), read by position where the layout is proven.

    The rows are those of `nianbao.frames.applications` / `review_litigation`, in the order of the cells
    (the contracts judge each row, or each report's rows together, so the order is not theirs to keep)."""
    rest = cells.filter(layout.slow) if layout.slow.any() else None
    return (F.applications(cells, arith=True, runs=layout.table_runs("applications"), rest=rest),
            F.review_litigation(cells, arith=True, runs=layout.table_runs("review_litigation"), rest=rest))
