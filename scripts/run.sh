#!/usr/bin/env bash
# The main job on its embedded default: installs what is missing, builds, starts a private
# redis-server on loopback (AOF on, data under var/redis, emptied at each start), starts the engine with the Shilong
# profile and the simulated clock, submits the sample day, shows the outbound events arriving and
# a summary, and keeps the engine (and its dashboard) running until Ctrl-C stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
port=${XYP_REDIS_PORT:-6390}
http=${XYP_HTTP:-127.0.0.1:8080}
profile=${XYP_PROFILE:-config/profiles/shilong.json}

scripts/install-deps.sh
scripts/build.sh release
bin=build/release/adapters/cli/xinyipi

if redis-cli -p "$port" ping >/dev/null 2>&1; then
  echo "port $port is taken: set XYP_REDIS_PORT to a free port" >&2
  exit 1
fi
# The demonstration starts afresh each run: the sample day is submitted again, and a Redis kept
# from an earlier version of the engine would be refused for its older key layout.
rm -rf var/redis
mkdir -p var/redis
redis-server --port "$port" --bind 127.0.0.1 --dir "$root/var/redis" --appendonly yes \
  --appendfsync everysec --save "" --maxmemory-policy noeviction --daemonize no \
  --logfile "$root/var/redis/redis.log" &
redis_pid=$!
engine_pid=
cleanup() {
  trap - INT TERM EXIT
  [[ -n "$engine_pid" ]] && kill -TERM "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null
  redis-cli -p "$port" shutdown >/dev/null 2>&1 || kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  echo "stopped the engine and redis-server"
}
trap cleanup INT TERM EXIT
for _ in $(seq 1 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

redis="redis://127.0.0.1:$port"
"$bin" run --redis "$redis" --profile "$profile" --clock simulated \
  --http "$http" --tokens config/tokens.example.json --demo-tokens &
engine_pid=$!

"$bin" submit --redis "$redis" config/samples/day.jsonl
echo "--- outbound events as they arrive (P:{0}:out)"
"$bin" watch --redis "$redis" --idle-exit 3000
echo "--- summary"
"$bin" status --redis "$redis"
echo "dashboard: http://$http/  (demo tokens: viewer-demo-token, supervisor-demo-token; all in config/tokens.example.json)"
echo "the engine keeps running; Ctrl-C stops it and redis-server"
wait "$engine_pid"
