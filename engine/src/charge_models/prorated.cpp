// Prorated graduated (§3.9; Lago ChargeModels::ProratedGraduatedService).
//
// Events come in time order, the carried total first, each as (full f, prorated p). The
// cumulative full sum F chooses the tier; the prorated sum is what gets priced. When an event
// pushes F past a tier's `to`, the part above overflows into the next tier and takes its
// prorated share with it (scaled by p/f). Adds with p = 0 (before the period) and removes
// that would drive F negative (their add was skipped) are ignored. Then:
//   amount = max(Σ prorated-in-tier × tier price, 0) + flats of every tier up to the one that
//            holds the maximum F reached;  0 if the final F < 0.
// e.g. f = [5, 5, 10, −6], p = [3.5, 2.66667, 2, −2.2], tiers 0–5 @10 +100, 6+ @5 +50:
//   3.5·10 + (2.66667 + 2 − 2.2)·5 + 100 + 50 = 35 + 12.33335 + 150 = 197.33335.
// unit_amount = amount / Σ f. amount_details {}.
//
// Exactly: the prorated values arrive as numerators over one denominator D (the charges
// duration, u.prorated_denominator), the event's share of an overflow is overflow × p / f
// computed as one product and one division (p / f = the event's days: an integer), and the
// tier sums are divided by D once, at the end. Lago's double coefficient (p.fdiv(f)) and an
// 18-place one both lose the last digits: 1 × 20/30 carried into a tier priced 3 is 2 exactly,
// but 3 × 0.666666666666666667 = 2.000000000000000001.
#include "charge_models/models.hpp"

namespace tariff::charge_models {
namespace {

using Ranges = std::vector<ChargeRange>;

// The tier for a cumulative full sum `full` (Lago's `range`), given the pending overflow and
// the next event's full value (nullptr when none).
const ChargeRange& tier_for(const Ranges& ranges, const Decimal& full, const Decimal& overflow,
                            const Decimal* next_full) {
  if (!full.is_positive()) return ranges[0];
  Decimal units = full;
  if (!overflow.is_zero())
    units = overflow.is_positive() ? full - overflow + Decimal(1) : full + overflow;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const ChargeRange& r = ranges[i];
    const bool at_to = r.to_value && units == *r.to_value;
    if (at_to && next_full && next_full->is_positive() && i + 1 < ranges.size()) return ranges[i + 1];
    if (at_to) return r;
    if (units >= r.from_value && (!r.to_value || units < *r.to_value)) return r;
  }
  return ranges[0];
}

Decimal overflow_of(const Decimal& full, const ChargeRange& r) {
  if (!r.to_value) return full - r.from_value + Decimal(1);
  if (full >= *r.to_value) return full - *r.to_value;
  return full - r.from_value + Decimal(1);
}

bool stays_in_tier(const Decimal& full, const ChargeRange& r) {
  if (!r.to_value) return full >= r.from_value - Decimal(1);
  return full < *r.to_value && full >= r.from_value;
}

// The prorated share of `amount` full units of `event`: amount × p / f, divided once.
Decimal share(const Decimal& amount, const std::pair<Decimal, Decimal>& event) {
  return event.first.is_zero() ? Decimal() : Decimal::mul_div(amount, event.second, event.first);
}

Decimal with_flats(const Ranges& ranges, Decimal result, const Decimal& final_full,
                   const Decimal& max_full) {
  if (final_full.is_negative()) return Decimal();
  if (result.is_negative()) result = Decimal();
  Decimal flat;
  for (const ChargeRange& r : ranges) {
    flat += r.flat_amount;
    if (!r.to_value || max_full <= *r.to_value) break;
  }
  return result + flat;
}

}  // namespace

ChargeAmount prorated_graduated(const ChargeProperties& p, const ChargeUsage& u) {
  ChargeAmount r;
  const Ranges& ranges = p.graduated_ranges;
  const auto& events = u.prorated_events;
  Decimal total_full;
  for (const auto& e : events) total_full += e.first;
  if (ranges.empty()) return r;
  if (u.units.is_zero()) {
    r.amount = with_flats(ranges, Decimal(), Decimal(), Decimal());
    r.unit_amount = per_unit(r.amount, total_full);
    return r;
  }

  const size_t n = events.size();
  size_t index = 0;
  Decimal overflow, full_sum, max_full_sum, prorated_sum, result;
  const ChargeRange* range = nullptr;
  // Each step either consumes an event or moves an overflow up at least one tier, so the walk
  // ends within (n + 1) × (tiers + 2) steps; the bound only protects against malformed tiers.
  size_t steps = (n + 1) * (ranges.size() + 2);
  while ((index < n || !overflow.is_zero()) && steps-- > 0) {
    const Decimal* next_full = index < n ? &events[index].first : nullptr;
    range = &tier_for(ranges, full_sum, overflow, next_full);

    if (!overflow.is_zero()) {
      // The part of the previous event above the last tier lands here.
      prorated_sum += share(overflow, events[index - 1]);
      if (range->to_value && full_sum >= *range->to_value) {  // it overflows this tier too
        overflow = full_sum - *range->to_value;
        prorated_sum -= share(overflow, events[index - 1]);
        result += prorated_sum * range->per_unit_amount;
        prorated_sum = Decimal();
        continue;
      }
      overflow = Decimal();
    }
    if (index >= n) break;

    const auto& [full, prorated] = events[index];
    if (prorated.is_zero() && full.is_positive()) { ++index; continue; }  // add before the period
    if (prorated.is_zero() && full.is_negative() && (full_sum + full).is_negative()) {
      ++index;  // remove whose add was skipped
      continue;
    }
    full_sum += full;
    if (full_sum > max_full_sum) max_full_sum = full_sum;
    prorated_sum += prorated;
    ++index;

    if (stays_in_tier(full_sum, *range)) continue;
    overflow = overflow_of(full_sum, *range);
    prorated_sum -= share(overflow, events[index - 1]);
    result += prorated_sum * range->per_unit_amount;
    prorated_sum = Decimal();
  }
  if (range) result += prorated_sum * range->per_unit_amount;  // the highest tier reached

  // result is a numerator over the prorated denominator: one division.
  result = Decimal::mul_div(result, Decimal(1), u.prorated_denominator);
  r.amount = with_flats(ranges, result, full_sum, max_full_sum);
  r.unit_amount = per_unit(r.amount, total_full);
  return r;
}

}  // namespace tariff::charge_models
