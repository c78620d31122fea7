#pragma once
// One handler per route of the table (routes.hpp). The router has matched the path and the
// method, checked the token and the role the route asks for, and refused a body of the wrong
// type before a handler runs; a handler validates its parameters, asks the ports, and renders.
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json_fwd.hpp>

#include "adapters/http/auth.hpp"
#include "adapters/http/health.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/options.hpp"
#include "adapters/http/ports.hpp"
#include "adapters/http/query.hpp"
#include "adapters/http/render.hpp"

namespace xyp::http {

// What handlers reach: the server's options and the ports. No store of any kind is named here.
struct route_services {
  const server_options& options;
  case_queries& queries;
  event_sink& sink;
  metrics::registry& registry;
  const status_probe& probe;
  const health_board* health;  // when set, /healthz answers from it alone
};

// One request as its route's handler sees it.
struct route_call {
  const request& req;
  const target_parts& target;
  const token_entry* who;  // the token's holder; nullptr on a route that asks no token
  route_services& services;
  std::string& route_name;  // the route's path; the label of the request's metrics and log line
  nlohmann::json& log_fields;
  unsigned version() const { return req.version(); }
};

using route_handler = boost::asio::awaitable<response> (*)(const route_call&);

// "application/json", with or without parameters such as a charset.
bool is_json_media_type(std::string_view content_type);

boost::asio::awaitable<response> serve_healthz(const route_call& call);
boost::asio::awaitable<response> serve_metrics(const route_call& call);
boost::asio::awaitable<response> serve_asset(const route_call& call);  // the dashboard's files
boost::asio::awaitable<response> serve_openapi(const route_call& call);
boost::asio::awaitable<response> serve_whoami(const route_call& call);
boost::asio::awaitable<response> serve_cases(const route_call& call);
boost::asio::awaitable<response> serve_case(const route_call& call);
boost::asio::awaitable<response> serve_escalations(const route_call& call);
boost::asio::awaitable<response> serve_ledger(const route_call& call);
boost::asio::awaitable<response> serve_summary(const route_call& call);
boost::asio::awaitable<response> serve_effect_report(const route_call& call);
boost::asio::awaitable<response> serve_events(const route_call& call);

}  // namespace xyp::http
