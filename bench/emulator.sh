#!/usr/bin/env bash
# Emulator benchmark at --scale full: 5 000-row JSON pages (filtered and an unfiltered paged scan)
# against a serde_json-only baseline measured in the same run, and the emulator's memory.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p finra-emulator --bench emulator
