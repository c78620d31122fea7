// The Cluster client's pure parts (adapters/redis/cluster.hpp): the key hash and hash tags as the
// Cluster specification gives them, which key a command is routed by, the slot map read from a
// CLUSTER SLOTS reply, and what a redirection says. No Redis: the routing against a real Cluster
// is in cluster_test.cpp.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "adapters/redis/cluster.hpp"
#include "adapters/redis/keys.hpp"

namespace {

using namespace xyp::redis;

reply range(std::int64_t first, std::int64_t last, std::string host, std::int64_t port) {
  std::vector<reply> master{reply::make_string(std::move(host)), reply::make_integer(port),
                            reply::make_string("id")};
  return reply::make_array({reply::make_integer(first), reply::make_integer(last),
                            reply::make_array(std::move(master))});
}

}  // namespace

TEST_CASE("The key hash is the specification's CRC16 and its slots", "[cluster]") {
  // The specification's check value, and slots Redis's documentation gives for CLUSTER KEYSLOT.
  CHECK(crc16("123456789") == 0x31C3);
  CHECK(crc16("") == 0);
  CHECK(key_slot("somekey") == 11058);
  CHECK(key_slot("foo") == 12182);
  CHECK(key_slot("foo{hash_tag}") == 2515);
  CHECK(key_slot("bar{hash_tag}") == 2515);
}

TEST_CASE("A hash tag is the first braces with something between them", "[cluster]") {
  CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
  CHECK(key_slot("foo{bar}{zap}") == key_slot("bar"));
  CHECK(key_slot("foo{{bar}}zap") == key_slot("{bar"));
  // Empty braces are no tag: the whole key is hashed.
  CHECK(key_slot("foo{}{bar}") == crc16("foo{}{bar}") % cluster_slots);
  CHECK(key_slot("foo{bar") == crc16("foo{bar") % cluster_slots);
  // Every key of a partition is in the slot of its number.
  const partition_keys keys("xyp", 5);
  CHECK(key_slot(keys.events()) == key_slot("5"));
  CHECK(key_slot(keys.case_key("SL-2026-000001")) == key_slot("5"));
  CHECK(key_slot(keys.lease()) == key_slot(keys.state()));
  CHECK(key_slot(partition_keys("xyp", 6).events()) != key_slot(keys.events()));
}

TEST_CASE("A command is routed by the key it acts on", "[cluster]") {
  using args = std::vector<std::string>;
  CHECK(routing_key(args{"GET", "k"}) == "k");
  CHECK(routing_key(args{"hget", "h", "f"}) == "h");
  CHECK(routing_key(args{"FCALL", "xyp_member", "1", "P:engines", "e1"}) == "P:engines");
  CHECK(routing_key(args{"FCALL", "f", "0", "arg"}) == std::nullopt);
  CHECK(routing_key(args{"XREADGROUP", "GROUP", "g", "c", "COUNT", "5", "STREAMS", "s", ">"}) ==
        "s");
  CHECK(routing_key(args{"XREAD", "COUNT", "1000", "streams", "s1", "0"}) == "s1");
  CHECK(routing_key(args{"XINFO", "GROUPS", "P:{0}:events"}) == "P:{0}:events");
  CHECK(routing_key(args{"MEMORY", "USAGE", "k"}) == "k");
  for (const char* keyless : {"PING", "MULTI", "EXEC", "TIME", "INFO"}) {
    CHECK(routing_key(args{keyless}) == std::nullopt);
  }
  CHECK(routing_key(args{"SCAN", "0", "MATCH", "x*"}) == std::nullopt);
  CHECK(routing_key(args{"FUNCTION", "LOAD", "REPLACE", "code"}) == std::nullopt);
  CHECK(routing_key(args{"CONFIG", "GET", "appendonly"}) == std::nullopt);
}

TEST_CASE("The slot map is read from CLUSTER SLOTS", "[cluster]") {
  const auto slots =
      reply::make_array({range(0, 5460, "127.0.0.1", 7000), range(5461, 10922, "127.0.0.1", 7001),
                         range(10923, 16383, "", 7002)});
  auto map = slot_map::from_cluster_slots(slots, "10.0.0.9");
  CHECK(map.complete());
  CHECK(map.master_of(0)->port == 7000);
  CHECK(map.master_of(5460)->port == 7000);
  CHECK(map.master_of(5461)->port == 7001);
  // A master announced without an address is on the host that was asked.
  CHECK(map.master_of(16383)->host == "10.0.0.9");
  REQUIRE(map.masters().size() == 3);
  CHECK(map.masters()[1].port == 7001);
  // A MOVED redirection moves one slot.
  map.assign(5461, endpoint{"127.0.0.1", 7000});
  CHECK(map.master_of(5461)->port == 7000);
  CHECK(map.master_of(5462)->port == 7001);

  const auto partial = slot_map::from_cluster_slots(
      reply::make_array({range(0, 100, "127.0.0.1", 7000)}), "127.0.0.1");
  CHECK_FALSE(partial.complete());
  CHECK_FALSE(partial.master_of(101).has_value());

  CHECK_THROWS_AS(slot_map::from_cluster_slots(reply::make_error("ERR no cluster"), "h"), error);
  CHECK_THROWS_AS(slot_map::from_cluster_slots(reply::make_array({range(0, 16384, "h", 1)}), "h"),
                  error);
  CHECK_THROWS_AS(slot_map::from_cluster_slots(reply::make_array({range(10, 5, "h", 1)}), "h"),
                  error);
  CHECK_THROWS_AS(slot_map::from_cluster_slots(reply::make_array({range(0, 5, "h", 70000)}), "h"),
                  error);
}

TEST_CASE("A redirection says where to, and which errors mean try again", "[cluster]") {
  const auto moved = redirection_of(reply::make_error("MOVED 3999 127.0.0.1:6381"));
  REQUIRE(moved);
  CHECK(moved->how == redirection::kind::moved);
  CHECK(moved->slot == 3999);
  CHECK(moved->to.host == "127.0.0.1");
  CHECK(moved->to.port == 6381);
  const auto ask = redirection_of(reply::make_error("ASK 12 ::1:7002"));
  REQUIRE(ask);
  CHECK(ask->how == redirection::kind::ask);
  CHECK(ask->to.host == "::1");
  CHECK(ask->to.port == 7002);
  const auto hostless = redirection_of(reply::make_error("MOVED 1 :7003"));
  REQUIRE(hostless);
  CHECK(hostless->to.host.empty());
  CHECK_FALSE(redirection_of(reply::make_error("MOVED 16384 127.0.0.1:1")));
  CHECK_FALSE(redirection_of(reply::make_error("MOVED x 127.0.0.1:1")));
  CHECK_FALSE(redirection_of(reply::make_error("MOVED 1 127.0.0.1")));
  CHECK_FALSE(redirection_of(reply::make_error("ERR MOVED 1 127.0.0.1:1")));
  CHECK_FALSE(redirection_of(reply::make_string("MOVED 1 127.0.0.1:1")));

  CHECK(retry_later(reply::make_error("TRYAGAIN Multiple keys request during rehashing of slot")));
  CHECK(retry_later(reply::make_error("CLUSTERDOWN The cluster is down")));
  CHECK_FALSE(retry_later(reply::make_error("ERR unknown command")));
  CHECK_FALSE(retry_later(reply::make_status("OK")));

  CHECK(cluster_enabled("# Cluster\r\ncluster_enabled:1\r\n"));
  CHECK_FALSE(cluster_enabled("# Cluster\r\ncluster_enabled:0\r\n"));
}
