// ISO 4217 currencies as Lago accepts them, with the money gem's exponents (SEMANTICS §1).
// `exponent` is the number of decimals an amount is rounded to; `subunit_to_unit` turns major
// units into `*_amount_cents` (10^exponent, except MRO: exponent 1, subunit 5 — Lago's quirk).
#pragma once

#include <optional>
#include <string_view>

#include "tariff/decimal.hpp"

namespace tariff {

struct Currency {
  std::string_view code;
  int exponent = 2;
  int subunit_to_unit = 100;

  // Lago's fee rounding: round(amount, exponent) × subunit_to_unit, as integer cents.
  Decimal to_cents_rounded(const Decimal& major) const {
    return major.round(exponent) * Decimal(subunit_to_unit);
  }
  // Unrounded: amount × subunit_to_unit.
  Decimal to_cents_precise(const Decimal& major) const { return major * Decimal(subunit_to_unit); }
  Decimal from_cents(const Decimal& cents) const { return cents / Decimal(subunit_to_unit); }
};

std::optional<Currency> find_currency(std::string_view code);

}  // namespace tariff
