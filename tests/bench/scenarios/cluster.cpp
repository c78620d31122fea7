// cluster: the drain against a Redis Cluster of the bench's own (3 masters, one replica each,
// tests/support/redis_cluster), with 1, 2 .. --cluster-engines engines sharing the partitions;
// and beside it the single-Redis drain of the same lines. docs/scaling.md reads its figures.
#include "bench/scenario_support.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"
#include "support/redis_cluster.hpp"
#include "support/routed_client.hpp"

namespace xyp::bench {
namespace {

const std::string prefix = "cluster";

std::vector<redis::partition_keys> keys_of(std::uint32_t partitions) {
  std::vector<redis::partition_keys> k;
  for (std::uint32_t n = 0; n < partitions; ++n) k.emplace_back(prefix, n);
  return k;
}

// INFO <section> field of one node, as a number (0 when absent).
double info_number(test::routed_client& c, std::uint16_t port, const std::string& section,
                   const std::string& field) {
  const auto text = c.on(port, {"INFO", section}).as_string();
  const auto at = text.find(field + ":");
  return at == std::string::npos ? 0.0 : std::stod(text.substr(at + field.size() + 1));
}

// The partitions' owners from their leases ("<owner id> <epoch>"): owner -> partitions held.
std::map<std::string, std::uint32_t> lease_owners(test::routed_client& c,
                                                  const std::vector<redis::partition_keys>& keys) {
  std::map<std::string, std::uint32_t> owners;
  for (const auto& k : keys) {
    const auto lease = c.command({"GET", k.lease()});
    if (lease.is_string()) ++owners[lease.as_string().substr(0, lease.as_string().find(' '))];
  }
  return owners;
}

// Every partition leased, by `engines` owners, each holding its fair share (N/k or one more).
bool shared_fairly(const std::map<std::string, std::uint32_t>& owners, std::uint32_t partitions,
                   std::uint32_t engines) {
  std::uint32_t held = 0;
  for (const auto& [owner, count] : owners) {
    if (count < partitions / engines || count > (partitions + engines - 1) / engines) return false;
    held += count;
  }
  return owners.size() == engines && held == partitions;
}

// As engine_backlog: every partition's committed position at its stream's last id, every timer
// its simulated clock made due fired.
bool caught_up(test::routed_client& c, const std::vector<redis::partition_keys>& keys) {
  for (const auto& k : keys) {
    const auto stream = c.command({"XINFO", "STREAM", k.events()});
    if (stream.is_error()) return false;
    const auto last = fields_of(stream)["last-generated-id"];
    const auto position = c.command({"HGET", k.state(), "position"});
    if (last != "0-0" && (!position.is_string() || position.as_string() != last)) return false;
    const auto clock = c.command({"HGET", k.state(), "clock"});
    if (!clock.is_nil() &&
        c.command({"ZCOUNT", k.timers(), "-inf", clock.as_string()}).as_integer() > 0) {
      return false;
    }
  }
  return true;
}

// CPU seconds of some processes since construction, and the seconds they were ready to run but
// waited for a core (how much the 2 shared cores held them back).
struct cpu_of {
  std::vector<pid_t> pids;
  std::vector<double> start, waited_start;
  explicit cpu_of(std::vector<pid_t> p) : pids(std::move(p)) {
    for (const auto pid : pids) {
      start.push_back(cpu_seconds(pid).value_or(0));
      waited_start.push_back(run_queue_seconds(pid).value_or(0));
    }
  }
  double waited() const {
    double s = 0;
    for (std::size_t i = 0; i < pids.size(); ++i) {
      s += run_queue_seconds(pids[i]).value_or(0) - waited_start[i];
    }
    return s;
  }
  std::vector<double> used() const {
    std::vector<double> out;
    for (std::size_t i = 0; i < pids.size(); ++i) {
      out.push_back(cpu_seconds(pids[i]).value_or(0) - start[i]);
    }
    return out;
  }
};

double sum(const std::vector<double>& v) {
  double s = 0;
  for (const auto x : v) s += x;
  return s;
}

std::string us(double seconds, double events) {
  return std::to_string(std::llround(1e6 * seconds / events));
}

}  // namespace

void bench_cluster(const bench_context& ctx) {
  const auto& o = ctx.options;
  const auto partitions = o.cluster_partitions;
  const auto count = o.scaled(o.drain_events);
  note("generating " + std::to_string(count) + " events of the realistic mix");
  const auto lines = realistic_lines(ctx.policy, ctx.calendar, count);
  const double events = static_cast<double>(lines.size());

  // The single-Redis drain of the same lines and partition count, for the ratio.
  bench_options single_options = o;
  single_options.partitions = partitions;
  const bench_context single{single_options, ctx.server, ctx.policy,   ctx.calendar,
                             ctx.work,       ctx.self,   ctx.redis_pid};
  note("the single-Redis drain of the same lines, " + std::to_string(partitions) + " partitions");
  const double single_rate = bench_drain(single).events_per_s;

  note("starting a Redis Cluster: 3 masters, one replica each");
  test::redis_cluster cluster;
  test::routed_client c(cluster.port());
  const auto masters = cluster.masters();
  std::vector<pid_t> master_pids, replica_pids;
  for (const auto port : masters) master_pids.push_back(cluster.node_on(port).pid());
  for (const auto port : cluster.ports()) {
    if (std::find(masters.begin(), masters.end(), port) == masters.end()) {
      replica_pids.push_back(cluster.node_on(port).pid());
    }
  }
  for (const auto port : cluster.ports()) {
    // As the bench's own redis-server: no AOF rewrite forked into a run of a few seconds.
    c.on(port, {"CONFIG", "SET", "appendfsync", "everysec"});
    c.on(port, {"CONFIG", "SET", "auto-aof-rewrite-min-size", "1gb"});
  }
  auto appendonly = fields_of(c.on(masters.front(), {"CONFIG", "GET", "appendonly"}));
  const auto keys = keys_of(partitions);
  std::map<std::uint16_t, std::uint32_t> partitions_on;  // master port -> partitions it holds
  for (const auto& k : keys) ++partitions_on[c.port_of(k.events())];
  std::string placement;
  for (const auto port : masters) {
    placement += (placement.empty() ? "" : ", ") + std::to_string(partitions_on[port]);
  }

  std::cout << "cluster: " << cluster.size() << " redis-server nodes (" << masters.size()
            << " masters, one replica each, appendonly " << appendonly["appendonly"]
            << ", appendfsync everysec, auto-aof-rewrite-min-size 1gb), " << partitions
            << " partitions (per master: " << placement << "), " << lines.size()
            << " events of the realistic mix, batch " << o.batch_size
            << ", simulated clock; single Redis, the same lines: " << std::llround(single_rate)
            << " events/s\n";

  for (std::uint32_t engines = 1; engines <= o.cluster_engines; ++engines) {
    for (const auto port : masters) c.on(port, {"FLUSHALL"});
    note(std::to_string(engines) + " engine(s): starting, waiting for the leases to settle");
    std::vector<std::unique_ptr<engine_run>> runs;
    const auto started = monotonic_ns();
    for (std::uint32_t e = 1; e <= engines; ++e) {
      runs.push_back(std::make_unique<engine_run>(
          ctx, "cluster-k" + std::to_string(engines) + "-e" + std::to_string(e),
          clock_mode::simulated, prefix,
          engine_place{cluster.port(), partitions, "engine-" + std::to_string(e)}));
    }
    // Started together, the first engine up takes every partition and hands them over as the
    // others join: the figure is of k engines each serving its share, so the leases settle
    // on the empty streams first, and the events come after.
    auto owners = lease_owners(c, keys);
    while (!shared_fairly(owners, partitions, engines)) {
      for (auto& r : runs) {
        if (!r->running()) throw std::runtime_error("an engine process ended early");
      }
      if (seconds_between(started, monotonic_ns()) > 60) {
        throw std::runtime_error("the leases did not settle in 60 s");
      }
      std::this_thread::sleep_for(20ms);
      owners = lease_owners(c, keys);
    }
    const double settle = seconds_between(started, monotonic_ns());

    for (const auto port : masters) c.on(port, {"CONFIG", "RESETSTAT"});
    std::vector<pid_t> engine_pids;
    for (const auto& r : runs) engine_pids.push_back(r->pid());
    const cpu_of engine_cpu(engine_pids), master_cpu(master_pids), replica_cpu(replica_pids);
    const auto t0 = monotonic_ns();

    // The producer: as `xinyipi submit` through the Cluster, each XADD to its slot's master,
    // one pipeline of at most 1000 per round.
    std::vector<std::vector<std::string>> commands;
    std::vector<std::uint64_t> entries_of(partitions, 0);
    std::uint64_t entries = 0;
    const auto send = [&] {
      for (const auto& r : c.pipeline(commands)) {
        if (r.is_error()) throw std::runtime_error("XADD failed: " + r.error_message());
      }
      entries += commands.size();
      commands.clear();
    };
    for (const auto& line : lines) {
      for (const auto n : route(line, partitions).to) {
        commands.push_back({"XADD", keys[n].events(), "*", "event", line});
        ++entries_of[n];
      }
      if (commands.size() >= 1000) send();
    }
    if (!commands.empty()) send();
    const double preload = seconds_between(t0, monotonic_ns());

    auto next_note = std::chrono::steady_clock::now() + 10s;
    while (!caught_up(c, keys)) {
      for (auto& r : runs) {
        if (!r->running()) throw std::runtime_error("an engine process ended early");
      }
      if (std::chrono::steady_clock::now() >= next_note) {
        note("still draining");
        next_note += 10s;
      }
      std::this_thread::sleep_for(10ms);  // polling other processes' progress
    }
    const auto done = monotonic_ns();
    const double wall = seconds_between(t0, done);
    const auto engine_used = engine_cpu.used(), master_used = master_cpu.used(),
               replica_used = replica_cpu.used();
    const double engine_waited = engine_cpu.waited(), master_waited = master_cpu.waited();

    // What the masters ran, and what went in and out of them (clients, not replication).
    std::map<std::string, double> calls;
    double net_in = 0, net_out = 0, repl_out = 0;
    for (const auto port : masters) {
      for (const auto& s : command_stats(c.on(port, {"INFO", "commandstats"}).as_string())) {
        calls[s.name] += s.calls;
      }
      net_in += info_number(c, port, "stats", "total_net_input_bytes");
      net_out += info_number(c, port, "stats", "total_net_output_bytes");
      repl_out += info_number(c, port, "stats", "total_net_repl_output_bytes");
    }

    std::int64_t first = -1, last = -1;
    std::string shares;
    for (auto& r : runs) {
      const auto stats = r->stop();
      const auto f = stats.at("first_batch_ns").get<std::int64_t>();
      const auto l = stats.at("last_commit_ns").get<std::int64_t>();
      if (f >= 0 && (first < 0 || f < first)) first = f;
      if (l > last) last = l;
      shares += (shares.empty() ? "" : ", ") +
                std::to_string(stats.at("event_units").get<std::uint64_t>() +
                               stats.at("dead_units").get<std::uint64_t>());
    }
    const double took = seconds_between(first, last);
    const double rate = events / took;
    const double engine_s = sum(engine_used), masters_s = sum(master_used);

    std::cout << "cluster: " << engines << " engine(s): " << std::llround(rate) << " events/s ("
              << lines.size() << " events in " << fixed(took, 2)
              << " s, first read of any engine to last commit of any; "
              << fixed(rate / single_rate, 2) << "x the single Redis)\n";
    // The producer runs while the engines read, on the same cores: the figure is the rate of
    // producer and engines together, as in a deployment that submits while it drains.
    std::cout << "  " << entries << " stream entries, pre-loaded in " << fixed(preload, 2)
              << " s while the engines read (pipelined XADD through the Cluster); leases settled "
                 "in "
              << fixed(settle, 2) << " s before; units applied per engine: " << shares << "\n";
    std::string per_master;
    for (std::size_t i = 0; i < masters.size(); ++i) {
      per_master += (i ? ", " : "") + fixed(master_used[i], 2);
    }
    std::cout << "  cpu over " << fixed(wall, 2) << " s (producer start to caught up): engines "
              << fixed(engine_s, 2) << " s, masters " << fixed(masters_s, 2) << " s (" << per_master
              << "), replicas " << fixed(sum(replica_used), 2)
              << " s; ready but waiting for a core: engines " << fixed(engine_waited, 2)
              << " s, masters " << fixed(master_waited, 2) << " s\n";
    std::cout << "  per event: engine " << us(engine_s, events) << " us CPU, redis masters "
              << us(masters_s, events) << " us CPU (the busiest master "
              << us(*std::max_element(master_used.begin(), master_used.end()), events)
              << "), replicas " << us(sum(replica_used), events) << " us; the XADDs included\n";
    // Per partition: the CPU one partition keeps busy while the partitions drain at this rate
    // (CPU seconds / (N x drain seconds)), and its events/s.
    std::cout << "  per partition: " << std::llround(rate / partitions) << " events/s, engine "
              << fixed(100 * engine_s / (partitions * took), 1) << "% of a core, masters "
              << fixed(100 * masters_s / (partitions * took), 1)
              << "% of a core (CPU / (N x drain seconds)); entries per partition";
    for (const auto e : entries_of) std::cout << " " << e;
    std::cout << "\n";
    std::vector<std::pair<double, std::string>> rows;
    for (const auto& [name, n] : calls) rows.emplace_back(n, name + " " + fixed(n / events, 2));
    std::sort(rows.rbegin(), rows.rend());
    std::cout << "  masters' calls per event (INFO commandstats, a Function's or EXEC's commands "
                 "counted in it too): ";
    for (std::size_t i = 0; i < rows.size() && i < 10; ++i) {
      std::cout << (i ? ", " : "") << rows[i].second;
    }
    std::cout << "\n  masters' bytes per event: in " << std::llround(net_in / events) << ", out "
              << std::llround((net_out - repl_out) / events) << " to clients, "
              << std::llround(repl_out / events) << " to replicas (load average " << load_average()
              << ")\n";
    std::string cmd = "xyp_bench --only cluster";
    if (o.scale != 1.0) cmd += " --scale " + fixed(o.scale, 3);
    if (partitions != 6) cmd += " --cluster-partitions " + std::to_string(partitions);
    if (o.cluster_engines != 3) cmd += " --cluster-engines " + std::to_string(o.cluster_engines);
    if (o.batch_size != 256) cmd += " --batch " + std::to_string(o.batch_size);
    std::cout << "  reproduce: " << cmd << "\n";
    std::cout.flush();
  }
}

}  // namespace xyp::bench
