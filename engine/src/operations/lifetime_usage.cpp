// lifetime_usage (Lago's GET /subscriptions/{external_id}/lifetime_usage, V1::LifetimeUsageSerializer
// with its usage_thresholds): request {"external_subscription_id"}; the subscription's lifetime
// usage at `now` and, when it has thresholds, their completion
// (LifetimeUsages::UsageThresholdsCompletionService).
//
//   historical 0, invoiced 3000 (its subscription invoices' charge fees), current 500:
//   total 3500; thresholds 2000, 5000 → 2000 reached (ratio 1), 5000 at (3500 − 2000) /
//   (5000 − 2000) = 0.5.
//
// lago_id is null (the server gives its own); to_datetime is `now`, from_datetime the
// subscription_at. The subscription: its live one (active, else pending), else the latest.
#include <cstdlib>

#include "invoice/progressive.hpp"
#include "operations/operations.hpp"
#include "snapshot/reader.hpp"
#include "tariff/error.hpp"

namespace tariff::ops {

namespace {

const Subscription& find_subscription(const Snapshot& s, const std::string& id) {
  const Subscription* hit = nullptr;
  for (SubscriptionStatus st : {SubscriptionStatus::active, SubscriptionStatus::pending, SubscriptionStatus::terminated})
    for (const auto& sub : s.subscriptions)
      if (!hit && sub.external_id == id && sub.status == st && sub.plan) hit = &sub;
  if (!hit) throw Failure(Error::not_found("subscription"));
  return *hit;
}

// A JSON number, as Lago's Float ratio prints (display only: the exact quotient's text, read
// as the nearest double).
ordered_json ratio_json(const Decimal& d) {
  if (d.is_zero()) return 0.0;
  if (d == Decimal(1)) return 1.0;
  return std::strtod(d.to_string().c_str(), nullptr);
}

}  // namespace

ordered_json lifetime_usage(json& doc) {
  Snapshot s = parse_snapshot(doc, RequestKind::none);
  ErrorCollector errors;
  Reader r(errors);
  const json* q = Reader::field(s.raw, "request");
  std::optional<std::string> id;
  if (!q || !q->is_object()) errors.add("request.external_subscription_id", "value_is_mandatory");
  else id = r.string(*q, "external_subscription_id", "request", true);
  errors.throw_if_any();
  const Subscription& sub = find_subscription(s, *id);
  const LifetimeUsage usage = tariff::lifetime_usage(s, sub);
  ordered_json o;
  o["lago_id"] = nullptr;
  o["lago_subscription_id"] = sub.lago_id.empty() ? ordered_json(nullptr) : ordered_json(sub.lago_id);
  o["external_subscription_id"] = sub.external_id;
  o["external_historical_usage_amount_cents"] = usage.historical_cents;
  o["invoiced_usage_amount_cents"] = usage.invoiced_cents;
  o["current_usage_amount_cents"] = usage.current_cents;
  o["from_datetime"] = format_instant(sub.subscription_at);
  o["to_datetime"] = format_instant(s.now);
  const auto& thresholds = sub.applicable_usage_thresholds();
  if (!thresholds.empty()) {
    ordered_json list = ordered_json::array();
    for (const auto& c : threshold_completion(s, sub, thresholds, usage.total_cents()))
      list.push_back({{"amount_cents", c.amount_cents},
                      {"completion_ratio", ratio_json(c.completion_ratio)},
                      {"reached_at", c.reached_at ? ordered_json(*c.reached_at) : ordered_json(nullptr)}});
    o["usage_thresholds"] = std::move(list);
  }
  ordered_json out;
  out["lifetime_usage"] = std::move(o);
  return out;
}

}  // namespace tariff::ops
