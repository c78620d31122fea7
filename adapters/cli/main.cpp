// xinyipi: the engine's command line. The only place that reads argv; everything below it takes
// plain option structs.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <system_error>

#include "adapters/cli/config_location.hpp"
#include "adapters/cli/exit_codes.hpp"
#include "adapters/cli/progress.hpp"
#include "adapters/cli/redis_commands.hpp"
#include "adapters/cli/replay.hpp"
#include "adapters/cli/traffic.hpp"
#include "adapters/cli/whatif.hpp"
#include "adapters/common/log.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "xinyipi_version.hpp"  // generated at configure time (adapters/cli/CMakeLists.txt)

namespace {

// This program's own file, for finding an installed tree's share/xinyipi; argv[0] if the
// kernel will not say.
std::filesystem::path own_executable(const char* argv0) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) return self;
  return std::filesystem::absolute(argv0 ? argv0 : "", ec);
}

// A path option left empty takes `file` under the configuration directory.
void default_to(std::filesystem::path& option, const std::filesystem::path& config_dir,
                const char* file) {
  if (option.empty()) option = config_dir / file;
}
void default_to(std::string& option, const std::filesystem::path& config_dir, const char* file) {
  if (option.empty()) option = (config_dir / file).string();
}

// Where Redis is and how the engine's keys are laid out: shared by every Redis subcommand.
struct redis_flags {
  std::string url = "redis://127.0.0.1:6379";
  std::string prefix = "xyp";
  std::uint32_t partitions = 1;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--redis", url, "Redis server, redis://host:port")->capture_default_str();
    cmd->add_option("--prefix", prefix, "Key prefix P")->capture_default_str();
    cmd->add_option("--partitions", partitions, "Partition count N")
        ->check(CLI::Range(1u, 1024u))
        ->capture_default_str();
  }

  // Fills the runtime options; false (with a message) for a URL that is not one.
  bool into(xyp::redis::runtime_options& options, const char* command) const {
    const auto server = xyp::redis::parse_redis_url(url);
    if (!server) {
      std::cerr << "xinyipi " << command << ": --redis " << url << " is not redis://host:port\n";
      return false;
    }
    options.server = *server;
    options.prefix = prefix;
    options.partitions = partitions;
    return true;
  }
};

// `generate`: the cases are played through the engine on the configuration's calendar, the one
// replay and run default to.
int run_generate(const std::string& profile, const std::filesystem::path& calendars,
                 xyp::cli::traffic_options options, const std::string& out_path) {
  try {
    const auto policy = xyp::load_policy(profile);
    const auto calendar = xyp::working_calendar::load_directory(calendars);
    const auto lines = xyp::cli::generate_traffic(policy, calendar, options);
    std::ofstream file;
    if (!out_path.empty() && out_path != "-") {
      file.open(out_path);
      if (!file) {
        std::cerr << "xinyipi generate: cannot write " << out_path << "\n";
        return xyp::cli::exit_io;
      }
    }
    std::ostream& out = file.is_open() ? file : std::cout;
    for (const auto& line : lines) out << line << "\n";
    std::cerr << "xinyipi generate: " << lines.size() << " events for " << options.cases
              << " cases\n";
    return xyp::cli::exit_ok;
  } catch (const xyp::config_error& e) {
    std::cerr << "xinyipi generate: " << e.what() << "\n";
    return xyp::cli::exit_config;
  } catch (const xyp::calendar_error& e) {
    std::cerr << "xinyipi generate: " << e.what() << "\n";
    return xyp::cli::exit_config;
  } catch (const std::invalid_argument& e) {
    std::cerr << "xinyipi generate: " << e.what() << "\n";
    return xyp::cli::exit_usage;
  }
}

// `calendar check FILE`: a notice file validated as the engine would load it.
int run_calendar_check(const std::string& file) {
  try {
    const auto year = xyp::working_calendar::check_year_file(file);
    std::cout << file << ": a valid notice for " << static_cast<int>(year)
              << "; deploy it to the calendar directory and send the engine SIGHUP\n";
    return xyp::cli::exit_ok;
  } catch (const xyp::config_error& e) {
    std::cerr << "xinyipi calendar check: " << e.what() << "\n";
    return xyp::cli::exit_config;
  }
}

}  // namespace

int main(int argc, char** argv) try {
  // A peer closing a socket must be an error code on the write, not the end of the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"xinyipi (信易批): credit-based approval workflow engine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "xinyipi " XYP_VERSION " (contract " XYP_CONTRACT_VERSION
                                    ", commit " XYP_COMMIT ")");
  app.fallthrough();  // --config-dir may come after the subcommand too
  // Where profiles, calendars and the sample day are: --config-dir, else $XYP_CONFIG_DIR, else
  // the installed tree's share/xinyipi, else the source folder this binary was built from.
  xyp::cli::config_candidates where;
  where.executable = own_executable(argc > 0 ? argv[0] : nullptr);
  where.source_dir = XYP_CONFIG_DIR;
  if (const char* env = std::getenv("XYP_CONFIG_DIR")) where.environment = env;
  std::filesystem::path config_option;
  app.add_option("--config-dir", config_option,
                 "Configuration directory (profiles/, calendars/, samples/); default: "
                 "$XYP_CONFIG_DIR, else <exe>/../share/xinyipi, else the source folder");

  xyp::cli::replay_options replay;
  std::string replay_clock = "simulated";
  auto* replay_cmd = app.add_subcommand(
      "replay", "Run a JSONL day through the in-memory engine; outbound events and dead letters");
  replay_cmd->add_option("--profile", replay.profile,
                         "Jurisdiction profile (JSON); default <config>/profiles/shilong.json");
  replay_cmd->add_option(
      "--events", replay.events,
      "Inbound events, one envelope per line; default <config>/samples/day.jsonl");
  replay_cmd->add_option("--calendars", replay.calendars,
                         "Working-day calendar directory; default <config>/calendars");
  replay_cmd
      ->add_option("--clock", replay_clock,
                   "simulated (only clock.advance moves time) or events (time follows each "
                   "event's at; due timers fire before it)")
      ->check(CLI::IsMember({"simulated", "events"}))
      ->capture_default_str();
  replay_cmd->add_flag("--strict", replay.strict, "Exit with 6 when there was any dead letter");
  replay_cmd->add_option("--partitions", replay.partitions, "Partition count N")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  replay_cmd->add_flag("--summary-only", replay.summary_only, "Print only the summary");

  xyp::cli::whatif_options whatif;
  std::string whatif_format = "text";
  auto* whatif_cmd = app.add_subcommand(
      "whatif",
      "Replay one day under two or more profiles and compare what each policy made of it");
  whatif_cmd->add_option("--profile", whatif.profiles, "A profile to compare (two or more)")
      ->required();
  whatif_cmd->add_option(
      "--events", whatif.events,
      "Inbound events, one envelope per line; default <config>/samples/day.jsonl");
  whatif_cmd->add_option("--calendars", whatif.calendars,
                         "Working-day calendar directory; default <config>/calendars");
  whatif_cmd->add_option("--partitions", whatif.partitions, "Partition count N")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  whatif_cmd->add_option("--format", whatif_format, "text (a table) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  xyp::cli::traffic_options traffic;
  std::string traffic_profile;
  std::string traffic_out = "-";
  auto* generate_cmd =
      app.add_subcommand("generate", "Write realistic inbound traffic as JSONL (deterministic)");
  generate_cmd->add_option("--profile", traffic_profile,
                           "Profile whose matters to use; default <config>/profiles/shilong.json");
  generate_cmd->add_option("--cases", traffic.cases, "Cases to open")
      ->check(CLI::Range(1u, 10'000'000u))
      ->capture_default_str();
  generate_cmd->add_option("--seed", traffic.seed, "Random seed")->capture_default_str();
  generate_cmd->add_option("--bad-share", traffic.bad_input_share, "Share of bad input lines")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  generate_cmd->add_option("--out", traffic_out, "Output file, - for stdout")
      ->capture_default_str();

  xyp::cli::run_options run;
  redis_flags run_redis;
  std::string clock = "system";
  std::string log_level = "info";
  auto* run_cmd = app.add_subcommand("run", "Run the engine against Redis until SIGTERM/SIGINT");
  run_cmd->add_option("--profile", run.profile,
                      "Jurisdiction profile (JSON); default <config>/profiles/shilong.json");
  run_cmd->add_option("--calendars", run.calendars,
                      "Working-day calendar directory; default <config>/calendars");
  run_redis.add_to(run_cmd);
  run_cmd->add_option("--clock", clock, "system or simulated (clock.advance moves time)")
      ->check(CLI::IsMember({"system", "simulated"}))
      ->capture_default_str();
  run_cmd->add_option("--consumer", run.runtime.consumer, "Consumer name in the group")
      ->capture_default_str();
  run_cmd->add_option("--batch", run.runtime.batch_size, "Entries per read")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  std::uint64_t lease_ms = 8'000;
  run_cmd
      ->add_option("--lease-ttl", lease_ms,
                   "Partition lease in ms; renewed every third of it, taken over when it lapses")
      ->check(CLI::Range(300, 600'000))
      ->capture_default_str();
  run_cmd
      ->add_option("--cache-cases", run.runtime.cache.cases, "Cases kept in memory per partition")
      ->check(CLI::Range(1, 100'000'000))
      ->capture_default_str();
  run_cmd->add_option("--http", run.http, "Serve the API and dashboard on host:port")
      ->capture_default_str();
  run_cmd->add_option("--tokens", run.tokens,
                      "Bearer tokens and roles (JSON); required with --http");
  run_cmd->add_flag("--demo-tokens", run.demo_tokens,
                    "Allow demonstration tokens such as the example file's (loopback only)");
  run_cmd->add_option("--dashboard-dir", run.dashboard,
                      "Serve the dashboard from here instead of the built-in copy");
  run_cmd
      ->add_option("--max-entry-bytes", run.runtime.max_entry_bytes,
                   "A stream entry larger than this is a schema_violation dead letter, refused "
                   "before it is parsed")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20))
      ->capture_default_str();
  run_cmd
      ->add_option("--read-budget-bytes", run.runtime.read_budget_bytes,
                   "A read returns at most this many bytes of entries (at least one entry); it "
                   "is cut inside Redis")
      ->check(CLI::Range(std::size_t{64} << 10, std::size_t{1} << 30))
      ->capture_default_str();
  std::int64_t future_margin_s = run.processing.future_margin.count();
  run_cmd
      ->add_option("--future-margin", future_margin_s,
                   "With --clock system, an event dated more than this many seconds after the "
                   "engine's clock is a schema_violation dead letter (-1: no check)")
      ->check(CLI::Range(std::int64_t{-1}, std::int64_t{366} * 86'400))
      ->capture_default_str();
  std::int64_t header_timeout_ms = run.server.header_timeout.count();
  run_cmd
      ->add_option("--header-timeout", header_timeout_ms,
                   "HTTP: ms a request's headers may take to arrive; a slower client is closed")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{600'000}))
      ->capture_default_str();
  run_cmd
      ->add_option("--max-connections", run.server.max_connections,
                   "HTTP: open connections at most; the excess is closed at accept")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
      ->capture_default_str();
  run_cmd
      ->add_option("--max-connections-per-address", run.server.max_connections_per_address,
                   "HTTP: open connections one client address may hold (0: no cap)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100'000}))
      ->capture_default_str();
  run_cmd
      ->add_option("--max-store-requests", run.server.max_store_requests,
                   "HTTP: Redis-backed requests under way at once; the excess waits in line up "
                   "to --store-queue-wait, then gets 503 with Retry-After (0: no limit)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100'000}))
      ->capture_default_str();
  std::int64_t store_queue_wait_ms = run.server.store_queue_wait.count();
  run_cmd
      ->add_option("--store-queue-wait", store_queue_wait_ms,
                   "HTTP: ms a Redis-backed request may wait for a slot before its 503 (0: none)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{10'000}))
      ->capture_default_str();
  std::int64_t read_cache_ms = run.read_cache.ttl.count();
  run_cmd
      ->add_option("--read-cache", read_cache_ms,
                   "HTTP: ms an API read's answer is served again for the same route and query "
                   "(0: every request reads Redis)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{60'000}))
      ->capture_default_str();
  run_cmd
      ->add_option("--http-nice", run.http_nice,
                   "HTTP: the HTTP thread's nice value above the engine's (0-19): under load the "
                   "engine is scheduled first")
      ->check(CLI::Range(0, 19))
      ->capture_default_str();
  run_cmd
      ->add_option("--health-max-lag", run.health.max_lag,
                   "/healthz is 503 once a partition has more entries than this not yet read")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000'000}))
      ->capture_default_str();
  run_cmd
      ->add_option("--health-max-commit-failures", run.health.max_commit_failures,
                   "/healthz is 503 once a partition's commits failed this many times in a row")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  run_cmd->add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();

  redis_flags submit_redis;
  std::string submit_source;
  auto* submit_cmd =
      app.add_subcommand("submit", "Write JSONL events to their partitions' inbound streams");
  submit_redis.add_to(submit_cmd);
  submit_cmd->add_option("events", submit_source, "JSONL file, or - for standard input")
      ->required();

  redis_flags watch_redis;
  std::int64_t idle_ms = 0;
  auto* watch_cmd = app.add_subcommand("watch", "Print outbound events as they arrive");
  watch_redis.add_to(watch_cmd);
  bool watch_pretty = false;
  watch_cmd->add_flag("--pretty", watch_pretty,
                      "One readable line per event (time, case, type, from -> to, due times), "
                      "coloured on a terminal");
  watch_cmd
      ->add_option("--idle-exit", idle_ms, "Exit after this many ms with nothing new (0: never)")
      ->capture_default_str();

  redis_flags status_redis;
  auto* status_cmd = app.add_subcommand("status", "Print cases by state and the engine's backlog");
  status_redis.add_to(status_cmd);

  auto* calendar_cmd = app.add_subcommand("calendar", "Working-day calendar files");
  calendar_cmd->require_subcommand(1);
  std::string calendar_file;
  auto* calendar_check_cmd = calendar_cmd->add_subcommand(
      "check", "Validate a year's notice file against itself and the holiday regulation");
  calendar_check_cmd->add_option("file", calendar_file, "Calendar file (cn-YYYY.json)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? xyp::cli::exit_ok : xyp::cli::exit_usage;
  }

  if (!config_option.empty()) where.option = config_option;
  const auto config_dir = xyp::cli::find_config_dir(where);
  if (*replay_cmd) {
    default_to(replay.profile, config_dir, "profiles/shilong.json");
    default_to(replay.events, config_dir, "samples/day.jsonl");
    default_to(replay.calendars, config_dir, "calendars");
    replay.clock = replay_clock == "events" ? xyp::cli::replay_clock::events
                                            : xyp::cli::replay_clock::simulated;
    // On a terminal's stderr, unless the events print to that terminal too.
    replay.progress = xyp::cli::progress_wanted(STDERR_FILENO) &&
                      (replay.summary_only || !xyp::cli::progress_wanted(STDOUT_FILENO));
    return xyp::cli::run_replay(replay, std::cout, std::cerr);
  }
  if (*whatif_cmd) {
    default_to(whatif.events, config_dir, "samples/day.jsonl");
    default_to(whatif.calendars, config_dir, "calendars");
    whatif.json = whatif_format == "json";
    return xyp::cli::run_whatif(whatif, std::cout, std::cerr);
  }
  if (*generate_cmd) {
    default_to(traffic_profile, config_dir, "profiles/shilong.json");
    return run_generate(traffic_profile, config_dir / "calendars", traffic, traffic_out);
  }
  if (*calendar_check_cmd) return run_calendar_check(calendar_file);
  if (*run_cmd) {
    default_to(run.profile, config_dir, "profiles/shilong.json");
    default_to(run.calendars, config_dir, "calendars");
    if (!run_redis.into(run.runtime, "run")) return xyp::cli::exit_usage;
    run.runtime.lease_ttl = std::chrono::milliseconds(lease_ms);
    run.processing.future_margin = std::chrono::seconds(future_margin_s);
    run.server.header_timeout = std::chrono::milliseconds(header_timeout_ms);
    run.server.store_queue_wait = std::chrono::milliseconds(store_queue_wait_ms);
    run.read_cache.ttl = std::chrono::milliseconds(read_cache_ms);
    run.clock = clock == "simulated" ? xyp::clock_mode::simulated : xyp::clock_mode::system;
    xyp::log::set_level(log_level);
    return xyp::cli::run_engine(run);
  }
  xyp::redis::runtime_options redis_options;
  if (*submit_cmd) {
    if (!submit_redis.into(redis_options, "submit")) return xyp::cli::exit_usage;
    return xyp::cli::run_submit(redis_options, submit_source);
  }
  if (*watch_cmd) {
    if (!watch_redis.into(redis_options, "watch")) return xyp::cli::exit_usage;
    return xyp::cli::run_watch(redis_options, idle_ms, watch_pretty);
  }
  if (*status_cmd) {
    if (!status_redis.into(redis_options, "status")) return xyp::cli::exit_usage;
    return xyp::cli::run_status(redis_options);
  }
  return xyp::cli::exit_usage;
} catch (const std::exception& e) {
  std::cerr << "xinyipi: internal error: " << e.what() << "\n";
  return xyp::cli::exit_internal;
}
