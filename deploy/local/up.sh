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
agent_port="${ORLEANSGATE_AGENT_PORT:-18443}"     # agents' HTTPS listener: /mcp, /api/exec, /k8s, /http
silo_port="${ORLEANSGATE_SILO_PORT:-11111}"
gateway_port="${ORLEANSGATE_GATEWAY_PORT:-30000}"

ensure_packages
prepare_local_state
config="$home/orleansgate.json"
write_node_config "$config" local-1 local "$http_port" "$gw_port" "$silo_port" "$gateway_port" "$home/audit/signatures.jsonl" "$http_port" "$agent_port"

# 3. Build, apply the schema and start the node.
build_and_apply_schema "$config"
pidfile="$home/node.pid"
log="$home/node.log"
start_node "$config" all "$pidfile" "$log"
wait_node_ready "$http_port" "$gw_port" "$pidfile" "$log"

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

MCP endpoint (docs/mcp.md) for an MCP client, with a token of the same IdP as its Bearer token:
  https://127.0.0.1:$agent_port/mcp   (tools: postgres_query, postgres_targets, approval_status under the demo policy;
  the client must trust $rel_cert)

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
