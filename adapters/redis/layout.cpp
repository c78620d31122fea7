#include "adapters/redis/layout.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace xyp::redis {

std::string time_score(instant t) {
  return std::to_string(t.time_since_epoch().count());
}

instant time_from_score(std::string_view score) {
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(score.data(), score.data() + score.size(), ms);
  if (ec == std::errc() && end == score.data() + score.size()) {
    return instant{std::chrono::milliseconds(ms)};
  }
  // A double's text: strtod needs a terminated string.
  const std::string text(score);
  return instant{std::chrono::milliseconds(std::llround(std::strtod(text.c_str(), nullptr)))};
}

std::string date_score(std::string_view yyyy_mm_dd) {
  std::string digits;
  digits.reserve(8);
  for (const char c : yyyy_mm_dd) {
    if (c != '-') digits += c;
  }
  return digits;
}

std::string date_score(std::chrono::year_month_day day) {
  const int number = static_cast<int>(day.year()) * 10000 +
                     static_cast<int>(static_cast<unsigned>(day.month())) * 100 +
                     static_cast<int>(static_cast<unsigned>(day.day()));
  return std::to_string(number);
}

std::optional<std::chrono::year_month_day> date_from_score(std::string_view score) {
  int number = 0;
  const auto [end, ec] = std::from_chars(score.data(), score.data() + score.size(), number);
  if (ec != std::errc() || end != score.data() + score.size() || number <= 0) return std::nullopt;
  const std::chrono::year_month_day day{
      std::chrono::year(number / 10000),
      std::chrono::month(static_cast<unsigned>(number / 100 % 100)),
      std::chrono::day(static_cast<unsigned>(number % 100))};
  if (!day.ok()) return std::nullopt;
  return day;
}

std::string escalation_member(std::string_view case_id, clock_kind clock, escalation_level level) {
  std::string member;
  const auto kind = to_string(clock);
  const auto name = to_string(level);
  member.reserve(case_id.size() + kind.size() + name.size() + 2);
  member.append(case_id).append("|").append(kind).append("|").append(name);
  return member;
}

std::optional<escalation_entry> escalation_from_member(std::string_view member) {
  const auto last = member.rfind('|');
  if (last == std::string_view::npos || last == 0) return std::nullopt;
  const auto middle = member.rfind('|', last - 1);
  if (middle == std::string_view::npos) return std::nullopt;
  const auto level = from_name<escalation_level>(member.substr(last + 1));
  if (!level) return std::nullopt;
  escalation_entry e;
  e.case_id = std::string(member.substr(0, middle));
  const auto clock = member.substr(middle + 1, last - middle - 1);
  const auto kind = clock_kind_from(clock);
  e.clock = kind ? std::string(contract_clock_name(*kind)) : std::string(clock);
  e.level = *level;
  return e;
}

std::string timer_member(std::string_view timer_id, std::string_view applicant_id) {
  std::string member;
  member.reserve(timer_id.size() + 1 + applicant_id.size());
  const auto slash = timer_id.rfind('/');
  const auto kind =
      slash == std::string_view::npos ? std::nullopt : clock_kind_from(timer_id.substr(slash + 1));
  if (kind) {
    member.append(timer_id.substr(0, slash + 1))
        .push_back(static_cast<char>('0' + static_cast<int>(*kind)));
  } else {
    member.append(timer_id);
  }
  member.append("|").append(applicant_id);
  return member;
}

std::optional<std::string> legacy_timer_member(std::string_view member) {
  const auto bar = member.rfind('|');
  if (bar == std::string_view::npos || bar < 2 || member[bar - 2] != '/') return std::nullopt;
  const char digit = member[bar - 1];
  if (digit < '0' || digit > '0' + static_cast<int>(clock_kind::verification)) return std::nullopt;
  std::string legacy;
  legacy.reserve(member.size() + 16);
  legacy.append(member.substr(0, bar - 1))
      .append(to_string(static_cast<clock_kind>(digit - '0')))
      .append(member.substr(bar));
  return legacy;
}

std::optional<timer_entry> timer_from_member(const std::string& member, std::int64_t due_ms) {
  // "<case id>/t<k>/<n>|<applicant id>", or an earlier build's "<case id>/t<k>/<kind>|<applicant
  // id>" (timer_member).
  const auto bar = member.rfind('|');
  if (bar == std::string::npos) return std::nullopt;
  std::string id = member.substr(0, bar);
  const auto kind_at = id.rfind('/');
  if (kind_at == std::string::npos || kind_at == 0) return std::nullopt;
  const auto seq_at = id.rfind("/t", kind_at - 1);
  if (seq_at == std::string::npos || seq_at == 0) return std::nullopt;
  const std::string_view kind_text = std::string_view(id).substr(kind_at + 1);
  std::optional<clock_kind> kind;
  if (kind_text.size() == 1 && kind_text[0] >= '0' &&
      kind_text[0] <= '0' + static_cast<int>(clock_kind::verification)) {
    kind = static_cast<clock_kind>(kind_text[0] - '0');
    id.replace(kind_at + 1, std::string::npos, to_string(*kind));  // the timer's own id
  } else {
    kind = clock_kind_from(kind_text);
  }
  if (!kind) return std::nullopt;
  return timer_entry{id, id.substr(0, seq_at), member.substr(bar + 1), *kind,
                     instant{std::chrono::milliseconds(due_ms)}};
}

}  // namespace xyp::redis
