#include "usage/subscription_dates.hpp"

#include "tariff/error.hpp"

namespace tariff {

SubscriptionDates subscription_dates(const Snapshot& s, const Subscription& sub) {
  SubscriptionDates d;
  d.interval = sub.plan->interval;
  d.billing_time = sub.billing_time;
  d.plan_pay_in_advance = sub.plan->pay_in_advance;
  d.bill_charges_monthly = sub.plan->bill_charges_monthly;
  d.bill_fixed_charges_monthly = sub.plan->bill_fixed_charges_monthly;
  d.subscription_at = sub.subscription_at;
  d.started_at = sub.started_at.value_or(sub.subscription_at);
  d.terminated_at = sub.terminated_at;
  d.tz = s.timezone();
  return d;
}

bool is_active_at(const Subscription& sub, Instant now) {
  if (sub.status != SubscriptionStatus::active) return false;
  if (sub.started_at && *sub.started_at > now) return false;
  if (sub.terminated_at && *sub.terminated_at <= now) return false;
  return true;
}

const Subscription& active_subscription_for_request(const Snapshot& s) {
  // parse_snapshot(doc, RequestKind::usage) has refused a missing external_subscription_id.
  const std::string id = s.usage_request ? s.usage_request->external_subscription_id : std::string();
  if (id.empty()) throw Failure(Error::validation("request.external_subscription_id", "value_is_mandatory"));
  if (!s.customer) throw Failure(Error::not_found("customer"));
  const Subscription* sub = s.find_subscription(id);
  if (!sub) throw Failure(Error::not_found("subscription"));
  for (const auto& cand : s.subscriptions)
    if (cand.external_id == id && is_active_at(cand, s.now)) return cand;
  throw Failure(Error::method_not_allowed("no_active_subscription"));
}

}  // namespace tariff
