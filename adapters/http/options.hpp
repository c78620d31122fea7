#pragma once
// How the HTTP server is set up: parsed once by main() and passed in; nothing here reads argv,
// the environment or files.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/http/auth.hpp"
#include "engine/domain/calendar.hpp"

namespace xyp {
struct jurisdiction_policy;
class working_calendar;
}  // namespace xyp

namespace xyp::http {

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;               // 0: any free port; server::port() tells which
  std::size_t max_body_bytes = 64 * 1024;  // larger requests get 413
  // A whole request must arrive within read_timeout of the read starting (also the keep-alive
  // idle limit); a response must be taken within write_timeout. A slow client holds nothing else.
  std::chrono::milliseconds read_timeout{10'000};
  // A request's headers (and, between keep-alive requests, the next request's headers) must
  // arrive within header_timeout: a client that trickles its headers is closed. The body then has
  // what is left of read_timeout.
  std::chrono::milliseconds header_timeout{5'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds shutdown_grace{5'000};  // stop(): requests under way may finish
  std::size_t max_connections = 512;
  // Open connections one client address may hold; the excess is closed at accept, before
  // anything is read from it. 0: no cap per address.
  std::size_t max_connections_per_address = 32;
  // Requests that read or write Redis (/api/..., /metrics) under way at once. 0: no limit. The
  // excess waits in line for a slot, at most store_queue_wait (under the API's p99 target of
  // 250 ms) and at most store_queue_length of them; past either it gets 503 with Retry-After
  // rather than a longer queue on the store the engine commits to.
  std::size_t max_store_requests = 64;
  std::chrono::milliseconds store_queue_wait{200};
  std::size_t store_queue_length = 1024;
  // A 200 to a GET of a store-backed route (not /metrics) is served again, as rendered, to the
  // same role asking for the same target within this time: rendering JSON is most of what a
  // read costs the HTTP thread. Zero: never (the default; `xinyipi run` sets it from
  // --read-cache). Bodies over response_cache_max_body are not kept.
  std::chrono::milliseconds response_cache_ttl{0};
  std::size_t response_cache_entries = 256;
  std::size_t response_cache_max_body = 256 * 1024;
  // The response cache's clock; a test seam.
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  std::vector<token_entry> tokens;
  // Serve the dashboard from this directory instead of the copy embedded at build time.
  std::optional<std::filesystem::path> dashboard_dir;
  std::uint32_t partitions = 1;                     // the engine's partition count
  std::map<std::string, std::string> matter_names;  // code -> Chinese name, for display
  std::size_t max_page = 500;
  std::size_t max_ledger_rows = 50'000;
  // The engine's calendar: POST /api/v1/events refuses a clock.advance past the last year it
  // covers (400 schema_violation), as the engine would dead-letter it; the effect report counts
  // working days on it against the profile's promised limits. Both outlive the server; the
  // calendar may only change on the server's thread (cli::back_office posts SIGHUP's swap there).
  // Without them the report answers 503.
  const jurisdiction_policy* policy = nullptr;
  const working_calendar* calendar = nullptr;
  std::size_t max_report_cases = 100'000;
};

struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:0". Nothing else.
std::optional<listen_address> parse_listen_address(std::string_view text);

}  // namespace xyp::http
