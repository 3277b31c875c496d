#!/usr/bin/env bash
# Stops the node and the local PostgreSQL started by up.sh. Data stays in .orleansgate/ for the next up.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/local/lib.sh"
home="${ORLEANSGATE_HOME:-$root/.orleansgate}"
pidfile="$home/node.pid"
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  echo "node stopped"
fi
rm -f "$pidfile"
if [ -s "$home/pg/data/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$home/pg/data" status >/dev/null 2>&1; then
  as_postgres "$PG_BIN/pg_ctl" -D "$home/pg/data" -m fast -w stop >/dev/null
  echo "local PostgreSQL stopped"
fi
