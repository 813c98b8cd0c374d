// Authoritative billing: the jobs the clock drives (billing.cpp) and the API over their results
// (invoices.cpp).
//
// Every job is one write transaction: the snapshot as the job's instant sees it, the engine's
// `bill` operation, then the invoice, its state changes (applied coupons, wallets, wallet
// transactions, credit notes, subscriptions) and the job's ledger row — all committed together
// or not at all. The ledger row ("job", <subscription lago_id>|<reason>|<instant or event>) is
// unique, so a job killed anywhere and run again issues its invoice exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "app.hpp"

namespace tariff::server {

struct BillingRun {
  int jobs = 0;      // jobs completed (with or without an invoice)
  int invoices = 0;  // invoices issued
  int failures = 0;  // jobs that failed (recorded as "billing_failure", retried next run)
};

// Runs every job due at or before now_us, customer by customer, in time order per customer.
// A job that fails for one subscription is recorded and skipped for this run; others go on.
// `stop` (optional) is asked between jobs: true ends the run early (a server shutting down).
BillingRun run_due_jobs(Store& store, IdSource& ids, const Options& options, int64_t now_us,
                        const std::function<bool()>& stop = {});

// Queues the per-event invoice of an event on a charge paid in advance (events.cpp hook);
// inside the event's write transaction.
void queue_in_advance_event(Transaction& tx, const EventRecord& event);

// The next customer sequential_id of the organization (1, 2, ...), as Lago numbers customers.

// Stored history for a customer's snapshots: invoices[] (with invoice_subscriptions as the
// engine's bill returned them) and the credit notes still available.
void add_billing_history(Transaction& tx, const std::string& external_customer_id,
                         ordered_json& snapshot);

// Drafts in a grace period (billing_drafts.cpp), inside the caller's write transaction:
// PUT /invoices/{id}/refresh, PUT /invoices/{id}/finalize (nothing for an invoice that is no
// draft), and new dates for every draft after the grace period or issuing-date settings of the
// organization (customer nullopt) or of one customer changed; drafts past their new deadline
// are finalized at once.
void refresh_draft(Context& ctx, Transaction& tx, const std::string& invoice_id);
void finalize_draft(Context& ctx, Transaction& tx, const std::string& invoice_id);
void redate_drafts(Context& ctx, Transaction& tx, const std::optional<std::string>& customer);
// The settings a draft's dates depend on (grace period, issuing-date anchor and adjustment) of
// an organization or customer document, compared before and after an update.
std::string draft_settings(const ordered_json& organization_or_customer);

// GET/PUT /invoices, void, credit notes, past usage (invoices.cpp); fees (billing_fees.cpp).
void add_invoice_routes(App& app);
void add_fee_routes(App& app);

}  // namespace tariff::server
