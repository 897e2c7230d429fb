# Sourced by scripts/test.sh and the benchmarks that need Redis: `ensure_test_redis` makes sure
# redis-server is installed (the tests that stop Redis start their own) and that REDIS_TEST_URL
# names a Redis the tests may use under key prefixes of their own — the machine's when it
# answers on 127.0.0.1:6379, else a private throw-away server started on a free port (no
# persistence), stopped when the sourcing script exits. Nothing is ever flushed.

export REDIS_TEST_URL=${REDIS_TEST_URL:-redis://127.0.0.1:6379}

redis_answers() {
  [ "$(redis-cli -u "$1" ping 2>/dev/null)" = PONG ]
}

start_private_redis() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis_dir=$(mktemp -d /tmp/finhub-test-redis.XXXXXX)
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$redis_dir" \
    --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/log" >/dev/null
  # Chained after any exit trap already set (the private PostgreSQL's).
  local previous
  previous=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
  trap "kill \$(cat '$redis_dir/redis.pid' 2>/dev/null) 2>/dev/null || true; rm -rf '$redis_dir'; $previous" EXIT
  export REDIS_TEST_URL="redis://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    redis_answers "$REDIS_TEST_URL" && return 0
    sleep 0.1
  done
  echo "could not start Redis (see $redis_dir/log)" >&2
  exit 1
}

ensure_test_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  if redis_answers "$REDIS_TEST_URL"; then
    echo "== Redis: the server at $REDIS_TEST_URL (keys under test prefixes)"
  else
    start_private_redis
    echo "== Redis: a private server at $REDIS_TEST_URL"
  fi
}
