// Internal: one pure function per charge model, dispatched by compute_charge().
//
// Each returns the model's raw result: amount (unrounded, possibly negative), unit_amount and
// amount_details exactly as Lago builds them. The §3.13 guard is applied once, by the caller
// (charge_models.cpp). `decimal_json` prints a decimal as Lago's JSON does for a BigDecimal:
// a string in BigDecimal#to_s('F') form ("2.0").
#pragma once

#include "tariff/charge_models.hpp"

namespace tariff::charge_models {

inline nlohmann::ordered_json decimal_json(const Decimal& d) { return d.to_string(); }

// amount / units, or 0 when units = 0 (Lago's `return 0 if total_units.zero?`).
inline Decimal per_unit(const Decimal& amount, const Decimal& units) {
  return units.is_zero() ? Decimal() : amount / units;
}

// ceil(paid / size) computed exactly: the quotient is rounded at 18 decimals, so the
// product check settles the last package (10.000000000000000001 / 10 → 2 packages).
inline Decimal packages_for(const Decimal& paid, int64_t size) {
  const Decimal s(size);
  Decimal q = (paid / s).floor();
  if (q * s < paid) q += Decimal(1);
  return q;
}

// The denominator Lago uses for unit_amount: full units when prorated, else units.
inline const Decimal& unit_basis(const ChargeUsage& u) { return u.prorated ? u.full_units : u.units; }

ChargeAmount standard(const ChargeProperties& p, const ChargeUsage& u);
ChargeAmount graduated(const ChargeProperties& p, const ChargeUsage& u);
ChargeAmount graduated_percentage(const ChargeProperties& p, const ChargeUsage& u);
ChargeAmount package(const ChargeProperties& p, const ChargeUsage& u);
ChargeAmount percentage(const ChargeProperties& p, const ChargeUsage& u);
ChargeAmount volume(const ChargeProperties& p, const ChargeUsage& u);
ChargeAmount dynamic(const ChargeProperties& p, const ChargeUsage& u);
ChargeAmount prorated_graduated(const ChargeProperties& p, const ChargeUsage& u);

// The volume range holding `units`: from ≤ ceil(units) and (to open or units ≤ to).
const ChargeRange* volume_range_for(const std::vector<ChargeRange>& ranges, const Decimal& units);

}  // namespace tariff::charge_models
