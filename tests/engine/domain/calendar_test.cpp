#include "engine/domain/calendar.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/domain/policy.hpp"
#include "engine/domain/statutory_holidays.hpp"
#include "engine/domain/time.hpp"

using namespace xyp;
using namespace std::chrono;

// Every expected date below was worked out by hand from the State Council notices for 2025 and
// 2026 (the "source" of each file in config/calendars), never by running the calendar itself.

namespace {

const working_calendar& shipped_calendar() {
  static const working_calendar calendar =
      working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  return calendar;
}

instant at(const std::string& rfc3339) {
  const auto t = parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

// The deadline k working days after the given time, as the contract would print it.
std::string deadline(const std::string& from, int k) {
  return format_rfc3339(shipped_calendar().add_working_days(at(from), k));
}

int between(const std::string& a, const std::string& b) {
  return shipped_calendar().working_days_between(at(a), at(b));
}

// A directory of its own under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "xyp-calendar-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  void write(const std::string& name, const std::string& text) const {
    std::ofstream out(path_ / name);
    out << text;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A well-formed year to break one field of at a time: the regulation's days of 2026 (worked out
// by hand from the lunar and solar-term dates) and one make-up day.
nlohmann::json year_2026() {
  return nlohmann::json::parse(R"({
    "year": 2026,
    "source": "test",
    "holidays": [{"name": "元旦", "dates": ["2026-01-01", "2026-01-02", "2026-01-03"]},
                 {"name": "regulation", "dates": ["2026-02-16", "2026-02-17", "2026-02-18",
                  "2026-02-19", "2026-04-05", "2026-05-01", "2026-05-02", "2026-06-19",
                  "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-03"]}],
    "make_up_working_days": [{"name": "元旦", "date": "2026-01-04"}]
  })");
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("the shipped calendar has the notices of 2025 and 2026 and provisional years to 2028",
          "[calendar]") {
  const auto& cal = shipped_calendar();
  CHECK(cal.first_year() == year{2025});
  CHECK(cal.last_notice_year() == year{2026});
  CHECK(cal.last_year() == year{2028});
  CHECK(cal.covers(2025y / January / 1));
  CHECK(cal.covers(2026y / December / 31));
  CHECK(cal.covers(2027y / January / 1));
  CHECK(cal.covers(2028y / December / 31));
  CHECK_FALSE(cal.covers(2024y / December / 31));
  CHECK_FALSE(cal.covers(2029y / January / 1));
  CHECK_FALSE(cal.is_provisional(year{2026}));
  CHECK(cal.is_provisional(year{2027}));
  CHECK(cal.is_provisional(year{2028}));
  CHECK_FALSE(cal.is_provisional(year{2029}));
}

TEST_CASE("weekdays work, weekends rest, holidays rest and make-up weekend days work",
          "[calendar]") {
  const auto& cal = shipped_calendar();
  CHECK(cal.is_working_day(2026y / March / 11));           // an ordinary Wednesday
  CHECK_FALSE(cal.is_working_day(2026y / March / 14));     // an ordinary Saturday
  CHECK_FALSE(cal.is_working_day(2026y / March / 15));     // an ordinary Sunday
  CHECK_FALSE(cal.is_working_day(2025y / January / 1));    // 元旦, a Wednesday
  CHECK(cal.is_working_day(2025y / January / 26));         // 春节 make-up Sunday
  CHECK(cal.is_working_day(2025y / February / 8));         // 春节 make-up Saturday
  CHECK_FALSE(cal.is_working_day(2025y / June / 2));       // 端午, a Monday
  CHECK_FALSE(cal.is_working_day(2025y / October / 8));    // 国庆·中秋, a Wednesday
  CHECK(cal.is_working_day(2025y / October / 11));         // make-up Saturday
  CHECK(cal.is_working_day(2026y / January / 4));          // 元旦 make-up Sunday
  CHECK(cal.is_working_day(2026y / February / 14));        // 春节 make-up Saturday
  CHECK_FALSE(cal.is_working_day(2026y / February / 23));  // 春节, a Monday
  CHECK(cal.is_working_day(2026y / February / 24));
  CHECK(cal.is_working_day(2026y / February / 28));         // 春节 make-up Saturday
  CHECK_FALSE(cal.is_working_day(2026y / April / 6));       // 清明, a Monday
  CHECK_FALSE(cal.is_working_day(2026y / May / 5));         // 劳动节, a Tuesday
  CHECK(cal.is_working_day(2026y / May / 9));               // make-up Saturday
  CHECK_FALSE(cal.is_working_day(2026y / September / 25));  // 中秋, a Friday
  CHECK(cal.is_working_day(2026y / September / 20));        // 国庆 make-up Sunday
  CHECK(cal.is_working_day(2026y / October / 10));          // 国庆 make-up Saturday
}

TEST_CASE("in an ordinary week a deadline counts weekdays and skips the weekend", "[calendar]") {
  // Wednesday 2026-03-11: Thu 12, Fri 13, then Mon 16.
  CHECK(deadline("2026-03-11T10:00:00+08:00", 1) == "2026-03-12T23:59:59+08:00");
  CHECK(deadline("2026-03-11T10:00:00+08:00", 2) == "2026-03-13T23:59:59+08:00");
  CHECK(deadline("2026-03-11T10:00:00+08:00", 3) == "2026-03-16T23:59:59+08:00");
  CHECK(deadline("2026-03-11T10:00:00+08:00", 10) == "2026-03-25T23:59:59+08:00");
  // A case received on a Saturday starts counting on Monday.
  CHECK(deadline("2026-03-14T10:00:00+08:00", 1) == "2026-03-16T23:59:59+08:00");
  CHECK(between("2026-03-11T10:00:00+08:00", "2026-03-25T09:00:00+08:00") == 10);
}

TEST_CASE(
    "a deadline across Spring Festival 2026 skips the nine days off and counts both "
    "make-up Saturdays",
    "[calendar]") {
  // Thu 2026-02-12: Fri 13 (1), Sat 14 make-up (2), 15-23 off, Tue 24 (3), Wed 25 (4), Thu 26 (5).
  CHECK(deadline("2026-02-12T09:00:00+08:00", 5) == "2026-02-26T23:59:59+08:00");
  CHECK(deadline("2026-02-12T09:00:00+08:00", 2) == "2026-02-14T23:59:59+08:00");
  CHECK(deadline("2026-02-12T09:00:00+08:00", 3) == "2026-02-24T23:59:59+08:00");
  // Thu 2026-02-26: Fri 27 (1), Sat 28 make-up (2), Mon 2 March (3).
  CHECK(deadline("2026-02-26T09:00:00+08:00", 2) == "2026-02-28T23:59:59+08:00");
  CHECK(deadline("2026-02-26T09:00:00+08:00", 3) == "2026-03-02T23:59:59+08:00");
  // Received on the first day off: Tue 24 is the first working day.
  CHECK(deadline("2026-02-15T09:00:00+08:00", 1) == "2026-02-24T23:59:59+08:00");
  CHECK(between("2026-02-12T09:00:00+08:00", "2026-02-26T09:00:00+08:00") == 5);
}

TEST_CASE(
    "a deadline across National Day 2025 skips the eight days off and counts the make-up "
    "days",
    "[calendar]") {
  // Fri 2025-09-26: Sun 28 make-up (1), Mon 29 (2), Tue 30 (3), 1-8 October off, Thu 9 (4).
  CHECK(deadline("2025-09-26T09:00:00+08:00", 1) == "2025-09-28T23:59:59+08:00");
  CHECK(deadline("2025-09-26T09:00:00+08:00", 3) == "2025-09-30T23:59:59+08:00");
  CHECK(deadline("2025-09-26T09:00:00+08:00", 4) == "2025-10-09T23:59:59+08:00");
  // Tue 2025-09-30: Thu 9 (1), Fri 10 (2), Sat 11 make-up (3), Mon 13 (4).
  CHECK(deadline("2025-09-30T09:00:00+08:00", 3) == "2025-10-11T23:59:59+08:00");
  CHECK(deadline("2025-09-30T09:00:00+08:00", 4) == "2025-10-13T23:59:59+08:00");
  CHECK(between("2025-09-30T09:00:00+08:00", "2025-10-13T09:00:00+08:00") == 4);
}

TEST_CASE(
    "a deadline across Mid-Autumn and National Day 2026 counts the make-up Sunday and "
    "Saturday",
    "[calendar]") {
  // Fri 2026-09-18: Sat 19 off, Sun 20 make-up (1).
  CHECK(deadline("2026-09-18T09:00:00+08:00", 1) == "2026-09-20T23:59:59+08:00");
  // Thu 2026-09-24: 25-27 Mid-Autumn, Mon 28 (1), Tue 29 (2), Wed 30 (3), 1-7 October off,
  // Thu 8 (4), Fri 9 (5), Sat 10 make-up (6), Mon 12 (7).
  CHECK(deadline("2026-09-24T09:00:00+08:00", 1) == "2026-09-28T23:59:59+08:00");
  CHECK(deadline("2026-09-24T09:00:00+08:00", 4) == "2026-10-08T23:59:59+08:00");
  CHECK(deadline("2026-09-24T09:00:00+08:00", 6) == "2026-10-10T23:59:59+08:00");
  CHECK(deadline("2026-09-24T09:00:00+08:00", 7) == "2026-10-12T23:59:59+08:00");
  CHECK(between("2026-09-24T09:00:00+08:00", "2026-10-12T09:00:00+08:00") == 7);
}

TEST_CASE("a deadline crosses from 2025 into 2026 over the New Year holiday", "[calendar]") {
  // Mon 2025-12-29: Tue 30 (1), Wed 31 (2), 1-3 January off, Sun 4 make-up (3), Mon 5 (4),
  // Tue 6 (5).
  CHECK(deadline("2025-12-29T09:00:00+08:00", 2) == "2025-12-31T23:59:59+08:00");
  CHECK(deadline("2025-12-29T09:00:00+08:00", 3) == "2026-01-04T23:59:59+08:00");
  CHECK(deadline("2025-12-29T09:00:00+08:00", 5) == "2026-01-06T23:59:59+08:00");
  CHECK(between("2025-12-29T09:00:00+08:00", "2026-01-06T09:00:00+08:00") == 5);
}

TEST_CASE("zero working days is the end of the same Shanghai date, even a holiday", "[calendar]") {
  CHECK(deadline("2026-02-15T09:00:00+08:00", 0) == "2026-02-15T23:59:59+08:00");
  CHECK(deadline("2026-03-11T00:00:00+08:00", 0) == "2026-03-11T23:59:59+08:00");
}

TEST_CASE("a deadline ends at 23:59:59 Shanghai time, which is 15:59:59 UTC", "[calendar]") {
  const auto end = shipped_calendar().add_working_days(at("2026-03-11T10:00:00+08:00"), 1);
  CHECK(end == at("2026-03-12T15:59:59Z"));
  CHECK(end == instant{sys_days{2026y / March / 12} + hours{15} + minutes{59} + seconds{59}});
}

TEST_CASE("an instant late in the UTC day counts from the next Shanghai date", "[calendar]") {
  // 16:30 UTC on Thu 12 February is 00:30 on Fri 13 February in Shanghai; the first working day
  // after Friday is the make-up Saturday, not Friday itself.
  CHECK(deadline("2026-02-12T16:30:00Z", 1) == "2026-02-14T23:59:59+08:00");
  CHECK(deadline("2026-02-12T15:59:59Z", 1) == "2026-02-13T23:59:59+08:00");
  CHECK(between("2026-02-12T15:00:00Z", "2026-02-12T16:30:00Z") == 1);
}

TEST_CASE("no working days lie between a time and one on the same date or earlier", "[calendar]") {
  CHECK(between("2026-03-11T09:00:00+08:00", "2026-03-11T18:00:00+08:00") == 0);
  CHECK(between("2026-03-11T09:00:00+08:00", "2026-03-02T18:00:00+08:00") == 0);
  // Only the days after the start are counted, so a start on a holiday counts nothing for itself.
  CHECK(between("2026-02-15T09:00:00+08:00", "2026-02-24T09:00:00+08:00") == 1);
}

TEST_CASE("a date outside the covered years is refused with the years the calendar covers",
          "[calendar]") {
  const auto& cal = shipped_calendar();
  CHECK_THROWS_MATCHES(cal.is_working_day(2029y / January / 4), calendar_error,
                       Catch::Message("2029-01-04 is outside the working-day calendar (notices "
                                      "2025-2026, provisional to 2028)"));
  CHECK_THROWS_AS(cal.is_working_day(2024y / December / 31), calendar_error);
  // Thu 2028-12-28: Fri 29 (1); a second day would fall in 2029.
  CHECK(deadline("2028-12-28T09:00:00+08:00", 1) == "2028-12-29T23:59:59+08:00");
  CHECK_THROWS_MATCHES(cal.add_working_days(at("2028-12-28T09:00:00+08:00"), 2), calendar_error,
                       Catch::Message("2029-01-01 is outside the working-day calendar (notices "
                                      "2025-2026, provisional to 2028)"));
  CHECK_THROWS_MATCHES(
      cal.working_days_between(at("2024-12-30T09:00:00+08:00"), at("2025-01-03T09:00:00+08:00")),
      calendar_error,
      Catch::Message("2024-12-31 is outside the working-day calendar (notices 2025-2026, "
                     "provisional to 2028)"));
}

TEST_CASE(
    "counting needs only the days after the start, so a start on 31 December 2024 is "
    "accepted",
    "[calendar]") {
  // 1 January 2025 is 元旦; Thu 2 January is the first working day.
  CHECK(deadline("2024-12-31T09:00:00+08:00", 1) == "2025-01-02T23:59:59+08:00");
  CHECK(deadline("2027-03-01T09:00:00+08:00", 0) == "2027-03-01T23:59:59+08:00");
}

TEST_CASE("a year without a notice between two loaded years is provisional", "[calendar]") {
  working_calendar cal;
  cal.add_year(read_json(XYP_CONFIG_DIR "/calendars/cn-2025.json"), "cn-2025.json");
  cal.add_year(read_json(XYP_TEST_DATA_DIR "/calendars/cn-2027-fixture.json"), "fixture.json");
  CHECK(cal.is_provisional(year{2026}));
  CHECK_FALSE(cal.is_provisional(year{2027}));
  // Tue 2025-12-30: Wed 31 (1), 1 January 2026 off by the regulation, Fri 2 (2): the notice
  // for 2026 gave the 2nd off too, but without it the day counts, provisionally.
  const auto d = cal.deadline_after(at("2025-12-30T09:00:00+08:00"), 2);
  CHECK(format_rfc3339(d.due) == "2026-01-02T23:59:59+08:00");
  CHECK(d.provisional);
}

TEST_CASE("an empty calendar refuses every date", "[calendar]") {
  const working_calendar cal;
  CHECK_THROWS_AS(cal.is_working_day(2026y / March / 11), calendar_error);
  CHECK_THROWS_AS(cal.add_working_days(at("2026-03-11T09:00:00+08:00"), 1), calendar_error);
  CHECK_THROWS_AS(cal.first_year(), calendar_error);
}

TEST_CASE("a negative working-day count is a programming error", "[calendar]") {
  CHECK_THROWS_AS(shipped_calendar().add_working_days(at("2026-03-11T09:00:00+08:00"), -1),
                  std::invalid_argument);
}

TEST_CASE("a calendar file with a bad field is refused naming the file and the field",
          "[calendar]") {
  using Catch::Matchers::Contains;
  working_calendar cal;

  SECTION("a holiday date outside its year") {
    auto doc = year_2026();
    doc["holidays"][0]["dates"][1] = "2027-01-02";
    CHECK_THROWS_MATCHES(cal.add_year(doc, "cn-2026.json"), config_error,
                         Catch::Message("cn-2026.json: holidays[0].dates[1]: "
                                        "2027-01-02 is not in 2026"));
  }
  SECTION("a malformed date") {
    auto doc = year_2026();
    doc["holidays"][0]["dates"][0] = "2026-1-01";
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"),
                      Contains("cn-2026.json: holidays[0].dates[0]:") && Contains("2026-1-01"));
  }
  SECTION("an impossible date") {
    auto doc = year_2026();
    doc["make_up_working_days"][0]["date"] = "2026-02-29";
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"),
                      Contains("cn-2026.json: make_up_working_days[0].date:"));
  }
  SECTION("a date that is both a holiday and a make-up day") {
    auto doc = year_2026();
    doc["make_up_working_days"][0]["date"] = "2026-01-03";
    CHECK_THROWS_MATCHES(cal.add_year(doc, "cn-2026.json"), config_error,
                         Catch::Message("cn-2026.json: make_up_working_days[0].date: "
                                        "2026-01-03 is also listed as a holiday"));
  }
  SECTION("a make-up day on a weekday") {
    auto doc = year_2026();
    doc["make_up_working_days"][0]["date"] = "2026-01-05";
    CHECK_THROWS_WITH(
        cal.add_year(doc, "cn-2026.json"),
        Contains("cn-2026.json: make_up_working_days[0].date:") && Contains("weekday"));
  }
  SECTION("a year that is not a number") {
    auto doc = year_2026();
    doc["year"] = "2026";
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"), Contains("cn-2026.json: year:"));
  }
  SECTION("a misspelt key") {
    auto doc = year_2026();
    doc["make_up_days"] = doc["make_up_working_days"];
    doc.erase("make_up_working_days");
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"),
                      Contains("cn-2026.json: make_up_days: unknown key"));
  }
  SECTION("a missing source") {
    auto doc = year_2026();
    doc.erase("source");
    CHECK_THROWS_WITH(cal.add_year(doc, "cn-2026.json"), Contains("cn-2026.json: source:"));
  }
  // A refused year adds nothing.
  CHECK_FALSE(cal.covers(2026y / January / 5));
}

TEST_CASE("the same year in two files is refused naming both files", "[calendar]") {
  const temp_dir dir;
  dir.write("a-2026.json", year_2026().dump());
  dir.write("b-2026.json", year_2026().dump());
  const std::string second = (dir.path() / "b-2026.json").string();
  const std::string first = (dir.path() / "a-2026.json").string();
  CHECK_THROWS_MATCHES(working_calendar::load_directory(dir.path()), config_error,
                       Catch::Message(second + ": year: 2026 is already loaded from " + first));
}

TEST_CASE("a calendar file that is not JSON is refused naming the file", "[calendar]") {
  const temp_dir dir;
  dir.write("cn-2026.json", "{\"year\": 2026,");
  CHECK_THROWS_WITH(
      working_calendar::load_directory(dir.path()),
      Catch::Matchers::StartsWith((dir.path() / "cn-2026.json").string() + ": is not valid JSON"));
}

TEST_CASE("a calendar directory without calendar files is refused", "[calendar]") {
  const temp_dir dir;
  dir.write("README.txt", "not a calendar");
  CHECK_THROWS_AS(working_calendar::load_directory(dir.path()), config_error);
  CHECK_THROWS_AS(working_calendar::load_directory(dir.path() / "missing"), config_error);
}

// ---- Years without a notice: the regulation's days, computed -----------------------------------
// Reference dates below are public almanac facts (Hong Kong Observatory / Purple Mountain
// Observatory tables), written down by hand, not produced by the code under test.

namespace {

std::vector<std::string> regulation_dates(int y) {
  std::vector<std::string> dates;
  for (const auto& d : statutory_holidays(year{y})) dates.push_back(format_date(d.date));
  return dates;
}

std::string qingming(int y) {
  return format_date(shanghai_date(solar_longitude_reached(year{y}, 15.0)));
}

}  // namespace

TEST_CASE("the Qingming day is the Beijing date the sun reaches 15 degrees",
          "[calendar][regulation]") {
  CHECK(qingming(2023) == "2023-04-05");
  CHECK(qingming(2024) == "2024-04-04");
  CHECK(qingming(2025) == "2025-04-04");
  CHECK(qingming(2026) == "2026-04-05");
  CHECK(qingming(2027) == "2027-04-05");
  CHECK(qingming(2028) == "2028-04-04");
  CHECK(qingming(2029) == "2029-04-04");
  CHECK(qingming(2030) == "2030-04-05");
  // 2026's term came at 02:27 Beijing time, still 4 April in UTC: the day is Beijing's.
  CHECK(format_date(year_month_day{floor<days>(solar_longitude_reached(2026y, 15.0))}) ==
        "2026-04-04");
}

TEST_CASE("the regulation fixes 2027's holidays from the lunar calendar and the solar term",
          "[calendar][regulation]") {
  // Lunar new year Sat 6 February 2027 (its new moon at 23:56 Beijing time on the 6th), so the
  // eve is Fri 5 February; Dragon Boat 9 June, Mid-Autumn 15 September, Qingming 5 April.
  CHECK(regulation_dates(2027) == std::vector<std::string>{"2027-01-01", "2027-02-05", "2027-02-06",
                                                           "2027-02-07", "2027-02-08", "2027-04-05",
                                                           "2027-05-01", "2027-05-02", "2027-06-09",
                                                           "2027-09-15", "2027-10-01", "2027-10-02",
                                                           "2027-10-03"});
}

TEST_CASE("a new moon minutes from Beijing midnight starts its month on the right day",
          "[calendar][regulation]") {
  // 2030: the new moon is at 00:07 on 3 February, Beijing time: the new year is the 3rd.
  const auto y2030 = regulation_dates(2030);
  CHECK(y2030[1] == "2030-02-02");
  CHECK(y2030[2] == "2030-02-03");
  // 2028: Mid-Autumn on 3 October is one day off, named for both holidays.
  const auto y2028 = statutory_holidays(2028y);
  CHECK(y2028.size() == 12);
  CHECK(y2028.back().name == "中秋节、国庆节");
  CHECK(format_date(y2028.back().date) == "2028-10-03");
}

TEST_CASE("the Spring Festival eve is the day before the first month, after a 29-day month",
          "[calendar][regulation]") {
  // 2025 had no 30th day of the twelfth month (it ended on the 29th, 28 January).
  CHECK(regulation_dates(2025)[1] == "2025-01-28");
  CHECK(regulation_dates(2025)[2] == "2025-01-29");
  CHECK(regulation_dates(2026)[1] == "2026-02-16");
}

TEST_CASE("years before the 2024 regulation took effect have no regulation days here",
          "[calendar][regulation]") {
  CHECK_THROWS_AS(statutory_holidays(2024y), std::out_of_range);
}

TEST_CASE("every day the regulation fixes in 2025 and 2026 is a day off in that year's notice",
          "[calendar][regulation]") {
  for (const int y : {2025, 2026}) {
    for (const auto& d : statutory_holidays(year{y})) {
      INFO(format_date(d.date) << " " << d.name);
      CHECK_FALSE(shipped_calendar().is_working_day(year_month_day{d.date}));
    }
  }
}

TEST_CASE("in a year without a notice the regulation's weekday holidays are days off",
          "[calendar][provisional]") {
  const auto& cal = shipped_calendar();
  CHECK_FALSE(cal.is_working_day(2027y / January / 1));     // 元旦, a Friday
  CHECK_FALSE(cal.is_working_day(2027y / February / 5));    // the eve, a Friday
  CHECK_FALSE(cal.is_working_day(2027y / February / 8));    // the 3rd of the first month, Monday
  CHECK_FALSE(cal.is_working_day(2027y / April / 5));       // 清明, a Monday
  CHECK_FALSE(cal.is_working_day(2027y / June / 9));        // 端午, a Wednesday
  CHECK_FALSE(cal.is_working_day(2027y / September / 15));  // 中秋, a Wednesday
  CHECK_FALSE(cal.is_working_day(2027y / October / 1));     // 国庆, a Friday
  CHECK(cal.is_working_day(2027y / January / 4));
  CHECK(cal.is_working_day(2027y / March / 10));
}

TEST_CASE("holidays on a weekend are made up on the next days that are neither weekend nor holiday",
          "[calendar][provisional]") {
  const auto& cal = shipped_calendar();
  // Spring Festival 2027: Fri 5 eve, Sat 6, Sun 7, Mon 8. Sat 6 is made up on Tue 9, Sun 7 on
  // Wed 10 (Mon 8 is a holiday itself); Thu 11 works.
  CHECK_FALSE(cal.is_working_day(2027y / February / 9));
  CHECK_FALSE(cal.is_working_day(2027y / February / 10));
  CHECK(cal.is_working_day(2027y / February / 11));
  // Labour Day 2027 is Sat 1 and Sun 2 May: Mon 3 and Tue 4 off, Wed 5 works.
  CHECK_FALSE(cal.is_working_day(2027y / May / 3));
  CHECK_FALSE(cal.is_working_day(2027y / May / 4));
  CHECK(cal.is_working_day(2027y / May / 5));
  // National Day 2027: Fri 1, Sat 2, Sun 3: Mon 4 and Tue 5 off, Wed 6 works.
  CHECK_FALSE(cal.is_working_day(2027y / October / 5));
  CHECK(cal.is_working_day(2027y / October / 6));
  // 元旦 2028 is a Saturday: Monday 3 January is off.
  CHECK_FALSE(cal.is_working_day(2028y / January / 3));
  CHECK(cal.is_working_day(2028y / January / 4));
}

TEST_CASE("a year without a notice has no make-up working days", "[calendar][provisional]") {
  // The Saturday after Spring Festival 2027 rests, as every weekend day of the year does.
  CHECK_FALSE(shipped_calendar().is_working_day(2027y / February / 20));
  CHECK_FALSE(shipped_calendar().is_working_day(2027y / February / 21));
}

TEST_CASE("a deadline counted over a day without a notice is provisional",
          "[calendar][provisional]") {
  const auto& cal = shipped_calendar();
  // Mon 2026-12-28: Tue 29 (1), Wed 30 (2), Thu 31 (3), 1 January off, Mon 4 (4).
  const auto crossing = cal.deadline_after(at("2026-12-28T09:00:00+08:00"), 4);
  CHECK(format_rfc3339(crossing.due) == "2027-01-04T23:59:59+08:00");
  CHECK(crossing.provisional);
  const auto within = cal.deadline_after(at("2026-12-28T09:00:00+08:00"), 3);
  CHECK(format_rfc3339(within.due) == "2026-12-31T23:59:59+08:00");
  CHECK_FALSE(within.provisional);
  // Zero days consults no day at all.
  CHECK_FALSE(cal.deadline_after(at("2027-03-01T09:00:00+08:00"), 0).provisional);
}

TEST_CASE("a loaded notice replaces the provisional days of its year", "[calendar][provisional]") {
  working_calendar cal = working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  cal.add_year_file(XYP_TEST_DATA_DIR "/calendars/cn-2027-fixture.json");
  CHECK_FALSE(cal.is_provisional(year{2027}));
  CHECK(cal.is_provisional(year{2029}));
  CHECK(cal.last_year() == year{2029});
  // The fixture (invented for the test) gives Mon 4 January off and Sat 20 February to work.
  CHECK_FALSE(cal.is_working_day(2027y / January / 4));
  CHECK(cal.is_working_day(2027y / February / 20));
  const auto d = cal.deadline_after(at("2026-12-28T09:00:00+08:00"), 4);
  CHECK(format_rfc3339(d.due) == "2027-01-05T23:59:59+08:00");
  CHECK_FALSE(d.provisional);
}

TEST_CASE("a notice that leaves out a day the regulation fixes is refused naming file and date",
          "[calendar][regulation]") {
  auto doc = read_json(XYP_TEST_DATA_DIR "/calendars/cn-2027-fixture.json");
  doc["holidays"][1]["dates"].erase(0);  // the Spring Festival eve, 5 February
  working_calendar cal;
  CHECK_THROWS_MATCHES(cal.add_year(doc, "cn-2027.json"), config_error,
                       Catch::Message("cn-2027.json: holidays: 2027-02-05 (春节) is a holiday the "
                                      "national regulation fixes and is not listed"));
  CHECK_FALSE(cal.covers(2027y / March / 1));
}

TEST_CASE("a notice that makes a regulation holiday a working day is refused naming the date",
          "[calendar][regulation]") {
  auto doc = read_json(XYP_TEST_DATA_DIR "/calendars/cn-2027-fixture.json");
  // Sun 7 February, the 2nd of the first month, as a make-up day (and so not a holiday).
  doc["holidays"][1]["dates"].erase(2);
  doc["make_up_working_days"][0]["date"] = "2027-02-07";
  working_calendar cal;
  CHECK_THROWS_MATCHES(cal.add_year(doc, "cn-2027.json"), config_error,
                       Catch::Message("cn-2027.json: make_up_working_days[0].date: 2027-02-07 is "
                                      "春节, a holiday the national regulation fixes, not a "
                                      "working day"));
}

TEST_CASE("a notice file is checked on its own, and refused naming the file", "[calendar]") {
  CHECK(working_calendar::check_year_file(XYP_TEST_DATA_DIR "/calendars/cn-2027-fixture.json") ==
        year{2027});
  const temp_dir dir;
  auto doc = year_2026();
  doc["make_up_working_days"][0]["date"] = "2026-01-02";
  dir.write("cn-2026.json", doc.dump());
  const std::string file = (dir.path() / "cn-2026.json").string();
  CHECK_THROWS_MATCHES(working_calendar::check_year_file(file), config_error,
                       Catch::Message(file + ": make_up_working_days[0].date: 2026-01-02 is "
                                             "also listed as a holiday"));
}
