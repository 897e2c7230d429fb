#!/usr/bin/env bash
# The whole test suite on any machine, fresh or not: makes sure a PostgreSQL server the tests may
# create databases on is reachable (the machine's own when it answers with trust auth on
# 127.0.0.1:5432, else a private throw-away server this script starts, installing PostgreSQL with
# apt-get when absent), then runs `cargo test --workspace --locked` with any extra arguments.
# The tests create a database of their own per test and drop it; nothing else on the server is
# touched.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
ensure_test_postgres

cargo test --workspace --locked "$@"
