"""Resources: where the raw reports are, where the warehouse is, how to show progress.

Defaults make `make run` work with no configuration: the bundled sample reports and a warehouse
under data/. Environment variables override them (NIANBAO_RAW, NIANBAO_WAREHOUSE, NIANBAO_WORKERS,
NIANBAO_MANIFEST).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from dagster import ConfigurableResource

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RAW = REPO / "data" / "sample"
DEFAULT_WAREHOUSE = REPO / "data" / "warehouse"
HOME_DIR = ".dagster"  # the Dagster instance of a warehouse: <warehouse>/.dagster


def raw_default() -> str:
    return os.environ.get("NIANBAO_RAW", str(DEFAULT_RAW))


def warehouse_default() -> str:
    return os.environ.get("NIANBAO_WAREHOUSE", str(DEFAULT_WAREHOUSE))


def dagster_home(warehouse: str | Path) -> Path:
    """The Dagster instance (SQLite storage) of a warehouse: $DAGSTER_HOME when set, else
    <warehouse>/.dagster, so the UI on it (`make ui WAREHOUSE=…`) shows that warehouse's runs and years only.
    Created with a dagster.yaml turning telemetry off when it has none; sets $DAGSTER_HOME to it."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path(warehouse) / HOME_DIR).resolve()
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists():
        cfg.write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


class RawReports(ConfigurableResource):
    """The folder of raw report files (searched recursively), the number of parser processes, and the
    optional manifest (`nianbao.manifest`) that names some files' body and region."""

    root: str
    workers: int = 0  # 0: one per core
    manifest: str = ""  # "": $NIANBAO_MANIFEST, else <root>/manifest.csv when there is one

    def manifest_path(self) -> Path | None:
        """The manifest in use: the one configured (which must exist), else <root>/manifest.csv, else None."""
        from nianbao.manifest import MANIFEST_NAME

        given = self.manifest or os.environ.get("NIANBAO_MANIFEST", "")
        if given:
            if not Path(given).is_file():
                raise FileNotFoundError(f"manifest not found: {given}")
            return Path(given)
        default = Path(self.root) / MANIFEST_NAME
        return default if default.is_file() else None

    def _not_reports(self) -> set[str]:
        """Paths (relative to root) of the files that are never reports: the manifest, wherever it is."""
        from nianbao.manifest import MANIFEST_NAME

        skip = {MANIFEST_NAME}
        used = self.manifest_path()
        if used is not None and used.resolve().is_relative_to(Path(self.root).resolve()):
            skip.add(used.resolve().relative_to(Path(self.root).resolve()).as_posix())
        return skip

    def listing(self):  # -> nianbao.rawfiles.Listing
        """The raw folder's entries (`nianbao.rawfiles.list_raw`): every input, each either a regular file to
        read or an entry that is never opened and fails with the reason (a FIFO, socket or device, a
        symbolic link leading outside the raw folder, dangling or looping, a path that is not UTF-8); and
        the entries that are not inputs, with the reason: hidden files and folders, the manifest, symbolic
        links to folders inside the raw folder (not followed: their targets are listed where they are)."""
        from nianbao.rawfiles import list_raw

        root = Path(self.root)
        if not root.is_dir():
            raise FileNotFoundError(f"raw report folder not found: {root}")
        return list_raw(root, self._not_reports())

    def files(self) -> list[tuple[str, str]]:
        """(absolute path, path relative to root) of every input to read (the regular files of `listing()`),
        sorted. A file that is not a report ends in parse_failures with the reason; the inputs that are not
        read and the skipped entries are in `listing()` only."""
        return self.listing().readable()

    def n_workers(self) -> int:
        return self.workers or int(os.environ.get("NIANBAO_WORKERS", 0)) or os.cpu_count() or 1


class Progress(ConfigurableResource):
    """A progress bar on the terminal for `nianbao run`; silent (logs only) under the Dagster UI."""

    enabled: bool = False

    def tracker(self, total: int, description: str) -> tuple[Callable[[int], None], Callable[[], None]]:
        """(advance(n), close()) for a task of `total` units."""
        if not self.enabled or total == 0:
            return (lambda n: None), (lambda: None)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TimeElapsedColumn

        bar = Bar("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False)
        task = bar.add_task(description, total=total)
        bar.start()
        return (lambda n: bar.advance(task, n)), bar.stop
