#pragma once
// The statutory holidays that the national regulation fixes (全国年节及纪念日放假办法, as revised
// in November 2024, in force since 2025-01-01): what is known of a year before its State Council
// notice is published. Lunar dates come from ICU's Chinese calendar; the Qingming day from the
// sun's apparent longitude.
#include <chrono>
#include <string>
#include <vector>

#include "engine/domain/time.hpp"

namespace xyp {

// The first year the 2024 revision governs; earlier years had other holidays.
inline constexpr std::chrono::year regulation_first_year{2025};

// One day the regulation fixes, with the holiday's name as the notices write it.
struct statutory_day {
  std::chrono::sys_days date;
  std::string name;
};

// The days the regulation fixes in `year`, in date order (a day shared by two holidays, as
// Mid-Autumn on 1 October, once). Throws std::out_of_range before regulation_first_year or after
// 9999.
std::vector<statutory_day> statutory_holidays(std::chrono::year year);

// The days off a year has while its notice is not loaded: the regulation's days, and for each
// of them that falls on a Saturday or Sunday (art. 6) the next day that is neither a weekend day,
// nor a statutory day, nor already taken as such a substitute. Date order; weekends not listed.
std::vector<std::chrono::sys_days> provisional_days_off(std::chrono::year year);

// The instant the sun's apparent ecliptic longitude reaches `degrees` in the given year's spring
// (degrees in [0, 90)): the solar-term rule. Low-precision solar theory (Meeus, Astronomical
// Algorithms, ch. 25): within about 0.01 degree, a quarter of an hour, which names the day
// unless the term falls within minutes of midnight.
instant solar_longitude_reached(std::chrono::year year, double degrees);

}  // namespace xyp
