#pragma once
// The HTTP ports over Redis: reads from the case hashes and the indexes the commit script keeps
// (adapters/redis/keys.hpp), writes to the partitions' inbound streams. Nothing here scans every
// case: listings walk one filter's indexes, merged, and check the other filters by member.
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

namespace xyp::http {

// A Redis connection of the HTTP side's own, on its own strand: every call hops onto the strand,
// so sessions on any thread may share it. It connects on first use and again on the first use
// after a drop; a call while it is down fails at once rather than queueing behind a reconnect.
class redis_link {
 public:
  redis_link(boost::asio::any_io_executor executor, redis::endpoint where,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

  // Runs a task on the link's strand once the connection is up; its result comes back to the
  // caller's executor. Make the task with connection(): it is only touched on the strand. Throws
  // redis::error when Redis cannot be reached or does not answer in time.
  template <class T>
  boost::asio::awaitable<T> run(boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(strand_, connected_then(std::move(task)),
                                 boost::asio::use_awaitable);
  }
  redis::connection& connection() { return connection_; }

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
    co_await ensure_connected();
    co_return co_await std::move(task);
  }

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  redis::endpoint where_;
  std::chrono::milliseconds timeout_;
  redis::connection connection_;
  bool connecting_ = false;
  bool ever_connected_ = false;
  std::function<void()> on_reconnect_;
};

struct redis_read_options {
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

class redis_case_queries final : public case_queries {
 public:
  redis_case_queries(redis_link& link, redis_read_options options);

  boost::asio::awaitable<std::vector<case_record>> get_case(std::string case_id) override;
  boost::asio::awaitable<case_page> list_cases(case_filter filter) override;
  boost::asio::awaitable<std::vector<open_escalation>> escalations(std::string level,
                                                                   std::size_t limit) override;
  boost::asio::awaitable<ledger_result> ledger(ledger_query query) override;
  boost::asio::awaitable<dashboard_summary> summary(std::size_t list_limit) override;
  boost::asio::awaitable<applied_cases> cases_applied(applied_window window) override;

 private:
  redis_link& link_;
  redis_read_options options_;
};

// XADDs each event to its partition's `events` stream, field `event`; clock.advance to every
// partition (CONTRACT.md).
class redis_event_sink final : public event_sink {
 public:
  redis_event_sink(redis_link& link, std::string prefix, std::uint32_t partitions);
  boost::asio::awaitable<submission> submit(inbound_event event, std::string raw) override;

 private:
  redis_link& link_;
  std::string prefix_;
  std::uint32_t partitions_;
};

// PING, then per partition the consumer group's lag and pending count, the armed timers, and the
// open escalations by level. Never throws: an unreachable store is a status.
boost::asio::awaitable<store_status> probe_status(redis_link& link, std::string prefix,
                                                  std::uint32_t partitions);

// probe_status as the server's status_probe.
status_probe make_redis_status_probe(redis_link& link, std::string prefix,
                                     std::uint32_t partitions);

// A case record as stored (engine/case_codec); nothing when the text is not one.
std::optional<case_record> decode_case_doc(std::string_view doc);

}  // namespace xyp::http
