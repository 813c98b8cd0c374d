// One charge's aggregation (SEMANTICS §2): its events selected (§2.1), split into filter buckets
// (§2.9) and pricing groups (§2.10), each group aggregated (§2.2–2.8) — everything a charge fee
// needs before its charge model prices it.
//
// AggregationCache shares that work between charges priced from one snapshot. compare_plans
// prices the same subscription on every plan, and plans charge the same metrics: the events of
// a (subscription, metric, window) are selected once, and a charge's groups are aggregated once
// per everything they depend on — subscription, metric, window (bounds, period days, upgrade,
// time zone), the filters' values in order, each bucket's pricing group keys, proration and
// the currency (dynamic amounts). Two charges share an entry exactly when they would compute
// the same groups; each charge model then prices the shared units itself. Entries hold
// pointers into the snapshot's events: a cache lives no longer than the snapshot, whose events
// must not change meanwhile (subscriptions may: the window and ids are in the key).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "metering/aggregation.hpp"

namespace tariff {

struct AggregatedGroup {
  size_t bucket = 0;  // index of the charge filter; filters.size(): the default bucket
  std::vector<std::pair<std::string, std::optional<std::string>>> key;  // grouped_by
  AggregatedUsage agg;
};

// The groups of `charge` over `events` (select_events' output), in bucket then group order.
std::vector<AggregatedGroup> aggregate_charge(const Charge& charge, const std::vector<const Event*>& events,
                                              const AggregationWindow& w, bool prorated, const Currency& currency);

class AggregationCache {
 public:
  // select_events(s, subscription_external_id, metric, w), once per key.
  const std::vector<const Event*>& events(const Snapshot& s, const std::string& subscription_external_id,
                                          const BillableMetric& metric, const AggregationWindow& w);
  // aggregate_charge over those events, once per key.
  const std::vector<AggregatedGroup>& groups(const Snapshot& s, const std::string& subscription_external_id,
                                             const Charge& charge, const AggregationWindow& w, bool prorated,
                                             const Currency& currency);

 private:
  std::map<std::string, std::vector<const Event*>> events_;
  std::map<std::string, std::vector<AggregatedGroup>> groups_;
};

}  // namespace tariff
