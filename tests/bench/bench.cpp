// xyp_bench: the figures of docs/benchmarks.md. Starts a private redis-server (loopback, free
// port, temporary directory, AOF everysec, noeviction), runs the real engine against it in a
// child process, and prints each figure with the command that reproduces it. Not a test: ctest
// never runs it; scripts/bench.sh does. The scenarios are in tests/bench/scenarios/, one file
// each, on the shared support of tests/bench/scenario_support.hpp.
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "bench/engine_child.hpp"
#include "bench/scenario_support.hpp"

namespace xyp::bench {
namespace {

int run_bench(bench_options options) {
  const auto started = monotonic_ns();
  test::redis_server server(test::redis_server::options{.appendonly = true});
  {
    sync_client c(server.port());
    c.command({"CONFIG", "SET", "appendfsync", "everysec"});
    c.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"});
    // As PERFORMANCE-NOTES advises for load tests: an AOF rewrite forked in the middle of a
    // two-second run takes one of the machine's two cores from both the engine and the peer.
    c.command({"CONFIG", "SET", "auto-aof-rewrite-min-size", "1gb"});
  }
  std::string work = (fs::temp_directory_path() / "xyp-bench-XXXXXX").string();
  if (::mkdtemp(work.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  char self[4096];
  const auto length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  bench_context ctx{options,
                    server,
                    load_policy(options.profile),
                    working_calendar::load_directory(options.calendars),
                    work,
                    std::string(self, static_cast<std::size_t>(length))};
  {
    auto c = ctx.client();
    ctx.redis_pid = static_cast<pid_t>(c.info_number("server", "process_id"));
    const auto version = fields_of(c.command({"HELLO", "2"}))["version"];
    std::cout << "xyp_bench: " << options.command_line << "\n";
    std::cout << "  redis-server " << version << " on 127.0.0.1:" << server.port()
              << " (appendonly yes, appendfsync everysec, auto-aof-rewrite-min-size 1gb, "
                 "maxmemory-policy noeviction), "
              << std::thread::hardware_concurrency() << " cores, profile " << ctx.policy.id << "\n";
  }
  std::cout.flush();

  std::optional<double> drained;
  if (options.wants("drain")) drained = bench_drain(ctx).events_per_s;
  if (options.wants("peer")) bench_peer(ctx, drained);
  if (options.wants("latency")) {
    for (const auto rate : options.latency_rates) bench_latency(ctx, rate);
  }
  const bool footprint = options.wants("footprint"), timers = options.wants("timers");
  if (footprint || timers) bench_cases(ctx, footprint, timers);
  if (options.wants("ceiling")) bench_ceiling(ctx, drained);
  if (options.wants("api")) bench_api(ctx);
  // Only when asked for: a 6-node Cluster and four drains would lengthen the default run.
  if (options.asked_for("cluster")) bench_cluster(ctx);
  std::cout << "xyp_bench: done in " << fixed(seconds_between(started, monotonic_ns()), 0)
            << " s\n";
  std::error_code ignored;
  fs::remove_all(work, ignored);
  return 0;
}

}  // namespace
}  // namespace xyp::bench

int main(int argc, char** argv) try {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"xyp_bench: Xinyipi's throughput, latency, timers, footprint and Redis ceiling"};
  xyp::bench::bench_options options;
  app.add_option("--only", options.only,
                 "Figures to run (repeat): drain, peer, latency, footprint, timers, ceiling, api; "
                 "cluster only when named")
      ->check(CLI::IsMember(
          {"drain", "peer", "latency", "footprint", "timers", "ceiling", "api", "cluster"}));
  app.add_option("--scale", options.scale, "Scale every size (events, cases, requests)")
      ->check(CLI::Range(0.0001, 10.0))
      ->capture_default_str();
  app.add_option("--partitions", options.partitions, "Partition count N")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  app.add_option("--cluster-partitions", options.cluster_partitions,
                 "Partition count N of the cluster figure")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  app.add_option("--cluster-engines", options.cluster_engines,
                 "The cluster figure runs 1, 2 .. this many engines")
      ->check(CLI::Range(1u, 8u))
      ->capture_default_str();
  app.add_option("--batch", options.batch_size, "Entries per read")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--rate", options.latency_rates, "Offered events/s of the latency runs (repeat)")
      ->capture_default_str();
  app.add_option("--seconds", options.latency_seconds, "Length of each latency run")
      ->capture_default_str();
  app.add_option("--cases", options.cases, "Open cases for the footprint and the timers")
      ->capture_default_str();
  app.add_option("--storm", options.storms,
                 "Timers due at once in each storm, before --scale (repeat)")
      ->capture_default_str();
  app.add_option("--engine-wrapper", options.engine_wrapper,
                 "Run the engine under this command, e.g. \"valgrind --tool=callgrind\"");
  app.add_option("--api-pairs", options.api_pairs,
                 "Pairs of drains of the api figure (one alone, one beside the API clients; the "
                 "order alternates), reported one by one and as medians")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  app.add_option("--api-run-arg", options.api_run_args,
                 "One more argument to the api figure's `xinyipi run` (repeat), e.g. "
                 "--api-run-arg=--read-cache=0");

  xyp::bench::engine_child_options child;
  std::string clock = "simulated";
  auto* engine_cmd = app.add_subcommand("engine", "")->group("");  // the bench's own child
  engine_cmd->add_option("--port", child.port)->required();
  engine_cmd->add_option("--prefix", child.prefix)->required();
  engine_cmd->add_option("--partitions", child.partitions);
  engine_cmd->add_option("--batch", child.batch_size);
  engine_cmd->add_option("--consumer", child.consumer);
  engine_cmd->add_option("--clock", clock)->check(CLI::IsMember({"system", "simulated"}));
  engine_cmd->add_option("--profile", child.profile)->required();
  engine_cmd->add_option("--calendars", child.calendars)->required();
  engine_cmd->add_option("--stats", child.stats)->required();

  CLI11_PARSE(app, argc, argv);
  if (*engine_cmd) {
    child.clock = clock == "system" ? xyp::clock_mode::system : xyp::clock_mode::simulated;
    return xyp::bench::run_engine_child(child);
  }
  for (int i = 0; i < argc; ++i) options.command_line += (i ? " " : "") + std::string(argv[i]);
  return xyp::bench::run_bench(options);
} catch (const std::exception& e) {
  std::cerr << "xyp_bench: " << e.what() << "\n";
  return 1;
}
