#!/usr/bin/env bash
# The operator stack on 127.0.0.1: a Prefect server, a process worker per pool in STACK_WORKERS, and an
# MLflow tracking server (sqlite, artifacts on disk), with every pid, log and database under STACK_DIR.
#
#   infra/stack.sh [ARGS]    start in the foreground; ARGS go to infra/pools.py (e.g. --gpu-host box=1);
#                            Ctrl-C stops the stack, as does a process of it that dies
#   infra/stack.sh stop      stop a stack started from another shell
#
# Settings (environment, with defaults): STACK_DIR=.memo/stack PREFECT_PORT=4200 MLFLOW_PORT=5000
# STACK_WORKERS=memo-default, MEMO_HOME=<this checkout> (where workers run flows from), STACK_BIN=.venv/bin
# (where prefect, mlflow and python are). Workers get this environment, so MEMO__ overrides and
# MEMO_GPU_LIMIT set here reach the flow runs; the registry points at the stack's MLflow unless
# MEMO__REGISTRY__TRACKING_URI is already set. Needs curl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STACK_BIN:-$ROOT/.venv/bin}
DIR=${STACK_DIR:-$ROOT/.memo/stack}
HOST=127.0.0.1
PREFECT_PORT=${PREFECT_PORT:-4200}
MLFLOW_PORT=${MLFLOW_PORT:-5000}
WORKERS=${STACK_WORKERS:-memo-default}
PREFECT_URL=http://$HOST:$PREFECT_PORT
MLFLOW_URL=http://$HOST:$MLFLOW_PORT

# Stop every process group the stack started: TERM (a flow run in progress ends Crashed), up to 10 s to
# finish, then KILL (a Prefect worker can outlast its first signal).
stop_all() {
  trap - INT TERM EXIT
  local pidfile pids=()
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] && [ "$pidfile" != "$DIR/stack.pid" ] && pids+=("$(cat "$pidfile")")
  done
  if [ ${#pids[@]} -gt 0 ]; then
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do
      alive=0
      for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
      [ $alive = 0 ] && break
      sleep 0.2
    done
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  fi
  rm -f "$DIR"/*.pid
  echo "memo stack stopped"
}

if [ "${1:-}" = "stop" ]; then
  supervisor=$(cat "$DIR/stack.pid" 2>/dev/null || true)
  if [ -n "$supervisor" ] && kill -TERM "$supervisor" 2>/dev/null; then
    # it stops its processes itself and then removes its pid file (it may linger unreaped after that)
    for _ in $(seq 150); do
      [ -e "$DIR/stack.pid" ] && kill -0 "$supervisor" 2>/dev/null || break
      sleep 0.2
    done
  fi
  stop_all # whatever a supervisor that died left behind
  exit 0
fi

if [ -e "$DIR/stack.pid" ] && kill -0 "$(cat "$DIR/stack.pid")" 2>/dev/null; then
  echo "a memo stack already runs from $DIR (pid $(cat "$DIR/stack.pid")); stop it with: $0 stop" >&2
  exit 1
fi

command -v curl >/dev/null || { echo "infra/stack.sh needs curl to see the servers come up" >&2; exit 1; }
mkdir -p "$DIR/logs"
DIR=$(cd "$DIR" && pwd) # absolute: the databases and PREFECT_HOME below are paths
echo $$ >"$DIR/stack.pid"
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

# Start NAME COMMAND...: in the background and in a process group of its own (stopped as one), its output
# in logs/NAME.log, its pid in NAME.pid.
start() {
  local name=$1
  shift
  set -m
  "$@" >"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  set +m
}

# Say that process NAME exited, with the end of its log.
report_exit() {
  echo "$1 exited; the end of $DIR/logs/$1.log:" >&2
  tail -n 30 "$DIR/logs/$1.log" >&2
}

# Wait until URL answers, or fail naming the process that did not come up.
wait_for() {
  local name=$1 url=$2
  for _ in $(seq 600); do
    curl -sf -o /dev/null "$url" && return 0
    if ! kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null; then
      report_exit "$name"
      return 1
    fi
    sleep 0.5
  done
  echo "$name did not answer at $url within 300 s; see $DIR/logs/$name.log" >&2
  return 1
}

export PREFECT_HOME=$DIR/prefect # the server's database, the workers' results and cache records
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 PREFECT_API_URL=$PREFECT_URL/api
export MEMO_HOME=${MEMO_HOME:-$ROOT}
# memo needs MLflow's tracking and registry only, not its GenAI job runners (seven more processes)
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}
export MEMO__REGISTRY__TRACKING_URI=${MEMO__REGISTRY__TRACKING_URI:-$MLFLOW_URL}

start prefect-server "$BIN/prefect" server start --host "$HOST" --port "$PREFECT_PORT"
start mlflow-server "$BIN/mlflow" server --host "$HOST" --port "$MLFLOW_PORT" --workers 1 \
  --backend-store-uri "sqlite:///$DIR/mlflow.db" --artifacts-destination "$DIR/mlartifacts"
wait_for prefect-server "$PREFECT_URL/api/health"
"$BIN/python" "$ROOT/infra/pools.py" "$@"
for pool in $WORKERS; do
  start "worker-$pool" "$BIN/prefect" worker start --pool "$pool" --type process --name "stack-$pool"
done
wait_for mlflow-server "$MLFLOW_URL/health"

cat <<EOF
memo stack is up; logs and pids in $DIR
  Prefect UI  $PREFECT_URL
  MLflow UI   $MLFLOW_URL
  workers     $WORKERS (flows run from $MEMO_HOME)
In another shell:
  export PREFECT_API_URL=$PREFECT_URL/api
  export MLFLOW_TRACKING_URI=$MLFLOW_URL MEMO__REGISTRY__TRACKING_URI=$MEMO__REGISTRY__TRACKING_URI
  prefect deploy --all
Ctrl-C here, or \`make stack-stop\`, stops the stack.
EOF

# Run until stopped; a process that exits on its own takes the stack down with it, saying which.
while true; do
  for pidfile in "$DIR"/*.pid; do
    [ "$pidfile" = "$DIR/stack.pid" ] && continue
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      report_exit "$(basename "$pidfile" .pid)"
      exit 1
    fi
  done
  sleep 2
done
