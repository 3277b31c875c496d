#!/usr/bin/env bash
# ./deploy/local/cluster.sh up|down|status|rolling-restart: three OrleansGate nodes of one cluster on this machine
# behind HAProxy.
# node-1 and node-2 run role all (silo + edge), node-3 role edge (an Orleans client only): the split shows both
# kinds of edge behind one balancer, and that a cancel or a revocation reaches a session on a node of either kind.
# They share up.sh's PostgreSQL, state database, secrets and dev IdP keys (lib.sh); the cluster's own files
# (configs, logs, pid files, HAProxy's config, pid file and stats socket, the ports chosen) live in .orleansgate/cluster/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/local/lib.sh"

home="${ORLEANSGATE_HOME:-$root/.orleansgate}"
pg_port="${ORLEANSGATE_LOCAL_PG_PORT:-15432}"
dir="$home/cluster"
cluster_id=local-cluster
nodes=(node-1 node-2 node-3)
roles=(all all edge)

# Ports are chosen free once and kept in ports.env, so a second `up` and `status` find the same cluster.
load_ports() {
  if [ ! -s "$dir/ports.env" ]; then
    local p i=0 n
    read -r -a p <<<"$(free_ports 14)"
    {
      echo "lb_pg=${p[0]} lb_http=${p[1]}"
      for n in 1 2 3; do
        echo "http_$n=${p[2 + i]} pg_$n=${p[3 + i]} silo_$n=${p[4 + i]} gateway_$n=${p[5 + i]}"
        i=$((i + 4))
      done
    } > "$dir/ports.env"
  fi
  . "$dir/ports.env"
}
port() { local v="$1_$2"; echo "${!v}"; } # port KIND N

haproxy_running() { [ -s "$dir/haproxy.pid" ] && kill -0 "$(cat "$dir/haproxy.pid")" 2>/dev/null; }

# backend/server status lines from `show stat` (UP, DOWN, …) with the last health check's result.
haproxy_servers() {
  haproxy_command "$dir/haproxy.sock" "show stat" | awk -F, '$2 ~ /^node-/ { printf "  %-17s %-7s %-5s %s\n", $1, $2, $18, $37 }'
}

write_haproxy_config() {
  local n pg_servers="" http_servers=""
  for n in 1 2 3; do
    pg_servers+="  server node-$n 127.0.0.1:$(port pg $n) check port $(port http $n)"$'\n'
    http_servers+="  server node-$n 127.0.0.1:$(port http $n) check"$'\n'
  done
  cat > "$dir/haproxy.cfg.new" <<CFG
# Written by deploy/local/cluster.sh; rewritten at each up.
global
  daemon
  pidfile $dir/haproxy.pid
  stats socket $dir/haproxy.sock mode 600 level admin
  maxconn 2000

defaults
  timeout connect 5s
  # Sessions to a database sit idle for long; HAProxy must not cut them.
  timeout client 1h
  timeout server 1h
  timeout check 2s
  default-server inter 1s fall 2 rise 2

# PostgreSQL: TCP passthrough (TLS ends at the gateway); a node is used only while its /readyz answers 200.
frontend postgres
  mode tcp
  bind 127.0.0.1:$lb_pg
  default_backend gateway_postgres

backend gateway_postgres
  mode tcp
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
$pg_servers
frontend http
  mode http
  bind 127.0.0.1:$lb_http
  default_backend gateway_http

backend gateway_http
  mode http
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
$http_servers
CFG
}

up() {
  ensure_packages
  mkdir -p "$dir"
  local pg_was_running=0
  if [ -s "$home/pg/data/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$home/pg/data" status >/dev/null 2>&1; then pg_was_running=1; fi
  prepare_local_state
  # down stops PostgreSQL only when up started it (up.sh's single node may be using it).
  if [ "$pg_was_running" -eq 0 ]; then touch "$dir/started-postgres"; fi
  load_ports
  local n i
  for n in 1 2 3; do
    mkdir -p "$dir/node-$n"
    write_node_config "$dir/node-$n/orleansgate.json" "node-$n" "$cluster_id" "$(port http $n)" "$(port pg $n)" \
      "$(port silo $n)" "$(port gateway $n)" "$dir/node-$n/signatures.jsonl" "$http_1"
  done
  build_and_apply_schema "$dir/node-1/orleansgate.json"
  # node-1 first: it creates the dev IdP's key the others share, and the cluster the others join.
  for i in 0 1 2; do
    n=$((i + 1))
    start_node "$dir/node-$n/orleansgate.json" "${roles[$i]}" "$dir/node-$n/node.pid" "$dir/node-$n/node.log"
    if [ "$n" -eq 1 ]; then wait_node_ready "$http_1" "$pg_1" "$dir/node-1/node.pid" "$dir/node-1/node.log"; fi
  done
  for n in 2 3; do
    wait_node_ready "$(port http $n)" "$(port pg $n)" "$dir/node-$n/node.pid" "$dir/node-$n/node.log"
  done

  write_haproxy_config
  if haproxy_running && cmp -s "$dir/haproxy.cfg.new" "$dir/haproxy.cfg"; then
    rm -f "$dir/haproxy.cfg.new"
    echo "HAProxy already running (pid $(cat "$dir/haproxy.pid"))"
  else
    mv "$dir/haproxy.cfg.new" "$dir/haproxy.cfg"
    haproxy -c -q -f "$dir/haproxy.cfg"
    if haproxy_running; then
      # A new process takes the ports over and tells the old one to finish (-sf).
      haproxy -f "$dir/haproxy.cfg" -sf "$(cat "$dir/haproxy.pid")"
    else
      haproxy -f "$dir/haproxy.cfg"
    fi
    echo "HAProxy started (pid $(cat "$dir/haproxy.pid"))"
  fi
  # Health checks run every second and need two passes (rise 2): wait (at most 15 s) until HAProxy sends to all six.
  for _ in $(seq 1 30); do
    [ "$(haproxy_servers | grep -c ' UP ')" -eq 6 ] && break
    sleep 0.5
  done
  if [ "$(haproxy_servers | grep -c ' UP ')" -ne 6 ]; then
    echo "error: HAProxy does not see every node up after 15 s:" >&2
    haproxy_servers >&2
    return 1
  fi

  local rel_bin=${bin#"$PWD/"} rel_config=${dir#"$PWD/"}/node-1/orleansgate.json
  cat <<TXT

OrleansGate cluster is up ($cluster_id): node-1, node-2 (role all), node-3 (role edge) behind HAProxy
  PostgreSQL through HAProxy: 127.0.0.1:$lb_pg   (balance leastconn, health check GET /readyz)
  HTTP through HAProxy:       127.0.0.1:$lb_http
  nodes (postgres/http):      node-1 $pg_1/$http_1, node-2 $pg_2/$http_2, node-3 $pg_3/$http_3
  identity provider:          $issuer

  export PGPASSWORD="\$($rel_bin --config $rel_config idp token --client demo-agent)"
  psql "host=127.0.0.1 port=$lb_pg dbname=demo user=demo-agent sslmode=require" -c 'SELECT count(*) FROM customers'

./deploy/local/cluster.sh status shows each node's /readyz and HAProxy's view; ./deploy/local/cluster.sh down stops it.
TXT
}

status() {
  if [ ! -s "$dir/ports.env" ]; then
    echo "no cluster (run ./deploy/local/cluster.sh up)"
    return 1
  fi
  . "$dir/ports.env"
  local n code body ready=0
  echo "nodes (GET /readyz):"
  for n in 1 2 3; do
    body=$(curl -s -m 3 -w '\n%{http_code}' "http://127.0.0.1:$(port http $n)/readyz" 2>/dev/null || true)
    code=${body##*$'\n'}
    body=${body%$'\n'*}
    body=${body%$'\n'}
    printf '  node-%s (%-4s http %s, postgres %s): %s %s\n' "$n" "${roles[$((n - 1))]}" "$(port http $n)" "$(port pg $n)" "${code:-000}" "${body:-no answer}"
    if [ "$code" = 200 ]; then ready=$((ready + 1)); fi
  done
  echo "$ready of 3 nodes ready"
  if haproxy_running; then
    echo "HAProxy (pid $(cat "$dir/haproxy.pid"); postgres 127.0.0.1:$lb_pg, http 127.0.0.1:$lb_http): backend, server, status, last check"
    haproxy_servers
  else
    echo "HAProxy: not running"
    return 1
  fi
  [ "$ready" -eq 3 ]
}

down() {
  if haproxy_running; then
    stop_pidfile "$dir/haproxy.pid" HAProxy
  fi
  rm -f "$dir/haproxy.pid" "$dir/haproxy.sock"
  local n
  for n in 3 2 1; do
    stop_pidfile "$dir/node-$n/node.pid" "node-$n" "$node_stop_seconds"
  done
  if [ -e "$dir/started-postgres" ]; then
    if [ -s "$home/node.pid" ] && kill -0 "$(cat "$home/node.pid")" 2>/dev/null; then
      echo "local PostgreSQL left running: up.sh's node uses it"
    else
      stop_local_postgres
    fi
    rm -f "$dir/started-postgres"
  fi
}

# Waits (at most `seconds`) until HAProxy has node-N UP in both backends.
wait_haproxy_up() { # n seconds
  local i
  for i in $(seq 1 $(($2 * 2))); do
    [ "$(haproxy_servers | grep -c "node-$1 *UP ")" -eq 2 ] && return 0
    sleep 0.5
  done
  return 1
}

# Restarts the nodes one at a time, each only once the one before is back: HAProxy stops giving it new connections
# (state drain), SIGTERM (the node drains: sessions end with 57P01 at their transaction boundary, or at the drain
# deadline), wait for the exit, start, wait for /readyz 200, give it back to HAProxy and wait until HAProxy has it UP
# and (a silo) 15 s for the edge-only nodes to take its gateway back.
rolling_restart() {
  if [ ! -s "$dir/ports.env" ] || ! haproxy_running; then
    echo "error: no cluster running behind HAProxy (run ./deploy/local/cluster.sh up)" >&2
    return 1
  fi
  . "$dir/ports.env"
  : "${bin:=$home/bin/orleansgate}"
  local i n backend started stopped_at back_at
  for i in 0 1 2; do
    n=$((i + 1))
    started=$(date +%s%3N)
    for backend in gateway_postgres gateway_http; do
      haproxy_command "$dir/haproxy.sock" "set server $backend/node-$n state drain" >/dev/null
    done
    stop_pidfile "$dir/node-$n/node.pid" "node-$n" "$node_stop_seconds"
    if [ "$stop_killed" -eq 1 ]; then
      echo "error: node-$n had to be killed; see $dir/node-$n/node.log" >&2
      return 1
    fi
    stopped_at=$(date +%s%3N)
    grep -o 'Drain done: .*' "$dir/node-$n/node.log" | tail -n 1 | sed "s/^/  node-$n: /"
    start_node "$dir/node-$n/orleansgate.json" "${roles[$i]}" "$dir/node-$n/node.pid" "$dir/node-$n/node.log"
    wait_node_ready "$(port http $n)" "$(port pg $n)" "$dir/node-$n/node.pid" "$dir/node-$n/node.log" || return 1
    for backend in gateway_postgres gateway_http; do
      haproxy_command "$dir/haproxy.sock" "set server $backend/node-$n state ready" >/dev/null
    done
    if ! wait_haproxy_up "$n" 15; then
      echo "error: HAProxy does not see node-$n up 15 s after it became ready:" >&2
      haproxy_servers >&2
      return 1
    fi
    back_at=$(date +%s%3N)
    if [ "${roles[$i]}" != edge ]; then
      # An edge-only node's Orleans client marks a gateway that went away dead for one gateway-list refresh period
      # (10 s for an edge, GatewayHost.EdgeGatewayListRefresh) and takes it back at a refresh after that; an edge
      # left with no live gateway ends its sessions. The node was away longer than that period, so one more period
      # and a margin let every edge take it back before the next silo stops. (The client tells nothing we could poll.)
      sleep 15
    fi
    echo "node-$n restarted: stopped in $((stopped_at - started)) ms after SIGTERM, back in HAProxy after $((back_at - started)) ms"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  rolling-restart) rolling_restart ;;
  *) echo "usage: $0 up|down|status|rolling-restart" >&2; exit 2 ;;
esac
