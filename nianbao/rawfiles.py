"""The raw folder as the pipeline lists it: which entries are inputs, which are read, which are skipped.

Only regular files are ever opened. `list_raw` sorts every entry of the folder into one of three:

* an input to read: a regular file, or a symbolic link to a regular file inside the raw folder;
* an input with a `problem` (the reason it fails, in parse_failures): a FIFO, socket or device; a
  symbolic link leading outside the raw folder (to a file or a folder); a dangling symbolic link; a
  symbolic link loop; a file whose path is not valid UTF-8; a folder that cannot be listed. It is
  never opened (a FIFO would block the run; a device may never end);
* skipped, with the reason, and not an input: hidden files and folders (a name starting with "."),
  the manifest, and symbolic links to folders inside the raw folder.

Symbolic links to folders are never followed: the target of one inside the raw folder is listed where it
is (so no file is listed twice through a folder link, and no link loop is walked); one leading outside
is an input that fails with the reason. A symbolic link to a file inside the raw folder is read (its
target is then read twice, under both paths).

A path that is not valid UTF-8 (os.scandir gives it surrogate-escaped) is stored with its undecodable
bytes as backslash escapes (`\\xb9\\xc4`, `display`): the input keeps a stable path and report_id, and
fails with the reason (the reader takes a file's name from the path it reads, and a name with
surrogates cannot be stored). Should that shown path equal another input's, it is skipped with the
reason, rather than given a report_id already taken.
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import polars as pl

NOT_UTF8 = ("file name is not valid UTF-8 (its undecodable bytes are shown as \\x escapes): rename it to UTF-8 "
            "to read it")
NOT_UTF8_FOLDER = ("folder name is not valid UTF-8 (its undecodable bytes are shown as \\x escapes): rename it "
                   "to UTF-8 to read its files")
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))
_FILE, _FOLDER, _SKIP = "file", "folder", "skip"


class RawFile(NamedTuple):
    """An input: where it is on disk (its real name), its path relative to the raw folder as stored (valid
    UTF-8, `display`), and why it cannot be read (None: a regular file, to read)."""

    path: str
    rel: str
    problem: str | None = None


@dataclass
class Listing:
    """The raw folder's entries: the inputs (sorted by relative path) and the skipped entries with the
    reason each is not an input, e.g. `(".DS_Store", "hidden file")` (sorted; a folder's path ends in /)."""

    files: list[RawFile]
    skipped: list[tuple[str, str]]

    def readable(self) -> list[tuple[str, str]]:
        """(path on disk, relative path) of the inputs to read: the regular files."""
        return [(f.path, f.rel) for f in self.files if f.problem is None]


class NotRegular(Exception):
    """A path that is not (or no longer) a regular file; the message is the reason."""


def display(name: str) -> str:
    """A file name as stored: itself when valid UTF-8, else its undecodable bytes as `\\xNN` escapes."""
    try:
        name.encode("utf-8")  # the common case, fast: no surrogate-escaped byte
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


def not_regular(mode: int) -> str | None:
    """The reason a file of this mode (st_mode) is not read, e.g. "not a regular file: a socket"; None for a
    regular file."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), f"file type {stat.S_IFMT(mode):#o}")
    return f"not a regular file: {kind}"


def open_regular(path: str) -> BinaryIO:
    """`path` open for reading, only if it is a regular file: opened non-blocking (a FIFO put there since it
    was listed is not waited on) and checked on the open descriptor. Raises NotRegular or OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        reason = not_regular(os.fstat(fd).st_mode)
        if reason:
            raise NotRegular(reason)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _inside(real: str, top: str) -> bool:
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _link(path: str, top: str) -> tuple[str, str | None]:
    """What a symbolic link is: (_FILE, None) a regular file inside the raw folder, to read; (_FILE, reason)
    an input that fails; (_SKIP, reason) a folder inside the raw folder, not followed."""
    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return _FILE, f"symbolic link loop (through {display(os.readlink(path))})"
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            return _FILE, f"dangling symbolic link (to {display(os.readlink(path))})"
        return _FILE, f"cannot read file: {e.strerror}"
    real = os.path.realpath(path)
    if not _inside(real, top):
        return _FILE, f"symbolic link leading outside the raw folder: {display(real)}"
    if stat.S_ISDIR(st.st_mode):
        where = "the raw folder itself" if real == top else display(os.path.relpath(real, top)).replace(os.sep, "/")
        return _SKIP, f"symbolic link to a folder inside the raw folder, not followed (its target, {where}, is " \
                      "listed where it is)"
    return _FILE, not_regular(st.st_mode)


def _classify(entry: os.DirEntry, top: str) -> tuple[str, str | None]:
    """(_FOLDER, None), (_FILE, None or the reason it fails) or (_SKIP, reason) for one folder entry, from the
    file type scandir already read (no system call for a plain file or folder)."""
    try:
        if entry.is_symlink():
            return _link(entry.path, top)
        if entry.is_dir(follow_symlinks=False):
            return _FOLDER, None
        if entry.is_file(follow_symlinks=False):
            return _FILE, None
        return _FILE, not_regular(entry.stat(follow_symlinks=False).st_mode)
    except OSError as e:
        return _FILE, f"cannot read file: {e.strerror}"


def _hidden(entry: os.DirEntry) -> tuple[str, str]:
    """(suffix of the relative path, reason) of a hidden entry: "/" and "hidden folder" for a folder."""
    try:
        folder = entry.is_dir(follow_symlinks=False)
    except OSError:
        folder = False
    return ("/", "hidden folder") if folder else ("", "hidden file")


def _unique(files: list[RawFile], skipped: list[tuple[str, str]]) -> list[RawFile]:
    """The inputs sorted by relative path, one per path: of two inputs shown with the same path (one name
    not UTF-8, its bytes escaped), the one whose name really is that path is kept (else the first by its
    bytes), the other skipped with the reason."""
    files.sort(key=lambda f: f.rel)
    out: list[RawFile] = []
    for f in files:
        if out and out[-1].rel == f.rel:
            out[-1], other = sorted((out[-1], f), key=lambda g: (not g.path.endswith(g.rel), os.fsencode(g.path)))
            skipped.append((other.rel, "path is not valid UTF-8 and, its bytes shown as \\x escapes, is that of "
                                       "another input: rename it to UTF-8 to read it"))
        else:
            out.append(f)
    return out


def list_raw(root: str | Path, not_reports: Collection[str] = ()) -> Listing:
    """Every entry under `root`, recursively, as inputs (to read, or failing with the reason) and skipped
    entries (the module's rules); `not_reports`: relative paths that are not inputs (the manifest).

    Raises OSError when `root` itself cannot be listed."""
    top = os.path.realpath(root)
    files: list[RawFile] = []
    skipped: list[tuple[str, str]] = []
    folders = [(str(root), "", False)]  # (path on disk, relative path + "/", a folder name not UTF-8)
    while folders:
        folder, prefix, bad_folder = folders.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as e:
            if not prefix:
                raise
            files.append(RawFile(folder, prefix[:-1], f"cannot list folder: {e.strerror}"))
            continue
        for entry in entries:
            shown = display(entry.name)
            rel = prefix + shown
            if entry.name.startswith("."):
                suffix, reason = _hidden(entry)
                skipped.append((rel + suffix, reason))
                continue
            if rel in not_reports:
                skipped.append((rel, "the manifest"))
                continue
            kind, problem = _classify(entry, top)
            if kind == _FOLDER:
                folders.append((entry.path, rel + "/", bad_folder or shown != entry.name))
            elif kind == _SKIP:
                skipped.append((rel + "/", problem))
            else:
                if problem is None and (bad_folder or shown != entry.name):
                    problem = NOT_UTF8_FOLDER if bad_folder else NOT_UTF8
                files.append(RawFile(entry.path, rel, problem))
    files = _unique(files, skipped)
    return Listing(files, sorted(skipped))


def unreadable(inventory: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the inventory rows to read, a parse failure row per row with a `problem`: never to be opened).

    The failure rows have the schema of nianbao.frames.FAILURE_SCHEMA, the problem as the error. An
    inventory without a `problem` column is all to read."""
    from nianbao.frames import FAILURE_SCHEMA
    from nianbao.version import PARSER_VERSION

    if "problem" not in inventory.columns:
        return inventory, pl.DataFrame(schema=FAILURE_SCHEMA)
    bad = inventory.filter(pl.col("problem").is_not_null())
    failures = bad.select(
        pl.col("report_id"), pl.col("source"), pl.col("path"), pl.lit(None, pl.String).alias("sha256"),
        pl.lit(None, pl.Int64).alias("size"), pl.col("problem").alias("error"),
        pl.lit(PARSER_VERSION).alias("parser")).cast(FAILURE_SCHEMA)
    return inventory.filter(pl.col("problem").is_null()), failures
