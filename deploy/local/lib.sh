# Shared by up.sh, down.sh, cluster.sh and test.sh. Sourced, not run.
# Installs what OrleansGate needs on a Debian machine when it is missing; idempotent.

PG_BIN=/usr/lib/postgresql/15/bin

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_packages() {
  local missing=()
  [ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client-15)
  command -v pgbench >/dev/null 2>&1 || missing+=(postgresql-contrib)
  ldconfig -p | grep -q 'libpg_query' || missing+=(libpg-query-dev)
  command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  # The HTTP benchmark (loadtest/run.sh) compares the gateway with nginx proxy_pass in front of an nginx upstream.
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # The approvals page's browser test drives Debian's chromium through Playwright, which cannot download its own here.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The observability test scrapes a node with a real Prometheus server.
  [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  # The Kubernetes manifests test renders deploy/kubernetes with kubectl kustomize (Debian's kubectl 1.20 does too).
  command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
  # The k6 scripts' syntax test (OrleansGate.Tests, K6ScriptSyntaxTests) parses them with node --check; k6 cannot be installed.
  [ -x /usr/bin/node ] || missing+=(nodejs)
  # The SSH path's tests run commands on a real OpenSSH server of their own, on loopback (tests/.../Ssh/RealSshServer.cs).
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # policy-rc.d keeps Debian from starting the packaged services: we run our own instances.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET 10 SDK (dotnet) is not installed; install it first: https://learn.microsoft.com/dotnet/core/install/linux" >&2
    exit 1
  fi
  if ! id postgres >/dev/null 2>&1; then
    echo "error: the 'postgres' system user is missing (it comes with the postgresql-15 package)" >&2
    exit 1
  fi
}

# Runs a command as the postgres user (PostgreSQL refuses to run as root).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

random_secret() {
  openssl rand -hex 24
}

# The functions below are up.sh's steps, shared with cluster.sh. They read and set the caller's globals: root, home
# and pg_port going in; the secrets, paths and bin they define coming out.

secret_file() { # name -> path of a stable random secret
  local f="$home/secrets/$1"
  [ -s "$f" ] || (umask 077 && random_secret > "$f")
  echo "$f"
}

# Secrets, the local PostgreSQL (state database + demo target), the TLS certificate and the audit signing key.
prepare_local_state() {
  mkdir -p "$home/secrets" "$home/keys"
  chmod 700 "$home/secrets" "$home/keys"
  superuser_pw=$(cat "$(secret_file pg-superuser)")
  state_pw=$(cat "$(secret_file state-db)")               # orleansgate: the node's runtime role
  owner_pw=$(cat "$(secret_file state-db-owner)")         # orleansgate_owner: owns the schema; never in the node's config
  target_pw_file=$(secret_file demo-target)
  target_pw=$(cat "$target_pw_file")
  agent_secret=$(cat "$(secret_file demo-agent-client-secret)")
  # ORLEANSGATE_BENCH_AGENTS=N adds dev IdP clients bench-agent-1 … bench-agent-N (group developers, one shared
  # secret in $home/secrets/bench-agent-client-secret) for loadtest/logins.sh's many-agents runs; none by default.
  clients_json="{ \"ClientId\": \"demo-agent\", \"ClientSecret\": \"$agent_secret\", \"Groups\": [ \"developers\" ] }"
  if [ "${ORLEANSGATE_BENCH_AGENTS:-0}" -gt 0 ]; then
    bench_secret=$(cat "$(secret_file bench-agent-client-secret)")
    for n in $(seq 1 "$ORLEANSGATE_BENCH_AGENTS"); do
      clients_json+=", { \"ClientId\": \"bench-agent-$n\", \"ClientSecret\": \"$bench_secret\", \"Groups\": [ \"developers\" ] }"
    done
  fi
  # People who sign in to the approvals page through the dev IdP's login form (authorization code + PKCE): each
  # password is generated once into $home/secrets/idp-user-NAME (0600) and given to the IdP by file, never in the config.
  # alice, bob and carol are approvers (group dba); dave is in no group, to show a refusal.
  idp_users=(alice bob carol dave)
  idp_users_json=""
  for u in "${idp_users[@]}"; do
    if [ "$u" = dave ]; then groups='[]'; else groups='[ "dba" ]'; fi
    idp_users_json+="${idp_users_json:+,
          }{ \"Username\": \"$u\", \"PasswordFile\": \"$(secret_file "idp-user-$u")\", \"Groups\": $groups }"
  done

  # 1. Local PostgreSQL, owned by the postgres user in a project-local folder.
  pgdata="$home/pg/data"
  if [ ! -s "$pgdata/PG_VERSION" ]; then
    echo "creating local PostgreSQL in $pgdata"
    mkdir -p "$home/pg"
    chown postgres:postgres "$home/pg"
    pwfile=$(mktemp); printf '%s\n' "$superuser_pw" > "$pwfile"; chown postgres "$pwfile"
    as_postgres "$PG_BIN/initdb" -D "$pgdata" -U postgres --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=peer >/dev/null
    rm -f "$pwfile"
  fi
  # The postgres user must be able to reach the data folder through the project path.
  for d in "$home" "$root"; do chmod o+x "$d" 2>/dev/null || true; done
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    echo "starting local PostgreSQL on 127.0.0.1:$pg_port"
    # ORLEANSGATE_LOCAL_PG_OPTIONS: more server options, e.g. loadtest/chaos.sh's larger max_connections.
    as_postgres "$PG_BIN/pg_ctl" -D "$pgdata" -l "$home/pg/postgres.log" -w \
      -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$home/pg ${ORLEANSGATE_LOCAL_PG_OPTIONS:-}" start >/dev/null
  fi

  export PGHOST=127.0.0.1 PGPORT="$pg_port" PGUSER=postgres PGPASSWORD="$superuser_pw"
  psql_q() { PGOPTIONS="-c client_min_messages=warning" psql -v ON_ERROR_STOP=1 -qAtX "$@"; }
  # Two roles for the state database (docs/audit.md, "Privileges"): orleansgate_owner owns the database and the
  # schema and applies it (step 3); the node logs in as orleansgate, which may only append to and read the audit
  # tables, so it cannot disable their triggers. Neither may create roles (it could grant itself the other).
  psql_q -d postgres <<SQL
SELECT 'CREATE ROLE orleansgate_owner LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orleansgate_owner')\gexec
ALTER ROLE orleansgate_owner NOSUPERUSER NOCREATEROLE PASSWORD '$owner_pw';
SELECT 'CREATE ROLE orleansgate LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orleansgate')\gexec
ALTER ROLE orleansgate NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD '$state_pw';
SELECT 'CREATE DATABASE orleansgate_state OWNER orleansgate_owner' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'orleansgate_state')\gexec
-- An install made by an earlier up.sh, where the node's role owned the database and every table in it: hand them
-- to the owner (a no-op once done).
ALTER DATABASE orleansgate_state OWNER TO orleansgate_owner;
SELECT 'CREATE ROLE gateway_demo LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gateway_demo')\gexec
ALTER ROLE gateway_demo PASSWORD '$target_pw';
SELECT 'CREATE DATABASE demo' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'demo')\gexec
SQL
  psql_q -d orleansgate_state -c 'REASSIGN OWNED BY orleansgate TO orleansgate_owner'
  psql_q -d demo < "$root/deploy/local/demo-target.sql"

  # 2a. TLS for the gateway's PostgreSQL listener: a self-signed certificate for localhost/127.0.0.1, kept
  # across runs. Clients trust it with sslrootcert=$home/tls/server.pem (sslmode=verify-full) or use sslmode=require.
  mkdir -p "$home/tls"
  chmod 700 "$home/tls"
  tls_cert="$home/tls/server.pem"
  tls_key="$home/tls/server.key"
  if [ ! -s "$tls_cert" ] || [ ! -s "$tls_key" ]; then
    echo "generating a self-signed TLS certificate in $home/tls"
    (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$tls_key" -out "$tls_cert" 2>/dev/null)
  fi

  # 2b. Audit signing key and the append-only checkpoint file outside the database (docs/audit.md).
  mkdir -p "$home/audit"
  chmod 700 "$home/audit"
  # This node's audit signing key (ECDSA P-256, kept across runs; the database never sees it) and its public half,
  # which is all `audit verify` needs. Signatures also go to an append-only file outside the database.
  audit_key="$home/audit/signing.key"
  audit_pub="$home/audit/signing.pub"
  if [ ! -s "$audit_key" ]; then
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$audit_key" 2>/dev/null)
  fi
  openssl pkey -in "$audit_key" -pubout -out "$audit_pub" 2>/dev/null
}

# Writes a node's configuration (secrets stay in $home/secrets, mode 0600; the target password is read from its file).
# Every node of a cluster shares the state database, the cluster id and the dev IdP's issuer and keys (the IdP of
# the node on idp_http_port), so a token from any node is accepted by all of them.
write_node_config() { # config node cluster_id http_port gw_port silo_port gateway_port checkpoint idp_http_port [agent_port]
  local config=$1 node=$2 cluster_id=$3 http_port=$4 gw_port=$5 silo_port=$6 gateway_port=$7 checkpoint=$8 idp_http_port=$9 agent_port=${10:-0}
  # The agents' HTTPS listener (Kubernetes/HTTP targets, POST /api/exec, /mcp): the same certificate as the PostgreSQL one.
  local agent_http=""
  if [ "$agent_port" != 0 ]; then
    agent_http="\"AgentHttp\": { \"Address\": \"127.0.0.1\", \"Port\": $agent_port, \"Tls\": { \"CertificatePath\": \"$tls_cert\", \"KeyPath\": \"$tls_key\" } },"
  fi
  issuer="http://127.0.0.1:$idp_http_port/oauth2/default"
  approvals_page="http://127.0.0.1:$idp_http_port/approvals"
  approvals_redirect="$approvals_page/callback"
  (umask 077 && cat > "$config" <<JSON
{
  "OrleansGate": {
    "NodeName": "$node",
    "StateDatabase": "Host=127.0.0.1;Port=$pg_port;Database=orleansgate_state;Username=orleansgate;Password=$state_pw",
    "Cluster": { "ClusterId": "$cluster_id", "ServiceId": "orleansgate", "SiloPort": $silo_port, "GatewayPort": $gateway_port },
    "Http": { "Address": "127.0.0.1", "Port": $http_port },
    "Postgres": { "Address": "127.0.0.1", "Port": $gw_port, "Tls": { "CertificatePath": "$tls_cert", "KeyPath": "$tls_key" } },
    $agent_http
    "Policy": { "File": "$root/deploy/local/policy.yaml", "Watch": true },
    "Audit": { "SigningKeyPath": "$audit_key", "TrustedKeysPath": "$audit_pub", "CheckpointFile": "$checkpoint" },
    "Identity": { "Issuers": [ { "Issuer": "$issuer", "Audiences": [ "api://orleansgate" ], "RequireHttps": false } ] },
    "DevIdp": {
      "Enabled": true,
      "Issuer": "$issuer",
      "Audience": "api://orleansgate",
      "KeyDirectory": "$home/keys",
      "Clients": [ $clients_json ],
      "Users": [
        $idp_users_json
      ],
      "PublicClients": [ { "ClientId": "orleansgate-approvals", "RedirectUris": [ "$approvals_redirect" ] } ]
    },
    "Approvals": {
      "PageUrl": "$approvals_page",
      "Page": { "Issuer": "$issuer", "ClientId": "orleansgate-approvals" },
      "Identity": { "Issuers": [ { "Issuer": "$issuer", "Audiences": [ "api://orleansgate" ], "RequireHttps": false } ] }
    },
    "Targets": {
      "demo": { "Host": "127.0.0.1", "Port": $pg_port, "Database": "demo", "Username": "gateway_demo", "PasswordFile": "$target_pw_file" }
    },
    "Drain": { "Timeout": "$(printf '%02d:%02d:%02d' $((drain_seconds / 3600)) $((drain_seconds / 60 % 60)) $((drain_seconds % 60)))" }
  }
}
JSON
  )
}

# Builds into $home/bin (sets bin) and applies the schema as its owner (idempotent: scripts already applied are
# skipped; the runtime role orleansgate, the user of the config's StateDatabase, is granted what the node needs).
build_and_apply_schema() { # config
  echo "building orleansgate"
  dotnet publish "$root/src/OrleansGate/OrleansGate.csproj" -c Release -o "$home/bin" --nologo -v quiet >/dev/null
  bin="$home/bin/orleansgate"
  local owner_connection="$home/secrets/state-db-owner.connection"
  (umask 077 && printf 'Host=127.0.0.1;Port=%s;Database=orleansgate_state;Username=orleansgate_owner;Password=%s\n' "$pg_port" "$owner_pw" > "$owner_connection")
  "$bin" --config "$1" schema apply --owner-connection-string-file "$owner_connection"
}

# Starts a node in the background unless its pid file names a live process.
start_node() { # config role pidfile log
  local config=$1 role=$2 pidfile=$3 log=$4
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "node already running (pid $(cat "$pidfile"), $log)"
    return 0
  fi
  # Earlier logs are evidence (what happened before a crash): node.log moves to node.log.1, .1 to .2, … and
  # only the oldest beyond node.log.$logs_kept is removed; the new node writes a fresh node.log.
  local logs_kept=10 i
  if [ -e "$log" ]; then
    rm -f "$log.$logs_kept"
    for ((i = logs_kept - 1; i >= 1; i--)); do
      if [ -e "$log.$i" ]; then mv "$log.$i" "$log.$((i + 1))"; fi
    done
    mv "$log" "$log.1"
  fi
  echo "starting node, role $role (log: $log; earlier ones: $log.1 … $log.$logs_kept)"
  nohup "$bin" --config "$config" run --role "$role" > "$log" 2>&1 &
  echo $! > "$pidfile"
}

# Waits (at most 60 s) until the node answers /readyz with 200 and its PostgreSQL listener accepts connections.
wait_node_ready() { # http_port gw_port pidfile log
  local http_port=$1 gw_port=$2 pidfile=$3 log=$4
  for _ in $(seq 1 120); do
    if curl -sf -m 3 "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1 && "$PG_BIN/pg_isready" -q -t 3 -h 127.0.0.1 -p "$gw_port"; then
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "error: the node exited; last lines of $log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "error: the node did not become ready in 60 s ($(curl -s -m 3 "http://127.0.0.1:$http_port/readyz")); see $log" >&2
  return 1
}

# Stops the process a pid file names (SIGTERM, then SIGKILL after `seconds`, 30 by default) and removes the file;
# idempotent. Sets stop_killed=1 when it had to be killed.
stop_pidfile() { # pidfile what [seconds]
  local pidfile=$1 pid seconds=${3:-30}
  stop_killed=0
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 1 $((seconds * 2))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid"
      stop_killed=1
      echo "$2 did not exit within $seconds s of SIGTERM: killed" >&2
    else
      echo "$2 stopped"
    fi
  fi
  rm -f "$pidfile"
}

# A node's graceful drain on SIGTERM (docs/operations.md, "Graceful drain"): how long sessions get to reach a
# transaction boundary, and how long to wait for a node to exit after SIGTERM (the drain, then the host's margin).
drain_seconds="${ORLEANSGATE_DRAIN_SECONDS:-30}"
node_stop_seconds=$((drain_seconds + 45))

# Stops the local PostgreSQL that prepare_local_state started; idempotent.
stop_local_postgres() {
  if [ -s "$home/pg/data/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$home/pg/data" status >/dev/null 2>&1; then
    as_postgres "$PG_BIN/pg_ctl" -D "$home/pg/data" -m fast -w stop >/dev/null
    echo "local PostgreSQL stopped"
  fi
}

# Prints N distinct TCP ports free on 127.0.0.1 now (all held open together while chosen, so none repeats).
free_ports() { # n
  python3 - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

# Sends one command to an HAProxy stats socket and prints the answer (no socat needed).
haproxy_command() { # socket command
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode()); out = b""
while chunk := s.recv(65536):
    out += chunk
print(out.decode(), end="")
PY
}
