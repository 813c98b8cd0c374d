// volume: every unit is priced at the one range that holds the total
// (Lago ChargeModels::VolumeService).
//   range  = first with from ≤ ceil(units) and (to open or units ≤ to)   (ranges sorted by from)
//   amount = units × per_unit_amount + flat_amount
// e.g. 0–100 @2 +10, 101–200 @1, 201+ @0.5 +50: 100 units → 100·2 + 10 = 210;
// 100.5 units → ceil 101 → second range → 100.5·1 = 100.5; 0 units → first range → 10.
// Prorated (§3.9): the range is chosen with the full units, the per-unit part uses the
// prorated units, the flat is not prorated; unit_amount divides by the full units.
#include "charge_models/models.hpp"

namespace tariff::charge_models {

const ChargeRange* volume_range_for(const std::vector<ChargeRange>& ranges, const Decimal& units) {
  const Decimal up = units.ceil();
  for (const ChargeRange& r : ranges)
    if (r.from_value <= up && (!r.to_value || units <= *r.to_value)) return &r;
  return nullptr;
}

ChargeAmount volume(const ChargeProperties& p, const ChargeUsage& u) {
  ChargeAmount r;
  const Decimal& number_of_units = unit_basis(u);
  const ChargeRange* range = volume_range_for(p.volume_ranges, number_of_units);
  Decimal flat, per_unit_total;
  if (range) {  // none only for units outside every range (negative): Lago fails, we bill 0
    flat = range->flat_amount;
    per_unit_total = u.units_fraction ? u.units_fraction->of(range->per_unit_amount) : u.units * range->per_unit_amount;
  }
  r.amount = per_unit_total + flat;
  r.unit_amount = per_unit(r.amount, number_of_units);
  auto& d = r.amount_details;
  d["flat_unit_amount"] = decimal_json(flat);
  // Lago divides with Float#fdiv here; tariff keeps the exact quotient.
  d["per_unit_amount"] = decimal_json(per_unit(per_unit_total, number_of_units));
  d["per_unit_total_amount"] = decimal_json(per_unit_total);
  return r;
}

}  // namespace tariff::charge_models
