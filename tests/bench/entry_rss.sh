#!/usr/bin/env bash
# The engine's peak memory (VmHWM) while it drains a stream of large entries: the figure behind
# "Big entries" in docs/benchmarks.md. Not a test (it polls with sleeps); run by hand.
# Usage: tests/bench/entry_rss.sh [ENTRIES_OF_1MiB=256] [ENTRIES_OF_10MiB=0] [BATCH=256]
set -euo pipefail
cd "$(dirname "$0")/../.."
max=${1:-256}
over=${2:-0}
batch=${3:-256}
bin=build/release/adapters/cli/xinyipi
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
  --daemonize yes --logfile "$dir/redis.log" >/dev/null
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
# Valid credit reports padded to exactly 1 MiB (the default limit) and 10 MiB (over it).
python3 - "$max" "$over" "$port" <<'PY'
import json, socket, sys
nmax, nover, port = map(int, sys.argv[1:4])
s = socket.create_connection(("127.0.0.1", port))
def command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
def entry(i, size):
    doc = {"id": "big-%d" % i, "type": "credit.update", "applicant_id": "11010519491231002X",
           "at": "2026-11-23T09:00:00+08:00", "data": {"grade": "AAA", "source": ""}}
    doc["data"]["source"] = "x" * (size - len(json.dumps(doc, separators=(",", ":"))))
    return json.dumps(doc, separators=(",", ":")).encode()
sizes = [1 << 20] * nmax + [10 << 20] * nover
for i, size in enumerate(sizes):
    s.sendall(command("XADD", "xyp:{0}:events", "*", "event", entry(i, size)))
got = b""
while got.count(b"\r\n") < len(sizes):
    got += s.recv(1 << 20)
PY
"$bin" run --redis "redis://127.0.0.1:$port" --clock simulated --batch "$batch" \
  --log-level warn 2>"$dir/engine.log" &
engine=$!
total=$((max + over))
for _ in $(seq 1 600); do
  sleep 0.2
  read_so_far=$(redis-cli -p "$port" XINFO GROUPS 'xyp:{0}:events' 2>/dev/null |
    sed -n '/entries-read/{n;p}')
  pending=$(redis-cli -p "$port" XPENDING 'xyp:{0}:events' engine 2>/dev/null | head -1)
  if [ "${read_so_far:-0}" = "$total" ] && [ "${pending:-1}" = "0" ]; then break; fi
done
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$engine/status")
kill "$engine"
wait "$engine" || true
echo "entries: $max of 1 MiB, $over of 10 MiB; batch $batch; dead letters:" \
  "$(redis-cli -p "$port" XLEN 'xyp:{0}:dead'); engine VmHWM: $((hwm / 1024)) MB"
