#include "engine/domain/effect_report.hpp"

#include <algorithm>
#include <tuple>

namespace xyp {
namespace {

// Working days from apply to decision, or nothing when the case is not decided or its span
// leaves the calendar.
std::optional<int> handling_days(const case_record& r, const working_calendar& calendar) {
  if (!r.applied_at || !r.decided_at) return std::nullopt;
  try {
    return calendar.working_days_between(*r.applied_at, *r.decided_at);
  } catch (const calendar_error&) {
    return std::nullopt;
  }
}

bool was_deficient(std::optional<case_state> state) {
  return state == case_state::accepted_deficient || state == case_state::supplement_overdue;
}

// Every owed material came in: the case left deficiency for acceptance or approval.
bool deficiency_cured(const case_record& r) {
  return std::any_of(r.history.begin(), r.history.end(), [](const history_entry& h) {
    return was_deficient(h.from) && (h.to == case_state::accepted || h.to == case_state::approved);
  });
}

// Approved straight from intake or from the supplement that completed the materials, not after
// a back-office review from `accepted`.
bool decided_on_the_spot(const case_record& r) {
  return std::any_of(r.history.begin(), r.history.end(), [](const history_entry& h) {
    return h.to == case_state::approved && h.from && *h.from != case_state::accepted &&
           *h.from != case_state::approved;
  });
}

// Tallies cases, then settles the averages and the percentile.
struct accumulator {
  effect_row row;
  std::vector<int> days;

  void add(const case_record& r, const jurisdiction_policy& policy,
           const working_calendar& calendar) {
    ++row.cases;
    if (r.decided_at) ++row.decided;
    if (const auto d = handling_days(r, calendar)) {
      ++row.timed;
      row.total_days += *d;
      days.push_back(*d);
      if (const auto* m = policy.find_matter(r.matter)) {
        ++row.saved_counted;
        row.days_saved += m->time_limit_days - *d;
      }
    }
    if (r.track_used == track::deficiency && deficiency_cured(r)) ++row.deficiency_cured;
    if (r.state == case_state::defaulted) ++row.deficiency_defaulted;
    if (r.state == case_state::verified) ++row.commitments_kept;
    if (r.state == case_state::revoked) ++row.commitments_breached;
    if (r.satisfaction) {
      ++row.ratings[static_cast<std::size_t>(*r.satisfaction)];
      ++row.rated;
    }
  }

  effect_row finish() {
    if (row.timed > 0) {
      row.average_days = static_cast<double>(row.total_days) / static_cast<double>(row.timed);
      std::sort(days.begin(), days.end());
      // Nearest rank: the ceil(0.9 n)-th smallest.
      const std::size_t rank = (days.size() * 9 + 9) / 10;
      row.p90_days = days[rank - 1];
    }
    if (row.saved_counted > 0) {
      row.average_days_saved =
          static_cast<double>(row.days_saved) / static_cast<double>(row.saved_counted);
    }
    if (row.rated > 0) {
      const auto pleased = row.ratings[static_cast<std::size_t>(rating::very_satisfied)] +
                           row.ratings[static_cast<std::size_t>(rating::satisfied)] +
                           row.ratings[static_cast<std::size_t>(rating::basic)];
      row.satisfaction_rate = static_cast<double>(pleased) / static_cast<double>(row.rated);
    }
    return row;
  }
};

}  // namespace

bool in_scope(const case_record& r, const effect_scope& scope) {
  if (scope.department && r.department != *scope.department) return false;
  if (!scope.from && !scope.to) return true;
  if (!r.applied_at) return false;
  const std::chrono::sys_days day{shanghai_date(*r.applied_at)};
  if (scope.from && day < std::chrono::sys_days{*scope.from}) return false;
  if (scope.to && day > std::chrono::sys_days{*scope.to}) return false;
  return true;
}

effect_report make_effect_report(const std::vector<case_record>& cases,
                                 const jurisdiction_policy& policy,
                                 const working_calendar& calendar, const effect_scope& scope) {
  std::map<std::tuple<int, std::string>, accumulator> groups;
  accumulator total;
  for (const auto& r : cases) {
    if (!in_scope(r, scope)) continue;
    auto& group = groups[{static_cast<int>(r.track_used), r.tier}];
    group.row.track_used = r.track_used;
    group.row.tier = r.tier;
    group.add(r, policy, calendar);
    total.add(r, policy, calendar);
  }
  effect_report out;
  for (auto& [key, group] : groups) out.rows.push_back(group.finish());
  out.total = total.finish();
  return out;
}

policy_outcome make_policy_outcome(const std::vector<case_record>& cases,
                                   const working_calendar& calendar) {
  policy_outcome out;
  for (const auto& t : enum_names<track>) out.by_track[std::string(t.text)] = 0;
  for (const auto& l : enum_names<escalation_level>) out.escalations[std::string(l.text)] = 0;
  std::int64_t total_days = 0;
  for (const auto& r : cases) {
    ++out.cases;
    if (!r.tier.empty()) ++out.eligible_by_tier[r.tier];
    ++out.by_track[std::string(to_string(r.track_used))];
    if (decided_on_the_spot(r)) ++out.decided_on_the_spot;
    for (const auto& e : r.escalations) ++out.escalations[std::string(to_string(e.level))];
    if (r.state == case_state::defaulted) ++out.defaults;
    if (r.decided_at) ++out.decided;
    if (const auto d = handling_days(r, calendar)) {
      ++out.timed;
      total_days += *d;
    }
  }
  if (out.timed > 0) {
    out.average_days = static_cast<double>(total_days) / static_cast<double>(out.timed);
  }
  return out;
}

}  // namespace xyp
