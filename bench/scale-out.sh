#!/usr/bin/env bash
# Scale-out benchmark: the hub on PostgreSQL beside the hub on SQLite (client_credentials logins
# and session checks, alternating rounds, medians). Needs wrk and a PostgreSQL server it may
# create a database on (the machine's own, or a private one started here; both installed with
# apt-get when absent). Run from anywhere: `bench/scale-out.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  (apt-get install -y wrk || (apt-get update && apt-get install -y wrk)) >/dev/null
fi
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
ensure_test_postgres
cargo bench -p finhub-server --bench scale_out
