// xyp_engine_path_bench: the engine's side of the drain in one process, without Redis, so that a
// change to it can be measured without the noise of two processes sharing two cores. A program,
// not a test. It runs the realistic mix through what the Redis runtime runs per batch (entries
// parsed, partition_loop over redis_store, the commit written as RESP, the batch sent and landed)
// and answers the store's fetches from a stand-in for Redis kept in memory (cases encoded as the
// commit writes them, decoded when fetched), and prints CPU per event with and without that
// stand-in's share.
// Usage: xyp_engine_path_bench [--events N] [--rounds N]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/cli/traffic.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/store.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/json_writer.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/partition_loop.hpp"

namespace {

using namespace xyp;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// What Redis would hold after each landed batch, as far as the store fetches it.
struct stand_in {
  std::unordered_map<std::string, std::string> cases;  // case id -> encoded case
  // FNV-1a of every case and outbound envelope as landed, in order: a change that keeps the
  // engine's behaviour keeps it (the commit's own text holds the wall clock).
  std::uint64_t hash = 14695981039346656037ULL;
  void mix(std::string_view text) {
    for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  std::unordered_map<std::string, std::string> credits;
  std::unordered_map<std::string, std::set<std::string>> cases_of;
  std::unordered_map<std::string, std::uint64_t> applied;
  std::map<std::string, std::pair<std::int64_t, std::string>> timers;  // id -> (due, applicant)

  // The batch's units are in: the cases they wrote are read from the store, which holds every
  // case a batch not yet landed wrote (the units themselves no longer carry them).
  void land(const std::vector<commit_unit>& units, const std::vector<std::string>& case_ids,
            const redis::redis_store& store) {
    auto land_case = [&](const std::string& id) {
      if (const case_record* r = store.peek_case(id)) {
        mix(cases[id] = encode_case(*r));
        // The applicant's record as the store writes it: the cases not closed.
        const auto open = store.case_ids_of(r->applicant_id);
        cases_of[r->applicant_id] = std::set<std::string>(open.begin(), open.end());
      }
    };
    for (const auto& id : case_ids) land_case(id);
    for (const auto& u : units) {
      for (const auto& o : u.outbound) {
        std::string text;
        append_outbound(text, o);
        mix(text);
      }
      if (u.credit) {
        credits[u.credit->first] = nlohmann::json(u.credit->second).dump();
        for (const auto& id : store.case_ids_of(u.credit->first)) land_case(id);
      }
      if (!u.applied_event.empty()) applied[u.applied_event] = u.applied_fingerprint;
      for (const auto& id : u.timers_cancelled) timers.erase(id);
      if (!u.consumed_timer.empty()) {
        timers.erase(u.consumed_timer);
        land_case(u.consumed_timer.substr(0, u.consumed_timer.rfind("/t")));
      }
      for (const auto& t : u.timers_set) {
        timers[t.id] = {t.due.time_since_epoch().count(), t.applicant_id};
      }
    }
  }

  void fetch(const store_needs& needs, redis::redis_store& store) const {
    for (const auto& id : needs.cases) {
      const auto it = cases.find(id);
      store.load_case(id, it == cases.end() ? std::nullopt
                                            : std::optional<case_record>(decode_case(it->second)));
    }
    // One record per applicant (engine/domain/applicant_record): its credit and its open cases.
    std::set<std::string> applicants(needs.credits.begin(), needs.credits.end());
    applicants.insert(needs.cases_of.begin(), needs.cases_of.end());
    for (const auto& a : applicants) {
      const auto credit = credits.find(a);
      const auto open = cases_of.find(a);
      if (credit == credits.end() && open == cases_of.end()) {
        store.load_applicant(a, std::nullopt);
        continue;
      }
      applicant_record record;
      if (credit != credits.end()) {
        record.credit = nlohmann::json::parse(credit->second).get<credit_snapshot>();
      }
      if (open != cases_of.end()) record.case_ids.assign(open->second.begin(), open->second.end());
      store.load_applicant(a, std::move(record));
    }
    for (const auto& id : needs.applied) {
      const auto it = applied.find(id);
      store.load_applied(
          id, it == applied.end() ? std::nullopt : std::optional<std::uint64_t>(it->second));
    }
    if (needs.timers) {
      // Every pending timer past the horizon at once: the bench's windows are not the point.
      std::vector<std::pair<std::string, std::int64_t>> window;
      for (const auto& [id, t] : timers) {
        if (t.first > store.timer_horizon())
          window.emplace_back(redis::timer_member(id, t.second), t.first);
      }
      std::sort(window.begin(), window.end(),
                [](const auto& a, const auto& b) { return a.second < b.second; });
      store.load_timers(window, true);
    }
  }
};

struct run_figures {
  double total_s = 0;
  double stand_in_s = 0;
  std::uint64_t hash = 0;
  std::size_t commits = 0;
  std::size_t commit_bytes = 0;
};

run_figures run_once(const case_processor& processor, const std::vector<std::string>& lines) {
  const redis::partition_keys keys("bench", 0);
  redis::redis_store store(keys, clock_mode::simulated, redis::store_limits{},
                           redis::commit_limits{});
  partition_loop loop(processor);
  stand_in redis;
  run_figures f;
  const std::size_t batch = 256, units_per_commit = 512;
  std::size_t stream_id = 1;
  const double start = cpu_seconds();
  std::vector<std::string> touched;  // the case ids the entries fed last name
  for (std::size_t at = 0; at < lines.size();) {
    std::vector<loop_entry> entries;
    touched.clear();
    for (; at < lines.size() && entries.size() < batch; ++at) {
      entries.push_back(make_entry("1-" + std::to_string(stream_id++), lines[at]));
      if (const auto* e = std::get_if<inbound_event>(&entries.back().parsed)) {
        if (!e->case_id.empty()) touched.push_back(e->case_id);
      }
    }
    loop.feed(std::move(entries));
    for (;;) {
      const std::size_t room = units_per_commit - store.pending().units();
      const auto needs = loop.run(store, room);
      if (needs.timers || !needs.empty()) {
        const double t0 = cpu_seconds();
        redis.fetch(needs, store);
        f.stand_in_s += cpu_seconds() - t0;
        continue;
      }
      if (!store.pending().empty()) {
        const auto command = store.pending().transaction();
        f.commit_bytes += command.text().size();
        ++f.commits;
        auto sent = store.sent();
        const double t0 = cpu_seconds();
        redis.land(sent.units, touched, store);
        f.stand_in_s += cpu_seconds() - t0;
        store.landed();
      }
      if (loop.idle()) break;
    }
  }
  f.total_s = cpu_seconds() - start;
  f.hash = redis.hash;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t events = 40'000;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
      events = static_cast<std::size_t>(std::max(1L, std::atol(argv[++i])));
    } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      std::printf("usage: xyp_engine_path_bench [--events N] [--rounds N]\n");
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  const auto policy = load_policy(XYP_CONFIG_DIR "/profiles/shilong.json");
  const auto calendar = working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  const case_processor processor(policy, calendar, clock_mode::simulated);

  // The drain's lines: the realistic mix of adapters/cli/traffic, the first `events` of it.
  cli::traffic_options options;
  options.cases = static_cast<std::uint32_t>(std::max<std::size_t>(60, events / 4));
  std::vector<std::string> lines;
  for (;;) {
    lines = cli::generate_traffic(policy, calendar, options);
    if (lines.size() >= events) break;
    options.cases = options.cases * 3 / 2 + 60;
  }
  lines.resize(events);

  std::printf("engine path, %zu events of the realistic mix, batch 256, 512 units per commit\n",
              lines.size());
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) {
    const auto f = run_once(processor, lines);
    const double engine_s = f.total_s - f.stand_in_s;
    best = std::min(best, engine_s);
    std::printf(
        "  round %d: %.2f us CPU per event without the stand-in for Redis (%.2f with it); "
        "%zu commits, %.0f KB of RESP each, hash %016llx\n",
        r + 1, 1e6 * engine_s / static_cast<double>(lines.size()),
        1e6 * f.total_s / static_cast<double>(lines.size()), f.commits,
        f.commits ? static_cast<double>(f.commit_bytes) / 1024.0 / static_cast<double>(f.commits)
                  : 0.0,
        static_cast<unsigned long long>(f.hash));
  }
  std::printf("best: %.2f us CPU per event\n", 1e6 * best / static_cast<double>(lines.size()));
  return 0;
}
