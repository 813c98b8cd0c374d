// dynamic: the events carry their own price. amount = Σ precise_total_amount_cents / subunit,
// computed by the aggregation and passed in as usage.dynamic_amount; 0 when units = 0
// (Lago ChargeModels::DynamicService). amount_details {}.
#include "charge_models/models.hpp"

namespace tariff::charge_models {

ChargeAmount dynamic(const ChargeProperties&, const ChargeUsage& u) {
  ChargeAmount r;
  const Decimal& units = unit_basis(u);
  if (units.is_zero()) return r;
  r.amount = u.dynamic_amount;
  r.unit_amount = per_unit(r.amount, units);
  return r;
}

}  // namespace tariff::charge_models
