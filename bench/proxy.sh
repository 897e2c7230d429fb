#!/usr/bin/env bash
# Proxy benchmark: a small proxied data call through the hub vs straight to the emulator (wrk,
# 1 and 64 connections, and beside nginx), and a 1 000 000-row download through the hub (its
# memory sampled) beside the same download through nginx and straight, gzip-compressed as
# finra-client asks by default (judged) and again uncompressed (reported).
# Needs wrk, nginx and valgrind (installed if absent). See crates/finhub-server/benches/proxy.rs.
# `bench/proxy.sh nginx` runs only the comparison with nginx (its rates, latencies and CPU time,
# then the instructions each proxy runs per request, counted by valgrind's callgrind),
# `bench/proxy.sh instructions` only the instruction counts, `bench/proxy.sh download` only the
# download.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  (apt-get install -y wrk || (apt-get update && apt-get install -y wrk)) >/dev/null
fi
# nginx is the yardstick of section 1c (a reverse proxy on the same call).
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  (apt-get install -y nginx || (apt-get update && apt-get install -y nginx)) >/dev/null
  (systemctl disable --now nginx || service nginx stop) >/dev/null 2>&1 || true
fi
# valgrind counts the instructions per request (section 1d).
if ! command -v valgrind >/dev/null; then
  (apt-get install -y valgrind || (apt-get update && apt-get install -y valgrind)) >/dev/null
fi
# Section 3 runs the `finra` binary: built beside the benchmark first.
cargo build --release --quiet -p finra-cli
exec cargo bench -p finhub-server --bench proxy -- "$@"
