"""The optional manifest: a CSV naming the body, region and URL of some raw files, overriding what was read.

A crawl often knows better than the report who published it (the site it came from, the catalogue
entry). `<raw>/manifest.csv` (or the path in the RawReports resource / NIANBAO_MANIFEST), UTF-8 with or
without a BOM, has a header line and one row per file:

    file,body,region_code,url
    2023/gulou.txt,福州市鼓楼区人民政府,350102,https://www.gl.gov.cn/…

`file` is the path relative to the raw folder (or to the manifest's own folder, or a bare file name
that only one raw file has); `body`, `region_code` and `url` may each be empty; other columns are
ignored. A row overrides, for its file, the body (and so the body type, classified again), the region
(code → province, prefecture, county and level from the division data; a body without a code is
resolved again, with the parsed region as context), and adds a note naming the manifest line. An
unknown region code, a file named twice, a row csv cannot read (a field over csv's limit of 128 Ki
characters) or a quote left open (which would swallow the rows after it) is an error naming the manifest
and the line: the manifest is refused, never applied in part. A row whose file is not in the raw folder
is only reported.

A report's `parser` column carries the manifest row it was given (`<version>+manifest.<tag>`): so a
changed row re-parses only its file, and the year stages, which key their reuse on the parser column,
publish the new identity.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

MANIFEST_NAME = "manifest.csv"
COLUMNS = ("file", "body", "region_code", "url")
TAG_SEP = "+manifest."
NOTE = "manifest line "  # how the note a manifest row leaves on its report begins
# what a manifest row may change in a `reports` row (nianbao.frames.REPORT_SCHEMA)
OVERRIDDEN = ("body", "body_type", "region_code", "province", "prefecture", "county", "region_level",
              "region_candidates", "notes", "parser")


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Entry:
    """One manifest row (line: its line number in the file, the header being line 1)."""

    line: int
    file: str
    body: str | None = None
    region_code: str | None = None
    url: str | None = None

    @property
    def tag(self) -> str:
        """8 hex digits of what the row says (not where it sits): a changed row has a new tag."""
        key = "\0".join(x or "" for x in (self.body, self.region_code, self.url))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]

    def note(self) -> str:
        """The note a report gets when this row is applied to it."""
        from nianbao.regions import division_name

        said = [f"body {self.body}"] if self.body else []
        if self.region_code:
            said.append(f"region {self.region_code} ({division_name(self.region_code)})")
        if self.url:
            said.append(f"url {self.url}")
        return f"{NOTE}{self.line}: " + ", ".join(said or ["no override"])


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ManifestError(f"{path}: not UTF-8 (byte {e.start}); save the manifest as UTF-8") from e


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


class _Lines:
    """The manifest's lines, handed to csv one by one and counted: the line a record begins on is known even
    when csv fails in the middle of it."""

    def __init__(self, text: str):
        self.lines = io.StringIO(text, newline="").readlines()  # split as csv splits: \n, \r\n or \r
        self.read = 0  # lines handed to csv so far

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.read == len(self.lines):
            raise StopIteration
        self.read += 1
        return self.lines[self.read - 1]

    def next_record(self) -> int:
        """The number of the line the next record begins on (csv skips empty lines)."""
        i = self.read
        while i < len(self.lines) and not self.lines[i].strip("\r\n"):
            i += 1
        return i + 1


def _records(reader: csv.DictReader, lines: _Lines, path: Path):
    """(line number, row) of each record after the header. A record csv cannot read (a field over csv's size
    limit) or a field running over several lines (an unterminated quote, which swallows the rows after
    it) refuses the manifest: a ManifestError naming the line the record begins on."""
    while True:
        start = lines.next_record()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise ManifestError(f"{path}, line {start}: cannot read the row ({_csv_reason(e)})") from None
        end = lines.read
        if end == len(lines.lines) and _open_at_end("".join(lines.lines[start - 1:end])):
            raise ManifestError(f"{path}, line {start}: unterminated quote: the quoted field opened on this line "
                                "runs to the end of the file")
        if any(isinstance(v, str) and ("\n" in v or "\r" in v) for v in row.values()):
            raise ManifestError(f"{path}, line {start}: a quoted field runs from this line to line {end} (a quote "
                                "left open?): a field cannot span lines")
        yield reader.line_num, row


def _open_at_end(record: str) -> bool:
    """Whether the file's last record ends inside a quoted field (csv, lenient, would take the rest of the
    file, or of the line, as the field's text)."""
    try:
        list(csv.reader(io.StringIO(record, newline=""), strict=True))
    except csv.Error as e:
        return "unexpected end of data" in str(e)
    return False


def _csv_reason(e: csv.Error) -> str:
    """csv's complaint in words: the field size limit named as such (an unterminated quote often causes it)."""
    if "field larger than field limit" in str(e):
        return (f"a field is over csv's limit of {csv.field_size_limit():,} characters: an unterminated quote, "
                "or not a manifest")
    return str(e)


def read_manifest(path: str | Path) -> list[Entry]:
    """The rows of a manifest, checked: a `file` column, known region codes, each file named once.

    Any row that cannot be read or used (a field over csv's size limit, an unterminated quote, an empty
    file column, an unknown region code, a file named twice) refuses the whole manifest: a ManifestError
    naming the manifest and the line, rather than a manifest applied in part."""
    from nianbao.regions import division

    path = Path(path)
    lines = _Lines(_text(path))
    reader = csv.DictReader(lines)
    try:
        fieldnames = reader.fieldnames
    except csv.Error as e:
        raise ManifestError(f"{path}, line 1: cannot read the header line ({_csv_reason(e)})") from None
    header = [(h or "").strip() for h in fieldnames or []]
    if "file" not in header:
        raise ManifestError(f"{path}: no 'file' column in the header line (expected {', '.join(COLUMNS)})")
    reader.fieldnames = header
    entries, seen = [], {}
    for line, row in _records(reader, lines, path):
        file = _clean(row.get("file"))
        if file is None:
            if not any(_clean(v) for v in row.values() if isinstance(v, str)):
                continue  # a blank line
            raise ManifestError(f"{path}, line {line}: the file column is empty")
        file = str(PurePosixPath(file.replace("\\", "/")))
        code = _clean(row.get("region_code"))
        if code is not None and (len(code) != 6 or not code.isdigit() or division(code) is None):
            raise ManifestError(f"{path}, line {line}: region code {code!r} is not a GB/T 2260 division code "
                                "(six digits, a province, prefecture or county valid 2019-2025)")
        if file in seen:
            raise ManifestError(f"{path}, line {line}: {file} is already named on line {seen[file]}")
        seen[file] = line
        entries.append(Entry(line, file, _clean(row.get("body")), code, _clean(row.get("url"))))
    return entries


def match(entries: list[Entry], relpaths: list[str], raw_root: str | Path, manifest_dir: str | Path
          ) -> tuple[dict[str, Entry], list[Entry]]:
    """Each entry's raw file (path relative to the raw folder): ({relpath: entry}, entries with no file).

    An entry names its file relative to the raw folder, else relative to the manifest's folder, else by
    a bare file name that exactly one raw file has."""
    known = set(relpaths)
    by_name: dict[str, list[str]] = {}
    for rel in relpaths:
        by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
    root = Path(raw_root).resolve()
    found, missing = {}, []
    for e in entries:
        rel = e.file.removeprefix("./")
        if rel not in known:
            beside = (Path(manifest_dir) / e.file).resolve()
            rel = beside.relative_to(root).as_posix() if beside.is_relative_to(root) else rel
        if rel not in known and "/" not in e.file and len(by_name.get(e.file, ())) == 1:
            rel = by_name[e.file][0]
        if rel in known:
            found[rel] = e
        else:
            missing.append(e)
    return found, missing


def manifest_tag(parser: pl.Expr) -> pl.Expr:
    """The tag of the manifest row a report was given (null when none), from its `parser` column."""
    return parser.str.extract(r"\+manifest\.([0-9a-f]+)$")


def parser_version(parser: pl.Expr) -> pl.Expr:
    """The parser's own version, without the manifest tag."""
    return parser.str.replace(r"\+manifest\.[0-9a-f]+$", "")


def reusable(reports: pl.DataFrame, matched: dict[str, Entry]) -> pl.DataFrame:
    """The previous index rows that can be reused under this manifest, with their parser version bare.

    A report given a different manifest row last time (or none, or one where there is none now) is left
    out, so it is parsed again: the parse is the only source of what the file itself says."""
    if not matched and not reports["parser"].str.contains(TAG_SEP, literal=True).any():
        return reports  # no manifest now, none before
    now = pl.DataFrame({"path": list(matched), "_now": [e.tag for e in matched.values()]},
                       schema={"path": pl.String, "_now": pl.String})
    return (reports.join(now, on="path", how="left", maintain_order="left")
            .filter(manifest_tag(pl.col("parser")).eq_missing(pl.col("_now")))
            .with_columns(parser=parser_version(pl.col("parser")),  # `apply` gives it back, with the note
                          notes=pl.col("notes").list.eval(pl.element().filter(~pl.element().str.starts_with(NOTE))))
            .drop("_now"))


@functools.lru_cache(maxsize=65536)  # the same rows recur (a body's reports of several years)
def _identity(body: str | None, code: str | None, title: str | None, parsed_code: str | None,
              parsed_candidates: tuple[str, ...], parsed_body: str | None, parsed_type: str | None) -> tuple:
    """(body, body_type, region_code, province, prefecture, county, region_level, region_candidates) of a
    report whose parse said (title, parsed_*) once a manifest row saying (body, code) is applied."""
    from nianbao.regions import Region, classify_body, division, refine, resolve_region

    parsed = (division(parsed_code) if parsed_code else None) or Region(
        None, None, None, None, None, parsed_candidates)
    region = parsed
    if code:
        region = division(code)
    elif body:
        named = resolve_region(body, title)
        region = named if named.code else refine(named, parsed, "manifest") if named.found() else parsed
    return (body or parsed_body, classify_body(body) if body else parsed_type, region.code, region.province,
            region.prefecture, region.county, region.level, tuple(region.ambiguous))


def apply(reports: pl.DataFrame, matched: dict[str, Entry]) -> tuple[pl.DataFrame, int]:
    """`reports` with the manifest's rows applied to their files, and how many reports were changed."""
    if not matched or not reports.height:
        return reports, 0
    todo = reports.filter(pl.col("path").is_in(pl.Series(list(matched), dtype=pl.String).implode()))
    scalar = OVERRIDDEN[:7]  # body … region_level; the two list columns are built by polars, not per row
    cols: dict[str, list] = {c: [] for c in ("report_id", *scalar, "_candidates", "_note", "parser")}
    for rid, path, title, body, body_type, code, cands, parser in todo.select(
            "report_id", "path", "title", "body", "body_type", "region_code", "region_candidates",
            "parser").iter_rows():
        entry = matched[path]
        *values, candidates = _identity(entry.body, entry.region_code, title, code, tuple(cands or ()), body,
                                        body_type)
        for c, v in zip(cols, (rid, *values, ",".join(candidates), entry.note(),
                               parser.split(TAG_SEP)[0] + TAG_SEP + entry.tag)):
            cols[c].append(v)
    new = pl.DataFrame(cols, schema={"report_id": pl.String, **{c: reports.schema[c] for c in scalar},
                                     "_candidates": pl.String, "_note": pl.String, "parser": pl.String})
    new = new.join(todo.select("report_id", "notes"), on="report_id").select(
        "report_id", *scalar,
        region_candidates=pl.when(pl.col("_candidates") == "").then(pl.lit([], pl.List(pl.String)))
        .otherwise(pl.col("_candidates").str.split(",")),
        notes=pl.col("notes").fill_null([]).list.concat(pl.concat_list("_note")), parser=pl.col("parser"))
    return reports.update(new, on="report_id", include_nulls=True), todo.height
