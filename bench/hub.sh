#!/usr/bin/env bash
# Hub benchmark: session checks vs a no-op route, client_credentials and password logins vs the
# Argon2id ceiling, and wrong-password vs unknown-user timing. Needs wrk (installed if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  (apt-get install -y wrk || (apt-get update && apt-get install -y wrk)) >/dev/null
fi
exec cargo bench -p finhub-server --bench hub
