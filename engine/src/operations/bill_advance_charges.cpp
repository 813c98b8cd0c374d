// bill, in_advance_charge_periodic (Lago's Invoices::AdvanceChargesService, run by
// BillNonInvoiceableFeesJob with each periodic billing, activation and termination): the fees
// of non-invoiceable pay-in-advance charges that were paid (payment_status "succeeded",
// succeeded_at ≤ B) and are on no invoice yet are regrouped on one invoice of type
// `advance_charges`, when a plan of the billed subscriptions has a charge with
// `regroup_paid_fees: "invoice"`. In a regular periodic run (every subscription active, no
// plan change pending, none terminated) only fees whose charges window ended by B are taken.
//
// Nothing is recomputed (Lago's Invoices::AggregateAmountsAndTaxesFromFees): the fees keep the
// amounts and taxes they were created with; fees = Σ amount_cents, taxes = Σ taxes_amount_cents,
// total = fees + taxes (due 0: Lago records a manual payment of it), each applied tax the sum of
// the fees' applied taxes of that code; no coupons, credit notes or wallets; payment_status
// "succeeded". Its invoice subscription (reason in_advance_charge_periodic) spans the charges
// window of the latest subscription of the external id at B (DatesService, not current usage).
#include <algorithm>

#include "operations/bill.hpp"
#include "snapshot/reader.hpp"
#include "tariff/error.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff::billing {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

std::string str(const json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t integer(const json& o, const char* k, const std::string& path) {
  auto it = o.find(k);
  if (it == o.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) throw Failure(Error::validation(path + "." + k, "value_is_invalid"));
  return it->get<int64_t>();
}

int64_t add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw Failure(Error::validation("fees", "value_is_invalid"));
  return r;
}

ojson to_ordered(const json& j) {
  ojson o;
  if (j.is_object()) {
    o = ojson::object();
    for (auto it = j.begin(); it != j.end(); ++it) o[it.key()] = to_ordered(it.value());
  } else if (j.is_array()) {
    o = ojson::array();
    for (const auto& x : j) o.push_back(to_ordered(x));
  } else {
    o = ojson::parse(j.dump());
  }
  return o;
}

}  // namespace

StandaloneFees read_standalone_fees(const json& doc) {
  StandaloneFees out;
  if (const json* f = Reader::field(doc, "fees"); f && f->is_array()) out.fees = *f;
  if (const json* plans = Reader::field(doc, "plans"); plans && plans->is_array())
    for (const auto& p : *plans) {
      if (!p.is_object()) continue;
      const json* charges = Reader::field(p, "charges");
      if (!charges || !charges->is_array()) continue;
      for (const auto& c : *charges)
        if (c.is_object() && str(c, "regroup_paid_fees") == "invoice" && c.value("pay_in_advance", false) == true &&
            c.value("invoiceable", true) == false)
          out.regroup_plans.push_back(str(p, "code"));
    }
  return out;
}

ojson advance_charges(const StandaloneFees& in, Snapshot& s, const Request& req, const std::vector<BilledKey>& history) {
  const Instant B = req.billing_at;
  const auto& ids = req.external_subscription_ids;
  auto wanted = [&](const std::string& id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };

  ojson out;
  out["invoices"] = ojson::array();
  out["invoice_subscriptions"] = ojson::array();
  out["already_billed"] = ojson::array();
  out["changes"] = {{"applied_coupons", ojson::array()}, {"wallets", ojson::array()},
                    {"wallet_transactions", ojson::array()}, {"credit_notes", ojson::array()},
                    {"subscriptions", ojson::array()}, {"fees", ojson::array()}};
  out["fee_applied_taxes"] = ojson::array();

  // The subscriptions of those external ids, active or terminated; the latest by start.
  std::vector<Subscription*> subs;
  for (auto& sub : s.subscriptions)
    if (wanted(sub.external_id) && sub.plan &&
        (sub.status == SubscriptionStatus::active || sub.status == SubscriptionStatus::terminated))
      subs.push_back(&sub);
  for (const auto& id : ids)
    if (!s.find_subscription(id)) throw Failure(Error::not_found("subscription"));
  if (subs.empty()) return out;
  bool statement = false;
  for (const Subscription* sub : subs)
    statement |= std::find(in.regroup_plans.begin(), in.regroup_plans.end(), sub->plan_code) != in.regroup_plans.end();
  if (!statement) return out;
  bool regular = true;
  for (const Subscription* sub : subs)
    if (wanted(sub->external_id) && sub->status == SubscriptionStatus::active)
      regular &= !s.next_subscription(*sub) && !sub->terminated_at && !(sub->ending_at && *sub->ending_at <= B);
  for (const Subscription* sub : subs) regular &= sub->status == SubscriptionStatus::active;

  // The paid fees on no invoice yet.
  ojson fees = ojson::array();
  ojson taken = ojson::array();
  int64_t fees_amount = 0, taxes_amount = 0;
  ojson applied = ojson::array();
  ojson fee_taxes = ojson::array();  // each regrouped fee's own applied taxes, in invoice order
  for (size_t i = 0; i < in.fees.size(); ++i) {
    const json& f = in.fees[i];
    const std::string path = Reader::at("fees", i);
    if (!f.is_object()) throw Failure(Error::validation(path, "value_is_invalid"));
    if (!wanted(str(f, "external_subscription_id"))) continue;
    if (f.contains("lago_invoice_id") && !f["lago_invoice_id"].is_null()) continue;
    if (str(f, "payment_status") != "succeeded") continue;
    const auto paid = parse_instant(str(f, "succeeded_at"));
    if (!paid) throw Failure(Error::validation(path + ".succeeded_at", "value_is_invalid"));
    if (*paid > B) continue;
    if (regular && !str(f, "to_date").empty()) {
      const auto to = parse_instant(str(f, "to_date"));
      if (!to) throw Failure(Error::validation(path + ".to_date", "value_is_invalid"));
      if (*to > B) continue;
    }
    fees_amount = add(fees_amount, integer(f, "amount_cents", path));
    taxes_amount = add(taxes_amount, integer(f, "taxes_amount_cents", path));
    const int64_t base = integer(f, "sub_total_excluding_taxes_amount_cents", path);
    if (const json* at = Reader::field(f, "applied_taxes"); at && at->is_array())
      for (const auto& t : *at) {
        if (!t.is_object()) continue;
        ojson* row = nullptr;
        for (auto& a : applied)
          if (a["tax_code"] == str(t, "tax_code")) row = &a;
        if (!row) {
          applied.push_back({{"lago_id", nullptr},
                             {"lago_invoice_id", nullptr},
                             {"lago_tax_id", to_ordered(t.value("lago_tax_id", json(nullptr)))},
                             {"tax_description", to_ordered(t.value("tax_description", json(nullptr)))},
                             {"created_at", nullptr},
                             {"tax_code", str(t, "tax_code")},
                             {"tax_name", to_ordered(t.value("tax_name", json(nullptr)))},
                             {"tax_rate", to_ordered(t.value("tax_rate", json(nullptr)))},
                             {"amount_currency", to_ordered(t.value("amount_currency", json(nullptr)))},
                             {"amount_cents", 0},
                             {"fees_amount_cents", 0}});
          row = &applied.back();
        }
        (*row)["amount_cents"] = add((*row)["amount_cents"].get<int64_t>(), integer(t, "amount_cents", path));
        (*row)["fees_amount_cents"] = add((*row)["fees_amount_cents"].get<int64_t>(), base);
      }
    // The invoice prints its fees as Lago's InvoiceSerializer does: without their applied taxes
    // (those stay the fee's own, beside the invoice in fee_applied_taxes).
    ojson fee = to_ordered(f);
    ojson own_taxes = ojson::array();
    if (auto at = fee.find("applied_taxes"); at != fee.end()) {
      if (at->is_array()) own_taxes = std::move(*at);
      fee.erase(at);
    }
    fee_taxes.push_back(std::move(own_taxes));
    fees.push_back(std::move(fee));
    taken.push_back(str(f, "lago_id"));
  }
  if (fees.empty()) return out;

  Subscription* latest = subs.front();
  for (Subscription* sub : subs)
    if (sub->started_at.value_or(sub->subscription_at) > latest->started_at.value_or(latest->subscription_at)) latest = sub;
  // The invoice's context: the customer's settings and the latest subscription at B.
  // Its windows as it stands (a terminated one ends at its termination); the preview context is
  // built with it active (the customer's zone, currency and settings are all it gives here).
  BilledSubscription b;
  b.sub = latest;
  b.dates = subscription_dates(s, *latest);
  b.billing_at = B;
  b.windows = billing_windows(b.dates, B);
  const SubscriptionStatus kept_status = latest->status;
  const auto kept_end = latest->terminated_at;
  latest->status = SubscriptionStatus::active;
  latest->terminated_at.reset();
  s.now = B - std::chrono::microseconds{1};
  PreviewRequest pr;
  pr.customer.external_id = s.customer->external_id;
  pr.external_ids = {latest->external_id};
  s.preview_request = std::move(pr);
  PreviewContext ctx = build_preview_context(s);
  latest->status = kept_status;
  latest->terminated_at = kept_end;
  ctx.billed.assign(1, b);
  ctx.currency = latest->plan->currency;
  ctx.issuing_date = b.dates.tz.local_date(B);

  ojson is;
  is["external_subscription_id"] = latest->external_id;
  is["plan_code"] = latest->plan_code;
  is["invoicing_reason"] = "in_advance_charge_periodic";
  is["timestamp"] = format_instant(B);
  is["from_datetime"] = format_instant(b.windows.charges_from);
  is["to_datetime"] = format_instant(b.windows.charges_to);
  is["charges_from_datetime"] = is["from_datetime"];
  is["charges_to_datetime"] = is["to_datetime"];
  const BilledKey key{latest->external_id, "in_advance_charge_periodic", is["from_datetime"], is["to_datetime"],
                      is["charges_from_datetime"], is["charges_to_datetime"], ""};
  if (std::find(history.begin(), history.end(), key) != history.end()) {
    out["already_billed"].push_back(std::move(is));
    return out;
  }

  ComputedInvoice none;
  ojson inv = invoice_json(s, ctx, none, "advance_charges");
  inv["payment_status"] = "succeeded";
  inv["created_at"] = format_instant(B);
  inv["updated_at"] = format_instant(B);
  inv["fees_amount_cents"] = fees_amount;
  inv["taxes_amount_cents"] = taxes_amount;
  inv["sub_total_excluding_taxes_amount_cents"] = fees_amount;
  const int64_t total = add(fees_amount, taxes_amount);
  inv["sub_total_including_taxes_amount_cents"] = total;
  inv["total_amount_cents"] = total;
  inv["total_due_amount_cents"] = 0;  // paid: Lago records a manual payment of the total
  inv["fees"] = std::move(fees);
  inv["applied_taxes"] = std::move(applied);
  out["invoices"].push_back(std::move(inv));
  out["fee_applied_taxes"].push_back(std::move(fee_taxes));
  out["invoice_subscriptions"].push_back(std::move(is));
  out["changes"]["fees"] = std::move(taken);
  return out;
}

}  // namespace tariff::billing
