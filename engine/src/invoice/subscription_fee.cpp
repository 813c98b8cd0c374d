// Subscription fee (SEMANTICS §5, Lago's Fees::SubscriptionService), exact decimals instead of
// Lago's doubles (Decisions): day_price = plan.amount_cents / duration, amount = days × day_price,
// amount_cents = round(amount). First matching rule:
//   1. terminated in arrears (termination, or the old plan of an upgrade): days(from, terminated_at),
//      minus the upgrade day on an upgrade
//   2. first fee after an upgrade: days(from, to)
//   3. full amount: advance + anniversary + no predecessor, or the window is not the first period
//   4. otherwise days(from, to)
// A trial covering the whole window gives 0; one ending inside it moves `from` to its end.
//
//   started_at 03-15 (calendar, monthly, 3100)        period end 03-31
//   |--------------------------------------------------|   17 days × 3100/31 = 1700
#include "invoice/preview.hpp"

namespace tariff {
namespace {

Instant add_days(Instant t, const Decimal& days) {
  const Decimal us = days * Decimal(86400) * Decimal(1000000);
  return t + std::chrono::microseconds{us.round(0).to_int64()};
}

}  // namespace

void add_subscription_fee(const Snapshot&, const BilledSubscription& b, std::vector<InvoiceFee>& out) {
  using Rule = BilledSubscription::FeeRule;
  if (b.fee_rule == Rule::none) return;
  const Subscription& sub = *b.sub;
  const Plan& plan = *sub.plan;
  const Windows& w = b.windows;
  const TimeZone& tz = b.dates.tz;
  const Decimal plan_amount(plan.amount_cents);
  const Decimal duration(w.duration_days);

  Decimal precise;  // cents
  Instant from = w.from;
  const Instant to = w.to;
  bool trial = false;
  if (plan.trial_period.is_positive()) {
    const Instant trial_end = add_days(b.trial_started_at, plan.trial_period);
    if (trial_end >= to) {
      trial = true;
      from = to;
    } else if (trial_end > from) {
      trial = true;
      from = trial_end;
    }
  }
  int64_t prorated_days = -1;  // explain: the days billed, when prorated
  auto prorated = [&](int64_t days) {
    if (days < 0) days = 0;
    prorated_days = days;
    return w.duration_days > 0 ? Decimal::mul_div(plan_amount, Decimal(days), duration) : Decimal();
  };
  if (trial && from >= to) {
    precise = Decimal();
  } else {
    switch (b.fee_rule) {
      case Rule::terminated_arrears: {
        int64_t days = day_count(from, to, tz);
        if (b.dates.upgraded) days -= 1;  // the upgrade day belongs to the new plan
        precise = prorated(days);
        break;
      }
      case Rule::after_upgrade:
        precise = prorated(day_count(from, to, tz));
        break;
      case Rule::standard: {
        const Instant started = b.dates.started_at;
        const bool first_period = tz.local_date(started) >= tz.local_date(w.from);
        const bool anniversary_advance = plan.pay_in_advance && sub.billing_time == BillingTime::anniversary;
        bool backdated = false;
        if (sub.created_at && tz.local_date(started) < tz.local_date(*sub.created_at))
          backdated = plan.pay_in_advance;
        const bool full = !trial && ((anniversary_advance && b.no_predecessor) || !first_period || backdated);
        precise = full ? plan_amount : prorated(day_count(from, to, tz));
        break;
      }
      case Rule::none: return;
    }
  }
  if (precise > plan_amount) precise = plan_amount;

  InvoiceFee f;
  f.kind = FeeKind::subscription;
  f.sub = &sub;
  f.precise_amount_cents = precise;
  f.amount_cents = to_cents(precise);
  f.units = Decimal(1);
  f.total_aggregated_units = Decimal(1);
  f.events_count = 0;
  f.unit_amount_cents = f.amount_cents;
  f.precise_unit_amount = plan.currency.from_cents(precise);
  f.amount_details = ojson{{"plan_amount_cents", plan.amount_cents}};
  f.pay_in_advance = plan.pay_in_advance;
  if (prorated_days >= 0 && w.duration_days > 0) {
    f.explain_days = prorated_days;
    f.explain_period_days = w.duration_days;
  }
  f.from = w.from;
  f.to = w.to;
  out.push_back(std::move(f));
}

}  // namespace tariff
