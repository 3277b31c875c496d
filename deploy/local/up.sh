#!/usr/bin/env bash
# Brings up a working single OrleansGate node on this machine: a local PostgreSQL (the gateway's state
# database and a demo target with sample tables), the development identity provider and one node
# (role all). Idempotent: run it again and it reuses what is there.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/local/lib.sh"

home="${ORLEANSGATE_HOME:-$root/.orleansgate}"
pg_port="${ORLEANSGATE_LOCAL_PG_PORT:-15432}"     # local PostgreSQL: state database + demo target
gw_port="${ORLEANSGATE_PORT:-6543}"               # the gateway's PostgreSQL listener
http_port="${ORLEANSGATE_HTTP_PORT:-18080}"       # health + development identity provider
silo_port="${ORLEANSGATE_SILO_PORT:-11111}"
gateway_port="${ORLEANSGATE_GATEWAY_PORT:-30000}"

ensure_packages
mkdir -p "$home/secrets" "$home/keys"
chmod 700 "$home/secrets" "$home/keys"
secret_file() { # name -> path of a stable random secret
  local f="$home/secrets/$1"
  [ -s "$f" ] || (umask 077 && random_secret > "$f")
  echo "$f"
}
superuser_pw=$(cat "$(secret_file pg-superuser)")
state_pw=$(cat "$(secret_file state-db)")               # orleansgate: the node's runtime role
owner_pw=$(cat "$(secret_file state-db-owner)")         # orleansgate_owner: owns the schema; never in the node's config
target_pw_file=$(secret_file demo-target)
target_pw=$(cat "$target_pw_file")
agent_secret=$(cat "$(secret_file demo-agent-client-secret)")
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
approvals_page="http://127.0.0.1:$http_port/approvals"
approvals_redirect="$approvals_page/callback"

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
  as_postgres "$PG_BIN/pg_ctl" -D "$pgdata" -l "$home/pg/postgres.log" -w \
    -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$home/pg" start >/dev/null
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

# 2. Configuration (secrets live in $home/secrets, mode 0600; the target password is read from its file).
config="$home/orleansgate.json"
issuer="http://127.0.0.1:$http_port/oauth2/default"
(umask 077 && cat > "$config" <<JSON
{
  "OrleansGate": {
    "NodeName": "local-1",
    "StateDatabase": "Host=127.0.0.1;Port=$pg_port;Database=orleansgate_state;Username=orleansgate;Password=$state_pw",
    "Cluster": { "ClusterId": "local", "ServiceId": "orleansgate", "SiloPort": $silo_port, "GatewayPort": $gateway_port },
    "Http": { "Address": "127.0.0.1", "Port": $http_port },
    "Postgres": { "Address": "127.0.0.1", "Port": $gw_port, "Tls": { "CertificatePath": "$tls_cert", "KeyPath": "$tls_key" } },
    "Policy": { "File": "$root/deploy/local/policy.yaml", "Watch": true },
    "Audit": { "SigningKeyPath": "$audit_key", "TrustedKeysPath": "$audit_pub", "CheckpointFile": "$home/audit/signatures.jsonl" },
    "Identity": { "Issuers": [ { "Issuer": "$issuer", "Audiences": [ "api://orleansgate" ], "RequireHttps": false } ] },
    "DevIdp": {
      "Enabled": true,
      "Issuer": "$issuer",
      "Audience": "api://orleansgate",
      "KeyDirectory": "$home/keys",
      "Clients": [ { "ClientId": "demo-agent", "ClientSecret": "$agent_secret", "Groups": [ "developers" ] } ],
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
    }
  }
}
JSON
)

# 3. Build, apply the schema as its owner (idempotent: scripts already applied are skipped; the runtime role
# orleansgate, the user of the config's StateDatabase, is granted what the node needs), and start the node.
echo "building orleansgate"
dotnet publish "$root/src/OrleansGate/OrleansGate.csproj" -c Release -o "$home/bin" --nologo -v quiet >/dev/null
bin="$home/bin/orleansgate"
owner_connection="$home/secrets/state-db-owner.connection"
(umask 077 && printf 'Host=127.0.0.1;Port=%s;Database=orleansgate_state;Username=orleansgate_owner;Password=%s\n' "$pg_port" "$owner_pw" > "$owner_connection")
"$bin" --config "$config" schema apply --owner-connection-string-file "$owner_connection"
pidfile="$home/node.pid"
log="$home/node.log"
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "node already running (pid $(cat "$pidfile")); ./deploy/local/down.sh stops it"
else
  # Earlier logs are evidence (what happened before a crash): node.log moves to node.log.1, .1 to .2, … and
  # only the oldest beyond node.log.$logs_kept is removed; the new node writes a fresh node.log.
  logs_kept=10
  if [ -e "$log" ]; then
    rm -f "$log.$logs_kept"
    for ((i = logs_kept - 1; i >= 1; i--)); do
      if [ -e "$log.$i" ]; then mv "$log.$i" "$log.$((i + 1))"; fi
    done
    mv "$log" "$log.1"
  fi
  echo "starting node (log: $log; earlier ones: $log.1 … $log.$logs_kept)"
  nohup "$bin" --config "$config" run --role all > "$log" 2>&1 &
  echo $! > "$pidfile"
fi
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null 2>&1 && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$gw_port"; then
    ready=1; break
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "error: the node exited; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "${ready:-}" ]; then
  echo "error: the node did not become ready in 60 s; see $log" >&2
  exit 1
fi

rel_bin=${bin#"$PWD/"}; rel_config=${config#"$PWD/"}; rel_cert=${tls_cert#"$PWD/"}
cat <<TXT

OrleansGate is up: gateway on 127.0.0.1:$gw_port, identity provider at $issuer

  export PGPASSWORD="\$($rel_bin --config $rel_config idp token --client demo-agent)"
  psql "host=localhost port=$gw_port dbname=demo user=demo-agent sslmode=verify-full sslrootcert=$rel_cert" -c 'SELECT * FROM customers'

(TLS only: the certificate is self-signed; trust $rel_cert as the root (sslrootcert=…, Npgsql
"Root Certificate=…") for verify-full, or use sslmode=require to encrypt without checking it)
(policy: deploy/local/policy.yaml, reloaded when the file changes; writes are refused with 42501, except
 writes to orders, which wait for a dba's approval: the client gets a NOTICE naming the approval)
(tokens last 15 minutes; run the first line again for a new one. Stop with ./deploy/local/down.sh)

Approvals page: $approvals_page
People who sign in to it (dev IdP login form, client orleansgate-approvals, redirect $approvals_redirect);
passwords are kept in $home/secrets/idp-user-NAME. On the command line (docs/approvals.md):

  export ORLEANSGATE_APPROVER_TOKEN="\$($rel_bin --config $rel_config idp login --user alice)"
  $rel_bin --config $rel_config approvals list
  $rel_bin --config $rel_config approvals approve apr-... --comment "checked"

TXT
for u in "${idp_users[@]}"; do
  if [ "$u" = dave ]; then role="no group"; else role="group dba"; fi
  printf '  %-6s %-10s password %s\n' "$u" "($role)" "$(cat "$home/secrets/idp-user-$u")"
done
