#!/usr/bin/env bash
# `make cluster`: the sample materialised by two Celery workers (dagster-celery's executor, Redis broker) on this
# machine, and the Parquet compared byte for byte with an in-process `nianbao run` of the same sample.
#
# Everything lives under data/cluster/: redis/ (Redis's dir), dagster_home/ (the SQLite instance the launcher and
# the workers share), celery/ (the workers' config module), logs/, warehouse/ (the cluster's Parquet),
# reference/ (the in-process run's Parquet). Every process started here is stopped on exit (trap), by its pid.
# Overrides: NIANBAO_RAW (default data/sample), NIANBAO_REDIS_PORT (default 6399), NIANBAO_CELERY_POOL (default
# prefork: each task in a daemonic child, so the parse step parses in-process; solo: in the worker process itself,
# which may start the parse process pool).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN=$REPO/.venv/bin
PY=$BIN/python
DIR=$REPO/data/cluster
RAW=$(realpath "${NIANBAO_RAW:-data/sample}")
PORT=${NIANBAO_REDIS_PORT:-6399}
WORKERS=2
POOL=${NIANBAO_CELERY_POOL:-prefork}
export NIANBAO_CELERY_BROKER=redis://127.0.0.1:$PORT/0
export NIANBAO_CELERY_BACKEND=redis://127.0.0.1:$PORT/1
export DAGSTER_HOME=$DIR/dagster_home
START=$SECONDS

pids=()          # processes started here, stopped in this order's reverse
policy_guard=""  # set when this script created /usr/sbin/policy-rc.d

log() { printf '[cluster %3ds] %s\n' "$((SECONDS - START))" "$*" >&2; }

stop() {  # stop one process we started: TERM (Celery: warm shutdown), then KILL after 30 s
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && { log "pid $pid still running after 30 s: KILL"; kill -KILL "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? i
  [ -n "$policy_guard" ] && rm -f /usr/sbin/policy-rc.d
  if [ ${#pids[@]} -gt 0 ]; then
    log "stopping ${#pids[@]} processes (workers, then redis)"
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[i]}"; done
  fi
  rm -f "$DIR"/run/*.pid
  log "done, exit $rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- dependencies ----------------------------------------------------------------------------------------------
if ! "$PY" -c 'import dagster_celery, celery, redis' 2>/dev/null; then
  log "installing the cluster extra (dagster-celery, celery, redis)"
  "$PY" -m pip install --quiet -c requirements.lock -e '.[cluster]'
  "$PY" -c 'import dagster_celery, celery, redis' || { log "dagster-celery not importable after install"; exit 1; }
fi
if ! command -v redis-server >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { log "redis-server is missing: apt-get install redis-server (as root)"; exit 1; }
  if [ ! -e /usr/sbin/policy-rc.d ]; then  # keep the package from starting a system Redis: we run our own
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_guard=1
  fi
  log "installing redis-server (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  [ -n "$policy_guard" ] && { rm -f /usr/sbin/policy-rc.d; policy_guard=""; }
fi

# --- leftovers of a run that was killed (SIGKILL skips the trap): only our own pids, checked by command ---------
mkdir -p "$DIR"/{run,logs,redis,celery} "$DAGSTER_HOME"
printf '*\n' > "$DIR/.gitignore"
for f in "$DIR"/run/worker-*.pid "$DIR"/run/redis.pid; do  # workers first: they hold the broker
  [ -e "$f" ] || continue
  pid=$(cat "$f")
  if grep -qaE 'redis-server|celery' "/proc/$pid/cmdline" 2>/dev/null; then log "stopping leftover pid $pid"; stop "$pid"; fi
  rm -f "$f"
done
test -f "$DAGSTER_HOME/dagster.yaml" || printf 'telemetry:\n  enabled: false\n' > "$DAGSTER_HOME/dagster.yaml"
rm -rf "$DIR/warehouse" "$DIR/reference" "$DIR"/logs/*.log

# --- the reference: a normal in-process run of the same sample ---------------------------------------------------
log "reference: nianbao run --raw $RAW --out data/cluster/reference"
"$BIN/nianbao" run --raw "$RAW" --out "$DIR/reference" > "$DIR/logs/reference.log" 2>&1 \
  || { cat "$DIR/logs/reference.log" >&2; exit 1; }

# --- redis, then the workers --------------------------------------------------------------------------------------
redis_up() { "$PY" -c "import redis, sys; redis.Redis(port=$PORT, socket_connect_timeout=0.5).ping()" 2>/dev/null; }
if redis_up; then log "something already answers on 127.0.0.1:$PORT; set NIANBAO_REDIS_PORT to a free port"; exit 1; fi
redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR/redis" --save '' --appendonly no --daemonize no \
  --logfile "$DIR/logs/redis.log" &
pids+=($!); echo $! > "$DIR/run/redis.pid"
for _ in $(seq 50); do redis_up && break; sleep 0.2; done
redis_up || { log "redis did not start (see data/cluster/logs/redis.log)"; exit 1; }
log "redis on 127.0.0.1:$PORT (pid ${pids[0]})"

"$PY" -m pipeline.cluster worker-config "$DIR/celery" >/dev/null
for i in $(seq "$WORKERS"); do
  # dagster_celery.app reads the broker from dagster_celery_config.py (on PYTHONPATH); one task at a time each
  PYTHONPATH="$DIR/celery${PYTHONPATH:+:$PYTHONPATH}" "$BIN/celery" -A dagster_celery.app worker \
    --pool "$POOL" --concurrency 1 --prefetch-multiplier 1 -Q dagster -n "nianbao-w$i@%h" --without-gossip --without-mingle \
    --loglevel INFO --logfile "$DIR/logs/worker-$i.log" > /dev/null 2>&1 &
  pids+=($!); echo $! > "$DIR/run/worker-$i.pid"
done
"$PY" -m pipeline.cluster wait-workers "$WORKERS" >&2

# --- the run through the workers, then the comparison -------------------------------------------------------------
log "cluster run: every asset and check on $WORKERS Celery workers → data/cluster/warehouse"
t0=$SECONDS
"$PY" -m pipeline.cluster run --raw "$RAW" --out "$DIR/warehouse"
log "cluster run took $((SECONDS - t0)) s"

sums() { (cd "$1" && find . -name '*.parquet' -type f | LC_ALL=C sort | xargs -r sha256sum); }
sums "$DIR/reference" > "$DIR/reference.sha256"
sums "$DIR/warehouse" > "$DIR/warehouse.sha256"
n=$(wc -l < "$DIR/reference.sha256")
if [ "$n" -eq 0 ]; then log "the reference run wrote no Parquet"; exit 1; fi
if diff -u --label reference --label cluster "$DIR/reference.sha256" "$DIR/warehouse.sha256" >&2; then
  echo "identical: all $n Parquet files of the cluster run have the same SHA-256 as the in-process run"
else
  echo "DIFFERENT: the cluster run's Parquet differs from the in-process run (diff above)"
  exit 1
fi
