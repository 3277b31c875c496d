#!/usr/bin/env bash
# Smoke test of ./deploy/local/cluster.sh: brings the three-node cluster up behind HAProxy in a temporary home
# (its own PostgreSQL on a free port, so a cluster of the user's is left alone), then through HAProxy's PostgreSQL
# port: psql, pgbench, cancels (a cancel request may land on another node than its session), a token revocation and
# a rolling restart of every node under pgbench load; then `cluster.sh status` and `cluster.sh down`. Every step is
# bounded; exit 1 on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/local/lib.sh"
export ORLEANSGATE_HOME="${ORLEANSGATE_SMOKE_HOME:-$(mktemp -d /tmp/orleansgate-cluster-smoke.XXXXXX)}"
chmod 711 "$ORLEANSGATE_HOME" # PostgreSQL runs as the postgres user and must reach its data folder inside
export ORLEANSGATE_LOCAL_PG_PORT="${ORLEANSGATE_SMOKE_PG_PORT:-$(free_ports 1)}" # never the user's own
export ORLEANSGATE_DRAIN_SECONDS="${ORLEANSGATE_DRAIN_SECONDS:-10}" # keeps the rolling restart bounded
cluster="$root/deploy/local/cluster.sh"
failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }
cleanup() { timeout 120 "$cluster" down >/dev/null 2>&1 || true; }
trap cleanup EXIT
now_ms() { date +%s%3N; }

echo "cluster smoke test in $ORLEANSGATE_HOME (local PostgreSQL on $ORLEANSGATE_LOCAL_PG_PORT)"
if ! timeout 300 "$cluster" up > "$ORLEANSGATE_HOME/cluster-up.log" 2>&1; then
  tail -n 30 "$ORLEANSGATE_HOME/cluster-up.log" >&2
  fail "cluster.sh up"
  exit 1
fi
pass "cluster.sh up (three nodes ready, HAProxy sees all six servers up)"
. "$ORLEANSGATE_HOME/cluster/ports.env"
bin="$ORLEANSGATE_HOME/bin/orleansgate"
config="$ORLEANSGATE_HOME/cluster/node-1/orleansgate.json"
token() { timeout 30 "$bin" --config "$config" idp token --client demo-agent; }
export PGHOST=127.0.0.1 PGPORT="$lb_pg" PGDATABASE=demo PGUSER=demo-agent PGSSLMODE=require PGCONNECT_TIMEOUT=10
PGPASSWORD=$(token) || { fail "idp token"; exit 1; }
export PGPASSWORD

# 1. A query through HAProxy.
count=$(timeout 20 psql -XAtc 'SELECT count(*) FROM customers' 2>&1)
if [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -gt 0 ]; then pass "psql through HAProxy: SELECT count(*) FROM customers = $count"; else fail "psql through HAProxy: $count"; fi

# 2. pgbench: 4 clients for 5 s, reads only, through HAProxy (leastconn spreads them over the nodes).
script="$ORLEANSGATE_HOME/pgbench-select.sql"
printf '\\set id random(1, 3)\nSELECT id, name FROM customers WHERE id = :id;\n' > "$script"
bench=$(timeout 40 pgbench -n -c 4 -j 2 -T 5 -f "$script" 2>&1)
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$bench")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$bench")
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$bench")
if [ "${processed:-0}" -gt 0 ] && [ "${failed:-x}" = 0 ]; then
  pass "pgbench -c 4 -T 5 through HAProxy: $processed transactions, 0 failed, ${tps:-?} tps"
else
  fail "pgbench: processed=${processed:-?} failed=${failed:-?}"; tail -n 15 <<<"$bench" >&2
fi

# 3. Cancels: psql sends the cancel request on a new connection, which HAProxy balances on its own. With leastconn and
# the session as the only connection, it goes to another node than the session's: the gateways' cancel router must
# forward it. Three tries, in case a node's health check had it out of the pool.
# HAProxy's count of connections each node has been given (stot): the node that got the newest one is the one that grew.
connections() { haproxy_command "$ORLEANSGATE_HOME/cluster/haproxy.sock" "show stat" | awk -F, '$1 == "gateway_postgres" && $2 ~ /^node-/ { print $2, $8 }'; }
newest() { join <(sort <<<"$1") <(sort <<<"$2") | awk '$3 > $2 { print $1 }' | paste -sd, -; }
crossed=0
for try in 1 2 3; do
  out="$ORLEANSGATE_HOME/cancel-$try.out"
  before=$(connections)
  timeout 40 psql -X -v VERBOSITY=verbose -c 'SELECT pg_sleep(30)' > "$out" 2>&1 &
  pid=$!
  sleep 1.5
  opened=$(connections)
  sent=$(now_ms)
  kill -INT "$pid" 2>/dev/null # timeout passes SIGINT on to psql, which sends a cancel request
  wait "$pid"
  took=$(( $(now_ms) - sent ))
  session_node=$(newest "$before" "$opened"); cancel_node=$(newest "$opened" "$(connections)")
  if [ -n "$session_node" ] && [ -n "$cancel_node" ] && [ "$session_node" != "$cancel_node" ]; then crossed=$((crossed + 1)); fi
  if grep -q '57014' "$out" && [ "$took" -lt 5000 ]; then
    pass "cancel $try through HAProxy: session on ${session_node:-?}, cancel request on ${cancel_node:-?}; psql ended in $took ms with 57014"
  else
    fail "cancel $try (session on ${session_node:-?}, cancel request on ${cancel_node:-?}): took $took ms; psql said: $(tr '\n' ' ' < "$out")"
  fi
done
if [ "$crossed" -gt 0 ]; then pass "$crossed of 3 cancel requests reached another node than their session"; else fail "no cancel request reached another node than its session"; fi

# 4. Revocation: a session opened through HAProxy with a token of its own ends within 1 s of `agents revoke-token`.
revoked=$(token) || fail "idp token"
jti=$(python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["jti"])' "$revoked")
out="$ORLEANSGATE_HOME/revoke.out"
before=$(connections)
PGPASSWORD=$revoked timeout 40 psql -X -v VERBOSITY=verbose -c 'SELECT pg_sleep(30)' > "$out" 2>&1 &
pid=$!
sleep 1.5
session_node=$(newest "$before" "$(connections)")
if timeout 30 "$bin" --config "$config" agents revoke-token "$jti" --reason "cluster smoke test"; then
  revoked_at=$(now_ms)
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    fail "revocation: the session was still open 1 s after revoke-token"
    kill "$pid" 2>/dev/null
  else
    pass "revocation through HAProxy: the session (on ${session_node:-?}) ended $(( $(now_ms) - revoked_at )) ms after revoke-token returned ($(grep -m1 -o 'FATAL.*' "$out" || tr '\n' ' ' < "$out"))"
  fi
else
  fail "agents revoke-token"
fi
wait "$pid" 2>/dev/null

# 5. Rolling restart of all three nodes while pgbench runs through HAProxy, a new connection per transaction (-C), in
# rounds of 5 s until the restart is done (pgbench ends a client at its first error, so every round starts them all
# again). Client errors are counted, not hidden: a session a draining node ends at its boundary (57P01 "node
# draining") is expected, anything else is a failure; so is a login refused by a draining node (57P03), which HAProxy's
# drain state should have kept away from it. A login refused because the cluster could not decide (57P03 "cannot
# decide right now": the agent grain was on the silo that stopped and the call reached it as it left) is a known
# open issue (docs/operations.md, "Graceful drain"): counted and reported, not failed.
restart_log="$ORLEANSGATE_HOME/rolling-restart.log"
bench_errors="$ORLEANSGATE_HOME/rolling-pgbench.err"
: > "$bench_errors"
timeout 400 "$cluster" rolling-restart > "$restart_log" 2>&1 &
restart_pid=$!
restart_started=$(now_ms)
rounds=0 processed_total=0 failed_total=0
while kill -0 "$restart_pid" 2>/dev/null || [ "$rounds" -eq 0 ]; do
  bench=$(timeout 40 pgbench -n -C -c 4 -j 2 -T 5 -f "$script" 2>>"$bench_errors")
  rounds=$((rounds + 1))
  processed_total=$((processed_total + $(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$bench" | head -n 1 | grep . || echo 0)))
  failed_total=$((failed_total + $(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$bench" | head -n 1 | grep . || echo 0)))
done
wait "$restart_pid"
restart_status=$?
restart_ms=$(( $(now_ms) - restart_started ))
aborted=$(grep -c 'aborted' "$bench_errors")
drained=$(grep -c 'node draining' "$bench_errors")
refused=$(grep -c 'the node is draining' "$bench_errors")
undecided=$(grep -c 'cannot decide right now' "$bench_errors")
other=$(grep -i 'error\|fatal\|aborted\|could not' "$bench_errors" | grep -v 'node draining\|the node is draining\|cannot decide right now\|Run was aborted' \
  | grep -Evc 'client [0-9]+ aborted (in command|while establishing)' || true)
cat "$restart_log"
if [ "$restart_status" -eq 0 ] && [ "$processed_total" -gt 0 ] && [ "$refused" -eq 0 ] && [ "$other" -eq 0 ]; then
  pass "rolling restart under pgbench -C -c 4 through HAProxy: done in $restart_ms ms; $processed_total transactions in $rounds rounds, $failed_total failed, $aborted client(s) aborted: $drained ended with 57P01 'node draining' at a boundary, 0 logins refused by a draining node, $undecided logins refused with 57P03 'cannot decide' (counted, not failed: see docs/operations.md), 0 other errors"
else
  fail "rolling restart (exit $restart_status) under pgbench: $processed_total transactions, $aborted aborted, $drained 57P01 at a boundary, $refused refused with 57P03 by a draining node, $undecided refused with 57P03 'cannot decide', $other other errors"
  grep -v 'node draining' "$bench_errors" | sort | uniq -c | sort -rn | head -n 10 >&2
fi
if [ "$undecided" -gt 0 ]; then grep 'cannot decide right now' "$bench_errors" | sort | uniq -c | head -n 3; fi

# Every statement whose result pgbench received during the restart has exactly one audit record (at least one each
# when a client was aborted: a statement can be recorded and its answer lost with its connection).
state_db="host=127.0.0.1 port=$ORLEANSGATE_LOCAL_PG_PORT dbname=orleansgate_state user=orleansgate sslmode=disable password=$(cat "$ORLEANSGATE_HOME/secrets/state-db")"
audited=$(timeout 30 psql "$state_db" -XAtc "SELECT count(*) FROM orleansgate_audit WHERE kind = 'Statement' AND statement_normalized LIKE '%FROM customers WHERE id%' AND at >= to_timestamp($restart_started / 1000.0)" 2>&1)
if [[ "$audited" =~ ^[0-9]+$ ]] && { [ "$audited" -eq "$processed_total" ] || { [ "$aborted" -gt 0 ] && [ "$audited" -ge "$processed_total" ]; }; }; then
  pass "audit after the rolling restart: $audited statement records for $processed_total transactions pgbench completed"
else
  fail "audit after the rolling restart: ${audited} statement records for $processed_total transactions pgbench completed ($aborted clients aborted)"
fi

# 6. status: three ready nodes, HAProxy's six servers up.
if status=$(timeout 30 "$cluster" status 2>&1) && grep -q '^3 of 3 nodes ready' <<<"$status" && [ "$(grep -c ' UP ' <<<"$status")" -eq 6 ]; then
  pass "cluster.sh status: 3 of 3 nodes ready, 6 HAProxy servers UP"
else
  fail "cluster.sh status"
fi
echo "$status"

# 7. down stops everything, and again is a no-op.
if timeout 120 "$cluster" down >/dev/null && timeout 60 "$cluster" down >/dev/null && ! pgrep -F "$ORLEANSGATE_HOME/cluster/haproxy.pid" >/dev/null 2>&1; then
  pass "cluster.sh down (twice)"
else
  fail "cluster.sh down"
fi
trap - EXIT
if [ "$failures" -gt 0 ]; then
  echo "cluster smoke test: $failures check(s) failed (logs: $ORLEANSGATE_HOME)" >&2
  exit 1
fi
rm -rf "$ORLEANSGATE_HOME"
echo "cluster smoke test passed"
