// Internal to billing.cpp / billing_apply.cpp: a billing job, where it runs, and the writing of
// one `bill` result (billing_apply.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "billing.hpp"
#include "resources.hpp"
#include "tariff/engine.hpp"

namespace tariff::server::billing_jobs {

constexpr int64_t kSecond = 1000000;

struct Env {
  Store& store;
  IdSource& ids;
  const Options& options;
  HttpRequest request;
};

inline Context context_at(Env& env, int64_t at) {
  return Context{env.store, env.ids, env.options, env.request, {}, at, format_iso(at)};
}

inline std::optional<int64_t> instant_of(const ordered_json& o, const char* field) {
  const std::string v = string_or(o, field, "");
  return v.empty() ? std::nullopt : parse_iso(v);
}

inline bool has_string(const ordered_json& o, const char* field) { return !string_or(o, field, "").empty(); }

enum class Kind { starting = 0, periodic = 1, closing = 2, in_advance = 3, progressive = 4, finalizing = 5 };

struct Job {
  int64_t at = 0;
  Kind kind = Kind::periodic;
  std::string reason;       // the engine's invoicing_reason
  std::string sub_lago_id;  // "" for an in-advance event
  std::string external_id;
  std::string plan_code;    // upgrading: the new plan
  std::string key;          // ledger key
  std::string queue_key;    // in advance: the queued document
  ordered_json event;
};


struct Applied {
  std::string invoice_id;
  bool issued = false;
};

// The next value of a named counter ("customer", "invoice:<customer>", ...), inside tx.
int64_t next_sequence(Transaction& tx, const std::string& name);
// Writes one bill result: the invoice (numbered), its state changes and the ledger row.
// `reissue`: the stored draft this result recomputes (refreshed or finalized in place).
Applied apply(Env& env, Transaction& tx, const Job& job, const std::string& customer_ext, const ordered_json& out,
              int64_t at, const ordered_json* reissue = nullptr);
// The engine's answer (throws on an error status), and the customer's snapshot at `at` with its
// subscriptions as of `view_at` (billing.cpp).
ordered_json engine(Operation op, const ordered_json& snapshot);
// request: the engine request the snapshot is for (its instants bound windows): usage then
// comes as aggregates where the engine allows them; nullptr = raw events.
ordered_json snapshot_at(Env& env, Transaction& tx, const std::string& ext, int64_t at, int64_t view_at,
                         const ordered_json* request = nullptr);
// Drafts (billing_drafts.cpp): the draft invoice recomputed at its billing instant, refreshed
// (still a draft) or finalized at `finalized_at` (coupons, credit notes, wallets consumed).
ordered_json recompute_draft(Env& env, Transaction& tx, const std::string& invoice_id, bool finalize, int64_t at);
// Lago's CreditNotes::RefreshDraftService for each draft credit note on a draft invoice being
// refreshed or finalized (`old_invoice` the stored draft, `new_invoice` its recomputed fees, ids
// given): its items credit the new subscription fee, re-priced by the engine
// (rules::reprice_draft_note). billing_drafts.cpp.
void reprice_draft_notes(Transaction& tx, const std::string& customer_ext, const std::string& invoice_id,
                         const ordered_json& old_invoice, const ordered_json& new_invoice, const std::string& now);
// Finalizes a stored draft at `at` (the clock's job, a PUT, a shortened grace period); false
// when it is no draft.
bool finalize_draft_now(Env& env, Transaction& tx, const std::string& invoice_id, int64_t at);
// The engine request of a job (billing.cpp).
ordered_json job_request(const Job& j);
// The organization's document number prefix (billing_apply.cpp).
std::string number_prefix(Transaction& tx);
// The stored subscription row of (external_id, plan_code): a live one first.
std::optional<ordered_json> find_sub(Transaction& tx, const std::string& customer, const std::string& external_id,
                                     const std::string& plan_code);

}  // namespace tariff::server::billing_jobs
