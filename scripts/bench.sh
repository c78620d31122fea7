#!/usr/bin/env bash
# Builds the benchmark in release (RelWithDebInfo) and runs it: xyp_bench starts its own
# redis-server and engine and prints each figure with the command that reproduces it; the output
# is kept in build/bench/bench-<time>.txt. A full run takes 10-15 minutes on 2 cores.
# Usage: scripts/bench.sh [xyp_bench options], e.g. --only drain --scale 0.1 (see --help)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The peer (tests/bench/peer): BullMQ and XState from npm, installed here, never by the tests.
if [[ ! -d tests/bench/peer/node_modules ]] && command -v npm >/dev/null; then
  (cd tests/bench/peer && npm install --no-audit --no-fund --silent)
fi
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/bench -j"$(nproc)" --target xyp_bench
out="build/bench/bench-$(date +%Y%m%dT%H%M%S).txt"
build/bench/tests/bench/xyp_bench "$@" | tee "$out"
echo
echo "== figures (also in $out)"
grep -E '^(drain|peer|latency|cases|footprint|timers|ceiling|api|cluster):' "$out" || true
