#!/usr/bin/env bash
# Hub benchmark: session checks vs a no-op route, client_credentials and password logins vs the
# Argon2id ceiling, wrong-password vs unknown-user timing, and the hub beside oidc-provider
# (an OpenID-certified token server from the npm registry): logins beside its client-credentials
# grants, session checks beside its introspection. Needs wrk and Node.js with npm (installed with
# apt-get if absent); oidc-provider at the version bench/oidc-provider/package-lock.json pins goes
# into the target directory, with the server script beside it. `bench/hub.sh anchors` runs only
# the comparison with oidc-provider, `bench/hub.sh passwords` only password logins against the
# Argon2id ceiling and the wrong-password timing, `bench/hub.sh second-factor` only password +
# TOTP logins against password logins and the replayed-code timing.
set -euo pipefail
cd "$(dirname "$0")/.."
apt_install() {
  (apt-get install -y "$@" || (apt-get update && apt-get install -y "$@")) >/dev/null
}
command -v wrk >/dev/null || apt_install wrk
command -v npm >/dev/null || apt_install nodejs npm
target=${CARGO_TARGET_DIR:-target}
export OIDC_PROVIDER_DIR="$target/tmp/oidc-provider"
mkdir -p "$OIDC_PROVIDER_DIR"
if ! cmp -s bench/oidc-provider/package-lock.json "$OIDC_PROVIDER_DIR/package-lock.json" \
  || [ ! -d "$OIDC_PROVIDER_DIR/node_modules/oidc-provider" ]; then
  cp bench/oidc-provider/package.json bench/oidc-provider/package-lock.json "$OIDC_PROVIDER_DIR/"
  (cd "$OIDC_PROVIDER_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp bench/oidc-provider/server.mjs "$OIDC_PROVIDER_DIR/"
OIDC_PROVIDER_DIR=$(cd "$OIDC_PROVIDER_DIR" && pwd)
export OIDC_PROVIDER_DIR
exec cargo bench -p finhub-server --bench hub -- "$@"
