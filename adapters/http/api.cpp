#include "adapters/http/api.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "adapters/common/log.hpp"
#include "adapters/http/auth.hpp"
#include "adapters/http/handlers.hpp"
#include "adapters/http/routes.hpp"

namespace xyp::http {
namespace {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;

// The reads whose answer depends on the route, the query and the caller's role only (not on
// who holds the token, as /api/v1/whoami's does): the ones the response cache may keep.
bool is_cached_read(std::string_view path) {
  const auto* route = find_route(path);
  return route != nullptr && route->cached;
}

// 404 for a path no route has, 405 for a method its route does not take.
std::optional<response> refuse_unrouted(const route_spec* route, const request& req,
                                        std::string& route_name, unsigned version) {
  if (route == nullptr) {
    route_name = "unmatched";
    return error_response(404, "not_found", "no such route", version);
  }
  if (req.method_string() != route->method) {
    route_name = std::string(route->path);
    return method_not_allowed(route->method, version);
  }
  return std::nullopt;
}

// 403 for a role below the route's access, in words that say what the role may do.
std::optional<response> refuse_role(const route_spec& route, role r, unsigned version) {
  if (admits(route.minimum, r)) return std::nullopt;
  if (route.minimum == access::send) {
    return error_response(403, "forbidden",
                          "a " + std::string(to_string(r)) + " may not post events", version);
  }
  return error_response(403, "forbidden",
                        "the " + std::string(to_string(r)) + " role may only post events", version);
}

}  // namespace

api::api(const server_options& options, case_queries& queries, event_sink& sink,
         metrics::registry& registry, status_probe probe, const health_board* health)
    : options_(options),
      queries_(queries),
      sink_(sink),
      registry_(registry),
      probe_(std::move(probe)),
      health_(health),
      gate_(options.max_store_requests, options.store_queue_length, options.store_queue_wait) {}

boost::asio::awaitable<response> api::handle(request req) {
  const auto started = std::chrono::steady_clock::now();
  std::string route_name = "unmatched";
  json fields = json::object();
  response res;
  // Requests that reach Redis are bounded: past the limit a request waits in line for a slot,
  // briefly; past the line's length or its wait the answer is a quick 503 rather than a queue on
  // the store that the engine's commits would wait behind.
  const auto path = split_target(req.target()).path;
  const bool store_backed =
      (path.starts_with("/api/") && path != "/api/v1/openapi.json") || path == "/metrics";
  struct slot {
    store_gate* gate = nullptr;
    ~slot() {
      if (gate) gate->leave();
    }
  } held;
  // The same role asking for the same target again within response_cache_ttl gets the answer as
  // rendered: no store read, no slot, no JSON.
  std::string cache_key;
  if (options_.response_cache_ttl > std::chrono::milliseconds::zero() &&
      req.method() == bhttp::verb::get && is_cached_read(path)) {
    if (const auto* who = authenticate(options_.tokens, req[bhttp::field::authorization])) {
      cache_key = std::string(to_string(who->grants)) + ' ' + std::string(req.target());
    }
  }
  const rendered* hit = cache_key.empty() ? nullptr : rendered_answer(cache_key);
  bool overloaded = false;
  if (store_backed && !hit) {
    if (co_await gate_.enter()) {
      held.gate = &gate_;
    } else {
      overloaded = true;
    }
  }
  try {
    if (hit) {
      res = hit->res;
      route_name = hit->route_name;
      fields["cache"] = "hit";
    } else if (overloaded) {
      route_name = "overloaded";
      res = error_response(503, "overloaded", "too many requests are reading the store; try again");
      res.set(bhttp::field::retry_after, "1");
    } else {
      res = co_await route(req, route_name, fields);
    }
  } catch (const store_unavailable& e) {
    log::warn("store unavailable", {{"route", route_name}, {"error", e.what()}});
    res = error_response(503, "unavailable", "the case store is not reachable; try again");
  } catch (const std::exception& e) {
    log::error("request failed", {{"route", route_name}, {"error", e.what()}});
    res = error_response(500, "internal", "the request could not be handled");
  }
  if (!hit && !cache_key.empty() && res.result_int() == 200)
    keep_rendered(cache_key, res, route_name);
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.prepare_payload();

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // A method Beast does not know is client text: it must not become a label value.
  const std::string method = req.method() == bhttp::verb::unknown
                                 ? std::string("other")
                                 : std::string(req.method_string());
  registry_
      .counter(
          "xyp_http_requests_total", "HTTP requests answered, by route, method and status.",
          {{"route", route_name}, {"method", method}, {"status", std::to_string(res.result_int())}})
      .inc();
  registry_
      .histogram("xyp_http_request_duration_seconds", "Time to answer an HTTP request.",
                 metrics::latency_buckets(), {{"route", route_name}})
      .observe(seconds);
  fields["method"] = method;
  fields["route"] = route_name;
  fields["status"] = res.result_int();
  fields["ms"] = std::llround(seconds * 1000.0);
  log::write(res.result_int() >= 500 ? log::level::warn : log::level::info, "request", fields);
  co_return res;
}

const api::rendered* api::rendered_answer(const std::string& key) const {
  const auto found = rendered_.find(key);
  if (found == rendered_.end() || options_.now() >= found->second.fresh_until) return nullptr;
  return &found->second;
}

void api::keep_rendered(std::string key, const response& res, const std::string& route_name) {
  if (res.body().size() > options_.response_cache_max_body) return;
  // Stale answers are dropped at every new one: what is held was asked for within the ttl.
  const auto now = options_.now();
  std::erase_if(rendered_, [&](const auto& kv) { return kv.second.fresh_until <= now; });
  if (rendered_.size() >= options_.response_cache_entries && !rendered_.contains(key)) return;
  rendered_[std::move(key)] = rendered{res, route_name, now + options_.response_cache_ttl};
}

boost::asio::awaitable<response> api::route(const request& req, std::string& route_name,
                                            json& log_fields) {
  const unsigned version = req.version();
  const auto target = split_target(req.target());
  const std::string& path = target.path;
  const route_spec* known = find_route(path);
  const token_entry* who = nullptr;
  if (path.starts_with("/api/")) {
    // Everything under /api/ needs a token, checked before the route is matched so that an
    // unauthenticated caller learns nothing about which routes exist.
    route_name = "/api";
    who = authenticate(options_.tokens, req[bhttp::field::authorization]);
    if (who == nullptr) {
      auto res = error_response(401, "unauthorized", "a valid bearer token is required", version);
      res.set(bhttp::field::www_authenticate, "Bearer realm=\"xinyipi\"");
      co_return res;
    }
    log_fields["who"] = who->name;
    log_fields["role"] = to_string(who->grants);
    if (!target.error.empty()) co_return bad_request(target.error, version);
  }
  if (auto refused = refuse_unrouted(known, req, route_name, version)) co_return *refused;
  route_name = std::string(known->path);
  if (known->json_body && !is_json_media_type(req[bhttp::field::content_type])) {
    co_return error_response(415, "unsupported_media_type",
                             "the body must be sent as Content-Type: application/json", version);
  }
  if (who != nullptr) {
    if (auto refused = refuse_role(*known, who->grants, version)) co_return *refused;
  }
  route_services services{options_, queries_, sink_, registry_, probe_, health_};
  const route_call call{req, target, who, services, route_name, log_fields};
  co_return co_await known->handler(call);
}

}  // namespace xyp::http
