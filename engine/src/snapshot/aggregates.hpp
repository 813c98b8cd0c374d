// Pre-aggregated usage: the snapshot's `usage_aggregates` (CONTRACT §1, docs/usage_aggregates.md).
//
// An aggregate stands for the events of one subscription and metric code that share their
// properties (the metric's value field left out, except for unique_count) within one
// quarter-hour bucket [bucket, bucket + 15 min) UTC (or `span_us`, see usage::compact). Every zone offset is a whole number of
// quarter-hours, so a bucket never straddles a local midnight, hence never a period boundary,
// and all its events share their local date. Each aggregate is read into an Event that points
// to it (Event::aggregate), sorted by its first event, so selection, filter buckets and
// pricing groups treat it as they treat its events; aggregation (metering/aggregation.cpp)
// uses what the aggregate carries. The results are the same bytes as the raw events' where
// aggregates_serve() holds; elsewhere a charge refuses aggregates (422), never guesses.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "snapshot/snapshot.hpp"

namespace tariff {

class Reader;

constexpr int64_t kUsageBucketUs = 15LL * 60 * 1000000;  // a quarter-hour
// An aggregate may span several quarter-hours (`span_us`, default one) within one local day
// (usage::compact): at most a day and a DST hour.
constexpr int64_t kMaxUsageSpanUs = 25LL * 3600 * 1000000;

// Reads `usage_aggregates` (absent/null: none) into s.usage_aggregates and one Event per
// aggregate appended to s.events, which stay sorted by timestamp (raw events keep their order).
// Refused (422): a bucket off the quarter-hour grid, first/last outside their bucket, a raw
// event of the same subscription and code inside an aggregated quarter-hour.
void parse_usage_aggregates(nlohmann::json& doc, Snapshot& s, Reader& r);

// The metric definition an aggregate was built for: aggregation, field and expression.
std::string metric_fingerprint(const BillableMetric& m);

// Whether a charge's usage can be computed from aggregates: not when it needs each event
// (prorated graduated, prorated unique_count, percentage with free units or per-transaction
// min/max on a sum metric), nor when a filter or group key is the metric's value field.
bool aggregates_serve(const Charge& charge);

// Throws Failure (422 usage_aggregates: not_supported_by_charge) when `events` holds an
// aggregate and !aggregates_serve(charge).
void check_aggregates_serve(const Charge& charge, const std::vector<const Event*>& events);

}  // namespace tariff
