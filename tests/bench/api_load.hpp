#pragma once
// The "api" figure of xyp_bench: the drain of `xinyipi run --http` alone, then beside 200 API
// clients (about 800 requests/s on Redis-backed routes and /healthz), and the API's latency.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace xyp::bench {

struct api_load_options {
  std::filesystem::path xinyipi;  // the engine binary
  std::filesystem::path work;     // temporary files
  std::filesystem::path profile;
  std::filesystem::path calendars;
  std::uint16_t redis_port = 0;
  std::uint32_t partitions = 1;
  std::size_t batch = 256;
  std::size_t clients = 200;
  double requests_per_s = 800;
  std::vector<std::string> case_ids;  // for GET /api/v1/cases/{id}
  std::vector<std::string> run_args;  // appended to `xinyipi run`'s arguments
  pid_t redis_pid = -1;               // for the CPU the drain cost Redis
};

// Where the CPU went over one drain (the engine's start to the last entry acknowledged), in
// seconds: the engine's threads, redis-server, the bench's own client thread and the rest of the
// bench process (the progress poller), and the whole machine (/proc/stat: other tenants too).
struct api_cpu {
  double engine_main = 0;    // the engine's main thread: the partition loops
  double engine_other = 0;   // its other threads: the HTTP server, its Redis link, the probe
  double redis = 0;          // redis-server
  double clients = 0;        // the bench's thread of 200 API clients
  double bench = 0;          // the whole bench process (the clients included)
  double machine_busy = 0;   // core-seconds the machine's cores were busy, anyone's
  double engine_waited = 0;  // the engine's main thread ready to run but waiting for a core
  double redis_waited = 0;
};

struct api_drain {
  double seconds = 0;  // the engine's start to the last entry acknowledged
  double events_per_s = 0;
  std::uint64_t requests = 0;
  std::uint64_t overloaded = 0;        // 503 answers of store-backed routes (the bound)
  std::uint64_t healthz_degraded = 0;  // 503 answers of /healthz (lag, commits, probe)
  std::uint64_t failed = 0;            // connections refused or broken
  double p50_ms = 0, p99_ms = 0, healthz_p99_ms = 0;
  std::vector<double> all_ms, healthz_ms;  // every answer's time, for percentiles over drains
  api_cpu cpu;
};

// Runs the engine over `entries` stream entries already written under `prefix`, with or without
// the API load, until every entry is read and acknowledged.
api_drain drain_beside_api(const api_load_options& o, const std::string& prefix,
                           std::uint64_t entries, bool with_load);

}  // namespace xyp::bench
