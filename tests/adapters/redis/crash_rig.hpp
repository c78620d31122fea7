#pragma once
// The crash tests' rig (crash_test.cpp on one Redis, cluster_test.cpp on a Redis Cluster): the
// engine as a child process, the in-memory replay of the same lines, the waits on the engine's
// progress, and the checks that what Redis holds equals the replay. Reads go through a
// routed_client, so the same checks read one Redis or every master of a Cluster.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "adapters/cli/traffic.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/reply.hpp"
#include "adapters/redis/runtime.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/memory_runtime.hpp"
#include "support/child_process.hpp"
#include "support/redis_client.hpp"
#include "support/redis_server.hpp"
#include "support/routed_client.hpp"
#include "support/runtime_helpers.hpp"

namespace xyp::test::crash {

using nlohmann::json;
using namespace std::chrono_literals;
using test::submit;

namespace asio = boost::asio;
namespace fs = std::filesystem;

// Under AddressSanitizer the engine and the test run about ten times slower: the load shrinks
// (2,000 and 1,000 cases instead of 5,000) so that each test stays well under three minutes
// there. The kills and restarts stay as many.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

// The partitions of the test running now: 2, unless a test sets more (partition_count).
inline std::uint32_t partitions = 2;

// Sets the partition count for one test; the rig, the replay and every check read it.
struct partition_count {
  explicit partition_count(std::uint32_t count) : before(partitions) { partitions = count; }
  ~partition_count() { partitions = before; }
  partition_count(const partition_count&) = delete;
  partition_count& operator=(const partition_count&) = delete;
  std::uint32_t before;
};
constexpr auto wait_limit = 120s;  // for any one thing the test waits for
constexpr auto stop_limit = 5s;    // SIGTERM to exit: the engine's graceful window

inline const std::string profile = XYP_CONFIG_DIR "/profiles/shilong.json";

struct setup {
  jurisdiction_policy policy = load_policy(profile);
  working_calendar calendar = working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  case_processor processor{policy, calendar, clock_mode::simulated};
};

// A dead letter as the contract writes it: fields event, error and detail.
using dead_row = std::tuple<std::string, std::string, std::string>;

// What the in-memory runtime made of the lines, partition by partition, in commit order.
struct replayed {
  std::vector<std::vector<json>> outbound = std::vector<std::vector<json>>(partitions);
  std::vector<std::vector<dead_row>> dead = std::vector<std::vector<dead_row>>(partitions);
  std::uint64_t outbound_total = 0;
};

inline replayed replay(memory_runtime& reference, const std::vector<std::string>& lines) {
  replayed r;
  reference.set_listener([&](std::uint32_t n, const commit_unit& unit) {
    for (const auto& e : unit.outbound) r.outbound[n].push_back(to_json(e));
    r.outbound_total += unit.outbound.size();
    if (unit.dead) {
      r.dead[n].emplace_back(unit.dead->raw, std::string(to_string(unit.dead->code)),
                             unit.dead->detail);
    }
  });
  for (const auto& line : lines) reference.submit(line);
  reference.set_listener(nullptr);
  return r;
}

// A connection of the test's own kept open across commands (the harness opens one per command):
// reads tens of thousands of entries and case documents, and blocks on XREAD. Routed, so that on
// a Cluster each command goes to its key's master.
using blocking_client = routed_client;

// A flat RESP2 map ([key, value, key, value, ...], as XINFO answers) by key.
inline std::map<std::string, redis::reply> as_map(const redis::reply& flat) {
  std::map<std::string, redis::reply> out;
  const auto& kv = flat.elements();
  for (std::size_t i = 0; i + 1 < kv.size(); i += 2) out[kv[i].as_string()] = kv[i + 1];
  return out;
}

// Every entry of a stream, paged, as its field map.
inline std::vector<std::map<std::string, std::string>> read_stream(blocking_client& client,
                                                                   const std::string& key) {
  std::vector<std::map<std::string, std::string>> entries;
  std::string from = "-";
  for (;;) {
    const auto page = client.command({"XRANGE", key, from, "+", "COUNT", "5000"});
    if (page.elements().empty()) return entries;
    for (const auto& entry : page.elements()) {
      std::map<std::string, std::string> fields;
      const auto& kv = entry.elements().at(1).elements();
      for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
        fields[kv[i].as_string()] = kv[i + 1].as_string();
      }
      entries.push_back(std::move(fields));
    }
    from = "(" + page.elements().back().elements().at(0).as_string();
  }
}

// `xinyipi run` as a child process, its stdout and stderr appended to a file. Killed (SIGKILL)
// when the object goes, whatever path the test takes; it also dies with the test process.
class engine_process {
 public:
  engine_process(std::vector<std::string> args, fs::path log)
      : args_(std::move(args)), log_(std::move(log)) {}
  ~engine_process() { kill(); }
  engine_process(const engine_process&) = delete;
  engine_process& operator=(const engine_process&) = delete;

  pid_t pid() const { return pid_; }
  const fs::path& log() const { return log_; }

  void start(const std::string& why) {
    if (pid_ > 0) throw std::logic_error("engine_process::start: already running");
    {
      std::ofstream marker(log_, std::ios::app);
      marker << "=== test: engine started (" << why << ")\n";
    }
    pid_ = spawn(args_, log_);
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0) {
      kill();
      throw std::runtime_error("pidfd_open failed");
    }
  }

  // A crash: SIGKILL, then reap.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    reap(-1, status);
  }

  // A clean stop: SIGTERM, then the wait status if the process ended within `limit`; otherwise
  // it is killed and nothing is returned.
  std::optional<int> terminate(std::chrono::milliseconds limit) {
    if (pid_ <= 0) return std::nullopt;
    ::kill(pid_, SIGTERM);
    int status = 0;
    if (reap(static_cast<int>(limit.count()), status)) return status;
    kill();
    return std::nullopt;
  }

  // True when the process has ended on its own; it is reaped, and `status` says how.
  bool ended(int& status) {
    if (pid_ <= 0) return true;
    return reap(0, status);
  }

  std::string log_tail(std::size_t lines = 40) const {
    std::string out = "--- last lines of the engine's stderr (" + log_.string() + ")\n";
    for (const auto& line : last_lines(log_, lines)) out += line + "\n";
    return out;
  }

 private:
  // Waits up to `timeout_ms` (-1: as long as it takes) for the process to end, and reaps it.
  bool reap(int timeout_ms, int& status) {
    pollfd p{pidfd_, POLLIN, 0};
    int ready = 0;
    do {
      ready = ::poll(&p, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) return false;
    ::waitpid(pid_, &status, 0);
    if (pidfd_ >= 0) ::close(pidfd_);
    pidfd_ = -1;
    pid_ = -1;
    return true;
  }

  std::vector<std::string> args_;
  fs::path log_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

// Counts outbound entries as they appear, reading every partition's out stream with a blocking
// XREAD from where it left off: the test's only way of waiting for the engine.
class outbound_progress {
 public:
  explicit outbound_progress(const std::string& prefix) {
    for (std::uint32_t n = 0; n < partitions; ++n) {
      streams_.push_back(redis::partition_keys(prefix, n).out());
      ids_.push_back("0-0");
    }
  }

  std::uint64_t seen() const { return seen_; }

  // Reads what is new, waiting up to `block` for something to be.
  void read(blocking_client& client, std::chrono::milliseconds block) {
    std::vector<std::string> xread{
        "XREAD", "COUNT", "2000", "BLOCK", std::to_string(block.count()), "STREAMS"};
    xread.insert(xread.end(), streams_.begin(), streams_.end());
    xread.insert(xread.end(), ids_.begin(), ids_.end());
    const auto got = client.command(xread);
    if (got.is_error()) throw std::runtime_error("XREAD: " + got.error_message());
    if (got.is_nil()) return;
    for (const auto& stream : got.elements()) {
      const auto& name = stream.elements().at(0).as_string();
      const auto& entries = stream.elements().at(1).elements();
      for (std::size_t n = 0; n < streams_.size(); ++n) {
        if (streams_[n] == name && !entries.empty()) {
          ids_[n] = entries.back().elements().at(0).as_string();
        }
      }
      seen_ += entries.size();
    }
  }

 private:
  std::vector<std::string> streams_;
  std::vector<std::string> ids_;
  std::uint64_t seen_ = 0;
};

// True when every inbound entry of every partition is committed and no timer is due on the
// partition's clock: the engine has nothing left to do. The engine reads with NOACK, so the
// group's cursor says what was read, not what landed: an engine killed after a read leaves the
// cursor at the stream's end and nothing pending while its successor has yet to take the lease.
// The committed position, written in the same transaction as the entries' effects, is what says
// the last entry has landed.
inline bool drained(blocking_client& client, const std::string& prefix) {
  for (std::uint32_t n = 0; n < partitions; ++n) {
    const redis::partition_keys keys(prefix, n);
    const auto replies = client.pipeline(
        {{"XINFO", "STREAM", keys.events()}, {"HMGET", keys.state(), "clock", "position"}});
    if (replies[0].is_error() || replies[1].is_error()) return false;
    const auto last = as_map(replies[0]).at("last-generated-id").as_string();
    const auto& state = replies[1].elements();
    const std::string position = state.at(1).is_nil() ? std::string() : state[1].as_string();
    if (last != "0-0" && position != last) return false;
    const std::string clock = state.at(0).is_nil() ? "0" : state[0].as_string();
    const auto due =
        client.command({"ZRANGEBYSCORE", keys.timers(), "-inf", clock, "LIMIT", "0", "1"});
    if (!due.elements().empty()) return false;
  }
  return true;
}

// One run of the engine against one Redis: the child process, the progress it makes, and the
// bounded waits on it.
// Whether the engine process `pid` holds every partition's lease (defined below).
inline bool holds_every_lease(blocking_client& client, const std::string& prefix, pid_t pid);
// Whether the leases are held exactly as `expected` says (defined below).
inline bool leases_split(blocking_client& client, const std::string& prefix,
                         const std::map<pid_t, std::uint32_t>& expected);

class rig {
 public:
  // `lease_ms`: the engines' --lease-ttl; 0: the default below.
  rig(const test::redis_target& server, std::string prefix, std::int64_t lease_ms = 0)
      : server_(server),
        prefix_(std::move(prefix)),
        lease_ms_(lease_ms),
        engine_(engine_args(server), server.dir() / "engine.stderr"),
        other_(engine_args(server), server.dir() / "engine-2.stderr"),
        third_(engine_args(server), server.dir() / "engine-3.stderr"),
        progress_(prefix_) {}

  engine_process& engine() { return engine_; }
  // A second and a third engine on the same partitions (the fencing and sharing tests).
  engine_process& other() { return other_; }
  engine_process& third() { return third_; }
  const outbound_progress& progress() const { return progress_; }
  const std::string& prefix() const { return prefix_; }

  // What a producer writing to the rig's partitions needs.
  redis::runtime_options producer_options() const {
    redis::runtime_options o;
    o.server = server_.endpoint();
    o.prefix = prefix_;
    o.partitions = partitions;
    return o;
  }

  // The fencing tests' start: the first engine holding every lease, then the second beside it.
  // Returns the first engine's pid.
  pid_t start_both_engines() {
    engine_.start("the first engine");
    const pid_t first = engine_.pid();
    wait_for([&] { return holds_every_lease(client(), prefix_, first); },
             "the first engine to hold every lease");
    other_.start("the second engine, on the same partitions");
    return first;
  }

  // A new connection, after Redis was started again.
  void reconnect() { client_.reset(); }
  blocking_client& client() {
    if (!client_) client_ = std::make_unique<blocking_client>(server_.port());
    return *client_;
  }

  // Waits until at least `target` outbound entries exist, or the engine has nothing left to do
  // (when effects went missing; the comparison at the end says which).
  void wait_for_outbound(std::uint64_t target) {
    wait_until([&] { return progress_.seen() >= target || drained(client(), prefix_); },
               std::to_string(target) + " outbound entries (seen " +
                   std::to_string(progress_.seen()) + " when the wait began)");
  }

  // Waits until every inbound entry is committed and no timer is due.
  void wait_until_drained() {
    wait_until([&] { return drained(client(), prefix_); },
               "every inbound entry committed and no timer due");
  }

  std::string diagnostics() const {
    return engine_.log_tail() + (other_.pid() > 0 ? other_.log_tail() : std::string()) +
           (third_.pid() > 0 ? third_.log_tail() : std::string()) + "--- redis-server\n" +
           server_.log_tail(10);
  }

  // Waits, bounded, until `done()`; between checks it waits for new outbound entries (100 ms at
  // most), so this polls Redis state, never sleeps a fixed time.
  template <class Done>
  void wait_for(Done done, const std::string& what) {
    wait_until(done, what);
  }
  // The same, failing after `limit` instead of the rig's generous wait_limit.
  template <class Done>
  void wait_for(Done done, const std::string& what, std::chrono::milliseconds limit) {
    wait_until(done, what, limit);
  }
  // Waits until the leases are held exactly as `split` says (pid -> partitions), none free.
  void wait_for_split(const std::map<pid_t, std::uint32_t>& split, const std::string& what,
                      std::chrono::milliseconds limit = wait_limit) {
    wait_until([&] { return leases_split(client(), prefix_, split); }, what, limit);
  }

 private:
  std::vector<std::string> engine_args(const test::redis_target& server) const {
    // A lease of 1 s: a successor takes over a killed engine's partitions about a second later.
    // Under the sanitizers a loop can be busy for most of a second on a loaded machine, and an
    // engine that cannot renew in time rightly gives its partitions up: the tests that count on
    // the first engine keeping its leases while it lives give it 5 s there.
    const std::string lease =
        lease_ms_ > 0 ? std::to_string(lease_ms_) : (sanitized ? "5000" : "1000");
    return {XYP_BINARY,    "run",       "--redis",      server.url(),
            "--prefix",    prefix_,     "--partitions", std::to_string(partitions),
            "--clock",     "simulated", "--profile",    profile,
            "--log-level", "info",      "--lease-ttl",  lease};
  }

  template <class Done>
  void wait_until(Done done, const std::string& what,
                  std::chrono::milliseconds limit = wait_limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (done()) return;
      int status = 0;
      if (engine_.pid() > 0 && engine_.ended(status)) {
        FAIL("the engine " << describe_status(status) << " while the test waited for " << what
                           << "\n"
                           << diagnostics());
      }
      if (other_.pid() > 0 && other_.ended(status)) {
        FAIL("the second engine " << describe_status(status) << " while the test waited for "
                                  << what << "\n"
                                  << diagnostics());
      }
      if (third_.pid() > 0 && third_.ended(status)) {
        FAIL("the third engine " << describe_status(status) << " while the test waited for " << what
                                 << "\n"
                                 << diagnostics());
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        FAIL("waited " << limit.count() << " ms for " << what << "; outbound seen "
                       << progress_.seen() << "\n"
                       << diagnostics());
      }
      // The wait itself: a blocking read that returns as soon as the engine publishes.
      progress_.read(client(), 100ms);
    }
  }

  const test::redis_target& server_;
  std::string prefix_;
  std::int64_t lease_ms_;
  engine_process engine_;
  engine_process other_;
  engine_process third_;
  outbound_progress progress_;
  std::unique_ptr<blocking_client> client_;
};

// Kill points: one in each of `count` equal slices of the expected outbound total, at a random
// place within it, so that the kills spread over the whole run.
inline std::vector<std::uint64_t> kill_points(std::mt19937_64& rng, std::uint64_t total,
                                              std::size_t count) {
  std::vector<std::uint64_t> points;
  const std::uint64_t slice = total / (count + 1);
  for (std::size_t i = 0; i < count; ++i) {
    std::uniform_int_distribution<std::uint64_t> within(1, slice);
    points.push_back(i * slice + within(rng));
  }
  return points;
}

// The first few of `items`, for a failure message.
template <class Items>
inline std::string first_few(const Items& items, std::size_t count = 5) {
  std::ostringstream out;
  std::size_t shown = 0;
  for (const auto& item : items) {
    if (shown++ == count) {
      out << " ...";
      break;
    }
    out << " " << item;
  }
  return out.str();
}

// Stops the engine with SIGTERM and checks that it exits 0 within its graceful window.
inline void stop_engine(rig& r) {
  const auto status = r.engine().terminate(stop_limit);
  if (!status) {
    FAIL("the engine did not exit within " << stop_limit.count() << " s of SIGTERM\n"
                                           << r.diagnostics());
  }
  INFO("the engine " << describe_status(*status) << "\n" << r.diagnostics());
  CHECK((WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
  // Crashes and reconnects are warnings at most; an error line is a defect the engine noticed.
  std::ifstream log(r.engine().log());
  std::vector<std::string> errors;
  for (std::string line; std::getline(log, line);) {
    if (line.find(R"("level":"error")") != std::string::npos) errors.push_back(line);
  }
  INFO(errors.size() << " error lines in the engine's log:" << first_few(errors, 3));
  CHECK(errors.empty());
}

// Everything Redis holds equals what the in-memory replay made of the same lines.
inline void check_same_outcome(rig& r, const memory_runtime& reference, const replayed& expected) {
  auto& client = r.client();
  INFO("prefix " << r.prefix());

  // Outbound: each id once, the same ids, the same events in the same order per partition.
  std::map<std::string, std::uint64_t> types, expected_types;
  std::set<std::string> ids, expected_ids;
  std::vector<std::string> doubled;
  std::uint64_t total = 0;
  for (std::uint32_t n = 0; n < partitions; ++n) {
    const redis::partition_keys keys(r.prefix(), n);
    std::vector<json> out;
    for (const auto& fields : read_stream(client, keys.out())) {
      out.push_back(json::parse(fields.at("event")));
      const auto id = out.back().at("id").get<std::string>();
      ++types[out.back().at("type").get<std::string>()];
      if (!ids.insert(id).second) doubled.push_back(id);
    }
    total += out.size();
    for (const auto& e : expected.outbound[n]) {
      expected_ids.insert(e.at("id").get<std::string>());
      ++expected_types[e.at("type").get<std::string>()];
    }
    INFO("partition " << n);
    CHECK(out.size() == expected.outbound[n].size());
    if (out != expected.outbound[n]) {
      std::size_t i = 0;
      while (i < out.size() && i < expected.outbound[n].size() && out[i] == expected.outbound[n][i])
        ++i;
      FAIL_CHECK("the outbound stream first differs from the replay at entry #"
                 << i << "\n  redis:  " << (i < out.size() ? out[i].dump() : "(none)")
                 << "\n  replay: "
                 << (i < expected.outbound[n].size() ? expected.outbound[n][i].dump() : "(none)"));
    }
  }
  CHECK(total == expected.outbound_total);
  CHECK(json(types) == json(expected_types));
  std::vector<std::string> missing, extra;
  std::set_difference(expected_ids.begin(), expected_ids.end(), ids.begin(), ids.end(),
                      std::back_inserter(missing));
  std::set_difference(ids.begin(), ids.end(), expected_ids.begin(), expected_ids.end(),
                      std::back_inserter(extra));
  {
    INFO(doubled.size() << " outbound ids published more than once:" << first_few(doubled));
    CHECK(doubled.empty());
  }
  {
    INFO(missing.size() << " outbound ids the replay has and Redis lacks:" << first_few(missing));
    CHECK(missing.empty());
  }
  {
    INFO(extra.size() << " outbound ids Redis has and the replay lacks:" << first_few(extra));
    CHECK(extra.empty());
  }

  for (std::uint32_t n = 0; n < partitions; ++n) {
    INFO("partition " << n);
    const redis::partition_keys keys(r.prefix(), n);
    const auto& part = reference.partition(n);

    // Dead letters: the same rows in the same order.
    std::vector<dead_row> dead;
    for (const auto& fields : read_stream(client, keys.dead())) {
      dead.emplace_back(fields.at("event"), fields.at("error"), fields.at("detail"));
    }
    CHECK(dead.size() == expected.dead[n].size());
    if (dead != expected.dead[n]) {
      std::size_t i = 0;
      while (i < dead.size() && i < expected.dead[n].size() && dead[i] == expected.dead[n][i]) ++i;
      const auto show = [](const std::vector<dead_row>& rows, std::size_t at) {
        if (at >= rows.size()) return std::string("(none)");
        const auto& [event, error, detail] = rows[at];
        return error + ": " + detail + "\n    " + event;
      };
      FAIL_CHECK("the dead letters first differ from the replay at entry #"
                 << i << "\n  redis:  " << show(dead, i)
                 << "\n  replay: " << show(expected.dead[n], i));
    }

    // Cases: every document equal, none more.
    std::vector<std::string> case_ids;
    for (const auto& [id, record] : part.cases()) case_ids.push_back(id);
    std::vector<std::string> differing;
    for (std::size_t begin = 0; begin < case_ids.size(); begin += 1000) {
      std::vector<std::vector<std::string>> gets;
      for (std::size_t i = begin; i < std::min(case_ids.size(), begin + 1000); ++i) {
        gets.push_back({"HGET", keys.case_key(case_ids[i]), case_ids[i]});
      }
      const auto docs = client.pipeline(gets);
      for (std::size_t i = 0; i < docs.size(); ++i) {
        const auto& id = case_ids[begin + i];
        const json want = part.cases().at(id);
        if (!docs[i].is_string()) {
          differing.push_back(id + " (missing in Redis; replay state " +
                              want.value("state", json()).dump() + ")");
        } else if (const json got = decode_case(docs[i].as_string()); got != want) {
          // The patch that turns the replay's document into Redis's.
          differing.push_back(id + " (state " + got.value("state", json()).dump() +
                              ", replay -> Redis: " + json::diff(want, got).dump() + ")");
        }
      }
    }
    {
      INFO(differing.size() << " case documents differ from the replay:" << first_few(differing));
      CHECK(differing.empty());
    }
    {
      // Every case in exactly one state index (listings and counts of all cases read their union).
      std::map<std::string, int> indexed;
      for (int s = 0; s < case_state_count; ++s) {
        const auto state = to_string(static_cast<case_state>(s));
        const auto members = client.command({"ZRANGE", keys.by_state(state), "0", "-1"});
        for (const auto& m : members.elements()) ++indexed[m.as_string()];
      }
      std::vector<std::string> wrong;
      for (const auto& id : case_ids) {
        if (indexed[id] != 1) wrong.push_back(id + " in " + std::to_string(indexed[id]));
      }
      INFO(wrong.size() << " cases not in exactly one state index:" << first_few(wrong));
      CHECK(wrong.empty());
      CHECK(indexed.size() == part.cases().size());
    }

    // Timers still armed, the ledger count and the clock.
    CHECK(client.command({"ZCARD", keys.timers()}).as_integer() ==
          static_cast<std::int64_t>(part.pending_timers()));
    const auto meta = client.command({"HMGET", keys.state(), "ledger", "clock"}).elements();
    REQUIRE(meta.size() == 2);
    CHECK(meta[0].is_string());
    CHECK(meta[1].is_string());
    if (meta[0].is_string()) CHECK(std::stoull(meta[0].as_string()) == part.ledger_count());
    if (meta[1].is_string()) {
      CHECK(std::stoll(meta[1].as_string()) == part.now().time_since_epoch().count());
    }
  }
}

inline std::string prefix_for(const test::redis_target& server, const char* what) {
  return std::string("crash-") + what + "-" + std::to_string(server.port()) + "-" +
         std::to_string(::getpid());
}

inline void always_fsync(test::redis_server& server) {
  const auto set = server.command({"CONFIG", "SET", "appendfsync", "always"});
  REQUIRE_FALSE(set.is_error());
}

// The pid in a partition's lease ("<consumer>-<pid>-<random> <epoch>"), 0 when nobody holds it.
inline pid_t lease_holder(blocking_client& client, const std::string& prefix, std::uint32_t n) {
  const auto lease = client.command({"GET", redis::partition_keys(prefix, n).lease()});
  if (!lease.is_string()) return 0;
  const auto& text = lease.as_string();
  const auto owner_end = text.find(' ');
  const auto random_at = text.rfind('-', owner_end);
  const auto pid_at = text.rfind('-', random_at - 1);
  if (owner_end == std::string::npos || random_at == std::string::npos ||
      pid_at == std::string::npos) {
    return 0;
  }
  return static_cast<pid_t>(std::stol(text.substr(pid_at + 1, random_at - pid_at - 1)));
}

inline bool holds_every_lease(blocking_client& client, const std::string& prefix, pid_t pid) {
  for (std::uint32_t n = 0; n < partitions; ++n) {
    if (lease_holder(client, prefix, n) != pid) return false;
  }
  return true;
}

// How many leases each engine process holds (pid 0: partitions nobody holds).
inline std::map<pid_t, std::uint32_t> lease_counts(blocking_client& client,
                                                   const std::string& prefix) {
  std::map<pid_t, std::uint32_t> counts;
  for (std::uint32_t n = 0; n < partitions; ++n) ++counts[lease_holder(client, prefix, n)];
  return counts;
}

// Whether the leases are held exactly as `expected` says (pid -> partitions), none free.
inline bool leases_split(blocking_client& client, const std::string& prefix,
                         const std::map<pid_t, std::uint32_t>& expected) {
  return lease_counts(client, prefix) == expected;
}

inline std::string describe_leases(blocking_client& client, const std::string& prefix) {
  std::ostringstream out;
  for (const auto& [pid, count] : lease_counts(client, prefix)) {
    out << " " << (pid == 0 ? std::string("free") : "pid " + std::to_string(pid)) << ": " << count;
  }
  return out.str();
}

// What `xinyipi status` prints for the rig's prefix, parsed.
inline json status_of(const test::redis_target& server, const std::string& prefix) {
  const std::string command = std::string(XYP_BINARY) + " status --redis " + server.url() +
                              " --prefix " + prefix + " --partitions " +
                              std::to_string(partitions) + " 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
      out.append(buffer, got);
    }
    ::pclose(pipe);
  }
  INFO("xinyipi status printed: " << out);
  return json::parse(out);
}

// How many calls Redis refused with the fencing error (INFO errorstats of every master).
inline std::int64_t fenced_refusals(blocking_client& client) {
  std::int64_t refused = 0;
  for (const auto port : client.master_ports()) {
    const auto info = client.on(port, {"INFO", "errorstats"}).as_string();
    const auto at = info.find("errorstat_FENCED:count=");
    if (at == std::string::npos) continue;
    refused += std::stoll(info.substr(at + std::string("errorstat_FENCED:count=").size()));
  }
  return refused;
}

inline std::size_t log_lines_with(const fs::path& log, const std::string& text) {
  std::ifstream in(log);
  std::size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(text) != std::string::npos) ++count;
  }
  return count;
}

// The end of a sharing test: every entry committed; handed over cleanly or taken after a death,
// never a commit refused as another owner's; the engines still running lost no partition and
// stop cleanly; and Redis holds what the replay made of the same lines.
inline void finish_shared_run(rig& r, std::initializer_list<engine_process*> running,
                              const memory_runtime& reference, const replayed& expected) {
  r.wait_until_drained();
  CHECK(fenced_refusals(r.client()) == 0);
  for (auto* engine : running) {
    CHECK(log_lines_with(engine->log(), "partition lost to another owner") == 0);
    const auto status = engine->terminate(stop_limit);
    CHECK((status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0));
  }
  check_same_outcome(r, reference, expected);
}

}  // namespace xyp::test::crash
