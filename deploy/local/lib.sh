# Shared by up.sh, down.sh and test.sh. Sourced, not run.
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
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # The approvals page's browser test drives Debian's chromium through Playwright, which cannot download its own here.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The observability test scrapes a node with a real Prometheus server.
  [ -x /usr/bin/prometheus ] || missing+=(prometheus)
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
