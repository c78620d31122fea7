#pragma once
// A Redis Cluster of the test's own: 3 masters with one replica each (by default), real
// redis-server processes on free loopback ports, one temporary directory, joined by
// `redis-cli --cluster create`. Failover and resharding are driven by hand so a test can kill a
// master or move one slot while engines run. As a redis_target it stands where the tests take one
// server (the crash rig): port(), url() and endpoint() name a running node, from which the engine
// discovers the rest. Not thread-safe; one test owns it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/redis/redis_url.hpp"
#include "adapters/redis/reply.hpp"
#include "support/redis_server.hpp"

namespace xyp::test {

class redis_cluster final : public redis_target {
 public:
  static constexpr int slot_count = 16384;

  struct options {
    int masters = 3;
    int replicas_per_master = 1;
    // cluster-node-timeout: a master unreachable this long is failed over; short by default so a
    // failover takes a few seconds.
    std::chrono::milliseconds node_timeout{1000};
    // How long the cluster may take to form, fail over or settle after a move.
    std::chrono::milliseconds settle_limit{20000};
  };

  // How move_slot migrates the keys: `keys_per_round` per MIGRATE. While the slot is half moved
  // (MIGRATING on the source, IMPORTING on the target), before the first round and after each,
  // move_slot sleeps `pause` and calls `between_rounds(keys moved so far)`: a test lets its
  // engines run there into ASK and TRYAGAIN.
  struct move_options {
    std::size_t keys_per_round = 100;
    std::chrono::milliseconds pause{0};
    std::function<void(std::size_t moved)> between_rounds;
  };

  // Starts the nodes, creates the cluster and waits until every node reports cluster_state:ok,
  // the same masters for all 16384 slots and its replicas attached. Throws std::runtime_error
  // (with the nodes' log tails) when it does not within settle_limit.
  redis_cluster();
  explicit redis_cluster(options opts);
  ~redis_cluster();
  redis_cluster(const redis_cluster&) = delete;
  redis_cluster& operator=(const redis_cluster&) = delete;

  // Every node, in the order they were started (redis-cli made the first `masters` of them the
  // masters; a failover changes that); each has port(), url(), endpoint(), pid(), running().
  std::size_t size() const noexcept { return nodes_.size(); }
  const redis_server& node(std::size_t index) const { return *nodes_.at(index).server; }
  const redis_server& node_on(std::uint16_t port) const;
  std::vector<std::uint16_t> ports() const;

  // The first running node (the first node when none runs): what an engine or a client is given.
  std::uint16_t port() const noexcept override;
  std::string url() const override;  // "redis://127.0.0.1:P" of port()
  redis::endpoint endpoint() const override;
  // The cluster's directory: one subdirectory per node, redis-cli's output, and room for the
  // test's own files.
  const std::filesystem::path& dir() const noexcept override { return dir_; }

  // The masters serving slots now, by port (ascending), from CLUSTER SLOTS of a running node.
  std::vector<std::uint16_t> masters() const;
  // The port of the master serving `slot`, as a running node sees it.
  std::uint16_t master_of_slot(int slot) const;
  // CLUSTER KEYSLOT on a running node: Redis's own answer, to check ours against.
  int slot_of(std::string_view key) const;
  // The node's id in the cluster (CLUSTER MYID).
  std::string node_id(std::uint16_t port) const;
  // One command on the node at `port`; an error reply (MOVED, ASK...) is returned as a reply.
  redis::reply command(std::uint16_t port, const std::vector<std::string>& args) const;

  // SIGKILLs the master serving `slot`, waits until a replica has been promoted and every running
  // node agrees on the map again with cluster_state:ok, and returns the new master's port.
  std::uint16_t kill_master_of(int slot);
  // Starts a stopped node again on its port and directory (its nodes.conf): a killed master comes
  // back as a replica of the one that replaced it. Waits until it is attached and agrees.
  void restart(std::uint16_t port);

  // Moves `slot` (and its keys) to the master at `to_port` by hand: SETSLOT IMPORTING on the
  // target, MIGRATING on the source, GETKEYSINSLOT + MIGRATE rounds, SETSLOT NODE on target,
  // source and the other masters; then waits until every running node agrees.
  void move_slot(int slot, std::uint16_t to_port);
  void move_slot(int slot, std::uint16_t to_port, const move_options& how);

  // The last lines of every node's log and of redis-cli's output.
  std::string log_tail(std::size_t lines = 20) const override;

 private:
  struct member {
    std::unique_ptr<redis_server> server;
    std::uint16_t bus_port = 0;
  };

  member start_node(std::uint16_t port, std::uint16_t bus_port) const;
  void create();
  // Polls `check` (which returns "" when satisfied, else why not) until it is satisfied or the
  // settle limit passes, then throws with `what`, the last reason and the log tails.
  void wait_for(const std::string& what, const std::function<std::string()>& check) const;
  // "" when every running node reports cluster_state:ok and the same slot owners covering all
  // slots (and, with `replicas`, that many replicas per master), else the first disagreement.
  std::string disagreement(int replicas) const;
  std::uint16_t any_running_port() const;
  member& member_on(std::uint16_t port);
  [[noreturn]] void fail(const std::string& what) const;

  options options_;
  std::filesystem::path dir_;
  std::vector<member> nodes_;
};

}  // namespace xyp::test
