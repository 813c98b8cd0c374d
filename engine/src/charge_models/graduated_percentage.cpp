// graduated_percentage: tiers of a rate (%) of the units, plus a flat per reached tier
// (Lago ChargeModels::GraduatedPercentageService + RangeGraduatedPercentageService).
//
// Walk as graduated, always with the classic split:
//   units ≥ to   → to − max(from, 1) + 1      (0–10 full: 10 units)
//   from = 0     → units
//   else         → units − from + 1
// tier total = units_in × rate / 100 + flat. e.g. 0–10 1 % +200, 11–20 2 % +300 at 11 units:
// (10 × 1 % + 200) + (1 × 2 % + 300) = 200.10 + 300.02 = 500.12.
#include "charge_models/models.hpp"

namespace tariff::charge_models {
namespace {

Decimal units_in_range(const ChargeRange& r, const Decimal& total) {
  if (r.to_value && total >= *r.to_value)
    return *r.to_value - (r.from_value.is_zero() ? Decimal(1) : r.from_value) + Decimal(1);
  if (r.from_value.is_zero()) return total;
  return total - r.from_value + Decimal(1);
}

}  // namespace

ChargeAmount graduated_percentage(const ChargeProperties& p, const ChargeUsage& u) {
  ChargeAmount r;
  nlohmann::ordered_json details = nlohmann::ordered_json::array();
  Decimal total;
  const bool drop_flat = u.units.is_zero() && u.exclude_event;
  for (const ChargeRange& range : p.graduated_percentage_ranges) {
    const Decimal units = units_in_range(range, u.units);
    const Decimal per_unit_total = Decimal::mul_div(units, range.rate, Decimal(100));  // one rounding
    const Decimal with_flat = per_unit_total + range.flat_amount;
    nlohmann::ordered_json d;
    d["from_value"] = range.from_value_json;
    d["to_value"] = range.to_value_json;
    d["flat_unit_amount"] = decimal_json(range.flat_amount);
    d["rate"] = decimal_json(range.rate);
    d["units"] = decimal_json(units);
    d["per_unit_total_amount"] = decimal_json(per_unit_total);
    d["total_with_flat_amount"] = decimal_json(with_flat);
    if (drop_flat) {
      // Lago merges integer zeros here: cost(0 units, exclude_event) has no flat.
      d["flat_unit_amount"] = 0;
      d["total_with_flat_amount"] = 0;
    } else {
      total += with_flat;
    }
    details.push_back(std::move(d));
    if (!range.to_value || *range.to_value >= u.units) break;
  }
  r.amount_details["graduated_percentage_ranges"] = std::move(details);
  r.amount = total;
  r.unit_amount = per_unit(r.amount, unit_basis(u));
  return r;
}

}  // namespace tariff::charge_models
