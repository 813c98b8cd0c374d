// Progressive billing (SEMANTICS §11; docs/progressive_billing.md): usage thresholds checked
// against a subscription's lifetime usage, and what earlier progressive invoices billed, deducted
// from every later invoice of the same period.
//
//   lifetime usage = historical (given) + invoiced (Σ charge fees of its `subscription` invoices)
//                    + current usage (the period so far, without taxes)
//   fixed thresholds 1000 and 2500, recurring 1000; invoiced 0, current 3700, nothing billed yet:
//   1000 and 2500 passed, and the recurring one (3700 − 2500 ≥ 1000): one invoice for 3700.
//   Later in the period, current 4800: invoiced 0 + billed 3700 ≥ 2500 ⇒ recurring only:
//   3700 % 1000 = 700; (4800 − 3700) + 700 = 1800 ≥ 1000 ⇒ passed: an invoice for 4800 less the
//   3700 credited from the first.
//
// Lago's services, one function each: LifetimeUsages::CalculateService (lifetime_usage),
// LifetimeUsages::UsageThresholds::CheckService (passed_thresholds),
// LifetimeUsages::UsageThresholdsCompletionService (threshold_completion),
// Subscriptions::ProgressiveBilledAmount (progressive_billed), Credits::ProgressiveBillingService
// (apply_progressive_credits, before coupons and taxes). Not done: the credit note Lago creates
// on a progressive invoice when it credited more than the later invoice's matching fees
// (CreditNotes::CreateFromProgressiveBillingInvoice); the credit is capped, the excess is lost.
#pragma once

#include <string>
#include <vector>

#include "invoice/preview.hpp"

namespace tariff {

// The latest finalized progressive invoice of `sub` whose charges window contains ts.
struct ProgressiveBilled {
  const IssuedInvoice* invoice = nullptr;
  int64_t billed_amount_cents = 0;  // its fees_amount_cents
  int64_t to_credit_cents = 0;      // fees − coupons − credits later invoices took from it, ≥ 0
};
ProgressiveBilled progressive_billed(const Snapshot& s, const Subscription& sub, Instant ts);

struct ProgressiveCredit {
  const IssuedInvoice* invoice = nullptr;
  int64_t amount_cents = 0;
};
// For each billed subscription: the credit of its period's latest progressive invoice, capped
// at this invoice's fees of the same charges; each matching fee (charge, filter, group) adds
// the progressive fee's amount to its precise_coupons_amount_cents (capped at its amount).
std::vector<ProgressiveCredit> apply_progressive_credits(const Snapshot& s, const PreviewContext& ctx,
                                                         std::vector<InvoiceFee>& fees);

struct LifetimeUsage {
  int64_t historical_cents = 0, invoiced_cents = 0, current_cents = 0;
  int64_t total_cents() const;
};
// Σ amount_cents of the subscription's charge fees on its finalized or draft `subscription`
// invoices (every subscription of its external id).
int64_t invoiced_usage_cents(const Snapshot& s, const Subscription& sub);
// Lifetime usage at s.now; current usage only while the subscription is active.
LifetimeUsage lifetime_usage(const Snapshot& s, const Subscription& sub);

// The thresholds passed, fixed ones by amount then the recurring one.
std::vector<const UsageThreshold*> passed_thresholds(const std::vector<UsageThreshold>& thresholds,
                                                     const LifetimeUsage& usage, int64_t progressive_billed_cents);

struct ThresholdCompletion {
  const UsageThreshold* threshold = nullptr;
  int64_t amount_cents = 0;
  Decimal completion_ratio;  // 1 when reached
  std::optional<std::string> reached_at;
};
std::vector<ThresholdCompletion> threshold_completion(const Snapshot& s, const Subscription& sub,
                                                      const std::vector<UsageThreshold>& thresholds,
                                                      int64_t lifetime_total_cents);

// A threshold as Lago's UsageThresholdSerializer shows it.
ojson usage_threshold_json(const UsageThreshold& t);

}  // namespace tariff
