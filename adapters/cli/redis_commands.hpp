#pragma once
// The subcommands that talk to Redis: run (the engine), submit, watch and status.
#include <cstdint>
#include <filesystem>
#include <string>

#include "adapters/http/health.hpp"
#include "adapters/http/options.hpp"
#include "adapters/http/read_cache.hpp"
#include "adapters/redis/runtime.hpp"

namespace xyp::cli {

struct run_options {
  std::filesystem::path profile;
  std::filesystem::path calendars;
  redis::runtime_options runtime;
  clock_mode clock = clock_mode::system;
  std::string http;              // "127.0.0.1:8080"; empty: no HTTP
  std::filesystem::path tokens;  // required with http
  bool demo_tokens = false;      // serve demonstration tokens (loopback only)
  std::filesystem::path dashboard;
  processor_options processing;  // the future margin
  // The HTTP server's connection limits (header deadline, connections, per address, store-backed
  // requests under way); address, port and tokens come from the fields above.
  http::server_options server;
  http::health_limits health;           // when /healthz says degraded
  http::read_cache_options read_cache;  // how long a back-office read is served again
  int http_nice = 0;                    // the HTTP thread's nice value, above the engine's
};

int run_engine(const run_options& options);

// Reads JSONL from a file, or standard input for "-". On a terminal, stderr shows how far.
int run_submit(const redis::runtime_options& options, const std::string& source);

// Prints outbound events as they arrive (from the start of each stream); stops after `idle_ms`
// with nothing new when idle_ms > 0. Pretty: one readable line each (watch_format.hpp), coloured
// when standard output is a terminal; else the raw envelopes.
int run_watch(const redis::runtime_options& options, std::int64_t idle_ms, bool pretty = false);

// Prints the engine's state from Redis: cases by state, escalations open, timers pending,
// entries pending, dead letters.
int run_status(const redis::runtime_options& options);

}  // namespace xyp::cli
