#pragma once
// Reads beside writes: a short-lived cache in front of the back office's store reads, so that
// many clients polling the same listing cost Redis (and the engine that commits to it) one read
// per ttl, not one per request. Back-office listings tolerate that staleness (docs/operations.md).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/http/ports.hpp"

namespace xyp::http {

struct read_cache_options {
  // How long an answer is served again for the same read; zero or less: no cache.
  std::chrono::milliseconds ttl{500};
  // Distinct reads of one kind kept at once; past it (once the stale ones are gone) a new read
  // is not kept, only passed through.
  std::size_t max_entries = 256;
};

using steady_now = std::function<std::chrono::steady_clock::time_point()>;

namespace detail {

// Answers of one kind by key. An answer younger than the ttl is served again; a read of a key
// whose read is under way waits for that read instead of reading again. Failures are not kept:
// the waiters get the same exception and the next request reads again. One thread only.
template <class T>
class answer_table {
 public:
  answer_table(const read_cache_options& options, const steady_now& now)
      : options_(options), now_(now) {}

  // `read` is lazy (an asio awaitable starts when awaited): it is dropped unstarted on a hit.
  boost::asio::awaitable<T> get(std::string key, boost::asio::awaitable<T> read) {
    if (options_.ttl <= std::chrono::milliseconds::zero()) co_return co_await std::move(read);
    if (const auto found = entries_.find(key); found != entries_.end()) {
      if (found->second.value && now_() < found->second.fresh_until) co_return *found->second.value;
      if (auto f = found->second.flight) {
        boost::system::error_code ignored;
        co_await f->done.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
        if (f->failure) std::rethrow_exception(f->failure);
        co_return *f->value;
      }
    } else if (!make_room()) {
      co_return co_await std::move(read);
    }
    auto f = std::make_shared<read_under_way>(co_await boost::asio::this_coro::executor);
    entries_[key].flight = f;
    std::optional<T> value;
    try {
      value.emplace(co_await std::move(read));
    } catch (...) {
      f->failure = std::current_exception();
    }
    // Looked up again: the map may have changed while the read was under way.
    auto& e = entries_[key];
    e.flight.reset();
    if (value) {
      e.value = *value;
      e.fresh_until = now_() + options_.ttl;
      f->value = e.value;
    } else {
      entries_.erase(key);
    }
    f->done.cancel();
    if (f->failure) std::rethrow_exception(f->failure);
    co_return std::move(*value);
  }

 private:
  struct read_under_way {
    explicit read_under_way(boost::asio::any_io_executor executor)
        : done(std::move(executor), std::chrono::steady_clock::time_point::max()) {}
    boost::asio::steady_timer done;  // cancelled when the read ends
    std::optional<T> value;
    std::exception_ptr failure;
  };
  struct entry {
    std::optional<T> value;
    std::chrono::steady_clock::time_point fresh_until{};
    std::shared_ptr<read_under_way> flight;
  };

  // Whether a new key may be kept. Stale answers are dropped at every new key, so that what is
  // held is what was asked for within the ttl, not what once was.
  bool make_room() {
    const auto now = now_();
    std::erase_if(entries_, [&](const auto& kv) {
      return !kv.second.flight && kv.second.fresh_until <= now;
    });
    return entries_.size() < options_.max_entries;
  }

  const read_cache_options& options_;
  const steady_now& now_;
  std::map<std::string, entry> entries_;
};

}  // namespace detail

// A case_queries in front of another (the Redis one in `xinyipi run`): the same read with the
// same arguments within ttl of an answer is that answer again (cases, listings, escalations,
// the summary; the ledger and cases_applied pass through). Not for writes, and not for
// tests that read back what they just wrote. Used from one thread: the HTTP side's.
class cached_case_queries final : public case_queries {
 public:
  explicit cached_case_queries(
      case_queries& store, read_cache_options options = {},
      steady_now now = [] { return std::chrono::steady_clock::now(); });

  boost::asio::awaitable<std::vector<case_record>> get_case(std::string case_id) override;
  boost::asio::awaitable<case_page> list_cases(case_filter filter) override;
  boost::asio::awaitable<std::vector<open_escalation>> escalations(
      std::optional<escalation_level> level, std::size_t limit) override;
  boost::asio::awaitable<ledger_result> ledger(ledger_query query) override;
  boost::asio::awaitable<dashboard_summary> summary(std::size_t list_limit) override;
  boost::asio::awaitable<applied_cases> cases_applied(applied_window window) override;

 private:
  case_queries& store_;
  read_cache_options options_;
  steady_now now_;
  detail::answer_table<std::vector<case_record>> cases_{options_, now_};
  detail::answer_table<case_page> pages_{options_, now_};
  detail::answer_table<std::vector<open_escalation>> escalations_{options_, now_};
  detail::answer_table<dashboard_summary> summaries_{options_, now_};
  // The ledger and the effect report's cases are not kept: up to 50,000 rows or 100,000 cases
  // an answer, rarely asked for twice within a ttl, and 256 of them would be gigabytes.
};

}  // namespace xyp::http
