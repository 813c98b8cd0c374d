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

class Builder {
 public:
  Builder(const Snapshot& s, PreviewContext& ctx) : s_(s), ctx_(ctx) {}

  SubscriptionDates dates_of(const Subscription& sub) const {
    SubscriptionDates d = subscription_dates(s_, sub);
    d.tz = ctx_.tz;
    return d;
  }

  // Local day after the current period of `sub` (its next billing day), worked out once per
  // subscription (a projection asks several times).
  date::local_days next_billing_day(const Subscription& sub) const {
    for (const auto& [known, day] : next_days_)
      if (known == &sub) return day;
    const date::local_days day = tariff::next_billing_day(dates_of(sub), s_.now);
    next_days_.emplace_back(&sub, day);
    return day;
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

  const PreviewRequest& request() const {
    static const PreviewRequest kEmpty;
    return s_.preview_request ? *s_.preview_request : kEmpty;
  }

  void set_customer() {
    const PreviewRequest::NewCustomer& rc = request().customer;
    if (rc.external_id && !rc.external_id->empty()) {
      if (!s_.customer || s_.customer->external_id != *rc.external_id) throw Failure(Error::not_found("customer"));
      set_customer_from_snapshot();
      return;
    }
    // Subscriptions are the snapshot customer's: with_subscriptions sets all of it from there.
    if (!request().external_ids.empty()) return;
    const Organization& org = s_.organization;
    ctx_.tz = rc.timezone.value_or(org.timezone);
    ctx_.grace_period = rc.invoice_grace_period.value_or(org.invoice_grace_period);
    ctx_.net_payment_term = rc.net_payment_term.value_or(org.net_payment_term);
    anchor_ = org.issuing_date_anchor;
    adjustment_ = org.issuing_date_adjustment;
    auto text = [](const std::optional<std::string>& v) { return v ? ojson(*v) : ojson(nullptr); };
    ctx_.customer = {{"external_id", nullptr},
                     {"name", text(rc.name)},
                     {"currency", text(rc.currency)},
                     {"timezone", rc.timezone ? ojson(rc.timezone->name()) : ojson(nullptr)}};
  }

  // The customer's currency, if any, must be the plan's.
  void check_customer_currency(const Plan& plan) const {
    std::optional<std::string> cur;
    if (ctx_.existing_customer && s_.customer->currency) cur = std::string(s_.customer->currency->code);
    if (!ctx_.existing_customer) cur = request().customer.currency;
    if (cur && !cur->empty() && *cur != plan.currency.code) fail("currency", "currencies_does_not_match");
  }

  void proposal() {
    ctx_.mode = PreviewMode::proposal;
    const PreviewRequest& req = request();
    if (!req.plan_code || req.plan_code->empty()) fail("plan_code", "value_is_mandatory");
    const Plan* plan = s_.find_plan(*req.plan_code);
    if (!plan) throw Failure(Error::not_found("plan"));
    check_customer_currency(*plan);
    Subscription sub;
    sub.plan = plan;
    sub.plan_code = plan->code;
    sub.status = SubscriptionStatus::active;
    if (req.external_id) sub.external_id = *req.external_id;
    if (req.billing_time) sub.billing_time = *req.billing_time;
    sub.subscription_at = req.subscription_at.value_or(s_.now);
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

  void with_subscriptions(const PreviewRequest& req) {
    if (!ctx_.existing_customer) {
      if (!s_.customer) fail("customer", "must_be_persisted");
      // The snapshot's customer owns the subscriptions.
      set_customer_from_snapshot();
    }
    std::vector<const Subscription*> subs;
    for (const auto& id : req.external_ids) subs.push_back(find_billable(id));

    if (req.terminated_at) {
      ctx_.mode = PreviewMode::termination;
      if (subs.size() != 1) fail("base", "only_one_subscription_allowed_for_termination");
      if (*req.terminated_at < s_.now) fail("terminated_at", "cannot_be_in_past");
      termination(*subs[0], *req.terminated_at);
      return;
    }
    if (req.target_plan_code) {
      ctx_.mode = PreviewMode::plan_change;
      if (subs.size() != 1) fail("base", "only_one_subscription_allowed_for_plan_change");
      const Plan* plan = s_.find_plan(*req.target_plan_code);
      if (!plan) throw Failure(Error::not_found("plan"));
      plan_change(*subs[0], *plan);
      return;
    }
    projection(subs);
  }

  // The snapshot's customer, with its settings over the organization's (Lago's
  // Customer#applicable_* and Invoices::IssuingDateService).
  void set_customer_from_snapshot() {
    const Customer& c = *s_.customer;
    const Organization& org = s_.organization;
    ctx_.existing_customer = true;
    ctx_.tz = s_.timezone();
    ctx_.grace_period = c.invoice_grace_period.value_or(org.invoice_grace_period);
    ctx_.net_payment_term = c.net_payment_term.value_or(org.net_payment_term);
    anchor_ = c.issuing_date_anchor.value_or(org.issuing_date_anchor);
    adjustment_ = c.issuing_date_adjustment.value_or(org.issuing_date_adjustment);
    ojson& out = ctx_.customer = ojson::object();  // four keys, built in place
    out["external_id"] = c.external_id;
    out["name"] = c.name.empty() ? ojson(nullptr) : ojson(c.name);
    out["currency"] = c.currency ? ojson(std::string(c.currency->code)) : ojson(nullptr);
    out["timezone"] = c.timezone ? ojson(c.timezone->name()) : ojson(nullptr);
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
    downgrade(old, std::move(next), plan);
  }

  // Downgrade (Lago's SubscriptionPlanChangeService, and FindSubscriptionsService for a
  // scheduled one): the old plan runs to its period end (Lago stamps terminated_at =
  // end_of_period + 1 day), the new one starts the next day and is billed only if paid in
  // advance. Lago's invoice then holds a terminated subscription: billing time = that
  // termination (local day = the next period's first day), issuing date = that day + the
  // grace period, never the anchor rules (non-recurring, Invoices::PreviewService#issuing_date).
  Instant downgrade(const Subscription& old, Subscription next, const Plan& plan) {
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
    next.terminated_at.reset();
    next.status = SubscriptionStatus::pending;
    bill_next_plan(std::move(next), plan, B, old, BilledSubscription::FeeRule::standard);
    set_issuing(B, false);
    return B;
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
      // A scheduled downgrade (a pending subscription of the same external id on a plan with
      // a lower yearly amount, Subscription#downgraded?) previews as the plan change would.
      if (const Subscription* next = s_.next_subscription(*sub);
          next && classify_plan_change(*sub->plan, *next->plan) == rules::PlanChangeKind::downgrade) {
        const Instant at = downgrade(*sub, *next, *next->plan);
        if (!issuing_at) {
          issuing_at = at;
          recurring = false;
        }
        continue;
      }
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
    ctx_.issuing_date =
        issuing_date(at, ctx_.tz, issuing_date_adjustment_days(recurring, ctx_.grace_period, anchor_, adjustment_));
  }

  void run() {
    set_customer();
    const PreviewRequest& req = request();
    if (req.external_ids.empty()) proposal();
    else with_subscriptions(req);
    ctx_.currency = ctx_.billed.front().sub->plan->currency;
  }

 private:
  const Snapshot& s_;
  PreviewContext& ctx_;
  mutable std::vector<std::pair<const Subscription*, date::local_days>> next_days_;
  IssuingDateAnchor anchor_ = IssuingDateAnchor::next_period_start;
  IssuingDateAdjustment adjustment_ = IssuingDateAdjustment::align_with_finalization_date;
};

}  // namespace

PreviewContext build_preview_context(const Snapshot& s) {
  PreviewContext ctx;
  Builder(s, ctx).run();
  return ctx;
}

}  // namespace tariff
