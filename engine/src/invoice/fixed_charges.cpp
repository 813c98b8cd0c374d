// Fixed-charge fees (SEMANTICS §6, Lago's Fees::FixedChargeService): an add-on billed per
// period for a number of units, priced by the standard, graduated or volume model.
//
// Window: a subscription that does not exist yet bills over the period containing its start;
// an existing one bills advance fixed charges over the period containing B (the next period)
// and arrears ones over the fixed-charges window of the invoice (the period just ended).
// Prorated: units × days / duration, where days run from max(from, started_at) to `to` in
// local dates, rounded to 6 places (once, from the exact fraction); for a not-yet-existing
// subscription, (to − from + 1) in UTC dates, unrounded. The fee shows the full units:
//   100 seats @10, prorated, 03-15..03-31 of 31 days: 100 × 17/31 × 10 = 548.387… → 54839.
#include "invoice/preview.hpp"
#include "usage/charge_fees.hpp"

namespace tariff {

void add_fixed_charge_fees(const Snapshot&, const BilledSubscription& b, std::vector<InvoiceFee>& out) {
  const Subscription& sub = *b.sub;
  const Plan& plan = *sub.plan;
  if (plan.fixed_charges.empty()) return;
  const TimeZone& tz = b.dates.tz;
  const Windows& w = b.windows;
  const bool long_plan = plan.interval == Interval::yearly || plan.interval == Interval::semiannual;
  const Interval iv = long_plan && plan.bill_fixed_charges_monthly ? Interval::monthly : plan.interval;
  const date::year_month_day anchor{tz.local_date(sub.subscription_at)};
  const Instant started = b.dates.started_at;

  for (const FixedCharge& fc : plan.fixed_charges) {
    if (fc.pay_in_advance ? !b.advance_fixed : !b.arrears_fixed) continue;
    Instant from, to;
    int64_t duration = 0;
    if (b.new_subscription || fc.pay_in_advance) {
      const Instant at = b.new_subscription ? started : b.billing_at;
      const DayRange p = period_containing(iv, sub.billing_time, anchor, tz.local_date(at));
      from = tz.start_of_day(p.first);
      if (from < started) from = started;
      to = tz.end_of_day(p.last);
      if (sub.terminated_at && *sub.terminated_at < to) to = *sub.terminated_at;
      duration = p.days();
    } else {
      if (!w.fixed_charges_billed) continue;
      from = w.fixed_charges_from;
      to = w.fixed_charges_to;
      duration = w.fixed_charges_duration_days;
    }
    if (duration <= 0) continue;

    ChargeUsage usage;
    usage.units = fc.units;
    int64_t explain_days = -1;
    if (fc.prorated) {
      int64_t days = 0;
      Decimal prorated;
      if (b.new_subscription) {
        days = static_cast<int64_t>((utc_date(to) - utc_date(from)).count()) + 1;
        prorated = Decimal::mul_div(fc.units, Decimal(days), Decimal(duration));
        // The prorated graduated model gets the numerator units × days over `duration`.
        usage.prorated_events = {{fc.units, fc.units * Decimal(days)}};
        usage.prorated_denominator = Decimal(duration);
        usage.units_fraction = Ratio(fc.units * Decimal(days), Decimal(duration));
      } else {
        const Instant start = from < started ? started : from;
        days = static_cast<int64_t>((tz.local_date(to) - tz.local_date(start)).count()) + 1;
        // Rounded once, from the exact units × days / duration.
        prorated = Decimal::mul_div(fc.units, Decimal(days), Decimal(duration), 6);
        usage.prorated_events = {{fc.units, prorated}};
      }
      usage.units = prorated;
      usage.prorated = true;
      explain_days = days;
      usage.full_units = fc.units;
    }
    ChargeFee priced;
    priced.model = compute_charge(fc.properties, usage);
    price_fee(priced, nullptr, plan.currency);

    InvoiceFee f;
    f.kind = FeeKind::fixed_charge;
    f.sub = &sub;
    f.fixed = &fc;
    f.amount_cents = priced.amount_cents;
    f.precise_amount_cents = priced.precise_amount_cents;
    f.units = priced.model.zeroed ? Decimal() : fc.units;
    f.total_aggregated_units = f.units;
    f.events_count = 0;
    f.unit_amount_cents = priced.unit_amount_cents;
    f.precise_unit_amount = priced.precise_unit_amount;
    f.amount_details = priced.model.amount_details;
    f.pay_in_advance = fc.pay_in_advance;
    if (explain_days >= 0) {
      f.explain_days = explain_days;
      f.explain_period_days = duration;
    }
    f.from = from;
    f.to = to;
    out.push_back(std::move(f));
  }
}

}  // namespace tariff
