// percentage: a rate (%) of the units past a free allowance, a fixed fee per paying event,
// optionally clamped per transaction (Lago ChargeModels::PercentageService; §3.5).
//
// Free allowance, from the running totals R (cumulative event values, time order):
//   sum-like:   N > 0 → totals of the first N values; else A > 0 → totals while the previous
//               total ≤ A (the crossing one included); else empty.
//   count-like: 1..units when N or A is set.
//   FU (free units)  = 0 if R empty or last(R) = 0; R[N−1] if 0 < N < |R|;
//                      last(R) if A = 0 or last(R) ≤ A; else A.
//   FE (free events) = min of the non-zero among {N, #(R < A)}, else 0.
// Without min/max: (units − FU) × rate/100 (0 if FU > units) + (count − FE) × fixed_amount
// (0 if units = 0 or FE ≥ count).
// e.g. 800 units, 4 events, R = [50, 150, 400], N = 3, A = 250, rate 1.3, fixed 2:
//   FU = 250, FE = min(3, 2) = 2 → 550 × 1.3 % + 2 × 2 = 7.15 + 4 = 11.15.
// With per-transaction min or max (premium): each event in time order, free ones first
// (counters n = N, a = A), then clamp(v × rate/100 + fixed, min, max), summed.
// e.g. 10, 80, 10 000 @2.99 %, min 1.75, max 12: 1.75 + 2.392 + 12 = 16.142.
#include "charge_models/models.hpp"

#include <algorithm>

namespace tariff::charge_models {
namespace {

bool count_like(AggregationKind k) {
  return k == AggregationKind::count || k == AggregationKind::unique_count;
}

std::vector<Decimal> running_totals(const ChargeProperties& p, const ChargeUsage& u) {
  if (u.running_total) return *u.running_total;
  std::vector<Decimal> r;
  const int64_t n = p.free_units_per_events;
  const Decimal& a = p.free_units_per_total_aggregation;
  if (n == 0 && a.is_zero()) return r;
  if (count_like(u.aggregation)) {
    // Lago: (1..aggregation).to_a
    const int64_t count = u.units.is_negative() ? 0 : u.units.floor().to_int64();
    for (int64_t i = 1; i <= count; ++i) r.push_back(Decimal(i));
    return r;
  }
  if (u.aggregation != AggregationKind::sum) return r;  // max/latest/weighted: no running total
  Decimal total;
  if (n > 0) {
    for (size_t i = 0; i < u.event_values.size() && static_cast<int64_t>(i) < n; ++i)
      r.push_back(total += u.event_values[i]);
    return r;
  }
  for (const Decimal& v : u.event_values) {
    if (a < total) break;  // the previous total already passed A
    r.push_back(total += v);
  }
  return r;
}

Decimal free_units_value(const ChargeProperties& p, const std::vector<Decimal>& r) {
  const Decimal last = r.empty() ? Decimal() : r.back();
  if (last.is_zero()) return Decimal();
  const int64_t n = p.free_units_per_events;
  if (n > 0 && n < static_cast<int64_t>(r.size())) return r[static_cast<size_t>(n - 1)];
  const Decimal& a = p.free_units_per_total_aggregation;
  if (a.is_zero() || last <= a) return last;
  return a;
}

int64_t free_units_count(const ChargeProperties& p, const std::vector<Decimal>& r) {
  const Decimal& a = p.free_units_per_total_aggregation;
  const int64_t below = std::count_if(r.begin(), r.end(), [&](const Decimal& t) { return t < a; });
  const int64_t n = p.free_units_per_events;
  if (n != 0 && below != 0) return std::min(n, below);
  return n != 0 ? n : below;
}

// Each event's value for the per-transaction path (Lago's per_event_aggregation): the values
// themselves for sum-like metrics; 1 per event for count-like ones when not given.
std::vector<Decimal> transaction_values(const ChargeUsage& u) {
  if (!u.event_values.empty() || !count_like(u.aggregation)) return u.event_values;
  return std::vector<Decimal>(static_cast<size_t>(std::max<int64_t>(u.events_count, 0)), Decimal(1));
}

Decimal amount_with_transaction_min_max(const ChargeProperties& p, const ChargeUsage& u) {
  int64_t free_events = p.free_units_per_events;
  Decimal free_amount = p.free_units_per_total_aggregation;
  Decimal total;
  for (Decimal value : transaction_values(u)) {
    if (free_events > 0 || free_amount.is_positive()) {
      free_events -= 1;
      if (!free_amount.is_positive()) continue;  // a free event
      if (free_amount > value) {                  // fully covered by the free amount
        free_amount -= value;
        continue;
      }
      value -= free_amount;  // partly covered: the rest pays, and nothing stays free
      free_amount = Decimal();
      free_events = 0;
    }
    Decimal amount = Decimal::mul_div(value, p.rate, Decimal(100)) + p.fixed_amount;
    if (p.per_transaction_min_amount && amount < *p.per_transaction_min_amount)
      amount = *p.per_transaction_min_amount;
    else if (p.per_transaction_max_amount && amount > *p.per_transaction_max_amount)
      amount = *p.per_transaction_max_amount;
    total += amount;
  }
  return total;
}

}  // namespace

ChargeAmount percentage(const ChargeProperties& p, const ChargeUsage& u) {
  ChargeAmount r;
  const std::vector<Decimal> totals = running_totals(p, u);
  const Decimal free_units = free_units_value(p, totals);
  const int64_t free_count = free_units_count(p, totals);
  const int64_t count = u.events_count;

  const bool over_free = free_units > u.units;  // Lago returns the integer 0 here
  const Decimal percentage_amount =
      over_free ? Decimal() : Decimal::mul_div(u.units - free_units, p.rate, Decimal(100));  // one rounding
  Decimal fixed_total;
  if (!u.units.is_zero() && free_count < count)
    fixed_total = Decimal(count - free_count) * p.fixed_amount;

  const bool min_max = p.per_transaction_min_amount || p.per_transaction_max_amount;
  const Decimal min_max_total = min_max ? amount_with_transaction_min_max(p, u) : Decimal();
  r.amount = min_max ? min_max_total : percentage_amount + fixed_total;
  r.unit_amount = per_unit(r.amount, unit_basis(u));

  Decimal paid_units = u.units - free_units;
  if (paid_units.is_negative()) paid_units = Decimal();
  const int64_t free_events = count >= free_count ? free_count : count;
  const int64_t paid_events = count - free_events;
  auto& d = r.amount_details;
  d["units"] = decimal_json(u.units);
  d["free_units"] = decimal_json(free_units);
  d["free_events"] = free_events;
  d["paid_units"] = decimal_json(paid_units);
  d["rate"] = decimal_json(p.rate);
  d["per_unit_total_amount"] =
      over_free ? nlohmann::ordered_json(0) : decimal_json(percentage_amount);
  d["paid_events"] = paid_events;
  d["fixed_fee_unit_amount"] = decimal_json(paid_events > 0 ? p.fixed_amount : Decimal());
  d["fixed_fee_total_amount"] = decimal_json(fixed_total);
  d["min_max_adjustment_total_amount"] =
      decimal_json(min_max ? min_max_total - percentage_amount - fixed_total : Decimal());
  return r;
}

}  // namespace tariff::charge_models
