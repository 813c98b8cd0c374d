// Lago's fees API (lago-openapi.yaml: /fees, /fees/{lago_id}; Lago's FeesController, FeesQuery,
// Fees::UpdateService, Fees::DestroyService): every fee billing created, on an invoice or on none (a non-invoiceable
// charge paid in advance). A fee on an invoice is read from its invoice (the "fee" document is
// a reference); its payment status is the invoice's. A fee on no invoice is its own document.
#include <algorithm>
#include <map>

#include "billing.hpp"
#include "resources.hpp"

namespace tariff::server {
namespace {

ordered_json plain(const std::string& text) {  // rates stay numbers, as Lago prints them
  ordered_json doc = ordered_json::parse(text, nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error("stored document is not valid JSON");
  return doc;
}

void rate_number(ordered_json& o, const char* key) {
  if (o.is_object() && o.contains(key) && o[key].is_string())
    o[key] = std::strtod(o[key].get<std::string>().c_str(), nullptr);
}

// The fee as Lago's FeeSerializer (with applied_taxes) answers it; nullopt when its invoice is gone.
std::optional<ordered_json> fee_view(Transaction& tx, const std::string& id, ordered_json doc,
                                     std::map<std::string, ordered_json>& invoices) {
  if (doc.contains("ref_invoice")) {
    const std::string inv_id = string_or(doc, "ref_invoice", "");
    const ordered_json taxes = doc.value("applied_taxes", ordered_json(nullptr));  // stored beside the invoice
    auto it = invoices.find(inv_id);
    if (it == invoices.end()) {
      auto d = tx.get("invoice", inv_id);
      if (!d) return std::nullopt;
      it = invoices.emplace(inv_id, plain(d->body)).first;
    }
    const ordered_json& inv = it->second;
    std::optional<ordered_json> hit;
    for (const auto& f : inv.value("fees", ordered_json::array()))
      if (string_or(f, "lago_id", "") == id) hit = f;
    if (!hit) return std::nullopt;
    doc = *hit;
    if (taxes.is_array()) doc["applied_taxes"] = taxes;
    doc["lago_invoice_id"] = inv["lago_id"];
    doc["payment_status"] = inv.value("payment_status", ordered_json("pending"));
    doc["created_at"] = inv.value("created_at", ordered_json(nullptr));
    for (const char* k : {"succeeded_at", "failed_at", "refunded_at"}) doc[k] = nullptr;
  }
  for (const char* k : {"updated_at", "plan_code"}) doc.erase(k);
  if (!doc.contains("applied_taxes")) doc["applied_taxes"] = ordered_json::array();
  rate_number(doc, "taxes_rate");
  for (auto& t : doc["applied_taxes"]) rate_number(t, "tax_rate");
  return doc;
}

bool valid_payment_status(const std::string& v) {
  return v == "pending" || v == "succeeded" || v == "failed" || v == "refunded";
}

// Lago's FeesQuery: the filters of GET /fees, refused as Lago refuses them.
struct Filters {
  std::optional<std::string> customer, subscription, currency, fee_type, metric, payment_status, transaction;
  std::map<std::string, std::pair<std::optional<int64_t>, std::optional<int64_t>>> ranges;  // field → [from, to]
};

Filters read_filters(const Context& ctx) {
  static const char* kTypes[] = {"charge", "add_on", "subscription", "credit", "commitment", "fixed_charge", "product"};
  Filters f;
  f.customer = ctx.query_value("external_customer_id");
  f.subscription = ctx.query_value("external_subscription_id");
  f.currency = ctx.query_value("currency");
  if (f.currency) std::transform(f.currency->begin(), f.currency->end(), f.currency->begin(), ::toupper);
  f.fee_type = ctx.query_value("fee_type");
  if (f.fee_type && std::none_of(std::begin(kTypes), std::end(kTypes), [&](const char* t) { return *f.fee_type == t; }))
    throw validation("fee_type", "value_is_invalid");
  f.metric = ctx.query_value("billable_metric_code");
  f.payment_status = ctx.query_value("payment_status");
  if (f.payment_status && !valid_payment_status(*f.payment_status)) throw validation("payment_status", "value_is_invalid");
  f.transaction = ctx.query_value("event_transaction_id");
  for (const char* field : {"created_at", "succeeded_at", "failed_at", "refunded_at"}) {
    auto& r = f.ranges[field];
    for (int end = 0; end < 2; ++end) {
      const std::string name = std::string(field) + (end ? "_to" : "_from");
      const auto v = ctx.query_value(name);
      if (!v) continue;
      const auto t = parse_iso(*v);
      if (!t) throw validation(name, "invalid_date");
      (end ? r.second : r.first) = *t;
    }
  }
  return f;
}

bool matches(const Filters& f, const ordered_json& fee) {
  if (f.subscription && string_or(fee, "external_subscription_id", "") != *f.subscription) return false;
  if (f.currency && string_or(fee, "amount_currency", "") != *f.currency) return false;
  const ordered_json item = fee.value("item", ordered_json::object());
  if (f.fee_type && string_or(item, "type", "") != *f.fee_type) return false;
  if (f.metric && (string_or(item, "type", "") != "charge" || string_or(item, "code", "") != *f.metric)) return false;
  if (f.payment_status && string_or(fee, "payment_status", "") != *f.payment_status) return false;
  if (f.transaction && string_or(fee, "event_transaction_id", "") != *f.transaction) return false;
  for (const auto& [field, r] : f.ranges) {
    if (!r.first && !r.second) continue;
    const auto t = parse_iso(string_or(fee, field.c_str(), ""));
    if (!t) return false;
    if (r.first && *t < *r.first) return false;
    if (r.second && *t > *r.second) return false;
  }
  return true;
}

Reply list_fees(Context& ctx) {
  const Pagination p = parse_pagination(ctx.query());
  const Filters f = read_filters(ctx);
  std::vector<ordered_json> all;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    if (f.customer && !tx.get("customer", *f.customer)) return;  // Lago: none for an unknown customer
    std::map<std::string, ordered_json> invoices;
    for (const auto& d : tx.list(DocumentQuery{"fee", f.customer, f.subscription, 0, -1}).items) {
      auto v = fee_view(tx, d.key, plain(d.body), invoices);
      if (v && matches(f, *v)) all.push_back(std::move(*v));
    }
  });
  // Lago orders by created_at (ascending), stable.
  std::stable_sort(all.begin(), all.end(), [](const ordered_json& a, const ordered_json& b) {
    return parse_iso(string_or(a, "created_at", "")).value_or(0) < parse_iso(string_or(b, "created_at", "")).value_or(0);
  });
  ordered_json items = ordered_json::array();
  const auto total = static_cast<int64_t>(all.size());
  for (int64_t i = p.offset(); i < total && i < p.offset() + p.per_page; ++i) items.push_back(all[static_cast<size_t>(i)]);
  return list_reply("fees", items, p, total);
}

ordered_json one_fee(Transaction& tx, const std::string& id) {
  auto d = tx.get("fee", id);
  if (!d) throw not_found("fee");
  std::map<std::string, ordered_json> invoices;
  auto v = fee_view(tx, id, plain(d->body), invoices);
  if (!v) throw not_found("fee");
  return *v;
}

// Lago's Fees::UpdateService: only payment_status, only for a fee on no invoice (405
// invoiced_fee otherwise); the timestamp of the new status is set, the others cleared.
Reply update_fee(Context& ctx) {
  const json in = ctx.body_object("fee");
  ordered_json out;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    auto d = tx.get("fee", ctx.params[0]);
    if (!d) throw not_found("fee");
    ordered_json fee = plain(d->body);
    if (in.contains("payment_status")) {
      if (fee.contains("ref_invoice") || !fee.value("lago_invoice_id", ordered_json(nullptr)).is_null())
        throw method_not_allowed("invoiced_fee");
      const json& ps = in["payment_status"];
      if (!ps.is_string() || !valid_payment_status(ps.get<std::string>())) throw validation("payment_status", "value_is_invalid");
      const std::string status = ps.get<std::string>();
      fee["payment_status"] = status;
      for (const char* k : {"succeeded_at", "failed_at", "refunded_at"}) fee[k] = nullptr;
      if (status != "pending") fee[status + "_at"] = ctx.now;
      fee["updated_at"] = ctx.now;
      save_doc(tx, "fee", ctx.params[0], fee, d->owner, d->ref);
    }
    out = one_fee(tx, ctx.params[0]);
  });
  return object_reply("fee", out);
}

// Lago's Fees::DestroyService (DELETE /fees/{id}): a fee on no invoice (a non-invoiceable charge
// paid in advance) is deleted and answered as it was; 404 fee_not_found for none, 405
// invoiced_fee for a fee on an invoice. Lago discards it (kept, hidden from every query): here
// its document goes, so it is neither listed, nor shown, nor regrouped on an invoice later.
Reply delete_fee(Context& ctx) {
  ordered_json out;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    auto d = tx.get("fee", ctx.params[0]);
    if (!d) throw not_found("fee");
    const ordered_json fee = plain(d->body);
    if (fee.contains("ref_invoice") || !fee.value("lago_invoice_id", ordered_json(nullptr)).is_null())
      throw method_not_allowed("invoiced_fee");
    out = one_fee(tx, ctx.params[0]);
    tx.remove("fee", ctx.params[0]);
  });
  return object_reply("fee", out);
}

}  // namespace

void add_fee_routes(App& app) {
  app.add("GET", "/api/v1/fees", list_fees);
  app.add("GET", "/api/v1/fees/([^/]+)", [](Context& ctx) {
    ordered_json fee;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) { fee = one_fee(tx, ctx.params[0]); });
    return object_reply("fee", fee);
  });
  app.add("PUT", "/api/v1/fees/([^/]+)", update_fee);
  app.add("DELETE", "/api/v1/fees/([^/]+)", delete_fee);
}

}  // namespace tariff::server
