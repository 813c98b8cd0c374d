// Progressive billing on the server (docs/progressive_billing.md): usage thresholds stored with
// plans (catalog.cpp, as given) and subscriptions (store_subscription_thresholds), a threshold
// check queued by every ingested event of a subscription that has thresholds and run by the
// clock's next tick as a billing job (the engine's `bill` with invoicing_reason
// "progressive_billing"), and Lago's lifetime usage endpoints.
//
// The check is a job, as Lago's (LifetimeUsages::RecalculateAndCheckJob after the event), not
// part of the ingestion request: an event is acknowledged once stored; the invoice follows on
// the next tick (every second; `--now` servers on start and at each tick). One check document
// per subscription ("progressive_check", <subscription lago_id>) coalesces the events that arrive
// before it runs; its job key ("<lago_id>|progressive_check|<n>") is unique in the ledger, and
// each progressive invoice also writes a unique row keyed as Lago's Idempotency.unique!
// (subscription, charges window, invoiced usage, threshold, previous progressive invoice), in the
// job's transaction: a SIGKILL leaves the check and its invoice wholly done or not at all.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "app.hpp"
#include "billing_jobs.hpp"

namespace tariff::server {

// events.cpp: inside the event's write transaction, queue a threshold check for the event's
// active subscription if it has usage thresholds.
void queue_progressive_check(Transaction& tx, const EventRecord& event, int64_t now_us);

// subscriptions.cpp: the subscription-level `usage_thresholds` and `progressive_billing_disabled`
// of a create or update body, stored (each threshold with its lago_id and created_at).
void store_subscription_thresholds(ordered_json& sub, const json& in, const std::string& now, IdSource& ids);

// subscriptions.cpp: Lago's applicable_usage_thresholds of a stored subscription (its own, else
// its plan's; none when progressive_billing_disabled), as ApplicableUsageThresholdSerializer.
ordered_json applicable_usage_thresholds(Transaction& tx, const ordered_json& sub);

// billing_apply.cpp (add_billing_history): the invoice fields progressive billing reads, copied
// from a stored invoice into its history entry.
void add_progressive_history(const ordered_json& stored, ordered_json& entry);

namespace billing_jobs {
// billing.cpp (next_job): the due threshold checks of customer `ext`.
void offer_progressive_checks(Transaction& tx, const std::string& ext, int64_t now, const std::set<std::string>& skip,
                              const std::function<void(Job)>& offer);
// billing.cpp (run_one), after apply(): the check is done; the invoice's idempotency row.
// The one place a progressive invoice is known to be issued (a.invoice_id, stored by apply() in
// this transaction; out["progressive_billing"]["passed_thresholds"]): webhooks
// (invoice.created, subscription.usage_threshold_reached) are enqueued here.
void finish_progressive_check(const Context& ctx, Transaction& tx, const Job& job, const ordered_json& out,
                              const Applied& a);
}  // namespace billing_jobs

// GET/PUT /api/v1/subscriptions/{external_id}/lifetime_usage.
void add_progressive_routes(App& app);

}  // namespace tariff::server
