// current_usage (SEMANTICS §14.1): the usage of the subscription's current period so far.
#include "operations/operations.hpp"
#include "usage/current_usage.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff::ops {

ordered_json current_usage(json& doc) {
  const Snapshot s = parse_snapshot(doc, RequestKind::usage);
  const Subscription& sub = active_subscription_for_request(s);
  const UsageComputation uc = compute_usage(s, sub);
  const Currency& cur = sub.plan->currency;
  ordered_json u = usage_head(uc, cur, usage_totals(s, sub, uc));
  ordered_json charges = ordered_json::array();
  for (const auto& pc : uc.charges) charges.push_back(charge_usage_json(*pc.charge, pc.fees, cur));
  u["charges_usage"] = std::move(charges);
  ordered_json out;
  out["customer_usage"] = std::move(u);
  return out;
}

}  // namespace tariff::ops
