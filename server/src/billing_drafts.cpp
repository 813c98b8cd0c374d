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
