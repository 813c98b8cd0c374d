// Metering (SEMANTICS §2): which events a charge sees, how they split into filter buckets and
// pricing groups, and how each bucket aggregates into units for the charge model.
//
// select_events() applies §2.1 (window, subscription, code, numeric field); bucket_events()
// applies §2.9 (filters with Lago's precedence, then the default bucket); group_events()
// applies §2.10; aggregate() turns one bucket/group into a ChargeUsage, with §2.8 rounding.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "snapshot/snapshot.hpp"

namespace tariff {

struct AggregationWindow {
  Instant from{}, to{};          // charges window, inclusive
  int64_t charges_duration = 0;  // days in the full period containing `from`
  bool upgraded = false;         // terminated and upgraded: −1 day in prorated day counts
  TimeZone tz = TimeZone::utc();
  // The snapshot's parsed event values (event_values(s)) when the events aggregated are that
  // snapshot's: each value then read there, not parsed again from the event's properties.
  const EventIndex* values = nullptr;
};

// Snapshot::indexed_events() with every event's value for the field of its code's metric
// parsed once (sum, max, latest and weighted sum metrics), in input order: the order of the
// text the properties are read from, where the sorted events would read it at random.
const EventIndex& event_values(const Snapshot& s);

// The text of a property as Lago compares it (strings as is, numbers in their JSON form);
// nullopt when absent or not a scalar.
std::optional<std::string> property_text(const PropertyList& properties, std::string_view key);
// The same for a property of an event, its metric's expression result included (§2.7): every
// reader of an event's properties goes through this, event_matches_filter or event_value.
std::optional<std::string> event_property_text(const Event& e, const std::string& key);

// Events of `subscription_external_id` for `metric` inside the window (recurring sum and
// unique_count: no lower bound; they are all returned, callers split carried/in-period).
std::vector<const Event*> select_events(const Snapshot& s, std::string_view subscription_external_id,
                                        const BillableMetric& metric, const AggregationWindow& w);

// §2.9 match: every key of the filter is present on the event with one of its values.
bool event_matches_filter(const Event& e, const ChargeFilter& f);

// Buckets in order: one per charge filter (list order), then the default bucket (last).
std::vector<std::vector<const Event*>> bucket_events(const Charge& charge, const std::vector<const Event*>& events);

struct EventGroup {
  std::vector<std::pair<std::string, std::optional<std::string>>> key;  // grouped_by
  std::vector<const Event*> events;
};
// Partitions by `keys` in order of first appearance; no events → one group of nulls.
std::vector<EventGroup> group_events(const std::vector<std::string>& keys, const std::vector<const Event*>& events);

struct AggregatedUsage {
  ChargeUsage usage;                 // input of the charge model
  Decimal units;                     // units shown on the fee
  Decimal total_aggregated_units;
  int64_t events_count = 0;
  Decimal current_units;             // unprorated units (current usage of prorated charges)
};

// §2.2–2.8 for one bucket/group. `prorated` selects the prorated aggregations (§2.3/§2.4).
AggregatedUsage aggregate(const BillableMetric& metric, const std::vector<const Event*>& events,
                          const AggregationWindow& w, bool prorated, const Currency& currency);

// The numeric value of an event's field (§2.1 regex), nullopt if not numeric.
std::optional<Decimal> event_value(const Event& e, const std::string& field_name);

}  // namespace tariff
