// compute_charge: picks the model's function and applies Lago's guard (§3.13) once.
// Prorated graduated replaces graduated when the usage is prorated (Lago's factory does the
// same when it has per-event data).
#include "charge_models/models.hpp"

namespace tariff {

ChargeAmount compute_charge(const ChargeProperties& p, const ChargeUsage& u) {
  using namespace charge_models;
  ChargeAmount r;
  switch (p.model) {
    case ChargeModel::standard: r = standard(p, u); break;
    case ChargeModel::graduated: r = u.prorated ? prorated_graduated(p, u) : graduated(p, u); break;
    case ChargeModel::graduated_percentage: r = graduated_percentage(p, u); break;
    case ChargeModel::package: r = package(p, u); break;
    case ChargeModel::percentage: r = percentage(p, u); break;
    case ChargeModel::volume: r = volume(p, u); break;
    case ChargeModel::dynamic: r = dynamic(p, u); break;
  }
  // Fees::ChargeService: negative units or amount → no fee value at all (details kept).
  if (u.units.is_negative() || r.amount.is_negative()) {
    r.amount = Decimal();
    r.unit_amount = Decimal();
    r.zeroed = true;
  }
  return r;
}

}  // namespace tariff
