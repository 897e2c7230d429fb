# Sourced by scripts/test.sh and the benchmarks that need PostgreSQL: `ensure_test_postgres`
# makes sure POSTGRES_TEST_URL names a server on which databases may be created and
# dropped — the machine's own when it answers with trust auth on 127.0.0.1:5432, else a private
# throw-away server started on a free port (installing PostgreSQL with apt-get when absent),
# stopped and removed when the sourcing script exits.

export POSTGRES_TEST_URL=${POSTGRES_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}

apt_install() {
  (apt-get install -y "$@" || (apt-get update && apt-get install -y "$@")) >/dev/null
}

reachable() {
  psql "$1" -qAtc 'SELECT 1' >/dev/null 2>&1
}

# Starts a private server on a free port in a temporary directory (trust auth, loopback only)
# and points the tests at it; it is stopped and removed when this script exits.
start_private_postgres() {
  # Globals: the exit trap needs them.
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$pg_bin" ] || { apt_install postgresql; pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); }
  pg_dir=$(mktemp -d /tmp/finhub-test-pg.XXXXXX)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg_as=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres "$pg_dir"
    pg_as=(runuser -u postgres --)
  fi
  trap '"${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
  "${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust >/dev/null
  "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 60 \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  export POSTGRES_TEST_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

ensure_test_postgres() {
  command -v psql >/dev/null || apt_install postgresql-client
  if reachable "$POSTGRES_TEST_URL"; then
    echo "== PostgreSQL: the server at ${POSTGRES_TEST_URL%%\?*}"
  else
    start_private_postgres
    reachable "$POSTGRES_TEST_URL" || { echo "could not start PostgreSQL" >&2; exit 1; }
    echo "== PostgreSQL: a private server at $POSTGRES_TEST_URL"
  fi
}
