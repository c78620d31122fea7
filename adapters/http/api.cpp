#include "adapters/http/api.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <charconv>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "adapters/http/csv.hpp"
#include "adapters/http/dashboard_assets.hpp"
#include "adapters/http/effect_format.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/log.hpp"
#include "engine/partition.hpp"
#include "engine/processor.hpp"

namespace xyp::http {
namespace {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;

constexpr std::string_view json_type = "application/json; charset=utf-8";
constexpr std::string_view csv_type = "text/csv; charset=utf-8";
constexpr std::size_t summary_list_limit = 20;

// --- Targets and query strings -------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

struct target_parts {
  std::string path;  // still percent-encoded; segments are decoded where they are read
  std::map<std::string, std::string> query;
  std::string error;
};

target_parts split_target(std::string_view target) {
  target_parts out;
  const auto question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) return out;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto key = percent_decode(pair.substr(0, eq), true);
    const auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) {
      out.error = "the query string has a bad percent-encoding";
      return out;
    }
    if (out.query.contains(*key)) {
      out.error = *key + ": given more than once";
      return out;
    }
    out.query.emplace(*key, *value);
  }
  return out;
}

// Reads query parameters; the first problem is kept and later reads do nothing, so a handler
// reads every parameter and then looks once (as event.cpp's field_reader does).
class query_reader {
 public:
  query_reader(const std::map<std::string, std::string>& query,
               std::initializer_list<std::string_view> allowed)
      : query_(query) {
    for (const auto& [key, value] : query) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        fail(key, "is not a parameter of this route");
        break;
      }
    }
  }

  const std::optional<std::string>& error() const { return error_; }

  void fail(std::string_view key, std::string_view must) {
    if (!error_) error_ = std::string(key) + ": " + std::string(must);
  }

  std::optional<std::string> text(std::string_view key) {
    const auto it = query_.find(std::string(key));
    if (it == query_.end() || error_) return std::nullopt;
    if (it->second.empty()) {
      fail(key, "must not be empty");
      return std::nullopt;
    }
    return it->second;
  }

  std::size_t count(std::string_view key, std::size_t fallback, std::size_t low, std::size_t high) {
    const auto value = text(key);
    if (!value) return fallback;
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec != std::errc() || end != value->data() + value->size() || n < low || n > high) {
      fail(key, "must be an integer from " + std::to_string(low) + " to " + std::to_string(high));
      return fallback;
    }
    return n;
  }

  bool flag(std::string_view key) {
    const auto value = text(key);
    if (!value || *value == "false") return false;
    if (*value == "true") return true;
    fail(key, "must be true or false");
    return false;
  }

  std::optional<std::chrono::year_month_day> date(std::string_view key) {
    const auto value = text(key);
    if (!value) return std::nullopt;
    int y = 0;
    unsigned m = 0, d = 0;
    char dash1 = 0, dash2 = 0;
    std::istringstream in(*value);
    in >> y >> dash1 >> m >> dash2 >> d;
    const std::chrono::year_month_day day{std::chrono::year(y), std::chrono::month(m),
                                          std::chrono::day(d)};
    if (value->size() != 10 || !in || !in.eof() || dash1 != '-' || dash2 != '-' || !day.ok()) {
      fail(key, "must be a date such as 2026-11-23");
      return std::nullopt;
    }
    return day;
  }

 private:
  const std::map<std::string, std::string>& query_;
  std::optional<std::string> error_;
};

// The reads whose answer depends on the route, the query and the caller's role only (not on
// who holds the token, as /api/v1/whoami's does): the ones the response cache may keep.
bool is_cached_read(std::string_view path) {
  return path == "/api/v1/cases" || path.starts_with("/api/v1/cases/") ||
         path == "/api/v1/escalations" || path == "/api/v1/summary" || path == "/api/v1/ledger" ||
         path == "/api/v1/reports/effect";
}

// --- Responses -----------------------------------------------------------------------------

void no_store(response& res) {
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
}

response json_response(unsigned status, const json& body, unsigned version) {
  response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::content_type, json_type);
  no_store(res);
  res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return res;
}

response bad_request(std::string_view detail, unsigned version) {
  return error_response(400, "bad_request", detail, version);
}

response method_not_allowed(std::string_view allow, unsigned version) {
  auto res =
      error_response(405, "method_not_allowed", "this route allows " + std::string(allow), version);
  res.set(bhttp::field::allow, allow);
  return res;
}

// 404 for a path no route has, 405 for a method its route does not take (routes.hpp).
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

// --- Rendering -----------------------------------------------------------------------------

std::string time_text(instant t) {
  return format_rfc3339(t);
}

json optional_time(const std::optional<instant>& t) {
  return t ? json(time_text(*t)) : json(nullptr);
}

std::int64_t seconds_between(instant from, instant to) {
  return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

class renderer {
 public:
  renderer(bool mask, const std::map<std::string, std::string>& matter_names)
      : mask_(mask), matter_names_(matter_names) {}

  std::string matter_name(const std::string& code) const {
    const auto it = matter_names_.find(code);
    return it == matter_names_.end() ? code : it->second;
  }

  void mask_applicant(json& applicant_id, json& applicant, applicant_kind kind) const {
    if (!mask_) return;
    applicant["contact"] = mask_contact(applicant.value("contact", ""));
    if (kind == applicant_kind::person) applicant_id = mask_id(applicant_id.get<std::string>());
  }

  json full_case(const case_record& r) const {
    json j = r;
    j["matter_name"] = matter_name(r.matter);
    mask_applicant(j["applicant_id"], j["applicant"], r.applicant.kind);
    return j;
  }

  json case_line(const case_record& r) const {
    const auto* decision = r.armed_clock(clock_kind::decision);
    const bool overdue =
        std::any_of(r.escalations.begin(), r.escalations.end(),
                    [](const escalation_record& e) { return e.open && e.level == "overdue"; });
    json j = {{"case_id", r.case_id},
              {"applicant_id", r.applicant_id},
              {"applicant",
               {{"kind", r.applicant.kind == applicant_kind::person ? "person" : "enterprise"},
                {"name", r.applicant.name},
                {"contact", r.applicant.contact}}},
              {"state", to_string(r.state)},
              {"track", to_string(r.track_used)},
              {"matter", r.matter},
              {"matter_name", matter_name(r.matter)},
              {"department", r.department},
              {"applied_at", optional_time(r.applied_at)},
              {"decision_due_at", decision ? json(time_text(decision->due)) : json(nullptr)},
              {"overdue", overdue},
              {"missing", r.missing},
              {"privileges", r.privileges}};
    // Contract 1.1: a due counted over a year without a notice says so beside it.
    if (decision && decision->provisional) j["provisional"] = true;
    mask_applicant(j["applicant_id"], j["applicant"], r.applicant.kind);
    return j;
  }

  json escalation(const open_escalation& e) const {
    json j = {{"case_id", e.case_id}, {"level", e.level},
              {"clock", e.clock},     {"raised_at", time_text(e.raised_at)},
              {"due_at", nullptr},    {"department", nullptr},
              {"matter", nullptr},    {"matter_name", nullptr},
              {"state", nullptr}};
    if (e.record) {
      for (const auto& x : e.record->escalations) {
        if (x.open && x.level == e.level && contract_clock_name(x.clock) == e.clock) {
          j["due_at"] = time_text(x.due);
          if (x.provisional) j["provisional"] = true;
        }
      }
      j["department"] = e.record->department;
      j["matter"] = e.record->matter;
      j["matter_name"] = matter_name(e.record->matter);
      j["state"] = to_string(e.record->state);
    }
    return j;
  }

  json summary(const dashboard_summary& s) const {
    json nearing = json::array();
    for (const auto& e : s.nearing_decision) {
      json j = escalation(e);
      if (e.record) {
        if (const auto* d = e.record->armed_clock(clock_kind::decision)) {
          j["due_at"] = time_text(d->due);
          if (d->provisional) {
            j["provisional"] = true;
          } else {
            j.erase("provisional");
          }
          j["remaining_seconds"] = seconds_between(s.as_of, d->due);
        }
      }
      nearing.push_back(std::move(j));
    }
    json overdue = json::array();
    for (const auto& r : s.overdue) {
      json j = brief(r);
      const escalation_record* worst = nullptr;
      for (const auto& e : r.escalations) {
        if (e.open && e.level == "overdue" && (!worst || e.due < worst->due)) worst = &e;
      }
      j["clock"] = worst ? json(contract_clock_name(worst->clock)) : json(nullptr);
      j["due_at"] = worst ? json(time_text(worst->due)) : json(nullptr);
      if (worst && worst->provisional) j["provisional"] = true;
      j["late_seconds"] = worst ? json(seconds_between(worst->due, s.as_of)) : json(nullptr);
      overdue.push_back(std::move(j));
    }
    json awaiting = json::array();
    for (const auto& r : s.awaiting_materials) {
      json j = brief(r);
      j["missing"] = r.missing;
      const auto* c = r.armed_clock(clock_kind::supplement);
      if (!c) c = r.armed_clock(clock_kind::supplement_grace);
      j["due_at"] = c ? json(time_text(c->due)) : json(nullptr);
      if (c && c->provisional) j["provisional"] = true;
      j["remaining_seconds"] = c ? json(seconds_between(s.as_of, c->due)) : json(nullptr);
      awaiting.push_back(std::move(j));
    }
    json hooks = json::array();
    for (const auto& h : s.credit_hooks) {
      hooks.push_back({{"event_id", h.event_id},
                       {"case_id", h.case_id},
                       {"at", time_text(h.at)},
                       {"kind", h.kind},
                       {"detail", h.detail},
                       {"matter", h.matter},
                       {"matter_name", matter_name(h.matter)}});
    }
    return {{"as_of", time_text(s.as_of)},      {"total_cases", s.total_cases},
            {"by_state", s.by_state},           {"by_department", s.by_department},
            {"overdue_cases", s.overdue_cases}, {"escalations_open", s.escalations_open},
            {"nearing_decision", nearing},      {"overdue", overdue},
            {"awaiting_materials", awaiting},   {"credit_hooks", hooks}};
  }

  // `no` is the row's number in this export; the partition's own number stays beside it.
  json ledger_line(const ledger_row& row, std::size_t export_no) const {
    return {{"no", export_no},
            {"partition", row.partition},
            {"partition_no", row.no},
            {"case_id", row.case_id},
            {"date", row.date},
            {"name", row.name},
            {"credit_level", row.credit_level},
            {"contact", mask_ ? mask_contact(row.contact) : row.contact},
            {"matter", row.matter},
            {"matter_code", row.matter_code},
            {"department", row.department},
            {"result", row.result},
            {"satisfaction", row.satisfaction ? json(*row.satisfaction) : json(nullptr)}};
  }

  bool masks() const { return mask_; }

 private:
  json brief(const case_record& r) const {
    return {{"case_id", r.case_id},
            {"department", r.department},
            {"matter", r.matter},
            {"matter_name", matter_name(r.matter)},
            {"state", to_string(r.state)}};
  }

  bool mask_;
  const std::map<std::string, std::string>& matter_names_;
};

// --- The ledger as CSV (000 attachment 1, plus satisfaction) ---------------------------------

std::string_view result_label(std::string_view result) {
  static const std::map<std::string_view, std::string_view> labels{
      {"approved", "准予许可"},  {"denied", "不予许可"},     {"rejected", "不予受理"},
      {"withdrawn", "撤回申请"}, {"terminated", "终止办理"}, {"defaulted", "容缺未补正"},
      {"revoked", "违诺撤销"},   {"verified", "核查履诺"}};
  const auto it = labels.find(result);
  return it == labels.end() ? result : it->second;
}

std::string_view satisfaction_label(const std::optional<std::string>& rating) {
  static const std::map<std::string_view, std::string_view> labels{
      {"very_satisfied", "非常满意"},
      {"satisfied", "满意"},
      {"basic", "基本满意"},
      {"unsatisfied", "不满意"},
      {"very_unsatisfied", "非常不满意"}};
  if (!rating) return "";
  const auto it = labels.find(*rating);
  return it == labels.end() ? std::string_view(*rating) : it->second;
}

// 编号 numbers the rows of this export 1, 2, 3..., as a paper register does (contract 1.1).
std::string ledger_csv(const ledger_result& ledger, const renderer& render) {
  std::string out(utf8_bom);
  out += "编号,日期,诚信个人姓名,诚信级别,联系方式,办理事项,承办部门,办理结果,满意度\r\n";
  std::size_t export_no = 0;
  for (const auto& row : ledger.rows) {
    const std::string no = std::to_string(++export_no);
    const std::string contact = render.masks() ? mask_contact(row.contact) : row.contact;
    const std::string_view cells[] = {no,
                                      row.date,
                                      row.name,
                                      row.credit_level,
                                      contact,
                                      row.matter,
                                      row.department,
                                      result_label(row.result),
                                      satisfaction_label(row.satisfaction)};
    bool first = true;
    for (const auto cell : cells) {
      if (!first) out += ',';
      first = false;
      out += csv_cell(cell);
    }
    out += "\r\n";
  }
  return out;
}

// --- Base64url, for cursors ------------------------------------------------------------------

constexpr std::string_view b64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += b64_alphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += b64_alphabet[(buffer << (6 - bits)) & 0x3F];
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    const auto pos = b64_alphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return std::nullopt;  // a length no encoder produces
  return out;
}

// "application/json", with or without parameters such as a charset.
bool is_json_media_type(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string type(content_type.substr(0, semicolon));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json";
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

}  // namespace

response error_response(unsigned status, std::string_view code, std::string_view detail,
                        unsigned version) {
  return json_response(status, {{"error", code}, {"detail", detail}}, version);
}

std::string encode_cursor(const page_position& p) {
  return base64url_encode(std::to_string(p.applied_ms) + ":" + p.case_id);
}

std::optional<page_position> decode_cursor(std::string_view text) {
  const auto raw = base64url_decode(text);
  if (!raw) return std::nullopt;
  const auto colon = raw->find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == raw->size()) return std::nullopt;
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + colon, ms);
  if (ec != std::errc() || end != raw->data() + colon) return std::nullopt;
  return page_position{ms, raw->substr(colon + 1)};
}

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
  const bool get = req.method() == bhttp::verb::get;
  // What exists, and with which method, is the route table's to say; the branches answer. Under
  // /api/ the token comes first, so the table is consulted after it.
  const route_spec* known = find_route(path);
  if (!path.starts_with("/api/")) {
    if (auto refused = refuse_unrouted(known, req, route_name, version)) co_return *refused;
  }

  if (path == "/healthz") {
    route_name = "/healthz";
    if (!get) co_return method_not_allowed("GET", version);
    if (health_) {
      // From memory only: no Redis round trip on this path.
      auto verdict = health_->judge();
      co_return json_response(verdict.healthy ? 200 : 503, std::move(verdict.body), version);
    }
    const auto status = co_await probe_();
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
    co_return json_response(status.reachable ? 200 : 503,
                            {{"status", status.reachable ? "ok" : "unavailable"},
                             {"redis", status.reachable},
                             {"partitions", partitions}},
                            version);
  }

  if (path == "/metrics") {
    route_name = "/metrics";
    if (!get) co_return method_not_allowed("GET", version);
    // Store-derived series are read from Redis at scrape time; the engine counts the rest.
    const auto status = co_await probe_();
    metrics::engine_metrics m(registry_);
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
    registry_.gauge("xyp_redis_up", "1 when the HTTP side reached Redis at the last scrape.")
        .set(status.reachable ? 1 : 0);
    response res{bhttp::status::ok, version};
    res.set(bhttp::field::content_type, metrics::exposition_content_type);
    no_store(res);
    res.body() = registry_.expose();
    co_return res;
  }

  if (!path.starts_with("/api/")) {
    // The dashboard's own files: public, they hold no data; the page asks for a token.
    const std::string name = path == "/" ? "index.html" : path.substr(1);
    const static_asset* asset = nullptr;
    for (const auto& a : embedded_assets()) {
      if (a.name == name) asset = &a;
    }
    if (asset == nullptr) {
      route_name = "unmatched";
      co_return error_response(404, "not_found", "no such route", version);
    }
    route_name = "/" + std::string(asset->name == "index.html" ? "" : asset->name);
    if (!get) co_return method_not_allowed("GET", version);
    response res{bhttp::status::ok, version};
    res.set(bhttp::field::content_type, asset->content_type);
    res.set("X-Content-Type-Options", "nosniff");
    res.set(bhttp::field::cache_control, "no-cache");
    res.set("Referrer-Policy", "no-referrer");
    res.set("Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    if (options_.dashboard_dir) {
      auto text = read_file(*options_.dashboard_dir / std::string(asset->name));
      if (!text) co_return error_response(404, "not_found", "no such file", version);
      res.body() = std::move(*text);
    } else {
      res.body() = std::string(asset->body);
    }
    co_return res;
  }

  // Everything under /api/ needs a token, checked before the route is matched so that an
  // unauthenticated caller learns nothing about which routes exist.
  route_name = "/api";
  const auto* who = authenticate(options_.tokens, req[bhttp::field::authorization]);
  if (who == nullptr) {
    auto res = error_response(401, "unauthorized", "a valid bearer token is required", version);
    res.set(bhttp::field::www_authenticate, "Bearer realm=\"xinyipi\"");
    co_return res;
  }
  log_fields["who"] = who->name;
  log_fields["role"] = to_string(who->grants);
  if (!target.error.empty()) co_return bad_request(target.error, version);
  if (auto refused = refuse_unrouted(known, req, route_name, version)) co_return *refused;
  // The credit platform reports credit and reads nothing back but the API's description.
  if (!may_read(who->grants) && path != "/api/v1/events" && path != "/api/v1/whoami" &&
      path != "/api/v1/openapi.json") {
    co_return error_response(
        403, "forbidden",
        std::string("the ") + std::string(to_string(who->grants)) + " role may only post events",
        version);
  }
  const renderer render(!sees_personal_data(who->grants), options_.matter_names);
  const auto& query = target.query;
  constexpr std::string_view cases_prefix = "/api/v1/cases/";

  if (path == "/api/v1/openapi.json") {
    // The API described (docs/openapi.json, embedded at build time). Behind the token like every
    // /api/ route: it lists the routes an unauthenticated caller is not told about.
    route_name = path;
    if (!get) co_return method_not_allowed("GET", version);
    response res{bhttp::status::ok, version};
    res.set(bhttp::field::content_type, json_type);
    no_store(res);
    res.body() = std::string(api_description_assets().front().body);
    co_return res;
  }

  if (path == "/api/v1/whoami") {
    route_name = path;
    if (!get) co_return method_not_allowed("GET", version);
    co_return json_response(200, {{"name", who->name}, {"role", to_string(who->grants)}}, version);
  }

  if (path.starts_with(cases_prefix) && path.size() > cases_prefix.size()) {
    route_name = "/api/v1/cases/{case_id}";
    if (!get) co_return method_not_allowed("GET", version);
    const auto id = percent_decode(std::string_view(path).substr(cases_prefix.size()), false);
    if (!id || id->empty() || id->find('/') != std::string::npos) {
      co_return bad_request("case_id: must be one path segment", version);
    }
    query_reader params(query, {});
    if (params.error()) co_return bad_request(*params.error(), version);
    log_fields["case_id"] = *id;
    const auto found = co_await queries_.get_case(*id);
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
      c["partition"] = partition_of(r.applicant_id, options_.partitions);
      body["cases"].push_back(std::move(c));
    }
    co_return json_response(409, body, version);
  }

  if (path == "/api/v1/cases") {
    route_name = path;
    if (!get) co_return method_not_allowed("GET", version);
    query_reader params(query, {"state", "department", "matter", "overdue", "limit", "cursor"});
    case_filter filter;
    if (const auto s = params.text("state")) {
      filter.state = case_state_from(*s);
      if (!filter.state) params.fail("state", "must be one of the contract's state names");
    }
    filter.department = params.text("department");
    filter.matter = params.text("matter");
    filter.overdue_only = params.flag("overdue");
    filter.limit = params.count("limit", 50, 1, options_.max_page);
    if (const auto c = params.text("cursor")) {
      filter.after = decode_cursor(*c);
      if (!filter.after) params.fail("cursor", "is not a cursor this server gave out");
    }
    if (params.error()) co_return bad_request(*params.error(), version);
    const auto page = co_await queries_.list_cases(filter);
    json cases = json::array();
    for (const auto& r : page.cases) cases.push_back(render.case_line(r));
    co_return json_response(
        200,
        {{"cases", cases},
         {"next_cursor", page.next ? json(encode_cursor(*page.next)) : json(nullptr)},
         {"total", page.total ? json(*page.total) : json(nullptr)}},
        version);
  }

  if (path == "/api/v1/escalations") {
    route_name = path;
    if (!get) co_return method_not_allowed("GET", version);
    query_reader params(query, {"level", "limit"});
    std::string level = params.text("level").value_or("");
    if (!level.empty() && level != "warning" && level != "overdue") {
      params.fail("level", "must be warning or overdue");
    }
    const auto limit = params.count("limit", 200, 1, options_.max_page);
    if (params.error()) co_return bad_request(*params.error(), version);
    const auto list = co_await queries_.escalations(level, limit);
    json out = json::array();
    for (const auto& e : list) out.push_back(render.escalation(e));
    co_return json_response(200, {{"escalations", out}}, version);
  }

  if (path == "/api/v1/ledger") {
    route_name = path;
    if (!get) co_return method_not_allowed("GET", version);
    query_reader params(query, {"from", "to", "format"});
    ledger_query q;
    q.from = params.date("from");
    q.to = params.date("to");
    q.max_rows = options_.max_ledger_rows;
    const std::string format = params.text("format").value_or("json");
    if (format != "json" && format != "csv") params.fail("format", "must be csv or json");
    if (q.from && q.to && std::chrono::sys_days(*q.from) > std::chrono::sys_days(*q.to)) {
      params.fail("from", "must not be after to");
    }
    if (params.error()) co_return bad_request(*params.error(), version);
    const auto ledger = co_await queries_.ledger(q);
    if (format == "csv") {
      response res{bhttp::status::ok, version};
      res.set(bhttp::field::content_type, csv_type);
      res.set(bhttp::field::content_disposition,
              "attachment; filename=\"ledger" +
                  (q.from ? "-" + format_date(*q.from) : std::string()) +
                  (q.to ? "-" + format_date(*q.to) : std::string()) + ".csv\"");
      if (ledger.truncated) res.set("X-Xyp-Truncated", "true");
      no_store(res);
      res.body() = ledger_csv(ledger, render);
      co_return res;
    }
    json rows = json::array();
    for (const auto& row : ledger.rows) rows.push_back(render.ledger_line(row, rows.size() + 1));
    co_return json_response(200, {{"rows", rows}, {"truncated", ledger.truncated}}, version);
  }

  if (path == "/api/v1/summary") {
    route_name = path;
    if (!get) co_return method_not_allowed("GET", version);
    query_reader params(query, {"limit"});
    const auto limit = params.count("limit", summary_list_limit, 1, 200);
    if (params.error()) co_return bad_request(*params.error(), version);
    co_return json_response(200, render.summary(co_await queries_.summary(limit)), version);
  }

  if (path == "/api/v1/reports/effect") {
    // The effect report (engine/effect_report): every case applied in the period, grouped by
    // track and tier; the figures are the engine's, this only gathers and formats.
    route_name = path;
    if (!get) co_return method_not_allowed("GET", version);
    query_reader params(query, {"from", "to", "department", "format"});
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
    if (options_.policy == nullptr || options_.calendar == nullptr) {
      co_return error_response(503, "unavailable",
                               "this server was started without a profile and calendar", version);
    }
    const auto found = co_await queries_.cases_applied(window_of(scope, options_.max_report_cases));
    const auto report =
        make_effect_report(found.cases, *options_.policy, *options_.calendar, scope);
    if (format == "csv") {
      response res{bhttp::status::ok, version};
      res.set(bhttp::field::content_type, csv_type);
      res.set(bhttp::field::content_disposition,
              "attachment; filename=\"effect" +
                  (scope.from ? "-" + format_date(*scope.from) : std::string()) +
                  (scope.to ? "-" + format_date(*scope.to) : std::string()) + ".csv\"");
      if (found.truncated) res.set("X-Xyp-Truncated", "true");
      no_store(res);
      res.body() = effect_report_csv(report);
      co_return res;
    }
    co_return json_response(200, effect_report_json(report, scope, found.truncated), version);
  }

  if (path == "/api/v1/events") {
    route_name = path;
    if (req.method() != bhttp::verb::post) co_return method_not_allowed("POST", version);
    if (!is_json_media_type(req[bhttp::field::content_type])) {
      co_return error_response(415, "unsupported_media_type",
                               "the body must be sent as Content-Type: application/json", version);
    }
    if (who->grants == role::viewer) {
      co_return error_response(403, "forbidden", "a viewer may not post events", version);
    }
    auto parsed = parse_envelope(req.body());
    if (const auto* refused = std::get_if<rejection>(&parsed)) {
      // The detail names the field; it goes back to the sender, not into the log.
      log_fields["rejected"] = to_string(refused->code);
      co_return error_response(400, to_string(refused->code), refused->detail, version);
    }
    auto& event = std::get<inbound_event>(parsed);
    if (event.type == event_type::clock_advance && options_.calendar) {
      if (const auto refused = clock_beyond_calendar(std::get<clock_advance_data>(event.data).to,
                                                     *options_.calendar)) {
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
                               "the " + std::string(to_string(who->grants)) +
                                   " role may not send " + std::string(to_string(event.type)),
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
    const auto done = co_await sink_.submit(std::move(event), *body);
    log_fields["partitions"] = done.partitions;
    co_return json_response(
        202, {{"id", id}, {"status", "accepted"}, {"partitions", done.partitions}}, version);
  }

  route_name = "unmatched";
  co_return error_response(404, "not_found", "no such route", version);
}

}  // namespace xyp::http
