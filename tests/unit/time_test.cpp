// Time: instants, zones, periods, day counts, billing windows (SEMANTICS §4–6, §13).
// Expected values are worked out by hand from the calendar and the rules, or read from
// `TZ=<zone> date` on Debian 12 (tzdata 2025b) — never from this code's own output.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <stdexcept>

#include "tariff/time.hpp"
#include "time/tz_table.hpp"

namespace tariff {
namespace {

using namespace tz_table;  // the generated table, to walk every zone

using date::local_days;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::seconds;

Instant T(const char* s) {
  auto t = parse_instant(s);
  if (!t) throw std::invalid_argument(std::string("bad instant in test: ") + s);
  return *t;
}
local_days D(int y, unsigned m, unsigned d) {
  return local_days{date::year{y} / date::month{m} / date::day{d}};
}
date::year_month_day YMD(int y, unsigned m, unsigned d) {
  return date::year{y} / date::month{m} / date::day{d};
}
TimeZone Z(const char* name) {
  auto z = TimeZone::find(name);
  if (!z) throw std::invalid_argument(std::string("unknown zone in test: ") + name);
  return *z;
}
const microseconds kLastMicro{999999};

// ---- parsing and formatting ---------------------------------------------------------------

TEST(TimeParse, Iso8601Forms) {
  // 2024-03-15T12:00:00Z = 19797 days × 86400 + 43200 = 1710504000
  const Instant noon{seconds{1710504000}};
  EXPECT_EQ(T("2024-03-15T12:00:00Z"), noon);
  EXPECT_EQ(T("2024-03-15T12:00:00"), noon);           // no designator = UTC
  EXPECT_EQ(T("2024-03-15 12:00:00Z"), noon);
  EXPECT_EQ(T("2024-03-15T12:00Z"), noon);
  EXPECT_EQ(T("2024-03-15T14:00:00+02:00"), noon);
  EXPECT_EQ(T("2024-03-15T07:00:00-0500"), noon);
  EXPECT_EQ(T("2024-03-15T14:00:00+02"), noon);
  EXPECT_EQ(T("2024-03-15T12:00:00.123Z"), noon + microseconds{123000});
  EXPECT_EQ(T("2024-03-15T12:00:00.1234567Z"), noon + microseconds{123456});  // truncated
  EXPECT_EQ(T("2024-03-15"), noon - hours{12});
  EXPECT_EQ(T("1710504000"), noon);
  EXPECT_EQ(T("1710504000.5"), noon + microseconds{500000});
  EXPECT_EQ(T("2024-03-16T01:30:00+13:30"), noon);  // crosses the date line backwards
}

TEST(TimeParse, RejectsBadInput) {
  for (const char* bad :
       {"", "abc", "2024-02-30", "2023-02-29", "2024-13-01", "2024-3-15", "2024-03-15T24:00:00Z",
        "2024-03-15T12:60:00Z", "2024-03-15T12:00:60Z", "2024-03-15T12:00:00+24:00",
        "2024-03-15T12:00:00Zx", "2024-03-15T12", "2024-03-15T12:00:00.", "1969-12-31T23:59:59Z",
        "1970-01-01T00:30:00+01:00", "10000-01-01", "12.", "-5", "1710504000x", "9999999999999"}) {
    EXPECT_FALSE(parse_instant(bad).has_value()) << bad;
  }
  EXPECT_TRUE(parse_instant("2024-02-29").has_value());  // leap day exists in 2024
  EXPECT_TRUE(parse_instant("1970-01-01T00:00:00Z").has_value());
  EXPECT_TRUE(parse_instant("9999-12-31T23:59:59Z").has_value());
}

// Dates and instants printed by hand are what "%04d-%02u-%02uT%02d:%02d:%02dZ" prints, over
// the whole range of years and every hour, minute and second.
TEST(TimeFormat, SameAsPrintf) {
  uint64_t x = 88172645463325252ull;  // xorshift64
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const int64_t secs = static_cast<int64_t>(x % 253402300800ull) - (i % 2 ? 0 : 62135596800);  // 0001..9999
    const Instant t{seconds{secs}};
    const auto day = date::floor<date::days>(t);
    const date::year_month_day ymd{day};
    const auto tod = date::floor<seconds>(t) - day;
    char want[40];
    std::snprintf(want, sizeof want, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(tod.count() / 3600), static_cast<int>(tod.count() / 60 % 60),
                  static_cast<int>(tod.count() % 60));
    ASSERT_EQ(format_instant(t), want);
    ASSERT_EQ(format_date(local_days{day.time_since_epoch()}), std::string(want, 10));
  }
}

TEST(TimeFormat, InstantsAndDates) {
  EXPECT_EQ(format_instant(T("2024-03-31T23:59:59.999999Z")), "2024-03-31T23:59:59Z");
  EXPECT_EQ(format_instant(T("2024-03-15T14:00:00+02:00")), "2024-03-15T12:00:00Z");
  EXPECT_EQ(format_instant(T("0")), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_date(D(2024, 4, 1)), "2024-04-01");
  EXPECT_EQ(parse_date("2024-02-29"), D(2024, 2, 29));
  EXPECT_FALSE(parse_date("2023-02-29").has_value());
  EXPECT_EQ(utc_date(T("2024-03-31T23:59:59Z")), D(2024, 3, 31));
  EXPECT_EQ(instant_from_unix_seconds(1710504000), T("2024-03-15T12:00:00Z"));
  EXPECT_FALSE(instant_from_unix_seconds(-1).has_value());
}

// ---- time zones -----------------------------------------------------------------------------

TEST(TimeZoneTable, EveryGeneratedRuleParsesAndNamesAreSorted) {
  std::set<int> used;
  for (const auto& e : kTzZones) used.insert(e.rule);
  for (int i = 0; i < static_cast<int>(std::size(kTzRules)); ++i) {
    auto r = PosixRule::parse(kTzRules[i]);
    ASSERT_TRUE(r.has_value()) << kTzRules[i];
    EXPECT_LE(std::abs(r->std_offset), 14 * 3600) << kTzRules[i];
    EXPECT_TRUE(used.count(i)) << "unused rule " << kTzRules[i];  // the table is deduplicated
  }
  for (size_t i = 1; i < std::size(kTzZones); ++i)
    EXPECT_LT(std::string_view{kTzZones[i - 1].name}, std::string_view{kTzZones[i].name});
  for (const auto& e : kTzZones) EXPECT_TRUE(TimeZone::find(e.name).has_value()) << e.name;
  for (const auto& h : kTzHistories) {  // each history: from 2000-01-01, ascending, then the rule
    ASSERT_GT(h.count, 0);
    EXPECT_EQ(kTzTransitions[h.first].at, 946684800u);
    for (int i = h.first + 1; i < h.first + h.count; ++i)
      EXPECT_LT(kTzTransitions[i - 1].at, kTzTransitions[i].at);
    EXPECT_GT(h.rule_from, int64_t{kTzTransitions[h.first + h.count - 1].at});
  }
  EXPECT_GT(std::size(kTzZones), 500u);
}

TEST(TimeZoneFind, KnownAndUnknownNames) {
  EXPECT_EQ(Z("Europe/Paris").name(), "Europe/Paris");
  EXPECT_EQ(TimeZone::utc().name(), "UTC");
  EXPECT_EQ(Z("UTC").offset(T("2024-07-01")), seconds{0});
  EXPECT_FALSE(TimeZone::find("Europe/Pariss").has_value());
  EXPECT_FALSE(TimeZone::find("europe/paris").has_value());
  EXPECT_FALSE(TimeZone::find("").has_value());
  EXPECT_FALSE(TimeZone::find("posix/Europe/Paris").has_value());
  EXPECT_FALSE(TimeZone::find("localtime").has_value());
}

// Values from `TZ=<zone> date -d <instant> +%z`.
TEST(TimeZoneOffset, SpotChecksAgainstSystemDate) {
  struct Case { const char* zone; const char* at; int minutes; };
  const Case cases[] = {
      {"America/Nuuk", "2024-01-15T12:00:00Z", -120},  {"America/Nuuk", "2024-07-15T12:00:00Z", -60},
      {"America/Nuuk", "2024-03-31T00:30:00Z", -120},  {"America/Nuuk", "2024-03-31T01:30:00Z", -60},
      {"America/Nuuk", "2024-10-27T00:30:00Z", -60},   {"America/Nuuk", "2024-10-27T01:30:00Z", -120},
      {"Asia/Kolkata", "2024-07-15T12:00:00Z", 330},   {"Asia/Tehran", "2024-07-15T12:00:00Z", 210},
      {"Australia/Sydney", "2024-01-15T12:00:00Z", 660}, {"Australia/Sydney", "2024-07-15T12:00:00Z", 600},
      {"Pacific/Chatham", "2024-01-15T12:00:00Z", 825}, {"Pacific/Chatham", "2024-07-15T12:00:00Z", 765},
      {"America/Santiago", "2024-01-15T12:00:00Z", -180}, {"America/Santiago", "2024-07-15T12:00:00Z", -240},
      {"America/Santiago", "2024-09-08T03:59:59Z", -240}, {"America/Santiago", "2024-09-08T04:00:00Z", -180},
      {"America/Santiago", "2024-04-07T02:59:59Z", -180}, {"America/Santiago", "2024-04-07T03:00:00Z", -240},
      {"Europe/Dublin", "2024-01-15T12:00:00Z", 0},    {"Europe/Dublin", "2024-07-15T12:00:00Z", 60},
      {"Europe/Dublin", "2024-03-31T00:30:00Z", 0},    {"Europe/Dublin", "2024-03-31T01:30:00Z", 60},
      {"Australia/Lord_Howe", "2025-10-05T02:00:00Z", 660},
      {"Europe/Paris", "2024-03-31T00:59:59Z", 60},    {"Europe/Paris", "2024-03-31T01:00:00Z", 120},
      {"Europe/Paris", "2024-10-27T00:59:59Z", 120},   {"Europe/Paris", "2024-10-27T01:00:00Z", 60},
      {"America/New_York", "2024-03-10T06:59:59Z", -300}, {"America/New_York", "2024-03-10T07:00:00Z", -240},
      {"America/New_York", "2024-11-03T05:59:59Z", -240}, {"America/New_York", "2024-11-03T06:00:00Z", -300},
      // Past offsets that today's rules would get wrong (generated history since 2000).
      {"Asia/Almaty", "2024-02-15T12:00:00Z", 360},    {"Asia/Almaty", "2024-03-15T12:00:00Z", 300},
      {"America/Mexico_City", "2022-07-01T12:00:00Z", -300}, {"America/Mexico_City", "2023-07-01T12:00:00Z", -360},
      {"Europe/Moscow", "2012-01-15T12:00:00Z", 240},  {"Europe/Moscow", "2016-01-15T12:00:00Z", 180},
      {"Africa/Casablanca", "2024-03-20T12:00:00Z", 0}, {"Africa/Casablanca", "2024-05-20T12:00:00Z", 60},
      {"America/New_York", "2005-03-20T12:00:00Z", -300}, {"America/New_York", "2005-04-05T12:00:00Z", -240},
      {"Europe/Riga", "2000-07-01T12:00:00Z", 120},    {"Europe/Riga", "2001-07-01T12:00:00Z", 180},
  };
  for (const auto& c : cases)
    EXPECT_EQ(Z(c.zone).offset(T(c.at)), std::chrono::minutes{c.minutes}) << c.zone << " " << c.at;
}

TEST(TimeZoneOffset, RulesWithOddTransitionTimes) {
  // Nuuk "<-02>2<-01>,M3.5.0/-1,M10.5.0/0": starts on the last Sunday of March at −1:00 local
  // (Saturday 23:00 at −2 = Sunday 01:00 UTC), like the EU.
  auto nuuk = PosixRule::parse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  ASSERT_TRUE(nuuk);
  EXPECT_EQ(nuuk->dst_start.time, -3600);
  // Jerusalem "IST-2IDT,M3.4.4/26,M10.5.0": Thursday of the 4th week + 26 h = Friday 02:00;
  // in 2024 the 4th Thursday of March is the 28th → Friday 29 March 02:00 +2 = 00:00 UTC.
  auto jlm = PosixRule::parse("IST-2IDT,M3.4.4/26,M10.5.0");
  ASSERT_TRUE(jlm);
  EXPECT_EQ(jlm->offset(T("2024-03-28T23:59:59Z")), hours{2});
  EXPECT_EQ(jlm->offset(T("2024-03-29T00:00:00Z")), hours{3});
  // DST all year: "EST5EDT,0/0,J365/25" is −4 h on every date.
  auto always = PosixRule::parse("EST5EDT,0/0,J365/25");
  ASSERT_TRUE(always);
  for (const char* at : {"2024-01-01T00:00:00Z", "2024-01-01T05:00:00Z", "2024-06-30T12:00:00Z",
                         "2024-12-31T23:59:59Z", "2025-01-01T04:59:59Z"})
    EXPECT_EQ(always->offset(T(at)), hours{-4}) << at;
  // Default rules when only names are given: US rules, DST one hour ahead.
  auto bare = PosixRule::parse("EST5EDT");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->offset(T("2024-07-01T00:00:00Z")), hours{-4});
  for (const char* bad : {"", "E5", "EST", "EST5EDT,M3.2.0", "EST5EDT,M13.1.0,M11.1.0", "<+03-3"})
    EXPECT_FALSE(PosixRule::parse(bad).has_value()) << bad;
}

// `TZ=Europe/Paris date -u -d 'TZ="Europe/Paris" 2024-03-31 00:00:00'` etc.
TEST(TimeZoneDays, StartAndEndOfDayAroundDst) {
  const TimeZone paris = Z("Europe/Paris"), ny = Z("America/New_York");
  EXPECT_EQ(paris.start_of_day(D(2024, 3, 31)), T("2024-03-30T23:00:00Z"));
  EXPECT_EQ(paris.end_of_day(D(2024, 3, 31)), T("2024-03-31T21:59:59Z") + kLastMicro);  // 23 h day
  EXPECT_EQ(paris.start_of_day(D(2024, 10, 27)), T("2024-10-26T22:00:00Z"));
  EXPECT_EQ(paris.end_of_day(D(2024, 10, 27)), T("2024-10-27T22:59:59Z") + kLastMicro);  // 25 h
  EXPECT_EQ(ny.start_of_day(D(2024, 3, 10)), T("2024-03-10T05:00:00Z"));
  EXPECT_EQ(ny.end_of_day(D(2024, 3, 10)), T("2024-03-11T03:59:59Z") + kLastMicro);
  EXPECT_EQ(ny.start_of_day(D(2024, 11, 3)), T("2024-11-03T04:00:00Z"));
  EXPECT_EQ(ny.end_of_day(D(2024, 11, 3)), T("2024-11-04T04:59:59Z") + kLastMicro);
  EXPECT_EQ(ny.local_date(T("2024-03-01T04:59:59Z")), D(2024, 2, 29));
  EXPECT_EQ(ny.local_date(T("2024-03-01T05:00:00Z")), D(2024, 3, 1));
  EXPECT_EQ(paris.local_date(T("2024-03-31T22:00:00Z")), D(2024, 4, 1));
  // Santiago: clocks jump 00:00 → 01:00 on 8 Sep 2024, so that day starts at 01:00 −3 (Rails
  // moves a skipped time forward one hour); on 6 Apr 2024 23:00–24:00 happens twice and the
  // day ends at its first (daylight, −3) 23:59:59.
  const TimeZone scl = Z("America/Santiago");
  EXPECT_EQ(scl.start_of_day(D(2024, 9, 8)), T("2024-09-08T04:00:00Z"));
  EXPECT_EQ(scl.end_of_day(D(2024, 9, 7)), T("2024-09-08T03:59:59Z") + kLastMicro);
  EXPECT_EQ(scl.end_of_day(D(2024, 4, 6)), T("2024-04-07T02:59:59Z") + kLastMicro);
  EXPECT_EQ(scl.start_of_day(D(2024, 4, 7)), T("2024-04-07T04:00:00Z"));
}

// ---- §4.4 day count --------------------------------------------------------------------------

TEST(DayCount, SemanticsRules) {
  const TimeZone utc = TimeZone::utc();
  EXPECT_EQ(day_count(T("2024-03-15T00:00:00Z"), T("2024-03-15T23:59:59.999Z"), utc), 1);
  // §5: started 15 Mar 2022, end of March: 17 days; with a 3-day trial from 18 Mar: 14.
  const Instant end_march = T("2022-03-31T23:59:59Z") + kLastMicro;
  EXPECT_EQ(day_count(T("2022-03-15T00:00:00Z"), end_march, utc), 17);
  EXPECT_EQ(day_count(T("2022-03-18T00:00:00Z"), end_march, utc), 14);
  // `to` exactly at local midnight gains one second: 1 day + 1 s rounds up to 2.
  EXPECT_EQ(day_count(T("2024-03-15T00:00:00Z"), T("2024-03-16T00:00:00Z"), utc), 2);
  EXPECT_EQ(day_count(T("2024-03-15T00:00:00Z"), T("2024-03-15T00:00:00Z"), utc), 1);
  EXPECT_EQ(day_count(T("2024-03-15T10:00:00Z"), T("2024-03-15T10:00:00Z"), utc), 0);
  EXPECT_EQ(day_count(T("2024-03-15T10:00:00Z"), T("2024-03-15T10:00:01Z"), utc), 1);
  // Termination at 15:00 on the start day (§13 example): 1 day.
  EXPECT_EQ(day_count(T("2024-03-30T00:00:00Z"), T("2024-03-30T15:00:00Z"), utc), 1);
}

TEST(DayCount, NeutralToDst) {
  const TimeZone paris = Z("Europe/Paris"), ny = Z("America/New_York");
  // March in Paris: 31 days although it lasts 30 d 23 h.
  EXPECT_EQ(day_count(paris.start_of_day(D(2024, 3, 1)), paris.end_of_day(D(2024, 3, 31)), paris), 31);
  EXPECT_EQ(day_count(paris.start_of_day(D(2024, 10, 1)), paris.end_of_day(D(2024, 10, 31)), paris), 31);
  EXPECT_EQ(day_count(paris.start_of_day(D(2024, 3, 31)), paris.end_of_day(D(2024, 3, 31)), paris), 1);
  EXPECT_EQ(day_count(paris.start_of_day(D(2024, 10, 27)), paris.end_of_day(D(2024, 10, 27)), paris), 1);
  // New York: 2024-03-01T05:00Z → 2024-04-01T03:59:59.999999Z is 30 d 22:59:59.999999;
  // offset(from) − offset(to) = −5 h − (−4 h) = −1 h, so + 1 h → 31 days.
  EXPECT_EQ(day_count(T("2024-03-01T05:00:00Z"), T("2024-04-01T03:59:59Z") + kLastMicro, ny), 31);
  EXPECT_EQ(day_count(ny.start_of_day(D(2024, 11, 1)), ny.end_of_day(D(2024, 11, 30)), ny), 30);
  EXPECT_EQ(day_count(ny.start_of_day(D(2024, 11, 3)), ny.end_of_day(D(2024, 11, 3)), ny), 1);
  EXPECT_EQ(day_count(ny.start_of_day(D(2024, 3, 10)), ny.end_of_day(D(2024, 3, 16)), ny), 7);
}

// ---- §4.1 periods ----------------------------------------------------------------------------

DayRange P(Interval i, BillingTime b, date::year_month_day anchor, local_days d) {
  return period_containing(i, b, anchor, d);
}
const auto kCal = BillingTime::calendar;
const auto kAnn = BillingTime::anniversary;

TEST(Periods, WeeklyStartsOnMondayOrTheAnchorWeekday) {
  const auto a = YMD(2024, 1, 3);  // a Wednesday (1 Jan 2024 was a Monday)
  EXPECT_EQ(P(Interval::weekly, kCal, a, D(2024, 3, 14)), (DayRange{D(2024, 3, 11), D(2024, 3, 17)}));
  EXPECT_EQ(P(Interval::weekly, kCal, a, D(2024, 3, 17)), (DayRange{D(2024, 3, 11), D(2024, 3, 17)}));
  EXPECT_EQ(P(Interval::weekly, kCal, a, D(2024, 3, 18)), (DayRange{D(2024, 3, 18), D(2024, 3, 24)}));
  EXPECT_EQ(P(Interval::weekly, kAnn, a, D(2024, 3, 14)), (DayRange{D(2024, 3, 13), D(2024, 3, 19)}));
  EXPECT_EQ(P(Interval::weekly, kAnn, a, D(2024, 3, 12)), (DayRange{D(2024, 3, 6), D(2024, 3, 12)}));
  EXPECT_EQ(P(Interval::weekly, kAnn, a, D(2024, 3, 13)).days(), 7);
}

TEST(Periods, MonthlyCalendarAndLeapYears) {
  const auto a = YMD(2024, 1, 10);
  EXPECT_EQ(P(Interval::monthly, kCal, a, D(2024, 2, 10)), (DayRange{D(2024, 2, 1), D(2024, 2, 29)}));
  EXPECT_EQ(P(Interval::monthly, kCal, a, D(2023, 2, 28)).days(), 28);
  EXPECT_EQ(P(Interval::monthly, kCal, a, D(2024, 12, 31)), (DayRange{D(2024, 12, 1), D(2024, 12, 31)}));
}

TEST(Periods, MonthlyAnniversaryOnThe31st) {
  // Anchor days 31 Mar, 30 Apr, 31 May, 30 Jun: each period ends the day before the next one.
  const auto a = YMD(2021, 3, 31);
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2021, 4, 29)), (DayRange{D(2021, 3, 31), D(2021, 4, 29)}));
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2021, 4, 30)), (DayRange{D(2021, 4, 30), D(2021, 5, 30)}));
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2021, 5, 31)), (DayRange{D(2021, 5, 31), D(2021, 6, 29)}));
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2022, 2, 27)), (DayRange{D(2022, 1, 31), D(2022, 2, 27)}));
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2022, 2, 28)), (DayRange{D(2022, 2, 28), D(2022, 3, 30)}));
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2021, 4, 30)).days(), 31);
  const auto a15 = YMD(2024, 1, 15);
  EXPECT_EQ(P(Interval::monthly, kAnn, a15, D(2024, 3, 14)), (DayRange{D(2024, 2, 15), D(2024, 3, 14)}));
  EXPECT_EQ(P(Interval::monthly, kAnn, a15, D(2024, 3, 14)).days(), 29);
  EXPECT_EQ(P(Interval::monthly, kAnn, a15, D(2024, 1, 2)), (DayRange{D(2023, 12, 15), D(2024, 1, 14)}));
}

TEST(Periods, MonthlyAnniversaryOnFeb29) {
  const auto a = YMD(2024, 2, 29);
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2024, 3, 29)), (DayRange{D(2024, 3, 29), D(2024, 4, 28)}));
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2025, 2, 28)), (DayRange{D(2025, 2, 28), D(2025, 3, 28)}));
  EXPECT_EQ(P(Interval::monthly, kAnn, a, D(2025, 2, 27)), (DayRange{D(2025, 1, 29), D(2025, 2, 27)}));
}

TEST(Periods, Quarterly) {
  const auto a = YMD(2024, 1, 31);
  EXPECT_EQ(P(Interval::quarterly, kCal, a, D(2024, 5, 20)), (DayRange{D(2024, 4, 1), D(2024, 6, 30)}));
  EXPECT_EQ(P(Interval::quarterly, kCal, a, D(2024, 2, 1)).days(), 91);  // 31 + 29 + 31
  // Anchor 31 Jan: 30 Apr, 31 Jul, 31 Oct.
  EXPECT_EQ(P(Interval::quarterly, kAnn, a, D(2024, 5, 15)), (DayRange{D(2024, 4, 30), D(2024, 7, 30)}));
  EXPECT_EQ(P(Interval::quarterly, kAnn, a, D(2024, 4, 29)), (DayRange{D(2024, 1, 31), D(2024, 4, 29)}));
  EXPECT_EQ(P(Interval::quarterly, kAnn, a, D(2024, 4, 29)).days(), 90);  // 1 + 29 + 31 + 29
  // Anchor 30 Nov: billing months Nov, Feb, May, Aug; Feb 2024's anchor day is the 29th.
  const auto n = YMD(2023, 11, 30);
  EXPECT_EQ(P(Interval::quarterly, kAnn, n, D(2024, 2, 28)), (DayRange{D(2023, 11, 30), D(2024, 2, 28)}));
  EXPECT_EQ(P(Interval::quarterly, kAnn, n, D(2024, 2, 29)), (DayRange{D(2024, 2, 29), D(2024, 5, 29)}));
  EXPECT_EQ(P(Interval::quarterly, kAnn, n, D(2024, 1, 10)), (DayRange{D(2023, 11, 30), D(2024, 2, 28)}));
}

TEST(Periods, Semiannual) {
  const auto a = YMD(2024, 3, 31);
  EXPECT_EQ(P(Interval::semiannual, kCal, a, D(2024, 8, 10)), (DayRange{D(2024, 7, 1), D(2024, 12, 31)}));
  EXPECT_EQ(P(Interval::semiannual, kCal, a, D(2024, 8, 10)).days(), 184);
  EXPECT_EQ(P(Interval::semiannual, kCal, a, D(2023, 6, 30)).days(), 181);  // 31+28+31+30+31+30
  // Anchor 31 Mar: periods open on 31 Mar and 30 Sep.
  EXPECT_EQ(P(Interval::semiannual, kAnn, a, D(2024, 9, 30)), (DayRange{D(2024, 9, 30), D(2025, 3, 30)}));
  EXPECT_EQ(P(Interval::semiannual, kAnn, a, D(2024, 9, 30)).days(), 182);
  EXPECT_EQ(P(Interval::semiannual, kAnn, a, D(2024, 9, 29)), (DayRange{D(2024, 3, 31), D(2024, 9, 29)}));
  EXPECT_EQ(P(Interval::semiannual, kAnn, a, D(2025, 1, 5)), (DayRange{D(2024, 9, 30), D(2025, 3, 30)}));
}

TEST(Periods, YearlyIncludingFeb29Anchor) {
  const auto a = YMD(2024, 2, 29);
  EXPECT_EQ(P(Interval::yearly, kCal, a, D(2024, 6, 1)), (DayRange{D(2024, 1, 1), D(2024, 12, 31)}));
  EXPECT_EQ(P(Interval::yearly, kCal, a, D(2024, 6, 1)).days(), 366);
  EXPECT_EQ(P(Interval::yearly, kCal, a, D(2023, 6, 1)).days(), 365);
  // Feb 29 anchors fall on Feb 28 in common years.
  EXPECT_EQ(P(Interval::yearly, kAnn, a, D(2025, 2, 27)), (DayRange{D(2024, 2, 29), D(2025, 2, 27)}));
  EXPECT_EQ(P(Interval::yearly, kAnn, a, D(2025, 2, 27)).days(), 365);
  EXPECT_EQ(P(Interval::yearly, kAnn, a, D(2025, 2, 28)), (DayRange{D(2025, 2, 28), D(2026, 2, 27)}));
  EXPECT_EQ(P(Interval::yearly, kAnn, a, D(2027, 3, 1)), (DayRange{D(2027, 2, 28), D(2028, 2, 28)}));
  EXPECT_EQ(P(Interval::yearly, kAnn, a, D(2027, 3, 1)).days(), 366);
  EXPECT_EQ(P(Interval::yearly, kAnn, a, D(2028, 2, 29)), (DayRange{D(2028, 2, 29), D(2029, 2, 27)}));
  const auto j = YMD(2023, 7, 15);
  EXPECT_EQ(P(Interval::yearly, kAnn, j, D(2024, 7, 14)), (DayRange{D(2023, 7, 15), D(2024, 7, 14)}));
}

TEST(Periods, AddIntervalsClampsLikeRuby) {
  EXPECT_EQ(add_intervals(D(2024, 3, 31), Interval::monthly, -1), D(2024, 2, 29));
  EXPECT_EQ(add_intervals(D(2023, 3, 31), Interval::monthly, -1), D(2023, 2, 28));
  EXPECT_EQ(add_intervals(D(2024, 2, 29), Interval::yearly, -1), D(2023, 2, 28));
  EXPECT_EQ(add_intervals(D(2024, 11, 30), Interval::quarterly, 1), D(2025, 2, 28));
  EXPECT_EQ(add_intervals(D(2024, 1, 15), Interval::semiannual, -1), D(2023, 7, 15));
  EXPECT_EQ(add_intervals(D(2024, 3, 1), Interval::weekly, -1), D(2024, 2, 23));
}

// ---- §13 issuing dates -----------------------------------------------------------------------

TEST(IssuingDate, Adjustments) {
  using A = IssuingDateAnchor;
  using J = IssuingDateAdjustment;
  EXPECT_EQ(issuing_date_adjustment_days(true, 3, A::current_period_end, J::align_with_finalization_date), 3);
  EXPECT_EQ(issuing_date_adjustment_days(true, 0, A::current_period_end, J::align_with_finalization_date), -1);
  EXPECT_EQ(issuing_date_adjustment_days(true, 3, A::current_period_end, J::keep_anchor), -1);
  EXPECT_EQ(issuing_date_adjustment_days(true, 3, A::next_period_start, J::keep_anchor), 0);
  EXPECT_EQ(issuing_date_adjustment_days(true, 2), 2);  // defaults: next_period_start + align
  EXPECT_EQ(issuing_date_adjustment_days(false, 5, A::current_period_end, J::keep_anchor), 5);
  EXPECT_EQ(parse_issuing_date_anchor("current_period_end"), A::current_period_end);
  EXPECT_EQ(parse_issuing_date_adjustment("keep_anchor"), J::keep_anchor);
  EXPECT_FALSE(parse_issuing_date_anchor("later").has_value());
  // B = 2024-04-01T02:00Z is still 31 March in New York (22:00 EDT): keep_anchor on the
  // current period end → 30 March.
  EXPECT_EQ(issuing_date(T("2024-04-01T02:00:00Z"), Z("America/New_York"), -1), D(2024, 3, 30));
  EXPECT_EQ(issuing_date(T("2024-03-30T15:00:00Z"), TimeZone::utc(), 0), D(2024, 3, 30));
}

TEST(Names, IntervalsAndBillingTimes) {
  EXPECT_EQ(parse_interval("semiannual"), Interval::semiannual);
  EXPECT_EQ(parse_interval("weekly"), Interval::weekly);
  EXPECT_FALSE(parse_interval("daily").has_value());
  EXPECT_FALSE(parse_interval("Monthly").has_value());
  EXPECT_STREQ(interval_name(Interval::quarterly), "quarterly");
  EXPECT_EQ(parse_billing_time("anniversary"), BillingTime::anniversary);
  EXPECT_FALSE(parse_billing_time("").has_value());
}

// ---- §4.2 billing windows ------------------------------------------------------------------

SubscriptionDates Sub(Interval i, BillingTime b, bool advance, const char* started,
                      const char* zone = "UTC") {
  SubscriptionDates s;
  s.interval = i;
  s.billing_time = b;
  s.plan_pay_in_advance = advance;
  s.subscription_at = s.started_at = T(started);
  s.tz = Z(zone);
  return s;
}
Instant EndOf(const char* day) { return T(day) + hours{24} - microseconds{1}; }  // UTC day end

TEST(Windows, CalendarMonthlyArrearsAndAdvance) {
  //  Feb 1              B = Mar 1 00:00
  //  |------ Feb -------|------ Mar ------|
  auto s = Sub(Interval::monthly, kCal, false, "2024-01-10T10:00:00Z");
  Windows w = billing_windows(s, T("2024-03-01T00:00:00Z"));
  EXPECT_EQ(w.from, T("2024-02-01"));
  EXPECT_EQ(w.to, EndOf("2024-02-29"));
  EXPECT_EQ(w.charges_from, T("2024-02-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-02-29"));
  EXPECT_EQ(w.fixed_charges_from, T("2024-02-01"));
  EXPECT_EQ(w.duration_days, 29);
  EXPECT_EQ(w.charges_duration_days, 29);
  EXPECT_EQ(w.next_billing_day, D(2024, 3, 1));
  EXPECT_TRUE(w.charges_billed && w.fixed_charges_billed);
  // In advance: the new period's fee, the past period's usage.
  s.plan_pay_in_advance = true;
  w = billing_windows(s, T("2024-03-01T00:00:00Z"));
  EXPECT_EQ(w.from, T("2024-03-01"));
  EXPECT_EQ(w.to, EndOf("2024-03-31"));
  EXPECT_EQ(w.duration_days, 31);
  EXPECT_EQ(w.charges_from, T("2024-02-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-02-29"));
  EXPECT_EQ(w.charges_duration_days, 29);
  EXPECT_EQ(w.next_billing_day, D(2024, 4, 1));
}

TEST(Windows, AnniversaryOn31stSpecExample) {
  // §4.1: anniversary 31 Mar 2021, paid in advance, billed 30 Apr 2021 → period starts 30 Apr.
  auto s = Sub(Interval::monthly, kAnn, true, "2021-03-31T00:00:00Z");
  Windows w = billing_windows(s, T("2021-04-30T00:00:00Z"));
  EXPECT_EQ(w.from, T("2021-04-30"));
  EXPECT_EQ(w.to, EndOf("2021-05-30"));
  EXPECT_EQ(w.duration_days, 31);
  // Usage of the period just ended: base = 30 Apr − 1 month moved back to the anchor day 31 Mar.
  EXPECT_EQ(w.charges_from, T("2021-03-31"));
  EXPECT_EQ(w.charges_to, EndOf("2021-04-29"));
  EXPECT_EQ(w.charges_duration_days, 30);
  s.plan_pay_in_advance = false;
  w = billing_windows(s, T("2021-04-30T00:00:00Z"));
  EXPECT_EQ(w.from, T("2021-03-31"));
  EXPECT_EQ(w.to, EndOf("2021-04-29"));
  EXPECT_EQ(w.next_billing_day, D(2021, 4, 30));
}

TEST(Windows, StartedAtClamping) {
  // Fee window starts at started_at's local midnight, usage window at started_at itself.
  auto s = Sub(Interval::monthly, kCal, true, "2024-03-15T10:30:00Z");
  Windows w = billing_windows(s, T("2024-03-15T10:30:00Z"));
  EXPECT_EQ(w.from, T("2024-03-15"));
  EXPECT_EQ(w.to, EndOf("2024-03-31"));
  EXPECT_EQ(w.duration_days, 31);  // whole March: 17/31 proration is the fee's business
  EXPECT_EQ(w.charges_from, T("2024-03-15T10:30:00Z"));  // February, clamped forward
  EXPECT_EQ(w.charges_to, T("2024-03-15T10:30:00Z"));
  s.plan_pay_in_advance = false;
  w = billing_windows(s, T("2024-04-01T00:00:00Z"));
  EXPECT_EQ(w.from, T("2024-03-15"));
  EXPECT_EQ(w.charges_from, T("2024-03-15T10:30:00Z"));
  EXPECT_EQ(w.charges_to, EndOf("2024-03-31"));
  // Paris: 10:30Z is 11:30 local; local midnight of 15 Mar is 14 Mar 23:00Z.
  s = Sub(Interval::monthly, kCal, false, "2024-03-15T10:30:00Z", "Europe/Paris");
  w = billing_windows(s, T("2024-03-31T22:00:00Z"));  // 1 Apr 00:00 in Paris
  EXPECT_EQ(w.from, T("2024-03-14T23:00:00Z"));
  EXPECT_EQ(w.to, T("2024-03-31T21:59:59Z") + kLastMicro);
  EXPECT_EQ(w.charges_from, T("2024-03-15T10:30:00Z"));
}

TEST(Windows, CustomerZoneDecidesTheBillingDay) {
  auto s = Sub(Interval::monthly, kCal, false, "2024-01-01T00:00:00Z", "Europe/Paris");
  Windows w = billing_windows(s, T("2024-03-31T22:00:00Z"));  // 1 Apr local
  EXPECT_EQ(w.from, T("2024-02-29T23:00:00Z"));                // 1 Mar 00:00 +1
  EXPECT_EQ(w.to, T("2024-03-31T21:59:59Z") + kLastMicro);     // 31 Mar 23:59:59.999999 +2
  EXPECT_EQ(w.duration_days, 31);
  EXPECT_EQ(w.next_billing_day, D(2024, 4, 1));
  w = billing_windows(s, T("2024-03-31T21:59:59Z"));           // still 31 Mar local
  EXPECT_EQ(w.from, T("2024-01-31T23:00:00Z"));
  EXPECT_EQ(w.to, T("2024-02-29T22:59:59Z") + kLastMicro);
  // New York calendar week across the spring change: Mon 4 Mar (EST) → Sun 10 Mar (EDT).
  s = Sub(Interval::weekly, kCal, false, "2024-01-01T05:00:00Z", "America/New_York");
  w = billing_windows(s, T("2024-03-11T04:00:00Z"));           // Mon 11 Mar 00:00 EDT
  EXPECT_EQ(w.from, T("2024-03-04T05:00:00Z"));
  EXPECT_EQ(w.to, T("2024-03-11T03:59:59Z") + kLastMicro);
  EXPECT_EQ(w.duration_days, 7);
  EXPECT_EQ(day_count(w.from, w.to, s.tz), 7);
}

TEST(Windows, Terminated) {
  // Terminated on 15 Mar 12:00 without a next plan, billed at termination.
  auto s = Sub(Interval::monthly, kCal, false, "2024-01-01T00:00:00Z");
  s.terminated_at = T("2024-03-15T12:00:00Z");
  Windows w = billing_windows(s, *s.terminated_at);
  EXPECT_EQ(w.from, T("2024-03-01"));
  EXPECT_EQ(w.to, T("2024-03-15T12:00:00Z"));
  EXPECT_EQ(w.charges_from, T("2024-03-01"));
  EXPECT_EQ(w.charges_to, T("2024-03-15T12:00:00Z"));
  EXPECT_EQ(w.duration_days, 31);
  EXPECT_EQ(w.charges_duration_days, 31);
  s.plan_pay_in_advance = true;
  w = billing_windows(s, *s.terminated_at);
  EXPECT_EQ(w.from, T("2024-03-01"));
  EXPECT_EQ(w.to, T("2024-03-15T12:00:00Z"));
  EXPECT_EQ(w.charges_from, T("2024-03-01"));  // the current period's usage, not February's
  EXPECT_EQ(w.charges_to, T("2024-03-15T12:00:00Z"));
  // The fee window ends at terminated_at rounded to the second, the usage window exactly.
  s.plan_pay_in_advance = false;
  s.terminated_at = T("2024-03-15T12:00:00.6Z");
  w = billing_windows(s, *s.terminated_at);
  EXPECT_EQ(w.to, T("2024-03-15T12:00:01Z"));
  EXPECT_EQ(w.charges_to, T("2024-03-15T12:00:00.6Z"));
}

TEST(Windows, UpgradeAndDowngrade) {
  // Advance plan left mid-period on 15 Mar 12:00.
  auto s = Sub(Interval::monthly, kCal, true, "2024-01-01T00:00:00Z");
  s.terminated_at = T("2024-03-15T12:00:00Z");
  s.upgraded = true;  // upgrade: current-usage mode, usage of the current period
  Windows w = billing_windows(s, *s.terminated_at);
  EXPECT_EQ(w.charges_from, T("2024-03-01"));
  EXPECT_EQ(w.charges_to, T("2024-03-15T12:00:00Z"));
  s.upgraded = false;
  s.downgraded = true;  // downgrade: billing mode, an advance plan bills the past period's usage
  w = billing_windows(s, *s.terminated_at);
  EXPECT_EQ(w.charges_from, T("2024-02-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-02-29"));
  // Arrears plan downgraded at the period end: the month just ended.
  s = Sub(Interval::monthly, kCal, false, "2024-01-01T00:00:00Z");
  s.terminated_at = T("2024-04-01T00:00:00Z");
  s.downgraded = true;
  w = billing_windows(s, *s.terminated_at);
  EXPECT_EQ(w.from, T("2024-03-01"));
  EXPECT_EQ(w.to, EndOf("2024-03-31"));
  EXPECT_EQ(w.charges_from, T("2024-03-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-03-31"));
  // Without a next plan the same instant is in the new period: a zero-length window (Lago's
  // invoice service then recomputes the previous period; that rule is the caller's).
  s.downgraded = false;
  w = billing_windows(s, *s.terminated_at);
  EXPECT_EQ(w.from, T("2024-04-01"));
  EXPECT_EQ(w.to, T("2024-04-01"));
}

TEST(Windows, YearlyCalendarBillingChargesMonthly) {
  auto s = Sub(Interval::yearly, kCal, false, "2023-01-01T00:00:00Z");
  s.bill_charges_monthly = true;
  Windows w = billing_windows(s, T("2024-06-01T00:00:00Z"));
  EXPECT_EQ(w.from, T("2023-01-01"));  // the fee stays yearly: last year, billed in arrears
  EXPECT_EQ(w.to, EndOf("2023-12-31"));
  EXPECT_EQ(w.duration_days, 365);
  EXPECT_EQ(w.charges_from, T("2024-05-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-05-31"));
  EXPECT_EQ(w.charges_duration_days, 31);
  EXPECT_EQ(w.fixed_charges_from, T("2023-01-01"));
  EXPECT_EQ(w.fixed_charges_duration_days, 365);
  EXPECT_TRUE(w.charges_billed);
  EXPECT_FALSE(w.fixed_charges_billed);  // yearly fixed charges only in January
  w = billing_windows(s, T("2025-01-01T00:00:00Z"));
  EXPECT_EQ(w.from, T("2024-01-01"));
  EXPECT_EQ(w.duration_days, 366);
  EXPECT_EQ(w.charges_from, T("2024-12-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-12-31"));
  EXPECT_TRUE(w.fixed_charges_billed);
  EXPECT_EQ(w.fixed_charges_to, EndOf("2024-12-31"));
  // Fixed charges monthly instead: usage charges only in the first month; current usage always.
  s.bill_charges_monthly = false;
  s.bill_fixed_charges_monthly = true;
  w = billing_windows(s, T("2024-06-01T00:00:00Z"));
  EXPECT_FALSE(w.charges_billed);
  EXPECT_EQ(w.fixed_charges_from, T("2024-05-01"));
  EXPECT_EQ(w.fixed_charges_duration_days, 31);
  w = current_usage_windows(s, T("2024-06-15T00:00:00Z"));
  EXPECT_TRUE(w.charges_billed);
  EXPECT_EQ(w.charges_from, T("2024-01-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-12-31"));
  EXPECT_EQ(w.fixed_charges_from, T("2024-06-01"));
  EXPECT_EQ(w.fixed_charges_to, EndOf("2024-06-30"));
}

TEST(Windows, YearlyAnniversaryAdvanceChargesMonthly) {
  // Anchor 31 Mar 2024: yearly period 31 Mar 2024–30 Mar 2025; monthly 30 Apr–30 May.
  auto s = Sub(Interval::yearly, kAnn, true, "2024-03-31T00:00:00Z");
  s.bill_charges_monthly = true;
  Windows w = billing_windows(s, T("2024-05-31T00:00:00Z"));
  EXPECT_EQ(w.from, T("2024-03-31"));
  EXPECT_EQ(w.to, EndOf("2025-03-30"));
  EXPECT_EQ(w.duration_days, 365);
  EXPECT_EQ(w.charges_from, T("2024-04-30"));
  EXPECT_EQ(w.charges_to, EndOf("2024-05-30"));
  EXPECT_EQ(w.charges_duration_days, 31);
  EXPECT_FALSE(w.fixed_charges_billed);  // May is not the anchor month
}

TEST(Windows, OtherIntervalsInArrears) {
  auto s = Sub(Interval::weekly, kAnn, false, "2024-01-03T00:00:00Z");  // Wednesdays
  Windows w = billing_windows(s, T("2024-03-13T00:00:00Z"));
  EXPECT_EQ(w.from, T("2024-03-06"));
  EXPECT_EQ(w.to, EndOf("2024-03-12"));
  EXPECT_EQ(w.duration_days, 7);
  EXPECT_EQ(w.next_billing_day, D(2024, 3, 13));
  s = Sub(Interval::quarterly, kAnn, false, "2024-01-31T00:00:00Z");
  w = billing_windows(s, T("2024-04-30T00:00:00Z"));  // anchor day of April
  EXPECT_EQ(w.from, T("2024-01-31"));
  EXPECT_EQ(w.to, EndOf("2024-04-29"));
  EXPECT_EQ(w.duration_days, 90);
  s = Sub(Interval::semiannual, kCal, false, "2023-02-10T00:00:00Z");
  w = billing_windows(s, T("2024-01-01T00:00:00Z"));
  EXPECT_EQ(w.from, T("2023-07-01"));
  EXPECT_EQ(w.to, EndOf("2023-12-31"));
  EXPECT_EQ(w.duration_days, 184);
}

TEST(Windows, CurrentUsage) {
  auto s = Sub(Interval::monthly, kCal, false, "2024-01-01T00:00:00Z");
  Windows w = current_usage_windows(s, T("2024-03-15T12:00:00Z"));
  EXPECT_EQ(w.from, T("2024-03-01"));
  EXPECT_EQ(w.to, EndOf("2024-03-31"));
  EXPECT_EQ(w.charges_from, T("2024-03-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-03-31"));
  EXPECT_EQ(w.next_billing_day, D(2024, 4, 1));
  s.plan_pay_in_advance = true;
  w = current_usage_windows(s, T("2024-03-15T12:00:00Z"));
  EXPECT_EQ(w.charges_from, T("2024-03-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-03-31"));
  s = Sub(Interval::semiannual, kCal, false, "2024-01-01T00:00:00Z");
  s.bill_charges_monthly = true;
  w = current_usage_windows(s, T("2024-08-10T00:00:00Z"));
  EXPECT_EQ(w.from, T("2024-07-01"));
  EXPECT_EQ(w.to, EndOf("2024-12-31"));
  EXPECT_EQ(w.charges_from, T("2024-08-01"));
  EXPECT_EQ(w.charges_to, EndOf("2024-08-31"));
  EXPECT_EQ(w.charges_duration_days, 31);
}

}  // namespace
}  // namespace tariff
