// Pre-aggregated usage for the surfaces that store events (the REST server): what an event
// adds to the snapshot's `usage_aggregates`, how two shares of one aggregate fold together,
// and which of a customer's metrics may be answered from aggregates (docs/usage_aggregates.md).
//
// An aggregate is keyed by (external subscription id, quarter-hour bucket, metric code, metric
// definition, the event's properties without the metric's value field); it carries count,
// Σ value, max, the latest value with its (timestamp, arrival sequence), Σ value × µs into
// the bucket (time-weighted sums), Σ precise_total_amount_cents. A calculation given the
// aggregates of a subscription's metrics (and the raw events of the "edge" quarter-hours, where
// a window may start or end off the quarter-hour grid) answers the same bytes as with the raw
// events, for the charges plan() lets through. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"

namespace tariff::usage {

constexpr int64_t kBucketUs = 15LL * 60 * 1000000;  // a quarter-hour

// One usage_aggregates item, typed: what ingestion builds per event and folds (no JSON tree
// per event). text() is the stored document, the bytes nlohmann::json's dump() gives of
// to_json() (keys in byte order), so either path stores the same thing.
struct Aggregate {
  std::string external_subscription_id, code, metric;
  std::string properties = "{}";  // JSON text of the properties object, as dump() writes it
  int64_t bucket_us = 0, first_us = 0, last_us = 0, count = 0, latest_sequence = 0;
  std::optional<int64_t> span_us;  // set on a day (day_contribution) or a compacted span
  Decimal sum, latest, weighted;
  std::optional<Decimal> max, precise_total_amount_cents;
  int precise_total_amount_cents_places = 0;

  std::string text() const;
  nlohmann::json to_json() const;
  // A stored document read back; nullopt when it is not one (a field of the wrong type).
  static std::optional<Aggregate> from_json(const nlohmann::json& a);
};

struct Contribution {
  size_t index = 0;  // the event's position in the snapshot's `events`
  std::string key;   // sorts by subscription, then bucket
  std::string external_subscription_id, code;
  int64_t bucket_us = 0;
  Aggregate aggregate;  // a usage_aggregates item for this one event
};

// Each event of `snapshot_json` ({"now", "billable_metrics", "events"}, read as a calculation
// reads it: exact numbers, expressions applied) with its share; event i has arrival sequence
// first_sequence + i. strict: nullopt when the engine would refuse or drop any event (the
// caller then validates them one by one); otherwise such events are left out.
std::optional<std::vector<Contribution>> contributions(std::string_view snapshot_json, int64_t first_sequence,
                                                       bool strict);

// A contribution's share of its local day in `zone` (IANA): key = subscription, zone, day start,
// code, metric, properties; bucket_us = local midnight, span_us = the day's length, weighted
// rebased on the midnight. nullopt for an unknown zone. A store that knows the customer's zone
// at ingestion keeps these beside the quarter-hours, so that a calculation reads a day at once.
std::optional<Contribution> day_contribution(const Contribution& c, const std::string& zone);

// Folds `later` (same key, arrived after) into `into`. An overflow marks `into` unusable (its
// metric fingerprint no longer matches anything): the calculation then reads raw events.
void merge(nlohmann::json& into, const nlohmann::json& later);
void merge(Aggregate& into, const Aggregate& later);  // the same fold, typed

struct Plan {
  // Per subscription external id, per metric code its charges read: the metric fingerprint
  // when the code may be answered from aggregates, nullopt when it needs the raw events.
  std::map<std::string, std::map<std::string, std::optional<std::string>>> codes;
  // Per subscription external id: the quarter-hour buckets (µs) read as raw events, where a
  // window may begin or end off the grid (subscription instants, `now`).
  std::map<std::string, std::set<int64_t>> edge_buckets;
  std::string zone = "UTC";  // the calculations' time zone (customer, else organization)
};

// From a snapshot without events (catalog, customer, subscriptions, now); nullopt when it is
// not readable (the calculation will answer its error).
std::optional<Plan> plan(std::string_view snapshot_json);

// Folds, in place, the aggregates of `aggregates` (an array of usage_aggregates items, none in
// an edge bucket) that share subscription, code, metric definition and properties, lie in one
// local day of plan.zone and between the same two edge buckets, into one aggregate spanning
// them (`span_us`): a month of usage is then one aggregate a day per property set. The zone
// and edges keep every window boundary and every local date outside a merged span.
void compact(nlohmann::json& aggregates, const Plan& plan);

// The snapshot with each event that plan() allows replaced by aggregates, compacted (tools,
// tests: the server's own path).
std::string aggregate_snapshot(std::string_view snapshot_json);

}  // namespace tariff::usage
