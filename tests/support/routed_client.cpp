#include "support/routed_client.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

namespace xyp::test {

namespace {

bool named(const std::vector<std::string>& args, std::string_view name) {
  if (args.empty() || args[0].size() != name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if ((args[0][i] | 0x20) != (name[i] | 0x20)) return false;
  }
  return true;
}

constexpr int max_sends = 20;

}  // namespace

routed_client::routed_client(std::uint16_t seed_port, std::chrono::milliseconds io_timeout)
    : seed_(seed_port), io_timeout_(io_timeout) {
  const auto info = node(seed_).command({"INFO", "cluster"});
  clustered_ = info.is_string() && redis::cluster_enabled(info.as_string());
  if (clustered_) refresh();
}

redis_client& routed_client::node(std::uint16_t port) {
  auto& client = nodes_[port];
  if (!client) client = std::make_unique<redis_client>(port, io_timeout_);
  return *client;
}

void routed_client::refresh() {
  // Any live node will do: the seed, then the masters of the last map.
  std::vector<std::uint16_t> ports{seed_};
  if (map_) {
    for (const auto& m : map_->masters()) ports.push_back(m.port);
  }
  std::string failures;
  for (const auto port : ports) {
    try {
      const auto slots = node(port).command({"CLUSTER", "SLOTS"});
      auto map = redis::slot_map::from_cluster_slots(slots, "127.0.0.1");
      if (!map.complete()) {
        failures += " " + std::to_string(port) + ": slots not all served;";
        continue;
      }
      map_ = std::move(map);
      return;
    } catch (const std::exception& e) {
      nodes_.erase(port);
      failures += " " + std::to_string(port) + ": " + e.what() + ";";
    }
  }
  throw std::runtime_error("routed_client: no node gave a complete slot map:" + failures);
}

std::uint16_t routed_client::port_of(const std::string& key) {
  if (!clustered_) return seed_;
  return map_->master_of(redis::key_slot(key))->port;
}

std::vector<std::uint16_t> routed_client::master_ports() const {
  if (!clustered_) return {seed_};
  std::vector<std::uint16_t> ports;
  for (const auto& m : map_->masters()) ports.push_back(m.port);
  return ports;
}

redis::reply routed_client::on(std::uint16_t port, const std::vector<std::string>& args) {
  return node(port).command(args);
}

std::uint16_t routed_client::route(const std::vector<std::string>& args) {
  if (!clustered_) return seed_;
  const auto key = redis::routing_key(args);
  if (!key) return seed_;
  return map_->master_of(redis::key_slot(*key))->port;
}

redis::reply routed_client::command(const std::vector<std::string>& args) {
  if (clustered_ && (named(args, "XREAD"))) return cluster_xread(args);
  return pipeline({args}).front();
}

redis::reply routed_client::cluster_xread(const std::vector<std::string>& args) {
  // XREAD [COUNT n] [BLOCK ms] STREAMS k1 .. kn id1 .. idn
  std::vector<std::string> head;
  std::optional<std::string> block;
  std::size_t at = 1;
  for (; at < args.size(); ++at) {
    if (named({args[at]}, "STREAMS")) break;
    if (named({args[at]}, "BLOCK") && at + 1 < args.size()) {
      block = args[++at];
      continue;
    }
    head.push_back(args[at]);
  }
  const std::size_t streams = (args.size() - at - 1) / 2;
  std::vector<std::vector<std::string>> reads;
  for (std::size_t i = 0; i < streams; ++i) {
    std::vector<std::string> read{"XREAD"};
    read.insert(read.end(), head.begin(), head.end());
    read.insert(read.end(), {"STREAMS", args[at + 1 + i], args[at + 1 + streams + i]});
    reads.push_back(std::move(read));
  }
  std::vector<redis::reply> found;
  for (auto& r : pipeline(reads)) {
    if (r.is_error()) return r;
    if (r.is_array()) found.insert(found.end(), r.elements().begin(), r.elements().end());
  }
  if (!found.empty() || !block || reads.empty()) {
    return found.empty() ? redis::reply() : redis::reply::make_array(std::move(found));
  }
  // Nothing yet: wait on the first stream for as long as the caller would have.
  auto wait = reads.front();
  wait.insert(wait.begin() + 1, {"BLOCK", *block});
  return pipeline({wait}).front();
}

std::vector<redis::reply> routed_client::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (!clustered_) return node(seed_).pipeline(commands);
  std::vector<redis::reply> replies(commands.size());
  std::vector<std::size_t> pending(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) pending[i] = i;
  for (int send = 1; !pending.empty(); ++send) {
    std::map<std::uint16_t, std::vector<std::size_t>> by_node;
    for (const auto i : pending) by_node[route(commands[i])].push_back(i);
    std::vector<std::size_t> again;
    bool stale = false;
    for (const auto& [port, indexes] : by_node) {
      std::vector<std::vector<std::string>> batch;
      for (const auto i : indexes) batch.push_back(commands[i]);
      std::vector<redis::reply> got;
      try {
        got = node(port).pipeline(batch);
      } catch (const std::runtime_error&) {
        // A master gone (a failover): ask the map again and send its commands again.
        nodes_.erase(port);
        if (send == max_sends) throw;
        stale = true;
        again.insert(again.end(), indexes.begin(), indexes.end());
        continue;
      }
      for (std::size_t k = 0; k < indexes.size(); ++k) {
        const bool moved = redis::redirection_of(got[k]).has_value() || redis::retry_later(got[k]);
        if (moved && send < max_sends) {
          stale = true;
          again.push_back(indexes[k]);
        }
        replies[indexes[k]] = std::move(got[k]);
      }
    }
    pending = std::move(again);
    if (!pending.empty()) {
      // The Cluster is moving (a failover, a slot on its way): give it a moment, longer each time.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50 * send, 500)));
    }
    if (stale) {
      try {
        refresh();
      } catch (const std::runtime_error&) {
        if (send == max_sends) throw;
      }
    }
  }
  return replies;
}

}  // namespace xyp::test
