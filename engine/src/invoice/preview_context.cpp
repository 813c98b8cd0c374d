// The preview context (SEMANTICS §13, Lago's Invoices::PreviewContextService and
// Invoices::Preview::*): which subscriptions the invoice bills, at which billing instant B, and
// which kinds of fees each gets.
//
//   proposal     new subscription; B = subscription_at (advance) or first period end + 1 day
//   projection   active subscriptions; B = local end of the current period + 1 day
//   termination  one subscription; B = terminated_at (request, or ending_at before the next B)
//   upgrade      yearly(new) ≥ yearly(old): old terminated now (B = now), new starts now
//   downgrade    old ends at the period end, new starts at B = period end + 1 day
#include <algorithm>

#include "invoice/preview.hpp"
#include "rules/plan_change.hpp"
#include "snapshot/reader.hpp"
#include "tariff/error.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& code) {
  throw Failure(Error::validation(path, code));
}

const json* object_at(const json& o, const char* key) {
  return o.is_object() && o.contains(key) && o.at(key).is_object() ? &o.at(key) : nullptr;
}

std::optional<std::string> string_at(const json* o, const char* key) {
  if (!o || !o->contains(key) || !o->at(key).is_string()) return std::nullopt;
  return o->at(key).get<std::string>();
}

class Builder {
 public:
  Builder(const Snapshot& s, PreviewContext& ctx) : s_(s), ctx_(ctx) {}

  SubscriptionDates dates_of(const Subscription& sub) const {
    SubscriptionDates d = subscription_dates(s_, sub);
    d.tz = ctx_.tz;
    return d;
  }

  // Local day after the current period of `sub` (its next billing day).
  date::local_days next_billing_day(const Subscription& sub) const {
    return tariff::next_billing_day(dates_of(sub), s_.now);
  }

  Subscription* own(Subscription copy) {
    ctx_.owned.push_back(std::make_unique<Subscription>(std::move(copy)));
    return ctx_.owned.back().get();
  }

  Instant earliest_start(const Subscription& sub) const {
    Instant first = sub.started_at.value_or(sub.subscription_at);
    for (const auto& o : s_.subscriptions)
      if (o.external_id == sub.external_id && !sub.external_id.empty() && o.started_at && *o.started_at < first)
        first = *o.started_at;
    return first;
  }

  // A subscription that does not exist yet, billed from its start (proposal, pending).
  BilledSubscription new_subscription(const Subscription* sub, bool no_predecessor) {
    BilledSubscription b;
    b.sub = sub;
    b.dates = dates_of(*sub);
    const Plan& plan = *sub->plan;
    const Instant start = sub->started_at.value_or(sub->subscription_at);
    if (plan.pay_in_advance) {
      b.billing_at = start;
    } else {
      const date::year_month_day anchor{ctx_.tz.local_date(sub->subscription_at)};
      const DayRange p = period_containing(plan.interval, sub->billing_time, anchor, ctx_.tz.local_date(start));
      b.billing_at = ctx_.tz.start_of_day(p.last + date::days{1});
    }
    b.windows = billing_windows(b.dates, b.billing_at);
    b.fee_rule = BilledSubscription::FeeRule::standard;
    b.no_predecessor = no_predecessor;
    b.trial_started_at = start;
    b.advance_fixed = b.arrears_fixed = true;
    b.new_subscription = true;
    b.commitment = !plan.pay_in_advance;  // advance plans reconcile the previous period: none yet
    return b;
  }

  BilledSubscription projected(const Subscription* sub) {
    BilledSubscription b;
    b.sub = sub;
    b.dates = dates_of(*sub);
    b.billing_at = ctx_.tz.start_of_day(next_billing_day(*sub));
    b.windows = billing_windows(b.dates, b.billing_at);
    b.fee_rule = BilledSubscription::FeeRule::standard;
    b.trial_started_at = earliest_start(*sub);
    b.charges = BilledSubscription::Charges::projection;
    b.advance_fixed = b.arrears_fixed = true;
    b.commitment = true;
    return b;
  }

  enum class PlanChange { none, upgraded, downgraded };

  // `sub` (a copy this preview owns) as billed at `at`: its dates with the plan-change flag,
  // its windows, and the trial measured from the first start of `trial_origin`'s external id.
  BilledSubscription billed_at(Subscription sub, Instant at, const Subscription& trial_origin, PlanChange change) {
    const Subscription* owned = own(std::move(sub));
    BilledSubscription b;
    b.sub = owned;
    b.dates = dates_of(*owned);
    b.dates.upgraded = change == PlanChange::upgraded;
    b.dates.downgraded = change == PlanChange::downgraded;
    b.billing_at = at;
    b.windows = billing_windows(b.dates, at);
    b.trial_started_at = earliest_start(trial_origin);
    return b;
  }

  // Terminated at `at`; `upgraded` when a plan change replaces it now.
  BilledSubscription terminated(const Subscription& orig, Instant at, bool upgraded) {
    Subscription copy = orig;
    copy.terminated_at = at;
    copy.status = SubscriptionStatus::terminated;
    BilledSubscription b = billed_at(std::move(copy), at, orig, upgraded ? PlanChange::upgraded : PlanChange::none);
    const bool advance = b.sub->plan->pay_in_advance;
    b.fee_rule = advance ? BilledSubscription::FeeRule::none : BilledSubscription::FeeRule::terminated_arrears;
    b.credit = !advance ? BilledSubscription::Credit::none
                        : (upgraded ? BilledSubscription::Credit::upgrade : BilledSubscription::Credit::termination);
    b.charges = upgraded ? BilledSubscription::Charges::upgraded : BilledSubscription::Charges::terminated;
    b.arrears_fixed = true;
    b.commitment = true;
    return b;
  }

  void set_customer() {
    const json& req = s_.request();
    const json* rc = object_at(req, "customer");
    const auto ext = string_at(rc, "external_id");
    if (ext && !ext->empty()) {
      if (!s_.customer || s_.customer->external_id != *ext) throw Failure(Error::not_found("customer"));
      ctx_.existing_customer = true;
    }
    const Organization& org = s_.organization;
    if (ctx_.existing_customer) {
      const Customer& c = *s_.customer;
      ctx_.tz = s_.timezone();
      ctx_.grace_period = c.invoice_grace_period.value_or(org.invoice_grace_period);
      ctx_.net_payment_term = c.net_payment_term.value_or(org.net_payment_term);
      ctx_.customer = {{"external_id", c.external_id},
                       {"name", c.name.empty() ? ojson(nullptr) : ojson(c.name)},
                       {"currency", c.currency ? ojson(std::string(c.currency->code)) : ojson(nullptr)},
                       {"timezone", c.timezone ? ojson(c.timezone->name()) : ojson(nullptr)}};
      return;
    }
    ctx_.tz = org.timezone;
    if (auto tzname = string_at(rc, "timezone")) {
      auto tz = TimeZone::find(*tzname);
      if (!tz) fail("customer.timezone", "invalid_timezone");
      ctx_.tz = *tz;
    }
    ctx_.grace_period = org.invoice_grace_period;
    ctx_.net_payment_term = org.net_payment_term;
    if (rc && rc->contains("invoice_grace_period") && rc->at("invoice_grace_period").is_number_integer())
      ctx_.grace_period = std::clamp(rc->at("invoice_grace_period").get<int>(), 0, 365);
    if (rc && rc->contains("net_payment_term") && rc->at("net_payment_term").is_number_integer())
      ctx_.net_payment_term = std::clamp(rc->at("net_payment_term").get<int>(), 0, 365);
    ctx_.customer = {{"external_id", nullptr},
                     {"name", string_at(rc, "name") ? ojson(*string_at(rc, "name")) : ojson(nullptr)},
                     {"currency", string_at(rc, "currency") ? ojson(*string_at(rc, "currency")) : ojson(nullptr)},
                     {"timezone", string_at(rc, "timezone") ? ojson(*string_at(rc, "timezone")) : ojson(nullptr)}};
  }

  // The customer's currency, if any, must be the plan's.
  void check_customer_currency(const Plan& plan) const {
    std::optional<std::string> cur;
    if (ctx_.existing_customer && s_.customer->currency) cur = std::string(s_.customer->currency->code);
    if (!ctx_.existing_customer) cur = string_at(object_at(s_.request(), "customer"), "currency");
    if (cur && !cur->empty() && *cur != plan.currency.code) fail("currency", "currencies_does_not_match");
  }

  void proposal() {
    ctx_.mode = PreviewMode::proposal;
    const json& req = s_.request();
    const auto code = string_at(&req, "plan_code");
    if (!code || code->empty()) fail("plan_code", "value_is_mandatory");
    const Plan* plan = s_.find_plan(*code);
    if (!plan) throw Failure(Error::not_found("plan"));
    check_customer_currency(*plan);
    Subscription sub;
    sub.plan = plan;
    sub.plan_code = plan->code;
    sub.status = SubscriptionStatus::active;
    if (auto ext = string_at(&req, "external_id")) sub.external_id = *ext;
    if (auto bt = string_at(&req, "billing_time")) {
      auto x = parse_billing_time(*bt);
      if (!x) fail("billing_time", "value_is_invalid");
      sub.billing_time = *x;
    }
    sub.subscription_at = s_.now;
    if (req.contains("subscription_at") && !req["subscription_at"].is_null()) {
      auto at = instant_from_json(req["subscription_at"]);
      if (!at) fail("subscription_at", "invalid_date");
      sub.subscription_at = *at;
    }
    sub.started_at = sub.subscription_at;
    const Subscription* owned = own(std::move(sub));
    BilledSubscription b = new_subscription(owned, true);
    ctx_.billed.push_back(b);
    set_issuing(b.billing_at, !plan->pay_in_advance);
  }

  const Subscription* find_billable(const std::string& id) const {
    for (const auto& sub : s_.subscriptions)
      if (sub.external_id == id && sub.status == SubscriptionStatus::active && sub.plan) return &sub;
    for (const auto& sub : s_.subscriptions)
      if (sub.external_id == id && sub.status == SubscriptionStatus::pending && sub.plan) return &sub;
    throw Failure(Error::not_found("subscription"));
  }

  void with_subscriptions(const json& subs_req, const std::vector<std::string>& ids) {
    if (!ctx_.existing_customer) {
      if (!s_.customer) fail("customer", "must_be_persisted");
      // The snapshot's customer owns the subscriptions.
      ctx_.existing_customer = true;
      set_customer_from_snapshot();
    }
    std::vector<const Subscription*> subs;
    for (const auto& id : ids) subs.push_back(find_billable(id));

    if (subs_req.contains("terminated_at") && !subs_req["terminated_at"].is_null()) {
      ctx_.mode = PreviewMode::termination;
      if (subs.size() != 1) fail("base", "only_one_subscription_allowed_for_termination");
      auto at = instant_from_json(subs_req["terminated_at"]);
      if (!at) fail("terminated_at", "invalid_date");
      if (*at < s_.now) fail("terminated_at", "cannot_be_in_past");
      termination(*subs[0], *at);
      return;
    }
    if (auto code = string_at(&subs_req, "plan_code")) {
      ctx_.mode = PreviewMode::plan_change;
      if (subs.size() != 1) fail("base", "only_one_subscription_allowed_for_plan_change");
      const Plan* plan = s_.find_plan(*code);
      if (!plan) throw Failure(Error::not_found("plan"));
      plan_change(*subs[0], *plan);
      return;
    }
    projection(subs);
  }

  void set_customer_from_snapshot() {
    const Customer& c = *s_.customer;
    ctx_.tz = s_.timezone();
    ctx_.grace_period = c.invoice_grace_period.value_or(s_.organization.invoice_grace_period);
    ctx_.net_payment_term = c.net_payment_term.value_or(s_.organization.net_payment_term);
    ctx_.customer = {{"external_id", c.external_id},
                     {"name", c.name.empty() ? ojson(nullptr) : ojson(c.name)},
                     {"currency", c.currency ? ojson(std::string(c.currency->code)) : ojson(nullptr)},
                     {"timezone", c.timezone ? ojson(c.timezone->name()) : ojson(nullptr)}};
  }

  void termination(const Subscription& sub, Instant at) {
    BilledSubscription b = terminated(sub, at, false);
    ctx_.billed.push_back(b);
    set_issuing(at, false);
  }

  void plan_change(const Subscription& old, const Plan& plan) {
    if (auto refusal = plan_change_refusal(old, plan)) throw Failure(*refusal);
    Subscription next = old;
    next.plan = &plan;
    next.plan_code = plan.code;
    next.terminated_at.reset();
    next.lago_id.clear();
    const bool upgrade = classify_plan_change(*old.plan, plan) == rules::PlanChangeKind::upgrade;
    if (upgrade) {
      // §13: the old subscription ends now; the new one starts now with the same anchor.
      const Instant now = s_.now;
      ctx_.billed.push_back(terminated(old, now, true));
      ctx_.billed.back().next_plan = &plan;
      next.started_at = now;
      next.status = SubscriptionStatus::active;
      bill_next_plan(std::move(next), plan, now, old, BilledSubscription::FeeRule::after_upgrade);
      set_issuing(now, false);
      return;
    }
    // Downgrade: the old plan runs to its period end; the new one starts the next day.
    const date::local_days next_day = next_billing_day(old);
    const Instant B = ctx_.tz.start_of_day(next_day);
    Subscription ending = old;
    ending.terminated_at = ctx_.tz.end_of_day(next_day - date::days{1});
    BilledSubscription ob = billed_at(std::move(ending), B, old, PlanChange::downgraded);
    ob.fee_rule = old.plan->pay_in_advance ? BilledSubscription::FeeRule::none : BilledSubscription::FeeRule::standard;
    ob.charges = BilledSubscription::Charges::projection;
    ob.arrears_fixed = true;
    ob.commitment = true;
    ctx_.billed.push_back(ob);

    next.started_at = B;
    next.status = SubscriptionStatus::pending;
    bill_next_plan(std::move(next), plan, B, old, BilledSubscription::FeeRule::standard);
    set_issuing(B, true);
  }

  // The plan a subscription changes to. Lago's preview bills it only when that plan is paid in
  // advance: its first fee and, as for any subscription that does not exist yet, all its
  // fixed charges.
  void bill_next_plan(Subscription next, const Plan& plan, Instant at, const Subscription& old,
                      BilledSubscription::FeeRule rule) {
    BilledSubscription b = billed_at(std::move(next), at, old, PlanChange::none);
    b.fee_rule = rule;
    b.advance_fixed = b.arrears_fixed = true;
    b.new_subscription = true;
    if (plan.pay_in_advance) ctx_.billed.push_back(b);
  }

  void projection(const std::vector<const Subscription*>& subs) {
    ctx_.mode = PreviewMode::projection;
    for (size_t i = 1; i < subs.size(); ++i)
      if (subs[i]->plan->currency.code != subs[0]->plan->currency.code)
        fail("base", "subscription_currencies_does_not_match");
    std::optional<date::local_days> first_day;
    for (const Subscription* sub : subs) {
      if (sub->status == SubscriptionStatus::pending) continue;
      const date::local_days d = next_billing_day(*sub);
      if (first_day && *first_day != d) fail("base", "billing_periods_does_not_match");
      first_day = d;
    }
    bool recurring = true;
    std::optional<Instant> issuing_at;
    for (const Subscription* sub : subs) {
      if (sub->status == SubscriptionStatus::pending) {
        // A lone future subscription is previewed as a proposal at its subscription_at.
        Subscription copy = *sub;
        copy.started_at = sub->started_at.value_or(sub->subscription_at);
        BilledSubscription b = new_subscription(own(std::move(copy)), true);
        if (!issuing_at) {
          issuing_at = b.billing_at;
          recurring = !sub->plan->pay_in_advance;
        }
        ctx_.billed.push_back(b);
        continue;
      }
      const Instant B = ctx_.tz.start_of_day(next_billing_day(*sub));
      if (sub->ending_at && *sub->ending_at <= B && *sub->ending_at >= s_.now) {
        // §13: an ending_at before the next billing day previews the termination.
        ctx_.billed.push_back(terminated(*sub, *sub->ending_at, false));
        if (!issuing_at) {
          issuing_at = *sub->ending_at;
          recurring = false;
        }
        continue;
      }
      ctx_.billed.push_back(projected(sub));
      if (!issuing_at) issuing_at = B;
    }
    set_issuing(issuing_at.value_or(s_.now), recurring);
  }

  void set_issuing(Instant at, bool recurring) {
    ctx_.issuing_date = issuing_date(at, ctx_.tz, issuing_date_adjustment_days(recurring, ctx_.grace_period));
  }

  void run() {
    set_customer();
    const json& req = s_.request();
    const json* subs_req = object_at(req, "subscriptions");
    std::vector<std::string> ids;
    if (subs_req && subs_req->contains("external_ids")) {
      const json& arr = subs_req->at("external_ids");
      if (!arr.is_array()) fail("subscriptions.external_ids", "value_is_invalid");
      for (const auto& v : arr) {
        if (!v.is_string()) fail("subscriptions.external_ids", "value_is_invalid");
        ids.push_back(v.get<std::string>());
      }
    }
    if (ids.empty()) proposal();
    else with_subscriptions(*subs_req, ids);
    ctx_.currency = ctx_.billed.front().sub->plan->currency;
  }

 private:
  const Snapshot& s_;
  PreviewContext& ctx_;
};

}  // namespace

PreviewContext build_preview_context(const Snapshot& s) {
  PreviewContext ctx;
  Builder(s, ctx).run();
  return ctx;
}

}  // namespace tariff
