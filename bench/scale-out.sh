#!/usr/bin/env bash
# Scale-out benchmark: the hub on PostgreSQL beside SQLite, limits in Redis beside in-process,
# two instances flooding FINRA through one shared pacer, and nginx in front of one and two
# instances (alternating rounds, medians; see crates/finhub-server/benches/scale_out/main.rs).
# Needs wrk, nginx (with its stream module), a PostgreSQL server it may create databases on and
# a Redis (the machine's own, or private ones started here); all installed with apt-get when
# absent. Run from anywhere: `bench/scale-out.sh` (or `bench/scale-out.sh limits pacer` for those parts).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
if ! command -v wrk >/dev/null; then
  apt_install wrk
fi
if ! command -v nginx >/dev/null || [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
  apt_install nginx libnginx-mod-stream
  (systemctl disable --now nginx || service nginx stop) >/dev/null 2>&1 || true
fi
ensure_test_postgres
# shellcheck source=scripts/redis.sh
source scripts/redis.sh
ensure_test_redis
cargo bench -p finhub-server --bench scale_out -- "$@"
