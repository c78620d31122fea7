#include "adapters/redis/router.hpp"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace xyp::redis {

namespace asio = boost::asio;

namespace {

std::string address(const endpoint& where) {
  return where.host + ":" + std::to_string(where.port);
}

bool same(const endpoint& a, const endpoint& b) {
  return a.host == b.host && a.port == b.port;
}

bool is(const std::vector<std::string>& args, std::string_view name) {
  return !args.empty() && args[0].size() == name.size() &&
         std::equal(name.begin(), name.end(), args[0].begin(),
                    [](char a, char b) { return (a | 0x20) == (b | 0x20); });
}

constexpr int max_sends = 8;

asio::awaitable<void> pause(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

// Commands that go to one node together: one command, or a MULTI ... EXEC run.
struct router::unit {
  std::size_t first = 0, count = 1;
  std::optional<std::uint16_t> slot;  // of its first keyed command; none: any node
  std::optional<endpoint> ask;        // sent with ASKING to this node (an ASK redirection)
  bool asked = false;                 // already sent once after an ASK
};

router::router(asio::any_io_executor executor, endpoint seed,
               std::chrono::milliseconds connect_timeout)
    : executor_(std::move(executor)), seed_(std::move(seed)), timeout_(connect_timeout) {}

router::~router() = default;

bool router::connected() const noexcept {
  if (!discovered_) return false;
  if (clustered_) return true;
  const auto it = links_.find(address(seed_));
  return it != links_.end() && it->second->connected();
}

void router::close() noexcept {
  // The connections stay (closed): a call on its way may still hold one.
  for (auto& [name, conn] : links_) conn->close();
  closed_ = discovered_ || closed_;
  discovered_ = false;
  clustered_ = false;
}

void router::lost(const endpoint& where) noexcept {
  if (const auto it = links_.find(address(where)); it != links_.end()) it->second->close();
  stale_ = true;
}

asio::awaitable<connection*> router::link(const endpoint& where) {
  // A pipeline on its way across several masters when the router closed stops at the next one.
  if (closed_) {
    throw error(errc::connection_lost, "the connection to redis " + address(where) + " was closed");
  }
  auto& slot = links_[address(where)];
  if (!slot) slot = std::make_unique<connection>(executor_);
  connection& conn = *slot;
  if (conn.connected()) co_return &conn;
  // Another call on the same executor may be connecting it: that one finishes, this one fails
  // rather than replace the connection under it.
  const auto name = address(where);
  if (connecting_.contains(name)) {
    throw error(errc::connection_lost, "redis " + name + " is being connected");
  }
  connecting_.insert(name);
  try {
    co_await conn.connect(where, timeout_);
  } catch (...) {
    connecting_.erase(name);
    throw;
  }
  connecting_.erase(name);
  co_return &conn;
}

asio::awaitable<void> router::ensure_connected() {
  if (discovered_) co_return;
  // Connected on first use; after close() only by connect(), as a connection: a call that was on
  // its way when the router closed fails rather than open it again behind the closer's back.
  if (closed_) {
    throw error(errc::connection_lost, "the connection to redis " + address(seed_) + " was closed");
  }
  co_await connect();
}

asio::awaitable<void> router::connect() {
  close();
  closed_ = false;
  // The seed, or after it (a seed that was a Cluster's master may have died) the masters of the
  // map an earlier connect() found.
  std::vector<endpoint> candidates{seed_};
  for (const auto& m : map_.masters()) {
    if (!same(m, seed_)) candidates.push_back(m);
  }
  std::optional<error> first_failure;
  for (const auto& where : candidates) {
    try {
      connection& node = *co_await link(where);
      const auto info = co_await node.command(cmd("INFO", "cluster"), timeout_);
      const bool cluster = info.is_string() && cluster_enabled(info.as_string());
      if (!cluster && !same(where, seed_)) continue;  // only the seed may be a single Redis
      if (cluster) {
        const auto slots = co_await node.command(cmd("CLUSTER", "SLOTS"), timeout_);
        map_ = slot_map::from_cluster_slots(slots, where.host);
      }
      clustered_ = cluster;
      stale_ = false;
      discovered_ = true;
      co_return;
    } catch (const error& e) {
      lost(where);
      if (!first_failure) first_failure = e;
    }
  }
  throw first_failure.value_or(
      error(errc::connect_failed,
            "no node of the Redis Cluster at " + address(seed_) + " answered as a Cluster node"));
}

asio::awaitable<void> router::refresh() {
  // Any node that answers will do: the masters of the old map first (one may be gone after a
  // failover), then the seed.
  auto nodes = map_.masters();
  nodes.push_back(seed_);
  auto fresh = co_await ask_slot_map(std::move(nodes), timeout_);
  if (!fresh) {
    throw error(errc::connect_failed,
                "no node of the Redis Cluster at " + address(seed_) + " answered CLUSTER SLOTS");
  }
  map_ = std::move(*fresh);
  stale_ = false;
}

endpoint router::keyless_node() const {
  if (!clustered_) return seed_;
  const auto masters = map_.masters();
  return masters.empty() ? seed_ : masters.front();
}

asio::awaitable<endpoint> router::master_of_slot(std::uint16_t slot) {
  co_await ensure_connected();
  if (!clustered_) co_return seed_;
  if (stale_) co_await refresh();
  if (auto master = map_.master_of(slot)) co_return *master;
  co_await refresh();
  if (auto master = map_.master_of(slot)) co_return *master;
  throw error(errc::unexpected_reply, "no master of the Redis Cluster at " + address(seed_) +
                                          " serves slot " + std::to_string(slot));
}

std::vector<endpoint> router::masters() const {
  if (!clustered_) return {seed_};
  return map_.masters();
}

asio::awaitable<reply> router::command(std::vector<std::string> args,
                                       std::optional<std::chrono::milliseconds> timeout) {
  std::vector<std::vector<std::string>> one;
  one.push_back(std::move(args));
  auto replies = co_await pipeline(std::move(one), timeout);
  co_return std::move(replies.front());
}

asio::awaitable<std::vector<reply>> router::pipeline(
    std::vector<std::vector<std::string>> commands,
    std::optional<std::chrono::milliseconds> timeout) {
  co_await ensure_connected();
  if (!clustered_) {
    connection& conn = *co_await link(seed_);
    co_return co_await conn.pipeline(std::move(commands), timeout);
  }
  std::vector<reply> replies(commands.size());
  co_await route(commands, replies, timeout);
  co_return replies;
}

asio::awaitable<void> router::route(std::vector<std::vector<std::string>>& commands,
                                    std::vector<reply>& replies,
                                    std::optional<std::chrono::milliseconds> timeout) {
  std::vector<unit> pending;
  for (std::size_t i = 0; i < commands.size();) {
    unit u;
    u.first = i;
    if (is(commands[i], "MULTI")) {
      while (i + u.count < commands.size() && !is(commands[i + u.count - 1], "EXEC")) ++u.count;
    }
    for (std::size_t j = u.first; j < u.first + u.count && !u.slot; ++j) {
      if (const auto key = routing_key(commands[j])) u.slot = key_slot(*key);
    }
    pending.push_back(u);
    i += u.count;
  }
  auto wait = std::chrono::milliseconds{25};
  for (int send = 1; !pending.empty(); ++send) {
    if (stale_) co_await refresh();
    // Each node's units in one pipeline, ASKING before each unit redirected by ASK.
    std::map<std::string, std::pair<endpoint, std::vector<std::size_t>>> by_node;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const auto& u = pending[k];
      endpoint to = keyless_node();
      if (u.ask) {
        to = *u.ask;
      } else if (u.slot) {
        const auto master = map_.master_of(*u.slot);
        if (!master) {
          throw error(errc::unexpected_reply, "no master of the Redis Cluster at " +
                                                  address(seed_) + " serves slot " +
                                                  std::to_string(*u.slot));
        }
        to = *master;
      }
      auto& entry = by_node[address(to)];
      entry.first = to;
      entry.second.push_back(k);
    }
    std::vector<unit> again;
    bool later = false;
    for (auto& [name, node] : by_node) {
      std::vector<std::vector<std::string>> batch;
      for (const auto k : node.second) {
        const auto& u = pending[k];
        if (u.ask) batch.push_back(cmd("ASKING"));
        for (std::size_t j = u.first; j < u.first + u.count; ++j) batch.push_back(commands[j]);
      }
      std::vector<reply> got;
      try {
        connection& conn = *co_await link(node.first);
        got = co_await conn.pipeline(std::move(batch), timeout);
      } catch (const error&) {
        lost(node.first);
        throw;
      }
      std::size_t at = 0;
      for (const auto k : node.second) {
        auto u = pending[k];
        if (u.ask) ++at;  // ASKING's OK
        std::optional<redirection> redirected;
        bool retry = false;
        for (std::size_t j = 0; j < u.count; ++j) {
          auto& r = got.at(at + j);
          if (!redirected) redirected = redirection_of(r);
          retry = retry || retry_later(r);
          replies[u.first + j] = std::move(r);
        }
        at += u.count;
        if (send == max_sends) continue;  // the last error replies stand
        if (redirected && redirected->how == redirection::kind::moved) {
          if (redirected->to.host.empty()) redirected->to.host = seed_.host;
          map_.assign(redirected->slot, redirected->to);
          stale_ = true;
          u.ask.reset();
          again.push_back(u);
        } else if (redirected && !u.asked) {
          if (redirected->to.host.empty()) redirected->to.host = seed_.host;
          u.ask = redirected->to;
          u.asked = true;
          again.push_back(u);
        } else if (retry) {
          u.ask.reset();
          later = true;
          again.push_back(u);
        }
      }
    }
    pending = std::move(again);
    if (later && !pending.empty()) {
      co_await pause(wait);
      wait = std::min(wait * 2, std::chrono::milliseconds{1000});
    }
  }
}

asio::awaitable<void> router::for_each_master(
    std::function<asio::awaitable<void>(connection&)> task) {
  co_await ensure_connected();
  if (clustered_ && stale_) co_await refresh();
  for (const auto& where : masters()) {
    try {
      connection& conn = *co_await link(where);
      co_await task(conn);
    } catch (const error&) {
      lost(where);
      throw;
    }
  }
}

asio::awaitable<std::optional<slot_map>> ask_slot_map(std::vector<endpoint> nodes,
                                                      std::chrono::milliseconds timeout) {
  const auto executor = co_await asio::this_coro::executor;
  for (const auto& where : nodes) {
    connection conn(executor);
    try {
      co_await conn.connect(where, timeout);
      const auto slots = co_await conn.command(cmd("CLUSTER", "SLOTS"), timeout);
      if (slots.is_error()) continue;
      auto map = slot_map::from_cluster_slots(slots, where.host);
      if (map.masters().empty()) continue;
      co_return map;
    } catch (const error&) {
    }
  }
  co_return std::nullopt;
}

}  // namespace xyp::redis
