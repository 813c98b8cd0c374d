// The bill request, the billing history and the ids the changes name (docs/billing.md).
//
//   request   {"invoicing_reason": "subscription_periodic" | "subscription_starting" |
//              "subscription_terminating" | "upgrading" | "in_advance_charge",
//              "billing_at": INSTANT (default now, never after now),
//              "external_subscription_ids": [..] (periodic: one or more; others: exactly one),
//              "plan_code": ".." (upgrading), "event": {Lago Event} (in_advance_charge)}
//   history   snapshot.invoices[].invoice_subscriptions[] as earlier `bill` results returned
//             them: {external_subscription_id, invoicing_reason, from_datetime, to_datetime,
//             charges_from_datetime, charges_to_datetime, event_transaction_id}: a subscription is
//             billed once per reason and boundaries (Lago's InvoiceSubscription.matching?), an
//             event once per transaction id. Absent: history is implied by dates (CONTRACT §1).
#include <algorithm>

#include "operations/bill.hpp"
#include "snapshot/reader.hpp"
#include "tariff/error.hpp"

namespace tariff::billing {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::subscription_periodic: return "subscription_periodic";
    case Reason::subscription_starting: return "subscription_starting";
    case Reason::subscription_terminating: return "subscription_terminating";
    case Reason::upgrading: return "upgrading";
    case Reason::in_advance_charge: return "in_advance_charge";
    case Reason::in_advance_charge_periodic: return "in_advance_charge_periodic";
  }
  return "subscription_periodic";
}

Request read_request(const json& doc, Instant now) {
  ErrorCollector errors;
  Reader r(errors);
  Request req;
  const json* q = Reader::field(doc, "request");
  if (!q || !q->is_object()) {
    errors.add("request", "value_is_mandatory");
    errors.throw_if_any();
  }
  const auto reason = r.string(*q, "invoicing_reason", "request", true);
  if (reason) {
    static const Reason all[] = {Reason::subscription_periodic, Reason::subscription_starting,
                                 Reason::subscription_terminating, Reason::upgrading, Reason::in_advance_charge,
                                 Reason::in_advance_charge_periodic};
    bool found = false;
    for (Reason x : all)
      if (*reason == reason_name(x)) req.reason = x, found = true;
    if (!found) errors.add("request.invoicing_reason", "value_is_invalid");
  }
  req.billing_at = r.instant(*q, "billing_at", "request").value_or(now);
  if (req.billing_at > now) errors.add("request.billing_at", "cannot_be_in_future");
  if (const json* ids = r.array(*q, "external_subscription_ids", "request")) {
    for (size_t i = 0; i < ids->size(); ++i) {
      if ((*ids)[i].is_string() && !(*ids)[i].get_ref<const std::string&>().empty()) {
        const std::string id = (*ids)[i].get<std::string>();
        auto& v = req.external_subscription_ids;
        if (std::find(v.begin(), v.end(), id) == v.end()) v.push_back(id);  // each billed once
      }
      else
        errors.add(Reader::at("request.external_subscription_ids", i), "value_is_invalid");
    }
  }
  req.plan_code = r.string(*q, "plan_code", "request");
  req.refresh = r.boolean(*q, "refresh", "request", false);
  req.finalize = r.boolean(*q, "finalize", "request", false);
  req.finalized_at = r.instant(*q, "finalized_at", "request");
  if (req.refresh && req.finalize) errors.add("request.finalize", "value_is_invalid");
  if (const json* e = Reader::field(*q, "event")) {
    if (!e->is_object()) errors.add("request.event", "value_is_invalid");
    else req.event = *e;
  }
  errors.throw_if_any();
  switch (req.reason) {
    case Reason::in_advance_charge:
      if (req.event.is_null()) errors.add("request.event", "value_is_mandatory");
      break;
    case Reason::subscription_periodic:
    case Reason::in_advance_charge_periodic:
      if (req.external_subscription_ids.empty()) errors.add("request.external_subscription_ids", "value_is_mandatory");
      break;
    default:
      if (req.external_subscription_ids.size() != 1)
        errors.add("request.external_subscription_ids", "only_one_subscription_allowed");
  }
  if (req.reason == Reason::upgrading && (!req.plan_code || req.plan_code->empty()))
    errors.add("request.plan_code", "value_is_mandatory");
  errors.throw_if_any();
  return req;
}

std::vector<BilledKey> read_history(const json& doc) {
  std::vector<BilledKey> out;
  ErrorCollector errors;
  Reader r(errors);
  const json* invoices = r.array(doc, "invoices", "");
  if (invoices) {
    for (size_t i = 0; i < invoices->size(); ++i) {
      const json& inv = (*invoices)[i];
      const std::string p = Reader::at("invoices", i);
      if (!inv.is_object()) {
        r.add(p, "value_is_invalid");
        continue;
      }
      const json* subs = r.array(inv, "invoice_subscriptions", p);
      if (!subs) continue;
      for (size_t j = 0; j < subs->size(); ++j) {
        const json& x = (*subs)[j];
        const std::string q = Reader::at(Reader::at(p, "invoice_subscriptions"), j);
        if (!x.is_object()) {
          r.add(q, "value_is_invalid");
          continue;
        }
        BilledKey k;
        k.external_subscription_id = r.string(x, "external_subscription_id", q, true).value_or("");
        k.invoicing_reason = r.string(x, "invoicing_reason", q, true).value_or("");
        k.from_datetime = r.string(x, "from_datetime", q).value_or("");
        k.to_datetime = r.string(x, "to_datetime", q).value_or("");
        k.charges_from_datetime = r.string(x, "charges_from_datetime", q).value_or("");
        k.charges_to_datetime = r.string(x, "charges_to_datetime", q).value_or("");
        k.event_transaction_id = r.string(x, "event_transaction_id", q).value_or("");
        if (k.invoicing_reason == "in_advance_charge") k = BilledKey{k.external_subscription_id, k.invoicing_reason, "", "", "", "", k.event_transaction_id};
        out.push_back(std::move(k));
      }
    }
  }
  errors.throw_if_any();
  return out;
}

InputIds read_input_ids(const json& doc) {
  InputIds ids;
  auto collect = [&](const char* key, const char* fallback, std::vector<ojson>& out) {
    const json* arr = Reader::field(doc, key);
    if (!arr || !arr->is_array()) return;
    for (const auto& o : *arr) {
      const json* id = o.is_object() ? Reader::field(o, "lago_id") : nullptr;
      if (!id && o.is_object()) id = Reader::field(o, fallback);
      out.push_back(id && id->is_string() ? ojson(id->get<std::string>()) : ojson(nullptr));
    }
  };
  collect("applied_coupons", "coupon_code", ids.applied_coupons);
  collect("wallets", "code", ids.wallets);
  collect("credit_notes", "number", ids.credit_notes);
  if (const json* arr = Reader::field(doc, "wallets"); arr && arr->is_array())
    for (const auto& w : *arr) {
      const json* c = w.is_object() ? Reader::field(w, "credits_balance") : nullptr;
      ids.wallet_credits_balance.push_back(c ? decimal_from_json(*c, true) : std::nullopt);
    }
  return ids;
}

}  // namespace tariff::billing
