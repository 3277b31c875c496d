#!/usr/bin/env bash
# Stops the node and the local PostgreSQL started by up.sh. Data stays in .orleansgate/ for the next up.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/local/lib.sh"
home="${ORLEANSGATE_HOME:-$root/.orleansgate}"
stop_pidfile "$home/node.pid" node "$node_stop_seconds"
stop_local_postgres
