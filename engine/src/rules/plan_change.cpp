// Plan changes (SEMANTICS §13, Lago's Subscriptions::CreateService / PlanUpgradeService):
//   upgrade    yearly(new) ≥ yearly(old): the old subscription ends now, the new starts now
//   downgrade  the old plan runs to the end of its current period; the new one starts on the
//              next local day (customer's zone, else the organization's), at local midnight
#include "rules/plan_change.hpp"

#include "core/json_exact.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff {

std::optional<Error> plan_change_refusal(const Subscription& old, const Plan& plan) {
  if (plan.code == old.plan_code || &plan == old.plan)
    return Error::validation("plan_code", "new_plan_should_be_different_from_existing_plan");
  if (plan.currency.code != old.plan->currency.code)
    return Error::validation("currency", "currencies_does_not_match");
  return std::nullopt;
}

Decimal yearly_amount(const Plan& p) {
  int per_year = 12;
  switch (p.interval) {
    case Interval::weekly: per_year = 52; break;
    case Interval::monthly: per_year = 12; break;
    case Interval::quarterly: per_year = 4; break;
    case Interval::semiannual: per_year = 2; break;
    case Interval::yearly: per_year = 1; break;
  }
  return Decimal(p.amount_cents) * Decimal(per_year);
}

rules::PlanChangeKind classify_plan_change(const Plan& from, const Plan& to) {
  return yearly_amount(to) >= yearly_amount(from) ? rules::PlanChangeKind::upgrade
                                                  : rules::PlanChangeKind::downgrade;
}

date::local_days next_billing_day(const SubscriptionDates& dates, Instant now) {
  return current_usage_windows(dates, now).next_billing_day;
}

namespace rules {
namespace {

// Parses a snapshot as run() does; a failure becomes the Checked's error.
template <class T>
bool read_snapshot(std::string_view text, std::optional<Snapshot>& out, Checked<T>& result) {
  json doc = parse_json_exact(text);
  if (doc.is_discarded()) {
    result.error = Error::bad_request("snapshot is not valid JSON");
    return false;
  }
  try {
    out.emplace(parse_snapshot(doc));
    return true;
  } catch (const Failure& f) {
    result.error = f.error;
    return false;
  }
}

}  // namespace

Checked<PlanChange> plan_change(std::string_view snapshot_json, std::string_view external_id,
                                std::string_view plan_code) {
  Checked<PlanChange> out;
  std::optional<Snapshot> s;
  if (!read_snapshot(snapshot_json, s, out)) return out;
  const Subscription* old = nullptr;
  for (const auto& sub : s->subscriptions)
    if (sub.external_id == external_id && is_active_at(sub, s->now)) old = &sub;
  const Plan* plan = s->find_plan(std::string(plan_code));
  if (!old) {
    out.error = Error::not_found("subscription");
    return out;
  }
  if (!plan) {
    out.error = Error::not_found("plan");
    return out;
  }
  if (auto refusal = plan_change_refusal(*old, *plan)) {
    out.error = *refusal;
    return out;
  }
  PlanChange c;
  c.kind = classify_plan_change(*old->plan, *plan);
  const TimeZone& tz = s->timezone();
  if (c.kind == PlanChangeKind::upgrade) {
    c.effective_at = s->now;
    c.effective_day = tz.local_date(s->now);
  } else {
    c.effective_day = next_billing_day(subscription_dates(*s, *old), s->now);
    c.effective_at = tz.start_of_day(c.effective_day);
  }
  out.value = c;
  return out;
}

Checked<Instant> start_of_local_day(std::string_view snapshot_json, date::local_days day) {
  Checked<Instant> out;
  std::optional<Snapshot> s;
  if (!read_snapshot(snapshot_json, s, out)) return out;
  out.value = s->timezone().start_of_day(day);
  return out;
}

}  // namespace rules
}  // namespace tariff
