// What billing issued, in Lago's shapes (lago-openapi.yaml: Invoice, CreditNote; wallet
// transactions are listed by customers.cpp): invoices (list with Lago's filters, one, update of
// metadata and payment_status, void), credit notes, and a customer's past usage.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "billing.hpp"
#include "tariff/decimal.hpp"
#include "tariff/rules.hpp"
#include "billing_jobs.hpp"
#include "serializers.hpp"
#include "resources.hpp"
#include "webhooks.hpp"

namespace tariff::server {
namespace {

// What billing stored, read for the API: rates (taxes_rate 20.0) stay numbers, as Lago prints
// them (money is in integer cents or decimal strings, so nothing is rounded by this reading).
ordered_json api_doc(const std::string& text) {
  ordered_json doc = ordered_json::parse(text, nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error("stored document is not valid JSON");
  return doc;
}

// The stored invoice as Lago's API shows it (Lago's InvoiceSerializer): the billing keys it
// carries stay inside; the customer and the subscriptions are the live records, as their own
// endpoints answer them (Lago serializes model.customer and the invoice's subscriptions when
// asked). The list answers Lago's InvoiceObject (index: no subscriptions, fees, credits or
// billing periods), one invoice the InvoiceObjectExtended.
// A stored rate (decimal text in the exact store) as the float Lago sends; display only.
void rate_number(ordered_json& o, const char* key) {
  if (o.is_object() && o.contains(key) && o[key].is_string())
    o[key] = std::strtod(o[key].get<std::string>().c_str(), nullptr);
}

ordered_json invoice_view(Context& ctx, Transaction& tx, ordered_json inv, bool extended) {
  inv.erase("invoice_subscriptions");
  inv.erase("billing_changes");
  const std::string customer = inv.contains("customer") ? string_or(inv["customer"], "external_id", "") : "";
  const auto stored = load_doc(tx, "customer", customer);
  if (stored) inv["customer"] = serialize_customer(*stored, tx, false);
  if (auto fees = inv.find("fees"); fees != inv.end() && fees->is_array())
    for (auto& f : *fees) {
      rate_number(f, "taxes_rate");
      if (auto ap = f.find("applied_taxes"); ap != f.end() && ap->is_array())
        for (auto& t : *ap) rate_number(t, "tax_rate");
    }
  if (auto ap = inv.find("applied_taxes"); ap != inv.end() && ap->is_array())
    for (auto& t : *ap) rate_number(t, "tax_rate");
  if (!extended) {
    for (const char* k : {"subscriptions", "fees", "credits", "billing_periods"}) inv.erase(k);
    return inv;
  }
  if (auto subs = inv.find("subscriptions"); subs != inv.end() && subs->is_array())
    for (auto& s : *subs) {
      std::optional<ordered_json> st;  // the subscription billing named, else by its plan
      if (auto d = tx.get("subscription", string_or(s, "lago_id", ""))) st = parse_stored(d->body);
      if (!st) st = billing_jobs::find_sub(tx, customer, string_or(s, "external_id", ""), string_or(s, "plan_code", ""));
      if (st) s = serialize_subscription(*st, tx, ctx.now_us);
    }
  return inv;
}

// Lago's CreditNoteSerializer: billing_entity_code is the code of the invoice's billing entity
// (the organization's default entity: its name parameterized with "_", Lago's
// Organizations::CreateService) when the invoice names none; taxes_rate the float Lago sends;
// each item with its currency and the credited fee as the invoice shows it (CreditNoteItemSerializer).
ordered_json credit_note_view(Transaction& tx, ordered_json n) {
  std::optional<ordered_json> inv;
  if (auto d = tx.get("invoice", string_or(n, "lago_invoice_id", ""))) inv = api_doc(d->body);  // rates as numbers
  // The server's own keys stay inside; Lago's metadata is a key-value object (none here).
  for (const char* k : {"external_customer_id", "external_subscription_id", "status"}) n.erase(k);
  if (n.contains("metadata") && !n["metadata"].is_object()) n["metadata"] = nullptr;
  if (!n["billing_entity_code"].is_string()) {
    if (inv && (*inv)["billing_entity_code"].is_string()) {
      n["billing_entity_code"] = (*inv)["billing_entity_code"];
    } else {
      std::string code;
      for (char ch : string_or(snapshot_organization(tx), "name", "")) {
        const auto u = static_cast<unsigned char>(ch);
        if (std::isalnum(u)) code += static_cast<char>(std::tolower(u));
        else if (!code.empty() && code.back() != '_') code += '_';
      }
      while (!code.empty() && code.back() == '_') code.pop_back();
      n["billing_entity_code"] = code;
    }
  }
  rate_number(n, "taxes_rate");
  if (auto items = n.find("items"); items != n.end() && items->is_array())
    for (auto& it : *items) {
      ordered_json o;
      o["lago_id"] = it.value("lago_id", ordered_json(nullptr));
      o["amount_cents"] = it.value("amount_cents", ordered_json(nullptr));
      o["precise_amount_cents"] = it.value("precise_amount_cents", ordered_json(nullptr));
      o["amount_currency"] = n.value("currency", ordered_json(nullptr));
      o["fee"] = nullptr;
      if (inv)
        for (const auto& f : inv->value("fees", ordered_json::array()))
          if (f.value("lago_id", ordered_json(nullptr)) == it.value("lago_fee_id", ordered_json(nullptr))) {
            o["fee"] = f;
            rate_number(o["fee"], "taxes_rate");
          }
      it = std::move(o);
    }
  return n;
}

ordered_json load_or_404(Transaction& tx, const std::string& kind, const std::string& key, const char* what) {
  auto d = tx.get(kind, key);
  if (!d) throw not_found(what);
  return api_doc(d->body);
}

bool in_list(const Context& ctx, const std::string& name, const std::string& value) {
  bool any = false;
  for (const auto& n : {name, name + "[]"})
    for (auto [it, end] = ctx.query().equal_range(n); it != end; ++it) {
      any = true;
      if (it->second == value) return true;
    }
  return !any;
}

Reply list_invoices(Context& ctx) {
  const Pagination p = parse_pagination(ctx.query());
  const auto customer = ctx.query_value("external_customer_id");
  const auto from = ctx.query_value("issuing_date_from");
  const auto to = ctx.query_value("issuing_date_to");
  if (from && !parse_date(*from)) throw validation("issuing_date_from", "invalid_date");
  if (to && !parse_date(*to)) throw validation("issuing_date_to", "invalid_date");
  std::vector<ordered_json> all;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    for (const auto& d : tx.list(DocumentQuery{"invoice", customer, std::nullopt, 0, -1}).items) {
      ordered_json inv = api_doc(d.body);
      const std::string day = string_or(inv, "issuing_date", "");
      if (!in_list(ctx, "status", string_or(inv, "status", ""))) continue;
      if (!in_list(ctx, "payment_status", string_or(inv, "payment_status", ""))) continue;
      if (from && day < *from) continue;  // ISO dates compare as text
      if (to && day > *to) continue;
      all.push_back(invoice_view(ctx, tx, std::move(inv), false));
    }
  });
  // Lago lists the newest first (issuing date, then creation).
  std::stable_sort(all.begin(), all.end(), [](const ordered_json& a, const ordered_json& b) {
    return string_or(a, "issuing_date", "") > string_or(b, "issuing_date", "");
  });
  ordered_json items = ordered_json::array();
  const auto total = static_cast<int64_t>(all.size());
  for (int64_t i = p.offset(); i < total && i < p.offset() + p.per_page; ++i) items.push_back(all[static_cast<size_t>(i)]);
  return list_reply("invoices", items, p, total);
}

Reply update_invoice(Context& ctx) {
  const json in = ctx.body_object("invoice");
  ordered_json inv;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    inv = load_or_404(tx, "invoice", ctx.params[0], "invoice");
    // Lago's Invoices::UpdateService: a draft takes neither metadata nor a new payment status.
    const bool draft = string_or(inv, "status", "") == "draft";
    if (draft && in.contains("metadata")) throw method_not_allowed("metadata_on_draft_invoice");
    if (in.contains("payment_status")) {
      const json& ps = in["payment_status"];
      if (!ps.is_string() || (ps != "pending" && ps != "succeeded" && ps != "failed"))
        throw validation("payment_status", "value_is_invalid");
      if (draft && ps.get<std::string>() != string_or(inv, "payment_status", ""))
        throw method_not_allowed("payment_status_update_on_draft_invoice");
      inv["payment_status"] = ps.get<std::string>();
    }
    if (in.contains("metadata")) {
      if (!in["metadata"].is_array()) throw validation("metadata", "invalid_type");
      ordered_json md = ordered_json::array();
      for (const auto& m : in["metadata"]) {
        if (!m.is_object() || !m.contains("key") || !m["key"].is_string() || !m.contains("value") || !m["value"].is_string())
          throw validation("metadata", "invalid_key_value");
        const std::string key = m["key"].get<std::string>(), value = m["value"].get<std::string>();
        if (key.size() > rules::kMetadataKeyMax) throw validation("metadata", "invalid_key_value");
        if (value.size() > rules::kMetadataValueMax) throw validation("metadata", "invalid_key_value");
        ordered_json o;
        o["lago_id"] = ctx.ids.uuid();
        for (const auto& old : inv.value("metadata", ordered_json::array()))  // an updated key keeps its id
          if (string_or(old, "key", "") == key) o["lago_id"] = old["lago_id"];
        o["key"] = key;
        o["value"] = value;
        o["created_at"] = ctx.now;
        md.push_back(std::move(o));
      }
      inv["metadata"] = std::move(md);
    }
    inv["updated_at"] = ctx.now;
    save_doc(tx, "invoice", ctx.params[0], inv, string_or(inv["customer"], "external_id", ""),
             string_or(inv, "issuing_date", ""));
    inv = invoice_view(ctx, tx, std::move(inv), true);
  });
  return object_reply("invoice", inv);
}

// Lago's AppliedCoupons::RecreditService for each coupon that credited a voided invoice: a
// coupon its use terminated is active again (not a forever one, nor one whose coupon was
// terminated since); a recurring one gets its period back. A fixed amount once coupon has its
// credit back: Lago derives its remaining amount from the credits of invoices not voided
// (AppliedCoupon#remaining_amount), this server keeps it (amount_cents_remaining).
void recredit_coupon(Context& ctx, Transaction& tx, const ordered_json& credit, const std::string& customer) {
  const std::string id = string_or(credit, "lago_id", "");
  auto ac = load_doc(tx, "applied_coupon", id);
  if (!ac) return;
  if (string_or(*ac, "frequency", "once") == "once" && (*ac)["amount_cents_remaining"].is_number_integer() &&
      credit.value("credit_amount_cents", ordered_json(nullptr)).is_number_integer())
    (*ac)["amount_cents_remaining"] =
        (*ac)["amount_cents_remaining"].get<int64_t>() + credit["credit_amount_cents"].get<int64_t>();
  const std::string frequency = string_or(*ac, "frequency", "once");
  if (string_or(*ac, "status", "") == "terminated" && frequency != "forever") {
    auto coupon = load_doc(tx, "coupon", string_or(*ac, "coupon_code", ""));
    if (coupon && string_or(*coupon, "status", "active") != "terminated") {
      (*ac)["status"] = "active";
      (*ac)["terminated_at"] = nullptr;
    }
  }
  if (frequency == "recurring" && (*ac)["frequency_duration_remaining"].is_number_integer())
    (*ac)["frequency_duration_remaining"] = (*ac)["frequency_duration_remaining"].get<int64_t>() + 1;
  save_doc(tx, "applied_coupon", id, *ac, customer);
  (void)ctx;
}

// Lago's WalletTransactions::RecreditService for each outbound transaction of a voided invoice
// on an active wallet: an inbound granted transaction (voided_invoice_id the invoice), the
// balance increased and consumed credits reset by as much. How much is the engine's
// (rules::void_recredit: whole cents through the wallet's rate); nothing when it is no cent.
void recredit_wallet(Context& ctx, Transaction& tx, const ordered_json& debit, const std::string& invoice_id) {
  const std::string wallet_id = string_or(debit, "lago_wallet_id", "");
  auto wallet = load_doc(tx, "wallet", wallet_id);
  if (!wallet || string_or(*wallet, "status", "") != "active") return;
  const auto credits = Decimal::parse(string_or(debit, "credit_amount", "0"));
  rules::WalletState before;
  before.rate_amount = Decimal::parse(string_or(*wallet, "rate_amount", "1")).value_or(Decimal());
  before.currency = string_or(*wallet, "currency", "");
  before.credits_balance = Decimal::parse(string_or(*wallet, "credits_balance", "0")).value_or(Decimal());
  before.balance_cents = wallet->value("balance_cents", int64_t{0});
  before.consumed_credits = Decimal::parse(string_or(*wallet, "consumed_credits", "0")).value_or(Decimal());
  if (!credits) return;
  const auto back = rules::void_recredit(*credits, before);
  if (!back.ok()) throw std::runtime_error("wallet " + wallet_id + ": " + back.error.to_json());
  const rules::VoidRecredit& r = *back.value;
  if (!r.recredited) return;
  (*wallet)["credits_balance"] = r.wallet.credits_balance.to_string();
  (*wallet)["credits_ongoing_balance"] = r.wallet.credits_balance.to_string();
  (*wallet)["balance_cents"] = r.wallet.balance_cents;
  (*wallet)["ongoing_balance_cents"] = r.wallet.balance_cents;
  (*wallet)["consumed_credits"] = r.wallet.consumed_credits.to_string();
  save_doc(tx, "wallet", wallet_id, *wallet, string_or(*wallet, "external_customer_id", ""));
  rules::WalletTransactionRecord rec;
  rec.lago_id = ctx.ids.uuid();
  rec.lago_wallet_id = wallet_id;
  rec.lago_voided_invoice_id = invoice_id;
  rec.inbound = true;
  rec.amount = r.amount;
  rec.amount_cents = r.amount_cents;
  rec.credit_amount = r.credit_amount;
  rec.currency = before.currency;
  rec.at = ctx.now;
  const ordered_json t = rules::wallet_transaction_json(rec);
  save_doc(tx, "wallet_transaction", t["lago_id"].get<std::string>(), t, wallet_id);
  // WalletTransactions::CreateFromParamsService: wallet_transaction.created.
  webhooks::wallet_transaction_created(ctx, tx, t["lago_id"].get<std::string>(), &*wallet);
}

// Lago's Invoices::VoidService (POST /invoices/{id}/void): a finalized invoice (paid or not) is
// voided, else 405 not_voidable; voided_at set, payment_overdue false, payment_status kept. Its
// coupons are recredited and its wallet debits given back as granted credits. Credit notes the
// invoice consumed stay consumed (Lago does not restore them); `generate_credit_note` is
// Lago's premium option: 403 feature_unavailable, as Lago answers without a license.
Reply void_invoice(Context& ctx) {
  const json body = ctx.request.body.find_first_not_of(" \t\r\n") == std::string::npos ? json::object() : ctx.body();
  if (body.contains("generate_credit_note")) {
    const json& g = body["generate_credit_note"];
    if (g == true || g == "true" || g == "1" || g == 1) {
      HttpError e{403, ordered_json{{"status", 403}, {"error", "Forbidden"}, {"code", "feature_unavailable"}}};
      throw e;
    }
  }
  ordered_json inv;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    inv = load_or_404(tx, "invoice", ctx.params[0], "invoice");
    if (string_or(inv, "status", "") != "finalized") throw method_not_allowed("not_voidable");
    const std::string customer = string_or(inv["customer"], "external_id", "");
    inv["status"] = "voided";
    inv["voided_at"] = ctx.now;
    inv["updated_at"] = ctx.now;
    inv["payment_overdue"] = false;
    const ordered_json changes = inv.value("billing_changes", ordered_json::object());
    for (const auto& c : changes.value("applied_coupons", ordered_json::array()))
      if (c.is_object()) recredit_coupon(ctx, tx, c, customer);
    for (const auto& id : changes.value("wallet_transactions", ordered_json::array())) {
      if (!id.is_string()) continue;
      auto t = tx.get("wallet_transaction", id.get<std::string>());
      if (!t) continue;
      const ordered_json debit = parse_stored(t->body);
      if (string_or(debit, "transaction_type", "") == "outbound") recredit_wallet(ctx, tx, debit, ctx.params[0]);
    }
    save_doc(tx, "invoice", ctx.params[0], inv, customer, string_or(inv, "issuing_date", ""));
    webhooks::invoice_status(ctx, tx, ctx.params[0]);  // invoice.voided
    inv = invoice_view(ctx, tx, std::move(inv), true);
  });
  return object_reply("invoice", inv);
}

// Lago lists and shows finalized credit notes only (a draft one waits for its invoice).
Reply list_credit_notes(Context& ctx) {
  const Pagination p = parse_pagination(ctx.query());
  const auto customer = ctx.query_value("external_customer_id");
  std::vector<ordered_json> all;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    for (const auto& d : tx.list(DocumentQuery{"credit_note", customer, std::nullopt, 0, -1}).items) {
      ordered_json n = api_doc(d.body);
      if (string_or(n, "status", "") != "draft") all.push_back(std::move(n));
    }
  });
  ordered_json items = ordered_json::array();
  const auto total = static_cast<int64_t>(all.size());
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    for (int64_t i = p.offset(); i < total && i < p.offset() + p.per_page; ++i)
      items.push_back(credit_note_view(tx, std::move(all[static_cast<size_t>(i)])));
  });
  return list_reply("credit_notes", items, p, total);
}

// Lago's GET /customers/{id}/past_usage (PastUsageQuery, PastUsageSerializer): one usage period
// per invoice of the subscription with a charges window — every invoice, voided and per-event
// ones included, as Lago's query takes every invoice subscription — newest window first (ties in
// the invoices' creation order). Its amounts are the whole invoice's (fees_amount_cents, the
// taxes of all its fees), its charge fees of the subscription the charges_usage.
Reply past_usage(Context& ctx) {
  const auto sub = ctx.query_value("external_subscription_id");
  if (!sub || sub->empty()) throw validation("external_subscription_id", "value_is_mandatory");
  const auto metric = ctx.query_value("billable_metric_code");
  const Pagination p = parse_pagination(ctx.query());
  std::vector<std::pair<int64_t, ordered_json>> periods;  // (charges_from_datetime, period)
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    if (!tx.get("customer", ctx.params[0])) throw not_found("customer");
    if (metric && !metric->empty() && !tx.get("billable_metric", *metric)) throw not_found("billable_metric");
    for (const auto& d : tx.list(DocumentQuery{"invoice", ctx.params[0], std::nullopt, 0, -1}).items) {
      const ordered_json inv = parse_stored(d.body);
      for (const auto& is : inv.value("invoice_subscriptions", ordered_json::array())) {
        if (string_or(is, "external_subscription_id", "") != *sub) continue;
        const auto from = parse_iso(string_or(is, "charges_from_datetime", ""));
        if (!from) continue;  // Lago: where.not(charges_from_datetime: nil)
        ordered_json u;
        u["from_datetime"] = is.value("charges_from_datetime", ordered_json(nullptr));
        u["to_datetime"] = is.value("charges_to_datetime", ordered_json(nullptr));
        u["issuing_date"] = inv["issuing_date"];
        u["currency"] = inv["currency"];
        u["lago_invoice_id"] = inv["lago_id"];
        // Lago's ChargeUsageSerializer: the charge fees grouped by charge, summed (the engine's sums).
        ordered_json picked = ordered_json::array();
        for (const auto& f : inv["fees"]) {
          if (string_or(f, "external_subscription_id", "") != *sub || f["item"].value("type", "") != "charge") continue;
          if (metric && string_or(f["item"], "code", "") != *metric) continue;
          picked.push_back(f);
        }
        const auto sums = rules::past_usage_sums(json::parse(picked.dump()));
        if (!sums.ok()) throw std::runtime_error("stored invoice " + string_or(inv, "lago_id", "") + ": fees do not sum");
        ordered_json charges = ordered_json::array();
        const auto plan = load_doc(tx, "plan", string_or(is, "plan_code", ""));
        for (const auto& g : sums.value->charges) {
          const ordered_json& f = picked[g.first_fee];
          const ordered_json charge_id = f.value("lago_charge_id", ordered_json(nullptr));
          ordered_json ch = ordered_json::object();
          if (plan)
            for (const auto& pc : plan->value("charges", ordered_json::array()))
              if (pc.value("lago_id", ordered_json(nullptr)) == charge_id) ch = pc;
          const auto bm = load_doc(tx, "billable_metric", string_or(f["item"], "code", ""));
          ordered_json o;
          o["units"] = g.units.to_string();
          o["total_aggregated_units"] = g.total_aggregated_units.to_string();
          o["events_count"] = g.events_count;
          o["amount_cents"] = g.amount_cents;
          o["amount_currency"] = f.value("amount_currency", inv["currency"]);
          o["charge"] = {{"lago_id", charge_id},
                         {"charge_model", ch.value("charge_model", ordered_json(nullptr))},
                         {"invoice_display_name", ch.value("invoice_display_name", ordered_json(nullptr))}};
          o["billable_metric"] = {{"lago_id", bm ? bm->value("lago_id", ordered_json(nullptr)) : ordered_json(nullptr)},
                                  {"name", f["item"].value("name", ordered_json(nullptr))},
                                  {"code", f["item"].value("code", ordered_json(nullptr))},
                                  {"aggregation_type", bm ? bm->value("aggregation_type", ordered_json(nullptr)) : ordered_json(nullptr)}};
          o["filters"] = ordered_json::array();
          o["grouped_usage"] = ordered_json::array();
          charges.push_back(std::move(o));
        }
        // PastUsageSerializer: amount_cents = invoice.fees_amount_cents, taxes = the sum over
        // all its fees, total = both (the engine's sums over the invoice's fees).
        const auto whole = rules::past_usage_sums(json::parse(inv.value("fees", ordered_json::array()).dump()));
        if (!whole.ok()) throw std::runtime_error("stored invoice " + string_or(inv, "lago_id", "") + ": fees do not sum");
        u["amount_cents"] = whole.value->amount_cents;
        u["taxes_amount_cents"] = whole.value->taxes_amount_cents;
        u["total_amount_cents"] = whole.value->total_amount_cents;
        u["charges_usage"] = std::move(charges);
        periods.emplace_back(*from, std::move(u));
      }
    }
  });
  // charges_from_datetime descending; the same window in creation order (Lago: then by id).
  std::stable_sort(periods.begin(), periods.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (auto n = ctx.query_value("periods_count")) {
    const long long k = std::atoll(n->c_str());
    if (k > 0 && static_cast<size_t>(k) < periods.size()) periods.resize(static_cast<size_t>(k));
  }
  ordered_json items = ordered_json::array();
  const auto total = static_cast<int64_t>(periods.size());
  for (int64_t i = p.offset(); i < total && i < p.offset() + p.per_page; ++i)
    items.push_back(periods[static_cast<size_t>(i)].second);
  return list_reply("usage_periods", items, p, total);
}

}  // namespace

void add_invoice_routes(App& app) {
  app.add("GET", "/api/v1/invoices", list_invoices);
  app.add("GET", "/api/v1/invoices/([^/]+)", [](Context& ctx) {
    ordered_json inv;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
      inv = invoice_view(ctx, tx, load_or_404(tx, "invoice", ctx.params[0], "invoice"), true);
    });
    return object_reply("invoice", inv);
  });
  app.add("PUT", "/api/v1/invoices/([^/]+)", update_invoice);
  // Lago's RefreshDraftService (a subscription invoice; one that is no draft is answered as it
  // is) and RefreshDraftAndFinalizeService (drafts only: 404 otherwise).
  app.add("PUT", "/api/v1/invoices/([^/]+)/refresh", [](Context& ctx) {
    ordered_json inv;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      inv = load_or_404(tx, "invoice", ctx.params[0], "invoice");
      if (string_or(inv, "invoice_type", "") != "subscription")
        throw HttpError{403, ordered_json{{"status", 403}, {"error", "Forbidden"}, {"code", "feature_unavailable"}}};
      if (string_or(inv, "status", "") == "draft") {
        refresh_draft(ctx, tx, ctx.params[0]);
        inv = load_or_404(tx, "invoice", ctx.params[0], "invoice");
      }
      inv = invoice_view(ctx, tx, std::move(inv), true);
    });
    return object_reply("invoice", inv);
  });
  app.add("PUT", "/api/v1/invoices/([^/]+)/finalize", [](Context& ctx) {
    ordered_json inv;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      inv = load_or_404(tx, "invoice", ctx.params[0], "invoice");
      if (string_or(inv, "status", "") != "draft") throw not_found("invoice");
      finalize_draft(ctx, tx, ctx.params[0]);
      inv = invoice_view(ctx, tx, load_or_404(tx, "invoice", ctx.params[0], "invoice"), true);
    });
    return object_reply("invoice", inv);
  });
  app.add("POST", "/api/v1/invoices/([^/]+)/void", void_invoice);
  app.add("GET", "/api/v1/credit_notes", list_credit_notes);
  app.add("GET", "/api/v1/credit_notes/([^/]+)", [](Context& ctx) {
    ordered_json n;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
      n = load_or_404(tx, "credit_note", ctx.params[0], "credit_note");
      if (string_or(n, "status", "") == "draft") throw not_found("credit_note");
      n = credit_note_view(tx, std::move(n));
    });
    return object_reply("credit_note", n);
  });
  app.add("GET", "/api/v1/customers/([^/]+)/past_usage", past_usage);
  add_fee_routes(app);
}

// webhooks.hpp: the objects a webhook carries, as GET answers them.
ordered_json invoice_object(const Context& ctx, Transaction& tx, const std::string& invoice_id) {
  Context c = ctx;
  return invoice_view(c, tx, load_or_404(tx, "invoice", invoice_id, "invoice"), true);
}
ordered_json credit_note_object(Transaction& tx, const std::string& credit_note_id) {
  return credit_note_view(tx, load_or_404(tx, "credit_note", credit_note_id, "credit_note"));
}

}  // namespace tariff::server
