#include "adapters/http/effect_format.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "adapters/http/csv.hpp"
#include "engine/domain/time.hpp"

namespace xyp::http {
namespace {

using json = nlohmann::json;

constexpr const char* rating_names[] = {"very_satisfied", "satisfied", "basic", "unsatisfied",
                                        "very_unsatisfied"};

// Two decimals: a figure for a report, not a measurement.
double rounded(double x) {
  return std::round(x * 100.0) / 100.0;
}

json optional_number(const std::optional<double>& x) {
  return x ? json(rounded(*x)) : json(nullptr);
}

json row_json(const effect_row& r, bool total) {
  json satisfaction = {{"rated", r.rated}, {"rate", optional_number(r.satisfaction_rate)}};
  for (std::size_t i = 0; i < r.ratings.size(); ++i) satisfaction[rating_names[i]] = r.ratings[i];
  json j = {{"cases", r.cases},
            {"decided", r.decided},
            {"timed", r.timed},
            {"average_days", optional_number(r.average_days)},
            {"p90_days", r.p90_days ? json(*r.p90_days) : json(nullptr)},
            {"days_saved", r.days_saved},
            {"saved_counted", r.saved_counted},
            {"average_days_saved", optional_number(r.average_days_saved)},
            {"deficiency_cured", r.deficiency_cured},
            {"deficiency_defaulted", r.deficiency_defaulted},
            {"commitments_kept", r.commitments_kept},
            {"commitments_breached", r.commitments_breached},
            {"satisfaction", satisfaction}};
  if (!total) {
    j["track"] = to_string(r.track_used);
    j["tier"] = r.tier.empty() ? json(nullptr) : json(r.tier);
  }
  return j;
}

std::string_view track_label(track t) {
  switch (t) {
    case track::standard:
      return "一般程序";
    case track::deficiency:
      return "容缺受理";
    case track::commitment:
      return "告知承诺";
  }
  return "";
}

std::string number_text(const std::optional<double>& x) {
  if (!x) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", *x);
  return buffer;
}

void append_csv_row(std::string& out, std::string_view track, std::string_view tier,
                    const effect_row& r) {
  const std::string cells[] = {
      std::string(track),
      std::string(tier),
      std::to_string(r.cases),
      std::to_string(r.decided),
      number_text(r.average_days),
      r.p90_days ? std::to_string(*r.p90_days) : std::string(),
      std::to_string(r.days_saved),
      number_text(r.average_days_saved),
      std::to_string(r.deficiency_cured),
      std::to_string(r.deficiency_defaulted),
      std::to_string(r.commitments_kept),
      std::to_string(r.commitments_breached),
      std::to_string(r.ratings[0]),
      std::to_string(r.ratings[1]),
      std::to_string(r.ratings[2]),
      std::to_string(r.ratings[3]),
      std::to_string(r.ratings[4]),
      r.satisfaction_rate ? number_text(*r.satisfaction_rate * 100.0) + "%" : std::string()};
  bool first = true;
  for (const auto& cell : cells) {
    if (!first) out += ',';
    first = false;
    out += csv_cell(cell);
  }
  out += "\r\n";
}

}  // namespace

applied_window window_of(const effect_scope& scope, std::size_t max_cases) {
  applied_window w;
  w.max_cases = max_cases;
  if (scope.from) {
    w.from = instant{std::chrono::sys_days{*scope.from}} - shanghai_offset;
  }
  if (scope.to) {
    w.to = instant{std::chrono::sys_days{*scope.to} + std::chrono::days{1}} - shanghai_offset -
           std::chrono::milliseconds{1};
  }
  return w;
}

json effect_report_json(const effect_report& report, const effect_scope& scope, bool truncated) {
  json rows = json::array();
  for (const auto& r : report.rows) rows.push_back(row_json(r, false));
  return {{"from", scope.from ? json(format_date(*scope.from)) : json(nullptr)},
          {"to", scope.to ? json(format_date(*scope.to)) : json(nullptr)},
          {"department", scope.department ? json(*scope.department) : json(nullptr)},
          {"truncated", truncated},
          {"rows", rows},
          {"total", row_json(report.total, true)}};
}

std::string effect_report_csv(const effect_report& report) {
  std::string out(utf8_bom);
  out +=
      "办理模式,信用等级,办件数,已作决定,平均用时(工作日),90%用时(工作日),节省工作日合计,"
      "平均节省工作日,容缺补齐,容缺未补正,承诺履行,承诺违背,非常满意,满意,基本满意,不满意,"
      "非常不满意,满意率\r\n";
  for (const auto& r : report.rows) {
    append_csv_row(out, track_label(r.track_used), r.tier.empty() ? "无" : r.tier, r);
  }
  append_csv_row(out, "合计", "", report.total);
  return out;
}

}  // namespace xyp::http
