#pragma once
// The effect report (engine/domain/effect_report) as GET /api/v1/reports/effect serves it: JSON, or
// CSV with Chinese headers as a department hands it upward.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "adapters/http/ports.hpp"
#include "engine/domain/effect_report.hpp"

namespace xyp::http {

// The application times a scope covers: from the start of `from`'s Shanghai day to the end of
// `to`'s.
applied_window window_of(const effect_scope& scope, std::size_t max_cases);

nlohmann::json effect_report_json(const effect_report& report, const effect_scope& scope,
                                  bool truncated);

// One row per track and tier, then a total row (合计).
std::string effect_report_csv(const effect_report& report);

}  // namespace xyp::http
