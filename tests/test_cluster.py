"""The Celery variant: its jobs cover the code location; parsing works inside a daemonic worker process;
and, only with NIANBAO_CLUSTER_TEST=1 (about a minute), `scripts/cluster.sh` end to end."""
from __future__ import annotations

import multiprocessing
import os
import subprocess
from pathlib import Path

import pytest

from conftest import SEEDS

REPO = Path(__file__).resolve().parents[1]


def test_parse_many_in_a_daemonic_process(monkeypatch):
    """A Celery prefork worker runs tasks in daemonic processes, which cannot start a process pool: parse_many
    then parses in-process. (Flagged rather than forked: forking after polars has started its threads can
    deadlock.)"""
    from nianbao.batch import parse_many

    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)
    parsed = parse_many([(str(p), p.name) for p in SEEDS], workers=2, batch_size=1)
    assert parsed.n_inputs == len(SEEDS) and parsed.failures.height == 0


def test_cluster_jobs_cover_every_asset_and_check():
    pytest.importorskip("dagster_celery")
    from pipeline import cluster
    from pipeline.definitions import ASSETS, CHECKS

    jobs = [cluster.job(name) for name in (cluster.INGEST, cluster.PUBLISH)]
    assert {j.executor_def.name for j in jobs} == {"nianbao_celery"}
    nodes = {n.name for j in jobs for n in j.graph.node_defs}
    assert {d.node_def.name for d in [*ASSETS, *CHECKS]} <= nodes


@pytest.mark.skipif(os.environ.get("NIANBAO_CLUSTER_TEST") != "1", reason="set NIANBAO_CLUSTER_TEST=1 (Redis, "
                    "two Celery workers, about a minute)")
def test_cluster_script_gives_the_same_bytes():
    r = subprocess.run(["bash", "scripts/cluster.sh"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "identical: all" in r.stdout
