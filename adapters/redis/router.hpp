#pragma once
// Commands to one Redis or to a Redis Cluster, routed by their keys: the client side of the
// Cluster that the engine's short commands need (the sharing round, submit, the read routes,
// status). It finds out which of the two it was pointed at (INFO cluster on the seed), and in a
// Cluster keeps the slot map (CLUSTER SLOTS) and one connection per master, shared by every
// command for the slots that master serves.
//
// The partition loops do not come here: their reads block and their commits WATCH, both state
// of one connection, so each loop keeps a connection of its own to its slot's master
// (master_of_slot) and reconnects, asking the map again, when a redirection or a failure says the
// slot moved.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "adapters/redis/cluster.hpp"
#include "adapters/redis/connection.hpp"

namespace xyp::redis {

// Owned by one executor (a strand, or an io_context run by one thread), as a connection is.
class router {
 public:
  router(boost::asio::any_io_executor executor, endpoint seed,
         std::chrono::milliseconds connect_timeout);
  ~router();
  router(const router&) = delete;
  router& operator=(const router&) = delete;

  // Connects to the seed and asks whether it is a Cluster node; in a Cluster, loads the slot map.
  // Again after close() or a lost seed. Throws like connection::connect, or unexpected_reply when
  // a Cluster node answers CLUSTER SLOTS with no map.
  boost::asio::awaitable<void> connect();
  // Connected to the seed (one Redis), or holding a slot map (a Cluster): until close(), or until
  // a failure dropped the one connection of a single Redis.
  bool connected() const noexcept;
  bool clustered() const noexcept { return clustered_; }

  // The calls below connect on first use; after close(), only connect() opens the router again
  // (until then they fail with connection_lost, as a closed connection's calls do).

  // One command, sent to the master of its key's slot (a keyless one to the seed, or in a Cluster
  // to the first master). MOVED refreshes the map and sends it again; ASK sends ASKING and the
  // command to the node named, once; TRYAGAIN and CLUSTERDOWN wait (25 ms, doubling) and send it
  // again, up to 8 sends in all, after which the last error reply is returned as a reply. A lost
  // connection throws as connection::command does (the map is asked again at the next call).
  boost::asio::awaitable<reply> command(
      std::vector<std::string> args,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Commands in one round trip per master, replies in the commands' order. A MULTI ... EXEC run
  // goes to one node as a whole (routed by its first key) and is sent again as a whole.
  // Redirections as command().
  boost::asio::awaitable<std::vector<reply>> pipeline(
      std::vector<std::vector<std::string>> commands,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Runs `task` with a connection to every master (the seed alone when not a Cluster), one after
  // another: for what each master must have (the Function library) or holds only its share of
  // (SCAN, memory, configuration).
  boost::asio::awaitable<void> for_each_master(
      std::function<boost::asio::awaitable<void>(connection&)> task);

  // The master serving the slot (the seed when not a Cluster), the map refreshed first when a
  // redirection or a failure made it stale.
  boost::asio::awaitable<endpoint> master_of_slot(std::uint16_t slot);
  // The masters of the last map (the seed alone when not a Cluster).
  std::vector<endpoint> masters() const;

  void close() noexcept;

 private:
  struct unit;
  boost::asio::awaitable<void> ensure_connected();
  boost::asio::awaitable<connection*> link(const endpoint& where);
  boost::asio::awaitable<void> refresh();
  boost::asio::awaitable<void> route(std::vector<std::vector<std::string>>& commands,
                                     std::vector<reply>& replies,
                                     std::optional<std::chrono::milliseconds> timeout);
  endpoint keyless_node() const;
  void lost(const endpoint& where) noexcept;

  boost::asio::any_io_executor executor_;
  endpoint seed_;
  std::chrono::milliseconds timeout_;
  bool clustered_ = false;
  bool discovered_ = false;
  bool closed_ = false;  // close()d after a connect(): only connect() opens it again
  bool stale_ = false;
  slot_map map_;
  std::map<std::string, std::unique_ptr<connection>> links_;  // "host:port" -> its connection
  std::set<std::string> connecting_;                          // links being connected
};

// A Cluster's slot map, asked of the first of `nodes` that answers (each with its own short-lived
// connection): for a partition loop finding its slot's master, without sharing a router with
// others. Nothing when no node answers or `nodes` is not a Cluster.
boost::asio::awaitable<std::optional<slot_map>> ask_slot_map(std::vector<endpoint> nodes,
                                                             std::chrono::milliseconds timeout);

}  // namespace xyp::redis
