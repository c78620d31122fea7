#pragma once
// The read model: the HTTP ports (adapters/http/ports.hpp) over Redis. Reads from the case hashes
// and the indexes the commit script keeps (adapters/redis/keys.hpp), writes to the partitions'
// inbound streams. Nothing here scans every case: listings walk one filter's indexes, merged, and
// check the other filters by member.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/http/ports.hpp"
#include "adapters/redis/connection.hpp"
#include "adapters/redis/router.hpp"

namespace xyp::redis {

// The HTTP side's own way to Redis, on its own strand: every call hops onto the strand, so
// sessions on any thread may share it. A router (adapters/redis/router): one connection to a
// single Redis, or one per master of a Redis Cluster. It connects on first use and again on the
// first use after a drop; a call while it is down fails at once rather than queueing behind a
// reconnect.
class read_link {
 public:
  read_link(boost::asio::any_io_executor executor, endpoint where,
            std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

  // Runs a task on the link's strand once the connection is up; its result comes back to the
  // caller's executor. Make the task with nodes(): it is only touched on the strand. Throws
  // http::store_unavailable (the port's error, the reason in its text) when Redis cannot be
  // reached, does not answer in time, or answers what this code does not read.
  template <class T>
  boost::asio::awaitable<T> run(boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(strand_, connected_then(std::move(task)),
                                 boost::asio::use_awaitable);
  }
  redis::router& nodes() { return nodes_; }

  // Drops the connection (thread-safe). An open connection keeps its io_context busy, so a
  // process ending its loop by running out of work closes the link once the server has stopped.
  void close();

  std::chrono::milliseconds timeout() const { return timeout_; }
  // Called on the strand each time a connection is made after the first.
  void on_reconnect(std::function<void()> callback) { on_reconnect_ = std::move(callback); }

 private:
  boost::asio::awaitable<void> ensure_connected();
  template <class T>
  boost::asio::awaitable<T> connected_then(boost::asio::awaitable<T> task) {
    // The port's callers see the port's error only: what went wrong with Redis stays in the text.
    std::string failure;
    try {
      co_await ensure_connected();
      co_return co_await std::move(task);
    } catch (const error& e) {
      failure = e.what();
    }
    throw http::store_unavailable(failure);
  }

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  endpoint where_;
  std::chrono::milliseconds timeout_;
  redis::router nodes_;
  bool connecting_ = false;
  bool ever_connected_ = false;
  std::function<void()> on_reconnect_;
};

struct read_options {
  std::string prefix = "xyp";
  std::uint32_t partitions = 1;
  // The matter catalogue's departments, each with the codes of its matters (from the profile). A
  // department has no index of its own: the dashboard counts its cases, and the department filter
  // lists them, from its matters' indexes. A department not named here has no cases to list.
  struct department {
    std::string name;
    std::vector<std::string> matters;
  };
  std::vector<department> departments;
  // Index members examined per partition for one listing page with several filters; a page that
  // hits it comes back short, with a cursor to go on from.
  std::size_t scan_budget = 4096;
};

class read_model final : public http::case_queries {
 public:
  read_model(read_link& link, read_options options);

  boost::asio::awaitable<std::vector<case_record>> get_case(std::string case_id) override;
  boost::asio::awaitable<http::case_page> list_cases(http::case_filter filter) override;
  boost::asio::awaitable<std::vector<http::open_escalation>> escalations(
      std::optional<escalation_level> level, std::size_t limit) override;
  boost::asio::awaitable<http::ledger_result> ledger(http::ledger_query query) override;
  boost::asio::awaitable<http::dashboard_summary> summary(std::size_t list_limit) override;
  boost::asio::awaitable<http::applied_cases> cases_applied(http::applied_window window) override;

 private:
  read_link& link_;
  read_options options_;
};

// XADDs each event to its partition's `events` stream, field `event`; clock.advance to every
// partition (CONTRACT.md).
class stream_sink final : public http::event_sink {
 public:
  stream_sink(read_link& link, std::string prefix, std::uint32_t partitions);
  boost::asio::awaitable<http::submission> submit(inbound_event event, std::string raw) override;

 private:
  read_link& link_;
  std::string prefix_;
  std::uint32_t partitions_;
};

// PING, then per partition the consumer group's lag and pending count, the armed timers, and the
// open escalations by level. Never throws: an unreachable store is a status.
boost::asio::awaitable<http::store_status> probe_status(read_link& link, std::string prefix,
                                                        std::uint32_t partitions);

// probe_status as the server's http::status_probe.
http::status_probe make_status_probe(read_link& link, std::string prefix, std::uint32_t partitions);

// A case record as stored (engine/domain/case_codec); nothing when the text is not one.
std::optional<case_record> decode_case_doc(std::string_view doc);

}  // namespace xyp::redis
