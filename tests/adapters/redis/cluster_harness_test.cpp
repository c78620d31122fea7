// The Redis Cluster harness itself, on a real cluster: it forms, routes as Redis says, fails a
// master over and moves a slot by hand. The engine's cluster tests stand on these.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/redis_client.hpp"
#include "support/redis_cluster.hpp"

namespace {

using xyp::redis::reply;
using xyp::test::redis_client;
using xyp::test::redis_cluster;

// The value of `field` in an INFO or CLUSTER INFO text.
std::string info_field(const reply& text, const std::string& field) {
  const auto& s = text.as_string();
  const auto at = s.find(field + ":");
  if (at == std::string::npos) return "";
  const auto begin = at + field.size() + 1;
  return s.substr(begin, s.find_first_of("\r\n", begin) - begin);
}

std::string redirect(const char* kind, int slot, std::uint16_t port) {
  return std::string(kind) + " " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(port);
}

std::uint16_t other_master(const redis_cluster& cluster, std::uint16_t than) {
  for (const auto port : cluster.masters()) {
    if (port != than) return port;
  }
  FAIL("the cluster has a single master");
  return 0;
}

}  // namespace

TEST_CASE("the cluster harness forms 3 masters with a replica each, and fails a master over",
          "[cluster]") {
  redis_cluster cluster;

  REQUIRE(cluster.size() == 6);
  REQUIRE(cluster.masters().size() == 3);
  for (const auto port : cluster.ports()) {
    INFO("node 127.0.0.1:" << port);
    REQUIRE(cluster.node_on(port).running());
    REQUIRE(cluster.node_on(port).pid() > 0);
    const auto info = cluster.command(port, {"CLUSTER", "INFO"});
    CHECK(info_field(info, "cluster_state") == "ok");
    CHECK(info_field(info, "cluster_slots_assigned") == "16384");
    CHECK(info_field(info, "cluster_known_nodes") == "6");
    CHECK(info_field(info, "cluster_size") == "3");
  }
  // As a redis_target (where the tests take one server), it names a running node.
  const xyp::test::redis_target& target = cluster;
  CHECK(target.port() == cluster.node(0).port());
  CHECK(target.url() == "redis://127.0.0.1:" + std::to_string(target.port()));
  CHECK(target.endpoint().port == target.port());
  CHECK(std::filesystem::is_directory(target.dir()));

  // Redis's own slots: the specification's CRC16 check value, and a hash tag.
  CHECK(cluster.slot_of("123456789") == 12739);
  CHECK(cluster.slot_of("{xyp:7}:case:A-1") == cluster.slot_of("xyp:7"));

  // Written on the master of its slot, read back there; any other master redirects.
  // Slot 3739: redis-cli gives it to the first node, so the failover also takes port() away
  // from the node it named.
  const std::string key = "{failover}:kept";
  const int slot = cluster.slot_of(key);
  const auto master = cluster.master_of_slot(slot);
  REQUIRE(cluster.command(master, {"SET", key, "kept"}) == reply::make_status("OK"));
  REQUIRE(cluster.command(master, {"GET", key}) == reply::make_string("kept"));
  const auto wrong = cluster.command(other_master(cluster, master), {"SET", key, "lost"});
  REQUIRE(wrong.is_error());
  CHECK(wrong.error_message() == redirect("MOVED", slot, master));
  // The replica has the write before its master dies (replication is asynchronous).
  REQUIRE(cluster.command(master, {"WAIT", "1", "5000"}) == reply::make_integer(1));

  const auto promoted = cluster.kill_master_of(slot);
  CHECK(promoted != master);
  CHECK_FALSE(cluster.node_on(master).running());
  CHECK(cluster.node_on(master).pid() == -1);
  CHECK(cluster.master_of_slot(slot) == promoted);
  const auto masters = cluster.masters();
  CHECK(masters.size() == 3);
  CHECK(std::find(masters.begin(), masters.end(), master) == masters.end());
  CHECK(cluster.node_on(cluster.port()).running());
  CHECK(cluster.command(promoted, {"GET", key}) == reply::make_string("kept"));
  CHECK(cluster.command(promoted, {"SET", key, "after"}) == reply::make_status("OK"));
  const auto stale = cluster.command(other_master(cluster, promoted), {"GET", key});
  REQUIRE(stale.is_error());
  CHECK(stale.error_message() == redirect("MOVED", slot, promoted));

  // The killed master comes back as a replica of the one that replaced it, with its data.
  cluster.restart(master);
  REQUIRE(cluster.node_on(master).running());
  const auto role = cluster.command(master, {"INFO", "replication"});
  CHECK(info_field(role, "role") == "slave");
  CHECK(info_field(role, "master_port") == std::to_string(promoted));
  CHECK(cluster.master_of_slot(slot) == promoted);
  REQUIRE(cluster.command(promoted, {"WAIT", "1", "5000"}) == reply::make_integer(1));
  redis_client replica(master);
  const auto read = replica.pipeline({{"READONLY"}, {"GET", key}});
  CHECK(read.at(1) == reply::make_string("after"));
}

TEST_CASE("the cluster harness moves one slot and its keys to another master", "[cluster]") {
  redis_cluster cluster;

  const int slot = cluster.slot_of("{moving}");
  const auto source = cluster.master_of_slot(slot);
  const auto target = other_master(cluster, source);
  constexpr int key_count = 250;
  const auto key = [](int i) { return "{moving}:" + std::to_string(i); };
  {
    redis_client writer(source);
    std::vector<std::vector<std::string>> sets;
    for (int i = 0; i < key_count; ++i) sets.push_back({"SET", key(i), "v" + std::to_string(i)});
    for (const auto& answer : writer.pipeline(sets)) REQUIRE(answer == reply::make_status("OK"));
  }

  // Half-way through, each key is on one side: the source answers for the keys it still has and
  // sends the others (and new keys) to the target with ASK; the target answers them only after
  // ASKING, and sends a plain request back to the owner it still knows.
  std::vector<std::size_t> rounds;
  bool written_mid_move = false;
  redis_cluster::move_options how;
  how.keys_per_round = 50;
  how.between_rounds = [&](std::size_t moved) {
    rounds.push_back(moved);
    if (moved != 50) return;
    redis_client at_source(source);
    redis_client at_target(target);
    int asked = 0;
    for (int i = 0; i < key_count; ++i) {
      const auto answer = at_source.command({"GET", key(i)});
      if (answer.is_error()) {
        INFO(key(i));
        REQUIRE(answer.error_message() == redirect("ASK", slot, target));
        ++asked;
        const auto there = at_target.pipeline({{"ASKING"}, {"GET", key(i)}});
        CHECK(there.at(1) == reply::make_string("v" + std::to_string(i)));
        const auto plain = at_target.command({"GET", key(i)});
        REQUIRE(plain.is_error());
        CHECK(plain.error_message() == redirect("MOVED", slot, source));
      } else {
        CHECK(answer == reply::make_string("v" + std::to_string(i)));
      }
    }
    CHECK(asked == 50);
    const auto fresh = at_source.command({"SET", "{moving}:new", "mid-move"});
    REQUIRE(fresh.is_error());
    CHECK(fresh.error_message() == redirect("ASK", slot, target));
    const auto written = at_target.pipeline({{"ASKING"}, {"SET", "{moving}:new", "mid-move"}});
    written_mid_move = written.at(1) == reply::make_status("OK");
  };
  cluster.move_slot(slot, target, how);

  const std::vector<std::size_t> expected_rounds = {0, 50, 100, 150, 200, 250};
  CHECK(rounds == expected_rounds);
  CHECK(written_mid_move);
  CHECK(cluster.master_of_slot(slot) == target);
  for (const auto port : cluster.ports()) {
    INFO("node 127.0.0.1:" << port);
    const auto info = cluster.command(port, {"CLUSTER", "INFO"});
    CHECK(info_field(info, "cluster_state") == "ok");
  }
  CHECK(cluster.command(target, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}) ==
        reply::make_integer(key_count + 1));
  CHECK(cluster.command(source, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}) ==
        reply::make_integer(0));
  redis_client at_target(target);
  for (int i = 0; i < key_count; ++i) {
    INFO(key(i));
    REQUIRE(at_target.command({"GET", key(i)}) == reply::make_string("v" + std::to_string(i)));
  }
  CHECK(at_target.command({"GET", "{moving}:new"}) == reply::make_string("mid-move"));
  const auto moved_away = cluster.command(source, {"GET", key(0)});
  REQUIRE(moved_away.is_error());
  CHECK(moved_away.error_message() == redirect("MOVED", slot, target));
}
