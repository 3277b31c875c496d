#!/usr/bin/env bash
# Faults under load (issue 16): brings ./deploy/local/cluster.sh's three nodes up behind HAProxy in a temporary home
# (its own PostgreSQL on a free port), drives CHAOS_CLIENTS sessions through HAProxy's PostgreSQL port with
# loadtest/chaos-driver.py (tagged point selects, one after another; a login probe every 150 ms) and injects in turn:
#   kill      kill -9 of node-2 (role all: a silo and an edge, so both the edge's sessions and the silo's grains go)
#   restart   node-2 started again
#   rolling   ./deploy/local/cluster.sh rolling-restart (every node, one at a time, graceful drain)
#   pg        pg_ctl restart of the local PostgreSQL: the state database, the audit store AND the demo target are
#             one instance in cluster.sh, so every session of every node loses its upstream
#   pause     SIGSTOP of node-2 until the membership table has it Dead, then SIGCONT (it finds itself dead and
#             exits, as an Orleans silo does); the full form starts it again
# For each: the client errors by the node their session was on (HAProxy's `show sess`, read by the driver per
# client port) and whether they hit only the affected node(s); the time until a fresh login through HAProxy
# succeeds again (the probe); the time until the membership table converges (the live silos Active, one row each,
# nothing else Active); the revocation of a token used by idle sessions on the surviving nodes (time from
# `agents revoke-token` returning to each session's end, < 1 s). At the end: audit reconciliation (every statement
# whose result a client received has exactly one audit record; no statement has two) and `audit verify`.
# The bounded form (CHAOS_MODE=bounded, run by deploy/local/test.sh) leaves out the rolling restart (the cluster
# smoke test in the same suite runs one under load, and its fixed waits alone take a minute) and the revocation checks
# but the one on the survivors of the kill; node-2 is continued as soon as it is declared dead.
# Settings: CHAOS_MODE=full|bounded, CHAOS_FAULTS (a subset of "kill rolling pg pause"; restart goes with kill), CHAOS_CLIENTS (64), CHAOS_PHASE_SECONDS (load under each fault: 20 full,
# 2 bounded), CHAOS_KEEP=1 keeps the work folder. Every wait is a bounded poll; exit 1 when a check fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/deploy/local/lib.sh"
mode="${CHAOS_MODE:-full}"
case "$mode" in
  full) phase_seconds="${CHAOS_PHASE_SECONDS:-20}" ;;
  bounded) phase_seconds="${CHAOS_PHASE_SECONDS:-2}" ;;
  *) echo "CHAOS_MODE must be full or bounded" >&2; exit 2 ;;
esac
clients="${CHAOS_CLIENTS:-64}"
if [ "$mode" = full ]; then faults="${CHAOS_FAULTS:-kill rolling pg pause}"; else faults="${CHAOS_FAULTS:-kill pg pause}"; fi
has() { [[ " $faults " == *" $1 "* ]]; }
export ORLEANSGATE_HOME="$(mktemp -d /tmp/orleansgate-chaos.XXXXXX)"
chmod 711 "$ORLEANSGATE_HOME"
export ORLEANSGATE_LOCAL_PG_PORT="$(free_ports 1)"
# The clients' sessions each hold a target connection, beside the nodes' own pools: more than PostgreSQL's default 100.
export ORLEANSGATE_LOCAL_PG_OPTIONS="-c max_connections=$((clients * 2 + 200))"
# A short drain keeps the rolling restart bounded (sessions here never hold a transaction open).
export ORLEANSGATE_DRAIN_SECONDS="${ORLEANSGATE_DRAIN_SECONDS:-5}"
cluster="$root/deploy/local/cluster.sh"
home="$ORLEANSGATE_HOME" dir="$ORLEANSGATE_HOME/cluster" bin="$ORLEANSGATE_HOME/bin/orleansgate"
work="$ORLEANSGATE_HOME/chaos"
mkdir -p "$work"
driver_pid=""
failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }
now_ms() { date +%s%3N; }
cleanup() {
  touch "$work/stop"
  if [ -n "$driver_pid" ]; then
    for _ in $(seq 1 100); do kill -0 "$driver_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$driver_pid" 2>/dev/null
  fi
  # A node left stopped by a failed pause phase cannot take SIGTERM: continue it first.
  [ -s "$dir/node-2/node.pid" ] && kill -CONT "$(cat "$dir/node-2/node.pid")" 2>/dev/null
  # SIGTERM to every node at once (each drains and leaves on its own), then down waits for them and stops the rest.
  for n in 1 2 3; do [ -s "$dir/node-$n/node.pid" ] && kill -TERM "$(cat "$dir/node-$n/node.pid")" 2>/dev/null; done
  timeout 180 "$cluster" down >/dev/null 2>&1
  if [ "${CHAOS_KEEP:-0}" != 1 ] && [ "$failures" -eq 0 ]; then rm -rf "$ORLEANSGATE_HOME"; else echo "work folder kept: $ORLEANSGATE_HOME"; fi
}
trap cleanup EXIT
started_all=$(now_ms)

echo "chaos test ($mode: $clients clients, $phase_seconds s of load under each fault; faults: $faults) in $ORLEANSGATE_HOME"
if ! timeout 300 "$cluster" up > "$ORLEANSGATE_HOME/cluster-up.log" 2>&1; then
  tail -n 30 "$ORLEANSGATE_HOME/cluster-up.log" >&2
  fail "cluster.sh up"
  exit 1
fi
. "$dir/ports.env"
config="$dir/node-1/orleansgate.json"
sock="$dir/haproxy.sock"
state_db="host=127.0.0.1 port=$ORLEANSGATE_LOCAL_PG_PORT dbname=orleansgate_state user=orleansgate sslmode=disable"
state_pw=$(cat "$home/secrets/state-db")
sql() { PGPASSWORD=$state_pw PGCONNECT_TIMEOUT=3 timeout 10 psql "$state_db" -XAtc "$1" 2>/dev/null; }
pass "cluster.sh up in $(( $(now_ms) - started_all )) ms"

# Tokens go to files (0600) that the driver reads at each login; never to the output.
new_token() { # file
  local t
  t=$(timeout 30 "$bin" --config "$config" idp token --client demo-agent) || return 1
  (umask 077 && printf '%s\n' "$t" > "$1.new") && mv "$1.new" "$1"
}
new_token "$work/load.token" || { fail "idp token"; exit 1; }

# HAProxy's view of a node in the PostgreSQL backend (UP, DOWN, MAINT, …).
haproxy_state() { haproxy_command "$sock" "show stat" | awk -F, -v n="node-$1" '$1 == "gateway_postgres" && $2 == n { print $18 }'; }
# poll SECONDS COMMAND…: runs COMMAND every 0.2 s until it succeeds; prints the ms it took; fails after SECONDS.
poll() {
  local seconds=$1 from; shift
  from=$(now_ms)
  while ! "$@"; do
    if [ $(( $(now_ms) - from )) -gt $((seconds * 1000)) ]; then return 1; fi
    sleep 0.2
  done
}
# The membership table has exactly these silos Active (one row each) and no other row Active.
# Silos are named by Orleans (Silo_xxxxx); their silo port says which node each row is.
members_active() {
  sql "SELECT string_agg(n, ' ' ORDER BY n) FROM (SELECT CASE port WHEN $silo_1 THEN 'node-1' WHEN $silo_2 THEN 'node-2'
       ELSE silo_name END AS n FROM orleansgate_cluster_member WHERE status = 3) m"
}
converged() { [ "$(members_active)" = "$1" ]; }
haproxy_is() { [ "$(haproxy_state "$1")" = "$2" ]; }
probe_ok_since() { # ms: a login probe succeeded after this time
  tail -n 4000 "$work/events.jsonl" | grep '"kind": "probe_ok"' | grep -o '"t": [0-9]*' | awk -v s="$1" '$2 > s { f = 1 } END { exit !f }'
}
node_pid() { cat "$dir/node-$1/node.pid" 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }
start_node_2() {
  # start_node/wait_node_ready from lib.sh, with cluster.sh's paths; HAProxy takes the node back by its health check.
  start_node "$dir/node-2/orleansgate.json" all "$dir/node-2/node.pid" "$dir/node-2/node.log" >/dev/null \
    && wait_node_ready "$http_2" "$pg_2" "$dir/node-2/node.pid" "$dir/node-2/node.log"
}

# Phase bookkeeping: one line per phase in phases.tsv for the report:
# name start_ms end_ms affected_nodes membership_ms revocation
phase_name="" phase_start=0 phase_affected="" phase_membership="" phase_revocation=""
begin() { phase_name=$1 phase_affected=$2 phase_membership="-" phase_revocation="-"; phase_start=$(now_ms); echo "--- $1 (affected: $2)"; }
# Every client got a statement through after this time: the errors a fault caused (a session that learns of it at its
# next statement) have all arrived, so they fall in its phase.
all_acked_since() {
  [ "$(tail -n 30000 "$work/events.jsonl" | grep '"kind": "ack"' | sed -n 's/.*"client": \([0-9]*\),.*"t": \([0-9]*\)}$/\1 \2/p' \
    | awk -v s="$1" '$2 > s { c[$1] = 1 } END { print length(c) }')" -ge "$clients" ]
}
settle() { local t; t=$(now_ms); poll 40 all_acked_since "$t" || fail "$phase_name: not every client got a statement through within 40 s after the phase"; }
end_phase() { [ "$phase_name" = baseline ] || settle; printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$phase_name" "$phase_start" "$(now_ms)" "$phase_affected" "$phase_membership" "$phase_revocation" >> "$work/phases.tsv"; }
wait_converged() { # expected_active seconds
  local t0 ms
  t0=$(now_ms)
  if poll "$2" converged "$1"; then
    ms=$(( $(now_ms) - phase_start ))
    phase_membership="$ms"
    echo "  membership converged ($1 Active) $ms ms after the fault ($(( $(now_ms) - t0 )) ms of polling)"
  else
    phase_membership="no"
    fail "$phase_name: membership did not converge to '$1' Active within $2 s (Active now: '$(members_active)')"
  fi
}
wait_logins() { # seconds: a login probe through HAProxy succeeds after now
  local t0
  t0=$(now_ms)
  poll "$1" probe_ok_since "$t0" || fail "$phase_name: no login through HAProxy succeeded within $1 s"
}
# Revocation on the surviving nodes: idle sessions (one per node, opened on the node's own port) with a fresh token;
# `agents revoke-token`; each must end within 1 s of the command returning.
revocation() { # node numbers…
  local n ports="" names="" jti out t_start t_done line p ms revoked_at
  for n in "$@"; do ports+="${ports:+,}$(port_pg "$n")"; names+="${names:+,}node-$n"; done
  new_token "$work/revoke.token" || { fail "$phase_name: idp token"; return; }
  jti=$(python3 -c 'import base64,json,sys; p=open(sys.argv[1]).read().strip().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["jti"])' "$work/revoke.token")
  out="$work/watch-$phase_name.out"
  timeout 60 python3 "$root/loadtest/chaos-driver.py" watch 127.0.0.1 "$ports" "$work/revoke.token" 20 > "$out" 2>&1 &
  local watch_pid=$!
  if ! poll 30 grep -q '^ready' "$out"; then
    fail "$phase_name: revocation sessions on $names did not open: $(tr '\n' ' ' < "$out" | cut -c1-300)"
    kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null
    phase_revocation="no-session"
    return
  fi
  t_start=$(now_ms)
  if ! timeout 30 "$bin" --config "$config" agents revoke-token "$jti" --reason "chaos test" >/dev/null 2>&1; then
    fail "$phase_name: agents revoke-token"
  fi
  t_done=$(now_ms)
  wait "$watch_pid"
  # The agent grain writes the revocation's audit record (its time: when the grain took the revocation) before it
  # closes the sessions: the latency is from that time to the client seeing its session end. Without the record,
  # from the command's return.
  revoked_at=$(sql "SELECT (extract(epoch FROM at) * 1000)::bigint FROM orleansgate_audit WHERE kind = 'Revocation' AND token_id = '$jti' ORDER BY seq LIMIT 1")
  if ! [[ "$revoked_at" =~ ^[0-9]+$ ]]; then
    fail "$phase_name: no audit record of the revocation of the token"
    revoked_at=$t_done
  fi
  phase_revocation=""
  for n in "$@"; do
    p=$(port_pg "$n")
    line=$(grep "^closed $p " "$out")
    if [ -z "$line" ]; then
      fail "$phase_name: the session on node-$n was still open 20 s after revoke-token"
      phase_revocation+="node-$n:open "
      continue
    fi
    ms=$(( ${line##* } - revoked_at ))
    phase_revocation+="node-$n:${ms} "
    if [ "$ms" -ge 1000 ]; then fail "$phase_name: revocation took $ms ms on node-$n (> 1 s)"; fi
  done
  phase_revocation="${phase_revocation% }"
  echo "  revocation: sessions ended $phase_revocation ms after the agent grain took it (revoke-token ran $((t_done - t_start)) ms, most of it the CLI's start)"
}
port_pg() { local v="pg_$1"; echo "${!v}"; }
# The load under a fault lasts at least the phase's time from the fault on; waits that ran meanwhile count toward it.
load_until() { local left=$(( phase_start + phase_seconds * 1000 - $(now_ms) )); [ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"; }

# The load: runs until $work/stop exists (the EXIT trap makes sure of it), bounded by timeout as well.
: > "$work/events.jsonl"
timeout 1800 python3 "$root/loadtest/chaos-driver.py" load "$work/events.jsonl" 127.0.0.1 "$lb_pg" "$sock" "$work/load.token" "$clients" "$work/stop" \
  > "$work/driver.log" 2>&1 &
driver_pid=$!
if ! poll 60 probe_ok_since 0; then fail "the driver's first login did not succeed within 60 s"; tail -n 20 "$work/driver.log" >&2; exit 1; fi

# 0. Baseline: load only.
begin baseline none
sleep "$phase_seconds"
end_phase

# 1. kill -9 of node-2.
if has kill; then
  begin kill node-2
  kill -9 "$(node_pid 2)"
  poll 10 haproxy_is 2 DOWN || fail "kill: HAProxy did not mark node-2 DOWN within 10 s"
  wait_converged "node-1" 90
  load_until
  wait_logins 30
  revocation 1 3
  end_phase

  # 2. node-2 started again.
  begin restart none
  if start_node_2; then
    poll 20 haproxy_is 2 UP || fail "restart: HAProxy did not mark node-2 UP within 20 s"
  else
    fail "restart: node-2 did not become ready"
  fi
  wait_converged "node-1 node-2" 60
  load_until
  wait_logins 30
  if [ "$mode" = full ]; then revocation 1 2 3; fi
  end_phase
fi

# 3. Rolling restart of every node (graceful drain; cluster.sh waits for each node before the next). Its membership
# figure is from the end of the restart (the restart itself waits for each node).
if has rolling; then
  begin rolling node-1,node-2,node-3
  if ! timeout 400 "$cluster" rolling-restart > "$work/rolling-restart.log" 2>&1; then
    fail "rolling: cluster.sh rolling-restart failed: $(tail -n 5 "$work/rolling-restart.log" | tr '\n' ' ')"
  fi
  sed 's/^/  /' "$work/rolling-restart.log" | grep 'restarted'
  rolling_done=$(now_ms)
  wait_converged "node-1 node-2" 60
  [[ "$phase_membership" =~ ^[0-9]+$ ]] && phase_membership="$(( phase_membership - (rolling_done - phase_start) )) after the restart"
  wait_logins 30
  revocation 1 2 3
  end_phase
fi

# 4. The local PostgreSQL restarted: state database, audit store and demo target alike.
if has pg; then
  begin pg node-1,node-2,node-3
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$home/pg/data" -l "$home/pg/postgres.log" -m fast -w -t 60 restart >/dev/null 2>&1; then
    fail "pg: pg_ctl restart failed"
  fi
  wait_logins 60
  wait_converged "node-1 node-2" 60
  load_until
  if [ "$mode" = full ]; then revocation 1 2 3; fi
  end_phase
fi

# 5. SIGSTOP of node-2 until the membership table has it Dead (the survivors' probes vote it out: the nodes' default
# membership settings, OrleansGate:Cluster:MaxProbeTimeout 10 s; the script polls for it rather than guessing), the
# load goes on for the phase's time, then SIGCONT.
if has pause; then
  begin pause node-2
  paused=$(node_pid 2)
  kill -STOP "$paused"
  wait_converged "node-1" 120
  declared_dead="$phase_membership"
  # The full form keeps node-2 stopped for the phase's time after it was declared dead, and checks revocation then.
  if [ "$mode" = full ]; then sleep "$phase_seconds"; revocation 1 3; fi
  kill -CONT "$paused"
  continued=$(now_ms)
  # A silo that finds itself declared dead stops its process; bounded wait for that, then it is started again.
  if poll 60 dead "$paused"; then
    echo "  node-2 exited $(( $(now_ms) - continued )) ms after SIGCONT (it found itself declared dead)"
  else
    fail "pause: node-2 still running 60 s after SIGCONT although the cluster declared it dead"
    kill -9 "$paused" 2>/dev/null
  fi
  rm -f "$dir/node-2/node.pid"
  phase_membership="dead after $declared_dead"
  if [ "$mode" = full ]; then # the bounded form ends here, with node-2 down
    start_node_2 || fail "pause: node-2 did not become ready after its restart"
    poll 20 haproxy_is 2 UP || fail "pause: HAProxy did not mark node-2 UP within 20 s"
    wait_converged "node-1 node-2" 60
    phase_membership="dead after $declared_dead; rejoined after $phase_membership"
  fi
  wait_logins 30
  end_phase
fi

# The load stops; every client ends its session.
touch "$work/stop"
poll 40 dead "$driver_pid" || fail "the driver did not stop within 40 s"
driver_pid=""

# Audit: the tags of every chaos statement's records, then the report joins them with the acknowledgements.
sql "SELECT substring(statement_normalized FROM 'AS chaos_(c[0-9]+n[0-9]+)') AS tag, count(*) FROM orleansgate_audit
     WHERE kind = 'Statement' AND statement_normalized LIKE '%AS chaos_c%' GROUP BY 1" > "$work/audit-tags.txt" \
  || fail "reading the audit records"
if timeout 120 "$bin" --config "$config" audit verify --checkpoint-file "node-1=$dir/node-1/signatures.jsonl" \
     --checkpoint-file "node-2=$dir/node-2/signatures.jsonl" > "$work/audit-verify.txt" 2>&1; then
  pass "audit verify: $(head -n 1 "$work/audit-verify.txt")"
else
  # Any problem fails, also records of the paused node-2 after its writer's seal: the writers are fenced against their
  # seals (docs/audit.md, "A crashed writer is sealed"), so a node that was only paused appends nothing after it.
  fail "audit verify: $(grep -m 3 'BROKEN\|error' "$work/audit-verify.txt" | tr '\n' ' ')"
  grep -v '^  also at' "$work/audit-verify.txt" | tail -n 20 >&2
fi

python3 "$root/loadtest/chaos-driver.py" report "$work/events.jsonl" "$work/phases.tsv" "$work/audit-tags.txt" \
  > "$work/report.txt" 2>&1
report_status=$?
cat "$work/report.txt"
if [ "$report_status" -ne 0 ]; then
  n=$(grep -c '^FAILED' "$work/report.txt")
  failures=$((failures + (n > 0 ? n : 1)))
fi
echo "chaos test ($mode) took $(( ($(now_ms) - started_all) / 1000 )) s on $(nproc) CPUs"
if [ "$failures" -gt 0 ]; then
  echo "chaos test: $failures check(s) failed" >&2
  exit 1
fi
echo "chaos test passed"
