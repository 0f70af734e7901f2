"""The parsed-cells store: every cell of every parsed report, on disk, in year folders of segment files.

A national year is 100,000+ reports and ~25 million cells: too many to hold in memory at once, and too
many to rewrite when 1% of the files change. So the parse stage streams each batch the process pool
returns straight to disk, one *segment* file per (batch, year):

    <warehouse>/parsed_cells/year=2023/seg-<16 hex>.parquet

and never rewrites a segment. The `parsed_reports` dataset is the index: its `segment` column says
which segment holds each report's live cells. When a file changes, its new parse goes to a new segment
and the old rows become dead (the index no longer points at them); readers only ever see live rows.
Segments nobody points at are deleted at the start of the next parse (so a crash between writing
segments and writing the index never leaves the index pointing at nothing), and a year that has
accumulated many segments is compacted into fresh ones.

Segment ids are hashes of what went into them (paths, content hashes, parser version): the same
inputs give the same segments, byte for byte.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from nianbao.atomic import write_atomic

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # how the unknown year is spelled in a folder name (hive convention)
UNKNOWN_YEAR = "unknown"  # the partition key of reports whose year could not be read
SEGMENT_REPORTS = 400  # reports per segment when a year is compacted (and the parse batch size)


def year_key(year: int | None) -> str:
    """The partition key of a reporting year."""
    return UNKNOWN_YEAR if year is None else str(year)


def year_folder(key: str) -> str:
    """The hive folder of a partition key: year=2023, or the hive spelling of null for the unknown year."""
    return f"year={HIVE_NULL if key == UNKNOWN_YEAR else key}"


def year_filter(key: str) -> pl.Expr:
    """The rows of one partition key, by their `year` column."""
    return pl.col("year").is_null() if key == UNKNOWN_YEAR else pl.col("year") == int(key)


@dataclass(frozen=True)
class StoredCells:
    """What the parse stage returns for `parsed_cells`: the cells are already on disk in the store at `root`."""

    root: str


def segment_id(reports: pl.DataFrame, parser: str) -> str:
    """A segment's id: 16 hex digits of the SHA-256 of its reports' (path, sha256) and the parser version."""
    h = hashlib.sha256(parser.encode())
    for path, sha in reports.select("path", "sha256").sort("path").iter_rows():
        h.update(f"\0{path}\0{sha}".encode())
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
        for p in self.root.glob("year=*/seg-*.parquet"):
            key = p.parent.name.removeprefix("year=")
            out[(UNKNOWN_YEAR if key == HIVE_NULL else key, p.stem.removeprefix("seg-"))] = p
        return out

    def scan(self, reports: pl.DataFrame, key: str | None = None, ordered: bool = False) -> pl.LazyFrame | None:
        """The live cells of `reports` (rows of parsed_reports, with `segment`), of one year or all; None
        when there are none.

        Each report's cells are contiguous and in their parse order. Reports come segment by segment,
        which after an incremental parse is not the order of `reports`; `ordered=True` sorts them into it
        (a join and a sort: it doubles the memory of the read, so callers that put their own output in
        order do without)."""
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
        for p in [*self.root.glob("year=*/.*.tmp"), *self.root.glob("*.parquet")]:  # + the old one-file layout
            p.unlink(missing_ok=True)
        return n

    def compact(self, reports: pl.DataFrame, parser_of: str = "parser") -> pl.DataFrame:
        """Rewrite the years whose live cells are spread over many more segments than a fresh parse would
        make (incremental runs add a few each time). Returns `reports` with the new `segment` values.

        Files are only added here; the old segments become unreferenced and go at the next parse.
        """
        out = []
        for (year,), part in reports.sort("path").partition_by("year", as_dict=True, maintain_order=True).items():
            ideal = math.ceil(part.height / SEGMENT_REPORTS)
            if part["segment"].n_unique() <= 2 * ideal + 8:
                out.append(part)
                continue
            cells = self.read(part, year_key(year))
            fresh = []
            for i in range(0, part.height, SEGMENT_REPORTS):
                chunk = part.slice(i, SEGMENT_REPORTS)
                seg = "c" + segment_id(chunk, "|".join(chunk[parser_of].unique().sort()))[1:]
                self.write(cells.filter(pl.col("report_id").is_in(chunk["report_id"].implode())), seg,
                           chunk["year"].to_list())
                fresh.append(chunk.with_columns(segment=pl.lit(seg)))
            out.append(pl.concat(fresh))
        if not out:
            return reports
        ids = reports.select("report_id")
        return ids.join(pl.concat(out), on="report_id", how="left", maintain_order="left")
