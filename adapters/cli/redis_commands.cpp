#include "adapters/cli/redis_commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "adapters/cli/back_office.hpp"
#include "adapters/cli/configuration.hpp"
#include "adapters/cli/exit_codes.hpp"
#include "adapters/cli/progress.hpp"
#include "adapters/cli/watch_format.hpp"
#include "adapters/common/log.hpp"
#include "adapters/http/auth.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/server.hpp"
#include "adapters/metrics/runtime_metrics.hpp"
#include "adapters/redis/connection.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/read_model.hpp"
#include "adapters/redis/router.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/case_record.hpp"

namespace xyp::cli {
namespace {

namespace asio = boost::asio;

// Runs one coroutine to completion on a fresh io_context and returns its value; its exception
// propagates.
template <class T>
T run_to_end(asio::awaitable<T> work) {
  asio::io_context io;
  auto result = asio::co_spawn(io, std::move(work), asio::use_future);
  io.run();
  return result.get();
}

std::string describe_server(const redis::runtime_options& o) {
  return o.server.host + ":" + std::to_string(o.server.port);
}

// 127.0.0.0/8, ::1 or localhost: reachable from this machine only.
bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

}  // namespace

int run_engine(const run_options& options) {
  auto config = load_configuration(options.profile, options.calendars, "run", std::cerr);
  if (!config) return exit_config;
  const jurisdiction_policy& policy = config->policy;
  // Not const: SIGHUP replaces it in place, and the processor reads it through its reference.
  working_calendar& calendar = config->calendar;
  // The back office: the HTTP server runs on a thread of its own (below) with Redis connections
  // of its own; the runtime counts into the registry that /metrics exposes.
  http::server_options server_options = options.server;
  if (!options.http.empty()) {
    const auto listen = http::parse_listen_address(options.http);
    if (!listen) {
      std::cerr << "xinyipi run: --http " << options.http << " is not host:port\n";
      return exit_usage;
    }
    server_options.address = listen->host;
    server_options.port = listen->port;
    if (options.tokens.empty()) {
      std::cerr << "xinyipi run: --http needs --tokens FILE: the bearer tokens and their roles "
                   "(see config/tokens.example.json for the format)\n";
      return exit_usage;
    }
    if (options.demo_tokens && !is_loopback(listen->host)) {
      std::cerr << "xinyipi run: --demo-tokens serves published tokens and is allowed on a "
                   "loopback address only, not "
                << listen->host << "\n";
      return exit_usage;
    }
    try {
      server_options.tokens =
          http::load_tokens(options.tokens, options.demo_tokens ? http::demo_tokens::allowed
                                                                : http::demo_tokens::refused);
    } catch (const std::exception& e) {
      std::cerr << "xinyipi run: " << e.what() << "\n";
      return exit_config;
    }
    if (!options.dashboard.empty()) server_options.dashboard_dir = options.dashboard;
    server_options.partitions = options.runtime.partitions;
    for (const auto& [code, m] : policy.matters) server_options.matter_names[code] = m.name;
    server_options.policy = &policy;
  }

  // Options first, so that a mistake in them is told before Redis is even asked.
  try {
    for (const auto& w : run_to_end(redis::check_server(options.runtime))) log::warn(w);
  } catch (const std::exception& e) {
    std::cerr << "xinyipi run: " << e.what() << "\n";
    return exit_redis;
  }

  const case_processor processor(policy, calendar, options.clock, options.processing);
  metrics::registry registry;
  http::health_board health(options.health);
  http::runtime_metrics observer(registry, &health);
  observer.expect_partitions(options.runtime.partitions);
  asio::io_context io;
  redis::runtime engine(io.get_executor(), processor, options.runtime, observer);
  observer.identify(engine.owner());

  // The back office on a thread of its own (cli::back_office): it shares the registry and the
  // health board with the engine, both safe across threads, and keeps its own calendar copy.
  std::unique_ptr<cli::back_office> office;
  if (!options.http.empty()) {
    cli::back_office_options o;
    o.server = server_options;
    o.redis = options.runtime.server;
    o.reads.prefix = options.runtime.prefix;
    o.reads.partitions = options.runtime.partitions;
    for (const auto& [code, m] : policy.matters) {
      auto& departments = o.reads.departments;
      auto it = std::find_if(departments.begin(), departments.end(),
                             [&](const auto& d) { return d.name == m.department; });
      if (it == departments.end()) it = departments.insert(departments.end(), {m.department, {}});
      it->matters.push_back(code);
    }
    o.cache = options.read_cache;
    o.nice = options.http_nice;
    try {
      office = std::make_unique<cli::back_office>(std::move(o), calendar, registry, health);
    } catch (const std::exception& e) {
      std::cerr << "xinyipi run: cannot listen on " << options.http << ": " << e.what() << "\n";
      return exit_usage;
    }
  }

  // SIGTERM or SIGINT: every partition finishes the batch in hand, commits and acknowledges it;
  // past a 5 s window the loop is stopped regardless (what was not acknowledged stays pending).
  // The back office stops at the same time, on its own thread, with its own grace.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer grace(io);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log::info("stopping", {{"signal", signal}});
    engine.stop();
    if (office) office->stop();
    grace.expires_after(std::chrono::seconds(5));
    grace.async_wait([&](const boost::system::error_code& wait) {
      if (!wait) io.stop();
    });
  });
  // SIGHUP: a year's notice was added to the calendar directory (docs/operations.md). The
  // directory is read again whole; one that does not pass is refused, naming the file and the
  // date, and the running calendar kept. The swap happens on the loop's thread, between two
  // events, and each partition then counts its provisional clocks again; the back office's copy
  // is swapped on its own thread.
  asio::signal_set reload(io, SIGHUP);
  std::function<void()> await_reload = [&] {
    reload.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      try {
        calendar = working_calendar::load_directory(options.calendars);
        engine.request_recalendar();
        if (office) office->replace_calendar(calendar);
        log::info("calendar reloaded",
                  {{"directory", options.calendars.string()},
                   {"last_notice_year", static_cast<int>(calendar.last_notice_year())},
                   {"provisional_to", static_cast<int>(calendar.last_year())}});
      } catch (const std::exception& e) {
        log::error("calendar reload refused: the running calendar is kept", {{"error", e.what()}});
      }
      await_reload();
    });
  };
  await_reload();
  log::info("engine started",
            {{"profile", policy.id},
             {"redis", describe_server(options.runtime)},
             {"prefix", options.runtime.prefix},
             {"partitions", options.runtime.partitions},
             {"clock", options.clock == clock_mode::simulated ? "simulated" : "system"},
             {"http", office ? options.http : ""}});
  if (office) office->start();
  asio::co_spawn(io, engine.run(), [&](std::exception_ptr failure) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        log::error("engine stopped by a defect", {{"error", e.what()}});
      }
    }
    if (office) office->stop();
    signals.cancel();
    reload.cancel();
    grace.cancel();
  });
  io.run();
  if (office) {
    office->stop();
    office->join();
  }
  log::info("engine stopped");
  return exit_ok;
}

int run_submit(const redis::runtime_options& options, const std::string& source) {
  std::vector<std::string> lines;
  std::ifstream file;
  if (source != "-") {
    file.open(source);
    if (!file) {
      std::cerr << "xinyipi submit: cannot read " << source << "\n";
      return exit_io;
    }
  }
  std::istream& in = source == "-" ? std::cin : file;
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  try {
    // In chunks, so that a terminal can be shown how far; each chunk is pipelined whole.
    constexpr std::size_t chunk_lines = 5'000;
    progress_meter progress(std::cerr, progress_wanted(STDERR_FILENO), "submit");
    std::uint64_t written = 0;
    const std::size_t total = lines.size();
    // Nothing to send still asks Redis, so that an unreachable one is told.
    if (total == 0) written = run_to_end(redis::submit_lines(options, lines));
    for (std::size_t from = 0; from < total; from += chunk_lines) {
      const std::size_t to = std::min(total, from + chunk_lines);
      std::vector<std::string> chunk(std::make_move_iterator(lines.begin() + from),
                                     std::make_move_iterator(lines.begin() + to));
      written += run_to_end(redis::submit_lines(options, chunk));
      progress_sample sample;
      sample.lines = to;
      sample.total_lines = total;
      progress.update(sample);
    }
    progress.finish();
    std::cout << "submitted " << written << " stream entries from " << total << " lines to "
              << options.partitions << " partition(s)\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "xinyipi submit: " << e.what() << "\n";
    return exit_redis;
  }
}

int run_watch(const redis::runtime_options& options, std::int64_t idle_ms, bool pretty) {
  const bool colour = pretty && ::isatty(STDOUT_FILENO) == 1;
  auto watch = [&]() -> asio::awaitable<void> {
    redis::router conn(co_await asio::this_coro::executor, options.server, options.connect_timeout);
    co_await conn.connect();
    std::vector<std::string> streams, ids;
    for (std::uint32_t n = 0; n < options.partitions; ++n) {
      streams.push_back(redis::partition_keys(options.prefix, n).out());
      ids.push_back("0");
    }
    const std::int64_t block = idle_ms > 0 ? idle_ms : 1000;
    // In a Cluster the streams are on several masters, and one XREAD may name streams of one slot
    // only: each stream is read on its own, without blocking, every 100 ms while nothing comes.
    auto idle_since = std::chrono::steady_clock::now();
    asio::steady_timer poll(co_await asio::this_coro::executor);
    for (;;) {
      redis::reply got;
      if (!conn.clustered()) {
        std::vector<std::string> read{"XREAD",  "COUNT", "1000", "BLOCK", std::to_string(block),
                                      "STREAMS"};
        read.insert(read.end(), streams.begin(), streams.end());
        read.insert(read.end(), ids.begin(), ids.end());
        got = co_await conn.command(std::move(read));
      } else {
        std::vector<std::vector<std::string>> reads;
        for (std::size_t n = 0; n < streams.size(); ++n) {
          reads.push_back({"XREAD", "COUNT", "1000", "STREAMS", streams[n], ids[n]});
        }
        const auto each = co_await conn.pipeline(std::move(reads));
        std::vector<redis::reply> found;
        for (const auto& r : each) {
          if (r.is_error()) throw redis::error(redis::errc::unexpected_reply, r.error_message());
          if (r.is_array()) found.insert(found.end(), r.elements().begin(), r.elements().end());
        }
        if (!found.empty()) {
          got = redis::reply::make_array(std::move(found));
          idle_since = std::chrono::steady_clock::now();
        } else if (std::chrono::steady_clock::now() - idle_since <
                   std::chrono::milliseconds(block)) {
          poll.expires_after(std::chrono::milliseconds(100));
          co_await poll.async_wait(asio::use_awaitable);
          continue;
        }
      }
      if (got.is_nil()) {
        if (idle_ms > 0) co_return;
        idle_since = std::chrono::steady_clock::now();
        continue;
      }
      for (const auto& stream : got.elements()) {
        const auto& name = stream.elements()[0].as_string();
        const auto n = static_cast<std::size_t>(std::find(streams.begin(), streams.end(), name) -
                                                streams.begin());
        for (const auto& entry : stream.elements()[1].elements()) {
          ids[n] = entry.elements()[0].as_string();
          const auto& kv = entry.elements()[1].elements();
          for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
            if (kv[i].as_string() != "event") continue;
            if (pretty) {
              std::cout << pretty_event(kv[i + 1].as_string(), colour) << "\n";
            } else {
              std::cout << kv[i + 1].as_string() << "\n";
            }
          }
        }
      }
      std::cout.flush();
    }
  };
  try {
    run_to_end(watch());
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "xinyipi watch: " << e.what() << "\n";
    return exit_redis;
  }
}

int run_status(const redis::runtime_options& options) {
  auto status = [&]() -> asio::awaitable<nlohmann::json> {
    // To each partition's master when the server is a Redis Cluster node.
    redis::router conn(co_await asio::this_coro::executor, options.server, options.connect_timeout);
    co_await conn.connect();
    std::map<std::string, std::int64_t> states;
    std::int64_t escalations = 0, overdue = 0, timers = 0, dead = 0, outbound = 0, pending = 0,
                 ledger = 0;
    auto rows = nlohmann::json::array();
    for (std::uint32_t n = 0; n < options.partitions; ++n) {
      const redis::partition_keys keys(options.prefix, n);
      std::vector<std::vector<std::string>> commands;
      for (int s = 0; s < case_state_count; ++s) {
        commands.push_back({"ZCARD", keys.by_state(to_string(static_cast<case_state>(s)))});
      }
      commands.push_back({"ZCARD", keys.escalations()});
      commands.push_back({"ZCARD", keys.overdue()});
      commands.push_back({"ZCARD", keys.timers()});
      commands.push_back({"XLEN", keys.dead()});
      commands.push_back({"XLEN", keys.out()});
      commands.push_back({"XPENDING", keys.events(), std::string(redis::consumer_group)});
      commands.push_back({"HLEN", keys.ledger()});
      commands.push_back({"GET", keys.lease()});
      commands.push_back({"PTTL", keys.lease()});
      commands.push_back({"XINFO", "GROUPS", keys.events()});
      commands.push_back({"HGET", keys.state(), "position"});
      const auto replies = co_await conn.pipeline(std::move(commands));
      for (int s = 0; s < case_state_count; ++s) {
        states[std::string(to_string(static_cast<case_state>(s)))] += replies[s].as_integer();
      }
      std::size_t r = case_state_count;
      escalations += replies[r++].as_integer();
      overdue += replies[r++].as_integer();
      const auto partition_timers = replies[r++].as_integer();
      timers += partition_timers;
      dead += replies[r++].as_integer();
      outbound += replies[r++].as_integer();
      const auto& p = replies[r++];
      if (p.is_array() && !p.elements().empty()) pending += p.elements()[0].as_integer();
      ledger += replies[r++].as_integer();
      // Who serves the partition: the lease "<owner> <epoch>" and how long it has left (null
      // owner: nobody; an engine takes it within its next sharing round).
      const auto& lease = replies[r++];
      const auto& ttl = replies[r++];
      nlohmann::json row = nlohmann::json::object();
      row["partition"] = n;
      row["owner"] = nullptr;
      row["epoch"] = nullptr;
      row["lease_ms_left"] = nullptr;
      if (lease.is_string()) {
        const auto& text = lease.as_string();
        const auto space = text.rfind(' ');
        row["owner"] = text.substr(0, space);
        if (space != std::string::npos) row["epoch"] = std::stoull(text.substr(space + 1));
        if (ttl.is_integer() && ttl.as_integer() >= 0) row["lease_ms_left"] = ttl.as_integer();
      }
      // The group's lag: entries not yet read by any engine (null before the first read, or when
      // Redis cannot count it after a deletion).
      row["lag"] = nullptr;
      const auto& groups = replies[r++];
      if (groups.is_array()) {
        for (const auto& group : groups.elements()) {
          const auto& f = group.elements();
          bool ours = false;
          const redis::reply* lag = nullptr;
          for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
            const auto field = f[i].as_string();
            if (field == "name") ours = f[i + 1].as_string() == redis::consumer_group;
            if (field == "lag") lag = &f[i + 1];
          }
          if (ours && lag && lag->is_integer()) row["lag"] = lag->as_integer();
        }
      }
      row["timers_pending"] = partition_timers;
      const auto& position = replies[r++];
      row["committed_position"] =
          position.is_string() ? nlohmann::json(position.as_string()) : nlohmann::json(nullptr);
      if (conn.clustered()) {
        const auto node = co_await conn.master_of_slot(redis::key_slot(keys.base()));
        row["node"] = node.host + ":" + std::to_string(node.port);
      }
      rows.push_back(std::move(row));
    }
    // The live engines and how long each one's membership has left.
    std::vector<std::vector<std::string>> membership;
    membership.push_back({"TIME"});
    membership.push_back({"ZRANGE", redis::engines_key(options.prefix), "0", "-1", "WITHSCORES"});
    const auto members = co_await conn.pipeline(std::move(membership));
    auto engines = nlohmann::json::array();
    if (members[0].is_array() && members[1].is_array()) {
      const auto& t = members[0].elements();
      const std::int64_t now =
          std::stoll(t.at(0).as_string()) * 1000 + std::stoll(t.at(1).as_string()) / 1000;
      const auto& e = members[1].elements();
      for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
        const auto left = std::stoll(e[i + 1].as_string()) - now;
        if (left <= 0) continue;  // lapsed: the next sharing round drops it
        nlohmann::json engine = nlohmann::json::object();
        engine["engine"] = e[i].as_string();
        engine["membership_ms_left"] = left;
        std::int64_t held = 0;
        for (const auto& row : rows) {
          if (row["owner"] == e[i].as_string()) ++held;
        }
        engine["partitions"] = held;
        engines.push_back(std::move(engine));
      }
    }
    nlohmann::json j = {{"cases_by_state", states},   {"escalations_open", escalations},
                        {"cases_overdue", overdue},   {"timers_pending", timers},
                        {"dead_letters", dead},       {"outbound_events", outbound},
                        {"inbound_pending", pending}, {"ledger_entries", ledger}};
    j["engines"] = std::move(engines);
    j["partitions"] = std::move(rows);
    if (conn.clustered()) {
      auto masters = nlohmann::json::array();
      for (const auto& m : conn.masters()) masters.push_back(m.host + ":" + std::to_string(m.port));
      j["cluster_masters"] = std::move(masters);
    }
    co_return j;
  };
  try {
    const auto j = run_to_end(status());
    std::cout << j.dump(2) << "\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "xinyipi status: " << e.what() << "\n";
    return exit_redis;
  }
}

}  // namespace xyp::cli
