#!/usr/bin/env bash
# The dashboard's browser test, start to end: builds the engine with its HTTP server, starts a
# redis-server and the engine on free loopback ports, posts a scripted set of events through the
# API, and drives the dashboard in Debian's Chromium (never a downloaded browser). Exits non-zero
# on any failure. Screenshots: $BUILD_DIR/browser-artifacts/, and docs/dashboard.png.
#
# Needs: scripts/install-deps.sh --browser (chromium, node, npm). Environment:
#   BUILD_DIR   CMake build directory (default: <repo>/build; configured when missing)
#   CHROMIUM    browser binary (default: /usr/bin/chromium)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$repo/build}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

for tool in node npm redis-server redis-cli curl cmake; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (scripts/install-deps.sh --browser)" >&2; exit 1; }
done
[[ -x "$chromium" ]] || { echo "run.sh: no browser at $chromium (scripts/install-deps.sh --browser)" >&2; exit 1; }

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
target=xinyipi
engine="$build/adapters/cli/xinyipi"
cmake --build "$build" -j2 --target "$target" >/dev/null

# playwright-core from the npm registry; it drives the system Chromium and downloads nothing.
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/xyp-browser-XXXXXX")"
redis_pid=""
engine_pid=""
# SIGTERM, up to 10 s for a clean exit, then SIGKILL: a hung shutdown must not hang the test.
stop() {
  local pid="$1" name="$2"
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: $name did not exit within 10 s of SIGTERM; killed" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$engine_pid" engine
  stop "$redis_pid" redis-server
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();})"
}
token() { node -e "console.log(require('crypto').randomBytes(24).toString('hex'))"; }

redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no \
  --daemonize no --logfile "$work/redis.log" &
redis_pid=$!
for _ in $(seq 1 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null

viewer="$(token)"; clerk="$(token)"; supervisor="$(token)"; credit="$(token)"
cat >"$work/tokens.json" <<EOF
{"tokens": [
  {"token": "$viewer", "role": "viewer", "name": "hall screen"},
  {"token": "$clerk", "role": "clerk", "name": "window 3", "id": "clerk-07"},
  {"token": "$supervisor", "role": "supervisor", "name": "duty supervisor"},
  {"token": "$credit", "role": "credit_platform", "name": "public credit platform"}
]}
EOF

http_port="$(free_port)"
"$engine" run --redis "redis://127.0.0.1:$redis_port" --partitions 2 --clock simulated \
  --http "127.0.0.1:$http_port" --tokens "$work/tokens.json" 2>"$work/engine.log" &
engine_pid=$!
base="http://127.0.0.1:$http_port"
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$engine_pid" 2>/dev/null || { cat "$work/engine.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || { echo "run.sh: the engine did not start" >&2; cat "$work/engine.log" >&2; exit 1; }

artifacts="$build/browser-artifacts"
mkdir -p "$artifacts" "$repo/docs"
status=0
(cd "$here" && XYP_URL="$base" XYP_TOKEN_VIEWER="$viewer" \
  XYP_TOKEN_CLERK="$clerk" XYP_TOKEN_SUPERVISOR="$supervisor" XYP_TOKEN_CREDIT="$credit" XYP_CHROMIUM="$chromium" \
  XYP_ARTIFACTS="$artifacts" XYP_DOCS_SCREENSHOT="$repo/docs/dashboard.png" \
  node --test --test-reporter=spec dashboard.test.mjs) || status=$?
cp "$work/engine.log" "$artifacts/engine.log" 2>/dev/null || true
if [[ $status -ne 0 ]]; then
  echo "run.sh: the browser test failed; engine log: $artifacts/engine.log" >&2
fi
exit $status
