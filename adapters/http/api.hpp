#pragma once
// The HTTP API as a function from request to response: the route table (routes.hpp) applied,
// tokens and roles checked, the store's requests bounded, answers kept for a moment, failures
// turned into 503 and 500, and every request counted and logged. The routes' own work is in
// handlers.cpp, query parsing in query.cpp, rendering in render.cpp, the ledger's CSV in
// ledger_csv.cpp. No sockets here; the server feeds it requests, and tests may call it directly.
#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json_fwd.hpp>

#include "adapters/http/health.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/options.hpp"
#include "adapters/http/ports.hpp"
#include "adapters/http/query.hpp"   // encode_cursor, decode_cursor
#include "adapters/http/render.hpp"  // request, response, error_response
#include "adapters/http/store_gate.hpp"

namespace xyp::http {

class api {
 public:
  api(const server_options& options, case_queries& queries, event_sink& sink,
      metrics::registry& registry, status_probe probe, const health_board* health = nullptr);

  // Never throws: a port's store_unavailable is 503, a defect 500, both logged once. Called from
  // one thread (the server's io_context has one): the store gate holds no lock.
  boost::asio::awaitable<response> handle(request req);

 private:
  boost::asio::awaitable<response> route(const request& req, std::string& route_name,
                                         nlohmann::json& log_fields);

  const server_options& options_;
  case_queries& queries_;
  event_sink& sink_;
  metrics::registry& registry_;
  status_probe probe_;
  const health_board* health_;  // when set, /healthz answers from it alone
  store_gate gate_;             // see max_store_requests

  // See response_cache_ttl: rendered answers by "<role> <target>".
  struct rendered {
    response res;
    std::string route_name;
    std::chrono::steady_clock::time_point fresh_until;
  };
  const rendered* rendered_answer(const std::string& key) const;
  void keep_rendered(std::string key, const response& res, const std::string& route_name);
  std::map<std::string, rendered> rendered_;
};

}  // namespace xyp::http
