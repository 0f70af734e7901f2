"""The parsed-cells store: every cell of every parsed report, on disk, in year folders of segment files.

A national year is 100,000+ reports and ~25 million cells: too many to hold in memory at once, and too
many to rewrite when 1% of the files change. So the parse stage streams its cells straight to disk from
the workers, one *segment* file per (chunk, year):

    <warehouse>/parsed_cells/2023/seg-<16 hex>.parquet

The chunks are a function of the inputs alone (`chunks`): the raw files in path order, cut after every
path whose hash says so (about one in `SEGMENT_REPORTS`), so adding or removing a file moves no other
chunk's boundaries. A segment's id is the hash of its chunk's (path, SHA-256) pairs and the parser
version; its rows are its reports' cells in path order, each report's in parse order. So the store is
the same bytes whatever the history of runs that built it: an incremental run rewrites only the chunks
whose files changed (re-reading the unchanged reports' cells from their old segment), and the result
equals a full parse's, file for file. `parsed_reports.segment` says which segment holds each report's
cells; segments nobody points at are deleted once the new index is written (and again at the start of
the next parse, for a run killed in between).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from nianbao.atomic import write_atomic

UNKNOWN_YEAR = "unknown"  # the partition key (and folder) of reports whose year could not be read
# the hive spelling of a year folder, `year=2023` and `year=__HIVE_DEFAULT_PARTITION__`, used before: pyarrow
# (so pandas.read_parquet) cannot read a folder where `year` is both in the files and in the path
HIVE_PREFIX, HIVE_NULL = "year=", "__HIVE_DEFAULT_PARTITION__"
SEGMENT_REPORTS = 400  # reports per chunk of the parse (on average): one segment file per (chunk, year)
MAX_CHUNK = 3 * SEGMENT_REPORTS


def year_key(year: int | None) -> str:
    """The partition key of a reporting year."""
    return UNKNOWN_YEAR if year is None else str(year)


def year_folder(key: str) -> str:
    """The folder of a partition key: the key itself, `2023` or `unknown`. Not hive's `year=2023`: the files
    hold `year` themselves (so a glob read has it), and pyarrow cannot read a column that is both in the
    files and in the path."""
    return key


def is_year_folder(name: str) -> bool:
    """Whether a folder name is a year partition's (`2023`, `unknown`)."""
    return name.isdigit() or name == UNKNOWN_YEAR


def hive_to_key(name: str) -> str | None:
    """The partition key of a folder of the old hive layout (`year=2023` → `2023`), else None."""
    if not name.startswith(HIVE_PREFIX):
        return None
    key = name.removeprefix(HIVE_PREFIX)
    return UNKNOWN_YEAR if key == HIVE_NULL else key if key.isdigit() else None


def year_filter(key: str) -> pl.Expr:
    """The rows of one partition key, by their `year` column."""
    return pl.col("year").is_null() if key == UNKNOWN_YEAR else pl.col("year") == int(key)


@dataclass(frozen=True)
class StoredCells:
    """What the parse stage returns for `parsed_cells`: the cells are already on disk in the store at `root`."""

    root: str


def is_boundary(relpath: str) -> bool:
    """Whether a chunk ends after this path: about one path in `SEGMENT_REPORTS`, decided by the path alone."""
    return int.from_bytes(hashlib.sha256(relpath.encode("utf-8", "surrogateescape")).digest()[:8], "big") \
        % SEGMENT_REPORTS == 0


def chunks(paths: list[str]) -> list[list[str]]:
    """The raw files' paths (sorted) cut into chunks at `is_boundary` paths; a chunk that reaches
    `MAX_CHUNK` paths without one is cut there."""
    out: list[list[str]] = []
    cur: list[str] = []
    for p in paths:
        cur.append(p)
        if is_boundary(p) or len(cur) == MAX_CHUNK:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def chunk_segment(pairs: list[tuple[str, str | None]], parser: str) -> str:
    """A chunk's segment id: 16 hex digits of the SHA-256 of its (path, sha256) pairs, in order, and the
    parser version."""
    h = hashlib.sha256(parser.encode())
    for path, sha in pairs:
        h.update(f"\0{path}\0{sha or ''}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:16]


class CellStore:
    """The segment files of parsed cells under one folder (normally <warehouse>/parsed_cells)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _file(self, key: str, segment: str) -> Path:
        return self.root / year_folder(key) / f"seg-{segment}.parquet"

    def write(self, cells: pl.DataFrame, segment: str, years: list[int | None]) -> None:
        """Write one segment: its cells split by year, one file per year of its reports (`years`), even
        when a report has no cells, so that every (year, segment) the index names exists (atomic, each)."""
        for year in sorted(set(years), key=lambda y: (y is None, y or 0)):
            part = cells.filter(pl.col("year").is_null() if year is None else pl.col("year") == year)
            write_atomic(part, self._file(year_key(year), segment))

    def files(self) -> dict[tuple[str, str], Path]:
        """(year key, segment) → file, for every segment file on disk."""
        out = {}
        for p in self.root.glob("*/seg-*.parquet"):
            if is_year_folder(p.parent.name):
                out[(p.parent.name, p.stem.removeprefix("seg-"))] = p
        return out

    def stored(self, reports: pl.DataFrame, *also: CellStore) -> pl.DataFrame:
        """The rows of `reports` (with `year`, `segment`) whose segment file is on disk, in this store and in
        each of `also` (a report whose file is gone must be parsed again, or has nothing to read)."""
        keys = self.files().keys()
        for other in also:
            keys &= other.files().keys()
        on_disk = pl.DataFrame(list(keys), schema={"_key": pl.String, "segment": pl.String}, orient="row")
        return (reports.with_columns(_key=pl.col("year").cast(pl.String).fill_null(UNKNOWN_YEAR))
                .join(on_disk, on=["_key", "segment"], how="semi").drop("_key"))

    def scan(self, reports: pl.DataFrame, key: str | None = None, ordered: bool = False) -> pl.LazyFrame | None:
        """The live cells of `reports` (rows of parsed_reports, with `segment`), of one year or all; None
        when there are none.

        Each report's cells are contiguous and in their parse order. Reports come segment by segment (in
        path order within a segment), which is the order of `reports` when those are sorted by year and
        path (as parsed_reports is); `ordered=True` sorts them into the order of any `reports` (a join and
        a sort: it doubles the memory of the read, so callers that put their own output in order do
        without)."""
        if key is not None:
            reports = reports.filter(year_filter(key))
        if not reports.height:
            return None
        parts = []
        for year, segment, ids in (reports.group_by(pl.col("year"), "segment", maintain_order=True)
                                     .agg("report_id").iter_rows()):
            path = self._file(year_key(year), segment)
            if not path.exists():
                raise FileNotFoundError(f"parsed cells of {len(ids)} reports missing: {path} "
                                        "(re-run the parse: delete parsed_reports to parse everything again)")
            parts.append(pl.scan_parquet(path).filter(pl.col("report_id").is_in(pl.lit(pl.Series(ids)).implode())))
        lf = pl.concat(parts)
        if not ordered:
            return lf
        pos = reports.select("report_id", _pos=pl.int_range(pl.len(), dtype=pl.UInt32)).lazy()
        return lf.join(pos, on="report_id", how="left", maintain_order="left").sort(
            "_pos", maintain_order=True).drop("_pos")

    def read(self, reports: pl.DataFrame, key: str | None = None, schema: dict | None = None,
             ordered: bool = False) -> pl.DataFrame:
        """Like `scan`, collected; an empty frame of `schema` when there are no cells."""
        lf = self.scan(reports, key, ordered)
        if lf is None:
            return pl.DataFrame(schema=schema or {})
        return lf.collect()

    def collect_garbage(self, live: pl.DataFrame) -> int:
        """Delete every segment file no report of `live` (the committed parsed_reports) points at, and
        stray temp files. Returns the number of files deleted."""
        keep = {(year_key(y), s) for y, s in live.select("year", "segment").unique().iter_rows()}
        n = 0
        for k, p in self.files().items():
            if k not in keep:
                p.unlink(missing_ok=True)
                n += 1
        for p in [*self.root.glob("*/.*.tmp"), *self.root.glob("*.parquet")]:  # + the old one-file layout
            p.unlink(missing_ok=True)
        return n
