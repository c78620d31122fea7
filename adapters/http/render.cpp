#include "adapters/http/render.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "adapters/http/auth.hpp"

namespace xyp::http {
namespace {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;

json optional_time(const std::optional<instant>& t) {
  return t ? json(time_text(*t)) : json(nullptr);
}

std::int64_t seconds_between(instant from, instant to) {
  return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

}  // namespace

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

response error_response(unsigned status, std::string_view code, std::string_view detail,
                        unsigned version) {
  return json_response(status, {{"error", code}, {"detail", detail}}, version);
}

std::string time_text(instant t) {
  return format_rfc3339(t);
}

std::string renderer::matter_name(const std::string& code) const {
  const auto it = matter_names_.find(code);
  return it == matter_names_.end() ? code : it->second;
}

void renderer::mask_applicant(json& applicant_id, json& applicant, applicant_kind kind) const {
  if (!mask_) return;
  applicant["contact"] = mask_contact(applicant.value("contact", ""));
  if (kind == applicant_kind::person) applicant_id = mask_id(applicant_id.get<std::string>());
}

json renderer::full_case(const case_record& r) const {
  json j = r;
  j["matter_name"] = matter_name(r.matter);
  mask_applicant(j["applicant_id"], j["applicant"], r.applicant.kind);
  return j;
}

json renderer::case_line(const case_record& r) const {
  const auto* decision = r.armed_clock(clock_kind::decision);
  const bool overdue = std::any_of(
      r.escalations.begin(), r.escalations.end(),
      [](const escalation_record& e) { return e.open && e.level == escalation_level::overdue; });
  json j = {{"case_id", r.case_id},
            {"applicant_id", r.applicant_id},
            {"applicant",
             {{"kind", to_string(r.applicant.kind)},
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

json renderer::escalation(const open_escalation& e) const {
  json j = {{"case_id", e.case_id}, {"level", to_string(e.level)},
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

json renderer::summary(const dashboard_summary& s) const {
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
      if (e.open && e.level == escalation_level::overdue && (!worst || e.due < worst->due)) {
        worst = &e;
      }
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

json renderer::ledger_line(const ledger_row& row, std::size_t export_no) const {
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

json renderer::brief(const case_record& r) const {
  return {{"case_id", r.case_id},
          {"department", r.department},
          {"matter", r.matter},
          {"matter_name", matter_name(r.matter)},
          {"state", to_string(r.state)}};
}

}  // namespace xyp::http
