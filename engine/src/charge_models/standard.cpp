// standard: amount = units × amount (Lago ChargeModels::StandardService).
// Prorated: units are the prorated ones; unit_amount divides by the full units.
#include "charge_models/models.hpp"

namespace tariff::charge_models {

ChargeAmount standard(const ChargeProperties& p, const ChargeUsage& u) {
  ChargeAmount r;
  r.amount = u.units_fraction ? u.units_fraction->of(p.amount) : u.units * p.amount;  // 12 units × 0.5 = 6.0
  r.unit_amount = per_unit(r.amount, unit_basis(u));
  return r;  // amount_details {}
}

}  // namespace tariff::charge_models
