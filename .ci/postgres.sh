#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for tests and prints its URL on the last line:
#   export TEST_POSTGRES_URL=$(bash .ci/postgres.sh | tail -1)
# Trust auth on 127.0.0.1 only; data in a temp dir. Stop it with: bash .ci/postgres.sh stop
# Needs Debian's `postgresql` package (apt-get install -y postgresql) or initdb/pg_ctl on PATH.
set -euo pipefail

PORT="${PG_PORT:-55432}"
DB="${PG_DB:-morpheus_test}"
STATE="${TMPDIR:-/tmp}/morpheus-ci-postgres"

bindir=""
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/pg_ctl" ] && bindir="$dir"; done
if [ -z "$bindir" ] && command -v pg_ctl >/dev/null; then bindir="$(dirname "$(command -v pg_ctl)")"; fi
[ -n "$bindir" ] || { echo "no PostgreSQL binaries found (apt-get install -y postgresql)" >&2; exit 1; }

# Postgres refuses to run as root: run its tools as the `postgres` user (created if missing).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

if [ "${1:-}" = "stop" ]; then
  [ -d "$STATE/data" ] && as_pg "$bindir/pg_ctl" -D "$STATE/data" -m fast stop >&2 || true
  rm -rf "$STATE"
  exit 0
fi

if [ -d "$STATE/data" ]; then
  as_pg "$bindir/pg_ctl" -D "$STATE/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$STATE"
fi
mkdir -p "$STATE"
[ "$(id -u)" -eq 0 ] && chown postgres "$STATE"

as_pg "$bindir/initdb" -D "$STATE/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >&2
as_pg "$bindir/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$STATE -c fsync=off -c max_connections=100" start >&2
as_pg "$bindir/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $DB" >&2

echo "postgres://postgres@127.0.0.1:$PORT/$DB"
