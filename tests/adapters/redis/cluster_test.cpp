// Issue 10 on a real Redis Cluster (3 masters, one replica each, tests/support/redis_cluster):
// engines pointed at one node find the Cluster, serve each partition on the master of its slot,
// and follow the map when a master fails over or a partition's slot moves. Each test ends with
// the crash tests' equalities (crash_rig.hpp): every case, every outbound event once, every dead
// letter as the in-memory replay has them. Also: the router's redirections, and the read side
// (submit, status, the HTTP read routes) against the Cluster.
#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>

#include "adapters/redis/cluster.hpp"
#include "adapters/redis/router.hpp"
#include "crash_rig.hpp"
#include "support/redis_cluster.hpp"

using namespace xyp;
using namespace xyp::test::crash;
using namespace std::chrono_literals;

namespace {

// Runs one coroutine to its end on a fresh io_context.
template <class T>
T run_to_end(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  auto result = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return result.get();
}

// Six partitions: their slots ("0" .. "5") fall on all three masters of a fresh cluster
// (3 on the first slot range's master, 1, 2 and 5 on the second's, 0 and 4 on the third's).
constexpr std::uint32_t cluster_partitions = 6;
constexpr auto cluster_limit = sanitized ? 90s : 30s;

std::uint16_t slot_of_partition(std::uint32_t n) {
  return redis::key_slot(std::to_string(n));
}

// The epoch in partition n's lease ("<owner> <epoch>"), 0 when nobody holds it.
std::uint64_t lease_epoch(blocking_client& client, const std::string& prefix, std::uint32_t n) {
  const auto lease = client.command({"GET", redis::partition_keys(prefix, n).lease()});
  if (!lease.is_string()) return 0;
  return std::stoull(lease.as_string().substr(lease.as_string().rfind(' ') + 1));
}

// Every partition's lease held by one of the running engines.
bool all_held(blocking_client& client, const std::string& prefix) {
  return lease_counts(client, prefix).count(0) == 0;
}

// What the failover and resharding tests share: 4,000 cases (1,000 under the sanitizers) on six
// partitions, replayed in memory, submitted to a fresh Cluster.
struct cluster_run {
  const partition_count six{cluster_partitions};
  setup s;
  std::vector<std::string> lines =
      cli::generate_traffic(s.policy, s.calendar, {.cases = sanitized ? 1'000u : 4'000u});
  memory_runtime reference{s.processor, partitions};
  replayed expected = replay(reference, lines);
  test::redis_cluster cluster;
  rig r;

  explicit cluster_run(const char* what) : r(cluster, prefix_for(cluster, what)) {
    REQUIRE(submit(r.producer_options(), lines) >= lines.size());
  }

  // Two engines serving every partition, a third of the way through the backlog.
  void start_two_engines() {
    r.engine().start("the first of two engines on the cluster");
    r.other().start("the second of two engines on the cluster");
    r.wait_for([&] { return all_held(r.client(), r.prefix()); }, "every partition served",
               cluster_limit);
    r.wait_for_outbound(expected.outbound_total / 3);
  }

  // Every entry committed, both engines stop cleanly with no error logged, and the Cluster holds
  // what the replay made of the lines.
  void finish() {
    r.wait_until_drained();
    for (auto* engine : {&r.engine(), &r.other()}) {
      const auto status = engine->terminate(stop_limit);
      CHECK((status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
      CHECK(log_lines_with(engine->log(), R"("level":"error")") == 0);
    }
    check_same_outcome(r, reference, expected);
  }

  // Lines of both engines' logs with `text`.
  std::size_t logged(const std::string& text) {
    return log_lines_with(r.engine().log(), text) + log_lines_with(r.other().log(), text);
  }
};

}  // namespace

TEST_CASE("the router finds the Cluster and follows MOVED and ASK", "[cluster]") {
  test::redis_cluster cluster;
  // Our slot of a key is Redis's.
  for (const char* key : {"a", "P:{0}:events", "xyp:{5}:c:17", "{user}.x", "foo{}{bar}"}) {
    CHECK(redis::key_slot(key) == cluster.slot_of(key));
  }
  const auto check = [&]() -> boost::asio::awaitable<void> {
    redis::router nodes(co_await boost::asio::this_coro::executor, cluster.node(0).endpoint(),
                        2000ms);
    co_await nodes.connect();
    CHECK(nodes.clustered());
    CHECK(nodes.masters().size() == 3);
    // Keys on every master, written and read back in one pipeline.
    std::vector<std::vector<std::string>> writes, reads;
    for (int i = 0; i < 30; ++i) {
      writes.push_back({"SET", "k" + std::to_string(i), std::to_string(i)});
      reads.push_back({"GET", "k" + std::to_string(i)});
    }
    const auto written = co_await nodes.pipeline(writes);
    for (const auto& r : written) CHECK(r.is_status());
    const auto got = co_await nodes.pipeline(reads);
    for (int i = 0; i < 30; ++i) CHECK(got[i].as_string() == std::to_string(i));
    // A MULTI ... EXEC of one slot goes to its master as a whole.
    std::vector<std::vector<std::string>> tx{
        {"MULTI"}, {"INCR", "{t}:a"}, {"INCR", "{t}:b"}, {"EXEC"}};
    const auto exec = co_await nodes.pipeline(tx);
    CHECK(exec.back().is_array());

    // The slot of k0 moves to another master behind the router's back: MOVED, the map is asked
    // again, and the value is found there.
    const auto slot = redis::key_slot("k0");
    const auto from = cluster.master_of_slot(slot);
    std::uint16_t to = 0;
    for (const auto m : cluster.masters()) {
      if (m != from) to = m;
    }
    cluster.move_slot(slot, to);
    const auto moved = co_await nodes.command(redis::cmd("GET", "k0"));
    CHECK(moved.as_string() == "0");
    const auto after_move = co_await nodes.master_of_slot(slot);
    CHECK(after_move.port == to);
    // Half moved: the slot MIGRATING on its master, k0 already on the importing one. The source
    // answers ASK; the router asks the target with ASKING, once, and keeps its map.
    const auto target_id = cluster.node_id(from);
    const auto source_id = cluster.node_id(to);
    REQUIRE(
        cluster.command(from, {"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", source_id})
            .is_status());
    REQUIRE(
        cluster.command(to, {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", target_id})
            .is_status());
    REQUIRE(cluster
                .command(to, {"MIGRATE", "127.0.0.1", std::to_string(from), "", "0", "5000", "KEYS",
                              "k0"})
                .is_status());
    CHECK(cluster.command(to, {"GET", "k0"}).error_message().rfind("ASK ", 0) == 0);
    const auto asked = co_await nodes.command(redis::cmd("GET", "k0"));
    CHECK(asked.as_string() == "0");
    const auto after_ask = co_await nodes.master_of_slot(slot);
    CHECK(after_ask.port == to);
    nodes.close();
  };
  run_to_end(check());
}

TEST_CASE(
    "on a Redis Cluster three engines share the partitions, one SIGKILLed and another started "
    "later, and nothing is lost or doubled",
    "[cluster][crash][share]") {
  const partition_count six(cluster_partitions);
  setup s;
  // 11,300 cases of the realistic mix are ~50,000 events; a fifth of them under the sanitizers.
  const auto lines =
      cli::generate_traffic(s.policy, s.calendar, {.cases = sanitized ? 2'000u : 11'300u});
  memory_runtime reference(s.processor, partitions);
  const auto expected = replay(reference, lines);
  INFO(lines.size() << " lines, " << expected.outbound_total << " outbound events expected");
  if (!sanitized) REQUIRE(lines.size() >= 50'000);

  test::redis_cluster cluster;
  rig r(cluster, prefix_for(cluster, "cluster-share"));
  REQUIRE(submit(r.producer_options(), lines) >= lines.size());
  // Each partition's stream is on the master of its slot.
  for (std::uint32_t n = 0; n < partitions; ++n) {
    const auto events = redis::partition_keys(r.prefix(), n).events();
    CHECK(cluster.command(cluster.master_of_slot(slot_of_partition(n)), {"XLEN", events})
              .as_integer() > 0);
  }

  r.engine().start("the first of two engines on the cluster");
  r.other().start("the second of two engines on the cluster");
  const pid_t first = r.engine().pid();
  const pid_t second = r.other().pid();
  r.wait_for_split({{first, 3}, {second, 3}}, "the two engines to hold three partitions each",
                   cluster_limit);
  r.wait_for_outbound(expected.outbound_total / 4);

  // One dies mid-run: the other takes all six once its leases lapse.
  r.engine().kill();
  r.wait_for_split({{second, 6}}, "the engine left to hold all six partitions", cluster_limit);
  r.wait_for_outbound(expected.outbound_total / 2);

  // Another starts later and takes its share.
  r.third().start("a third engine, started later");
  const pid_t third = r.third().pid();
  r.wait_for_split({{second, 3}, {third, 3}}, "the two engines to hold three partitions each",
                   cluster_limit);

  // `xinyipi status` reads every master: each partition's node is its slot's master.
  const auto status = status_of(cluster, r.prefix());
  REQUIRE(status.at("partitions").size() == partitions);
  CHECK(status.at("cluster_masters").size() == 3);
  for (std::uint32_t n = 0; n < partitions; ++n) {
    CHECK(status["partitions"][n].at("node") ==
          "127.0.0.1:" + std::to_string(cluster.master_of_slot(slot_of_partition(n))));
  }
  finish_shared_run(r, {&r.other(), &r.third()}, reference, expected);
}

TEST_CASE(
    "on a Redis Cluster a master killed and its replica promoted: the engines follow the new map, "
    "take their partitions again under a new epoch, and the end equals the replay",
    "[cluster][crash][failover]") {
  cluster_run run("cluster-failover");
  auto& cluster = run.cluster;
  auto& r = run.r;
  // What producers wrote is on the replicas before the master dies: a producer that needs its
  // events to survive a failover waits for a replica (docs/operations.md).
  for (const auto m : cluster.masters()) {
    CHECK(cluster.command(m, {"WAIT", "1", "5000"}).as_integer() == 1);
  }
  run.start_two_engines();

  // Partition 0's master dies; its replica takes its slots.
  const auto slot = slot_of_partition(0);
  const auto old_master = cluster.master_of_slot(slot);
  std::map<std::uint32_t, std::uint64_t> epochs_before;
  std::vector<std::uint32_t> moved;
  for (std::uint32_t n = 0; n < partitions; ++n) {
    if (cluster.master_of_slot(slot_of_partition(n)) == old_master) {
      moved.push_back(n);
      epochs_before[n] = lease_epoch(r.client(), r.prefix(), n);
    }
  }
  const auto new_master = cluster.kill_master_of(slot);
  CHECK(new_master != old_master);

  // Each partition of the dead master is served again, under a later epoch, on the new master.
  r.wait_for(
      [&] {
        for (const auto n : moved) {
          if (lease_epoch(r.client(), r.prefix(), n) <= epochs_before[n]) return false;
        }
        return true;
      },
      "the partitions of the dead master taken again under a new epoch", cluster_limit);
  r.wait_until_drained();
  CHECK(run.logged("redis failure: reconnecting") > 0);
  run.finish();
}

TEST_CASE(
    "on a Redis Cluster a partition's slot moved to another master while engines run loses "
    "nothing and doubles nothing",
    "[cluster][crash][reshard]") {
  cluster_run run("cluster-reshard");
  auto& cluster = run.cluster;
  auto& r = run.r;
  run.start_two_engines();

  // Partition 1's slot moves, a few keys at a time, to the master of partition 3 while the
  // engines commit to it: they meet ASK and TRYAGAIN mid-move and MOVED after it.
  const auto slot = slot_of_partition(1);
  const auto from = cluster.master_of_slot(slot);
  const auto to = cluster.master_of_slot(slot_of_partition(3));
  REQUIRE(from != to);
  const auto seen_before = r.progress().seen();
  test::redis_cluster::move_options slowly;
  slowly.keys_per_round = 20;
  cluster.move_slot(slot, to, slowly);
  CHECK(cluster.master_of_slot(slot) == to);
  CHECK(cluster.command(from, {"XLEN", redis::partition_keys(r.prefix(), 1).events()})
            .error_message()
            .rfind("MOVED ", 0) == 0);
  INFO("outbound entries seen when the move began: " << seen_before);
  r.wait_until_drained();
  // The engines met the move (a redirection, a refused transaction, or a Function not started)
  // and followed it.
  CHECK(run.logged("MOVED") + run.logged("ASK") + run.logged("TRYAGAIN") > 0);
  run.finish();
}
