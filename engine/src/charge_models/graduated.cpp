// graduated: each tier bills the units that fall in it at its own price, plus its flat fee
// (Lago ChargeModels::GraduatedService + AmountDetails::RangeGraduatedService).
//
// Tiers are walked in order; the first is always billed, even at 0 units (its flat is due),
// and the walk stops after the first tier whose `to` is open or ≥ units. Units in a tier:
//   eff = min(units, to)
//   from = 0           → eff
//   adjacent ranges    → eff − from       (every from_i = to_{i−1}: 0–0.1, 0.1–1, 1–∞)
//   classic ranges     → eff − from + 1   (from_i = to_{i−1} + 1: 0–10, 11–20, 21–∞)
// e.g. 0–10 @10 +2, 11–20 @5 +3, 12 units: (10·10 + 2) + (2·5 + 3) = 115.
#include "charge_models/models.hpp"

namespace tariff::charge_models {
namespace {

bool adjacent(const std::vector<ChargeRange>& ranges) {
  if (ranges.size() < 2) return false;
  for (size_t i = 1; i < ranges.size(); ++i) {
    const Decimal prev_to = ranges[i - 1].to_value.value_or(Decimal());
    if (ranges[i].from_value != prev_to) return false;
  }
  return true;
}

Decimal units_in_range(const ChargeRange& r, const Decimal& total, bool adjacent_model) {
  const Decimal eff = (r.to_value && total >= *r.to_value) ? *r.to_value : total;
  if (r.from_value.is_zero()) return eff;
  const Decimal diff = eff - r.from_value;
  return adjacent_model ? diff : diff + Decimal(1);
}

}  // namespace

ChargeAmount graduated(const ChargeProperties& p, const ChargeUsage& u) {
  ChargeAmount r;
  const bool adj = adjacent(p.graduated_ranges);
  nlohmann::ordered_json details = nlohmann::ordered_json::array();
  Decimal total;
  for (const ChargeRange& range : p.graduated_ranges) {
    const Decimal units = units_in_range(range, u.units, adj);
    const Decimal price = units.is_zero() ? Decimal() : range.per_unit_amount;
    const Decimal per_unit_total = units * price;
    const Decimal with_flat = per_unit_total + range.flat_amount;
    total += with_flat;
    nlohmann::ordered_json d;
    d["from_value"] = range.from_value_json;
    d["to_value"] = range.to_value_json;
    d["flat_unit_amount"] = decimal_json(range.flat_amount);
    d["per_unit_amount"] = decimal_json(price);
    d["units"] = decimal_json(units);
    d["per_unit_total_amount"] = decimal_json(per_unit_total);
    d["total_with_flat_amount"] = decimal_json(with_flat);
    details.push_back(std::move(d));
    if (!range.to_value || *range.to_value >= u.units) break;
  }
  r.amount_details["graduated_ranges"] = std::move(details);
  // Before a persisted pay-in-advance event at 0 units the first flat is not counted, so the
  // first event pays it: cost(1) − cost(0, exclude_event) includes the flat.
  r.amount = (u.units.is_zero() && u.exclude_event) ? Decimal() : total;
  r.unit_amount = per_unit(r.amount, unit_basis(u));
  return r;
}

}  // namespace tariff::charge_models
