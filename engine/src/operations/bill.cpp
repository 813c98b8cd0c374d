// bill (docs/billing.md): the invoice Lago issues at a billing instant B and the state changes
// it implies — Lago's BillSubscriptionJob → Invoices::SubscriptionService (periodic, starting,
// terminating, upgrading) and Invoices::CreatePayInAdvanceChargeService (in_advance_charge).
//
// One code path with `preview`: the context is the preview's, taken where the invoice is due,
//   periodic      projection at B − 1 µs (its next billing day is B's local day)
//   starting      the pending subscription previewed at B − 1 µs (a plan paid in advance)
//   terminating   termination preview at B with terminated_at = B
//   upgrading     plan-change preview at B (an upgrade: yearly amount not lower)
// then the same fee/coupon/tax/credit/wallet pipeline and serializer (invoice/pipeline.hpp).
// What preview only shows, bill reports as changes: coupons, wallets and credit notes consumed,
// the termination credit note created, subscriptions started, terminated or switched.
#include <algorithm>

#include "operations/bill.hpp"
#include "operations/operations.hpp"
#include "operations/progressive.hpp"
#include "snapshot/reader.hpp"
#include "tariff/error.hpp"

namespace tariff {


namespace {

using namespace billing;
using ojson = nlohmann::ordered_json;
constexpr std::chrono::microseconds kOneMicro{1};

[[noreturn]] void invalid(const std::string& path, const std::string& code) {
  throw Failure(Error::validation(path, code));
}

Subscription* find(Snapshot& s, const std::string& id, std::initializer_list<SubscriptionStatus> statuses) {
  for (SubscriptionStatus st : statuses)
    for (auto& sub : s.subscriptions)
      if (sub.external_id == id && sub.status == st && sub.plan) return &sub;
  return nullptr;
}

const char* billed_reason(const BilledSubscription& b) {
  if (b.new_subscription) return "subscription_starting";
  if (b.sub->terminated_at) return "subscription_terminating";
  return "subscription_periodic";
}

ojson invoice_subscription(const BilledSubscription& b) {
  ojson o;
  o["external_subscription_id"] = b.sub->external_id;
  o["plan_code"] = b.sub->plan_code;
  o["invoicing_reason"] = billed_reason(b);
  o["timestamp"] = format_instant(b.billing_at);
  o["from_datetime"] = format_instant(b.windows.from);
  o["to_datetime"] = format_instant(b.windows.to);
  o["charges_from_datetime"] = format_instant(b.windows.charges_from);
  o["charges_to_datetime"] = format_instant(b.windows.charges_to);
  return o;
}

BilledKey key_of(const ojson& is) {
  return BilledKey{is["external_subscription_id"].get<std::string>(),
                   is["invoicing_reason"].get<std::string>(),
                   is["from_datetime"].get<std::string>(),
                   is["to_datetime"].get<std::string>(),
                   is["charges_from_datetime"].get<std::string>(),
                   is["charges_to_datetime"].get<std::string>(),
                   ""};
}

// The preview context at the instant the invoice is due (see the header comment).
PreviewContext context_at(Snapshot& s, const Request& req, const std::vector<std::string>& ids) {
  PreviewRequest pr;
  pr.customer.external_id = s.customer->external_id;
  pr.external_ids = ids;
  const Instant B = req.billing_at;
  switch (req.reason) {
    case Reason::subscription_periodic:
      for (const auto& id : ids) {
        const Subscription* sub = find(s, id, {SubscriptionStatus::active});
        if (!sub) {
          if (!s.find_subscription(id)) throw Failure(Error::not_found("subscription"));
          invalid("request.external_subscription_ids", "subscription_not_active");
        }
        // An ending_at before B is a termination, billed as such (subscription_terminating).
        if (sub->ending_at && *sub->ending_at < B) invalid("request.billing_at", "after_subscription_end");
        if (sub->started_at.value_or(sub->subscription_at) >= B) invalid("request.billing_at", "before_subscription_start");
      }
      s.now = B - kOneMicro;
      break;
    case Reason::subscription_starting:
      s.now = B - kOneMicro;
      break;
    case Reason::subscription_terminating:
      s.now = B;
      pr.terminated_at = B;
      break;
    case Reason::upgrading:
      s.now = B;
      pr.target_plan_code = req.plan_code;
      break;
    case Reason::in_advance_charge:
    case Reason::in_advance_charge_periodic: break;
  }
  s.preview_request = std::move(pr);
  return build_preview_context(s);
}

// Bring the subscription to the state the preview of this reason expects: a starting one
// pending (B = its start), a terminating one active until B.
void normalize(Snapshot& s, Request& req) {
  if (req.reason == Reason::subscription_starting) {
    const std::string& id = req.external_subscription_ids.front();
    Subscription* sub = find(s, id, {SubscriptionStatus::pending, SubscriptionStatus::active});
    if (!sub) throw Failure(Error::not_found("subscription"));
    const Instant start = sub->started_at.value_or(sub->subscription_at);
    if (sub->status == SubscriptionStatus::active && sub->started_at && *sub->started_at != req.billing_at)
      invalid("request.billing_at", "does_not_match_subscription_start");
    if (start > req.billing_at) invalid("request.billing_at", "before_subscription_start");
    sub->status = SubscriptionStatus::pending;
    sub->started_at = start;
    req.billing_at = start;
  } else if (req.reason == Reason::subscription_terminating) {
    const std::string& id = req.external_subscription_ids.front();
    Subscription* sub = find(s, id, {SubscriptionStatus::active, SubscriptionStatus::terminated});
    if (!sub) throw Failure(Error::not_found("subscription"));
    if (sub->status == SubscriptionStatus::terminated) {
      if (!sub->terminated_at || *sub->terminated_at != req.billing_at)
        invalid("request.billing_at", "does_not_match_termination");
      sub->status = SubscriptionStatus::active;
      sub->terminated_at.reset();
    }
  }
}

// A yearly or semiannual plan that bills its charges (or fixed charges) monthly is also due on
// each month's first day inside its period (Lago's Invoices::CalculateFeesService: no
// subscription fee there, only what is billed monthly).
bool monthly_inside_period(const BilledSubscription& b, Instant B) {
  const Plan& plan = *b.sub->plan;
  const bool long_plan = plan.interval == Interval::yearly || plan.interval == Interval::semiannual;
  if (!long_plan || !(plan.bill_charges_monthly || plan.bill_fixed_charges_monthly)) return false;
  const TimeZone& tz = b.dates.tz;
  const date::local_days D = tz.local_date(B);
  if (tz.start_of_day(D) != B) return false;
  const date::year_month_day anchor{tz.local_date(b.sub->subscription_at)};
  return period_containing(Interval::monthly, b.sub->billing_time, anchor, D).first == D &&
         tz.local_date(b.dates.started_at) < D;
}

// Periodic: every subscription must be due at B (its next billing day after B − 1 µs is B's
// day), or be a long plan billing monthly, billed here as that month's invoice.
void check_due(PreviewContext& ctx, const Request& req) {
  if (req.reason != Reason::subscription_periodic) return;
  for (auto& b : ctx.billed) {
    const bool ending = b.sub->terminated_at && !b.dates.downgraded;
    if (ending || b.billing_at == req.billing_at) continue;
    if (!monthly_inside_period(b, req.billing_at)) invalid("request.billing_at", "not_a_billing_date");
    const date::days adjustment = ctx.issuing_date - b.dates.tz.local_date(b.billing_at);
    b.billing_at = req.billing_at;
    b.windows = billing_windows(b.dates, b.billing_at);
    b.fee_rule = BilledSubscription::FeeRule::none;
    b.charges = b.sub->plan->bill_charges_monthly ? BilledSubscription::Charges::projection
                                                 : BilledSubscription::Charges::none;
    b.advance_fixed = b.arrears_fixed = b.sub->plan->bill_fixed_charges_monthly;
    b.commitment = false;
    ctx.issuing_date = b.dates.tz.local_date(b.billing_at) + adjustment;
  }
}

ojson subscription_changes(const Snapshot& s, const PreviewContext& ctx, const Request& req) {
  ojson out = ojson::array();
  auto instant = [](const std::optional<Instant>& t) { return t ? ojson(format_instant(*t)) : ojson(nullptr); };
  std::vector<std::string> started;
  for (const auto& b : ctx.billed) {
    const Subscription& sub = *b.sub;
    if (b.new_subscription) {
      started.push_back(sub.external_id + "\n" + sub.plan_code);
      out.push_back({{"external_id", sub.external_id}, {"plan_code", sub.plan_code}, {"status", "active"},
                     {"started_at", instant(sub.started_at)}, {"terminated_at", nullptr}});
    } else if (sub.terminated_at) {
      out.push_back({{"external_id", sub.external_id}, {"plan_code", sub.plan_code}, {"status", "terminated"},
                     {"started_at", instant(sub.started_at)}, {"terminated_at", instant(sub.terminated_at)}});
    }
  }
  // The plan that follows a downgrade or an upgrade starts at B even when nothing of it is
  // billed yet (a plan paid in arrears).
  auto start_next = [&](const std::string& id, const std::string& plan_code, Instant at) {
    if (std::find(started.begin(), started.end(), id + "\n" + plan_code) != started.end()) return;
    out.push_back({{"external_id", id}, {"plan_code", plan_code}, {"status", "active"},
                   {"started_at", format_instant(at)}, {"terminated_at", nullptr}});
  };
  for (const auto& b : ctx.billed) {
    if (b.dates.downgraded)
      if (const Subscription* orig = s.find_subscription(b.sub->external_id))
        if (const Subscription* next = s.next_subscription(*orig)) start_next(next->external_id, next->plan_code, b.billing_at);
    if (b.dates.upgraded && req.plan_code) start_next(b.sub->external_id, *req.plan_code, req.billing_at);
  }
  return out;
}

}  // namespace

namespace ops {

ordered_json bill(json& doc) {
  const InputIds ids = read_input_ids(doc);
  const std::vector<BilledKey> history = read_history(doc);
  json original;  // in_advance_charge: the per-event fee is estimate_fees' over this document
  if (const json* q = Reader::field(doc, "request"); q && q->is_object()) {
    const json* r = Reader::field(*q, "invoicing_reason");
    if (r && r->is_string() && r->get_ref<const std::string&>() == "in_advance_charge") original = doc;
  }
  const StandaloneFees standalone = read_standalone_fees(doc);
  Snapshot s = parse_snapshot(doc, RequestKind::none);
  if (billing::is_progressive_request(s.raw)) return billing::progressive_billing(s, ids);  // bill_progressive.cpp
  Request req = read_request(s.raw, s.now);
  if (!s.customer) throw Failure(Error::not_found("customer"));
  if (req.reason == Reason::in_advance_charge) return billing::in_advance_charge(original, s, req, ids, history);
  if (req.reason == Reason::in_advance_charge_periodic) return billing::advance_charges(standalone, s, req, history);

  normalize(s, req);
  std::vector<std::string> sub_ids = req.external_subscription_ids;
  ojson already = ojson::array();
  PreviewContext ctx = context_at(s, req, sub_ids);
  check_due(ctx, req);
  // A downgrade is not billed when it is asked for: the periodic job switches it at the period end.
  if (req.reason == Reason::upgrading)
    for (const auto& b : ctx.billed)
      if (b.dates.downgraded) invalid("request.plan_code", "not_an_upgrade");
  // Subscriptions whose invoice of this kind and period exists are left out (idempotence).
  for (const auto& b : ctx.billed) {
    const ojson is = invoice_subscription(b);
    if (std::find(history.begin(), history.end(), key_of(is)) == history.end()) continue;
    already.push_back(is);
    sub_ids.erase(std::remove(sub_ids.begin(), sub_ids.end(), b.sub->external_id), sub_ids.end());
  }
  ordered_json out;
  if (!already.empty()) {
    if (sub_ids.empty() || req.reason != Reason::subscription_periodic) {
      out["invoices"] = ordered_json::array();
      out["invoice_subscriptions"] = ordered_json::array();
      out["already_billed"] = std::move(already);
      out["changes"] = {{"applied_coupons", ojson::array()}, {"wallets", ojson::array()},
                        {"wallet_transactions", ojson::array()}, {"credit_notes", ojson::array()},
                        {"subscriptions", ojson::array()}};
      return out;
    }
    ctx = context_at(s, req, sub_ids);
    check_due(ctx, req);
  }

  // Lago's SubscriptionService: with a grace period the invoice is a draft (fees and taxes
  // only); a refresh keeps a draft one, a finalization issues it (RefreshDraftAndFinalizeService).
  PriceOptions options;
  options.credits = req.finalize || (!req.refresh && ctx.grace_period <= 0);
  options.termination_credit = !req.finalize;
  if (req.finalize && req.finalized_at) {
    // Issued the day it is finalized, unless a recurring invoice keeps its anchor.
    const IssuingDateAdjustment adj = s.customer && s.customer->issuing_date_adjustment
                                          ? *s.customer->issuing_date_adjustment
                                          : s.organization.issuing_date_adjustment;
    if (!(req.reason == Reason::subscription_periodic && adj == IssuingDateAdjustment::keep_anchor))
      ctx.issuing_date = ctx.tz.local_date(*req.finalized_at);
  }
  const ComputedInvoice inv = compute_invoice(s, ctx, options);
  // A start invoice only for a plan paid in advance (Subscriptions::ActivateService).
  bool issue = true;
  if (req.reason == Reason::subscription_starting)
    issue = !inv.fees.empty() && ctx.billed.front().sub->plan->pay_in_advance;
  ordered_json invoices = ordered_json::array();
  ordered_json subs = ordered_json::array();
  ordered_json fee_taxes = ordered_json::array();
  if (issue) {
    invoices.push_back(invoice_json(s, ctx, inv));
    fee_taxes.push_back(invoice_fee_taxes(inv, ctx.currency));
    for (const auto& b : ctx.billed) subs.push_back(invoice_subscription(b));
  }
  // A draft's deadline (Lago's CreateGeneratingService#expected_finalization_date: the local day
  // of B + the grace period; Invoice.ready_to_be_finalized compares it with the UTC date).
  if (issue && inv.draft) {
    const date::local_days expected = ctx.tz.local_date(req.billing_at) + date::days{std::max(ctx.grace_period, 0)};
    out["finalization"] = {{"expected_finalization_date", format_date(expected)},
                           {"finalize_at", format_instant(Instant{date::sys_days{expected.time_since_epoch()}})}};
  }
  out["invoices"] = std::move(invoices);
  out["fee_applied_taxes"] = std::move(fee_taxes);
  out["invoice_subscriptions"] = std::move(subs);
  out["already_billed"] = std::move(already);
  ojson changes = issue ? state_changes(s, ctx, inv, ids, req.billing_at)
                        : ojson{{"applied_coupons", ojson::array()}, {"wallets", ojson::array()},
                                {"wallet_transactions", ojson::array()}, {"credit_notes", ojson::array()}};
  changes["subscriptions"] = subscription_changes(s, ctx, req);
  out["changes"] = std::move(changes);
  return out;
}

}  // namespace ops
}  // namespace tariff
