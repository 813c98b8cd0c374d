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
nlohmann::ordered_json charge_usage_json(const Charge& c, const std::vector<ChargeFee>& fees, const Currency& cur);

}  // namespace tariff
