// package: units are sold in packages of `package_size`; a started package is due in full
// (Lago ChargeModels::PackageService).
//   paid   = units − free_units
//   amount = 0 if paid < 0, else ceil(paid / package_size) × amount
// e.g. 121 units, packages of 10 @100: ceil(121/10) = 13 → 1300; 10 free: ceil(111/10) = 12 → 1200.
// unit_amount = amount / paid (0 when paid ≤ 0).
#include "charge_models/models.hpp"

namespace tariff::charge_models {

ChargeAmount package(const ChargeProperties& p, const ChargeUsage& u) {
  ChargeAmount r;
  const Decimal free = Decimal(p.free_units);
  const Decimal paid = u.units - free;
  if (!paid.is_negative()) {
    r.amount = packages_for(paid, p.package_size) * p.amount;
  }
  r.unit_amount = paid.is_positive() ? r.amount / paid : Decimal();

  auto& d = r.amount_details;
  if (u.units.is_zero()) {
    // Lago's literal zero document for an unused package charge.
    d["free_units"] = "0.0";
    d["paid_units"] = "0.0";
    d["per_package_size"] = 0;
    d["per_package_unit_amount"] = "0.0";
    return r;
  }
  d["free_units"] = decimal_json(free);
  d["paid_units"] = paid.is_negative() ? nlohmann::ordered_json("0.0") : decimal_json(paid);
  d["per_package_size"] = p.package_size;
  d["per_package_unit_amount"] = decimal_json(p.amount);
  return r;
}

}  // namespace tariff::charge_models
