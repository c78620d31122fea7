#include "adapters/redis/runtime.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "adapters/log.hpp"
#include "adapters/redis/connection.hpp"
#include "adapters/redis/keys.hpp"
#include "engine/memory_runtime.hpp"
#include "engine/partition.hpp"

namespace xyp::redis {
namespace {

namespace asio = boost::asio;

instant wall_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

instant from_ms(std::int64_t ms) {
  return instant{std::chrono::milliseconds{ms}};
}

std::int64_t to_ms(instant t) {
  return t.time_since_epoch().count();
}

// One inbound stream entry as read, with its envelope parsed once.
struct stream_entry {
  std::string id;
  std::string raw;
  bool has_event = false;
  parse_result parsed;
};

// XREADGROUP / XAUTOCLAIM list: [[id, [field, value, ...]], ...]; a trimmed entry has nil fields.
std::vector<stream_entry> entries_from(const reply& list) {
  std::vector<stream_entry> entries;
  for (const auto& item : list.elements()) {
    stream_entry e;
    e.id = item.elements().at(0).as_string();
    const auto& fields = item.elements().at(1);
    if (fields.is_array()) {
      const auto& kv = fields.elements();
      for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
        if (kv[i].as_string() == "event") {
          e.raw = kv[i + 1].as_string();
          e.has_event = true;
        }
      }
    }
    e.parsed = e.has_event ? parse_envelope(e.raw)
                           : parse_result{rejection{dead_letter_code::schema_violation,
                                                    "stream entry has no field event"}};
    entries.push_back(std::move(e));
  }
  return entries;
}

// A unit whose script call said `conflict`: another writer touched the partition. The batch is
// abandoned; its entries are still pending and are read again against fresh state.
struct conflict_detected {};

bool is_clock_advance(const stream_entry& e) {
  const auto* event = std::get_if<inbound_event>(&e.parsed);
  return event && event->type == event_type::clock_advance;
}

}  // namespace

struct runtime::partition_worker {
  runtime& rt;
  std::uint32_t n;
  partition_keys keys;
  connection conn;
  std::string sha;
  std::string read_from = "0";  // "0": our own pending entries first; then ">"
  std::string last_entry;       // the newest entry acknowledged, for trimming
  std::uint64_t since_trim = 0;
  std::uint64_t recalendared = 0;  // the runtime's recalendar requests this loop has carried out

  partition_worker(runtime& owner, std::uint32_t partition)
      : rt(owner), n(partition), keys(owner.options_.prefix, partition), conn(owner.executor_) {}

  const runtime_options& opts() const { return rt.options_; }

  asio::awaitable<void> connect() {
    co_await conn.connect_with_backoff(opts().server, opts().connect_timeout);
    std::vector<std::string> create{"XGROUP", "CREATE",  keys.events(), std::string(consumer_group),
                                    "0",      "MKSTREAM"};
    const auto group = co_await conn.command(std::move(create));
    if (group.is_error() && group.error_message().rfind("BUSYGROUP", 0) != 0) {
      throw error(errc::unexpected_reply, "XGROUP CREATE failed: " + group.error_message());
    }
    co_await load_script();
    // Entries a dead consumer left pending become ours; with one engine per partition, every
    // pending entry is such an entry.
    std::string cursor = "0-0";
    do {
      std::vector<std::string> claim{"XAUTOCLAIM",    keys.events(), std::string(consumer_group),
                                     opts().consumer, "0",           cursor,
                                     "COUNT",         "1000",        "JUSTID"};
      const auto claimed = co_await conn.command(std::move(claim));
      if (claimed.is_error()) throw error(errc::unexpected_reply, claimed.error_message());
      cursor = claimed.elements().at(0).as_string();
    } while (cursor != "0-0");
    read_from = "0";
  }

  asio::awaitable<void> load_script() {
    std::vector<std::string> load{"SCRIPT", "LOAD", std::string(commit_script_source())};
    const auto loaded = co_await conn.command(std::move(load));
    sha = loaded.as_string();
  }

  // Loads what the events of a segment read into a fresh overlay: their cases, their applicants'
  // credit (and, for credit updates, every case of the applicant), which ids were applied, the
  // ledger count and the clock.
  // (Arguments are named values, never braced temporaries: GCC 12 destroys a braced temporary
  // in a co_await expression twice.)
  asio::awaitable<void> load(memory_partition& overlay, const std::set<std::string>& case_ids,
                             const std::set<std::string>& applicants,
                             const std::set<std::string>& applicants_with_cases,
                             const std::vector<std::string>& event_ids) {
    std::vector<std::vector<std::string>> commands;
    commands.push_back({"HMGET", keys.meta(), "ledger", "clock"});
    for (const auto& id : case_ids) commands.push_back({"HGET", keys.case_key(id), "doc"});
    for (const auto& a : applicants) commands.push_back({"GET", keys.credit(a)});
    for (const auto& a : applicants_with_cases) {
      commands.push_back({"SMEMBERS", keys.applicant_cases(a)});
    }
    if (!event_ids.empty()) {
      std::vector<std::string> zm{"ZMSCORE", keys.applied()};
      zm.insert(zm.end(), event_ids.begin(), event_ids.end());
      commands.push_back(std::move(zm));
    }
    const auto replies = co_await conn.pipeline(std::move(commands));
    std::size_t r = 0;
    const auto& meta = replies[r++].elements();
    overlay.load_ledger_count(meta[0].is_nil() ? 0 : std::stoull(meta[0].as_string()));
    if (rt.processor_.mode() == clock_mode::simulated) {
      overlay.load_clock(meta[1].is_nil() ? instant{} : from_ms(std::stoll(meta[1].as_string())));
    } else {
      overlay.load_clock(wall_now());
    }
    const std::set<std::string>& loaded = case_ids;
    for (std::size_t i = 0; i < case_ids.size(); ++i, ++r) {
      if (!replies[r].is_nil()) overlay.load_case(nlohmann::json::parse(replies[r].as_string()));
    }
    for (const auto& a : applicants) {
      const auto& credit = replies[r++];
      if (!credit.is_nil()) {
        overlay.load_credit(a, nlohmann::json::parse(credit.as_string()).get<credit_snapshot>());
      }
    }
    std::vector<std::string> more;
    for (const auto& a : applicants_with_cases) {
      std::vector<std::string> ids;
      for (const auto& m : replies[r++].elements()) {
        ids.push_back(m.as_string());
        if (!loaded.contains(ids.back())) more.push_back(ids.back());
      }
      overlay.load_case_ids(a, ids);
    }
    if (!event_ids.empty()) {
      const auto& scores = replies[r++].elements();
      for (std::size_t i = 0; i < event_ids.size(); ++i) {
        if (!scores[i].is_nil()) overlay.load_applied(event_ids[i]);
      }
    }
    if (!more.empty()) {
      std::vector<std::vector<std::string>> docs;
      for (const auto& id : more) docs.push_back({"HGET", keys.case_key(id), "doc"});
      const auto found = co_await conn.pipeline(std::move(docs));
      for (const auto& doc : found) {
        if (!doc.is_nil()) overlay.load_case(nlohmann::json::parse(doc.as_string()));
      }
    }
  }

  // Sends the batch; throws conflict_detected when a unit could not be applied.
  asio::awaitable<void> flush(commit_batch& batch, std::vector<commit_unit>& units) {
    if (batch.empty()) co_return;
    const auto started = std::chrono::steady_clock::now();
    auto result = co_await conn.command(batch.evalsha(sha));
    if (result.is_error() && result.error_message().rfind("NOSCRIPT", 0) == 0) {
      co_await load_script();
      result = co_await conn.command(batch.evalsha(sha));
    }
    if (result.is_error()) {
      throw error(errc::unexpected_reply, "commit script failed: " + result.error_message());
    }
    rt.observer_.commit_latency(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started));
    const auto& statuses = result.elements();
    for (std::size_t i = 0; i < statuses.size() && i < units.size(); ++i) {
      const auto status = commit_status_from(statuses[i].as_string());
      if (status == commit_status::conflict) {
        rt.observer_.conflict(n);
        log::warn("version conflict: batch abandoned, entries will be read again",
                  {{"partition", n}, {"cause", units[i].cause}});
        batch.clear();
        units.clear();
        throw conflict_detected{};
      }
      rt.observer_.committed(n, units[i], status);
    }
    batch.clear();
    units.clear();
  }

  // Applies a segment of entries with no clock.advance among them, in order.
  asio::awaitable<void> apply_segment(std::vector<stream_entry>& entries, std::size_t begin,
                                      std::size_t end) {
    std::set<std::string> case_ids, applicants, applicants_with_cases;
    std::vector<std::string> event_ids;
    for (std::size_t i = begin; i < end; ++i) {
      const auto* event = std::get_if<inbound_event>(&entries[i].parsed);
      if (!event) continue;
      event_ids.push_back(event->id);
      if (!event->case_id.empty()) case_ids.insert(event->case_id);
      if (!event->applicant_id.empty()) applicants.insert(event->applicant_id);
      if (event->type == event_type::credit_update)
        applicants_with_cases.insert(event->applicant_id);
    }
    memory_partition overlay(n);
    co_await load(overlay, case_ids, applicants, applicants_with_cases, event_ids);
    commit_batch batch(keys, opts().limits);
    std::vector<commit_unit> units;
    for (std::size_t i = begin; i < end; ++i) {
      auto& e = entries[i];
      commit_unit unit;
      if (auto* refused = std::get_if<rejection>(&e.parsed)) {
        unit.dead = dead_letter{e.raw, refused->code, refused->detail};
      } else {
        unit = rt.processor_.apply(std::get<inbound_event>(e.parsed), e.raw, overlay);
      }
      batch.add(unit, overlay, e.id, wall_now());
      overlay.commit(unit);
      units.push_back(std::move(unit));
      last_entry = e.id;
      if (batch.size() >= opts().units_per_script) co_await flush(batch, units);
    }
    co_await flush(batch, units);
  }

  asio::awaitable<void> apply_entries(std::vector<stream_entry> entries) {
    rt.observer_.batch(n, entries.size());
    std::size_t begin = 0;
    while (begin < entries.size()) {
      if (is_clock_advance(entries[begin])) {
        // Time moves: commit it alone, then fire what came due, before the next event.
        co_await apply_segment(entries, begin, begin + 1);
        co_await fire_due_timers();
        ++begin;
        continue;
      }
      std::size_t end = begin;
      while (end < entries.size() && !is_clock_advance(entries[end])) ++end;
      co_await apply_segment(entries, begin, end);
      begin = end;
    }
    since_trim += entries.size();
  }

  // Fires every timer due on the partition's clock, in due order (then by id), each committed
  // with its effects; a timer set by a firing and due already fires in its turn.
  asio::awaitable<void> fire_due_timers() {
    const std::string limit = std::to_string(opts().batch_size);
    for (;;) {
      instant now = wall_now();
      if (rt.processor_.mode() == clock_mode::simulated) {
        std::vector<std::string> clock_query{"HGET", keys.meta(), "clock"};
        const auto clock = co_await conn.command(std::move(clock_query));
        now = clock.is_nil() ? instant{} : from_ms(std::stoll(clock.as_string()));
      }
      std::vector<std::string> due_query{
          "ZRANGEBYSCORE", keys.timers(), "-inf", std::to_string(to_ms(now)), "LIMIT", "0", limit};
      const auto due = co_await conn.command(std::move(due_query));
      if (due.elements().empty()) co_return;
      std::vector<std::string> hmget{"HMGET", keys.timer_info()};
      for (const auto& id : due.elements()) hmget.push_back(id.as_string());
      const auto infos = co_await conn.command(std::move(hmget));
      std::vector<timer_entry> timers;
      std::vector<std::vector<std::string>> orphans;
      for (std::size_t i = 0; i < infos.elements().size(); ++i) {
        const auto& info = infos.elements()[i];
        if (info.is_nil()) {
          orphans.push_back({"ZREM", keys.timers(), due.elements()[i].as_string()});
        } else {
          timers.push_back(timer_from_json(nlohmann::json::parse(info.as_string())));
        }
      }
      if (!orphans.empty()) co_await conn.pipeline(std::move(orphans));
      std::sort(timers.begin(), timers.end(), [](const auto& a, const auto& b) {
        return std::tie(a.due, a.id) < std::tie(b.due, b.id);
      });
      std::set<std::string> case_ids;
      for (const auto& t : timers) case_ids.insert(t.case_id);
      memory_partition overlay(n);
      const std::set<std::string> none;
      const std::vector<std::string> no_events;
      co_await load(overlay, case_ids, none, none, no_events);
      overlay.load_clock(now);
      commit_batch batch(keys, opts().limits);
      std::vector<commit_unit> units;
      std::set<std::pair<instant, std::string>> set_here;  // due timers set by these firings
      std::size_t fired = 0;
      for (const auto& t : timers) {
        // A timer set by an earlier firing that sorts before this one fires first: fetch again.
        if (!set_here.empty() && *set_here.begin() < std::make_pair(t.due, t.id)) break;
        auto unit = rt.processor_.fire(t, overlay);
        for (const auto& s : unit.timers_set) {
          if (s.due <= now) set_here.insert({s.due, s.id});
        }
        batch.add(unit, overlay, "", wall_now());
        overlay.commit(unit);
        units.push_back(std::move(unit));
        if (rt.processor_.mode() == clock_mode::system) {
          rt.observer_.timer_lag(
              std::chrono::duration_cast<std::chrono::milliseconds>(wall_now() - t.due));
        } else {
          rt.observer_.timer_lag(std::chrono::milliseconds{0});
        }
        ++fired;
        if (batch.size() >= opts().units_per_script) co_await flush(batch, units);
      }
      co_await flush(batch, units);
      if (fired == timers.size() && timers.size() < opts().batch_size && set_here.empty()) {
        co_return;
      }
    }
  }

  // After a notice was loaded: every pending timer whose clock was counted provisionally is
  // counted again on the new calendar, and each unit committed through the script like a timer's
  // (case version checked, old timer removed, new one set, the notice published). All of it is
  // here, in one function, so that another runtime can carry it over whole.
  asio::awaitable<void> recalendar() {
    // A snapshot of the pending timer ids first (nothing else writes this partition's timers
    // meanwhile): the recount adds timers of its own, already counted on the new calendar.
    std::vector<std::string> ids;
    const std::size_t page = 10'000;
    for (std::size_t start = 0;; start += page) {
      std::vector<std::string> range{"ZRANGE", keys.timers(), std::to_string(start),
                                     std::to_string(start + page - 1)};
      const auto got = co_await conn.command(std::move(range));
      for (const auto& id : got.elements()) ids.push_back(id.as_string());
      if (got.elements().size() < page) break;
    }
    std::uint64_t moved = 0;
    for (std::size_t begin = 0; begin < ids.size(); begin += opts().batch_size) {
      const std::size_t end = std::min(ids.size(), begin + opts().batch_size);
      std::vector<std::string> hmget{"HMGET", keys.timer_info()};
      hmget.insert(hmget.end(), ids.begin() + static_cast<std::ptrdiff_t>(begin),
                   ids.begin() + static_cast<std::ptrdiff_t>(end));
      const auto infos = co_await conn.command(std::move(hmget));
      std::vector<timer_entry> timers;
      std::set<std::string> case_ids;
      for (const auto& info : infos.elements()) {
        if (info.is_nil()) continue;
        timers.push_back(timer_from_json(nlohmann::json::parse(info.as_string())));
        case_ids.insert(timers.back().case_id);
      }
      std::sort(timers.begin(), timers.end(), [](const auto& a, const auto& b) {
        return std::tie(a.due, a.id) < std::tie(b.due, b.id);
      });
      memory_partition overlay(n);
      const std::set<std::string> none;
      const std::vector<std::string> no_events;
      co_await load(overlay, case_ids, none, none, no_events);
      commit_batch batch(keys, opts().limits);
      std::vector<commit_unit> units;
      for (const auto& t : timers) {
        auto unit = rt.processor_.recalendar(t, overlay);
        if (unit.ignored) continue;
        moved += unit.timers_set.size();
        batch.add(unit, overlay, "", wall_now());
        overlay.commit(unit);
        units.push_back(std::move(unit));
        if (batch.size() >= opts().units_per_script) co_await flush(batch, units);
      }
      co_await flush(batch, units);
    }
    log::info("clocks counted again on the reloaded calendar",
              {{"partition", n}, {"timers", ids.size()}, {"moved", moved}});
  }

  // Inbound entries below the oldest pending one are done with: trim them (a blind MAXLEN would
  // delete pending entries). Applied ids older than the dedupe window go too.
  asio::awaitable<void> trim() {
    since_trim = 0;
    std::vector<std::string> summary{"XPENDING", keys.events(), std::string(consumer_group)};
    const auto pending = co_await conn.command(std::move(summary));
    std::string min_id = last_entry;
    if (pending.is_array() && pending.elements().size() >= 2 &&
        pending.elements()[0].as_integer() > 0) {
      min_id = pending.elements()[1].as_string();
    }
    std::vector<std::vector<std::string>> commands;
    if (!min_id.empty()) commands.push_back({"XTRIM", keys.events(), "MINID", min_id});
    const auto horizon = wall_now() - opts().dedupe_window;
    commands.push_back(
        {"ZREMRANGEBYSCORE", keys.applied(), "-inf", "(" + std::to_string(to_ms(horizon))});
    co_await conn.pipeline(std::move(commands));
  }

  asio::awaitable<void> run() {
    bool connected = false;
    // A server that accepts connections but refuses commands (LOADING after a restart) would
    // otherwise be retried in a busy loop: wait, doubling, between failures.
    backoff delays;
    bool failed = false;
    while (!rt.stopping_->load()) {
      try {
        if (failed) {
          asio::steady_timer pause(co_await asio::this_coro::executor, delays.next());
          co_await pause.async_wait(asio::use_awaitable);
          failed = false;
        }
        if (!connected) {
          co_await connect();
          connected = true;
        }
        if (recalendared != rt.recalendar_requests_) {
          const std::uint64_t requested = rt.recalendar_requests_;
          co_await recalendar();
          recalendared = requested;
        }
        co_await fire_due_timers();
        const bool catching_up = read_from == "0";
        std::vector<std::string> read{"XREADGROUP",    "GROUP", std::string(consumer_group),
                                      opts().consumer, "COUNT", std::to_string(opts().batch_size)};
        if (!catching_up) {
          read.push_back("BLOCK");
          read.push_back(std::to_string(opts().block.count()));
        }
        read.push_back("STREAMS");
        read.push_back(keys.events());
        read.push_back(read_from);
        const auto got =
            co_await conn.command(std::move(read), opts().block + opts().connect_timeout);
        if (got.is_error()) throw error(errc::unexpected_reply, got.error_message());
        std::vector<stream_entry> entries;
        if (!got.is_nil() && !got.elements().empty()) {
          entries = entries_from(got.elements()[0].elements().at(1));
        }
        if (entries.empty()) {
          if (catching_up) read_from = ">";
          continue;
        }
        co_await apply_entries(std::move(entries));
        delays.reset();
        if (since_trim >= 10'000) co_await trim();
      } catch (const conflict_detected&) {
        read_from = "0";
      } catch (const error& e) {
        log::warn("redis failure: reconnecting", {{"partition", n}, {"error", e.what()}});
        conn.close();
        connected = false;
        failed = true;
        read_from = "0";
        rt.observer_.reconnected(n);
      }
    }
  }
};

runtime::runtime(asio::any_io_executor executor, const case_processor& processor,
                 runtime_options options, runtime_observer& observer)
    : executor_(std::move(executor)),
      processor_(processor),
      options_(std::move(options)),
      observer_(observer),
      stopping_(std::make_shared<std::atomic<bool>>(false)) {}

runtime::~runtime() = default;

void runtime::stop() {
  stopping_->store(true);
}

void runtime::request_recalendar() {
  ++recalendar_requests_;
}

asio::awaitable<void> runtime::run() {
  std::vector<std::unique_ptr<partition_worker>> workers;
  for (std::uint32_t n = 0; n < options_.partitions; ++n) {
    workers.push_back(std::make_unique<partition_worker>(*this, n));
  }
  // Each partition runs its own loop; run() returns when every loop has finished its batch.
  auto remaining = std::make_shared<std::size_t>(workers.size());
  asio::steady_timer done(executor_, asio::steady_timer::time_point::max());
  for (auto& w : workers) {
    asio::co_spawn(executor_, w->run(), [remaining, &done](std::exception_ptr failure) {
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          log::error("partition loop ended by a defect", {{"error", e.what()}});
        }
      }
      if (--*remaining == 0) done.cancel();
    });
  }
  boost::system::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<std::vector<std::string>> check_server(const runtime_options& options) {
  connection conn(co_await asio::this_coro::executor);
  co_await conn.connect(options.server, options.connect_timeout);
  std::vector<std::string> warnings;
  std::vector<std::string> policy_query{"CONFIG", "GET", "maxmemory-policy"};
  const auto policy = co_await conn.command(std::move(policy_query));
  if (policy.is_error() || policy.elements().size() < 2) {
    warnings.push_back(
        "cannot read maxmemory-policy (CONFIG GET refused): make sure it is noeviction");
  } else if (policy.elements()[1].as_string() != "noeviction") {
    throw std::runtime_error("Redis maxmemory-policy is " + policy.elements()[1].as_string() +
                             ": it can evict keys, and an evicted case is a lost case; set "
                             "maxmemory-policy noeviction");
  }
  std::vector<std::string> aof_query{"CONFIG", "GET", "appendonly"};
  const auto aof = co_await conn.command(std::move(aof_query));
  if (!aof.is_error() && aof.elements().size() >= 2 && aof.elements()[1].as_string() != "yes") {
    warnings.push_back(
        "Redis appendonly is off: a Redis crash loses every write since the last snapshot "
        "(see docs/operations.md)");
  }
  co_return warnings;
}

asio::awaitable<std::uint64_t> submit_lines(const runtime_options& options,
                                            const std::vector<std::string>& lines) {
  connection conn(co_await asio::this_coro::executor);
  co_await conn.connect(options.server, options.connect_timeout);
  std::uint64_t written = 0;
  std::vector<std::vector<std::string>> commands;
  auto send = [&]() -> asio::awaitable<void> {
    if (commands.empty()) co_return;
    const auto replies = co_await conn.pipeline(std::move(commands));
    commands.clear();
    for (const auto& r : replies) {
      if (r.is_error()) throw error(errc::unexpected_reply, "XADD failed: " + r.error_message());
      ++written;
    }
  };
  for (const auto& line : lines) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto parsed = parse_envelope(line);
    const auto* event = std::get_if<inbound_event>(&parsed);
    if (event && event->type == event_type::clock_advance) {
      for (std::uint32_t n = 0; n < options.partitions; ++n) {
        commands.push_back(
            {"XADD", partition_keys(options.prefix, n).events(), "*", "event", line});
      }
    } else {
      const auto n = partition_for_raw(line, options.partitions);
      commands.push_back({"XADD", partition_keys(options.prefix, n).events(), "*", "event", line});
    }
    if (commands.size() >= 1000) co_await send();
  }
  co_await send();
  co_return written;
}

}  // namespace xyp::redis
