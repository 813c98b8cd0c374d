// Minimum commitment true-up (SEMANTICS §7.1, Lago's Commitments::Minimum::*).
//
// The commitment spans the whole plan period, prorated to the days the subscription was
// billed in it: commitment = round(amount_cents × days_active / days_total). The true-up is
// what the subscription's fees of that period fall short of it: every fee of the subscription on
// this invoice, plus the pay-in-advance charge fees of the period already billed per event, when
// the snapshot carries them (snapshot.invoices, docs/billing.md; Lago's
// CalculateTrueUpFeeService#charge_in_advance_fees). Without that history only this invoice counts.
// Arrears plans reconcile the fee window; advance plans the previous period (the charges
// window), so a new advance subscription has nothing to reconcile yet.
//   yearly calendar plan, commitment 1000.00, started 03-30: 277/366 × 100000 = 75683.06 → 75683
#include "invoice/preview.hpp"

namespace tariff {

void add_commitment_fee(const Snapshot& s, const BilledSubscription& b, std::vector<InvoiceFee>& out) {
  const Subscription& sub = *b.sub;
  const Plan& plan = *sub.plan;
  if (!b.commitment || !plan.minimum_commitment || plan.minimum_commitment->amount_cents <= 0) return;
  const TimeZone& tz = b.dates.tz;
  const Windows& w = b.windows;
  Instant from = plan.pay_in_advance ? w.charges_from : w.from;
  const Instant to = plan.pay_in_advance ? w.charges_to : w.to;
  if (plan.pay_in_advance && b.new_subscription) return;
  const date::year_month_day anchor{tz.local_date(sub.subscription_at)};
  const DayRange period = period_containing(plan.interval, sub.billing_time, anchor, tz.local_date(from));
  const int64_t days_total = period.days();
  const int64_t days_active = day_count(from, to, tz);
  if (days_total <= 0 || days_active <= 0) return;
  // amount × days_active / days_total, divided and rounded once.
  const Decimal commitment = Decimal::mul_div(Decimal(plan.minimum_commitment->amount_cents), Decimal(days_active),
                                              Decimal(days_total), 0);

  int64_t used = 0;
  Decimal used_precise;
  for (const auto& f : out)
    if (f.sub == &sub) {
      used = add_cents(used, f.amount_cents);
      used_precise += f.precise_amount_cents;
    }
  const Instant period_from = tz.start_of_day(period.first), period_to = tz.end_of_day(period.last);
  for (const BilledFee& f : s.billed_fees) {
    if (f.voided || f.fee_type != "charge" || !f.pay_in_advance || f.external_subscription_id != sub.external_id) continue;
    if (f.from < period_from || f.from > period_to) continue;
    used = add_cents(used, f.amount_cents);
    used_precise += f.precise_amount ? plan.currency.to_cents_precise(*f.precise_amount) : Decimal(f.amount_cents);
  }
  if (commitment <= Decimal(used)) return;

  InvoiceFee f;
  f.kind = FeeKind::commitment;
  f.sub = &sub;
  f.amount_cents = to_cents(commitment - Decimal(used));
  f.precise_amount_cents = commitment - used_precise;
  f.explain_minimum_cents = commitment;
  if (days_active != days_total) {
    f.explain_days = days_active;
    f.explain_period_days = days_total;
  }
  f.units = Decimal(1);
  f.total_aggregated_units = Decimal(1);
  f.unit_amount_cents = f.amount_cents;
  f.precise_unit_amount = plan.currency.from_cents(f.precise_amount_cents);
  f.from = tz.start_of_day(period.first);
  f.to = tz.end_of_day(period.last);
  out.push_back(std::move(f));
}

}  // namespace tariff
