#include "engine/domain/outbound.hpp"

#include <stdexcept>

namespace xyp {

nlohmann::json to_json(const outbound_event& e) {
  return {{"id", e.id},
          {"type", e.type},
          {"applicant_id", e.applicant_id},
          {"case_id", e.case_id},
          {"at", format_rfc3339(e.at)},
          {"cause", e.cause},
          {"data", e.data.parsed()}};
}

nlohmann::json to_json(const timer_entry& t) {
  return {{"id", t.id},
          {"case_id", t.case_id},
          {"applicant_id", t.applicant_id},
          {"kind", to_string(t.kind)},
          {"due", format_rfc3339(t.due)}};
}

timer_entry timer_from_json(const nlohmann::json& j) {
  timer_entry t;
  t.id = j.at("id").get<std::string>();
  t.case_id = j.at("case_id").get<std::string>();
  t.applicant_id = j.at("applicant_id").get<std::string>();
  const auto kind = clock_kind_from(j.at("kind").get<std::string>());
  const auto due = parse_rfc3339(j.at("due").get<std::string>());
  if (!kind || !due) throw std::runtime_error("timer record is corrupt: " + j.dump());
  t.kind = *kind;
  t.due = *due;
  return t;
}

}  // namespace xyp
