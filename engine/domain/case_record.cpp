#include "engine/domain/case_record.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace xyp {
namespace {

// Every stored enum is written by the engine itself; an unknown name means a corrupt record.
template <class Enum>
Enum require(std::optional<Enum> value, std::string_view field) {
  if (!value) throw std::runtime_error("case record: unknown value in " + std::string(field));
  return *value;
}

std::string time_text(instant t) {
  return format_rfc3339(t);
}

instant time_from(const nlohmann::json& j) {
  const auto t = parse_rfc3339(j.get<std::string>());
  if (!t) throw std::runtime_error("case record: bad time " + j.get<std::string>());
  return *t;
}

nlohmann::json optional_time(const std::optional<instant>& t) {
  return t ? nlohmann::json(time_text(*t)) : nlohmann::json(nullptr);
}

// An optional state as the record's JSON has always written it: its name, or "" for none.
std::string_view optional_state_name(const std::optional<case_state>& s) {
  return s ? to_string(*s) : std::string_view{};
}

std::optional<case_state> optional_state_from(const nlohmann::json& j, std::string_view field) {
  const auto text = j.get<std::string>();
  if (text.empty()) return std::nullopt;
  return require(from_name<case_state>(text), field);
}

std::optional<instant> optional_time_from(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return time_from(*it);
}

}  // namespace

std::optional<case_state> case_state_from(std::string_view text) {
  return from_name<case_state>(text);
}

bool is_pending_decision(case_state s) {
  switch (s) {
    case case_state::applied:
    case case_state::correction_required:
    case case_state::accepted:
    case case_state::accepted_deficient:
    case case_state::supplement_overdue:
      return true;
    default:
      return false;
  }
}

bool is_final(case_state s) {
  switch (s) {
    case case_state::denied:
    case case_state::rejected:
    case case_state::withdrawn:
    case case_state::terminated:
    case case_state::defaulted:
    case case_state::revoked:
    case case_state::verified:
      return true;
    default:
      return false;
  }
}

std::optional<clock_kind> clock_kind_from(std::string_view text) {
  return from_name<clock_kind>(text);
}

std::string_view contract_clock_name(clock_kind k) {
  switch (k) {
    case clock_kind::correction_notice:
      return "correction_notice";
    case clock_kind::supplement:
    case clock_kind::supplement_grace:
      return "supplement";
    case clock_kind::decision_warning:
    case clock_kind::decision:
      return "decision";
    case clock_kind::verification:
      return "verification";
  }
  return "decision";
}

const case_clock* case_record::armed_clock(clock_kind k) const {
  for (const auto& c : clocks) {
    if (c.kind == k && c.status == clock_status::armed) return &c;
  }
  return nullptr;
}

bool case_record::has_privilege(std::string_view p) const {
  return std::find(privileges.begin(), privileges.end(), p) != privileges.end();
}

void to_json(nlohmann::json& j, const credit_snapshot& c) {
  j = nlohmann::json{{"known", c.known},
                     {"grade", to_string(c.grade)},
                     {"score", c.score ? nlohmann::json(*c.score) : nlohmann::json(nullptr)},
                     {"tax_incentive_card", c.tax_incentive_card},
                     {"blacklisted", c.blacklisted},
                     {"key_review", c.key_review},
                     {"source", c.source},
                     {"as_of", time_text(c.as_of)}};
}

void from_json(const nlohmann::json& j, credit_snapshot& c) {
  c.known = j.at("known").get<bool>();
  c.grade = require(from_name<credit_grade>(j.at("grade").get<std::string>()), "credit.grade");
  c.score = j.at("score").is_null()
                ? std::nullopt
                : std::optional<std::int64_t>(j.at("score").get<std::int64_t>());
  c.tax_incentive_card = j.at("tax_incentive_card").get<bool>();
  c.blacklisted = j.at("blacklisted").get<bool>();
  c.key_review = j.at("key_review").get<bool>();
  c.source = j.at("source").get<std::string>();
  c.as_of = time_from(j.at("as_of"));
}

void to_json(nlohmann::json& j, const case_record& r) {
  auto clocks = nlohmann::json::array();
  for (const auto& c : r.clocks) {
    nlohmann::json clock{{"timer_id", c.timer_id},
                         {"kind", to_string(c.kind)},
                         {"clock", contract_clock_name(c.kind)},
                         {"due_at", time_text(c.due)},
                         {"status", to_string(c.status)}};
    // Written only when set, so that records without them read and compare as before.
    if (c.counted_from != instant{}) clock["counted_from"] = time_text(c.counted_from);
    if (c.working_days != 0) clock["working_days"] = c.working_days;
    if (c.provisional) clock["provisional"] = true;
    clocks.push_back(std::move(clock));
  }
  auto escalations = nlohmann::json::array();
  for (const auto& e : r.escalations) {
    escalations.push_back({{"level", to_string(e.level)},
                           {"kind", to_string(e.clock)},
                           {"clock", contract_clock_name(e.clock)},
                           {"due_at", time_text(e.due)},
                           {"raised_at", time_text(e.raised_at)},
                           {"open", e.open}});
    if (e.provisional) escalations.back()["provisional"] = true;
  }
  auto history = nlohmann::json::array();
  for (const auto& h : r.history) {
    history.push_back({{"event_id", h.event_id},
                       {"type", h.type},
                       {"at", time_text(h.at)},
                       {"from", optional_state_name(h.from)},
                       {"to", to_string(h.to)}});
  }
  j = nlohmann::json{
      {"case_id", r.case_id},
      {"applicant_id", r.applicant_id},
      {"applicant",
       {{"kind", to_string(r.applicant.kind)},
        {"name", r.applicant.name},
        {"contact", r.applicant.contact}}},
      {"matter", r.matter},
      {"department", r.department},
      {"state", to_string(r.state)},
      {"track", to_string(r.track_used)},
      {"credit_track", r.credit_track},
      {"commitment_signed", r.commitment_signed},
      {"needs_verification", r.needs_verification},
      {"tier", r.tier},
      {"eligibility_reason", r.eligibility_reason},
      {"credit", r.credit},
      {"privileges", r.privileges},
      {"materials", r.materials},
      {"missing", r.missing},
      {"replaced_by_commitment", r.replaced_by_commitment},
      {"clocks", clocks},
      {"escalations", escalations},
      {"history", history},
      {"applied_at", optional_time(r.applied_at)},
      {"accepted_at", optional_time(r.accepted_at)},
      {"decided_at", optional_time(r.decided_at)},
      {"ledger_no", r.ledger_no ? nlohmann::json(*r.ledger_no) : nlohmann::json(nullptr)},
      {"register_level", r.register_level},
      {"satisfaction",
       r.satisfaction ? nlohmann::json(to_string(*r.satisfaction)) : nlohmann::json(nullptr)},
      {"result", optional_state_name(r.result)},
      {"version", r.version},
      {"timer_seq", r.timer_seq},
  };
}

void from_json(const nlohmann::json& j, case_record& r) {
  r.case_id = j.at("case_id").get<std::string>();
  r.applicant_id = j.at("applicant_id").get<std::string>();
  const auto& a = j.at("applicant");
  // Any kind but a person's has always been read as an enterprise.
  r.applicant.kind = from_name<applicant_kind>(a.at("kind").get<std::string>())
                         .value_or(applicant_kind::enterprise);
  r.applicant.name = a.at("name").get<std::string>();
  r.applicant.contact = a.at("contact").get<std::string>();
  r.matter = j.at("matter").get<std::string>();
  r.department = j.at("department").get<std::string>();
  r.state = require(from_name<case_state>(j.at("state").get<std::string>()), "state");
  r.track_used = from_name<track>(j.at("track").get<std::string>()).value_or(track::standard);
  r.credit_track = j.at("credit_track").get<bool>();
  r.commitment_signed = j.at("commitment_signed").get<bool>();
  r.needs_verification = j.at("needs_verification").get<bool>();
  r.tier = j.at("tier").get<std::string>();
  r.eligibility_reason = j.at("eligibility_reason").get<std::string>();
  r.credit = j.at("credit").get<credit_snapshot>();
  r.privileges = j.at("privileges").get<std::vector<std::string>>();
  r.materials = j.at("materials").get<std::vector<std::string>>();
  r.missing = j.at("missing").get<std::vector<std::string>>();
  r.replaced_by_commitment = j.at("replaced_by_commitment").get<std::vector<std::string>>();
  r.clocks.clear();
  for (const auto& c : j.at("clocks")) {
    r.clocks.push_back(
        case_clock{c.at("timer_id").get<std::string>(),
                   require(from_name<clock_kind>(c.at("kind").get<std::string>()), "clocks.kind"),
                   time_from(c.at("due_at")),
                   from_name<clock_status>(c.at("status").get<std::string>())
                       .value_or(clock_status::cancelled)});
    auto& clock = r.clocks.back();
    if (const auto it = c.find("counted_from"); it != c.end()) clock.counted_from = time_from(*it);
    clock.working_days = c.value("working_days", 0);
    clock.provisional = c.value("provisional", false);
  }
  r.escalations.clear();
  for (const auto& e : j.at("escalations")) {
    r.escalations.push_back(escalation_record{
        require(from_name<escalation_level>(e.at("level").get<std::string>()), "escalations.level"),
        require(from_name<clock_kind>(e.at("kind").get<std::string>()), "escalations.kind"),
        time_from(e.at("due_at")), time_from(e.at("raised_at")), e.at("open").get<bool>(),
        e.value("provisional", false)});
  }
  r.history.clear();
  for (const auto& h : j.at("history")) {
    r.history.push_back(
        history_entry{h.at("event_id").get<std::string>(), h.at("type").get<std::string>(),
                      time_from(h.at("at")), optional_state_from(h.at("from"), "history.from"),
                      require(from_name<case_state>(h.at("to").get<std::string>()), "history.to")});
  }
  r.applied_at = optional_time_from(j, "applied_at");
  r.accepted_at = optional_time_from(j, "accepted_at");
  r.decided_at = optional_time_from(j, "decided_at");
  r.ledger_no = j.at("ledger_no").is_null()
                    ? std::nullopt
                    : std::optional<std::uint64_t>(j.at("ledger_no").get<std::uint64_t>());
  // Absent from records written before the register had its own level.
  r.register_level = j.value("register_level", std::string());
  r.satisfaction =
      j.at("satisfaction").is_null()
          ? std::nullopt
          : std::optional<rating>(require(
                from_name<rating>(j.at("satisfaction").get<std::string>()), "satisfaction"));
  r.result = optional_state_from(j.at("result"), "result");
  r.version = j.at("version").get<std::uint64_t>();
  r.timer_seq = j.at("timer_seq").get<std::uint32_t>();
}

std::optional<std::string> invariant_violation(const case_record& r) {
  if (static_cast<int>(r.state) < 0 || static_cast<int>(r.state) >= case_state_count) {
    return "state out of range";
  }
  const bool awaiting_verification = r.state == case_state::approved && r.needs_verification;
  const bool may_hold_clocks = is_pending_decision(r.state) || awaiting_verification;
  for (const auto& c : r.clocks) {
    if (c.status == clock_status::armed && !may_hold_clocks) {
      return "clock " + c.timer_id + " is armed on a " + std::string(to_string(r.state)) + " case";
    }
  }
  if (is_final(r.state)) {
    for (const auto& e : r.escalations) {
      if (e.open) return "an escalation is open on a " + std::string(to_string(r.state)) + " case";
    }
  }
  const bool owes_materials = r.state == case_state::accepted_deficient ||
                              r.state == case_state::supplement_overdue ||
                              r.state == case_state::correction_required ||
                              r.state == case_state::applied || r.state == case_state::defaulted;
  if (!r.missing.empty() && !owes_materials) {
    return "a " + std::string(to_string(r.state)) + " case still lists missing materials";
  }
  if ((r.state == case_state::accepted_deficient || r.state == case_state::supplement_overdue) &&
      r.missing.empty()) {
    return "a deficient case lists no missing material";
  }
  return std::nullopt;
}

}  // namespace xyp
