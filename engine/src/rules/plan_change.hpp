// Plan-change rules shared by the preview (invoice/preview_context.cpp) and the public
// tariff::rules entry points (SEMANTICS §13): which change is an upgrade, and the local day a
// downgrade takes effect.
#pragma once

#include "snapshot/snapshot.hpp"
#include "tariff/rules.hpp"

namespace tariff {

// Why `old` cannot move to `plan`, as Lago refuses it: the same plan (422
// new_plan_should_be_different_from_existing_plan), another currency (422
// currencies_does_not_match); nullopt when the change is allowed.
std::optional<Error> plan_change_refusal(const Subscription& old, const Plan& plan);
// yearly(plan) = amount × periods per year (§5): 1000 monthly → 12000; weekly ×52.
Decimal yearly_amount(const Plan& p);
// yearly(to) ≥ yearly(from) is an upgrade, anything less a downgrade.
rules::PlanChangeKind classify_plan_change(const Plan& from, const Plan& to);
// The day after the billing period containing `now` (local to dates.tz): where a downgrade
// takes effect, and where the current period's invoice is billed.
date::local_days next_billing_day(const SubscriptionDates& dates, Instant now);

}  // namespace tariff
