// Billing periods as local-date ranges (SEMANTICS §4.1), the §4.4 day count and the
// issuing-date offsets of §13.
//
// Every month-based period (monthly, quarterly, semiannual, yearly) is one rule with a step of
// k = 1, 3, 6 or 12 months: periods open on "anchor days" in the months m0, m0+k, m0+2k...
// where the anchor day of a month is min(anchor day, length of that month), and close the day
// before the next anchor day. Calendar periods are the same rule anchored on 1 January.
//   anniversary 31 Mar, monthly: 31 Mar–29 Apr, 30 Apr–30 May, 31 May–29 Jun ...
//   anniversary 29 Feb 2024, yearly: 29 Feb 2024–27 Feb 2025, 28 Feb 2025–27 Feb 2026 ...
#include "tariff/time.hpp"

namespace tariff {
namespace {

using date::days;
using date::local_days;
using date::year_month_day;

int months_step(Interval i) {
  switch (i) {
    case Interval::monthly: return 1;
    case Interval::quarterly: return 3;
    case Interval::semiannual: return 6;
    case Interval::yearly: return 12;
    case Interval::weekly: break;
  }
  return 0;
}

// Months since year 0 (0 = January of year 0), so month arithmetic is integer arithmetic.
int month_index(date::year y, date::month m) {
  return static_cast<int>(y) * 12 + static_cast<int>(static_cast<unsigned>(m)) - 1;
}
date::year_month from_month_index(int idx) {
  const int y = idx >= 0 ? idx / 12 : (idx - 11) / 12;
  const int m = idx - y * 12;
  return date::year{y} / date::month{static_cast<unsigned>(m + 1)};
}

// The anchor day in month idx: min(anchor_day, last day of that month).
local_days anchor_day_in(int idx, unsigned anchor_day) {
  const date::year_month ym = from_month_index(idx);
  const unsigned last = static_cast<unsigned>((ym / date::last).day());
  return local_days{ym / date::day{anchor_day < last ? anchor_day : last}};
}

int floor_mod(int a, int b) { return ((a % b) + b) % b; }

DayRange month_period(int step, int anchor_month_idx, unsigned anchor_day, local_days d) {
  const year_month_day ymd{d};
  int idx = month_index(ymd.year(), ymd.month());
  idx -= floor_mod(idx - anchor_month_idx, step);  // latest billing month ≤ d's month
  local_days first = anchor_day_in(idx, anchor_day);
  if (first > d) {  // d lies before this month's anchor day: previous period
    idx -= step;
    first = anchor_day_in(idx, anchor_day);
  }
  return {first, anchor_day_in(idx + step, anchor_day) - days{1}};
}

}  // namespace

std::optional<Interval> parse_interval(std::string_view s) {
  if (s == "weekly") return Interval::weekly;
  if (s == "monthly") return Interval::monthly;
  if (s == "quarterly") return Interval::quarterly;
  if (s == "semiannual") return Interval::semiannual;
  if (s == "yearly") return Interval::yearly;
  return std::nullopt;
}

const char* interval_name(Interval i) {
  switch (i) {
    case Interval::weekly: return "weekly";
    case Interval::monthly: return "monthly";
    case Interval::quarterly: return "quarterly";
    case Interval::semiannual: return "semiannual";
    case Interval::yearly: return "yearly";
  }
  return "monthly";
}

std::optional<BillingTime> parse_billing_time(std::string_view s) {
  if (s == "calendar") return BillingTime::calendar;
  if (s == "anniversary") return BillingTime::anniversary;
  return std::nullopt;
}

DayRange period_containing(Interval interval, BillingTime billing_time,
                           year_month_day anchor, local_days d) {
  if (interval == Interval::weekly) {
    // Calendar weeks start on Monday; anniversary weeks on the anchor's weekday.
    const date::weekday start = billing_time == BillingTime::calendar
                                    ? date::Monday
                                    : date::weekday{local_days{anchor}};
    const local_days first = d - (date::weekday{d} - start);  // weekday difference is 0..6
    return {first, first + days{6}};
  }
  const int step = months_step(interval);
  if (billing_time == BillingTime::calendar) return month_period(step, 0, 1, d);
  return month_period(step, month_index(anchor.year(), anchor.month()),
                      static_cast<unsigned>(anchor.day()), d);
}

local_days add_intervals(local_days d, Interval interval, int n) {
  if (interval == Interval::weekly) return d + days{7 * n};
  const year_month_day ymd{d};
  const date::year_month ym =
      from_month_index(month_index(ymd.year(), ymd.month()) + n * months_step(interval));
  const unsigned last = static_cast<unsigned>((ym / date::last).day());
  const unsigned day = static_cast<unsigned>(ymd.day());
  return local_days{ym / date::day{day < last ? day : last}};
}

int64_t day_count(Instant from, Instant to, const TimeZone& tz) {
  using std::chrono::microseconds;
  using std::chrono::seconds;
  // "if to is local midnight, add one second so the day is not missed"
  const auto to_local = to + tz.offset(to);
  if (to_local == date::floor<days>(to_local)) to += seconds{1};
  // (to − from − (offset(from) − offset(to))) / 1 day, rounded up
  const int64_t us = (to - from - (tz.offset(from) - tz.offset(to))).count();
  const int64_t day_us = int64_t{86400} * 1000000;
  int64_t q = us / day_us;
  if (us % day_us > 0) ++q;  // ceil (C++ division truncates toward zero)
  return q;
}

std::optional<IssuingDateAnchor> parse_issuing_date_anchor(std::string_view s) {
  if (s == "current_period_end") return IssuingDateAnchor::current_period_end;
  if (s == "next_period_start") return IssuingDateAnchor::next_period_start;
  return std::nullopt;
}

std::optional<IssuingDateAdjustment> parse_issuing_date_adjustment(std::string_view s) {
  if (s == "keep_anchor") return IssuingDateAdjustment::keep_anchor;
  if (s == "align_with_finalization_date") return IssuingDateAdjustment::align_with_finalization_date;
  return std::nullopt;
}

int issuing_date_adjustment_days(bool recurring, int grace, IssuingDateAnchor anchor,
                                 IssuingDateAdjustment adjustment) {
  if (!recurring) return grace;
  const bool keep = adjustment == IssuingDateAdjustment::keep_anchor;
  if (anchor == IssuingDateAnchor::current_period_end) {
    if (keep) return -1;              // the last day of the period just billed
    return grace == 0 ? -1 : grace;   // aligned with finalization, else the period end
  }
  return keep ? 0 : grace;            // next_period_start
}

date::local_days issuing_date(Instant billing_at, const TimeZone& tz, int adjustment_days) {
  return tz.local_date(billing_at) + days{adjustment_days};
}

}  // namespace tariff
