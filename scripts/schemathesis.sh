#!/usr/bin/env bash
# The API description against a live hub: validates docs/openapi.json (openapi-spec-validator),
# starts `finhub demo` (SQLite, in-process FINRA emulator) with its limits and login back-off
# raised (scripts/schemathesis/demo.toml), and runs Schemathesis from the hub's own
# /openapi.json: first the stateful links (login → session → refresh → logout), then examples,
# coverage and fuzzing of every operation with a real session behind the session operations.
# Fails on any 5xx or any answer the description does not allow. Both tools are installed into a
# virtual environment under the cargo target directory (from PyPI, pinned), once.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
venv="$target/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    (apt-get install -y python3-venv || (apt-get update && apt-get install -y python3-venv)) >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'schemathesis==4.32.5' 'openapi-spec-validator==0.9.0'
fi

"$venv/bin/openapi-spec-validator" docs/openapi.json

cargo build --quiet --locked -p finhub-server --bin finhub
work=$(mktemp -d /tmp/finhub-schemathesis.XXXXXX)
demo_pid=
cleanup() {
  [ -z "$demo_pid" ] || kill "$demo_pid" 2>/dev/null || true
  [ -z "$demo_pid" ] || wait "$demo_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$target/debug/finhub" demo --listen 127.0.0.1:0 --credentials-out "$work/credentials.json" \
  --config scripts/schemathesis/demo.toml >"$work/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 240); do
  [ -s "$work/credentials.json" ] && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log"; exit 1; }
  sleep 0.25
done
[ -s "$work/credentials.json" ] || { echo "the demo did not start within 60 s"; cat "$work/demo.log"; exit 1; }
base=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["baseUrl"])' "$work/credentials.json")

export DEMO_CREDENTIALS="$work/credentials.json" SCHEMATHESIS_HOOKS=hooks
export PYTHONPATH="$PWD/scripts/schemathesis"
schemathesis=("$venv/bin/schemathesis" --config-file scripts/schemathesis/schemathesis.toml)
"${schemathesis[@]}" run "$base/openapi.json" --phases stateful --no-color
SESSION_AUTH=on "${schemathesis[@]}" run "$base/openapi.json" --phases examples,coverage,fuzzing \
  --no-color
