#!/usr/bin/env bash
# Scale-out on one machine, to watch: installs what is missing, builds, starts a Redis Cluster on
# loopback (3 masters with one replica each, AOF on, data under var/cluster, emptied at each
# start), two engines sharing 6 partitions (the first also serves the dashboard), submits the
# sample day and prints who owns which partition. Kill one engine with kill -9 and watch the other
# take its partitions over in `status`. Ctrl-C stops everything it started.
# Ports: XYP_CLUSTER_PORT (default 7000) to +5 for the nodes, each +10000 for the cluster bus.
# Usage: scripts/cluster.sh [--cluster-only]   (--cluster-only: no build, no engines; the cluster
# alone until Ctrl-C, to point engines or redis-cli at)
set -euo pipefail
cluster_only=false
case "${1:-}" in
  "") ;;
  --cluster-only) cluster_only=true ;;
  *) echo "usage: scripts/cluster.sh [--cluster-only]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
root=$(pwd)
base=${XYP_CLUSTER_PORT:-7000}
http=${XYP_HTTP:-127.0.0.1:8080}
profile=${XYP_PROFILE:-config/profiles/shilong.json}
partitions=6
ports=()
for i in 0 1 2 3 4 5; do ports+=($((base + i))); done

if ((base < 1024 || base + 5 + 10000 > 65535)); then
  echo "XYP_CLUSTER_PORT=$base: the nodes take it to +5 and the bus +10000; pick 1024..55530" >&2
  exit 2
fi
for port in "${ports[@]}"; do
  for p in "$port" $((port + 10000)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "port $p is taken: set XYP_CLUSTER_PORT to a free range (7000..7005 and 17000..17005 by default)" >&2
      exit 1
    fi
  done
done

scripts/install-deps.sh
$cluster_only || scripts/build.sh release
bin=build/release/adapters/cli/xinyipi

# Afresh each run: a cluster's nodes.conf and data from an earlier run would not match the new
# nodes, and the sample day is submitted again.
rm -rf var/cluster
mkdir -p var/cluster
node_pids=()
engine_pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${engine_pids[@]}"; do
    if kill -TERM "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  done
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped the engines and the cluster's redis-servers"
}
trap cleanup INT TERM EXIT

for port in "${ports[@]}"; do
  dir="$root/var/cluster/$port"
  mkdir -p "$dir"
  # cluster-node-timeout 2000: a killed master is replaced within a few seconds.
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --cluster-enabled yes \
    --cluster-config-file nodes.conf --cluster-node-timeout 2000 --appendonly yes \
    --appendfsync everysec --save "" --maxmemory-policy noeviction --repl-diskless-sync-delay 0 \
    --daemonize no --logfile "$dir/redis.log" &
  node_pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
done
nodes=()
for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes \
  >var/cluster/create.log 2>&1 || {
  cat var/cluster/create.log >&2
  exit 1
}
# Ready when every node says cluster_state:ok and sees the three replicas (a node can say ok
# before redis-cli's CLUSTER REPLICATE has reached it).
echo -n "waiting for the cluster"
ready=false
for _ in $(seq 1 100); do
  ok=0
  for port in "${ports[@]}"; do
    info=$(redis-cli -p "$port" cluster info 2>/dev/null || true)
    replicas=$(redis-cli -p "$port" cluster nodes 2>/dev/null | grep -c slave || true)
    [[ $info == *cluster_state:ok* && $replicas == 3 ]] && ok=$((ok + 1))
  done
  if ((ok == ${#ports[@]})); then
    ready=true
    break
  fi
  echo -n "."
  sleep 0.2
done
if ! $ready; then
  echo " not ready after 20 s; the nodes' logs are under var/cluster/*/redis.log" >&2
  exit 1
fi
echo " ok"
redis-cli -p "$base" cluster nodes | awk '{print "  " $2, $3, $9}' | sed 's/@[0-9]*//' | sort -t: -k2,2n
if $cluster_only; then
  echo "redis-server pids by port:$(for i in "${!ports[@]}"; do printf ' %s:%s' "${ports[$i]}" "${node_pids[$i]}"; done)"
  echo "the cluster keeps running (any node: redis://127.0.0.1:$base); Ctrl-C stops it"
  wait "${node_pids[@]}" || true
  exit 0
fi

# The engines discover the cluster from any node's URL.
redis="redis://127.0.0.1:$base"
"$bin" run --redis "$redis" --partitions "$partitions" --clock simulated --profile "$profile" \
  --consumer engine-a --http "$http" --tokens config/tokens.example.json --demo-tokens \
  >var/cluster/engine-a.log 2>&1 &
engine_pids+=($!)
engine_a=$!
"$bin" run --redis "$redis" --partitions "$partitions" --clock simulated --profile "$profile" \
  --consumer engine-b >var/cluster/engine-b.log 2>&1 &
engine_pids+=($!)
engine_b=$!

"$bin" submit --redis "$redis" --partitions "$partitions" config/samples/day.jsonl
sleep 3  # the engines share the partitions out in their first sharing rounds
echo "--- status (owner, epoch and lag of each partition)"
"$bin" status --redis "$redis" --partitions "$partitions"
cat <<EOF

engine-a: pid $engine_a (dashboard http://$http/, demo tokens in config/tokens.example.json)
engine-b: pid $engine_b
logs: var/cluster/engine-a.log, var/cluster/engine-b.log, var/cluster/<port>/redis.log

Try, in another terminal:
  watch -n1 $bin status --redis $redis --partitions $partitions
  kill -9 $engine_b      # its partitions go to engine-a once their leases lapse (within ~10 s)
  redis-cli -p $base cluster nodes   # which node is master of which slots
  kill -9 <a master's pid>             # its replica takes its slots over within a few seconds
redis-server pids by port:$(for i in "${!ports[@]}"; do printf ' %s:%s' "${ports[$i]}" "${node_pids[$i]}"; done)
Ctrl-C here stops the engines and the cluster.
EOF
wait "${engine_pids[@]}" || true
