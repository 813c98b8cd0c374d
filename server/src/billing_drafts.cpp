// Draft invoices in a grace period (Lago's grace period: RefreshDraftService,
// RefreshDraftAndFinalizeService, Clock::FinalizeInvoicesJob, the grace-period updates of the
// billing entity and the customer). A draft is the `bill` result of its job with status
// "draft" (fees and taxes only); it is recomputed by the engine at its billing instant with
// the events known now (late ones with a timestamp inside its period count), kept a draft
// (refresh) or finalized (coupons, credit notes and wallets consumed then, its number given).
// Its deadline (`finalize_at`, the engine's expected finalization date) is a clock job; a
// change of the grace period or issuing-date settings gives every draft its new dates, and
// those whose deadline has passed are finalized at once.
#include "billing_jobs.hpp"
#include "tariff/decimal.hpp"
#include "tariff/rules.hpp"

namespace tariff::server {
namespace billing_jobs {

ordered_json recompute_draft(Env& env, Transaction& tx, const std::string& invoice_id, bool finalize, int64_t at) {
  auto draft = load_doc(tx, "draft_invoice", invoice_id);
  auto stored = tx.get("invoice", invoice_id);
  if (!draft || !stored) throw not_found("invoice");
  const ordered_json old = ordered_json::parse(stored->body);  // plainly: rates stay numbers
  const std::string ext = stored->owner;
  ordered_json req = (*draft)["request"];
  const int64_t billing_at = parse_iso(string_or(req, "billing_at", "")).value_or(at);
  if (finalize) {
    req["finalize"] = true;
    req["finalized_at"] = format_iso(at);
  } else {
    req["refresh"] = true;
  }
  const bool in_advance = req.contains("event");  // priced against raw events (billing.cpp)
  ordered_json snap = snapshot_at(env, tx, ext, billing_at, billing_at, in_advance ? nullptr : &req);
  ordered_json history = ordered_json::array();  // without the draft itself
  for (auto& inv : snap["invoices"])
    if (string_or(inv, "lago_id", "") != invoice_id) history.push_back(std::move(inv));
  snap["invoices"] = std::move(history);
  snap["request"] = req;
  return engine(Operation::bill, snap);
}

namespace {

std::optional<Decimal> decimal_of(const ordered_json& v) {
  if (v.is_string()) return Decimal::parse(v.get<std::string>());
  if (v.is_number()) return Decimal::parse(v.dump());
  if (v.is_null()) return Decimal();
  return std::nullopt;
}

const ordered_json* subscription_fee(const ordered_json& invoice, const std::string& sub) {
  auto fees = invoice.find("fees");
  if (fees == invoice.end() || !fees->is_array()) return nullptr;
  for (const auto& f : *fees)
    if (string_or(f, "external_subscription_id", "") == sub && f["item"].value("type", "") == "subscription") return &f;
  return nullptr;
}

}  // namespace

void reprice_draft_notes(Transaction& tx, const std::string& customer_ext, const std::string& invoice_id,
                         const ordered_json& old_invoice, const ordered_json& new_invoice, const std::string& now) {
  for (const auto& d : tx.list(DocumentQuery{"credit_note", customer_ext, invoice_id, 0, -1}).items) {
    ordered_json n = ordered_json::parse(d.body);  // plainly: taxes_rate stays a number
    if (string_or(n, "status", "") != "draft") continue;
    const std::string sub = string_or(n, "external_subscription_id", "");
    const ordered_json* fee = subscription_fee(new_invoice, sub);
    if (!fee) continue;  // no fee to credit any more: the note is left as it was
    const ordered_json* old_sub_fee = subscription_fee(old_invoice, sub);
    std::vector<rules::DraftNoteItem> items;
    for (const auto& it : n.value("items", ordered_json::array())) {
      const ordered_json* old_fee = nullptr;  // the fee the item credited, else the subscription's
      if (auto fees = old_invoice.find("fees"); fees != old_invoice.end() && fees->is_array())
        for (const auto& f : *fees)
          if (f.value("lago_id", ordered_json(nullptr)) == it.value("lago_fee_id", ordered_json(nullptr))) old_fee = &f;
      if (!old_fee) old_fee = old_sub_fee;
      const auto precise = decimal_of(it.value("precise_amount_cents", it.value("amount_cents", ordered_json(0))));
      if (!precise) throw std::runtime_error("credit note " + d.key + ": item amount is not a number");
      items.push_back({*precise, old_fee ? old_fee->value("amount_cents", int64_t{0}) : 0});
    }
    const auto coupons = decimal_of(fee->value("precise_coupons_amount_cents", ordered_json(nullptr)));
    const auto rate = decimal_of(fee->value("taxes_rate", ordered_json(nullptr)));
    if (!coupons || !rate) throw std::runtime_error("invoice " + invoice_id + ": fee amounts are not numbers");
    const auto priced = rules::reprice_draft_note(items, {fee->value("amount_cents", int64_t{0}), *coupons, *rate});
    if (!priced.ok()) throw std::runtime_error("credit note " + d.key + ": " + priced.error.to_json());
    const rules::RepricedNote& r = *priced.value;
    size_t i = 0;
    for (auto& it : n["items"]) {
      it["lago_fee_id"] = (*fee)["lago_id"];
      it["precise_amount_cents"] = r.items_precise_amount_cents[i].to_string();
      it["amount_cents"] = r.items_amount_cents[i];
      ++i;
    }
    n["coupons_adjustment_amount_cents"] = r.coupons_adjustment_amount_cents;
    n["taxes_amount_cents"] = r.taxes_amount_cents;
    n["taxes_rate"] = ordered_json::parse(r.taxes_rate.to_string());  // a number, as Lago types rates
    n["sub_total_excluding_taxes_amount_cents"] = r.sub_total_excluding_taxes_amount_cents;
    n["credit_amount_cents"] = r.credit_amount_cents;
    n["balance_amount_cents"] = r.balance_amount_cents;
    n["total_amount_cents"] = r.total_amount_cents;
    n["updated_at"] = now;
    save_doc(tx, "credit_note", d.key, n, customer_ext, invoice_id);
  }
}

}  // namespace billing_jobs

using namespace billing_jobs;

namespace {

Env env_of(Context& ctx) { return Env{ctx.store, ctx.ids, ctx.options, ctx.request}; }

Job draft_job(const ordered_json& draft, const std::string& invoice_id, bool finalize, int64_t at) {
  Job j;
  j.at = at;
  j.kind = Kind::finalizing;
  j.reason = string_or(draft["request"], "invoicing_reason", "");
  j.sub_lago_id = string_or(draft, "lago_subscription_id", "");
  j.external_id = string_or(draft, "external_subscription_id", "");
  j.key = invoice_id + (finalize ? "|finalize" : "|refresh|" + format_iso(at));
  return j;
}

}  // namespace

bool billing_jobs::finalize_draft_now(Env& env, Transaction& tx, const std::string& invoice_id, int64_t at) {
  auto draft = load_doc(tx, "draft_invoice", invoice_id);
  auto stored = tx.get("invoice", invoice_id);
  if (!draft || !stored) return false;
  const ordered_json old = ordered_json::parse(stored->body);
  const ordered_json out = recompute_draft(env, tx, invoice_id, true, at);
  if (out["invoices"].empty()) throw std::runtime_error("finalizing " + invoice_id + ": the engine issued no invoice");
  apply(env, tx, draft_job(*draft, invoice_id, true, at), stored->owner, out, at, &old);
  return true;
}

// PUT /invoices/{id}/refresh: the draft recomputed, still a draft (a finalized one is answered as is).
void refresh_draft(Context& ctx, Transaction& tx, const std::string& invoice_id) {
  Env env = env_of(ctx);
  auto draft = load_doc(tx, "draft_invoice", invoice_id);
  auto stored = tx.get("invoice", invoice_id);
  if (!draft || !stored) return;
  const ordered_json old = ordered_json::parse(stored->body);
  const ordered_json out = recompute_draft(env, tx, invoice_id, false, ctx.now_us);
  if (out["invoices"].empty()) return;
  apply(env, tx, draft_job(*draft, invoice_id, false, ctx.now_us), stored->owner, out, ctx.now_us, &old);
}

// PUT /invoices/{id}/finalize.
void finalize_draft(Context& ctx, Transaction& tx, const std::string& invoice_id) {
  Env env = env_of(ctx);
  finalize_draft_now(env, tx, invoice_id, ctx.now_us);
}

std::string draft_settings(const ordered_json& o) {
  const ordered_json none = nullptr;
  const ordered_json bc = o.is_object() ? o.value("billing_configuration", ordered_json::object()) : ordered_json::object();
  auto get = [&](const ordered_json& x, const char* k) { return x.is_object() && x.contains(k) ? x[k] : none; };
  return ordered_json::array({get(o, "invoice_grace_period"), get(bc, "invoice_grace_period"),
                              get(bc, "subscription_invoice_issuing_date_anchor"),
                              get(bc, "subscription_invoice_issuing_date_adjustment")})
      .dump();
}

// After a change of the grace period or the issuing-date settings (organization, or one
// customer): each draft takes the dates the engine gives it under the new settings (its fees
// unchanged, as Lago's Customers::UpdateInvoiceIssuingDateSettingsService moves only dates),
// and the drafts whose deadline has passed are finalized now.
void redate_drafts(Context& ctx, Transaction& tx, const std::optional<std::string>& customer) {
  Env env = env_of(ctx);
  std::vector<std::string> ids;
  for (const auto& d : tx.list(DocumentQuery{"draft_invoice", customer, std::nullopt, 0, -1}).items) ids.push_back(d.key);
  for (const auto& id : ids) {
    auto draft = load_doc(tx, "draft_invoice", id);
    auto stored = tx.get("invoice", id);
    if (!draft || !stored) continue;
    const ordered_json out = recompute_draft(env, tx, id, false, ctx.now_us);
    if (out["invoices"].empty()) continue;
    const ordered_json& fresh = out["invoices"][0];
    ordered_json inv = ordered_json::parse(stored->body);
    for (const char* k : {"issuing_date", "payment_due_date"}) inv[k] = fresh[k];
    inv["updated_at"] = ctx.now;
    save_doc(tx, "invoice", id, inv, stored->owner, string_or(inv, "issuing_date", ""));
    const ordered_json fin = out.value("finalization", ordered_json::object());
    (*draft)["finalize_at"] = fin.value("finalize_at", (*draft)["finalize_at"]);
    (*draft)["expected_finalization_date"] = fin.value("expected_finalization_date", ordered_json(nullptr));
    save_doc(tx, "draft_invoice", id, *draft, stored->owner, string_or(*draft, "lago_subscription_id", ""));
    const auto deadline = parse_iso(string_or(*draft, "finalize_at", ""));
    if (deadline && *deadline <= ctx.now_us) finalize_draft_now(env, tx, id, ctx.now_us);
  }
}

}  // namespace tariff::server
