#pragma once
// The tests' blocking client for a Redis or a Redis Cluster, the same to its callers: pointed at
// any node, it finds out which (INFO cluster) and in a Cluster sends each command to the master of
// its key's slot (adapters/redis/cluster: the engine's own slot and routing rules), one
// redis_client per master. MOVED and a lost master refresh the slot map and send again; so the
// tests' checks read a Cluster across failovers and resharding as they read one Redis.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/cluster.hpp"
#include "adapters/redis/reply.hpp"
#include "support/redis_client.hpp"

namespace xyp::test {

class routed_client {
 public:
  // io_timeout bounds every read and write, as redis_client's.
  explicit routed_client(std::uint16_t seed_port,
                         std::chrono::milliseconds io_timeout = std::chrono::seconds(30));

  bool clustered() const noexcept { return clustered_; }

  // One command to its key's master (a keyless one to the seed). In a Cluster an XREAD of
  // several streams is read stream by stream (one XREAD may name one slot only): without waiting
  // when one has entries, otherwise waiting up to its BLOCK on the first stream alone.
  redis::reply command(const std::vector<std::string>& args);
  // Replies in the commands' order; in a Cluster one pipeline per master.
  std::vector<redis::reply> pipeline(const std::vector<std::vector<std::string>>& commands);

  // The port of the master serving the key (the seed's when not a Cluster).
  std::uint16_t port_of(const std::string& key);
  // The masters' ports (the seed's alone when not a Cluster), and one command on one of them,
  // for what each holds its own of (INFO).
  std::vector<std::uint16_t> master_ports() const;
  redis::reply on(std::uint16_t port, const std::vector<std::string>& args);

 private:
  redis_client& node(std::uint16_t port);
  void refresh();
  std::uint16_t route(const std::vector<std::string>& args);
  redis::reply cluster_xread(const std::vector<std::string>& args);

  std::uint16_t seed_;
  std::chrono::milliseconds io_timeout_;
  bool clustered_ = false;
  std::optional<redis::slot_map> map_;
  std::map<std::uint16_t, std::unique_ptr<redis_client>> nodes_;
};

}  // namespace xyp::test
