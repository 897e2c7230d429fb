#!/usr/bin/env bash
# TLS benchmark: full mutual-TLS handshakes per second (client certificates, no resumption) vs new
# plain-HTTP connections, and kept-alive HTTPS vs plain HTTP requests per second, same binary,
# same run. The load generator runs in the same process, on the same two cores.
# FINHUB_BENCH_SECONDS (default 5) and FINHUB_BENCH_CONNECTIONS (default 32) tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p finhub-server --bench tls
