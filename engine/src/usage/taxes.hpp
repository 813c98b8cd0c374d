// Taxes (SEMANTICS §8). A fee's taxes come from the first non-empty level of its hierarchy;
// all taxes of that level apply to the same base (no compounding). Per fee, each tax is
// base × rate / 100 unrounded and the fee's taxes_amount_cents = round(Σ). Per invoice, each
// tax is round(Σ_fees base × rate / 100) and the invoice total is round(Σ unrounded taxes) —
// never the sum of the fees' roundings. Each base × rate / 100 is one product and one
// division. An applied tax's fees_amount_cents is Σ bases truncated: Lago assigns the decimal
// sum to an integer (bigint) column, which casts with to_i (466.66667 → 466, not 467).
#pragma once

#include <vector>

#include "snapshot/snapshot.hpp"

namespace tariff {

// First non-empty level wins: `own` (add-on/charge/fixed charge/commitment) → plan →
// customer → organization.
TaxList select_taxes(const std::optional<TaxList>& own, const Plan& plan, const Snapshot& s);

struct FeeTaxes {
  Decimal rate;            // Σ rates, percent
  Decimal precise;         // Σ base × rate / 100, in cents
  int64_t amount_cents = 0;
};
FeeTaxes fee_taxes(const Decimal& base_cents, const TaxList& taxes);

struct AppliedTax {
  const Tax* tax = nullptr;
  Decimal fees_base;          // Σ bases (cents, with the coupons' decimals)
  Decimal precise;            // Σ base × rate / 100
  int64_t amount_cents = 0;
  int64_t fees_amount_cents = 0;  // Σ bases truncated toward zero (Lago's integer column)
};
struct InvoiceTaxes {
  std::vector<AppliedTax> applied;  // in order of first appearance
  int64_t amount_cents = 0;
};
struct TaxedBase {
  Decimal base_cents;
  const TaxList* taxes;
};
InvoiceTaxes invoice_taxes(const std::vector<TaxedBase>& fees);

int64_t to_cents(const Decimal& d);  // an already-integral Decimal → int64 (throws if out of range)

}  // namespace tariff
