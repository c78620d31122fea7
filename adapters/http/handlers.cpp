#include "adapters/http/handlers.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/common/log.hpp"
#include "adapters/http/dashboard_assets.hpp"
#include "adapters/http/effect_format.hpp"
#include "adapters/http/ledger_csv.hpp"
#include "engine/domain/partition.hpp"
#include "engine/runtime/processor.hpp"

namespace xyp::http {
namespace {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;

constexpr std::size_t summary_list_limit = 20;

renderer renderer_for(const route_call& call) {
  return renderer(!sees_personal_data(call.who->grants), call.services.options.matter_names);
}

// The envelope as stored: the body with its actor set to the token's holder, fields in the
// sender's order. Nothing when the body cannot be re-read (it was validated already).
std::optional<std::string> with_actor(std::string_view body, const actor& holder) {
  auto doc = nlohmann::ordered_json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  doc["actor"] = {{"id", holder.id}, {"role", std::string(to_string(holder.role))}};
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A CSV download: its name says the period it covers.
response csv_download(std::string_view stem, const std::optional<std::chrono::year_month_day>& from,
                      const std::optional<std::chrono::year_month_day>& to, bool truncated,
                      std::string body, unsigned version) {
  response res{bhttp::status::ok, version};
  res.set(bhttp::field::content_type, csv_type);
  res.set(bhttp::field::content_disposition, "attachment; filename=\"" + std::string(stem) +
                                                 (from ? "-" + format_date(*from) : std::string()) +
                                                 (to ? "-" + format_date(*to) : std::string()) +
                                                 ".csv\"");
  if (truncated) res.set("X-Xyp-Truncated", "true");
  no_store(res);
  res.body() = std::move(body);
  return res;
}

}  // namespace

bool is_json_media_type(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string type(content_type.substr(0, semicolon));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json";
}

boost::asio::awaitable<response> serve_healthz(const route_call& call) {
  const unsigned version = call.version();
  if (call.services.health) {
    // From memory only: no store round trip on this path.
    auto verdict = call.services.health->judge();
    co_return json_response(verdict.healthy ? 200 : 503, std::move(verdict.body), version);
  }
  const auto status = co_await call.services.probe();
  json partitions = json::array();
  for (const auto& p : status.partitions) {
    partitions.push_back({{"partition", p.partition},
                          {"lag", p.lag ? json(*p.lag) : json(nullptr)},
                          {"pending", p.pending},
                          {"timers_pending", p.timers_pending}});
  }
  if (!status.reachable) {
    log::warn("redis unreachable", {{"error", status.detail}});
  }
  // "redis" is the contract's name for the store's reachability in this body.
  co_return json_response(status.reachable ? 200 : 503,
                          {{"status", status.reachable ? "ok" : "unavailable"},
                           {"redis", status.reachable},
                           {"partitions", partitions}},
                          version);
}

boost::asio::awaitable<response> serve_metrics(const route_call& call) {
  // Store-derived series are read from the store at scrape time; the engine counts the rest.
  auto& registry = call.services.registry;
  const auto status = co_await call.services.probe();
  metrics::engine_metrics m(registry);
  for (const auto& p : status.partitions) {
    if (p.lag) m.consumer_lag(p.partition).set(static_cast<double>(*p.lag));
    m.timers_pending(p.partition).set(static_cast<double>(p.timers_pending));
  }
  for (const auto& [level, n] : status.escalations_open) {
    m.escalations_open(level).set(static_cast<double>(n));
  }
  for (const auto& [state, n] : status.cases_by_state) {
    m.cases(state).set(static_cast<double>(n));
  }
  registry.gauge("xyp_redis_up", "1 when the HTTP side reached Redis at the last scrape.")
      .set(status.reachable ? 1 : 0);
  response res{bhttp::status::ok, call.version()};
  res.set(bhttp::field::content_type, metrics::exposition_content_type);
  no_store(res);
  res.body() = registry.expose();
  co_return res;
}

boost::asio::awaitable<response> serve_asset(const route_call& call) {
  // The dashboard's own files: public, they hold no data; the page asks for a token.
  const unsigned version = call.version();
  const std::string& path = call.target.path;
  const std::string name = path == "/" ? "index.html" : path.substr(1);
  const static_asset* asset = nullptr;
  for (const auto& a : embedded_assets()) {
    if (a.name == name) asset = &a;
  }
  if (asset == nullptr) {
    call.route_name = "unmatched";
    co_return error_response(404, "not_found", "no such route", version);
  }
  // The page is one route whichever of its two paths asked for it.
  call.route_name = "/" + std::string(asset->name == "index.html" ? "" : asset->name);
  response res{bhttp::status::ok, version};
  res.set(bhttp::field::content_type, asset->content_type);
  res.set("X-Content-Type-Options", "nosniff");
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Content-Security-Policy",
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  if (call.services.options.dashboard_dir) {
    auto text = read_file(*call.services.options.dashboard_dir / std::string(asset->name));
    if (!text) co_return error_response(404, "not_found", "no such file", version);
    res.body() = std::move(*text);
  } else {
    res.body() = std::string(asset->body);
  }
  co_return res;
}

boost::asio::awaitable<response> serve_openapi(const route_call& call) {
  // The API described (docs/openapi.json, embedded at build time). Behind the token like every
  // /api/ route: it lists the routes an unauthenticated caller is not told about.
  response res{bhttp::status::ok, call.version()};
  res.set(bhttp::field::content_type, json_type);
  no_store(res);
  res.body() = std::string(api_description_assets().front().body);
  co_return res;
}

boost::asio::awaitable<response> serve_whoami(const route_call& call) {
  co_return json_response(200, {{"name", call.who->name}, {"role", to_string(call.who->grants)}},
                          call.version());
}

boost::asio::awaitable<response> serve_case(const route_call& call) {
  const unsigned version = call.version();
  constexpr std::string_view cases_prefix = "/api/v1/cases/";
  const auto id =
      percent_decode(std::string_view(call.target.path).substr(cases_prefix.size()), false);
  if (!id || id->empty() || id->find('/') != std::string::npos) {
    co_return bad_request("case_id: must be one path segment", version);
  }
  query_reader params(call.target.query, {});
  if (params.error()) co_return bad_request(*params.error(), version);
  call.log_fields["case_id"] = *id;
  const auto render = renderer_for(call);
  const auto found = co_await call.services.queries.get_case(*id);
  if (found.empty()) co_return error_response(404, "not_found", "no case with this id", version);
  if (found.size() == 1) co_return json_response(200, render.full_case(found.front()), version);
  // The same id under applicants of different partitions: two cases, neither of them "the"
  // case. Both are shown, each with its partition, and the caller must choose.
  json body = {{"error", "ambiguous_case_id"},
               {"detail", "case id " + *id + " is held under " + std::to_string(found.size()) +
                              " applicants in different partitions; each is in cases"},
               {"cases", json::array()}};
  for (const auto& r : found) {
    json c = render.full_case(r);
    c["partition"] = partition_of(r.applicant_id, call.services.options.partitions);
    body["cases"].push_back(std::move(c));
  }
  co_return json_response(409, body, version);
}

boost::asio::awaitable<response> serve_cases(const route_call& call) {
  const unsigned version = call.version();
  query_reader params(call.target.query,
                      {"state", "department", "matter", "overdue", "limit", "cursor"});
  case_filter filter;
  if (const auto s = params.text("state")) {
    filter.state = case_state_from(*s);
    if (!filter.state) params.fail("state", "must be one of the contract's state names");
  }
  filter.department = params.text("department");
  filter.matter = params.text("matter");
  filter.overdue_only = params.flag("overdue");
  filter.limit = params.count("limit", 50, 1, call.services.options.max_page);
  if (const auto c = params.text("cursor")) {
    filter.after = decode_cursor(*c);
    if (!filter.after) params.fail("cursor", "is not a cursor this server gave out");
  }
  if (params.error()) co_return bad_request(*params.error(), version);
  const auto render = renderer_for(call);
  const auto page = co_await call.services.queries.list_cases(filter);
  json cases = json::array();
  for (const auto& r : page.cases) cases.push_back(render.case_line(r));
  co_return json_response(
      200,
      {{"cases", cases},
       {"next_cursor", page.next ? json(encode_cursor(*page.next)) : json(nullptr)},
       {"total", page.total ? json(*page.total) : json(nullptr)}},
      version);
}

boost::asio::awaitable<response> serve_escalations(const route_call& call) {
  const unsigned version = call.version();
  query_reader params(call.target.query, {"level", "limit"});
  std::optional<escalation_level> level;
  if (const auto text = params.text("level"); text && !text->empty()) {
    level = from_name<escalation_level>(*text);
    if (!level) params.fail("level", "must be " + names_list<escalation_level>(" or "));
  }
  const auto limit = params.count("limit", 200, 1, call.services.options.max_page);
  if (params.error()) co_return bad_request(*params.error(), version);
  const auto render = renderer_for(call);
  const auto list = co_await call.services.queries.escalations(level, limit);
  json out = json::array();
  for (const auto& e : list) out.push_back(render.escalation(e));
  co_return json_response(200, {{"escalations", out}}, version);
}

boost::asio::awaitable<response> serve_ledger(const route_call& call) {
  const unsigned version = call.version();
  query_reader params(call.target.query, {"from", "to", "format"});
  ledger_query q;
  q.from = params.date("from");
  q.to = params.date("to");
  q.max_rows = call.services.options.max_ledger_rows;
  const std::string format = params.text("format").value_or("json");
  if (format != "json" && format != "csv") params.fail("format", "must be csv or json");
  if (q.from && q.to && std::chrono::sys_days(*q.from) > std::chrono::sys_days(*q.to)) {
    params.fail("from", "must not be after to");
  }
  if (params.error()) co_return bad_request(*params.error(), version);
  const auto render = renderer_for(call);
  const auto ledger = co_await call.services.queries.ledger(q);
  if (format == "csv") {
    co_return csv_download("ledger", q.from, q.to, ledger.truncated,
                           ledger_csv(ledger, render.masks()), version);
  }
  json rows = json::array();
  for (const auto& row : ledger.rows) rows.push_back(render.ledger_line(row, rows.size() + 1));
  co_return json_response(200, {{"rows", rows}, {"truncated", ledger.truncated}}, version);
}

boost::asio::awaitable<response> serve_summary(const route_call& call) {
  const unsigned version = call.version();
  query_reader params(call.target.query, {"limit"});
  const auto limit = params.count("limit", summary_list_limit, 1, 200);
  if (params.error()) co_return bad_request(*params.error(), version);
  const auto render = renderer_for(call);
  co_return json_response(200, render.summary(co_await call.services.queries.summary(limit)),
                          version);
}

boost::asio::awaitable<response> serve_effect_report(const route_call& call) {
  // The effect report (engine/domain/effect_report): every case applied in the period, grouped by
  // track and tier; the figures are the engine's, this only gathers and formats.
  const unsigned version = call.version();
  const auto& options = call.services.options;
  query_reader params(call.target.query, {"from", "to", "department", "format"});
  effect_scope scope;
  scope.from = params.date("from");
  scope.to = params.date("to");
  scope.department = params.text("department");
  const std::string format = params.text("format").value_or("json");
  if (format != "json" && format != "csv") params.fail("format", "must be csv or json");
  if (scope.from && scope.to &&
      std::chrono::sys_days(*scope.from) > std::chrono::sys_days(*scope.to)) {
    params.fail("from", "must not be after to");
  }
  if (params.error()) co_return bad_request(*params.error(), version);
  if (options.policy == nullptr || options.calendar == nullptr) {
    co_return error_response(503, "unavailable",
                             "this server was started without a profile and calendar", version);
  }
  const auto found =
      co_await call.services.queries.cases_applied(window_of(scope, options.max_report_cases));
  const auto report = make_effect_report(found.cases, *options.policy, *options.calendar, scope);
  if (format == "csv") {
    co_return csv_download("effect", scope.from, scope.to, found.truncated,
                           effect_report_csv(report), version);
  }
  co_return json_response(200, effect_report_json(report, scope, found.truncated), version);
}

boost::asio::awaitable<response> serve_events(const route_call& call) {
  const unsigned version = call.version();
  const auto& req = call.req;
  const auto* who = call.who;
  auto& log_fields = call.log_fields;
  auto parsed = parse_envelope(req.body());
  if (const auto* refused = std::get_if<rejection>(&parsed)) {
    // The detail names the field; it goes back to the sender, not into the log.
    log_fields["rejected"] = to_string(refused->code);
    co_return error_response(400, to_string(refused->code), refused->detail, version);
  }
  auto& event = std::get<inbound_event>(parsed);
  if (event.type == event_type::clock_advance && call.services.options.calendar) {
    if (const auto refused = clock_beyond_calendar(std::get<clock_advance_data>(event.data).to,
                                                   *call.services.options.calendar)) {
      log_fields["rejected"] = "schema_violation";
      co_return error_response(400, "schema_violation", *refused, version);
    }
  }
  log_fields["event_id"] = event.id;
  log_fields["type"] = to_string(event.type);
  if (!event.case_id.empty()) log_fields["case_id"] = event.case_id;
  // Credit comes from the credit platform, case events from the back office and the case
  // system, and moving every partition's clock is a supervisor's call.
  if (!may_send(who->grants, event.type)) {
    co_return error_response(403, "forbidden",
                             "the " + std::string(to_string(who->grants)) + " role may not send " +
                                 std::string(to_string(event.type)),
                             version);
  }
  // The actor is who holds the token: a claimed actor must be that holder.
  const actor holder{who->id, actor_role_of(who->grants)};
  if (event.by && (event.by->id != holder.id || event.by->role != holder.role)) {
    co_return error_response(403, "forbidden",
                             "actor " + event.by->id + " (" +
                                 std::string(to_string(event.by->role)) +
                                 ") is not the holder of this token, " + holder.id + " (" +
                                 std::string(to_string(holder.role)) + ")",
                             version);
  }
  event.by = holder;
  const auto body = with_actor(req.body(), holder);
  if (!body) co_return bad_request("the body is not a JSON object", version);
  const std::string id = event.id;
  const auto done = co_await call.services.sink.submit(std::move(event), *body);
  log_fields["partitions"] = done.partitions;
  co_return json_response(
      202, {{"id", id}, {"status", "accepted"}, {"partitions", done.partitions}}, version);
}

}  // namespace xyp::http
