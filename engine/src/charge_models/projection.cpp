// project_charge (§14.2; Lago Fees::ProjectionService + each model's compute_projected_amount).
//
// ratio = elapsed days / period days, in (0, 1], carried as that fraction: dividing by it is
// one multiplication by the period days and one division by the elapsed days, rounded once
// (1.01 units after 20 of 30 days: 1.01 × 30 / 20 = 1.515 → 1.52; by a ratio cut to
// 0.666666666666666667 it was 1.514999999999999999 → 1.51). Projected units pu = round(units / ratio, 2).
//   standard              pu × amount
//   graduated             fill tiers in order up to each `to` (capacity = to − units already
//                         priced); a tier's flat only if it receives units; pu = 0 → 0
//   package               ceil((pu − free_units) / package_size) × amount; ≤ 0 paid → 0
//   volume                range of pu (as §3.6): pu × per_unit_amount + flat; pu = 0 → 0
//   percentage, graduated_percentage, dynamic, prorated graduated:  amount / ratio
// e.g. 3 units @10 on 3 July with ratio 3/31: pu = 31.0 → 310.0.
// Amount and units are never negative (Lago floors both at 0 after the model).
#include "charge_models/models.hpp"

namespace tariff {
namespace {

using namespace charge_models;

Decimal projected_graduated(const ChargeProperties& p, const Decimal& pu) {
  if (pu.is_zero()) return Decimal();
  Decimal remaining = pu, priced, total;
  for (const ChargeRange& r : p.graduated_ranges) {
    Decimal in_tier = remaining;
    if (r.to_value) in_tier = min(remaining, *r.to_value - priced);
    if (in_tier.is_positive()) {
      total += in_tier * r.per_unit_amount + r.flat_amount;  // 10 units @5 + 3 flat = 53
      remaining -= in_tier;
      priced += in_tier;
    }
    if (!remaining.is_positive()) break;
  }
  return total;
}

Decimal projected_package(const ChargeProperties& p, const Decimal& pu) {
  if (pu.is_zero()) return Decimal();
  const Decimal paid = pu - Decimal(p.free_units);
  if (!paid.is_positive()) return Decimal();
  return packages_for(paid, p.package_size) * p.amount;
}

Decimal projected_volume(const ChargeProperties& p, const Decimal& pu) {
  if (pu.is_zero()) return Decimal();
  const ChargeRange* r = volume_range_for(p.volume_ranges, pu);
  if (!r) return Decimal();
  return pu * r->per_unit_amount + r->flat_amount;
}

}  // namespace

ProjectedCharge project_charge(const ChargeProperties& p, const ChargeUsage& u, const Ratio& ratio) {
  ProjectedCharge out;
  if (ratio.sign() <= 0 || ratio.above_one()) return out;  // Lago projects nothing here

  const Decimal pu = u.units.is_zero() ? Decimal() : ratio.divide(u.units, 2);
  Decimal amount;
  const bool by_ratio = p.model == ChargeModel::percentage ||
                        p.model == ChargeModel::graduated_percentage ||
                        p.model == ChargeModel::dynamic ||
                        (p.model == ChargeModel::graduated && u.prorated);
  if (by_ratio) {
    // The current amount (before the §3.13 guard, as Lago's model computes it) / ratio.
    ChargeAmount current;
    switch (p.model) {
      case ChargeModel::percentage: current = percentage(p, u); break;
      case ChargeModel::graduated_percentage: current = graduated_percentage(p, u); break;
      case ChargeModel::dynamic: current = dynamic(p, u); break;
      default: current = prorated_graduated(p, u); break;
    }
    if (!current.amount.is_zero()) amount = ratio.divide(current.amount);
  } else {
    switch (p.model) {
      case ChargeModel::standard: amount = pu * p.amount; break;
      case ChargeModel::graduated: amount = projected_graduated(p, pu); break;
      case ChargeModel::package: amount = projected_package(p, pu); break;
      case ChargeModel::volume: amount = projected_volume(p, pu); break;
      default: break;
    }
  }
  out.amount = amount.is_negative() ? Decimal() : amount;
  out.units = pu.is_negative() ? Decimal() : pu;
  return out;
}

}  // namespace tariff
