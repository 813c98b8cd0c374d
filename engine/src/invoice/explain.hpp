// Every cent explained (docs/explain.md): the lines that make a fee's amount, added to each fee
// as `explanation` when the request says `"explain": true`.
//
// A line is {"type", ...what it counts..., "amount"}: `amount` is an exact decimal in the fee's
// currency (major units, as the fee's `precise_amount`), and the lines of a fee sum exactly to
// its `precise_amount`. Lines are read from what the fee builders already computed (the charge
// model's amount_details, the proration days, the minimum a true-up or a commitment measures):
// nothing here prices anything again.
//
//   graduated 0–10 @1.00 + 2.00 flat, 11–∞ @0.50; 12 units:
//     graduated_tier 10 units × 1.00 + 2.00 = 12.00;  graduated_tier 2 × 0.50 = 1.00;  Σ 13.00
//
// Where a quotient does not end within 18 decimals (days / period days, a pricing-unit
// conversion), the line carrying that division takes the fee's amount minus the other lines:
// the only rounding is the one the fee itself made, in the line that made it.
#pragma once

#include "invoice/preview.hpp"

namespace tariff {

ojson explain_fee(const InvoiceFee& f, const Currency& cur);

}  // namespace tariff
