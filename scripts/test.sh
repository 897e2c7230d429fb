#!/usr/bin/env bash
# The whole test suite on any machine, fresh or not: makes sure a PostgreSQL server the tests may
# create databases on and a Redis they may use are reachable (the machine's own when they answer
# on 127.0.0.1:5432 with trust auth and 127.0.0.1:6379, else private throw-away servers this
# script starts, installing PostgreSQL, Redis and nginx with apt-get when absent) and that the
# portal's browser tests have Chromium, playwright-core and axe-core (scripts/browser.sh), then
# runs `cargo test --workspace --locked` with any extra arguments. The tests create a database of
# their own per test and drop it, use Redis only under key prefixes of their own (keys expire by
# themselves), and start their own redis-server for the tests that stop it; nothing else on
# either server is touched.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
ensure_test_postgres
# shellcheck source=scripts/redis.sh
source scripts/redis.sh
ensure_test_redis
# Chromium, playwright-core and axe-core for the portal's browser tests.
# shellcheck source=scripts/browser.sh
source scripts/browser.sh
ensure_test_browser
# nginx in front of two instances (its stream module). Installed only when absent; a service
# the package starts is stopped again, so the machine is left as it was.
if ! command -v nginx >/dev/null || [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
  apt_install nginx libnginx-mod-stream
  (systemctl disable --now nginx || service nginx stop) >/dev/null 2>&1 || true
fi

cargo test --workspace --locked "$@"

# The API description against a live hub (Schemathesis; a minute or so).
scripts/schemathesis.sh
