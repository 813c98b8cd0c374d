// Time: instants, customer time zones, billing periods and billing windows (SEMANTICS §4–6).
//
// An Instant is a UTC point in time with microsecond precision (Lago stores timestamps with
// µs). A billing period is a range of *civil days in the customer's zone*; it becomes instants
// only at its edges: local 00:00:00.000000 and local 23:59:59.999999, converted to UTC.
//
// Time zones are IANA names evaluated with the POSIX TZ rule that ends each TZif file, taken
// from a table generated from the build machine's tzdata (scripts/gen_tz_rules.py →
// src/time/tz_rules.inc), so native and WebAssembly builds give the same answers without a
// zoneinfo database. Where a zone's past since 2000 differs from its current rule (rule
// changes: Asia/Almaty 2024, Mexico 2022, the US 2007; one-off transitions: Africa/Casablanca,
// Asia/Gaza), the table also carries those explicit offsets, so every zone matches tzdata
// from 2000 on. Known limitations: before 2000 the current rule is used for every date, and
// the answers are those of the tzdata release the table was generated from (2025b).
//
// Nothing here reads a clock: `now` is always passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>

namespace tariff {

using Instant = date::sys_time<std::chrono::microseconds>;  // UTC, µs precision

// ISO 8601 — "2024-03-15T12:00:00Z", "2024-03-15T12:00:00.123Z", "…+02:00", "…-0500",
// "…+02", no designator = UTC, "2024-03-15" = midnight UTC, 'T' or ' ' between date and
// time, seconds optional ("12:00Z") — or Unix seconds as text ("1710504000", "1710504000.5").
// Fractions beyond µs are truncated. nullopt on anything else, on impossible dates
// (2024-02-30, 25:00) and on instants outside years 1970..9999 (UTC).
std::optional<Instant> parse_instant(std::string_view text);
// Same range and precision, from Unix seconds (integer JSON values).
std::optional<Instant> instant_from_unix_seconds(int64_t seconds);

std::string format_instant(Instant t);         // "2024-03-31T23:59:59Z" (fraction dropped)
std::string format_date(date::local_days d);   // "2024-04-01"
std::optional<date::local_days> parse_date(std::string_view text);  // "2024-04-01" only
date::local_days utc_date(Instant t);          // the UTC calendar date of t

// One-parameter POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"), offsets east of UTC.
struct PosixRule {
  struct Change {              // when a change happens, as local wall-clock time
    enum class Kind : uint8_t { julian_no_leap, zero_based, month_week_day } kind{};
    int16_t day = 0;           // Jn: 1..365; n: 0..365; Mm.w.d: weekday 0 (Sunday)..6
    int8_t month = 0, week = 0;  // Mm.w.d only: month 1..12, week 1..5 (5 = last)
    int32_t time = 7200;       // seconds after local midnight, may be < 0 or ≥ 24 h
  };
  int32_t std_offset = 0;      // seconds east of UTC (POSIX writes west: "CET-1" → +3600)
  int32_t dst_offset = 0;
  bool has_dst = false;
  Change dst_start, dst_end;   // start is in standard time, end in daylight time

  static std::optional<PosixRule> parse(std::string_view rule);
  std::chrono::seconds offset(Instant t) const;

 private:
  // offset()'s memo: the change instants (UTC seconds; start, end) of years y − 1, y, y + 1 for
  // the year y last asked about — a billing run asks about the same year again and again. A
  // rule, like the snapshot it belongs to, is used by one thread at a time.
  mutable int memo_year_ = std::numeric_limits<int>::min();
  mutable int64_t memo_[3][2] = {};
};

class TimeZone {  // value type, cheap to copy
 public:
  // Exact IANA name ("UTC", "Europe/Paris", "America/New_York"); nullopt if unknown.
  static std::optional<TimeZone> find(std::string_view iana);
  static TimeZone utc();

  const std::string& name() const { return name_; }
  const PosixRule& rule() const { return rule_; }
  std::chrono::seconds offset(Instant t) const;  // UTC offset in force at t
  date::local_days local_date(Instant t) const;
  // Local wall-clock time → UTC, as Rails' TimeWithZone does: a time repeated when clocks go
  // back resolves to its first (daylight) occurrence; a time skipped when they go forward is
  // moved forward one hour until it exists.
  Instant from_local(date::local_time<std::chrono::microseconds> lt) const;
  Instant start_of_day(date::local_days d) const;  // local 00:00:00.000000 → UTC
  Instant end_of_day(date::local_days d) const;    // local 23:59:59.999999 → UTC

 private:
  TimeZone(std::string name, PosixRule rule, int history)
      : name_(std::move(name)), rule_(rule), history_(history) {}
  std::string name_;
  PosixRule rule_;
  int history_ = -1;  // explicit offsets since 2000 where the rule is wrong (generated table)
};

// ---- billing periods (§4.1) ------------------------------------------------------------
enum class Interval { weekly, monthly, quarterly, semiannual, yearly };
std::optional<Interval> parse_interval(std::string_view s);  // Lago spelling: "monthly"...
const char* interval_name(Interval i);
enum class BillingTime { calendar, anniversary };
std::optional<BillingTime> parse_billing_time(std::string_view s);

struct DayRange {                       // inclusive range of local dates
  date::local_days first, last;
  int days() const { return static_cast<int>((last - first).count()) + 1; }
  bool contains(date::local_days d) const { return first <= d && d <= last; }
  bool operator==(const DayRange& o) const { return first == o.first && last == o.last; }
};

// Period of `interval` containing local date d. Calendar: Mon–Sun weeks, months, Jan/Apr/Jul/Oct
// quarters, halves, years. Anniversary: anchored on `anchor` (local date of subscription_at);
// an anchor day missing from a month falls on that month's last day (31 → 30 Apr, 28/29 Feb),
// and the period ends the day before the next anchor day.
DayRange period_containing(Interval interval, BillingTime billing_time,
                           date::year_month_day anchor, date::local_days d);

// d shifted by n whole intervals, as Ruby's Date#>> does: a day missing from the target month
// becomes its last day (31 Mar − 1 month = 28/29 Feb). Weekly: n × 7 days.
date::local_days add_intervals(date::local_days d, Interval interval, int n);

// SEMANTICS §4.4 (Lago's Utils::Datetime.date_diff_with_timezone): if `to` is exactly local
// midnight add 1 s; then ceil((to − from − (offset(from) − offset(to))) / 86 400 s).
// 00:00 → 23:59:59.999999 of the same local day = 1; DST-neutral. The "−1 for a terminated and
// upgraded subscription" of §4.4 is the caller's (subscription fee) business.
int64_t day_count(Instant from, Instant to, const TimeZone& tz);

// ---- billing windows (§4.2, Lago's Subscriptions::DatesService) --------------------------
struct SubscriptionDates {
  Interval interval = Interval::monthly;
  BillingTime billing_time = BillingTime::calendar;
  bool plan_pay_in_advance = false;
  bool bill_charges_monthly = false;        // yearly / semiannual plans only
  bool bill_fixed_charges_monthly = false;  // yearly / semiannual plans only
  Instant subscription_at{};                // anniversary anchor (its local date)
  Instant started_at{};
  std::optional<Instant> terminated_at;     // present ⇔ the subscription is terminated
  bool upgraded = false;    // has a next subscription that is an upgrade
  bool downgraded = false;  // has a next subscription that is a downgrade
  TimeZone tz = TimeZone::utc();
};

struct Windows {
  Instant from, to;                      // subscription fee window
  Instant charges_from, charges_to;      // usage window
  Instant fixed_charges_from, fixed_charges_to;
  int64_t duration_days = 0;             // whole fee period containing `from` (proration)
  int64_t charges_duration_days = 0;     // whole period containing charges_from
  int64_t fixed_charges_duration_days = 0;
  date::local_days next_billing_day;     // day after the fee period (= D for arrears billing)
  // Yearly/semiannual plans that bill one kind of charge monthly bill the other kind only in
  // the first month of the period (Lago leaves those boundaries nil); false ⇒ not billed now.
  bool charges_billed = true;
  bool fixed_charges_billed = true;
};

// "Billing" mode: the invoice issued at `billing_at` for the period that just ended (arrears)
// or starts now (advance). A terminated, upgraded subscription uses current-usage mode, as Lago.
Windows billing_windows(const SubscriptionDates& s, Instant billing_at);
// "Current usage" mode: the period containing `now`.
Windows current_usage_windows(const SubscriptionDates& s, Instant now);

// ---- issuing date (§13, §14.1) ----------------------------------------------------------
enum class IssuingDateAnchor { current_period_end, next_period_start };
enum class IssuingDateAdjustment { keep_anchor, align_with_finalization_date };
std::optional<IssuingDateAnchor> parse_issuing_date_anchor(std::string_view s);
std::optional<IssuingDateAdjustment> parse_issuing_date_adjustment(std::string_view s);

// Days added to the local billing day. Recurring (periodic) invoices follow anchor/adjustment
// (defaults next_period_start + align_with_finalization_date = + grace); non-recurring ones
// (advance proposal, termination) add the grace period.
int issuing_date_adjustment_days(bool recurring, int grace_period_days,
                                 IssuingDateAnchor anchor = IssuingDateAnchor::next_period_start,
                                 IssuingDateAdjustment adjustment =
                                     IssuingDateAdjustment::align_with_finalization_date);
// Local date of billing_at in tz, plus the adjustment above.
date::local_days issuing_date(Instant billing_at, const TimeZone& tz, int adjustment_days);

}  // namespace tariff
