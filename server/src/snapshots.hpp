// The snapshot the server builds from stored state for one customer (calculations.cpp):
// every catalog object, the organization, the customer with its subscriptions, active
// applied coupons and wallets, and the events its calculations need; `now` = the request
// time. Due subscription transitions are applied first, so `tx` must be a write transaction.
// The caller adds `request`. Shared by the calculations and the price-change impact.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app.hpp"

namespace tariff::server {

struct SnapshotScope {
  std::optional<std::string> customer;        // external_id; nullopt = new customer
  std::vector<std::string> subscription_ids;  // restrict events; empty = all of customer's
  // Usage as pre-aggregates where the engine allows them (usage.hpp), else raw events.
  bool aggregates = false;
  // The calculation's request, when known: instants it names bound windows (usage::plan).
  std::optional<ordered_json> request;
  // Set (with aggregates): the aggregates go there as JSON text, comma-joined items, instead of
  // into the snapshot's tree; snapshot_text() splices them into the snapshot's text.
  std::string* aggregates_text = nullptr;
  // A proposed version of a stored plan (impact): with aggregates, a code is read from them
  // only where both the stored and the proposed plan let the engine use them.
  const ordered_json* proposed_plan = nullptr;
  // The catalog (snapshot_catalog()) when the caller builds many snapshots in one transaction.
  const ordered_json* catalog = nullptr;
};

// The organization and every catalog object (taxes, metrics, plans, coupons) as a snapshot
// holds them: {"organization", "taxes", "billable_metrics", "plans", "coupons"}.
ordered_json snapshot_catalog(Transaction& tx);

// The JSON text of `snap` with `aggregates_text` (from SnapshotScope) as its usage_aggregates.
std::string snapshot_text(ordered_json& snap, const std::string& aggregates_text);

// Announces the reads build_snapshot(scope) makes first (Transaction::prefetch).
void prefetch_snapshot(Transaction& tx, const SnapshotScope& scope);

// Throws not_found("customer") when scope.customer is not stored. Due transitions are
// written: in a read transaction that throws std::logic_error (redo it in a write one).
ordered_json build_snapshot(Context& ctx, Transaction& tx, const SnapshotScope& scope);

// A plan as PUT /api/v1/plans/{code} would store it (charges resolved to their metrics,
// validated by the engine; throws the same HttpError), but not stored (catalog.cpp).
void prepare_proposed_plan(ordered_json& plan, Transaction& tx, Context& ctx);

}  // namespace tariff::server
