#include "usage/charge_fees.hpp"

#include "usage/taxes.hpp"
#include "snapshot/aggregates.hpp"

namespace tariff {

nlohmann::ordered_json decimal_json(const Decimal& d) { return d.to_string(); }

void price_fee(ChargeFee& fee, const Charge* charge, const Currency& cur) {
  Decimal amount = fee.model.amount;
  Decimal unit = fee.model.unit_amount;
  if (amount.is_negative()) amount = Decimal();
  if (unit.is_negative()) unit = Decimal();
  std::optional<Decimal> exact_cents;
  if (charge && charge->pricing_unit) {
    // §3.12: PU cents rounded to 2 places feed the fiat amount.
    const PricingUnit& pu = *charge->pricing_unit;
    const Decimal pu_cents = amount.round(2) * Decimal(100);
    const Decimal pu_unit_cents = (unit * Decimal(100)).truncate(0);
    const Decimal fiat = pu_cents * pu.conversion_rate / Decimal(100);
    const Decimal fiat_unit = pu_unit_cents * pu.conversion_rate / Decimal(100);
    nlohmann::ordered_json d;
    d["amount_cents"] = to_cents(pu_cents);
    d["precise_amount_cents"] = decimal_json(amount * Decimal(100));
    d["unit_amount_cents"] = to_cents(pu_unit_cents);
    d["precise_unit_amount"] = decimal_json(unit);
    d["conversion_rate"] = decimal_json(pu.conversion_rate);
    d["short_name"] = pu.short_name;
    d["pricing_unit_code"] = pu.code;
    fee.pricing_unit_details = d;
    amount = fiat;
    unit = fiat_unit;
    // The fee's cents from the exact conversion, rounded once to the currency: PU cents × rate
    // / 100 can need more than 18 places (a rate with 17–18 decimals).
    exact_cents = Decimal::mul_div(pu_cents, pu.conversion_rate, Decimal(100), cur.exponent) *
                  Decimal(cur.subunit_to_unit);
  }
  fee.amount = amount;
  fee.amount_cents = to_cents(exact_cents ? *exact_cents : cur.to_cents_rounded(amount));
  fee.precise_amount_cents = cur.to_cents_precise(amount);
  fee.unit_amount_cents = to_cents(cur.to_cents_precise(unit).truncate(0));
  fee.precise_unit_amount = unit;
}

std::vector<ChargeFee> charge_fees(const Snapshot& s, const Subscription& sub, const Charge& charge,
                                   const AggregationWindow& window, UsageMode mode, AggregationCache* cache) {
  std::vector<ChargeFee> out;
  if (!charge.metric) return out;
  AggregationWindow w = window;
  if (!w.values) w.values = &event_values(s);  // the snapshot's events: each value parsed once
  const BillableMetric& m = *charge.metric;
  const Currency& cur = sub.plan->currency;
  const bool prorated = charge.prorated && m.recurring;
  std::vector<AggregatedGroup> own;
  const std::vector<AggregatedGroup>* groups = &own;
  if (cache) {
    const auto& events = cache->events(s, sub.external_id, m, w);
    if (!s.usage_aggregates.empty()) check_aggregates_serve(charge, events);  // snapshot/aggregates.hpp
    groups = &cache->groups(s, sub.external_id, charge, w, prorated, cur);
  } else {
    const auto events = select_events(s, sub.external_id, m, w);
    if (!s.usage_aggregates.empty()) check_aggregates_serve(charge, events);
    own = aggregate_charge(charge, events, w, prorated, cur);
  }
  for (size_t i = 0; i < groups->size(); ++i) {
    const AggregatedGroup& g = (*groups)[i];
    const bool is_default = g.bucket == charge.filters.size();
    const ChargeFilter* filter = is_default ? nullptr : &charge.filters[g.bucket];
    const ChargeProperties& props = filter ? filter->properties : charge.properties;
    const auto& keys = filter ? filter->pricing_group_keys : charge.pricing_group_keys;
    ChargeFee fee;
    fee.charge = &charge;
    fee.filter = filter;
    fee.has_filters = !charge.filters.empty();
    fee.grouped = !keys.empty();
    fee.grouped_by = g.key;
    fee.agg = cache ? g.agg : std::move(own[i].agg);
    fee.model = compute_charge(props, fee.agg.usage);
    // Current usage shows unprorated units for advance and prorated charges (§14.1).
    const bool current = mode == UsageMode::current_usage && (charge.pay_in_advance || prorated);
    fee.units = current ? fee.agg.current_units : (prorated ? fee.agg.current_units : fee.agg.units);
    if (fee.units.is_negative() || fee.model.zeroed) {
      fee.units = Decimal();  // §3.13: the guard zeroes what the fee shows
      fee.agg.total_aggregated_units = Decimal();
    }
    price_fee(fee, &charge, cur);
    out.push_back(std::move(fee));
  }
  return out;
}

}  // namespace tariff
