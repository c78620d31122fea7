#include "engine/domain/statutory_holidays.hpp"

#include <unicode/ucal.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace xyp {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr double pi = 3.14159265358979323846;
constexpr double ms_per_day = 86'400'000.0;

double radians(double degrees) {
  return degrees * pi / 180.0;
}

double normalized(double degrees) {
  const double d = std::fmod(degrees, 360.0);
  return d < 0 ? d + 360.0 : d;
}

// TT - UT in seconds: the polynomials of Espenak and Meeus (NASA, 2006) for 2005-2050 and
// 2050-2150. A minute of error here moves a solar term by a minute, far below a day.
double delta_t_seconds(double year) {
  if (year < 2050) {
    const double t = year - 2000;
    return 62.92 + 0.32217 * t + 0.005589 * t * t;
  }
  const double u = (year - 1820) / 100;
  return -20 + 32 * u * u - 0.5628 * (2150 - year);
}

// The sun's apparent ecliptic longitude in degrees at t (Meeus ch. 25, low precision: mean
// longitude, mean anomaly, equation of the centre, then nutation and aberration; ~0.01 degree).
double apparent_solar_longitude(instant t) {
  const double jd_ut = static_cast<double>(t.time_since_epoch().count()) / ms_per_day + 2440587.5;
  const double year = 2000 + (jd_ut - 2451545.0) / 365.25;
  const double jde = jd_ut + delta_t_seconds(year) / 86400.0;
  const double T = (jde - 2451545.0) / 36525.0;
  const double mean_longitude = 280.46646 + 36000.76983 * T + 0.0003032 * T * T;
  const double m = radians(357.52911 + 35999.05029 * T - 0.0001537 * T * T);
  const double centre = (1.914602 - 0.004817 * T - 0.000014 * T * T) * std::sin(m) +
                        (0.019993 - 0.000101 * T) * std::sin(2 * m) + 0.000289 * std::sin(3 * m);
  const double omega = radians(125.04 - 1934.136 * T);
  return normalized(mean_longitude + centre - 0.00569 - 0.00478 * std::sin(omega));
}

instant start_of_utc_day(sys_days day) {
  return instant{std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch())};
}

// The instant of the new moon of lunation k (k = 0: January 2000), Meeus ch. 49: the mean
// phase, its periodic terms and the planetary ones; within seconds of the true conjunction.
instant new_moon(double k) {
  const double T = k / 1236.85;
  const double T2 = T * T, T3 = T2 * T, T4 = T3 * T;
  double jde =
      2451550.09766 + 29.530588861 * k + 0.00015437 * T2 - 0.000000150 * T3 + 0.00000000073 * T4;
  const double e = 1 - 0.002516 * T - 0.0000074 * T2;
  const double m = radians(2.5534 + 29.10535670 * k - 0.0000014 * T2 - 0.00000011 * T3);
  const double mp =
      radians(201.5643 + 385.81693528 * k + 0.0107582 * T2 + 0.00001238 * T3 - 0.000000058 * T4);
  const double f =
      radians(160.7108 + 390.67050284 * k - 0.0016118 * T2 - 0.00000227 * T3 + 0.000000011 * T4);
  const double omega = radians(124.7746 - 1.56375588 * k + 0.0020672 * T2 + 0.00000215 * T3);
  using std::sin;
  jde += -0.40720 * sin(mp) + 0.17241 * e * sin(m) + 0.01608 * sin(2 * mp) + 0.01039 * sin(2 * f) +
         0.00739 * e * sin(mp - m) - 0.00514 * e * sin(mp + m) + 0.00208 * e * e * sin(2 * m) -
         0.00111 * sin(mp - 2 * f) - 0.00057 * sin(mp + 2 * f) + 0.00056 * e * sin(2 * mp + m) -
         0.00042 * sin(3 * mp) + 0.00042 * e * sin(m + 2 * f) + 0.00038 * e * sin(m - 2 * f) -
         0.00024 * e * sin(2 * mp - m) - 0.00017 * sin(omega) - 0.00007 * sin(mp + 2 * m) +
         0.00004 * sin(2 * mp - 2 * f) + 0.00004 * sin(3 * m) + 0.00003 * sin(mp + m - 2 * f) +
         0.00003 * sin(2 * mp + 2 * f) - 0.00003 * sin(mp + m + 2 * f) +
         0.00003 * sin(mp - m + 2 * f) - 0.00002 * sin(mp - m - 2 * f) - 0.00002 * sin(3 * mp + m) +
         0.00002 * sin(4 * mp);
  const double planetary[14][3] = {
      {299.77, 0.107408, 0.000325},  {251.88, 0.016321, 0.000165}, {251.83, 26.651886, 0.000164},
      {349.42, 36.412478, 0.000126}, {84.66, 18.206239, 0.000110}, {141.74, 53.303771, 0.000062},
      {207.14, 2.453732, 0.000060},  {154.84, 7.306860, 0.000056}, {34.52, 27.261239, 0.000047},
      {207.19, 0.121824, 0.000042},  {291.34, 1.844379, 0.000040}, {161.72, 24.198154, 0.000037},
      {239.56, 25.513099, 0.000035}, {331.55, 3.592518, 0.000023}};
  for (int a = 0; a < 14; ++a) {
    const double angle = planetary[a][0] + planetary[a][1] * k - (a == 0 ? 0.009173 * T2 : 0);
    jde += planetary[a][2] * sin(radians(angle));
  }
  const double year = 2000 + (jde - 2451545.0) / 365.25;
  const double jd_ut = jde - delta_t_seconds(year) / 86400.0;
  return instant{std::chrono::milliseconds{
      static_cast<std::int64_t>(std::llround((jd_ut - 2440587.5) * ms_per_day))}};
}

// ICU places a lunar month's first day by its own, coarser, reckoning of the new moon, which
// puts a conjunction minutes before Beijing midnight on the next day (the new moons of
// 2027-02-06 and 2030-02-02, both about 23:56-00:07 in Beijing; see ICU-23274). ICU keeps the
// months' numbering; the first day is the Beijing date of the precise new moon next to ICU's.
sys_days month_start_refined(sys_days icu_start) {
  const double jd = static_cast<double>(icu_start.time_since_epoch().count()) + 2440587.5;
  const double k = std::round((jd - 2451550.09766) / 29.530588861);
  sys_days best = icu_start;
  std::int64_t best_distance = 3;
  for (double candidate = k - 1; candidate <= k + 1; candidate += 1) {
    const sys_days day{shanghai_date(new_moon(candidate))};
    const std::int64_t distance = std::abs((day - icu_start).count());
    if (distance < best_distance) {
      best = day;
      best_distance = distance;
    }
  }
  return best;
}

struct calendar_closer {
  void operator()(UCalendar* c) const { ucal_close(c); }
};
using chinese_calendar = std::unique_ptr<UCalendar, calendar_closer>;

void check(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) {
    throw std::runtime_error(std::string("ICU Chinese calendar: ") + what + ": " +
                             u_errorName(status));
  }
}

// ICU's Chinese calendar with its fields read in UTC, so that a day's midnight is a whole
// multiple of a day in milliseconds; the calendar itself reckons its months in China's time.
chinese_calendar open_chinese_calendar() {
  UErrorCode status = U_ZERO_ERROR;
  static const UChar utc[] = u"UTC";
  chinese_calendar cal(ucal_open(utc, -1, "en@calendar=chinese", UCAL_DEFAULT, &status));
  check(status, "open");
  return cal;
}

// The Gregorian date of day `day` of the (non-leap) lunar month `month` of the Chinese year
// that is running on 1 July of `year`, i.e. the one whose first month begins in January or
// February of `year`.
sys_days lunar_date(UCalendar* cal, std::chrono::year year, int month, int day) {
  UErrorCode status = U_ZERO_ERROR;
  const sys_days mid_year{year / std::chrono::July / 1};
  ucal_setMillis(cal, static_cast<UDate>(start_of_utc_day(mid_year).time_since_epoch().count()),
                 &status);
  const std::int32_t era = ucal_get(cal, UCAL_ERA, &status);
  const std::int32_t cyclic_year = ucal_get(cal, UCAL_YEAR, &status);
  check(status, "read the year");
  ucal_clear(cal);
  ucal_set(cal, UCAL_ERA, era);
  ucal_set(cal, UCAL_YEAR, cyclic_year);
  ucal_set(cal, UCAL_MONTH, month - 1);
  ucal_set(cal, UCAL_IS_LEAP_MONTH, 0);
  ucal_set(cal, UCAL_DATE, 1);
  const UDate millis = ucal_getMillis(cal, &status);
  check(status, "convert a lunar date");
  const sys_days first{days{static_cast<std::int64_t>(std::floor(millis / ms_per_day))}};
  return month_start_refined(first) + days{day - 1};
}

bool is_weekend(sys_days day) {
  const std::chrono::weekday wd{day};
  return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

}  // namespace

instant solar_longitude_reached(std::chrono::year year, double degrees) {
  if (!(degrees >= 0 && degrees < 90)) {
    throw std::out_of_range("solar_longitude_reached: a spring longitude is 0 to 90 degrees");
  }
  // The sun runs from about 340 degrees on 1 March to about 113 on 15 July: one crossing.
  const auto behind = [&](instant t) {
    return normalized(apparent_solar_longitude(t) - degrees + 180.0) - 180.0 < 0;
  };
  instant low = start_of_utc_day(sys_days{year / std::chrono::March / 1});
  instant high = start_of_utc_day(sys_days{year / std::chrono::July / 15});
  while (high - low > std::chrono::milliseconds{1000}) {
    const instant middle = low + (high - low) / 2;
    (behind(middle) ? low : high) = middle;
  }
  return std::chrono::time_point_cast<std::chrono::seconds>(high);
}

std::vector<statutory_day> statutory_holidays(std::chrono::year year) {
  if (year < regulation_first_year || year > std::chrono::year{9999}) {
    throw std::out_of_range("the 2024 holiday regulation governs the years from 2025: not " +
                            std::to_string(static_cast<int>(year)));
  }
  const auto cal = open_chinese_calendar();
  const auto on = [&](unsigned month, unsigned day) { return sys_days{year / month / day}; };
  const sys_days lunar_new_year = lunar_date(cal.get(), year, 1, 1);
  // The Qingming term: the sun at 15 degrees, on the date it is in Beijing.
  const sys_days qingming{shanghai_date(solar_longitude_reached(year, 15.0))};

  std::vector<statutory_day> result{
      {on(1, 1), "元旦"},
      // The eve is the day before the first: the twelfth month's length (29 or 30) is ICU's.
      {lunar_new_year - days{1}, "春节"},
      {lunar_new_year, "春节"},
      {lunar_new_year + days{1}, "春节"},
      {lunar_new_year + days{2}, "春节"},
      {qingming, "清明节"},
      {on(5, 1), "劳动节"},
      {on(5, 2), "劳动节"},
      {lunar_date(cal.get(), year, 5, 5), "端午节"},
      {lunar_date(cal.get(), year, 8, 15), "中秋节"},
      {on(10, 1), "国庆节"},
      {on(10, 2), "国庆节"},
      {on(10, 3), "国庆节"},
  };
  std::stable_sort(result.begin(), result.end(),
                   [](const auto& a, const auto& b) { return a.date < b.date; });
  // Mid-Autumn can fall on 1-3 October: one day off, named for both.
  std::vector<statutory_day> unique;
  for (auto& d : result) {
    if (!unique.empty() && unique.back().date == d.date) {
      unique.back().name += "、" + d.name;
    } else {
      unique.push_back(std::move(d));
    }
  }
  return unique;
}

std::vector<sys_days> provisional_days_off(std::chrono::year year) {
  std::vector<sys_days> fixed;
  for (const auto& d : statutory_holidays(year)) fixed.push_back(d.date);
  std::vector<sys_days> substitutes;
  const auto taken = [&](sys_days day) {
    return is_weekend(day) || std::binary_search(fixed.begin(), fixed.end(), day) ||
           std::find(substitutes.begin(), substitutes.end(), day) != substitutes.end();
  };
  // In date order, so that within a run of holidays (the Spring Festival's four days) the first
  // one on a weekend takes the first free weekday after the run, the next one the next.
  for (const sys_days day : fixed) {
    if (!is_weekend(day)) continue;
    sys_days substitute = day + days{1};
    while (taken(substitute)) substitute += days{1};
    substitutes.push_back(substitute);
  }
  std::vector<sys_days> off = fixed;
  off.insert(off.end(), substitutes.begin(), substitutes.end());
  std::sort(off.begin(), off.end());
  return off;
}

}  // namespace xyp
