// What was already billed (docs/billing.md): snapshot.invoices[], each an invoice as the `bill`
// operation returned it (its fees and invoice_subscriptions), as the server stored it. Absent,
// history is implied by dates (CONTRACT §1) and every old snapshot keeps its meaning.
//
// Read here: each fee's subscription, type, window, amounts, coupons and tax rate, and whether
// its invoice was voided. Used by the termination credit (Lago's CreditNotes::CreateFromTermination
// reads the last subscription fee) and, in `bill`, by the invoice_subscriptions that make a
// period billable once. Nothing here is recomputed: a stored fee is taken as it was issued.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"
#include "tariff/time.hpp"

namespace tariff {

struct BilledFee {
  std::string external_subscription_id, plan_code, fee_type;  // "subscription", "charge", ...
  bool pay_in_advance = false;
  bool voided = false;                   // its invoice's status is "voided"
  Instant from{}, to{};
  int64_t amount_cents = 0;
  std::optional<Decimal> precise_amount;  // major units, as the Fee serializer prints it
  Decimal precise_coupons_amount_cents;
  Decimal taxes_rate;                    // percent
  std::optional<int64_t> plan_amount_cents;  // amount_details.plan_amount_cents
  size_t order = 0;                      // input order (the later, the more recent)
};

struct Snapshot;
class Reader;
// Reads snapshot.invoices[] into s.billed_fees (called by parse_snapshot).
void parse_history(const nlohmann::json& doc, Snapshot& s, Reader& r);

}  // namespace tariff
