#!/usr/bin/env bash
# TRAQS download benchmark: TRACE's CAMASTER at --scale full from the emulator, downloaded by
# `finra traqs download` and by `curl` with a ready access token, alternating round by round in
# the same run (bytes/s, medians of 5); then the peak memory (max RSS) of `finra traqs download`
# for CAMASTER at its full size and at 10 times that. Then the same file through a hub
# (`finhub serve` on SQLite, the tenant's TRAQS credential set with `finhub admin traqs set`):
# `curl` through the hub with a session token beside `curl` straight to the emulator, alternating;
# and the hub's peak RSS serving CAMASTER and 10 times that. Needs curl, python3 and GNU time
# (each installed with apt-get if absent). Run from anywhere: `bench/traqs.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in curl python3; do
  command -v "$tool" >/dev/null || (apt-get install -y "$tool" || (apt-get update && apt-get install -y "$tool")) >/dev/null
done
[ -x /usr/bin/time ] || (apt-get install -y time || (apt-get update && apt-get install -y time)) >/dev/null

cargo build --release --quiet -p finra-emulator -p finra-cli -p finhub-server --bins
emulator=target/release/finra-emulator
finra=target/release/finra
finhub=target/release/finhub
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

email=bench@example.com
password=bench-password
secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
full_rows=150000

# Starts an emulator with CAMASTER of $1 rows and sets `started` to its base URL (not in a
# subshell, so the exit trap knows its pid).
start_emulator() {
  local out="$work/emulator-$1.out"
  "$emulator" --listen 127.0.0.1:0 --scale full --throttle off \
    --traqs-user "$email:$password:$secret:TRACE" --traqs-camaster-rows "$1" >"$out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$out"; then started=$(sed -n 's/^listening on //p' "$out"); return; fi
    sleep 0.05
  done
  echo "the emulator did not start" >&2; exit 1
}

totp() {
  python3 - "$secret" <<'PY'
import base64, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1])
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), "sha1").digest()
offset = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}

# Signs in and mints a refresh token on the emulator at $1; prints it.
refresh_token() {
  printf '%s\n%s\n' "$password" "$(totp)" |
    env -i PATH="$PATH" HOME="$work" FINRA_TRAQS_BASE="$1" FINRA_TRAQS_USERNAME="$email" \
      "$finra" traqs login --print 2>/dev/null
}

start_emulator "$full_rows"; base=$started
token=$(refresh_token "$base")
access=$(curl -s "$base/traqs/oauth2/token" --data-urlencode grant_type=refresh_token \
  --data-urlencode "refresh_token=$token" --data-urlencode "username=$email" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
url="$base/DownloadHandler.ashx?action=DOWNLOAD&facility=TRACE&file=CAMASTER"
run_finra() {
  env -i PATH="$PATH" HOME="$work" FINRA_TRAQS_BASE="$1" FINRA_TRAQS_USERNAME="$email" \
    FINRA_TRAQS_REFRESH_TOKEN="$2" "$finra" traqs download TRACE CAMASTER
}

echo "TRAQS download benchmark: CAMASTER ($full_rows rows) from the emulator on $(nproc) cores, $(uname -m)"
curl_rates=(); finra_rates=()
# Both timed the same way: the whole command, process start included, into `wc -c`.
for round in 1 2 3 4 5; do
  start=$(date +%s.%N)
  bytes=$(curl -s -H "Authorization: Bearer $access" "$url" | wc -c)
  end=$(date +%s.%N)
  curl_rates+=("$(python3 -c "print($bytes / ($end - $start))")")
  start=$(date +%s.%N)
  finra_bytes=$(run_finra "$base" "$token" 2>/dev/null | wc -c)
  end=$(date +%s.%N)
  finra_rates+=("$(python3 -c "print($finra_bytes / ($end - $start))")")
  [ "$finra_bytes" = "$bytes" ] || { echo "round $round: finra wrote $finra_bytes bytes, curl got $bytes" >&2; exit 1; }
done
python3 - "${curl_rates[*]}" "${finra_rates[*]}" "$bytes" <<'PY'
import statistics, sys
curl = [float(x) for x in sys.argv[1].split()]
finra = [float(x) for x in sys.argv[2].split()]
size = int(sys.argv[3])
c, f = statistics.median(curl), statistics.median(finra)
print(f"curl (ready access token)  {c / 1e6:8.1f} MB/s  (median of {len(curl)}, {size / 1e6:.1f} MB, process start included)")
print(f"finra traqs download       {f / 1e6:8.1f} MB/s  (median of {len(finra)}; process start and the token exchange included)")
print(f"  finra / curl = {f / c:.2f} (target >= 0.90: {'met' if f >= 0.9 * c else 'MISSED'})")
PY

start_emulator $((full_rows * 10)); big=$started
big_token=$(refresh_token "$big")
rss() { env -i PATH="$PATH" HOME="$work" FINRA_TRAQS_BASE="$1" FINRA_TRAQS_USERNAME="$email" \
  FINRA_TRAQS_REFRESH_TOKEN="$2" /usr/bin/time -f '%M' "$finra" traqs download TRACE CAMASTER 2>&1 >/dev/null | tail -1; }
small_rss=$(rss "$base" "$token")
big_rss=$(rss "$big" "$big_token")
python3 - "$small_rss" "$big_rss" <<'PY'
import sys
small, big = int(sys.argv[1]), int(sys.argv[2])
print(f"peak RSS of finra traqs download: {small / 1024:.1f} MiB for CAMASTER, {big / 1024:.1f} MiB for 10x its rows")
print(f"  ratio {big / small:.2f} (target: within 20 %: {'met' if big <= 1.2 * small else 'MISSED'})")
PY

# A hub in $work/hub-$1 whose tenant holds the refresh token $3 for the emulator at $2; sets
# `hub_url`, `hub_pid` and `session` (a client_credentials session with scope traqs:TRACE).
start_hub() {
  local dir="$work/hub-$1"
  mkdir -p "$dir"
  "$finhub" print-config | sed 's/^listen = .*/listen = "127.0.0.1:0"/' >"$dir/finhub.toml"
  local admin=("$finhub" admin --config "$dir/finhub.toml")
  "${admin[@]}" tenant create --id 1234567 --name Bench --scope traqs:TRACE >/dev/null
  local customer secret
  customer=$("${admin[@]}" customer create --tenant 1234567 --name bench --account-type b2b)
  secret=$(sed -n 's/^customerSecret: //p' <<<"$customer")
  id=$(sed -n 's/^customerId: //p' <<<"$customer")
  printf '%s\n' "$3" | "${admin[@]}" traqs set --tenant 1234567 --username "$email" --base-url "$2" >/dev/null
  FINHUB_RATE_LIMITS__DATA_PER_SESSION_PER_SECOND=100000 \
    FINHUB_RATE_LIMITS__DATA_PER_CUSTOMER_PER_SECOND=100000 \
    "$finhub" serve --config "$dir/finhub.toml" >"$dir/out" 2>/dev/null &
  hub_pid=$!; pids+=("$hub_pid")
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$dir/out"; then break; fi
    sleep 0.05
  done
  hub_url=$(sed -n 's/^listening on //p' "$dir/out")
  [ -n "$hub_url" ] || { echo "the hub did not start" >&2; exit 1; }
  session=$(curl -s "$hub_url/v1/auth/token" -H 'Content-Type: application/json' \
    -H 'sec-ch-ua-platform: Linux' -H 'X-Forwarded-For: 127.0.0.1' -H 'User-Agent: bench' \
    -H 'X-Tenant-ID: 1234567' \
    -d "{\"customerId\":\"$id\",\"customerSecret\":\"$secret\",\"accountType\":\"b2b\",\"grantType\":\"client_credentials\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["userSessionToken"])')
}

start_hub small "$base" "$token"
hub_file="$hub_url/v1/traqs/TRACE/CAMASTER"
# Warm the hub's access token, so both sides start with one.
curl -sf -H "Authorization: Bearer $session" "$hub_file" -o /dev/null
direct_rates=(); hub_rates=()
for round in 1 2 3 4 5; do
  start=$(date +%s.%N)
  bytes=$(curl -s -H "Authorization: Bearer $access" "$url" | wc -c)
  end=$(date +%s.%N)
  direct_rates+=("$(python3 -c "print($bytes / ($end - $start))")")
  start=$(date +%s.%N)
  hub_bytes=$(curl -s -H "Authorization: Bearer $session" "$hub_file" | wc -c)
  end=$(date +%s.%N)
  hub_rates+=("$(python3 -c "print($hub_bytes / ($end - $start))")")
  [ "$hub_bytes" = "$bytes" ] || { echo "round $round: the hub sent $hub_bytes bytes, TRAQS $bytes" >&2; exit 1; }
done
small_hub_rss=$(awk '/VmHWM/ {print $2}' "/proc/$hub_pid/status")
python3 - "${direct_rates[*]}" "${hub_rates[*]}" <<'PY'
import statistics, sys
direct = [float(x) for x in sys.argv[1].split()]
hub = [float(x) for x in sys.argv[2].split()]
d, h = statistics.median(direct), statistics.median(hub)
print(f"curl straight to TRAQS      {d / 1e6:8.1f} MB/s  (median of {len(direct)})")
print(f"curl through the hub        {h / 1e6:8.1f} MB/s  (median of {len(hub)}; session check, scope, audit included)")
print(f"  hub / direct = {h / d:.2f} (target >= 0.80: {'met' if h >= 0.8 * d else 'MISSED'})")
PY

# The hub's peak RSS: a fresh hub serving CAMASTER 10 times its size, beside the one above.
start_hub big "$big" "$big_token"
curl -sf -H "Authorization: Bearer $session" "$hub_url/v1/traqs/TRACE/CAMASTER" -o /dev/null
big_hub_rss=$(awk '/VmHWM/ {print $2}' "/proc/$hub_pid/status")
python3 - "$small_hub_rss" "$big_hub_rss" <<'PY'
import sys
small, big = int(sys.argv[1]), int(sys.argv[2])
print(f"peak RSS of the hub: {small / 1024:.1f} MiB after serving CAMASTER 6 times, {big / 1024:.1f} MiB after 10x its rows once")
print(f"  ratio {big / small:.2f} (target: within 20 %: {'met' if big <= 1.2 * small else 'MISSED'})")
PY
