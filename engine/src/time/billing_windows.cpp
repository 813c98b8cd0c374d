// Billing windows for a billing instant B (SEMANTICS §4.2; Lago's Subscriptions::DatesService
// and its Weekly/Monthly/Quarterly/Semiannual/Yearly subclasses).
//
// D = local date of B. Billing mode: base = D − 1 interval; current-usage mode: base = D.
//   fee window      period of D (advance, or terminated-in-arrears without downgrade)
//                   else period of base; starts no earlier than started_at's local midnight
//   charges window  period of D if terminated without a next subscription; else in arrears
//                   the fee period, in advance the period of base; starts no earlier than
//                   started_at itself; ends at terminated_at
//   fixed charges   as charges (yearly/semiannual: each kind may be billed monthly)
//
// Not reproduced (stateful in Lago): the realignment after a customer time-zone change, and
// the caller-side re-computation when a termination falls on a period boundary.
#include "tariff/time.hpp"

namespace tariff {
namespace {

using date::days;
using date::local_days;
using std::chrono::microseconds;
using std::chrono::seconds;

// Ruby's Time#round: to the nearest whole second, halves up.
Instant round_to_second(Instant t) {
  return Instant{date::floor<seconds>(t + microseconds{500000})};
}

bool is_last_day_of_month(const date::year_month_day& ymd) {
  return ymd.day() == (ymd.year() / ymd.month() / date::last).day();
}

struct Calc {
  const SubscriptionDates& s;
  bool current_usage;
  local_days D;                 // local billing date
  date::year_month_day anchor;  // local date of subscription_at
  bool terminated_at_billing;   // terminated at or before B (Lago's terminated_at?(B))

  DayRange period(Interval iv, local_days d) const {
    return period_containing(iv, s.billing_time, anchor, d);
  }

  // Billing mode's base date: D − 1 interval; on an anniversary whose day is missing from D's
  // month (D = 30 Apr, anchor 31), go back to the anchor day itself (31 Mar, not 30 Mar).
  local_days base(Interval iv) const {
    if (current_usage) return D;
    const date::year_month_day d{D};
    if (s.billing_time == BillingTime::anniversary && iv != Interval::weekly &&
        is_last_day_of_month(d) && d.day() < anchor.day()) {
      const date::year_month_day back{add_intervals(D, iv, -1)};
      const date::year_month_day eom = back.year() / back.month() / date::last;
      return local_days{eom.day() >= anchor.day() ? back.year() / back.month() / anchor.day()
                                                  : eom};
    }
    return add_intervals(D, iv, -1);
  }

  bool advance() const { return s.plan_pay_in_advance; }
  bool terminated_pay_in_arrears() const {
    return terminated_at_billing && !advance() && !s.downgraded;
  }
  bool terminated_without_next() const {
    return terminated_at_billing && !s.upgraded && !s.downgraded;
  }

  local_days from_date(Interval iv) const {
    if (advance() || terminated_pay_in_arrears()) return period(iv, D).first;
    return period(iv, base(iv)).first;
  }
  local_days charges_from_date(Interval iv) const {
    if (terminated_without_next()) return period(iv, D).first;
    if (!advance()) return from_date(iv);
    return period(iv, base(iv)).first;
  }

  // Yearly/semiannual plans: is D in the first month of the plan's period?
  bool first_month_of_period() const {
    const date::year_month_day d{D};
    const unsigned dm = static_cast<unsigned>(d.month());
    if (s.billing_time == BillingTime::calendar)
      return s.interval == Interval::yearly ? dm == 1 : (dm == 1 || dm == 7);
    const unsigned m = static_cast<unsigned>(date::year_month_day{period(Interval::monthly, D).first}.month());
    const unsigned m0 = static_cast<unsigned>(anchor.month());
    if (s.interval == Interval::yearly) return m == m0;
    return m == m0 || m == (m0 <= 6 ? m0 + 6 : m0 - 6);
  }

  // A usage-type window: [local start of from_date, local end of its period], clamped.
  void usage_window(Interval iv, Instant& from, Instant& to, int64_t& duration) const {
    const local_days f = charges_from_date(iv);
    const DayRange p = period(iv, f);
    from = s.tz.start_of_day(f);
    if (from < s.started_at) from = s.started_at;
    to = s.tz.end_of_day(p.last);
    if (s.terminated_at && *s.terminated_at <= to) to = *s.terminated_at;
    if (to < s.started_at) to = s.started_at;
    duration = p.days();
  }
};

Windows compute(const SubscriptionDates& s, Instant billing_at, bool current_usage) {
  const TimeZone& tz = s.tz;
  const bool terminated_at_billing =
      s.terminated_at && round_to_second(*s.terminated_at) <= round_to_second(billing_at);
  if (!current_usage && terminated_at_billing && s.upgraded) current_usage = true;
  const Calc c{s, current_usage, tz.local_date(billing_at),
               date::year_month_day{tz.local_date(s.subscription_at)}, terminated_at_billing};

  Windows w;
  // Fee window.
  const local_days from_date = c.from_date(s.interval);
  const DayRange fee_period = c.period(s.interval, from_date);
  w.duration_days = fee_period.days();
  w.next_billing_day = fee_period.last + days{1};
  w.from = tz.start_of_day(from_date);
  if (w.from < s.started_at) w.from = tz.start_of_day(tz.local_date(s.started_at));
  w.to = tz.end_of_day(fee_period.last);
  if (terminated_at_billing) {
    const Instant cut = round_to_second(*s.terminated_at);
    if (w.to > cut) w.to = cut;
  }
  if (w.to < s.started_at) w.to = s.started_at;

  // Usage windows; yearly/semiannual plans may bill either kind monthly.
  const bool long_plan = s.interval == Interval::yearly || s.interval == Interval::semiannual;
  const Interval charges_iv =
      long_plan && s.bill_charges_monthly ? Interval::monthly : s.interval;
  const Interval fixed_iv =
      long_plan && s.bill_fixed_charges_monthly ? Interval::monthly : s.interval;
  c.usage_window(charges_iv, w.charges_from, w.charges_to, w.charges_duration_days);
  c.usage_window(fixed_iv, w.fixed_charges_from, w.fixed_charges_to,
                 w.fixed_charges_duration_days);

  if (long_plan) {
    // One kind billed monthly, the other per period: the latter only in the period's first
    // month. (Lago checks current usage for charges only, not for fixed charges.)
    if (!current_usage && !s.bill_charges_monthly && s.bill_fixed_charges_monthly)
      w.charges_billed = c.first_month_of_period();
    if (!s.bill_fixed_charges_monthly && s.bill_charges_monthly)
      w.fixed_charges_billed = c.first_month_of_period();
  }
  return w;
}

}  // namespace

Windows billing_windows(const SubscriptionDates& s, Instant billing_at) {
  return compute(s, billing_at, false);
}

Windows current_usage_windows(const SubscriptionDates& s, Instant now) {
  return compute(s, now, true);
}

}  // namespace tariff
