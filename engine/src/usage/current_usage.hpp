// Usage over the current period, shared by current_usage and projected_usage.
#pragma once

#include <vector>

#include "usage/charge_fees.hpp"

namespace tariff {

struct UsageComputation {
  SubscriptionDates dates;
  Windows windows;
  AggregationWindow window;
  struct PerCharge {
    const Charge* charge = nullptr;
    std::vector<ChargeFee> fees;
  };
  std::vector<PerCharge> charges;  // sorted by metric name, case-insensitive
};

UsageComputation compute_usage(const Snapshot& s, const Subscription& sub);

struct UsageTotals {
  int64_t amount_cents = 0;
  int64_t taxes_amount_cents = 0;  // invoice-level rounding (§8)
};
UsageTotals usage_totals(const Snapshot& s, const Subscription& sub, const UsageComputation& uc);
// The document's head: window, issuing date, currency and amounts (projected_amount_cents
// after amount_cents when given), in Lago's key order; charges_usage is appended by the caller.
nlohmann::ordered_json usage_head(const UsageComputation& uc, const Currency& cur, const UsageTotals& t,
                                  std::optional<int64_t> projected_amount_cents = std::nullopt);
nlohmann::ordered_json charge_usage_json(const Charge& c, const std::vector<ChargeFee>& fees, const Currency& cur);

}  // namespace tariff
