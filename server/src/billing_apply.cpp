// Writing one `bill` result (billing.hpp): the invoice with Lago's numbering, the state changes
// it implies (applied coupons, wallets, wallet transactions, credit notes, subscriptions) and
// the job's ledger row, all inside the job's transaction; and the history every later snapshot
// carries (docs/billing.md).
#include <cstdio>

#include "billing_jobs.hpp"
#include "progressive.hpp"
#include "serializers.hpp"
#include "snapshots.hpp"
#include "tariff/decimal.hpp"
#include "tariff/ids.hpp"
#include "webhooks.hpp"

namespace tariff::server {
namespace billing_jobs {

// ---- numbering (Lago's Invoice#ensure_number, per customer) ------------------------------------
int64_t next_sequence(Transaction& tx, const std::string& name) {
  auto cur = load_doc(tx, "sequence", name);
  const int64_t n = (cur ? cur->value("value", int64_t{0}) : 0) + 1;
  save_doc(tx, "sequence", name, ordered_json{{"value", n}});
  return n;
}

std::string pad3(int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%03lld", static_cast<long long>(n));
  return buf;
}

// The organization's document_number_prefix, else Lago's default: the name's first three
// letters upper-cased and the last four characters of its id ("ORG-4321").
std::string number_prefix(Transaction& tx) {
  const ordered_json org = snapshot_organization(tx);
  const std::string given = string_or(org, "document_number_prefix", "");
  if (!given.empty()) return given;
  std::string name = string_or(org, "name", "tariff").substr(0, 3);
  std::string id = string_or(org, "lago_id", "0000");
  id = id.size() > 4 ? id.substr(id.size() - 4) : id;
  std::string p = name + "-" + id;
  for (char& c : p) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return p;
}

// Lago's Invoice#ensure_number: per customer "<prefix>-<customer seq>-<invoice seq>" (the
// default), or with document_numbering "per_organization" / "per_billing_entity"
// "<prefix>-<YYYYMM>-<organization seq>", the month of the issuing date (Lago: the month the
// invoice is finalized, the same day when billing runs on time).
std::string invoice_number(Transaction& tx, int64_t customer_seq, int64_t invoice_seq, const std::string& issuing_date) {
  const ordered_json org = snapshot_organization(tx);
  const std::string numbering = string_or(org, "document_numbering", "per_customer");
  if (numbering == "per_organization" || numbering == "per_billing_entity") {
    std::string yyyymm = issuing_date.size() >= 7 ? issuing_date.substr(0, 4) + issuing_date.substr(5, 2) : "000000";
    return number_prefix(tx) + "-" + yyyymm + "-" + pad3(next_sequence(tx, "invoice_organization"));
  }
  return number_prefix(tx) + "-" + pad3(customer_seq) + "-" + pad3(invoice_seq);
}

// ---- applying one bill result ---------------------------------------------------------------

// Lago's Fee::AppliedTax records of a fee: ids derived by the engine from the fee's and the tax
// code (stable across a draft's refreshes), on this fee, created now (an id or a time already
// given is kept: a regrouped fee's).
void stamp_fee_taxes(ordered_json& taxes, const std::string& fee_id, const std::string& now) {
  if (!taxes.is_array()) return;
  for (auto& t : taxes) {
    if (!t.is_object()) continue;
    if (!t["lago_id"].is_string()) t["lago_id"] = derived_applied_tax_id(fee_id, string_or(t, "tax_code", ""));
    t["lago_fee_id"] = fee_id;
    if (t.value("created_at", ordered_json(nullptr)).is_null()) t["created_at"] = now;
  }
}

std::optional<ordered_json> find_sub(Transaction& tx, const std::string& customer, const std::string& external_id,
                                     const std::string& plan_code) {
  std::optional<ordered_json> live, any;
  for (const auto& d : tx.list(DocumentQuery{"subscription", customer, external_id, 0, -1}).items) {
    ordered_json s = parse_stored(d.body);
    if (string_or(s, "plan_code", "") != plan_code || string_or(s, "status", "") == "canceled") continue;
    any = s;
    if (string_or(s, "status", "") != "terminated") live = s;
  }
  return live ? live : any;
}

// The stored subscription a change of the engine names. The engine names it by external_id and
// plan code, which a downgrade back to the same plan repeats (the terminated plan and its
// pending successor): the one that started at the change's started_at; else, for a termination,
// one that is not pending; for a start, the pending successor first.
std::optional<ordered_json> changed_sub(Transaction& tx, const std::string& customer, const ordered_json& change) {
  const std::string status = string_or(change, "status", "");
  const auto started = parse_iso(string_or(change, "started_at", ""));
  std::optional<ordered_json> exact, other, pending;
  for (const auto& d : tx.list(DocumentQuery{"subscription", customer, string_or(change, "external_id", ""), 0, -1}).items) {
    ordered_json s = parse_stored(d.body);
    const std::string st = string_or(s, "status", "");
    if (string_or(s, "plan_code", "") != string_or(change, "plan_code", "") || st == "canceled") continue;
    if (st == "pending") {
      pending = s;
      continue;
    }
    if (started && parse_iso(string_or(s, "started_at", "")) == started) exact = s;
    else if (!other || st != "terminated") other = s;
  }
  if (exact) return exact;
  if (status == "terminated") return other;
  return pending ? pending : other;
}

// The invoice holding the latest subscription fee of `sub` (a termination credit note's).
std::optional<ordered_json> advance_invoice(Transaction& tx, const std::string& customer, const std::string& sub,
                                            const std::string& except) {
  std::optional<ordered_json> hit;
  for (const auto& d : tx.list(DocumentQuery{"invoice", customer, std::nullopt, 0, -1}).items) {
    if (d.key == except) continue;
    ordered_json inv = parse_stored(d.body);
    for (const auto& f : inv["fees"])
      if (string_or(f, "external_subscription_id", "") == sub && f["item"].value("type", "") == "subscription")
        hit = inv;
  }
  return hit;
}

// The one place an invoice is written: issued (finalized, or a draft in its grace period) by a
// job, or a draft recomputed (`reissue`: the stored draft, refreshed or finalized in place).
Applied apply(Env& env, Transaction& tx, const Job& job, const std::string& customer_ext, const ordered_json& out,
              int64_t at, const ordered_json* reissue) {
  Applied a;
  const std::string now = format_iso(at);
  ordered_json customer = *load_doc(tx, "customer", customer_ext);
  ordered_json invoice;
  if (!out["invoices"].empty()) {
    invoice = out["invoices"][0];
    if (!customer.contains("sequential_id") || !customer["sequential_id"].is_number_integer()) {
      identify_customer(tx, customer, now, env.ids);  // sequential_id and slug, as at creation
      save_doc(tx, "customer", customer_ext, customer, "", string_or(customer, "lago_id", ""));
    }
    // Lago's sequenced sequential_id at creation; the number at finalization (a draft is
    // "<prefix>-DRAFT", Invoice#ensure_number).
    const int64_t seq = reissue && (*reissue)["sequential_id"].is_number_integer()
                            ? (*reissue)["sequential_id"].get<int64_t>()
                            : next_sequence(tx, "invoice:" + customer_ext);
    a.invoice_id = reissue ? string_or(*reissue, "lago_id", "") : env.ids.uuid();
    a.issued = true;
    invoice["lago_id"] = a.invoice_id;
    invoice["sequential_id"] = seq;
    invoice["number"] = string_or(invoice, "status", "") == "draft"
                            ? ordered_json(number_prefix(tx) + "-DRAFT")
                            : ordered_json(invoice_number(tx, customer["sequential_id"].get<int64_t>(), seq,
                                                          string_or(invoice, "issuing_date", "")));
    if (reissue)  // the fees of the draft are replaced (Lago's RefreshDraftService destroys them)
      for (const auto& f : reissue->value("fees", ordered_json::array()))
        if (auto ref = load_doc(tx, "fee", string_or(f, "lago_id", "")); ref && ref->contains("ref_invoice"))
          tx.remove("fee", string_or(f, "lago_id", ""));
    invoice["customer"]["lago_id"] = customer.value("lago_id", ordered_json(nullptr));
    invoice["customer"]["sequential_id"] = customer["sequential_id"];
    for (auto& s : invoice["subscriptions"]) {
      // The one that started when the engine says (a pending successor may share the plan).
      auto st = changed_sub(tx, customer_ext, {{"external_id", s.value("external_id", ordered_json(""))},
                                               {"plan_code", s.value("plan_code", ordered_json(""))},
                                               {"status", "terminated"},
                                               {"started_at", s.value("started_at", ordered_json(""))}});
      if (!st || string_or(s, "status", "") == "pending")
        st = find_sub(tx, customer_ext, string_or(s, "external_id", ""), string_or(s, "plan_code", ""));
      if (st) s["lago_id"] = (*st)["lago_id"];
    }
    for (auto& f : invoice["fees"]) {
      if (!f["lago_id"].is_string()) f["lago_id"] = env.ids.uuid();  // a regrouped fee keeps its id
      f["lago_invoice_id"] = a.invoice_id;
      f["payment_status"] = invoice["payment_status"];  // an invoice's fees follow its payment status
      if (auto ap = f.find("applied_taxes"); ap != f.end()) stamp_fee_taxes(*ap, f["lago_id"].get<std::string>(), now);
    }
    for (auto& c : invoice["credits"]) {  // Lago's Credit records, on this invoice
      c["lago_id"] = env.ids.uuid();
      c["invoice"] = {{"lago_id", a.invoice_id}, {"payment_status", invoice["payment_status"]}};
    }
    for (auto& t : invoice["applied_taxes"]) {  // saved with the invoice (Lago's Invoice::AppliedTax)
      // Stable across a draft's refreshes: derived by the engine from the invoice and the tax code.
      t["lago_id"] = derived_applied_tax_id(a.invoice_id, string_or(t, "tax_code", ""));
      t["lago_invoice_id"] = a.invoice_id;
      t["created_at"] = now;
    }
    for (auto& c : invoice["credits"]) {  // Lago's Credit records: ids, on this invoice
      c["lago_id"] = env.ids.uuid();
      if (c.contains("invoice") && c["invoice"].is_object()) c["invoice"]["lago_id"] = a.invoice_id;
    }
    invoice["metadata"] = ordered_json::array();
    invoice["payment_overdue"] = false;
    invoice["self_billed"] = false;
    invoice["file_url"] = nullptr;
    // Lago's billing_periods, one per billed subscription (from the engine's invoice_subscriptions).
    ordered_json periods = ordered_json::array();
    for (const auto& is : out["invoice_subscriptions"]) {
      auto plan = load_doc(tx, "plan", string_or(is, "plan_code", ""));
      ordered_json bp;
      bp["lago_subscription_id"] = nullptr;
      for (const auto& s : invoice["subscriptions"])  // the invoice's subscription, found above
        if (string_or(s, "external_id", "") == string_or(is, "external_subscription_id", "") &&
            string_or(s, "plan_code", "") == string_or(is, "plan_code", ""))
          bp["lago_subscription_id"] = s.value("lago_id", ordered_json(nullptr));
      if (bp["lago_subscription_id"].is_null())
        if (auto st = find_sub(tx, customer_ext, string_or(is, "external_subscription_id", ""), string_or(is, "plan_code", "")))
          bp["lago_subscription_id"] = (*st)["lago_id"];
      bp["external_subscription_id"] = is.value("external_subscription_id", ordered_json(nullptr));
      bp["lago_plan_id"] = plan ? plan->value("lago_id", ordered_json(nullptr)) : ordered_json(nullptr);
      bp["subscription_from_datetime"] = is.value("from_datetime", ordered_json(nullptr));
      bp["subscription_to_datetime"] = is.value("to_datetime", ordered_json(nullptr));
      bp["charges_from_datetime"] = is.value("charges_from_datetime", ordered_json(nullptr));
      bp["charges_to_datetime"] = is.value("charges_to_datetime", ordered_json(nullptr));
      bp["invoicing_reason"] = is.value("invoicing_reason", ordered_json(nullptr));
      periods.push_back(std::move(bp));
    }
    invoice["billing_periods"] = std::move(periods);
    invoice["created_at"] = reissue ? reissue->value("created_at", ordered_json(now)) : ordered_json(now);
    invoice["updated_at"] = now;
    invoice["voided_at"] = nullptr;
    if (reissue) invoice["metadata"] = reissue->value("metadata", ordered_json::array());
    invoice["invoice_subscriptions"] = out["invoice_subscriptions"];
  }

  const ordered_json& ch = out["changes"];
  // What the invoice consumed, kept with it for a void (Lago's invoice.credits and
  // invoice.wallet_transactions): the applied coupons that credited it, its wallet debits.
  ordered_json consumed{{"applied_coupons", ordered_json::array()}, {"wallet_transactions", ordered_json::array()}};
  for (const auto& c : ch.value("applied_coupons", ordered_json::array())) {
    if (!c["lago_id"].is_string()) continue;
    consumed["applied_coupons"].push_back({{"lago_id", c["lago_id"]}, {"credit_amount_cents", c["credit_amount_cents"]}});
    auto ac = load_doc(tx, "applied_coupon", c["lago_id"].get<std::string>());
    if (!ac) continue;
    (*ac)["status"] = c["status"];
    (*ac)["amount_cents_remaining"] = c["amount_cents_remaining"];
    (*ac)["frequency_duration_remaining"] = c["frequency_duration_remaining"];
    if (c["status"] == "terminated") (*ac)["terminated_at"] = now;
    save_doc(tx, "applied_coupon", c["lago_id"].get<std::string>(), *ac, customer_ext);
  }
  for (const auto& w : ch.value("wallets", ordered_json::array())) {
    if (!w["lago_id"].is_string()) continue;
    const std::string id = w["lago_id"].get<std::string>();
    auto wallet = load_doc(tx, "wallet", id);
    if (!wallet) continue;
    (*wallet)["balance_cents"] = w["balance_cents"];
    (*wallet)["ongoing_balance_cents"] = w["balance_cents"];
    (*wallet)["credits_balance"] = w["credits_balance"];
    (*wallet)["credits_ongoing_balance"] = w["credits_balance"];
    const auto consumed = Decimal::parse(string_or(*wallet, "consumed_credits", "0"));
    const auto debited = Decimal::parse(string_or(w, "debited_credits", "0"));
    if (consumed && debited) (*wallet)["consumed_credits"] = (*consumed + *debited).to_string();
    save_doc(tx, "wallet", id, *wallet, customer_ext);
  }
  for (ordered_json t : ch.value("wallet_transactions", ordered_json::array())) {
    if (!t["lago_wallet_id"].is_string()) continue;
    t["lago_id"] = env.ids.uuid();
    consumed["wallet_transactions"].push_back(t["lago_id"]);
    // The record is the engine's (rules::wallet_transaction_json): only its ids are the server's.
    t["lago_invoice_id"] = a.issued ? ordered_json(a.invoice_id) : ordered_json(nullptr);
    save_doc(tx, "wallet_transaction", t["lago_id"].get<std::string>(), t, t["lago_wallet_id"].get<std::string>());
    webhooks::wallet_transaction_created(context_at(env, at), tx, t["lago_id"].get<std::string>());
  }
  for (const auto& n : ch.value("credit_notes", ordered_json::array())) {
    if (n["lago_id"].is_string()) {  // an existing note consumed by this invoice
      const std::string id = n["lago_id"].get<std::string>();
      auto stored = tx.get("credit_note", id);  // read plainly: taxes_rate stays a number
      if (!stored) continue;
      std::optional<ordered_json> note = ordered_json::parse(stored->body);
      (*note)["balance_amount_cents"] = n["balance_amount_cents"];
      (*note)["credit_status"] = n["credit_status"];
      (*note)["updated_at"] = now;
      save_doc(tx, "credit_note", id, *note, customer_ext, string_or(*note, "lago_invoice_id", ""));
      continue;
    }
    // A new note (termination, upgrade): on the invoice of the subscription's advance fee
    // (Lago's CreditNotes::CreateFromTermination), numbered <invoice number>-CN<nnn>.
    const std::string sub = string_or(n, "external_subscription_id", "");
    auto origin = advance_invoice(tx, customer_ext, sub, a.invoice_id);
    ordered_json note;
    note["lago_id"] = env.ids.uuid();
    note["billing_entity_code"] = nullptr;
    const std::string origin_id = origin ? string_or(*origin, "lago_id", "") : a.invoice_id;
    const std::string origin_number = origin ? string_or(*origin, "number", "") : string_or(invoice, "number", "");
    const int64_t seq = next_sequence(tx, "credit_note:" + origin_id);
    note["sequential_id"] = seq;
    note["number"] = origin_number + "-CN" + pad3(seq);
    note["lago_invoice_id"] = origin_id.empty() ? ordered_json(nullptr) : ordered_json(origin_id);
    note["invoice_number"] = origin_number;
    note["issuing_date"] = n["issuing_date"];
    note["credit_status"] = n["credit_status"];
    note["refund_status"] = nullptr;
    note["reason"] = n["reason"];
    note["description"] = nullptr;
    note["currency"] = n["currency"];
    note["total_amount_cents"] = n["total_amount_cents"];
    note["taxes_amount_cents"] = n["taxes_amount_cents"];
    note["sub_total_excluding_taxes_amount_cents"] = n["sub_total_excluding_taxes_amount_cents"];
    note["balance_amount_cents"] = n["balance_amount_cents"];
    note["credit_amount_cents"] = n["credit_amount_cents"];
    note["refund_amount_cents"] = 0;
    note["offset_amount_cents"] = 0;
    note["taxes_rate"] = n["taxes_rate"];  // the engine's: the credited fee's tax rates
    note["file_url"] = nullptr;
    note["self_billed"] = false;
    note["applied_taxes"] = ordered_json::array();
    note["metadata"] = ordered_json::array();
    note["coupons_adjustment_amount_cents"] = 0;
    note["created_at"] = now;
    note["updated_at"] = now;
    // Lago's CreditNotes::CreateService: a note on a draft invoice is a draft (not credited,
    // not shown) until that invoice is finalized.
    note["status"] = string_or(origin ? *origin : invoice, "status", "finalized") == "draft" ? "draft" : "finalized";
    note["external_customer_id"] = customer_ext;
    note["external_subscription_id"] = sub;
    ordered_json items = ordered_json::array();
    // The credited fee: the subscription's fee of that type on the note's invoice.
    const ordered_json& fees = origin ? (*origin)["fees"] : invoice["fees"];
    for (ordered_json it : n.value("items", ordered_json::array())) {
      it["lago_id"] = env.ids.uuid();
      if (it["lago_fee_id"].is_null() && fees.is_array())
        for (const auto& f : fees)
          if (string_or(f, "external_subscription_id", "") == sub &&
              f["item"].value("type", "") == string_or(it, "fee_type", ""))
            it["lago_fee_id"] = f["lago_id"];
      items.push_back(std::move(it));
    }
    note["items"] = std::move(items);
    save_doc(tx, "credit_note", note["lago_id"].get<std::string>(), note, customer_ext, origin_id);
    // CreditNotes::CreateService: credit_note.created only for a finalized note; a draft one
    // sends it when its invoice is finalized (below).
    if (note["status"] == "finalized")
      webhooks::credit_note_created(context_at(env, at), tx, note["lago_id"].get<std::string>());
  }
  // A draft's subscription changes were applied when the draft was issued.
  for (const auto& s : reissue ? ordered_json::array() : ch.value("subscriptions", ordered_json::array())) {
    auto stored = changed_sub(tx, customer_ext, s);
    if (!stored) continue;
    // A job bills the past (its snapshot is as of its instant): a start it reports does not
    // bring back a subscription a later request already ended (an upgrade, a termination).
    const bool ended_since = string_or(*stored, "status", "") == "terminated" && string_or(s, "status", "") == "active";
    if (!ended_since) (*stored)["status"] = s["status"];
    if (s.contains("started_at") && !s["started_at"].is_null()) (*stored)["started_at"] = s["started_at"];
    if (s.contains("terminated_at") && !ended_since) (*stored)["terminated_at"] = s["terminated_at"];
    webhooks::subscription_saving(tx, *stored);  // subscription.started / .terminated
    save_doc(tx, "subscription", (*stored)["lago_id"].get<std::string>(), *stored, customer_ext,
             string_or(*stored, "external_id", ""));
  }
  if (a.issued) {
    invoice["billing_changes"] = std::move(consumed);
    // The invoice is written here and only here: a new draft (Lago: invoice.drafted), a new
    // finalized invoice or a draft finalized (`reissue`, status finalized: invoice.created),
    // a draft refreshed (`reissue`, still a draft).
    save_doc(tx, "invoice", a.invoice_id, invoice, customer_ext, string_or(invoice, "issuing_date", ""));
    // invoice.drafted / invoice.created (a draft finalized); a draft refreshed sends nothing.
    if (!(reissue && string_or(invoice, "status", "") == "draft"))
      webhooks::invoice_status(context_at(env, at), tx, a.invoice_id);
    // RefreshDraftService (a refresh, and the refresh before a finalization): the draft's notes
    // re-priced on its new fees.
    if (reissue) reprice_draft_notes(tx, customer_ext, a.invoice_id, *reissue, invoice, now);
    // A draft waits for its deadline (finalize_at); the request that recomputes it is kept.
    if (string_or(invoice, "status", "") == "draft") {
      ordered_json d;
      d["lago_invoice_id"] = a.invoice_id;
      d["lago_subscription_id"] = job.sub_lago_id;
      d["external_subscription_id"] = job.external_id;
      d["finalize_at"] = out.value("finalization", ordered_json::object()).value("finalize_at", ordered_json(now));
      d["expected_finalization_date"] =
          out.value("finalization", ordered_json::object()).value("expected_finalization_date", ordered_json(nullptr));
      d["request"] = reissue ? load_doc(tx, "draft_invoice", a.invoice_id).value_or(ordered_json::object())
                                   .value("request", ordered_json::object())
                             : job_request(job);
      save_doc(tx, "draft_invoice", a.invoice_id, d, customer_ext, job.sub_lago_id);
    } else if (reissue) {
      tx.remove("draft_invoice", a.invoice_id);
      // RefreshDraftAndFinalizeService: the invoice's draft credit notes are finalized with it.
      for (const auto& d : tx.list(DocumentQuery{"credit_note", customer_ext, a.invoice_id, 0, -1}).items) {
        ordered_json n = ordered_json::parse(d.body);  // plainly: taxes_rate stays a number
        if (string_or(n, "status", "") != "draft") continue;
        n["status"] = "finalized";
        n["updated_at"] = now;
        // CreditNote#ensure_number: numbered again from the finalized invoice's number.
        n["invoice_number"] = invoice["number"];
        if (n["sequential_id"].is_number_integer())
          n["number"] = string_or(invoice, "number", "") + "-CN" + pad3(n["sequential_id"].get<int64_t>());
        save_doc(tx, "credit_note", d.key, n, customer_ext, a.invoice_id);
        // RefreshDraftAndFinalizeService: credit_note.created for each, after invoice.created.
        webhooks::credit_note_created(context_at(env, at), tx, d.key);
      }
    }
    // GET /fees: every fee by its id; an invoiced fee is read from its invoice ("ref"), with
    // its taxes (the engine's fee_applied_taxes, in the invoice's fee order: Lago prints them
    // with the fee, not in the invoice's fees); a regrouped one (already a fee of its own, its
    // taxes applied at its creation) now names its invoice.
    const ordered_json fee_taxes = out.contains("fee_applied_taxes") && out["fee_applied_taxes"].is_array() &&
                                           !out["fee_applied_taxes"].empty()
                                       ? out["fee_applied_taxes"][0]
                                       : ordered_json::array();
    for (size_t i = 0; i < invoice["fees"].size(); ++i) {
      const ordered_json& f = invoice["fees"][i];
      const std::string id = f["lago_id"].get<std::string>();
      if (auto own = load_doc(tx, "fee", id)) {
        (*own)["lago_invoice_id"] = a.invoice_id;
        (*own)["updated_at"] = now;
        save_doc(tx, "fee", id, *own, customer_ext, string_or(*own, "external_subscription_id", ""));
      } else {
        ordered_json ref{{"ref_invoice", a.invoice_id}};
        if (i < fee_taxes.size() && fee_taxes[i].is_array()) {
          ref["applied_taxes"] = fee_taxes[i];
          stamp_fee_taxes(ref["applied_taxes"], id, now);
        }
        save_doc(tx, "fee", id, ref, customer_ext, string_or(f, "external_subscription_id", ""));
      }
    }
  }
  // Fees of a non-invoiceable charge paid in advance: created without an invoice (kept, once),
  // payment pending until PUT /fees/{id} says otherwise (Lago's Fees::UpdateService).
  for (ordered_json f : out.value("fees", ordered_json::array())) {
    f["lago_id"] = env.ids.uuid();
    f["lago_invoice_id"] = nullptr;
    f["created_at"] = now;
    f["updated_at"] = now;
    if (f["lago_subscription_id"].is_null() && !job.sub_lago_id.empty()) f["lago_subscription_id"] = job.sub_lago_id;
    if (f["lago_customer_id"].is_null()) f["lago_customer_id"] = customer.value("lago_id", ordered_json(nullptr));
    if (auto ap = f.find("applied_taxes"); ap != f.end()) stamp_fee_taxes(*ap, f["lago_id"].get<std::string>(), now);
    save_doc(tx, "fee", f["lago_id"].get<std::string>(), f, customer_ext, job.external_id);
  }

  ordered_json row;
  row["key"] = job.key;
  row["invoicing_reason"] = job.reason;
  row["at"] = format_iso(job.at);
  row["lago_invoice_id"] = a.issued ? ordered_json(a.invoice_id) : ordered_json(nullptr);
  row["completed_at"] = now;
  save_doc(tx, "job", job.key, row, customer_ext, job.sub_lago_id);
  tx.remove("billing_failure", job.key);
  if (!job.queue_key.empty()) tx.remove("advance_job", job.queue_key);
  if (job.kind == Kind::periodic)
    save_doc(tx, "billing_cursor", job.sub_lago_id, ordered_json{{"last", format_iso(job.at)}, {"next", nullptr}});
  return a;
}


}  // namespace billing_jobs

using namespace billing_jobs;


void queue_in_advance_event(Transaction& tx, const EventRecord& event) {
  for (const auto& d : tx.list(DocumentQuery{"subscription", std::nullopt, event.external_subscription_id, 0, -1}).items) {
    const ordered_json s = parse_stored(d.body);
    if (string_or(s, "status", "") != "active") continue;
    auto plan = load_doc(tx, "plan", string_or(s, "plan_code", ""));
    if (!plan) return;
    bool advance = false;
    for (const auto& c : plan->value("charges", ordered_json::array()))
      advance |= string_or(c, "billable_metric_code", "") == event.code && c.value("pay_in_advance", false) == true;
    if (!advance) return;
    ordered_json q;
    q["lago_subscription_id"] = s["lago_id"];
    q["event"] = parse_stored(event.body);
    save_doc(tx, "advance_job", event.external_subscription_id + "|" + event.transaction_id, q, d.owner);
    return;
  }
}

void add_billing_history(Transaction& tx, const std::string& ext, ordered_json& snap) {
  // docs/billing.md: each issued invoice as bill returned it, with lago_id, status (a voided one
  // too) and the fee fields the engine reads; read plainly so that taxes_rate stays a number.
  static const char* kFeeFields[] = {"external_subscription_id", "event_transaction_id", "item", "pay_in_advance",
                                     "from_date", "to_date", "amount_cents", "precise_amount",
                                     "precise_coupons_amount_cents", "taxes_rate", "amount_details"};
  ordered_json invoices = ordered_json::array();
  for (const auto& d : tx.list(DocumentQuery{"invoice", ext, std::nullopt, 0, -1}).items) {
    const ordered_json inv = ordered_json::parse(d.body);
    ordered_json fees = ordered_json::array();
    for (const auto& f : inv.value("fees", ordered_json::array())) {
      ordered_json slim;
      for (const char* k : kFeeFields)
        if (f.contains(k)) slim[k] = f[k];
      fees.push_back(std::move(slim));
    }
    invoices.push_back({{"lago_id", inv["lago_id"]},
                        {"status", inv.value("status", "finalized")},
                        {"issuing_date", inv["issuing_date"]},
                        {"invoice_subscriptions", inv.value("invoice_subscriptions", ordered_json::array())},
                        {"fees", std::move(fees)}});
    add_progressive_history(inv, invoices.back());  // progressive.cpp: type, totals, credits
  }
  snap["invoices"] = std::move(invoices);
  ordered_json notes = ordered_json::array();
  for (const auto& d : tx.list(DocumentQuery{"credit_note", ext, std::nullopt, 0, -1}).items) {
    const ordered_json n = parse_stored(d.body);
    if (string_or(n, "credit_status", "") != "available" || string_or(n, "status", "") == "draft") continue;
    notes.push_back({{"lago_id", n["lago_id"]},
                     {"number", n["number"]},
                     {"credit_status", "available"},
                     {"currency", n["currency"]},
                     {"balance_amount_cents", n["balance_amount_cents"]},
                     {"created_at", n["created_at"]}});
  }
  snap["credit_notes"] = std::move(notes);
}


}  // namespace tariff::server
