#!/usr/bin/env bash
# One command for the side-by-side benchmark: starts its own PostgreSQL (temporary cluster), PgBouncer in
# session mode and one OrleansGate node (Release build), takes a CPU profile of the gateway's hot path, runs
# every workload against direct PostgreSQL, PgBouncer and the gateway alternately, measures idle sessions,
# and writes docs/benchmarks.md. Loopback only; every step is bounded and everything started here is stopped
# on exit. Settings (environment):
#   BENCH_CLIENTS=64 BENCH_DURATION=8 BENCH_REPEATS=3 BENCH_SCALE=10 BENCH_FSYNC=on BENCH_IDLE_SESSIONS=10000
#   BENCH_WORKLOADS="pgbench-S-simple pgbench-S-extended pgbench-S-prepared select rw prepared"
#   BENCH_GATEWAY_ENV="NAME=VALUE ..." (extra environment for the gateway process, for experiments)
#   BENCH_AUDIT_COMPARE=1 (0 skips the audit on/off comparison)  BENCH_PROFILE=1 (0 skips the profile)  BENCH_OUTPUT=docs/benchmarks.md  BENCH_KEEP=1 keeps the work folder
#   BENCH_LATENCY_DURATION=10 (seconds of the one-client latency runs and the audit store's commit probe; 0 skips them)
#   BENCH_AUDIT_STORE=state (the audit in the state database) or separate (a second PostgreSQL instance for the audit)
#   BENCH_MASKING=1 (0 skips the masking comparison: a point select with one masked column against the same select
#   unmasked, through one gateway, alternately; and the masking micro-benchmarks, per masked field and per detected value)
#   BENCH_HTTP=1 (0 skips the HTTP comparison: the read and write mixes of loadtest/k6/http-mix.json against nginx
#   proxy_pass and the gateway's agent HTTP listener, both in front of the same nginx upstream serving static JSON)
#   BENCH_ONLY=http runs only that comparison (no PostgreSQL workloads) and replaces only its section of the report
# Every gateway run also reports the gateway's allocations and GCs per statement (its /debug/runtime counters, on
# here through OrleansGate:Http:RuntimeCounters) and the audit store's CPU per audit row (its writers' backends).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/deploy/local/lib.sh"

clients="${BENCH_CLIENTS:-64}"
duration="${BENCH_DURATION:-8}"
repeats="${BENCH_REPEATS:-3}"
scale="${BENCH_SCALE:-10}"
fsync="${BENCH_FSYNC:-on}"
idle_sessions="${BENCH_IDLE_SESSIONS:-10000}"
workloads="${BENCH_WORKLOADS:-pgbench-S-simple pgbench-S-extended pgbench-S-prepared select rw prepared}"
profile="${BENCH_PROFILE:-1}"
audit_compare="${BENCH_AUDIT_COMPARE:-1}"
masking="${BENCH_MASKING:-1}"
http_bench="${BENCH_HTTP:-1}"
only="${BENCH_ONLY:-}"
case "$only" in "" | http) ;; *) echo "error: BENCH_ONLY is empty or 'http', not '$only'" >&2; exit 2 ;; esac
if [ "$only" = http ]; then http_bench=1 profile=0 audit_compare=0 masking=0 idle_sessions=0 latency_duration=0; fi
output="${BENCH_OUTPUT:-$root/docs/benchmarks.md}"
latency_duration="${BENCH_LATENCY_DURATION:-10}"
audit_store="${BENCH_AUDIT_STORE:-state}"
case "$audit_store" in state | separate) ;; *) echo "error: BENCH_AUDIT_STORE is 'state' or 'separate', not '$audit_store'" >&2; exit 2 ;; esac
started_at=$(date +%s)

ensure_packages
# perf names where the gateway's CPU goes; without it the profile falls back to dotnet-trace (see step 5).
if ! command -v perf >/dev/null 2>&1; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null 2>&1 || echo "note: linux-perf not installed; profiling with dotnet-trace" >&2
fi
# Two file descriptors per idle gateway session (client + upstream), the same again in PgBouncer and the driver.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
idle_note="The open-file limit was $(ulimit -n)."
max_idle=$(( ($(ulimit -n) - 400) / 2 ))
if [ "$idle_sessions" -gt "$max_idle" ]; then
  # The hard limit could not be raised (no CAP_SYS_RESOURCE here): measure as many as fit and say so.
  idle_note="The open-file limit is $(ulimit -n) and could not be raised here; a gateway session holds two descriptors (client and upstream), so the probe opened $max_idle instead of $idle_sessions sessions."
  echo "warning: $idle_note" >&2
  idle_sessions=$max_idle
fi

work=$(mktemp -d /tmp/orleansgate-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  [ -s "$work/pgbouncer/pgbouncer.pid" ] && kill "$(cat "$work/pgbouncer/pgbouncer.pid")" 2>/dev/null
  [ -s "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null
  for dir in "$work/pg" "$work/pg-audit"; do
    [ -s "$dir/data/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  done
  [ -n "${gw_pid:-}" ] && rm -f "/tmp/perf-$gw_pid.map" "/tmp/perfinfo-$gw_pid.map"
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Free loopback ports, searched upward from a base so parallel test runs on the machine are not disturbed.
next_port=24000
free_port() { # VAR: sets VAR to the next free port (no subshell, so the search goes on from there)
  while (echo >"/dev/tcp/127.0.0.1/$next_port") 2>/dev/null; do next_port=$((next_port + 1)); done
  printf -v "$1" '%s' "$next_port"; next_port=$((next_port + 1))
}
free_port pg_port; free_port bouncer_port; free_port gw_port; free_port http_port
free_port silo_port; free_port gateway_port; free_port audit_pg_port
free_port agent_http_port; free_port api_port; free_port nginx_port
secret() { openssl rand -hex 16; }
bench_pw=$(secret); state_pw=$(secret); super_pw=$(secret)

step() { echo "[$(date -u +%H:%M:%S)] $*"; }

# 1. PostgreSQL: a temporary cluster, tuned for a benchmark (large shared buffers, no checkpoints in the window).
start_postgres() { # DIR PORT: initdb (superuser postgres, password $super_pw) and start; loopback only
  mkdir -p "$1"; chown postgres:postgres "$1"
  local pwfile="$1/pw"; printf '%s\n' "$super_pw" > "$pwfile"; chown postgres "$pwfile"; chmod 600 "$pwfile"
  as_postgres "$PG_BIN/initdb" -D "$1/data" -U postgres --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=peer >/dev/null
  rm -f "$pwfile"
  cat >> "$1/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $2
unix_socket_directories = '$1'
max_connections = 400
shared_buffers = 1GB
effective_cache_size = 4GB
work_mem = 16MB
fsync = $fsync
synchronous_commit = on
full_page_writes = $fsync
wal_level = minimal
max_wal_senders = 0
wal_buffers = 64MB
max_wal_size = 8GB
checkpoint_timeout = 30min
autovacuum = off
log_min_messages = warning
CONF
  as_postgres "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/postgres.log" -w -t 60 start >/dev/null
}
step "PostgreSQL on 127.0.0.1:$pg_port (fsync=$fsync) in $work/pg"
start_postgres "$work/pg" "$pg_port"
pg_pid=$(head -n 1 "$work/pg/data/postmaster.pid")
export PGHOST=127.0.0.1 PGPORT="$pg_port" PGUSER=postgres PGPASSWORD="$super_pw" PGSSLMODE=disable
psql -v ON_ERROR_STOP=1 -qAtX -d postgres <<SQL
CREATE ROLE bench LOGIN PASSWORD '$bench_pw';
CREATE DATABASE bench OWNER bench;
CREATE ROLE orleansgate LOGIN PASSWORD '$state_pw';
CREATE DATABASE orleansgate_state OWNER orleansgate;
SQL
# 1b. With BENCH_AUDIT_STORE=separate, the audit goes to a second instance, set up as docs/audit.md "Privileges"
#     says: a schema owner that applies the audit schema (after the build, step 3) and a runtime role the node uses.
audit_db=orleansgate_state audit_port=$pg_port
audit_note="The gateway's state database (membership, grain state, audit) is in the same cluster, so audit commits share its WAL and CPU."
if [ "$audit_store" = separate ]; then
  step "audit store: a second PostgreSQL on 127.0.0.1:$audit_pg_port in $work/pg-audit"
  start_postgres "$work/pg-audit" "$audit_pg_port"
  audit_db=orleansgate_audit audit_port=$audit_pg_port audit_owner_pw=$(secret) audit_pw=$(secret)
  PGPORT=$audit_port psql -v ON_ERROR_STOP=1 -qAtX -d postgres <<SQL
CREATE ROLE orleansgate_audit_owner LOGIN PASSWORD '$audit_owner_pw';
CREATE ROLE orleansgate_audit LOGIN PASSWORD '$audit_pw';
CREATE DATABASE orleansgate_audit OWNER orleansgate_audit_owner;
SQL
  audit_note="The audit is in a separate audit store (BENCH_AUDIT_STORE=separate): a second PostgreSQL instance with the same settings on the same machine (its own WAL, same cores), schema applied by its owner with \`orleansgate schema apply --audit-store\`, written by a runtime role that may only append and read; the state database keeps membership and grain state."
fi
step "pgbench -i -s $scale"
PGUSER=bench PGPASSWORD="$bench_pw" pgbench -i -q -s "$scale" bench 2>&1 | tail -n 1
PGUSER=bench PGPASSWORD="$bench_pw" psql -qAtX -d bench -c 'VACUUM ANALYZE pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history' >/dev/null

# 2. PgBouncer: "bench" in session mode (the comparison); "bench_tx" in transaction mode is the gateway's
#    upstream for the idle-session probe only, so that 10,000 idle sessions do not need 10,000 PostgreSQL backends.
step "PgBouncer on 127.0.0.1:$bouncer_port (session mode)"
mkdir -p "$work/pgbouncer"
printf '"bench" "%s"\n' "$bench_pw" > "$work/pgbouncer/userlist.txt"
cat > "$work/pgbouncer/pgbouncer.ini" <<INI
[databases]
bench = host=127.0.0.1 port=$pg_port dbname=bench pool_mode=session pool_size=$((clients + 16))
bench_tx = host=127.0.0.1 port=$pg_port dbname=bench pool_mode=transaction pool_size=20
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $work/pgbouncer/userlist.txt
pool_mode = session
max_client_conn = $((idle_sessions + 2000))
max_db_connections = 0
default_pool_size = $((clients + 16))
ignore_startup_parameters = extra_float_digits
logfile = $work/pgbouncer/pgbouncer.log
pidfile = $work/pgbouncer/pgbouncer.pid
log_connections = 0
log_disconnections = 0
INI
chown -R postgres:postgres "$work/pgbouncer"; chmod 600 "$work/pgbouncer/userlist.txt"
# runuser resets the soft open-file limit to 1024 (PAM); raise it to the hard limit for the idle-session probe.
bouncer_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
as_postgres bash -c 'ulimit -n "$(ulimit -Hn)"; exec "$1" -d "$2"' _ "$bouncer_bin" "$work/pgbouncer/pgbouncer.ini"
for _ in $(seq 1 100); do [ -s "$work/pgbouncer/pgbouncer.pid" ] && break; sleep 0.1; done
bouncer_pid=$(cat "$work/pgbouncer/pgbouncer.pid")

# 3. The gateway: a Release build, one node (role all), one dev-IdP client per benchmark client.
step "building (Release): orleansgate and the driver"
for project in src/OrleansGate/OrleansGate.csproj:bin loadtest/OrleansGate.LoadTest/OrleansGate.LoadTest.csproj:driver; do
  if ! dotnet publish "$root/${project%%:*}" -c Release -o "$work/${project##*:}" --nologo -v quiet > "$work/build.log" 2>&1; then
    echo "error: building ${project%%:*} failed:" >&2
    grep -E 'error|warn' "$work/build.log" | sort -u | head -n 20 >&2
    exit 1
  fi
done
printf '%s' "$bench_pw" > "$work/target-password"; chmod 600 "$work/target-password"
audit_connection_json=""
if [ "$audit_store" = separate ]; then
  (umask 077 && printf 'Host=127.0.0.1;Port=%s;Database=orleansgate_audit;Username=orleansgate_audit_owner;Password=%s' "$audit_port" "$audit_owner_pw" > "$work/audit-owner.connection")
  if ! "$work/bin/orleansgate" schema apply --audit-store --owner-connection-string-file "$work/audit-owner.connection" --runtime-role orleansgate_audit > "$work/audit-schema.log" 2>&1; then
    echo "error: schema apply on the audit store failed:" >&2; tail -n 20 "$work/audit-schema.log" >&2; exit 1
  fi
  audit_connection_json=", \"ConnectionString\": \"Host=127.0.0.1;Port=$audit_port;Database=orleansgate_audit;Username=orleansgate_audit;Password=$audit_pw\""
fi
mkdir -p "$work/keys"; chmod 700 "$work/keys"
issuer="http://127.0.0.1:$http_port/oauth2/default"
client_json=""; plan_clients=""
for i in $(seq 1 "$clients"); do
  id=$(printf 'bench-agent-%03d' "$i"); s=$(secret)
  client_json+="${client_json:+,}{ \"ClientId\": \"$id\", \"ClientSecret\": \"$s\", \"Groups\": [ \"developers\" ] }"
  plan_clients+="${plan_clients:+,}{ \"id\": \"$id\", \"secret\": \"$s\" }"
done
# The node signs its audit records as in production: its own ECDSA P-256 key, signatures also in a file outside the database.
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/audit-signing.key" 2>/dev/null)
# The policy: loadtest/bench-policy.yaml, plus the HTTP comparison's Kubernetes target (the nginx upstream of step 5d,
# plain HTTP on loopback like every target here; the gateway's own credential is a token file) and one allow rule.
(umask 077 && secret > "$work/kube-token")
{
  sed '/^rules:/,$d' "$root/loadtest/bench-policy.yaml"
  cat <<YAML
targets:
  bench-kube:
    kind: kubernetes
    url: http://127.0.0.1:$api_port
    insecure_http: true
    token_file: $work/kube-token
YAML
  sed -n '/^rules:/,$p' "$root/loadtest/bench-policy.yaml"
  cat <<YAML
  - name: bench-kube-workloads
    effect: allow
    reason: the HTTP comparison's read and write mixes
    match: { kubernetes: { verbs: [get, list, create, patch, delete], resources: [pods, configmaps], namespaces: [default] } }
YAML
} > "$work/bench-policy.yaml"
(umask 077 && cat > "$work/orleansgate.json" <<JSON
{
  "OrleansGate": {
    "NodeName": "bench-1",
    "Audit": { "SigningKeyPath": "$work/audit-signing.key", "CheckpointFile": "$work/audit-signatures.jsonl"$audit_connection_json },
    "StateDatabase": "Host=127.0.0.1;Port=$pg_port;Database=orleansgate_state;Username=orleansgate;Password=$state_pw",
    "Cluster": { "ClusterId": "bench", "ServiceId": "orleansgate-bench", "SiloPort": $silo_port, "GatewayPort": $gateway_port },
    "Http": { "Address": "127.0.0.1", "Port": $http_port, "RuntimeCounters": true },
    "Postgres": { "Address": "127.0.0.1", "Port": $gw_port, "Insecure": true },
    "AgentHttp": { "Address": "127.0.0.1", "Port": $agent_http_port, "Insecure": true },
    "Policy": { "File": "$work/bench-policy.yaml" },
    "Identity": { "Issuers": [ { "Issuer": "$issuer", "Audiences": [ "api://orleansgate" ], "RequireHttps": false } ] },
    "DevIdp": { "Enabled": true, "Issuer": "$issuer", "Audience": "api://orleansgate", "KeyDirectory": "$work/keys", "TokenLifetime": "01:00:00", "Clients": [ $client_json ] },
    "Targets": {
      "bench": { "Host": "127.0.0.1", "Port": $pg_port, "Database": "bench", "Username": "bench", "PasswordFile": "$work/target-password" },
      "bench_pooled": { "Host": "127.0.0.1", "Port": $bouncer_port, "Database": "bench_tx", "Username": "bench", "PasswordFile": "$work/target-password" },
      "bench_masked": { "Host": "127.0.0.1", "Port": $pg_port, "Database": "bench", "Username": "bench", "PasswordFile": "$work/target-password" }
    }
  }
}
JSON
)
step "gateway on 127.0.0.1:$gw_port (log: $work/node.log)"
# PerfMapEnabled=3 writes /tmp/perf-PID.map (JIT-compiled method names for perf); it costs only at JIT time.
# W^X off: with it on, JIT code runs from a double-mapped memfd that perf cannot name (its cost is at JIT time).
# BENCH_GATEWAY_ENV adds runtime settings for experiments (e.g. "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0").
env DOTNET_PerfMapEnabled=3 DOTNET_EnableWriteXorExecute=0 ${BENCH_GATEWAY_ENV:-} "$work/bin/orleansgate" --config "$work/orleansgate.json" run --role all > "$work/node.log" 2>&1 &
gw_pid=$!; pids+=("$gw_pid")
# Bounded wait until a gateway node answers on its health endpoint and its PostgreSQL port: PID HTTP_PORT PG_PORT.
wait_ready() {
  for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$3"; then return 0; fi
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
if ! wait_ready "$gw_pid" "$http_port" "$gw_port"; then
  echo "error: the gateway did not become ready; last lines of its log:" >&2
  tail -n 30 "$work/node.log" >&2
  exit 1
fi

# 4. The plan the driver runs.
workloads_json=$(printf '"%s",' $workloads); workloads_json="[${workloads_json%,}]"
target_json() { # name host port database pid [token [runtime-counters-url]]
  if [ "${6:-}" = token ]; then
    echo "{ \"name\": \"$1\", \"host\": \"$2\", \"port\": $3, \"database\": \"$4\", \"pid\": $5, \"tokenUrl\": \"$issuer/v1/token\", \"tokenClients\": [ $plan_clients ]${7:+, \"runtimeUrl\": \"$7\"} }"
  else
    echo "{ \"name\": \"$1\", \"host\": \"$2\", \"port\": $3, \"database\": \"$4\", \"pid\": $5, \"user\": \"bench\", \"password\": \"$bench_pw\" }"
  fi
}
pg_version=$("$PG_BIN/postgres" --version | awk '{print $3}')
bouncer_version=$( (pgbouncer --version 2>/dev/null || /usr/sbin/pgbouncer --version) | head -n 1 | awk '{print $2}')
idle_json="null"
if [ "$idle_sessions" -gt 0 ]; then
  idle_json="{ \"sessions\": $idle_sessions, \"target\": $(target_json gateway 127.0.0.1 "$gw_port" bench_pooled "$gw_pid" token) }"
fi
(umask 077 && cat > "$work/plan.json" <<JSON
{
  "targets": [
    $(target_json direct 127.0.0.1 "$pg_port" bench 0),
    $(target_json pgbouncer 127.0.0.1 "$bouncer_port" bench "$bouncer_pid"),
    $(target_json gateway 127.0.0.1 "$gw_port" bench "$gw_pid" token "http://127.0.0.1:$http_port/debug/runtime")
  ],
  "auditStore": { "name": "audit-store", "host": "127.0.0.1", "port": $audit_port, "database": "$audit_db", "user": "postgres", "password": "$super_pw" },
  "latencyDurationSeconds": $latency_duration,
  "workloads": $workloads_json,
  "clients": $clients, "durationSeconds": $duration, "repeats": $repeats, "scale": $scale,
  "output": "$output",
  "profileFile": "$work/profile.md",
  "auditComparisonFile": "$work/audit-compare.md",
  "maskingComparisonFile": "$work/masking-compare.md",
  "httpComparisonFile": "$work/http-compare.md",
  "pgbenchPath": "$(command -v pgbench)",
  "scriptStartedAt": $started_at,
  "setupNotes": [
    "PostgreSQL $pg_version, its own temporary cluster: shared_buffers 1GB, fsync=$fsync, synchronous_commit=on, wal_level minimal, autovacuum off, checkpoints out of the window. $audit_note",
    "PgBouncer $bouncer_version in session mode, pool size $((clients + 16)) (one server connection per client, like the gateway).",
    "Gateway: one node, role all, Release build, started with DOTNET_PerfMapEnabled=3 and DOTNET_EnableWriteXorExecute=0 so that perf can name JIT-compiled frames, plain-text listener (TLS is built but off here, like the other two targets: all plain text on loopback). Each driver client logs in with its own dev-IdP client and token; pgbench uses one agent's token for all its connections.",
    "Idle-session probe: $idle_note",${BENCH_GATEWAY_ENV:+
    \"Experiment: the gateway ran with extra environment: ${BENCH_GATEWAY_ENV}\",}
    "Driver (Npgsql, one connection per client, no pooling) and pgbench ($(pgbench --version | awk '{print $3}'), -j 2) run on the same machine; 'direct' has no proxy process, so its CPU columns are empty."
  ],
  "idle": $idle_json
}
JSON
)

# 5. Profile of the hot path: the gateway under pgbench -S -M simple. perf (Debian linux-perf) samples on-CPU
#    time, JIT-compiled frames named through the perf map the gateway writes (DOTNET_PerfMapEnabled); where perf
#    cannot sample, dotnet-trace's EventPipe stack sampling is the fallback (it counts waiting threads too).
driver=(dotnet "$work/driver/orleansgate-loadtest.dll")
: > "$work/profile.md"
if [ "$profile" = 1 ]; then
  step "profiling the gateway under pgbench -S -M simple"
  # Audit group commit, measured from the state database: transactions committed and audit rows written.
  audit_counters() {
    PGPORT=$audit_port psql -qAtX -d "$audit_db" -c "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) || ' ' || (SELECT last_value FROM orleansgate_audit_seq) || ' ' || (SELECT count(*) FROM orleansgate_audit_signature)" 2>/dev/null || echo "0 0 0"
  }
  "${driver[@]}" load "$work/plan.json" gateway pgbench-S-simple 20 > "$work/profile-load.log" 2>&1 &
  load_pid=$!; pids+=("$load_pid")
  # Let logins finish and tiered compilation settle before sampling; both samplers are bounded to 8 s.
  sleep 10
  read -r commits_before rows_before signatures_before <<<"$(audit_counters)"
  if command -v perf >/dev/null 2>&1 && timeout 30 perf record -F 499 -g -p "$gw_pid" -o "$work/perf.data" -- sleep 8 > "$work/trace.log" 2>&1 \
     && [ -s "$work/perf.data" ]; then
    read -r commits_after rows_after signatures_after <<<"$(audit_counters)"
    wait "$load_pid" || true
    commits=$((commits_after - commits_before)); rows=$((rows_after - rows_before)); signatures=$((signatures_after - signatures_before))
    # pg_stat counters lag by up to a second (PostgreSQL 15 flushes them at most once a second); over 8 s that is close enough.
    echo "Audit group commit during those 8 s (audit store counters): $rows audit rows in $commits committed transactions of the $audit_db database ($(awk -v r="$rows" -v c="$commits" 'BEGIN { if (c > 0) printf "%.1f", r / c; else print "n/a" }') rows per transaction$([ "$audit_store" = state ] && printf '%s' "; the count includes Orleans' own membership and grain-state transactions")). Signing: $signatures signatures for those $rows rows ($(awk -v r="$rows" -v s="$signatures" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "n/a" }') rows each); at the micro-benchmark's 0.9 µs per row (digest fold) and 30 µs per signature (ECDSA P-256, \`dotnet run -c Release --project loadtest/OrleansGate.PolicyBenchmarks -- --filter '*AuditSigning*'\`), signing costs $(awk -v r="$rows" -v s="$signatures" 'BEGIN { if (r > 0) printf "%.2f", 0.9 + 30 * s / r; else print "n/a" }') µs of gateway CPU per audit row." > "$work/audit-stats.txt"
    "$root/loadtest/profile-report.sh" perf "$work/perf.data" "$(cat "$work/profile-load.log")" > "$work/profile.md" || true
    { echo; cat "$work/audit-stats.txt"; } >> "$work/profile.md"
  else
    tools="$root/.orleansgate/tools"
    if [ ! -x "$tools/dotnet-trace" ]; then
      dotnet tool install dotnet-trace --tool-path "$tools" >/dev/null 2>&1 || echo "warning: could not install dotnet-trace; no profile" >&2
    fi
    if [ -x "$tools/dotnet-trace" ]; then
      "$tools/dotnet-trace" collect -p "$gw_pid" --profile dotnet-sampled-thread-time --duration 00:00:00:08 -o "$work/gateway.nettrace" >> "$work/trace.log" 2>&1 \
        || echo "warning: dotnet-trace failed; see $work/trace.log" >&2
    fi
    wait "$load_pid" || true
    if [ -s "$work/gateway.nettrace" ]; then
      "$root/loadtest/profile-report.sh" dotnet-trace "$work/gateway.nettrace" "$(cat "$work/profile-load.log")" "$tools/dotnet-trace" > "$work/profile.md" || true
    fi
  fi
fi

# The A/B comparisons below read the driver's "load" lines ("[1] WORKLOAD  TARGET  N/s ... cpu C% ..."): the median
# of one target's runs, statements per second (tps) or CPU (cpu). LOG TARGET FIELD.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# A two-row table of an A/B comparison: FIRST-COLUMN-TITLE NAME-A TPS-A CPU-A NAME-B TPS-B CPU-B.
ab_table() {
  echo "| $1 | statements/s | CPU (% of one core) | CPU µs per statement |"
  echo "|---|---:|---:|---:|"
  awk -v n="$2" -v t="$3" -v c="$4" 'BEGIN { printf "| %s | %d | %d %% | %.0f |\n", n, t, c, (t > 0 ? c * 10000 / t : 0) }'
  awk -v n="$5" -v t="$6" -v c="$7" 'BEGIN { printf "| %s | %d | %d %% | %.0f |\n", n, t, c, (t > 0 ? c * 10000 / t : 0) }'
}
column_of() {
  awk -v t="$2" -v f="$3" '$0 ~ /^\[1\]/ { for (i = 1; i <= NF; i++) { if ($i == t) hit = 1; if (hit && f == "tps" && $i ~ /\/s$/) { sub(/\/s$/, "", $i); print $i; hit = 0; break } if (hit && f == "cpu" && $i == "cpu") { v = $(i + 1); sub(/%/, "", v); print v; hit = 0; break } } }' "$1" | median
}

# The audit-off node, started once for 5b and 5d and stopped before the suite: its own cluster id and ports, the
# same policy, the benchmark-only switch that drops every record. NOAUDIT_READY: 1 ready, 0 failed, empty not tried.
noaudit_ready=""
start_noaudit() {
  [ -n "$noaudit_ready" ] && { [ "$noaudit_ready" = 1 ]; return; }
  free_port gw2_port; free_port http2_port; free_port silo2_port; free_port gateway2_port; free_port agent2_port
  (umask 077 && cat > "$work/orleansgate-noaudit.json" <<JSON
{
  "OrleansGate": {
    "NodeName": "bench-noaudit",
    "StateDatabase": "Host=127.0.0.1;Port=$pg_port;Database=orleansgate_state;Username=orleansgate;Password=$state_pw",
    "Cluster": { "ClusterId": "bench-noaudit", "ServiceId": "orleansgate-bench-noaudit", "SiloPort": $silo2_port, "GatewayPort": $gateway2_port },
    "Http": { "Address": "127.0.0.1", "Port": $http2_port },
    "Postgres": { "Address": "127.0.0.1", "Port": $gw2_port, "Insecure": true },
    "AgentHttp": { "Address": "127.0.0.1", "Port": $agent2_port, "Insecure": true },
    "Policy": { "File": "$work/bench-policy.yaml" },
    "Audit": { "DisableForBenchmark": "I-understand-nothing-is-audited" },
    "Identity": { "Issuers": [ { "Issuer": "$issuer", "Audiences": [ "api://orleansgate" ], "RequireHttps": false } ] },
    "Targets": {
      "bench": { "Host": "127.0.0.1", "Port": $pg_port, "Database": "bench", "Username": "bench", "PasswordFile": "$work/target-password" }
    }
  }
}
JSON
  )
  env ${BENCH_GATEWAY_ENV:-} "$work/bin/orleansgate" --config "$work/orleansgate-noaudit.json" run --role all > "$work/node-noaudit.log" 2>&1 &
  gw2_pid=$!; pids+=("$gw2_pid")
  if wait_ready "$gw2_pid" "$http2_port" "$gw2_port"; then noaudit_ready=1; else
    noaudit_ready=0; echo "warning: the audit-off gateway did not become ready; no comparison with it (see $work/node-noaudit.log)" >&2
  fi
  [ "$noaudit_ready" = 1 ]
}
stop_noaudit() { [ -n "${gw2_pid:-}" ] && { kill "$gw2_pid" 2>/dev/null; wait "$gw2_pid" 2>/dev/null; gw2_pid=""; }; return 0; }

# 5b. Audit on vs off (issue: "throughput with audit on vs. off is measured"): the same build as a second, separate
#     cluster (its own cluster id and ports; tokens from the first node's dev IdP) with the benchmark-only switch
#     that drops audit records. pgbench -S -M simple through each, alternately; the first node keeps full enforcement.
: > "$work/audit-compare.md"
if [ "$audit_compare" = 1 ]; then
  step "audit on vs off: pgbench -S -M simple through two gateways, alternately"
  if start_noaudit; then
    sed "s|\"targets\": \[|\"targets\": [ $(target_json gateway-noaudit 127.0.0.1 "$gw2_port" bench "$gw2_pid" token),|" "$work/plan.json" > "$work/plan-audit.json"
    : > "$work/audit-compare.log"
    # Warm-up (logins, JIT tiering) for both, not counted.
    for t in gateway gateway-noaudit; do
      "${driver[@]}" load "$work/plan-audit.json" "$t" pgbench-S-simple 3 > /dev/null 2>&1 || true
    done
    for r in $(seq 1 "$repeats"); do
      for t in gateway gateway-noaudit; do
        "${driver[@]}" load "$work/plan-audit.json" "$t" pgbench-S-simple "$duration" 2>&1 | tee -a "$work/audit-compare.log" || true
      done
    done
    on_tps=$(column_of "$work/audit-compare.log" gateway tps); off_tps=$(column_of "$work/audit-compare.log" gateway-noaudit tps)
    on_cpu=$(column_of "$work/audit-compare.log" gateway cpu); off_cpu=$(column_of "$work/audit-compare.log" gateway-noaudit cpu)
    {
      echo "pgbench -S -M simple, $clients clients, $duration s per run, $repeats runs each, alternately (median shown). Audit on is the gateway"
      echo "of the tables above (a durable, chained record per statement and a completion record per statement); audit off is the"
      echo "same build in a second, separate cluster with the benchmark-only switch \`OrleansGate:Audit:DisableForBenchmark\`, which"
      echo "drops every record (never use it elsewhere). Both decide every statement with the same policy."
      echo
      ab_table gateway "audit on" "$on_tps" "$on_cpu" "audit off" "$off_tps" "$off_cpu"
      awk -v a="$on_tps" -v b="$off_tps" 'BEGIN { if (b > 0) printf "\nAudit on reaches %.2f of the audit-off throughput.\n", a / b }'
    } > "$work/audit-compare.md"
  fi
fi

# 5c. Masking (issue 15): the driver's point select (SELECT abalance … WHERE aid = $1, one row, one column) through
#     the same gateway to two targets on the same database: "bench", where nothing is masked, and "bench_masked",
#     where the policy's mask redacts pgbench_accounts.abalance (an int4: replaced by NULL). Alternately; then the
#     micro-benchmarks of the rewriting itself (BenchmarkDotNet, loadtest/OrleansGate.PolicyBenchmarks/MaskingBenchmarks.cs).
: > "$work/masking-compare.md"
if [ "$masking" = 1 ]; then
  step "masking: a point select with one masked column against the same select unmasked, alternately"
  sed "s|\"targets\": \[|\"targets\": [ $(target_json gateway-masked 127.0.0.1 "$gw_port" bench_masked "$gw_pid" token),|" "$work/plan.json" > "$work/plan-masking.json"
  : > "$work/masking-compare.log"
  for t in gateway gateway-masked; do
    "${driver[@]}" load "$work/plan-masking.json" "$t" select 3 > /dev/null 2>&1 || true
  done
  for r in $(seq 1 "$repeats"); do
    for t in gateway gateway-masked; do
      "${driver[@]}" load "$work/plan-masking.json" "$t" select "$duration" 2>&1 | tee -a "$work/masking-compare.log" || true
    done
  done
  plain_tps=$(column_of "$work/masking-compare.log" gateway tps); masked_tps=$(column_of "$work/masking-compare.log" gateway-masked tps)
  plain_cpu=$(column_of "$work/masking-compare.log" gateway cpu); masked_cpu=$(column_of "$work/masking-compare.log" gateway-masked cpu)
  step "masking micro-benchmarks (BenchmarkDotNet, short job)"
  micro_dir="$work/masking-micro"
  if (cd "$root/loadtest/OrleansGate.PolicyBenchmarks" && dotnet run -c Release -- --filter '*MaskingBenchmarks*' --job short --artifacts "$micro_dir" > "$work/masking-micro.log" 2>&1); then
    micro_table=$(cat "$micro_dir"/results/*MaskingBenchmarks*-report-github.md 2>/dev/null | sed -n '/^|/,$p')
  else
    micro_table="(the micro-benchmarks failed; see masking-micro.log in the work folder)"
  fi
  {
    echo "Driver point select (\`SELECT abalance FROM pgbench_accounts WHERE aid = \$1\`, Npgsql, binary results), $clients clients, $duration s per"
    echo "run, $repeats runs each, alternately (median shown), through one gateway: to target \`bench\` (no mask) and to target"
    echo "\`bench_masked\` (same database; the mask \`bench-masked-balance\` redacts \`abalance\`, one masked field per row)."
    echo
    ab_table target unmasked "$plain_tps" "$plain_cpu" "one masked column" "$masked_tps" "$masked_cpu"
    awk -v a="$masked_tps" -v b="$plain_tps" 'BEGIN { if (b > 0) printf "\nThe masked select reaches %.2f of the unmasked throughput.\n", a / b }'
    echo
    echo "The rewriting itself (micro-benchmarks, one DataRow of id int4, name, email, card text; \`PointRow_one_masked_field\`"
    echo "minus \`PointRow_plan_without_masked_field\` is the cost of one masked field, which the issue bounds at 0.5 µs; the"
    echo "detector rows read four text values each, so a quarter of them is the cost per text value):"
    echo
    echo "$micro_table"
  } > "$work/masking-compare.md"
fi

# 5d. HTTP (issue 17): the read and write mixes of loadtest/k6/http-mix.json (what the k6 scripts send) against nginx
#     proxy_pass and the gateway's agent HTTP listener (target bench-kube: token, decision, durable audit record,
#     masking walk of every object), alternately. Both are in front of the same upstream: an nginx serving static
#     Kubernetes-shaped JSON, so the upstream costs next to nothing and the two proxies are what differs.
: > "$work/http-compare.md"
if [ "$http_bench" = 1 ]; then
  step "HTTP: nginx proxy_pass on 127.0.0.1:$nginx_port and the gateway on 127.0.0.1:$agent_http_port, upstream nginx on 127.0.0.1:$api_port"
  mkdir -p "$work/nginx"
  pod() { printf '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"%s","namespace":"default","uid":"6b1f2c1e-0000-4000-8000-%012d","resourceVersion":"1001","labels":{"app":"web","tier":"frontend"},"annotations":{"owner":"team-web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],"env":[{"name":"MODE","value":"production"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}],"nodeName":"node-1","restartPolicy":"Always"},"status":{"phase":"Running","podIP":"10.0.0.%d","conditions":[{"type":"Ready","status":"True"}]}}' "$1" "$2" "$2"; }
  pods=""; for i in 1 2 3 4 5; do pods+="${pods:+,}$(pod "web-$i" "$i")"; done
  configmap='{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings","namespace":"default","resourceVersion":"2001"},"data":{"mode":"production","replicas":"3","region":"eu-west-1"}}'
  cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  # The upstream: static Kubernetes-shaped answers for the mixes' paths.
  server {
    listen 127.0.0.1:$api_port;
    default_type application/json;
    location = /api/v1/namespaces/default/pods { return 200 '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1005"},"items":[$pods]}'; }
    location /api/v1/namespaces/default/pods/ { return 200 '$(pod web-1 1)'; }
    location = /api/v1/namespaces/default/configmaps { return 201 '$configmap'; }
    location /api/v1/namespaces/default/configmaps/ { return 200 '$configmap'; }
    location / { return 404 '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}'; }
  }
  # The comparison: nginx proxy_pass with keep-alive connections to the upstream.
  upstream api { server 127.0.0.1:$api_port; keepalive 256; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
  for _ in $(seq 1 100); do [ -s "$work/nginx/nginx.pid" ] && break; sleep 0.1; done
  nginx_pid=$(cat "$work/nginx/nginx.pid")
  nginx_workers=$(pgrep -d, -P "$nginx_pid")
  if ! curl -sf "http://127.0.0.1:$nginx_port/api/v1/namespaces/default/pods/web-1" >/dev/null; then
    echo "error: nginx does not answer; see $work/nginx/error.log" >&2; exit 1
  fi
  # Kestrel and YARP's forwarder alone (the driver's "yarp" command, its own process): the proxy layer the gateway is built on.
  free_port yarp_port
  "${driver[@]}" yarp "$yarp_port" "http://127.0.0.1:$api_port" > "$work/yarp.log" 2>&1 &
  yarp_pid=$!; pids+=("$yarp_pid")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$yarp_port/api/v1/namespaces/default/pods/web-1" >/dev/null 2>&1 && break; sleep 0.2; done
  yarp_target=", { \"name\": \"yarp-bare\", \"baseUrl\": \"http://127.0.0.1:$yarp_port\", \"pid\": $yarp_pid }"
  # The same node type with its audit switched off (5b's node, given the agent HTTP listener too): what the audit costs here.
  noaudit_target=""
  if start_noaudit; then
    noaudit_target=", { \"name\": \"gateway-noaudit\", \"baseUrl\": \"http://127.0.0.1:$agent2_port/k8s/bench-kube\", \"pid\": $gw2_pid, \"tokenUrl\": \"$issuer/v1/token\", \"tokenClients\": [ $plan_clients ] }"
  fi
  (umask 077 && cat > "$work/http-plan.json" <<JSON
{
  "targets": [
    { "name": "nginx", "baseUrl": "http://127.0.0.1:$nginx_port", "pid": $nginx_pid, "workerPids": [ $nginx_workers ] },
    { "name": "gateway", "baseUrl": "http://127.0.0.1:$agent_http_port/k8s/bench-kube", "pid": $gw_pid, "tokenUrl": "$issuer/v1/token", "tokenClients": [ $plan_clients ] }$noaudit_target$yarp_target
  ],
  "mixFile": "$root/loadtest/k6/http-mix.json",
  "mixes": [ "read", "write" ],
  "values": { "ns": "default", "pod": "web-1", "configmap": "settings" },
  "clients": $clients, "durationSeconds": $duration, "repeats": $repeats, "warmupSeconds": 10,
  "output": "$work/http-compare.md",
  "notes": [
    "Both proxies are plain HTTP on loopback in front of the same upstream, an nginx (worker_processes auto, access log off) returning static Kubernetes-shaped JSON: a pod of about 700 bytes, a list of 5 pods, a ConfigMap. **nginx** is \`proxy_pass\` with keep-alive upstream connections, no access log. The **gateway** is the node of the tables above (role all) through its agent HTTP listener (\`/k8s/bench-kube/...\`): each request carries the client's own agent token (validated, cached by hash), is read as the API server reads it, decided by the policy (one allow rule), recorded durably (group commit, hash chain, signed; a write before it is forwarded, a read while it is forwarded and before its answer is passed on), forwarded by YARP with the gateway's own upstream token, its answer walked by the masking parser, and completed (status, bytes, duration) in a second record that travels with the session's next one.",
    "**gateway-noaudit** is the same build as a second, separate node with the benchmark-only switch \`OrleansGate:Audit:DisableForBenchmark\` (no record is written; never use it elsewhere): the gap between it and the gateway is what the durable audit costs, the gap between it and nginx what the rest of the gateway costs.",
    "**yarp-bare** is Kestrel and YARP's forwarder with nothing else (\`orleansgate-loadtest yarp\`, \`loadtest/OrleansGate.LoadTest/Http/YarpBaseline.cs\`: no token, no decision, no audit, no masking; one pooled SocketsHttpHandler as the gateway has): the proxy layer the gateway is built on, in its own process.",
    "The request mixes are those of the k6 scripts (\`loadtest/k6/http-mix.json\`); the driver sends the same sequence to every target. Proxy CPU is the proxy's processes (nginx: master and workers; the upstream nginx is not counted). The driver, both nginx and the gateway share the machine's 2 cores."
  ]
}
JSON
  )
  splice=(); [ "$only" = http ] && [ -f "$output" ] && splice=(--splice "$output")
  "${driver[@]}" http "$work/http-plan.json" "${splice[@]}" 2>&1 | tee "$work/http-compare.log"
fi

if [ "$only" = http ]; then
  echo; cat "$work/http-compare.md"
  step "done in $(( $(date +%s) - started_at )) s (BENCH_ONLY=http: only the HTTP section of $output was replaced)"
  exit 0
fi

stop_noaudit

# 6. The suite: every workload × target, alternately; then the idle sessions; then the report.
step "suite: $workloads × {direct, pgbouncer, gateway} × $repeats, $duration s each, $clients clients"
"${driver[@]}" suite "$work/plan.json" | tee "$work/suite.log"
step "done in $(( $(date +%s) - started_at )) s; gateway peak RSS $(grep VmHWM "/proc/$gw_pid/status" | awk '{print $2/1024 " MiB"}')"
