#pragma once
// Every route the HTTP server serves, in one table: its method, its path, the least its caller
// must hold, and its handler. The router (api.cpp) answers 404 for a path no entry matches, 405
// (with Allow) for a method its entry does not take, 401 without a valid token where the entry
// asks one, 415 for a body the entry reads that is not JSON, and 403 for a role below the
// entry's, all before the handler runs. docs/openapi.json describes exactly these routes
// (tests/adapters/http/http_routes_test.cpp compares the two, and walks the table's access rules).
#include <algorithm>
#include <array>
#include <string_view>

#include "adapters/http/auth.hpp"
#include "adapters/http/handlers.hpp"

namespace xyp::http {

// The least a caller must hold. The roles are not a ladder (a viewer reads and may not post; the
// credit platform posts and may not read), so each level names the roles it admits.
enum class access {
  open,   // no token: the health check, the metrics and the dashboard's files
  token,  // any valid token
  read,   // a role that may read the back office (may_read): all but the credit platform
  send,   // a role that may post events: all but a viewer (which events: may_send, in the handler)
};

// Whether a token's role holds the access; an open route admits anyone.
constexpr bool admits(access level, role r) {
  switch (level) {
    case access::open:
    case access::token:
      return true;
    case access::read:
      return r != role::credit_platform;
    case access::send:
      return r != role::viewer;
  }
  return false;
}

struct route_spec {
  std::string_view method;  // the one method the route takes
  std::string_view path;    // as OpenAPI writes it; a trailing {name} is the non-empty rest
  access minimum;
  route_handler handler;
  bool json_body = false;    // the route reads a JSON body: another media type is 415
  bool cached = false;       // its answer depends on the target and the role only (response cache)
  bool needs_token = false;  // minimum above open: checked before the route is matched

  constexpr route_spec(std::string_view m, std::string_view p, access a, route_handler h,
                       bool body = false, bool cache = false)
      : method(m),
        path(p),
        minimum(a),
        handler(h),
        json_body(body),
        cached(cache),
        needs_token(a != access::open) {}
};

// The table's last two columns, by name.
namespace route_flag {
inline constexpr bool json_body = true;  // the fifth column
inline constexpr bool no_body = false;
inline constexpr bool cached = true;  // the sixth
}  // namespace route_flag

// clang-format off
inline constexpr std::array<route_spec, 17> routes{{
    {"GET",  "/healthz",                 access::open,  &serve_healthz},
    {"GET",  "/metrics",                 access::open,  &serve_metrics},
    {"GET",  "/",                        access::open,  &serve_asset},  // the dashboard's page
    {"GET",  "/index.html",              access::open,  &serve_asset},  // (adapters/http/dashboard/)
    {"GET",  "/dashboard.js",            access::open,  &serve_asset},
    {"GET",  "/dashboard.css",           access::open,  &serve_asset},
    {"GET",  "/effect.html",             access::open,  &serve_asset},  // the effect report's page
    {"GET",  "/effect.js",               access::open,  &serve_asset},
    {"GET",  "/api/v1/openapi.json",     access::token, &serve_openapi},
    {"GET",  "/api/v1/whoami",           access::token, &serve_whoami},
    {"GET",  "/api/v1/cases",            access::read,  &serve_cases,         route_flag::no_body, route_flag::cached},
    {"GET",  "/api/v1/cases/{case_id}",  access::read,  &serve_case,          route_flag::no_body, route_flag::cached},
    {"GET",  "/api/v1/escalations",      access::read,  &serve_escalations,   route_flag::no_body, route_flag::cached},
    {"GET",  "/api/v1/ledger",           access::read,  &serve_ledger,        route_flag::no_body, route_flag::cached},
    {"GET",  "/api/v1/summary",          access::read,  &serve_summary,       route_flag::no_body, route_flag::cached},
    {"GET",  "/api/v1/reports/effect",   access::read,  &serve_effect_report, route_flag::no_body, route_flag::cached},
    {"POST", "/api/v1/events",           access::send,  &serve_events,        route_flag::json_body},
}};
// clang-format on

// The token is checked before the table is consulted, by path: every route under /api/ asks one
// and no other does, so an unauthenticated caller learns nothing of which /api/ routes exist.
static_assert(std::all_of(routes.begin(), routes.end(), [](const route_spec& r) {
  return r.needs_token == r.path.starts_with("/api/");
}));

// Whether a request path (still percent-encoded, without the query) is the route's path.
constexpr bool matches(const route_spec& route, std::string_view path) {
  const auto open = route.path.find('{');
  if (open == std::string_view::npos) return path == route.path;
  return path.size() > open && path.substr(0, open) == route.path.substr(0, open);
}

// The route a path names, or nullptr. An exact path wins over a template.
constexpr const route_spec* find_route(std::string_view path) {
  const route_spec* found = nullptr;
  for (const auto& route : routes) {
    if (!matches(route, path)) continue;
    if (route.path.find('{') == std::string_view::npos) return &route;
    if (found == nullptr) found = &route;
  }
  return found;
}

}  // namespace xyp::http
