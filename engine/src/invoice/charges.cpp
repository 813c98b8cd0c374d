// Usage charge fees on an invoice (SEMANTICS §13 charge selection, §7.2 per-charge minimum).
//
// Which charges: invoiceable ones; pay-in-advance charges on non-recurring metrics were billed
// per event and never come back; pay-in-advance recurring ones are rebilled for the carried
// value except when the subscription ends (termination or upgrade); on an upgrade, arrears
// non-prorated recurring charges whose metric the new plan also charges move to the new plan.
// Fees with units = amount = events = 0 are dropped (after the minimum is checked), except
// the parent of a true-up: Lago keeps a fee that a true-up points to (Fees::ChargeService
// #should_persist_fee?: `fees.any? { |f| f.true_up_parent_fee == fee }`). The parent is the
// first fee without a charge filter (Lago's default bucket has an unsaved filter, id nil); a
// charge without one gets no true-up (CreateTrueUpService returns on a nil fee).
//
// Per-charge minimum (arrears only): prorated_min = min_amount_cents × days(charges window)
// / charges_duration (− 1 day on an upgrade), kept as that fraction: the shortfall is
// (min × days − used × duration) / duration, divided and rounded once. A shortfall adds a
// true-up fee right after the charge's fees: 2000 minimum, 1000 used over the full month →
// true-up 1000.
#include <algorithm>

#include "invoice/preview.hpp"
#include "charge_models/models.hpp"
#include "usage/charge_fees.hpp"

namespace tariff {
namespace {

bool plan_charges_metric(const Plan* plan, const BillableMetric* m) {
  if (!plan || !m) return false;
  for (const auto& c : plan->charges)
    if (c.metric && c.metric->code == m->code) return true;
  return false;
}

bool billed(const BilledSubscription& b, const Charge& c) {
  using C = BilledSubscription::Charges;
  if (!c.metric || !c.invoiceable) return false;
  const bool recurring = c.metric->recurring;
  if (c.pay_in_advance) return recurring && b.charges == C::projection;
  if (b.charges == C::upgraded && recurring && !c.prorated && plan_charges_metric(b.next_plan, c.metric))
    return false;
  return true;
}

InvoiceFee from_charge_fee(const Subscription& sub, ChargeFee&& cf, const Windows& w) {
  InvoiceFee f;
  f.kind = FeeKind::charge;
  f.sub = &sub;
  f.charge = cf.charge;
  f.filter = cf.filter;
  f.has_filters = cf.has_filters;
  f.grouped = cf.grouped;
  f.grouped_by = std::move(cf.grouped_by);
  f.amount_cents = cf.amount_cents;
  f.precise_amount_cents = cf.precise_amount_cents;
  f.units = cf.units;
  f.total_aggregated_units = cf.agg.total_aggregated_units;
  f.events_count = cf.agg.events_count;
  f.unit_amount_cents = cf.unit_amount_cents;
  f.precise_unit_amount = cf.precise_unit_amount;
  f.amount_details = std::move(cf.model.amount_details);
  f.pricing_unit_details = std::move(cf.pricing_unit_details);
  if (cf.agg.usage.prorated) {
    f.explain_prorated_period_days = w.charges_duration_days > 0 ? w.charges_duration_days : 1;
    f.explain_prorated_units = cf.agg.usage.units;
    f.explain_prorated = std::move(cf.agg.usage.prorated_events);
  }
  f.pay_in_advance = false;
  f.invoiceable = true;
  f.from = w.charges_from;
  f.to = w.charges_to;
  return f;
}

// §7.2: the true-up fee, if the charge's fees fall short of the prorated minimum.
std::optional<InvoiceFee> true_up(const Subscription& sub, const Charge& c, const std::vector<ChargeFee>& fees,
                                  const BilledSubscription& b) {
  if (c.pay_in_advance || !c.min_amount_cents || !c.min_amount_cents->is_positive()) return std::nullopt;
  const Windows& w = b.windows;
  if (w.charges_duration_days <= 0) return std::nullopt;
  int64_t days = day_count(w.charges_from, w.charges_to, b.dates.tz);
  if (b.dates.upgraded) days -= 1;
  if (days < 0) days = 0;
  const Decimal duration(w.charges_duration_days);
  const Decimal min_days = *c.min_amount_cents * Decimal(days);  // prorated_min = min_days / duration
  // prorated_min − x, exactly: (min_days − x × duration) / duration, rounded once at `places`.
  auto short_of = [&](const Decimal& x, int places = Decimal::kScale) {
    return Decimal::mul_div(min_days - x * duration, Decimal(1), duration, places);
  };
  const Currency& cur = sub.plan->currency;
  Decimal used, used_precise;
  for (const auto& f : fees) {
    if (c.pricing_unit && f.pricing_unit_details) {
      used += Decimal((*f.pricing_unit_details)["amount_cents"].get<int64_t>());
      used_precise += f.model.amount.is_negative() ? Decimal() : f.model.amount * Decimal(100);
    } else {
      used += Decimal(f.amount_cents);
      used_precise += f.precise_amount_cents;
    }
  }
  if (used * duration >= min_days) return std::nullopt;  // used ≥ prorated_min
  InvoiceFee t;
  t.kind = FeeKind::charge;
  t.sub = &sub;
  t.charge = &c;
  t.true_up = true;
  t.has_filters = false;
  if (c.pricing_unit) {
    // Both sides in pricing-unit cents, then converted (§3.12): 1000 PU cents short × 0.25 → 250.
    const Decimal pu_cents = short_of(used, 0);
    const Decimal fiat = Decimal::mul_div(pu_cents, c.pricing_unit->conversion_rate, Decimal(100));
    t.amount_cents = to_cents(cur.to_cents_rounded(fiat));
    // (min_days − used_precise × duration) × rate / (duration × 100), one division.
    const Decimal pu_precise = min_days - used_precise * duration;
    t.precise_amount_cents = cur.to_cents_precise(
        Decimal::mul_div(pu_precise, c.pricing_unit->conversion_rate, duration * Decimal(100)));
    t.pricing_unit_details = ojson{{"amount_cents", to_cents(pu_cents)},
                                   {"precise_amount_cents", short_of(used_precise).to_string()},
                                   {"unit_amount_cents", to_cents(pu_cents)},
                                   {"precise_unit_amount", (pu_cents / Decimal(100)).to_string()},
                                   {"conversion_rate", c.pricing_unit->conversion_rate.to_string()},
                                   {"short_name", c.pricing_unit->short_name},
                                   {"pricing_unit_code", c.pricing_unit->code}};
  } else {
    t.amount_cents = to_cents(short_of(used, 0));
    t.precise_amount_cents = short_of(used_precise);
  }
  if (t.amount_cents <= 0) return std::nullopt;
  t.units = Decimal(1);
  t.total_aggregated_units = Decimal(1);
  t.events_count = 0;
  t.explain_days = days;
  t.explain_period_days = w.charges_duration_days;
  t.explain_minimum_cents = Decimal::mul_div(min_days, Decimal(1), duration);
  t.unit_amount_cents = t.amount_cents;
  t.precise_unit_amount = cur.from_cents(t.precise_amount_cents);
  t.from = w.charges_from;
  t.to = w.charges_to;
  return t;
}

// What an invoice's amounts read of a fee (compare_plans' projected invoice is priced, never
// written): no amount_details, group keys or per-event usage, which only its JSON shows.
ChargeFee totals_only(const ChargeFee& f) {
  ChargeFee o;
  o.charge = f.charge;
  o.filter = f.filter;
  o.has_filters = f.has_filters;
  o.grouped = f.grouped;
  o.agg.units = f.agg.units;
  o.agg.total_aggregated_units = f.agg.total_aggregated_units;
  o.agg.events_count = f.agg.events_count;
  o.agg.current_units = f.agg.current_units;
  o.model.amount = f.model.amount;
  o.model.unit_amount = f.model.unit_amount;
  o.model.zeroed = f.model.zeroed;
  o.units = f.units;
  o.amount = f.amount;
  o.amount_cents = f.amount_cents;
  o.precise_amount_cents = f.precise_amount_cents;
  o.unit_amount_cents = f.unit_amount_cents;
  o.precise_unit_amount = f.precise_unit_amount;
  o.pricing_unit_details = f.pricing_unit_details;
  return o;
}

// The charge's fees with usage projected to the period end (projected_usage's rule), for
// their amounts only (totals_only).
std::vector<ChargeFee> projected_fees(const std::vector<ChargeFee>& fees, const Charge& c, const Ratio& ratio,
                                      const Currency& cur) {
  std::vector<ChargeFee> out;
  out.reserve(fees.size());
  for (const ChargeFee& src : fees) {
    ChargeFee& f = out.emplace_back(totals_only(src));
    if (c.metric->recurring) continue;
    const ChargeProperties& props = f.filter ? f.filter->properties : c.properties;
    const ProjectedCharge pc = project_charge(props, src.agg.usage, ratio);
    f.model.amount = pc.amount;
    f.model.unit_amount = charge_models::per_unit(pc.amount, pc.units);
    f.units = pc.units;
    price_fee(f, &c, cur);
  }
  return out;
}

void push_fees(const Subscription& sub, const Charge& c, std::vector<ChargeFee> fees, const BilledSubscription& b,
               std::vector<InvoiceFee>& out) {
  const auto parent = std::find_if(fees.begin(), fees.end(), [](const ChargeFee& f) { return f.filter == nullptr; });
  std::optional<InvoiceFee> t;
  if (parent != fees.end()) t = true_up(sub, c, fees, b);
  for (auto& cf : fees) {
    const bool is_parent = t && &cf == &*parent;
    if (!is_parent && cf.units.is_zero() && cf.amount_cents == 0 && cf.precise_amount_cents.is_zero() &&
        cf.agg.events_count == 0)
      continue;  // §13: empty charge fees vanish from invoices (not a true-up's parent)
    out.push_back(from_charge_fee(sub, std::move(cf), b.windows));
  }
  if (t) out.push_back(std::move(*t));
}

}  // namespace

void add_charge_fees(const Snapshot& s, const BilledSubscription& b, std::vector<InvoiceFee>& out,
                     const ChargeProjection* projected, AggregationCache* cache) {
  if (b.charges == BilledSubscription::Charges::none || !b.windows.charges_billed) return;
  const Subscription& sub = *b.sub;
  const Windows& w = b.windows;
  AggregationWindow aw;
  aw.from = w.charges_from;
  aw.to = w.charges_to;
  aw.charges_duration = w.charges_duration_days;
  aw.upgraded = b.dates.upgraded;
  aw.tz = b.dates.tz;
  for (const Charge& c : sub.plan->charges) {
    if (!billed(b, c)) continue;
    std::vector<ChargeFee> fees = charge_fees(s, sub, c, aw, UsageMode::invoice, cache);
    if (projected && projected->out)
      push_fees(sub, c, projected_fees(fees, c, projected->ratio, sub.plan->currency), b, *projected->out);
    push_fees(sub, c, std::move(fees), b, out);
  }
}

}  // namespace tariff
