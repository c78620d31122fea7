#include "engine/domain/calendar.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "engine/domain/json_reader.hpp"
#include "engine/domain/statutory_holidays.hpp"

namespace xyp {
namespace {

using std::chrono::sys_days;

// Exactly "YYYY-MM-DD", a real date, inside the year the file is for: the notices list dates
// one year at a time, so a date in another year is a typo, not a schedule.
sys_days read_date(const json_reader& reader, const nlohmann::json& value, int year,
                   const std::string& field) {
  if (!value.is_string()) reader.fail(field, "must be a \"YYYY-MM-DD\" string");
  const auto& text = value.get_ref<const std::string&>();
  const auto malformed = [&] {
    reader.fail(field, "\"" + text + "\" is not a \"YYYY-MM-DD\" date");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') malformed();
  int parts[3] = {0, 0, 0};
  const std::pair<std::size_t, std::size_t> spans[3] = {{0, 4}, {5, 2}, {8, 2}};
  for (int p = 0; p < 3; ++p) {
    for (std::size_t i = spans[p].first; i < spans[p].first + spans[p].second; ++i) {
      if (text[i] < '0' || text[i] > '9') malformed();
      parts[p] = parts[p] * 10 + (text[i] - '0');
    }
  }
  const std::chrono::year_month_day date{std::chrono::year{parts[0]},
                                         std::chrono::month{static_cast<unsigned>(parts[1])},
                                         std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!date.ok()) malformed();
  if (parts[0] != year) reader.fail(field, text + " is not in " + std::to_string(year));
  return sys_days{date};
}

bool is_weekend(sys_days day) {
  const std::chrono::weekday wd{day};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

bool contains(const std::vector<sys_days>& days, sys_days day) {
  return std::find(days.begin(), days.end(), day) != days.end();
}

}  // namespace

working_calendar working_calendar::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json" && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) {
    throw config_error(dir.string() + ": cannot list the calendar directory: " + ec.message());
  }
  if (files.empty()) throw config_error(dir.string() + ": holds no calendar file (*.json)");
  // Directory order is unspecified; sorting makes "already loaded from" name the same file
  // on every machine.
  std::sort(files.begin(), files.end());

  working_calendar calendar;
  for (const auto& file : files) calendar.add_year_file(file);
  return calendar;
}

namespace {

nlohmann::json read_year_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw config_error(file.string() + ": cannot be opened");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw config_error(file.string() + ": is not valid JSON: " + e.what());
  }
}

}  // namespace

void working_calendar::add_year_file(const std::filesystem::path& file) {
  add_year(read_year_file(file), file.string());
}

std::chrono::year working_calendar::check_year_file(const std::filesystem::path& file) {
  const auto doc = read_year_file(file);
  working_calendar alone;
  alone.add_year(doc, file.string());
  return alone.first_year();
}

void working_calendar::add_year(const nlohmann::json& year_doc, const std::string& source_name) {
  const json_reader reader(source_name);
  reader.object(year_doc, "(top level)");
  reader.known_keys(year_doc, "", {"year", "source", "holidays", "make_up_working_days"});

  const auto& year_value = reader.member(year_doc, "", "year");
  if (!year_value.is_number_integer() || year_value < 1 || year_value > 9999) {
    reader.fail("year", "must be an integer from 1 to 9999");
  }
  const int year = year_value.get<int>();
  if (const auto earlier = years_.find(year); earlier != years_.end()) {
    reader.fail("year",
                std::to_string(year) + " is already loaded from " + earlier->second.source_name);
  }
  // The notice a year was read from is what a reviewer checks the dates against.
  reader.text(reader.member(year_doc, "", "source"), "source");

  year_schedule schedule{source_name, {}, {}};
  const auto& holidays = reader.array(reader.member(year_doc, "", "holidays"), "holidays");
  for (std::size_t h = 0; h < holidays.size(); ++h) {
    const std::string where = json_reader::element("holidays", h);
    const auto& holiday = holidays[h];
    reader.object(holiday, where);
    reader.known_keys(holiday, where, {"name", "dates"});
    reader.text(reader.member(holiday, where, "name"), json_reader::child(where, "name"));
    const auto dates_path = json_reader::child(where, "dates");
    const auto& dates = reader.array(reader.member(holiday, where, "dates"), dates_path);
    if (dates.empty()) reader.fail(dates_path, "is empty");
    for (std::size_t d = 0; d < dates.size(); ++d) {
      const std::string field = json_reader::element(dates_path, d);
      const sys_days day = read_date(reader, dates[d], year, field);
      // A date listed twice is harmless in itself but usually a typo for a neighbouring date.
      if (contains(schedule.holidays, day))
        reader.fail(field, format_date(day) + " is listed twice");
      schedule.holidays.push_back(day);
    }
  }

  const auto& make_ups =
      reader.array(reader.member(year_doc, "", "make_up_working_days"), "make_up_working_days");
  for (std::size_t m = 0; m < make_ups.size(); ++m) {
    const std::string where = json_reader::element("make_up_working_days", m);
    const auto& make_up = make_ups[m];
    reader.object(make_up, where);
    reader.known_keys(make_up, where, {"name", "date"});
    reader.text(reader.member(make_up, where, "name"), json_reader::child(where, "name"));
    const std::string field = json_reader::child(where, "date");
    const sys_days day = read_date(reader, reader.member(make_up, where, "date"), year, field);
    if (contains(schedule.holidays, day)) {
      reader.fail(field, format_date(day) + " is also listed as a holiday");
    }
    // A make-up day always moves work onto a weekend; a weekday here is a wrong date.
    if (!is_weekend(day)) {
      reader.fail(field, format_date(day) + " is a weekday, not a weekend day");
    }
    if (contains(schedule.make_up_days, day)) {
      reader.fail(field, format_date(day) + " is listed twice");
    }
    schedule.make_up_days.push_back(day);
  }

  // The notice adds to the regulation; it cannot take a fixed holiday away.
  if (std::chrono::year{year} >= regulation_first_year) {
    for (std::size_t m = 0; m < schedule.make_up_days.size(); ++m) {
      for (const auto& fixed : statutory_holidays(std::chrono::year{year})) {
        if (fixed.date == schedule.make_up_days[m]) {
          reader.fail(json_reader::child(json_reader::element("make_up_working_days", m), "date"),
                      format_date(fixed.date) + " is " + fixed.name +
                          ", a holiday the national regulation fixes, not a working day");
        }
      }
    }
    for (const auto& fixed : statutory_holidays(std::chrono::year{year})) {
      if (!contains(schedule.holidays, fixed.date)) {
        reader.fail("holidays",
                    format_date(fixed.date) + " (" + fixed.name +
                        ") is a holiday the national regulation fixes and is not listed");
      }
    }
  }

  const auto added = years_.emplace(year, std::move(schedule)).first;
  try {
    rebuild_tables();
  } catch (...) {
    years_.erase(added);  // the tables are only replaced on success, so they still match
    throw;
  }
}

void working_calendar::rebuild_tables() {
  const int first = years_.begin()->first;
  const int last = years_.rbegin()->first + provisional_years_ahead;
  const sys_days first_day{std::chrono::year{first} / std::chrono::January / 1};
  const sys_days end_day{std::chrono::year{last + 1} / std::chrono::January / 1};
  const auto size = static_cast<std::size_t>((end_day - first_day).count());

  enum class kind : std::uint8_t {
    rest,
    working,
    uncovered,
    provisional_rest,
    provisional_working
  };
  std::vector<kind> kinds(size, kind::uncovered);
  const auto index = [&](sys_days day) {
    return static_cast<std::size_t>((day - first_day).count());
  };
  for (int year = first; year <= last; ++year) {
    const sys_days from{std::chrono::year{year} / std::chrono::January / 1};
    const sys_days to{std::chrono::year{year + 1} / std::chrono::January / 1};
    const auto loaded = years_.find(year);
    if (loaded != years_.end()) {
      for (sys_days day = from; day < to; day += std::chrono::days{1}) {
        kinds[index(day)] = is_weekend(day) ? kind::rest : kind::working;
      }
      for (const sys_days day : loaded->second.holidays) kinds[index(day)] = kind::rest;
      for (const sys_days day : loaded->second.make_up_days) kinds[index(day)] = kind::working;
    } else if (std::chrono::year{year} >= regulation_first_year) {
      for (sys_days day = from; day < to; day += std::chrono::days{1}) {
        kinds[index(day)] = is_weekend(day) ? kind::provisional_rest : kind::provisional_working;
      }
      for (const sys_days day : provisional_days_off(std::chrono::year{year})) {
        if (day >= from && day < to) kinds[index(day)] = kind::provisional_rest;
      }
    }
  }

  std::vector<std::int32_t> working_counts(size);
  std::vector<std::int32_t> uncovered_counts(size);
  std::vector<std::int32_t> provisional_counts(size);
  std::int32_t working = 0;
  std::int32_t uncovered = 0;
  std::int32_t provisional = 0;
  for (std::size_t i = 0; i < size; ++i) {
    working += kinds[i] == kind::working || kinds[i] == kind::provisional_working ? 1 : 0;
    uncovered += kinds[i] == kind::uncovered ? 1 : 0;
    provisional += kinds[i] == kind::provisional_rest || kinds[i] == kind::provisional_working;
    working_counts[i] = working;
    uncovered_counts[i] = uncovered;
    provisional_counts[i] = provisional;
  }
  // Replaced only once built, so that a failure part-way leaves the previous tables intact.
  first_day_ = first_day;
  last_year_ = std::chrono::year{last};
  working_through_.swap(working_counts);
  uncovered_through_.swap(uncovered_counts);
  provisional_through_.swap(provisional_counts);
}

std::int32_t working_calendar::working_through(std::int64_t index) const {
  return index < 0 ? 0 : working_through_[static_cast<std::size_t>(index)];
}

// The first day of [from, to] that no loaded year covers, if any.
std::optional<sys_days> working_calendar::first_uncovered(sys_days from, sys_days to) const {
  const auto size = static_cast<std::int64_t>(uncovered_through_.size());
  const std::int64_t i = (from - first_day_).count();
  const std::int64_t j = (to - first_day_).count();
  if (i < 0 || i >= size) return from;
  const std::int32_t before = i == 0 ? 0 : uncovered_through_[static_cast<std::size_t>(i - 1)];
  const std::int64_t last = std::min(j, size - 1);
  if (uncovered_through_[static_cast<std::size_t>(last)] > before) {
    const auto begin = uncovered_through_.begin();
    const auto hit = std::lower_bound(begin + i, begin + last + 1, before + 1);
    return first_day_ + std::chrono::days{static_cast<std::int64_t>(hit - begin)};
  }
  if (j >= size) return first_day_ + std::chrono::days{size};
  return std::nullopt;
}

bool working_calendar::covers(std::chrono::year_month_day day) const {
  if (!day.ok() || years_.empty()) return false;
  return years_.contains(static_cast<int>(day.year())) || is_provisional(day.year());
}

bool working_calendar::is_provisional(std::chrono::year y) const {
  if (years_.empty() || years_.contains(static_cast<int>(y))) return false;
  return y >= regulation_first_year && y > first_year() && y <= last_year_;
}

bool working_calendar::is_working_day(std::chrono::year_month_day day) const {
  if (!covers(day)) throw_outside(day);
  const std::int64_t i = (sys_days{day} - first_day_).count();
  return working_through(i) - working_through(i - 1) == 1;
}

instant working_calendar::add_working_days(instant t, int k) const {
  return deadline_after(t, k).due;
}

working_deadline working_calendar::deadline_after(instant t, int k) const {
  if (k < 0) throw std::invalid_argument("add_working_days: negative count " + std::to_string(k));
  const sys_days own{shanghai_date(t)};
  if (k == 0) return {end_of_shanghai_day(std::chrono::year_month_day{own}), false};

  const sys_days start = own + std::chrono::days{1};
  const std::int64_t i = (start - first_day_).count();
  if (i < 0 || i >= static_cast<std::int64_t>(working_through_.size()))
    throw_outside(std::chrono::year_month_day{start});
  // Days of years not loaded count as non-working in the table, so the search may run through a
  // gap between loaded years; the gap check below refuses that instead of skipping it.
  const std::int32_t target = working_through(i - 1) + k;
  const auto begin = working_through_.begin();
  const auto hit = std::lower_bound(begin + i, working_through_.end(), target);
  const sys_days reached = first_day_ + std::chrono::days{static_cast<std::int64_t>(hit - begin)};
  if (const auto gap = first_uncovered(start, reached))
    throw_outside(std::chrono::year_month_day{*gap});
  const auto at = [&](sys_days day) {
    const std::int64_t n = (day - first_day_).count();
    return n < 0 ? 0 : provisional_through_[static_cast<std::size_t>(n)];
  };
  const bool provisional = at(reached) > at(start - std::chrono::days{1});
  return {end_of_shanghai_day(std::chrono::year_month_day{reached}), provisional};
}

int working_calendar::working_days_between(instant a, instant b) const {
  const sys_days from{shanghai_date(a)};
  const sys_days to{shanghai_date(b)};
  if (to <= from) return 0;
  const sys_days start = from + std::chrono::days{1};
  if (const auto gap = first_uncovered(start, to)) throw_outside(std::chrono::year_month_day{*gap});
  return working_through((to - first_day_).count()) - working_through((from - first_day_).count());
}

std::chrono::year working_calendar::first_year() const {
  if (years_.empty()) throw calendar_error("the working-day calendar has no years loaded");
  return std::chrono::year{years_.begin()->first};
}

std::chrono::year working_calendar::last_year() const {
  if (years_.empty()) throw calendar_error("the working-day calendar has no years loaded");
  return last_year_;
}

std::chrono::year working_calendar::last_notice_year() const {
  if (years_.empty()) throw calendar_error("the working-day calendar has no years loaded");
  return std::chrono::year{years_.rbegin()->first};
}

void working_calendar::throw_outside(std::chrono::year_month_day day) const {
  throw calendar_error(format_date(day) + " is outside the working-day calendar (" +
                       covered_years_text() + ")");
}

// "notices 2025-2026, provisional to 2028", or "notices 2025-2026, 2028, ..." when the loaded
// years have a gap.
std::string working_calendar::covered_years_text() const {
  if (years_.empty()) return "no years loaded";
  std::string text;
  auto it = years_.begin();
  while (it != years_.end()) {
    const int run_start = it->first;
    int run_end = run_start;
    for (++it; it != years_.end() && it->first == run_end + 1; ++it) run_end = it->first;
    if (!text.empty()) text += ", ";
    text += std::to_string(run_start);
    if (run_end != run_start) text += "-" + std::to_string(run_end);
  }
  return "notices " + text + ", provisional to " + std::to_string(static_cast<int>(last_year_));
}

}  // namespace xyp
