// bill, in_advance_charge (Lago's Invoices::CreatePayInAdvanceChargeService): the invoice of
// one event on the pay-in-advance charges of its metric. The fee is estimate_fees' (one
// computation of §14.3) over the same snapshot with `now` = the event's timestamp and the event
// itself taken out of the stored events; then the shared pipeline: coupons, taxes, credit notes,
// wallets. Fees of non-invoiceable charges are created without an invoice ("fees"), as Lago
// keeps them until regroup_paid_fees. Issuing date: the event's local day.
#include <algorithm>

#include "operations/bill.hpp"
#include "operations/operations.hpp"
#include "snapshot/reader.hpp"
#include "tariff/error.hpp"
#include "metering/aggregation.hpp"
#include "snapshot/expression_apply.hpp"
#include "usage/subscription_dates.hpp"
#include "usage/taxes.hpp"

namespace tariff::billing {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

const ChargeFilter* bucket_for(const Charge& c, const Event& e) {
  const ChargeFilter* best = nullptr;
  for (const auto& f : c.filters)
    if (event_matches_filter(e, f) && (!best || f.values.size() > best->values.size())) best = &f;
  return best;
}

Decimal dec(const ojson& v) {
  auto d = v.is_string() ? Decimal::parse(v.get<std::string>()) : std::nullopt;
  if (!d) throw Failure(Error::validation("request.event", "value_is_invalid"));
  return *d;
}

// The estimate's fee back as an invoice line (the same values; pointers into the snapshot).
InvoiceFee from_estimate(const ojson& o, const Subscription& sub, const Charge& c, const Event& ev) {
  const Currency& cur = sub.plan->currency;
  InvoiceFee f;
  f.kind = FeeKind::charge;
  f.sub = &sub;
  f.charge = &c;
  f.filter = bucket_for(c, ev);
  f.has_filters = !c.filters.empty();
  const ojson& gb = o["item"]["grouped_by"];
  f.grouped = gb.is_object() && !gb.empty();
  if (f.grouped)
    for (auto it = gb.begin(); it != gb.end(); ++it)
      f.grouped_by.emplace_back(it.key(), it.value().is_string() ? std::optional<std::string>(it.value().get<std::string>())
                                                                 : std::nullopt);
  f.amount_cents = o["amount_cents"].get<int64_t>();
  f.precise_amount_cents = cur.to_cents_precise(dec(o["precise_amount"]));
  f.units = dec(o["units"]);
  f.total_aggregated_units = dec(o["total_aggregated_units"]);
  f.events_count = o["events_count"].get<int64_t>();
  f.precise_unit_amount = dec(o["precise_unit_amount"]);
  f.amount_details = o["amount_details"];
  if (auto pu = o.find("pricing_unit_details"); pu != o.end() && !pu->is_null()) f.pricing_unit_details = *pu;
  f.pay_in_advance = true;
  f.invoiceable = c.invoiceable;
  f.from = parse_instant(o["from_date"].get<std::string>()).value_or(Instant{});
  f.to = parse_instant(o["to_date"].get<std::string>()).value_or(Instant{});
  // from_date/to_date print whole seconds; the window ends at local 23:59:59.999999.
  f.to += std::chrono::microseconds{999999};
  return f;
}

// A fee created without an invoice carries its taxes from its creation (Lago's
// Fees::CreatePayInAdvanceService applies Fees::ApplyTaxesService to non-invoiceable fees):
// the charge's taxes, else the plan's, customer's, organization's; each tax base × rate / 100,
// the fee's taxes the rounded sum. Its applied_taxes carry each tax's rounded amount.
ojson standalone_fee(const Snapshot& s, InvoiceFee f, const Event& ev) {
  const Currency& cur = f.sub->plan->currency;
  f.taxes = select_taxes(f.charge->taxes, *f.sub->plan, s);
  f.fee_taxes = fee_taxes(f.base_cents(), f.taxes);
  ojson o = fee_json(f, cur, s.customer ? &*s.customer : nullptr);
  o["event_transaction_id"] = ev.transaction_id;
  o["applied_taxes"] = fee_applied_taxes(f, cur);
  return o;
}

ojson empty_changes() {
  return {{"applied_coupons", ojson::array()}, {"wallets", ojson::array()}, {"wallet_transactions", ojson::array()},
          {"credit_notes", ojson::array()}, {"subscriptions", ojson::array()}};
}

}  // namespace

ojson in_advance_charge(json& original, Snapshot& s, const Request& req, const InputIds& ids,
                        const std::vector<BilledKey>& history) {
  ErrorCollector errors;
  Reader r(errors);
  const json& e = req.event;
  Event ev;
  ev.transaction_id = s.arena->text(r.string(e, "transaction_id", "request.event", true).value_or(""));
  ev.external_subscription_id = s.arena->text(r.string(e, "external_subscription_id", "request.event", true).value_or(""));
  ev.code = s.arena->text(r.string(e, "code", "request.event", true).value_or(""));
  ev.timestamp = r.instant(e, "timestamp", "request.event").value_or(req.billing_at);
  if (Reader::has(e, "properties") && !e["properties"].is_object()) r.add("request.event.properties", "value_is_invalid");
  errors.throw_if_any();
  if (ev.timestamp > s.now) throw Failure(Error::validation("request.event.timestamp", "cannot_be_in_future"));
  if (Reader::has(e, "properties")) ev.properties = properties_from_json(e["properties"], *s.arena);

  ojson out;
  ojson is;
  is["external_subscription_id"] = ev.external_subscription_id;
  is["invoicing_reason"] = "in_advance_charge";
  is["timestamp"] = format_instant(ev.timestamp);
  is["event_transaction_id"] = ev.transaction_id;
  const BilledKey key{std::string(ev.external_subscription_id), "in_advance_charge", "", "", "", "", std::string(ev.transaction_id)};
  if (std::find(history.begin(), history.end(), key) != history.end()) {
    out["invoices"] = ojson::array();
    out["fees"] = ojson::array();
    out["invoice_subscriptions"] = ojson::array();
    out["already_billed"] = ojson::array({is});
    out["changes"] = empty_changes();
    return out;
  }

  // estimate_fees at the event's instant, without the event among those already received.
  json d = std::move(original);
  d["now"] = format_instant(ev.timestamp);
  json est_event = e;
  est_event.erase("timestamp");
  d["request"] = json{{"event", est_event}};
  if (d.contains("events") && d["events"].is_array()) {
    json kept = json::array();
    for (auto& x : d["events"]) {
      const bool same = x.is_object() && x.value("transaction_id", std::string()) == ev.transaction_id &&
                        x.value("external_subscription_id", std::string()) == ev.external_subscription_id;
      if (!same) kept.push_back(std::move(x));
    }
    d["events"] = std::move(kept);
  }
  const ojson est = ops::estimate_fees(d);
  // The event as the estimate saw it (its filter bucket may key on the expression's field);
  // the estimate has already refused an event whose expression fails.
  if (const BillableMetric* m = s.find_metric(ev.code); m && m->expression && !m->field_name.empty())
    apply_expression(*m, ev, *s.arena);

  const Subscription* sub = nullptr;
  for (const auto& cand : s.subscriptions)
    if (cand.external_id == ev.external_subscription_id && is_active_at(cand, ev.timestamp)) sub = &cand;
  if (!sub) throw Failure(Error::not_found("subscription"));
  std::vector<const Charge*> charges;
  for (const auto& c : sub->plan->charges)
    if (c.metric && c.metric->code == ev.code && c.pay_in_advance) charges.push_back(&c);

  // The context: the customer's settings and the subscription, billed at the event.
  s.now = ev.timestamp;
  PreviewRequest pr;
  pr.customer.external_id = s.customer->external_id;
  pr.external_ids = {std::string(ev.external_subscription_id)};
  s.preview_request = std::move(pr);
  PreviewContext ctx = build_preview_context(s);
  BilledSubscription b;
  b.sub = sub;
  b.dates = subscription_dates(s, *sub);
  b.billing_at = ev.timestamp;
  ctx.billed.assign(1, b);
  ctx.currency = sub->plan->currency;
  ctx.issuing_date = ctx.tz.local_date(ev.timestamp);

  std::vector<InvoiceFee> fees;
  ojson standalone = ojson::array();
  const ojson& list = est["fees"];
  for (size_t i = 0; i < list.size() && i < charges.size(); ++i) {
    InvoiceFee f = from_estimate(list[i], *sub, *charges[i], ev);
    if (f.invoiceable) {
      fees.push_back(std::move(f));
    } else {
      standalone.push_back(standalone_fee(s, std::move(f), ev));
    }
  }
  out["invoices"] = ojson::array();
  out["fees"] = std::move(standalone);
  out["invoice_subscriptions"] = ojson::array();
  out["already_billed"] = ojson::array();
  if (fees.empty()) {
    out["changes"] = empty_changes();
    return out;
  }
  const ComputedInvoice inv = price_invoice(s, ctx, std::move(fees));
  ojson invoice = invoice_json(s, ctx, inv);
  for (size_t i = 0; i < inv.fees.size(); ++i) invoice["fees"][i]["event_transaction_id"] = ev.transaction_id;
  out["invoices"].push_back(std::move(invoice));
  out["fee_applied_taxes"] = ojson::array();
  out["fee_applied_taxes"].push_back(invoice_fee_taxes(inv, ctx.currency));
  // Lago's CreatePayInAdvanceChargeService: the invoice subscription carries the charge's
  // boundaries as both its period and its charges period.
  is["plan_code"] = sub->plan_code;
  is["from_datetime"] = format_instant(inv.fees.front().from);
  is["to_datetime"] = format_instant(inv.fees.front().to);
  is["charges_from_datetime"] = is["from_datetime"];
  is["charges_to_datetime"] = is["to_datetime"];
  out["invoice_subscriptions"].push_back(std::move(is));
  ojson changes = state_changes(s, ctx, inv, ids, ev.timestamp);
  changes["subscriptions"] = ojson::array();
  out["changes"] = std::move(changes);
  return out;
}

}  // namespace tariff::billing
