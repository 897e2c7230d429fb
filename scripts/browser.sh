# Sourced by scripts/test.sh: `ensure_test_browser` makes sure the portal's browser tests have
# what they drive — Debian's Chromium (installed with apt-get when absent), Node.js with npm,
# and playwright-core and axe-core at the versions pinned in
# crates/finhub-server/tests/browser/package-lock.json, installed from the npm registry into
# the target directory (`<target>/tmp/portal-browser`, where the tests look) and reinstalled
# only when the lock file changes. Nothing is installed globally.

ensure_test_browser() {
  command -v chromium >/dev/null || apt_install chromium
  command -v npm >/dev/null || apt_install nodejs npm
  local target=${CARGO_TARGET_DIR:-target}
  local dir="$target/tmp/portal-browser"
  local lock=crates/finhub-server/tests/browser/package-lock.json
  mkdir -p "$dir"
  if ! cmp -s "$lock" "$dir/package-lock.json" || [ ! -d "$dir/node_modules/playwright-core" ]; then
    cp crates/finhub-server/tests/browser/package.json "$lock" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  export PORTAL_CHROMIUM=${PORTAL_CHROMIUM:-$(command -v chromium)}
  echo "== Browser: $("$PORTAL_CHROMIUM" --version 2>/dev/null | head -1), playwright-core and axe-core in $dir"
}
