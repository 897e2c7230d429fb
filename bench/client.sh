#!/usr/bin/env bash
# finra client benchmark at emulator --scale full: `finra query … --all --format ndjson` for one
# tier of otcMarket/weeklySummary, with the emulator's throttle at FINRA's 20 req/s (share of the
# cap, 429s) and off (against a plain Python `requests` offset loop and finra-py from PyPI, in the
# same run), and each client's peak memory. Installs `requests` and `finra-py` into
# target/bench-venv (Python 3 with venv needed).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check requests finra-py
export FINRA_BENCH_PYTHON="$PWD/$venv/bin/python"
exec cargo bench -p finra-cli --bench download
