#pragma once
// Every route the HTTP server serves, in one table. The router answers 404 for a path no entry
// matches and 405 (with Allow) for a method its entry does not take, before a handler runs, so a
// handler without an entry is never reached. docs/openapi.json describes exactly these routes
// (tests/adapters/http_routes_test.cpp compares the two).
#include <array>
#include <string_view>

namespace xyp::http {

struct route_spec {
  std::string_view method;  // the one method the route takes
  std::string_view path;    // as OpenAPI writes it; a trailing {name} is the non-empty rest
  bool needs_token;         // every route under /api/: checked before the table is consulted
};

inline constexpr std::array<route_spec, 17> routes{{
    {"GET", "/healthz", false},
    {"GET", "/metrics", false},
    {"GET", "/", false},  // the dashboard: its page and files (adapters/http/dashboard/)
    {"GET", "/index.html", false},
    {"GET", "/dashboard.js", false},
    {"GET", "/dashboard.css", false},
    {"GET", "/effect.html", false},  // the effect report's page
    {"GET", "/effect.js", false},
    {"GET", "/api/v1/openapi.json", true},
    {"GET", "/api/v1/whoami", true},
    {"GET", "/api/v1/cases", true},
    {"GET", "/api/v1/cases/{case_id}", true},
    {"GET", "/api/v1/escalations", true},
    {"GET", "/api/v1/ledger", true},
    {"GET", "/api/v1/summary", true},
    {"GET", "/api/v1/reports/effect", true},
    {"POST", "/api/v1/events", true},
}};

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
