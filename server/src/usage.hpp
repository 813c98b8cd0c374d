// Pre-aggregated usage in the store (docs/usage_aggregates.md) and group commit of events.
//
// Documents of kind "usage", key = usage::Contribution::key (subscription, quarter-hour,
// code, metric definition, properties), body = one usage_aggregates item; "usage_seq"/"next"
// holds the next arrival sequence. Maintained only here, inside the transaction that stores the
// events; read by build_snapshot() (calculations.cpp) through Transaction::range().
#pragma once

#include <functional>
#include <map>
#include <string>
#include <optional>
#include <vector>

#include "app.hpp"
#include "tariff/usage_aggregates.hpp"

namespace tariff::server {

// The engine's reading of `recs` (stored bodies) with the stored metrics. strict: nullopt
// unless the engine accepts every event as it is; otherwise the events it keeps.
std::optional<std::vector<usage::Contribution>> usage_contributions(Context& ctx, const std::vector<EventRecord>& recs,
                                                                    bool strict = true);

// Shared by the hooks of the requests of one commit group (one write transaction, in which
// nothing but events is written): what they learned about the catalog (e.g. "no charge of
// this code is paid in advance"), and work that only the group's last request needs to do.
struct GroupMemo {
  std::map<std::string, bool> known;  // keys are the hooks' own
  // fn runs once the group's events are stored, in order of first deferral; a later
  // request's fn for the same key replaces the earlier one's (the last request's state wins,
  // as when each request ran its own).
  void defer(const std::string& key, std::function<void(Transaction&)> fn) {
    auto [it, fresh] = slot.try_emplace(key, deferred.size());
    if (fresh) deferred.push_back(std::move(fn));
    else deferred[it->second] = std::move(fn);
  }
  std::vector<std::function<void(Transaction&)>> deferred;
  std::map<std::string, size_t> slot;
};

// Stores `recs` (all or nothing) with their aggregates, `on_stored` called inside the
// transaction for each stored event; concurrent calls share one durable commit. Returns
// Lago's per-index duplicate errors ({"<i>": {"transaction_id": [...]}}) and stores nothing
// when a (subscription, transaction_id) is already stored or repeated in `recs`.
ordered_json store_events(Context& ctx, const std::vector<EventRecord>& recs,
                          const std::vector<usage::Contribution>& contributions,
                          const std::function<void(Transaction&, const EventRecord&, GroupMemo&)>& on_stored,
                          const std::function<void(Transaction&, const std::vector<EventRecord>&)>& after_request = {});

// Adds to `snap` (a snapshot with its subscriptions, without events) the usage of subscription
// `id` from `from_us` (nullopt: all history): aggregates where the engine's usage::plan allows
// them, raw events elsewhere (codes whose charges need each event, edge quarter-hours).
// False when the plan cannot be read: the caller then adds raw events itself.
// aggregates_text: the aggregates are appended there as JSON text (items comma-joined, to be
// spliced into the snapshot's text: snapshot_text()) instead of into snap["usage_aggregates"].
bool add_usage(Transaction& tx, const usage::Plan& plan, const std::string& id, std::optional<int64_t> from_us,
               ordered_json& snap, std::string* aggregates_text = nullptr);

}  // namespace tariff::server
