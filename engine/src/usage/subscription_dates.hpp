// Bridges a snapshot Subscription to the time module's SubscriptionDates (§4), and answers
// the questions every operation asks of a subscription: is it active at `now`, which zone.
#pragma once

#include "snapshot/snapshot.hpp"

namespace tariff {

SubscriptionDates subscription_dates(const Snapshot& s, const Subscription& sub);
bool is_active_at(const Subscription& sub, Instant now);
// 404 subscription_not_found / 405 no_active_subscription / 404 customer_not_found as Lago.
const Subscription& active_subscription_for_request(const Snapshot& s);

}  // namespace tariff
