// bill, progressive_billing (Lago's LifetimeUsages::CheckThresholdsService →
// Invoices::ProgressiveBillingService; docs/progressive_billing.md): at instant B, the
// subscription's lifetime usage is checked against its usage thresholds; when one or more are
// passed, one progressive billing invoice is issued for the usage of the period so far:
//
//   fees      the arrears, invoiceable charges over the current period's charges window at B
//             (the current usage window; no true-up, no subscription fee, no fixed charge);
//   credit    what the period's latest progressive invoice billed (its fees − coupons − what
//             later invoices took from it), before coupons (the same step as a period-end
//             invoice's, invoice/progressive.cpp);
//   then      coupons, taxes, credit notes, wallets (the shared pipeline), finalized at once.
//
//   thresholds 1000 (fixed), 500 (recurring); current usage 1200, nothing billed:
//   1000 passed, 1200 − 1000 < 500 ⇒ not the recurring one; invoice: fees 1200, credit 0.
//   Later, usage 1800: invoiced 0 + billed 1200 ≥ 1000 ⇒ recurring: 1200 % 500 = 200;
//   (1800 − 1200) + 200 = 800 ≥ 500 ⇒ passed; invoice: fees 1800 − credit 1200 = 600.
//
// Nothing passed: no invoice (invoices []). The result carries `progressive_billing` (the
// lifetime usage, the thresholds passed and Lago's idempotency key: external id, charges window,
// invoiced usage, the last threshold and the previous progressive invoice).
#include "invoice/pipeline.hpp"
#include "operations/bill.hpp"
#include "operations/progressive.hpp"
#include "snapshot/reader.hpp"
#include "tariff/error.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff::billing {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

[[noreturn]] void invalid(const std::string& path, const std::string& code) {
  throw Failure(Error::validation(path, code));
}

ojson no_changes() {
  return {{"applied_coupons", ojson::array()}, {"wallets", ojson::array()}, {"wallet_transactions", ojson::array()},
          {"credit_notes", ojson::array()}, {"subscriptions", ojson::array()}};
}

}  // namespace

bool is_progressive_request(const json& doc) {
  const json* q = Reader::field(doc, "request");
  if (!q || !q->is_object()) return false;
  const json* r = Reader::field(*q, "invoicing_reason");
  return r && r->is_string() && r->get_ref<const std::string&>() == "progressive_billing";
}

ojson progressive_billing(Snapshot& s, const InputIds& ids) {
  if (!s.customer) throw Failure(Error::not_found("customer"));
  ErrorCollector errors;
  Reader r(errors);
  const json& q = s.raw["request"];
  const Instant B = r.instant(q, "billing_at", "request").value_or(s.now);
  const json* list = r.array(q, "external_subscription_ids", "request", true);
  errors.throw_if_any();
  if (!list || list->empty()) invalid("request.external_subscription_ids", "value_is_mandatory");
  if (list->size() != 1) invalid("request.external_subscription_ids", "only_one_subscription_allowed");
  if (!(*list)[0].is_string()) invalid("request.external_subscription_ids", "value_is_invalid");
  const std::string id = (*list)[0].get<std::string>();
  if (B > s.now) invalid("request.billing_at", "cannot_be_in_future");

  const Subscription* sub = nullptr;
  for (const auto& cand : s.subscriptions)
    if (cand.external_id == id && cand.plan && is_active_at(cand, B)) sub = &cand;
  if (!sub && !s.find_subscription(id)) throw Failure(Error::not_found("subscription"));
  if (!sub) {  // CheckThresholdsService: nothing for a subscription that is not active
    ojson out;
    out["invoices"] = ojson::array();
    out["invoice_subscriptions"] = ojson::array();
    out["already_billed"] = ojson::array();
    out["changes"] = no_changes();
    out["progressive_billing"] = {{"external_subscription_id", id}, {"passed_thresholds", ojson::array()},
                                  {"idempotency_key", nullptr}};
    return out;
  }

  // The context: the customer's settings, the subscription billed over its current period.
  s.now = B;
  PreviewRequest pr;
  pr.customer.external_id = s.customer->external_id;
  pr.external_ids = {id};
  s.preview_request = std::move(pr);
  PreviewContext ctx = build_preview_context(s);
  BilledSubscription b;
  b.sub = sub;
  b.dates = subscription_dates(s, *sub);
  b.billing_at = B;
  b.windows = current_usage_windows(b.dates, B);
  b.fee_rule = BilledSubscription::FeeRule::none;
  b.charges = BilledSubscription::Charges::projection;
  ctx.billed.assign(1, b);
  ctx.currency = sub->plan->currency;
  ctx.issuing_date = ctx.tz.local_date(B);  // Invoices::CreateGeneratingService, no grace period

  const LifetimeUsage usage = lifetime_usage(s, *sub);
  const ProgressiveBilled before = progressive_billed(s, *sub, B);
  const std::vector<const UsageThreshold*> passed =
      passed_thresholds(sub->applicable_usage_thresholds(), usage, before.billed_amount_cents);

  ojson info;
  info["external_subscription_id"] = id;
  info["historical_usage_amount_cents"] = usage.historical_cents;
  info["invoiced_usage_amount_cents"] = usage.invoiced_cents;
  info["current_usage_amount_cents"] = usage.current_cents;
  info["lifetime_usage_amount_cents"] = usage.total_cents();
  info["progressive_billed_amount_cents"] = before.billed_amount_cents;
  ojson passed_json = ojson::array();
  for (const UsageThreshold* t : passed) passed_json.push_back(usage_threshold_json(*t));
  info["passed_thresholds"] = std::move(passed_json);
  info["idempotency_key"] = nullptr;

  ojson out;
  out["invoices"] = ojson::array();
  out["invoice_subscriptions"] = ojson::array();
  out["already_billed"] = ojson::array();
  if (passed.empty()) {
    out["changes"] = no_changes();
    out["progressive_billing"] = std::move(info);
    return out;
  }

  std::vector<InvoiceFee> fees, all;
  add_charge_fees(s, ctx.billed.front(), all);
  for (auto& f : all)
    if (f.kind == FeeKind::charge && !f.true_up && !f.charge->pay_in_advance) fees.push_back(std::move(f));
  const ComputedInvoice inv = price_invoice(s, ctx, std::move(fees));
  ojson invoice = invoice_json(s, ctx, inv, "progressive_billing");
  ojson applied = ojson::array();
  for (const UsageThreshold* t : passed)
    applied.push_back({{"lifetime_usage_amount_cents", usage.total_cents()},
                       {"created_at", format_instant(B)},
                       {"usage_threshold", usage_threshold_json(*t)}});
  invoice["applied_usage_thresholds"] = std::move(applied);
  out["invoices"].push_back(std::move(invoice));
  out["fee_applied_taxes"] = ojson::array();
  out["fee_applied_taxes"].push_back(invoice_fee_taxes(inv, ctx.currency));

  const Windows& w = ctx.billed.front().windows;
  ojson is;
  is["external_subscription_id"] = id;
  is["plan_code"] = sub->plan_code;
  is["invoicing_reason"] = "progressive_billing";
  is["timestamp"] = format_instant(B);
  is["from_datetime"] = format_instant(w.from);
  is["to_datetime"] = format_instant(w.to);
  is["charges_from_datetime"] = format_instant(w.charges_from);
  is["charges_to_datetime"] = format_instant(w.charges_to);
  out["invoice_subscriptions"].push_back(std::move(is));

  // Lago's Idempotency.unique! of the progressive invoice (and, for a recurring threshold that
  // credits an earlier invoice, that invoice).
  info["idempotency_key"] = id + "|" + format_instant(w.charges_from) + "|" + std::to_string(usage.invoiced_cents) +
                            "|" + std::to_string(passed.back()->amount_cents) + "|" +
                            (before.invoice ? before.invoice->lago_id : std::string());
  ojson changes = state_changes(s, ctx, inv, ids, B);
  changes["subscriptions"] = ojson::array();
  out["changes"] = std::move(changes);
  out["progressive_billing"] = std::move(info);
  return out;
}

}  // namespace tariff::billing
