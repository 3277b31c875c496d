#!/usr/bin/env bash
# Logins per second through one node and through three: brings up ./deploy/local/cluster.sh's three nodes behind
# HAProxy in a temporary home (its own PostgreSQL on a free port), then logs in LOGINS_COUNT times, each with a fresh
# token (its own token id, so each login is a new entry in the agent directory, as with short-lived agent tokens),
# through node-1's PostgreSQL port alone and through HAProxy (all three nodes), alternately, LOGINS_REPEATS times;
# first with one agent (all logins one agent's: its agent grain takes them one at a time), then with LOGINS_AGENTS
# agents (dev IdP clients bench-agent-N). Settings: LOGINS_COUNT=2000 LOGINS_CLIENTS=32 LOGINS_REPEATS=2
# LOGINS_AGENTS=64. Loopback only; bounded; stops what it started.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/deploy/local/lib.sh"
count="${LOGINS_COUNT:-2000}"
clients="${LOGINS_CLIENTS:-32}"
repeats="${LOGINS_REPEATS:-2}"
agents="${LOGINS_AGENTS:-64}"
export ORLEANSGATE_BENCH_AGENTS="$agents"
export ORLEANSGATE_HOME="$(mktemp -d /tmp/orleansgate-logins.XXXXXX)"
chmod 711 "$ORLEANSGATE_HOME"
export ORLEANSGATE_LOCAL_PG_PORT="$(free_ports 1)"
cluster="$root/deploy/local/cluster.sh"
trap 'timeout 120 "$cluster" down >/dev/null 2>&1; rm -rf "$ORLEANSGATE_HOME"' EXIT

echo "logins benchmark in $ORLEANSGATE_HOME: $count logins per run, $clients clients, $repeats runs per target"
if ! timeout 300 "$cluster" up > "$ORLEANSGATE_HOME/cluster-up.log" 2>&1; then
  tail -n 30 "$ORLEANSGATE_HOME/cluster-up.log" >&2
  echo "error: cluster.sh up failed" >&2
  exit 1
fi
. "$ORLEANSGATE_HOME/cluster/ports.env"
driver="$ORLEANSGATE_HOME/driver"
dotnet publish "$root/loadtest/OrleansGate.LoadTest/OrleansGate.LoadTest.csproj" -c Release -o "$driver" --nologo -v quiet > "$ORLEANSGATE_HOME/driver-build.log" 2>&1 \
  || { tail -n 20 "$ORLEANSGATE_HOME/driver-build.log" >&2; exit 1; }
export ORLEANSGATE_LOADTEST_CLIENT_SECRET
token_url="http://127.0.0.1:$http_1/oauth2/default/v1/token"
echo "machine: $(nproc) CPUs; nodes: node-1 and node-2 role all, node-3 role edge; HAProxy leastconn"

status=0
run() { # name endpoints agents
  timeout 300 dotnet "$driver/orleansgate-loadtest.dll" logins "$2" demo "$3" "$token_url" "$count" "$clients" 2>&1 | sed "s/^/[$1] /"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
}
many=$(seq -f "bench-agent-%g" 1 "$agents" | paste -sd,)
ORLEANSGATE_LOADTEST_CLIENT_SECRET=$(cat "$ORLEANSGATE_HOME/secrets/demo-agent-client-secret")
run warm-up "127.0.0.1:$lb_pg" demo-agent > /dev/null
for r in $(seq 1 "$repeats"); do
  run "one agent, one node (node-1)" "127.0.0.1:$pg_1" demo-agent
  run "one agent, three nodes (HAProxy)" "127.0.0.1:$lb_pg" demo-agent
done
ORLEANSGATE_LOADTEST_CLIENT_SECRET=$(cat "$ORLEANSGATE_HOME/secrets/bench-agent-client-secret")
run warm-up "127.0.0.1:$lb_pg" "$many" > /dev/null
for r in $(seq 1 "$repeats"); do
  run "$agents agents, one node (node-1)" "127.0.0.1:$pg_1" "$many"
  run "$agents agents, three nodes (HAProxy)" "127.0.0.1:$lb_pg" "$many"
done
exit $status
