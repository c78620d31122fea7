#include "adapters/redis/runtime.hpp"

#include <unistd.h>
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cassert>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "adapters/common/log.hpp"
#include "adapters/redis/applicant_migration.hpp"
#include "adapters/redis/connection.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/router.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/partition.hpp"
#include "engine/runtime/partition_loop.hpp"

namespace xyp::redis {
namespace {

namespace asio = boost::asio;

instant system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

instant from_ms(std::int64_t ms) {
  return instant{std::chrono::milliseconds{ms}};
}

std::int64_t to_ms(instant t) {
  return t.time_since_epoch().count();
}

// An XREADGROUP / XRANGE list: [[id, [field, value, ...]], ...]; a trimmed entry has nil fields.
std::vector<loop_entry> entries_from(const reply& list, std::size_t max_entry_bytes) {
  std::vector<loop_entry> entries;
  entries.reserve(list.elements().size());
  for (const auto& item : list.elements()) {
    std::string id = item.elements().at(0).as_string();
    const auto& fields = item.elements().at(1);
    bool has_event = false;
    std::string raw;
    if (fields.is_array()) {
      const auto& kv = fields.elements();
      for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
        if (kv[i].as_string() == "event") {
          raw = kv[i + 1].as_string();
          has_event = true;
        }
      }
    }
    if (has_event) {
      entries.push_back(make_entry(std::move(id), std::move(raw), max_entry_bytes));
    } else {
      entries.push_back(loop_entry{
          std::move(id), "",
          rejection{dead_letter_code::schema_violation, "stream entry has no field event"}});
    }
  }
  return entries;
}

// The partition is no longer this engine's: another engine took it, or the lease lapsed. `by`
// says what noticed: Redis refusing a read, a renewal or the commit's EXEC, or the owner check
// made before a commit.
struct fenced {
  std::string_view by;
};

// A batch read from at most this many entries is committed before the next read (which rides
// behind the commit): the round trips, not the work, are its cost. A larger one is computed while
// Redis runs the commit before it. Measured at 10,000 events/s offered on a loaded machine,
// committing batches of up to 256 first let the batches grow to 30-40 entries and the backlog
// with them; at 2,000 events/s a batch holds 1-2 entries (docs/benchmarks.md).
constexpr std::size_t small_batch = 2;

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

// The rendezvous weight of a partition for an engine: each engine ranks the partitions by it, so
// that engines prefer different partitions and a partition's preferred engines do not change
// when other engines come or go. FNV-1a of "<engine>/<n>", then SplitMix64's finalizer.
std::uint64_t preference(std::string_view engine, std::uint32_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  for (const char c : engine) mix(static_cast<unsigned char>(c));
  mix('/');
  for (const char c : std::to_string(n)) mix(static_cast<unsigned char>(c));
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

// The owner id in a lease ("<owner> <epoch>").
std::string_view lease_owner(std::string_view lease) {
  return lease.substr(0, lease.find(' '));
}

// Loads (or replaces) the engine's Function library on `conn`.
asio::awaitable<void> load_library(connection& conn) {
  std::vector<std::string> load{"FUNCTION", "LOAD", "REPLACE", std::string(functions_source())};
  const auto loaded = co_await conn.command(std::move(load));
  if (loaded.is_error()) {
    throw error(errc::unexpected_reply, "FUNCTION LOAD failed: " + loaded.error_message());
  }
}

// ... on every master of a Cluster (the one Redis otherwise): a key of the prefix's own (the
// engines key) may be on any of them.
asio::awaitable<void> load_library_everywhere(router& nodes) {
  co_await nodes.for_each_master(load_library);
}

// A coroutine of run() that ended by an exception: a defect, logged with what it was.
void log_defect(std::exception_ptr failure, std::string_view what) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    log::error(what, {{"error", e.what()}});
  }
}

std::string default_owner(const std::string& consumer) {
  std::random_device random;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", random());
  return consumer + "-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace

struct runtime::partition_worker {
  runtime& rt;
  std::uint32_t n;
  partition_keys keys;
  connection conn;
  redis_store store;
  partition_loop loop;
  std::string token;  // "<owner> <epoch>" while serving; empty while not
  std::chrono::steady_clock::time_point lease_until{}, renew_at{};
  // Entries are read with NOACK from exactly where this owner is: the newest entry it has read
  // (applied, being applied, or dead-lettered by xyp_read), and the committed position its next
  // commit continues from. Both start at the partition's committed position when it is taken.
  std::string read_position;
  std::string committed_position;
  bool stream_busy = false;   // the last read left entries: read again without blocking
  std::size_t last_read = 0;  // entries the last read returned
  // The read sent behind the last commit waited on the idle stream for as long as it may, and
  // nothing came: the loop goes round once (renewal, timers, stop) before it waits again.
  bool waited_idle = false;
  std::uint64_t waits_reported = 0;  // conn.waits() when the last commit landed
  std::uint64_t since_trim = 0;
  // Applied ids: whether earlier builds' zset and fingerprint hash may still exist (read beside
  // the day buckets until a trim finds them empty), and the first day bucket not yet deleted.
  bool old_applied = true;
  std::optional<std::chrono::sys_days> applied_kept_from;
  std::uint64_t recalendared = 0;  // the runtime's recalendar requests this loop has carried out
  // Set by runtime::share: take the lease when free (the engine is below its fair share), or hand
  // the partition over (above it). `wake` ends the wait of a loop that does not serve.
  bool take_wanted = false;
  bool release_wanted = false;
  // The loop dropped the partition on a Redis failure while the lease may still be this
  // engine's: share takes it back at once. Never after a hand-over, whose lease a round may still
  // see as this engine's for a moment.
  bool retake = false;
  asio::steady_timer wake;

  // A batch written as its transaction (batch_commit::transaction), with the committed positions
  // before and after it, and the lease's new end if the renewal rides in it.
  struct prepared_commit {
    resp_commands command;
    std::string continues_from, position_after;
    std::optional<std::chrono::steady_clock::time_point> renews_until;
  };
  // The commit on its way, at most one: the next batch is computed while Redis runs it, and is
  // sent only once it has landed, so that a refused commit leaves every later one unsent.
  struct in_flight_commit {
    sent_command sent;
    prepared_commit prepared;  // kept to send again if its EXEC was refused
    redis_store::sent_batch batch;
    std::chrono::steady_clock::time_point started;
  };
  std::optional<in_flight_commit> in_flight;
  // The last thing sent on the connection is an owner check that held (WATCH active): the next
  // commit may go without a round trip first.
  bool checked = false;

  partition_worker(runtime& owner, std::uint32_t partition)
      : rt(owner),
        n(partition),
        keys(owner.options_.prefix, partition),
        conn(owner.executor_),
        store(keys, owner.processor_.mode(), owner.options_.cache, owner.options_.limits),
        loop(owner.processor_),
        wake(owner.executor_) {
    store.set_commit_clock(owner.options_.commit_clock);
  }

  const runtime_options& opts() const { return rt.options_; }
  // The system clock's now (the options' wall clock in tests).
  instant wall_now() const { return opts().wall_clock ? opts().wall_clock() : system_now(); }
  bool simulated() const { return rt.processor_.mode() == clock_mode::simulated; }
  std::chrono::milliseconds ttl() const { return opts().lease_ttl; }

  // In a Cluster, the master serving the partition's slot, from a slot map asked afresh of the
  // master it was on, the masters found at the start, or the seed: at every (re)connection, so
  // that a failover or a moved slot (the error that dropped the connection: a redirection, a lost
  // master) is followed.
  std::optional<endpoint> master;
  asio::awaitable<endpoint> slot_master() {
    std::vector<endpoint> nodes;
    if (master) nodes.push_back(*master);
    nodes.insert(nodes.end(), rt.cluster_nodes_.begin(), rt.cluster_nodes_.end());
    nodes.push_back(opts().server);
    const auto map = co_await ask_slot_map(std::move(nodes), opts().connect_timeout);
    if (!map) {
      throw error(errc::connect_failed, "no node of the Redis Cluster answered CLUSTER SLOTS");
    }
    const auto found = map->master_of(key_slot(keys.base()));
    if (!found) {
      throw error(errc::unexpected_reply,
                  "no master of the Redis Cluster serves partition " + std::to_string(n));
    }
    co_return *found;
  }

  asio::awaitable<void> connect() {
    if (rt.clustered_) {
      // One attempt: a failure goes through run()'s backoff and asks the map again.
      master = co_await slot_master();
      co_await conn.connect(*master, opts().connect_timeout);
    } else {
      co_await conn.connect_with_backoff(opts().server, opts().connect_timeout);
    }
    // A group destroyed by mistake is created again past the last committed entry, so that what
    // was judged is never judged again against later state; a new partition's from the start.
    const auto position = co_await conn.command(cmd("HGET", keys.state(), "position"));
    const std::string from = position.is_string() ? position.as_string() : "0";
    std::vector<std::string> create{"XGROUP", "CREATE",  keys.events(), std::string(consumer_group),
                                    from,     "MKSTREAM"};
    const auto group = co_await conn.command(std::move(create));
    if (group.is_error() && group.error_message().rfind("BUSYGROUP", 0) != 0) {
      throw error(errc::unexpected_reply, "XGROUP CREATE failed: " + group.error_message());
    }
    co_await load_functions();
  }

  asio::awaitable<void> load_functions() { co_await load_library(conn); }

  // FCALL, loading the library again when Redis lost it (FUNCTION FLUSH, a restart without it).
  asio::awaitable<reply> fcall(std::vector<std::string> args) {
    auto again = args;
    auto result = co_await conn.command(std::move(args));
    if (function_missing(result)) {
      log::warn("redis lost the engine's functions: loading them again", {{"partition", n}});
      co_await load_functions();
      result = co_await conn.command(std::move(again));
    }
    co_return checked_fcall(std::move(result));
  }

  // Whether Redis lost the engine's Functions (FUNCTION FLUSH, a restart without them).
  static bool function_missing(const reply& result) {
    return result.is_error() &&
           result.error_message().find("Function not found") != std::string::npos;
  }

  // A Function's reply, or what its error means: fenced, or a failure.
  static reply checked_fcall(reply result) {
    if (result.is_error() && starts_with(result.error_message(), fenced_error)) {
      throw fenced{"a function refused"};
    }
    if (result.is_error()) {
      throw error(errc::unexpected_reply, "function call failed: " + result.error_message());
    }
    return result;
  }

  // Takes the partition's lease if it is free; on success the partition is read afresh.
  asio::awaitable<bool> acquire() {
    const auto sent = std::chrono::steady_clock::now();
    const auto taken = co_await fcall(cmd("FCALL", "xyp_acquire", "2", keys.lease(), keys.epoch(),
                                          rt.owner_, std::to_string(ttl().count())));
    if (taken.elements().at(0).as_integer() == 0) co_return false;
    token = taken.elements().at(1).as_string();
    retake = false;
    checked = false;
    lease_until = sent + ttl();
    renew_at = sent + ttl() / 3;
    store.reset();
    loop.reset();
    const auto state =
        co_await conn.command(cmd("HMGET", keys.state(), "ledger", "clock", "position"));
    const auto& fields = state.elements();
    store.load_state(
        fields.at(0).is_nil() ? 0 : std::stoull(fields[0].as_string()),
        fields.at(1).is_nil() ? instant{} : from_ms(std::stoll(fields[1].as_string())));
    committed_position = fields.at(2).is_nil() ? std::string() : fields[2].as_string();
    read_position = committed_position;
    stream_busy = true;
    co_await forget_pending();
    co_await migrate_applicant_keys(conn, keys, [this] { return renew_if_due(); });
    co_await refill_timers();
    // Timers the clock made due before a previous owner could fire them fire first.
    if (simulated()) loop.fire_until(store.now());
    waits_reported = conn.waits();
    log::info("serving partition", {{"partition", n}, {"lease", token}});
    rt.observer_.acquired(n, token);
    co_return true;
  }

  // Renews the lease on its own when no commit carried the renewal in time (the commit on its way
  // lands first: the renewal changes the lease under its owner check).
  asio::awaitable<void> renew_if_due() {
    if (token.empty() || std::chrono::steady_clock::now() < renew_at) co_return;
    co_await settle();
    const auto now = std::chrono::steady_clock::now();
    co_await fcall(
        cmd("FCALL", "xyp_renew", "1", keys.lease(), token, std::to_string(ttl().count())));
    checked = false;  // the lease changed under the WATCH
    lease_until = now + ttl();
    renew_at = now + ttl() / 3;
  }

  // Reads are made only while the lease is surely ours for longer than a read can take.
  bool lease_holds() const {
    const auto margin = std::min<std::chrono::milliseconds>(opts().block * 2, ttl() / 3);
    return std::chrono::steady_clock::now() + margin < lease_until;
  }

  // Stops serving: everything held for the partition goes; the lease is tried again later.
  void drop(std::optional<fenced> was_fenced) {
    if (token.empty()) return;
    if (was_fenced) {
      log::warn("partition lost to another owner: dropping what it held",
                {{"partition", n}, {"lease", token}, {"noticed_by", was_fenced->by}});
      rt.observer_.fenced(n);
    }
    token.clear();
    checked = false;
    waited_idle = false;
    in_flight.reset();  // its reply, if one comes, is dropped
    store.reset();
    loop.reset();
    read_position.clear();
    committed_position.clear();
  }

  // Entries left pending in the group by engines that read without NOACK (before layout 2's
  // reads): what they stand for is the committed position now, so they are acknowledged, and
  // XPENDING says 0 again.
  asio::awaitable<void> forget_pending() {
    for (;;) {
      const auto pending =
          co_await conn.command(cmd("XPENDING", keys.events(), consumer_group, "-", "+", "1000"));
      if (pending.is_error()) throw error(errc::unexpected_reply, pending.error_message());
      if (pending.elements().empty()) co_return;
      std::vector<std::string> ack{"XACK", keys.events(), std::string(consumer_group)};
      for (const auto& p : pending.elements()) ack.push_back(p.elements().at(0).as_string());
      const auto acked = co_await conn.command(std::move(ack));
      if (acked.is_error()) throw error(errc::unexpected_reply, acked.error_message());
    }
  }

  // Reads the next window of pending timers into the store.
  asio::awaitable<void> refill_timers() {
    const std::size_t window = std::max<std::size_t>(opts().cache.timer_window, 1);
    const auto horizon = store.timer_horizon();
    if (horizon == INT64_MAX) co_return;
    const std::string from = horizon == INT64_MIN ? "-inf" : "(" + std::to_string(horizon);
    const auto got = co_await conn.command(cmd("ZRANGE", keys.timers(), from, "+inf", "BYSCORE",
                                               "LIMIT", "0", std::to_string(window), "WITHSCORES"));
    if (got.is_error()) throw error(errc::unexpected_reply, got.error_message());
    std::vector<std::pair<std::string, std::int64_t>> timers;
    auto take = [&](const reply& list) {
      const auto& e = list.elements();
      for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
        timers.emplace_back(e[i].as_string(), std::stoll(e[i + 1].as_string()));
      }
    };
    take(got);
    const bool all = timers.size() < window;
    if (!all) {
      // Every timer sharing the last due time, so that the window ends between two due times.
      const std::string last = std::to_string(timers.back().second);
      const auto same =
          co_await conn.command(cmd("ZRANGE", keys.timers(), last, last, "BYSCORE", "WITHSCORES"));
      take(same);
    }
    store.load_timers(timers, all);
  }

  // One round trip for everything the loop asked for.
  asio::awaitable<void> fetch(const store_needs& needs) {
    rt.observer_.fetched(n, needs);
    std::vector<std::vector<std::string>> commands;
    for (const auto& id : needs.cases) commands.push_back({"HGET", keys.case_key(id), id});
    // An applicant's credit and case ids are one record: one HGET gives the store both.
    std::vector<const std::string*> applicants;
    for (const auto& a : needs.credits) applicants.push_back(&a);
    for (const auto& a : needs.cases_of) {
      if (!needs.credits.contains(a)) applicants.push_back(&a);
    }
    for (const auto* a : applicants) commands.push_back({"HGET", keys.applicant_key(*a), *a});
    // Applied ids: one HMGET per day the dedupe window touches (8 for 7 days), then the earlier
    // builds' pair while it may exist.
    const auto days = applied_days();
    if (!needs.applied.empty()) {
      auto hmget = [&](std::string key) {
        std::vector<std::string> hm{"HMGET", std::move(key)};
        hm.insert(hm.end(), needs.applied.begin(), needs.applied.end());
        commands.push_back(std::move(hm));
      };
      for (auto day = days.first; day <= days.second; day += std::chrono::days{1}) {
        hmget(keys.applied_day(day));
      }
      if (old_applied) {
        std::vector<std::string> zm{"ZMSCORE", keys.applied()};
        zm.insert(zm.end(), needs.applied.begin(), needs.applied.end());
        commands.push_back(std::move(zm));
        hmget(keys.applied_fingerprints());
      }
    }
    const auto replies = co_await conn.pipeline(std::move(commands));
    std::size_t r = 0;
    for (const auto& id : needs.cases) {
      const auto& doc = replies[r++];
      if (doc.is_error()) throw error(errc::unexpected_reply, doc.error_message());
      store.load_case(id, doc.is_nil() ? std::nullopt
                                       : std::optional<case_record>(decode_case(doc.as_string())));
    }
    for (const auto* a : applicants) {
      const auto& record = replies[r++];
      if (record.is_error()) throw error(errc::unexpected_reply, record.error_message());
      store.load_applicant(*a, record.is_nil() ? std::nullopt
                                               : std::optional<applicant_record>(
                                                     decode_applicant(record.as_string())));
    }
    if (!needs.applied.empty()) {
      // Any hit counts: the newest day first (an id is applied once, so there is at most one
      // unless a resend after the window applied it again).
      std::vector<const reply*> buckets;
      for (auto day = days.first; day <= days.second; day += std::chrono::days{1}) {
        const auto& bucket = replies[r++];
        if (bucket.is_error()) throw error(errc::unexpected_reply, bucket.error_message());
        buckets.insert(buckets.begin(), &bucket);
      }
      const reply* old_scores = nullptr;
      const reply* old_prints = nullptr;
      if (old_applied) {
        old_scores = &replies[r++];
        old_prints = &replies[r++];
        if (old_scores->is_error()) {
          throw error(errc::unexpected_reply, old_scores->error_message());
        }
      }
      const auto window_start = to_ms(std::chrono::time_point_cast<std::chrono::milliseconds>(
          std::chrono::sys_days{days.first}));
      std::size_t i = 0;
      for (const auto& id : needs.applied) {
        std::optional<std::uint64_t> fingerprint;
        for (const auto* bucket : buckets) {
          const auto& print = bucket->elements().at(i);
          if (!print.is_nil()) {
            fingerprint = std::stoull(print.as_string());
            break;
          }
        }
        // The earlier builds' zset holds ids until a trim: one older than the window is none.
        const auto& score = old_scores ? old_scores->elements().at(i) : reply{};
        if (!fingerprint && !score.is_nil() &&
            std::stod(score.as_string()) >= static_cast<double>(window_start)) {
          const auto& print = old_prints->elements().at(i);
          fingerprint = print.is_nil() ? 0 : std::stoull(print.as_string());
        }
        store.load_applied(id, fingerprint);
        ++i;
      }
    }
  }

  // The pending batch as one transaction, written while the commit before it may still run in
  // Redis; its position becomes the one the next batch continues from. The lease's renewal rides
  // in it when due.
  prepared_commit commit_command() {
    prepared_commit c;
    const auto now = std::chrono::steady_clock::now();
    std::string renew;
    if (now >= renew_at) {
      renew = std::to_string(ttl().count());
      c.renews_until = now + ttl();
      renew_at = now + ttl() / 3;
    }
    c.command = store.pending().transaction(renew);
    c.continues_from = committed_position;
    if (auto position = store.pending().position()) committed_position = std::move(*position);
    c.position_after = committed_position;
    return c;
  }

  // Makes sure the last thing on the connection is an owner check that held for `c`: the one sent
  // after the previous commit, or a new one now (after an acquire, a renewal, a read that wrote
  // the state). Fenced when the partition is no longer this owner's at c's position.
  asio::awaitable<void> check_owner(const prepared_commit& c) {
    if (checked) co_return;
    // UNWATCH first: a watched key changed since the last WATCH (the renewal, a read that wrote
    // the state) leaves the connection marked, and a new WATCH alone would not clear the mark.
    resp_commands check;
    check.command("UNWATCH");
    append_owner_check(check, keys);
    const auto replies = co_await conn.send_formatted(check).get_all();
    for (const auto i : {0, 1}) {
      if (replies.at(i).is_error()) throw error(errc::unexpected_reply, replies[i].error_message());
    }
    if (!owner_holds(replies.at(2), replies.at(3), token, c.continues_from)) {
      throw fenced{"the owner check"};
    }
    checked = true;
  }

  // Sends a checked commit without waiting for it to land (settle() does); the commit before it
  // must have landed.
  void launch(prepared_commit command) {
    assert(!in_flight && checked);
    in_flight_commit c;
    c.prepared = std::move(command);
    c.started = std::chrono::steady_clock::now();
    c.sent = conn.send_formatted(c.prepared.command);
    c.batch = store.sent();
    checked = false;  // the EXEC ends the WATCH; the check sent after it says the rest
    in_flight = std::move(c);
  }

  // Waits for the commit on its way, and reports it once it has landed. An EXEC refused because a
  // watched key changed while the owner still holds the partition (this engine's own read wrote
  // the state, or a renewal) is sent again; refused with the partition gone, it is fenced.
  asio::awaitable<void> settle() {
    if (!in_flight) co_return;
    auto c = std::move(*in_flight);
    in_flight.reset();
    auto outcome = read_commit(co_await c.sent.get_all(), token, c.prepared.continues_from,
                               c.prepared.position_after);
    for (int again = 0; !outcome.landed; ++again) {
      if (!outcome.still_owner) throw fenced{"the commit refused"};
      if (again == 3) {
        throw error(errc::unexpected_reply, "the commit's transaction was refused four times");
      }
      rt.observer_.conflict(n);
      outcome = read_commit(co_await conn.send_formatted(c.prepared.command).get_all(), token,
                            c.prepared.continues_from, c.prepared.position_after);
    }
    checked = outcome.still_owner;
    if (c.prepared.renews_until) lease_until = *c.prepared.renews_until;
    const auto wall = wall_now();
    rt.observer_.commit_latency(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - c.started));
    rt.observer_.round_trips(n, conn.waits() - waits_reported);
    waits_reported = conn.waits();
    // How late each firing was (wall clock at the commit), then the units themselves.
    for (const auto due : c.batch.fired_due) {
      rt.observer_.timer_lag(
          simulated() ? std::chrono::milliseconds{0}
                      : std::chrono::duration_cast<std::chrono::milliseconds>(wall - due));
    }
    store.landed();
    for (const auto& unit : c.batch.units) rt.observer_.committed(n, unit, commit_status::ok);
  }

  // Commits what the loop kept and waits until it has landed.
  asio::awaitable<void> flush() {
    co_await settle();
    if (store.pending().empty()) co_return;
    auto c = commit_command();
    co_await check_owner(c);
    launch(std::move(c));
    co_await settle();
  }

  // Whether the next entries may be read before the batch in hand is committed: only with the
  // lease surely ours.
  bool may_read_ahead() const {
    return loop.idle() && !rt.stopping_->load() && !release_wanted && lease_holds();
  }

  // Reads go through xyp_read, which reads on from read_position exactly, cuts the read by bytes
  // inside Redis and dead-letters an entry over the size limit there; it never blocks.
  asio::awaitable<std::vector<loop_entry>> read_batch() {
    co_return entries_read(co_await fcall(read_command()));
  }

  std::vector<std::string> read_command() const {
    return cmd("FCALL", "xyp_read", "4", keys.lease(), keys.events(), keys.dead(), keys.state(),
               token, consumer_group, opts().consumer, std::to_string(opts().batch_size),
               std::to_string(opts().read_budget_bytes), std::to_string(opts().max_entry_bytes),
               read_position);
  }

  // How long a read on an idle stream may wait for an entry: --block, less when the lease's
  // renewal is due sooner; with the system clock, none when a held timer is due before it (then
  // `until_due` says how long until it is: a blocked read times out only at Redis's event-loop
  // ticks, up to 100 ms late, so the loop sleeps on a steady_timer instead).
  struct idle_wait {
    std::chrono::milliseconds block;
    std::optional<std::chrono::milliseconds> until_due;
  };
  idle_wait wait_allowed() const {
    auto block = opts().block;
    const auto now = std::chrono::steady_clock::now();
    block = std::min(block, std::chrono::duration_cast<std::chrono::milliseconds>(renew_at - now));
    std::optional<std::chrono::milliseconds> until_due;
    if (!simulated()) {
      if (const auto due = store.next_due()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*due - wall_now());
        // Redis's tick must not make a timer late.
        block = block_before_due(left, block, opts().server_tick);
        if (left < block) until_due = std::max(left, std::chrono::milliseconds{0});
      }
    }
    return {std::max(block, std::chrono::milliseconds{1}), until_due};
  }

  // A read sent and not yet awaited: xyp_read, behind a blocking XREAD when it waits.
  struct sent_read {
    sent_command sent;
    std::optional<std::chrono::milliseconds> block;
  };
  // Sends the next read, and with `block` a wait for the stream in front of it: a plain XREAD of
  // one entry past read_position, which moves no cursor and only returns when there is something
  // to read (or at its timeout). Redis runs a blocked client's next commands as soon as it is
  // unblocked, so xyp_read reads what woke it with no round trip of its own (a Function cannot
  // block). A blocked read holds the connection: nothing sent behind it runs before it returns.
  sent_read send_read(std::optional<std::chrono::milliseconds> block) {
    resp_commands commands;
    const std::string after = read_position.empty() ? "0-0" : read_position;
    if (block) {
      commands.command("XREAD", "COUNT", "1", "BLOCK", std::to_string(block->count()), "STREAMS",
                       keys.events(), after);
    }
    const auto read = read_command();
    commands.begin(read.size());
    for (const auto& arg : read) commands.arg(arg);
    return {conn.send_formatted(commands), block};
  }

  // The entries of a read sent by send_read. Read again on its own when Redis had lost the
  // Functions.
  asio::awaitable<std::vector<loop_entry>> receive_read(sent_read pending) {
    // A wait has its block and the connect timeout to answer in; a plain read, as read_batch's,
    // no deadline.
    std::optional<std::chrono::milliseconds> timeout;
    if (pending.block) timeout = *pending.block + opts().connect_timeout;
    const auto replies = co_await pending.sent.get_all(timeout);
    if (pending.block && replies.front().is_error()) {
      throw error(errc::unexpected_reply, replies.front().error_message());
    }
    const auto& got = replies.back();
    if (function_missing(got)) {
      co_return co_await read_batch();
    }
    co_return entries_read(checked_fcall(got));
  }

  // What a read returned; moves read_position and says whether more is waiting.
  std::vector<loop_entry> entries_read(const reply& got) {
    const auto& parts = got.elements();
    auto entries = entries_from(parts.at(0), opts().max_entry_bytes);
    last_read = entries.size();
    read_position = parts.at(1).as_string();
    stream_busy = parts.at(2).as_integer() > 0;
    if (const auto refused = parts.at(3).as_integer(); refused > 0) {
      checked = false;  // `refused` was written in the state, under the WATCH
      rt.observer_.refused_unread(n, static_cast<std::uint64_t>(refused));
      log::warn("entries over the size limit dead-lettered unread",
                {{"partition", n}, {"entries", refused}});
    }
    return entries;
  }

  // Feeds what a read returned to the loop; false when it returned nothing.
  bool take(std::vector<loop_entry> entries) {
    if (entries.empty()) return false;
    rt.observer_.batch(n, entries.size());
    since_trim += entries.size();
    loop.feed(std::move(entries));
    return true;
  }

  // Runs the loop until everything fed is applied, fetching what it asks for. Each batch's commit
  // is sent as soon as the batch is complete; the next entries are read before it, so that Redis
  // runs the commit while the engine computes the next batch. Returns with the last commit
  // possibly still on its way.
  asio::awaitable<void> drive() {
    for (;;) {
      if (!simulated()) store.set_wall_clock(wall_now());
      const std::size_t room = opts().units_per_commit > store.pending().units()
                                   ? opts().units_per_commit - store.pending().units()
                                   : 0;
      const auto needs = loop.run(store, room);
      if (needs.timers) {
        co_await flush();  // the window is read from Redis: what it holds must be there
        co_await refill_timers();
        continue;
      }
      if (!needs.empty()) {
        co_await fetch(needs);
        continue;
      }
      if (!store.pending().empty()) {
        auto command = commit_command();
        co_await settle();
        // With a backlog, or a batch that is not small: the next entries, and what they read that
        // the store lacks, are read before the commit is sent, so that the engine computes them
        // while Redis runs the commit (Redis runs one command at a time: a read behind the commit
        // would wait for it, and so would its reply).
        bool read_ahead = false;
        const bool small = !stream_busy && last_read <= small_batch;
        if (may_read_ahead() && !small) {
          read_ahead = take(co_await read_batch());
          if (read_ahead) {
            const auto needs_next = loop.needs_ahead(store);
            if (!needs_next.empty()) co_await fetch(needs_next);
          }
        }
        co_await check_owner(command);
        launch(std::move(command));
        if (!read_ahead && !stream_busy && may_read_ahead()) {
          // A small batch, or a read ahead that found the stream empty: the next read rides behind
          // the commit in the same write, behind a wait for the stream when no timer is due
          // sooner (send_read), so that one round trip lands the batch and brings the next.
          const auto wait = wait_allowed();
          const auto block =
              wait.until_due ? std::nullopt : std::optional<std::chrono::milliseconds>(wait.block);
          auto reading = send_read(block);
          co_await settle();
          read_ahead = take(co_await receive_read(std::move(reading)));
          waited_idle = !read_ahead && block && !stream_busy;
        }
        if (read_ahead) continue;
      }
      co_await renew_if_due();
      if (loop.idle()) co_return;
    }
  }

  // After a notice was loaded: every pending timer whose clock was counted provisionally is
  // counted again on the new calendar (case_processor::recalendar), and the units committed like
  // any others. The timer set is read in pages by rank from a snapshot of its size; the recount's
  // own timers are counted on the new calendar already, and a repeated look at one is ignored.
  asio::awaitable<void> recalendar() {
    co_await drive();  // what is held is committed, so Redis holds every pending timer
    co_await settle();
    const auto total = co_await conn.command(cmd("ZCARD", keys.timers()));
    if (total.is_error()) throw error(errc::unexpected_reply, total.error_message());
    std::vector<timer_entry> timers;
    const std::int64_t page = 10'000;
    for (std::int64_t start = 0; start < total.as_integer(); start += page) {
      const auto got = co_await conn.command(cmd("ZRANGE", keys.timers(), std::to_string(start),
                                                 std::to_string(start + page - 1), "WITHSCORES"));
      if (got.is_error()) throw error(errc::unexpected_reply, got.error_message());
      const auto& e = got.elements();
      for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
        if (auto t = timer_from_member(e[i].as_string(), std::stoll(e[i + 1].as_string()))) {
          timers.push_back(std::move(*t));
        }
      }
    }
    std::uint64_t moved = 0;
    const std::size_t step = std::max<std::size_t>(opts().batch_size, 1);
    for (std::size_t begin = 0; begin < timers.size(); begin += step) {
      const std::size_t end = std::min(timers.size(), begin + step);
      store_needs needs;
      for (std::size_t i = begin; i < end; ++i) {
        if (!store.holds_case(timers[i].case_id)) needs.cases.insert(timers[i].case_id);
      }
      if (!needs.empty()) co_await fetch(needs);
      for (std::size_t i = begin; i < end; ++i) {
        auto unit = rt.processor_.recalendar(timers[i], store);
        if (unit.ignored) continue;
        moved += unit.timers_set.size();
        store.keep(std::move(unit), nullptr);
      }
      co_await flush();
    }
    log::info("clocks counted again on the reloaded calendar",
              {{"partition", n}, {"timers", timers.size()}, {"moved", moved}});
  }

  asio::awaitable<void> read_and_apply() {
    if (std::exchange(waited_idle, false)) co_return;
    // Only a wait on an idle stream blocks: a timer due before the read would time out, or a
    // stream with more to read, is read without one (and with nothing read, the loop sleeps until
    // the timer is due). The commit on its way lands first.
    const auto wait = wait_allowed();
    const bool catching_up = wait.until_due.has_value() || stream_busy;
    co_await settle();
    const auto block =
        catching_up ? std::nullopt : std::optional<std::chrono::milliseconds>(wait.block);
    auto reading = send_read(block);
    if (!take(co_await receive_read(std::move(reading)))) {
      if (!stream_busy && wait.until_due && wait.until_due->count() > 0) {
        asio::steady_timer wake(co_await asio::this_coro::executor, *wait.until_due);
        co_await wake.async_wait(asio::use_awaitable);
      }
      co_return;
    }
    co_await drive();
  }

  // Fires what the system clock made due.
  asio::awaitable<void> fire_due() {
    if (simulated()) co_return;
    if (store.held_timers() == 0 && store.timer_horizon() != INT64_MAX) co_await refill_timers();
    const auto due = store.next_due();
    const auto now = wall_now();
    if (!due || *due > now) co_return;
    loop.fire_until(now);
    co_await drive();
  }

  // With the system clock, while the loop has nothing to apply: the cases of the timers due within
  // the look-ahead that the store does not hold are fetched now, in one round trip, and held until
  // their timers fire (redis_store::cases_due_by). A case changed meanwhile by an inbound event is
  // changed in the store, which then holds it: the firing reads that, never the fetched copy.
  asio::awaitable<void> prefetch_due() {
    if (simulated() || opts().prefetch_ahead.count() <= 0 || !loop.idle()) co_return;
    const auto due = store.next_due();
    const auto until = wall_now() + opts().prefetch_ahead;
    if (!due || *due > until) co_return;
    store_needs needs;
    for (auto& id : store.cases_due_by(until, opts().prefetch_timers)) {
      needs.cases.insert(std::move(id));
    }
    if (needs.empty()) co_return;
    co_await fetch(needs);
    rt.observer_.prefetched(n, needs.cases.size());
  }

  // The longest a blocked read may wait in Redis so that it ends before the next timer, due in
  // `left`, though Redis times it out only at its next tick: `block` when it ends in time anyway
  // or the read is not blocked (the timer is due within `block`: read_and_apply sleeps on an Asio
  // timer); shortened by a tick when it would not; when the timer is due within a tick, just past
  // it, so that read_and_apply reads without blocking and sleeps on its Asio timer until the due
  // time.
  static std::chrono::milliseconds block_before_due(std::chrono::milliseconds left,
                                                    std::chrono::milliseconds block,
                                                    std::chrono::milliseconds tick) {
    if (left < block || left >= block + tick) return block;
    if (left > tick) return left - tick;
    return left + std::chrono::milliseconds{1};
  }

  // The first and last day bucket of applied ids that the dedupe window touches now: an id is
  // found for at least the window and less than a day more.
  std::pair<std::chrono::sys_days, std::chrono::sys_days> applied_days() const {
    const auto now = store.commit_now();
    return {std::chrono::floor<std::chrono::days>(now - opts().dedupe_window),
            std::chrono::floor<std::chrono::days>(now)};
  }

  // Inbound entries up to the committed position are done with: trim them (a blind MAXLEN would
  // delete entries not yet applied). Applied ids older than the dedupe window go too: each day
  // bucket before the window's first day is unlinked whole, from the first one this owner has not
  // deleted yet (a year back at its first trim: a longer gap leaves keys behind, harmless).
  asio::awaitable<void> trim() {
    co_await settle();
    since_trim = 0;
    std::vector<std::vector<std::string>> commands;
    if (!committed_position.empty()) {
      commands.push_back({"XTRIM", keys.events(), "MINID", committed_position});
    }
    const auto first_kept = applied_days().first;
    auto day = applied_kept_from.value_or(first_kept - std::chrono::days{366});
    if (day < first_kept) {
      std::vector<std::string> unlink{"UNLINK"};
      for (; day < first_kept; day += std::chrono::days{1}) unlink.push_back(keys.applied_day(day));
      commands.push_back(std::move(unlink));
    }
    applied_kept_from = first_kept;
    // Earlier builds' pair, until it is empty: ids older than the window out of the zset, their
    // fingerprints after them (ids only ever got newer scores, so these are all that went).
    if (old_applied) {
      const std::string below = "(" + std::to_string(to_ms(instant{first_kept.time_since_epoch()}));
      commands.push_back({"ZRANGE", keys.applied(), "-inf", below, "BYSCORE"});
      commands.push_back({"ZREMRANGEBYSCORE", keys.applied(), "-inf", below});
      commands.push_back({"ZCARD", keys.applied()});
    }
    const auto replies = co_await conn.pipeline(std::move(commands));
    if (!old_applied) co_return;
    const auto& left = replies[replies.size() - 1];
    if (left.is_error()) throw error(errc::unexpected_reply, left.error_message());
    if (left.as_integer() == 0) {
      co_await conn.command(cmd("UNLINK", keys.applied_fingerprints()));
      old_applied = false;
      co_return;
    }
    const auto& expired = replies[replies.size() - 3];
    if (expired.is_array() && !expired.elements().empty()) {
      std::vector<std::vector<std::string>> deletes;
      for (const auto& id : expired.elements()) {
        if (deletes.empty() || deletes.back().size() >= 1002) {
          deletes.push_back({"HDEL", keys.applied_fingerprints()});
        }
        deletes.back().push_back(id.as_string());
      }
      co_await conn.pipeline(std::move(deletes));
    }
  }

  asio::awaitable<void> wait(std::chrono::milliseconds how_long) {
    asio::steady_timer pause(co_await asio::this_coro::executor, how_long);
    co_await pause.async_wait(asio::use_awaitable);
  }

  // A loop that does not serve waits here until runtime::share asks it to take the lease (or
  // the engine stops: share wakes every loop then).
  asio::awaitable<void> wait_for_share() {
    wake.expires_after(rt.share_period());
    boost::system::error_code ec;
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  // Hands the partition over: the batch in hand lands (the loop is idle: everything it read is in
  // a commit sent), then the lease is released, so that the next owner reads on from the
  // committed position at once instead of waiting for the lease to lapse.
  asio::awaitable<void> hand_over() {
    co_await settle();
    const std::string held = token;
    drop(std::nullopt);
    co_await fcall(cmd("FCALL", "xyp_release", "1", keys.lease(), held));
    log::info("partition handed over", {{"partition", n}, {"lease", held}});
    rt.observer_.released(n);
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
          co_await wait(delays.next());
          failed = false;
        }
        if (!connected) {
          co_await connect();
          connected = true;
        }
        if (token.empty()) {
          release_wanted = false;
          // Taken only when runtime::share asks (this engine is below its fair share and the
          // lease was free); otherwise, or when another engine was quicker, wait for the next ask.
          if (!std::exchange(take_wanted, false) || !co_await acquire()) {
            co_await wait_for_share();
            continue;
          }
        }
        co_await renew_if_due();
        // The commit on its way may carry the renewal: it counts once it has landed.
        if (!lease_holds()) co_await settle();
        if (!lease_holds()) {
          log::warn("lease not renewed in time: serving stops until it is taken again",
                    {{"partition", n}});
          drop(fenced{"the lease's end"});
          continue;
        }
        if (!loop.idle()) co_await drive();
        if (std::exchange(release_wanted, false)) {
          co_await hand_over();
          continue;
        }
        if (recalendared != rt.recalendar_requests_) {
          const std::uint64_t requested = rt.recalendar_requests_;
          co_await recalendar();
          recalendared = requested;
        }
        co_await fire_due();
        co_await prefetch_due();
        co_await read_and_apply();
        delays.reset();
        if (since_trim >= std::max<std::uint64_t>(opts().trim_every, 1)) co_await trim();
      } catch (const fenced& f) {
        drop(f);
      } catch (const error& e) {
        log::warn("redis failure: reconnecting", {{"partition", n}, {"error", e.what()}});
        conn.close();
        connected = false;
        failed = true;
        // What Redis holds may be older than what we held (a restart loses the last second of an
        // AOF): everything is read again once the lease is taken again.
        drop(std::nullopt);
        retake = true;
        rt.observer_.reconnected(n);
      }
    }
    if (!token.empty() && connected) {
      try {
        co_await hand_over();
      } catch (const error&) {
      } catch (const fenced&) {
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
      owner_(options_.owner.empty() ? default_owner(options_.consumer) : options_.owner),
      stopping_(std::make_shared<std::atomic<bool>>(false)) {}

runtime::~runtime() = default;

void runtime::stop() {
  stopping_->store(true);
}

std::chrono::milliseconds runtime::share_period() const {
  if (options_.share_every.count() > 0) return options_.share_every;
  return std::clamp<std::chrono::milliseconds>(
      options_.lease_ttl / 5, std::chrono::milliseconds{50}, std::chrono::milliseconds{1000});
}

// Every engine on the prefix shares its N partitions with the others. Each round (share_period):
// one Function call renews this engine's membership in the engines key (expiring before its
// leases would, see below) and returns the live engines; one
// GET per lease in the same round trip says who holds what. With L live engines sorted by id, the
// first N mod L take ceil(N / L) partitions and the others floor(N / L): the shares add up to N,
// so every partition has an engine that wants it. Each engine ranks the partitions by rendezvous
// weight (`preference`); above its share it hands over its least preferred partitions, below it
// asks its loops of the most preferred free ones to take them. Only free leases are taken and a
// handed-over partition is released after its batch has landed, so two engines never serve one
// partition at once (the fencing stays what guarantees it).
asio::awaitable<void> runtime::share(std::vector<std::unique_ptr<partition_worker>>& workers) {
  const std::uint32_t total = options_.partitions;
  const std::string engines = engines_key(options_.prefix);
  std::vector<std::uint32_t> ranked(total);  // most preferred first
  for (std::uint32_t n = 0; n < total; ++n) ranked[n] = n;
  std::sort(ranked.begin(), ranked.end(), [&](std::uint32_t a, std::uint32_t b) {
    return preference(owner_, a) > preference(owner_, b);
  });
  router conn(executor_, options_.server, options_.connect_timeout);
  bool connected = false;
  bool warned = false;  // the failure in a row was logged
  backoff delays;
  auto member_call = [&](std::chrono::milliseconds ttl) {
    return cmd("FCALL", "xyp_member", "1", engines, owner_, std::to_string(ttl.count()));
  };
  while (!stopping_->load()) {
    try {
      if (!connected) {
        co_await conn.connect();
        co_await load_library_everywhere(conn);
        connected = true;
        if (std::exchange(warned, false)) log::info("redis reachable again: sharing partitions");
        delays.reset();
      }
      // Membership lapses after two thirds of the lease TTL (renewed every round, a fifth of it
      // at most): a dead engine's membership is gone by the time its last leases lapse (up to
      // one TTL after its last renewal, which came every third of it), so the others' shares
      // have grown when its partitions come free.
      std::vector<std::vector<std::string>> commands{member_call(options_.lease_ttl * 2 / 3)};
      for (std::uint32_t n = 0; n < total; ++n) {
        commands.push_back(cmd("GET", partition_keys(options_.prefix, n).lease()));
      }
      const auto replies = co_await conn.pipeline(std::move(commands));
      if (replies.front().is_error()) {
        // Lost the Functions (FUNCTION FLUSH, a restart without them): loaded again at the
        // reconnection.
        throw error(errc::unexpected_reply, replies.front().error_message());
      }
      std::vector<std::string> live;
      for (const auto& id : replies.front().elements()) live.push_back(id.as_string());
      std::sort(live.begin(), live.end());
      const auto me = std::lower_bound(live.begin(), live.end(), owner_);
      const auto index = static_cast<std::uint32_t>(me - live.begin());
      const auto count = static_cast<std::uint32_t>(live.size());
      const std::uint32_t fair = total / count + (index < total % count ? 1 : 0);
      std::vector<bool> mine(total), free(total);
      std::uint32_t held = 0;
      for (std::uint32_t n = 0; n < total; ++n) {
        const auto& lease = replies[1 + n];
        free[n] = lease.is_nil();
        mine[n] = lease.is_string() && lease_owner(lease.as_string()) == owner_;
        held += mine[n] ? 1 : 0;
        // A lease of this engine's that its loop dropped (a Redis failure, a reconnection): it is
        // taken back at once (a new epoch), as it was before partitions were shared; a share
        // exceeded by it is handed over at a later round.
        if (mine[n] && workers[n]->token.empty() && workers[n]->retake) {
          workers[n]->take_wanted = true;
          workers[n]->wake.cancel();
        }
      }
      observer_.membership(live.size(), fair);
      if (held > fair) {
        std::uint32_t over = held - fair;
        for (auto it = ranked.rbegin(); it != ranked.rend() && over > 0; ++it) {
          auto& w = *workers[*it];
          if (!mine[*it] || w.token.empty()) continue;
          w.release_wanted = true;
          --over;
        }
      } else if (held < fair) {
        std::uint32_t under = fair - held;
        for (auto it = ranked.begin(); it != ranked.end() && under > 0; ++it) {
          auto& w = *workers[*it];
          if (!free[*it] || !w.token.empty()) continue;
          w.take_wanted = true;
          w.wake.cancel();
          --under;
        }
      }
    } catch (const error& e) {
      if (!std::exchange(warned, true)) {
        log::warn("redis failure while sharing partitions: reconnecting", {{"error", e.what()}});
      }
      conn.close();
      connected = false;
    }
    // Until the next round (later while Redis fails), looking at stop() every 50 ms (it may come
    // from another thread).
    const auto next = std::chrono::steady_clock::now() +
                      (connected ? share_period() : std::max(share_period(), delays.next()));
    asio::steady_timer pause(executor_);
    while (!stopping_->load() && std::chrono::steady_clock::now() < next) {
      pause.expires_at(
          std::min(next, std::chrono::steady_clock::now() + std::chrono::milliseconds{50}));
      boost::system::error_code ec;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  // Leaving at once: the other engines' shares grow at their next round, and they take each
  // partition as soon as this engine's loop has released it.
  for (auto& w : workers) w->wake.cancel();
  if (connected) {
    try {
      co_await conn.command(member_call(std::chrono::milliseconds{0}));
    } catch (const error&) {
    }
  }
}

void runtime::request_recalendar() {
  ++recalendar_requests_;
}

asio::awaitable<void> runtime::run() {
  co_await check_layout(options_);
  {
    router discovery(executor_, options_.server, options_.connect_timeout);
    co_await discovery.connect();
    clustered_ = discovery.clustered();
    if (clustered_) cluster_nodes_ = discovery.masters();
    discovery.close();
  }
  std::vector<std::unique_ptr<partition_worker>> workers;
  for (std::uint32_t n = 0; n < options_.partitions; ++n) {
    workers.push_back(std::make_unique<partition_worker>(*this, n));
  }
  // Each partition runs its own loop, and share() tells them which to serve; run() returns when
  // every loop has finished its batch and share() has left the engines key.
  auto remaining = std::make_shared<std::size_t>(workers.size() + 1);
  asio::steady_timer done(executor_, asio::steady_timer::time_point::max());
  // When every loop has ended (stop(), or each one by a defect), sharing ends too.
  auto loops_left = std::make_shared<std::size_t>(workers.size());
  auto stopping = stopping_;
  for (auto& w : workers) {
    asio::co_spawn(executor_, w->run(),
                   [remaining, loops_left, stopping, &done](std::exception_ptr failure) {
                     if (--*loops_left == 0) stopping->store(true);
                     log_defect(failure, "partition loop ended by a defect");
                     if (--*remaining == 0) done.cancel();
                   });
  }
  asio::co_spawn(executor_, share(workers), [remaining, &done](std::exception_ptr failure) {
    log_defect(failure, "partition sharing ended by a defect");
    if (--*remaining == 0) done.cancel();
  });
  boost::system::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<std::vector<std::string>> check_server(const runtime_options& options) {
  router nodes(co_await asio::this_coro::executor, options.server, options.connect_timeout);
  std::vector<std::string> warnings;
  // Every master of a Cluster holds its share of the cases: each must keep them.
  co_await nodes.for_each_master([&](connection& conn) -> asio::awaitable<void> {
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
  });
  nodes.close();
  co_await check_layout(options);
  co_return warnings;
}

asio::awaitable<void> check_layout(const runtime_options& options) {
  router conn(co_await asio::this_coro::executor, options.server, options.connect_timeout);
  const std::string marker = layout_key(options.prefix);
  const auto layout = co_await conn.command(cmd("GET", marker));
  if (layout.is_string()) {
    if (layout.as_string() == layout_version) co_return;
    throw std::runtime_error("Redis holds the engine's keys under prefix " + options.prefix +
                             " in layout " + layout.as_string() +
                             ", and this engine reads layout " + std::string(layout_version) +
                             ": run the engine version that wrote them, or start on an empty "
                             "Redis (or another --prefix); see docs/operations.md");
  }
  // No marker: refuse keys of the previous layout, mark an empty one.
  for (std::uint32_t n = 0; n < options.partitions; ++n) {
    const partition_keys keys(options.prefix, n);
    bool old = false;
    const auto exists =
        co_await conn.command(cmd("EXISTS", keys.old_meta(), keys.old_timer_info()));
    old = exists.is_integer() && exists.as_integer() > 0;
    // The partition's keys are on one master; which one a SCAN need not know.
    co_await conn.for_each_master([&](connection& node) -> asio::awaitable<void> {
      std::string cursor = "0";
      for (int round = 0; !old && round < 100; ++round) {
        const auto found = co_await node.command(
            cmd("SCAN", cursor, "MATCH",
                keys_starting_with(partition_key_prefix(options.prefix, n) + "case:"), "COUNT",
                "1000"));
        if (found.is_error()) break;
        cursor = found.elements().at(0).as_string();
        old = !found.elements().at(1).elements().empty();
        if (cursor == "0") break;
      }
    });
    if (old) {
      throw std::runtime_error(
          "Redis holds partition " + std::to_string(n) + " under prefix " + options.prefix +
          " in the previous layout (" + keys.old_meta() + ", " + keys.old_timer_info() +
          " or case:* keys, and no " + marker +
          "): this engine would misread it. Drain it with the previous engine version, then "
          "start this one on an empty Redis or another --prefix; see docs/operations.md");
    }
  }
  co_await conn.command(cmd("SET", marker, layout_version, "NX"));
  conn.close();
}

asio::awaitable<std::uint64_t> submit_lines(const runtime_options& options,
                                            const std::vector<std::string>& lines) {
  // To each partition's master when the server is a Cluster node.
  router conn(co_await asio::this_coro::executor, options.server, options.connect_timeout);
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
    for (const auto n : partitions_for(parse_envelope(line), line, options.partitions)) {
      commands.push_back({"XADD", partition_keys(options.prefix, n).events(), "*", "event", line});
    }
    if (commands.size() >= 1000) co_await send();
  }
  co_await send();
  co_return written;
}

}  // namespace xyp::redis
