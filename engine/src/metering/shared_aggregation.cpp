#include "metering/shared_aggregation.hpp"

#include <cstdint>
#include <cstring>

namespace tariff {
namespace {

// Keys are fields of a known width — a number as its 8 bytes, a text as its length's 8 bytes
// then its bytes — so no two different field lists make the same key. A key is only compared
// with keys built here, in the same process: the bytes' order does not matter.
void put(std::string& key, int64_t n) {
  char bytes[sizeof n];
  std::memcpy(bytes, &n, sizeof n);
  key.append(bytes, sizeof bytes);
}
void put(std::string& key, std::string_view field) {
  put(key, static_cast<int64_t>(field.size()));
  key.append(field.data(), field.size());
}

std::string events_key(const std::string& sub_id, const BillableMetric& m, const AggregationWindow& w) {
  std::string key;
  key.reserve(256);
  put(key, sub_id);
  put(key, static_cast<int64_t>(reinterpret_cast<std::uintptr_t>(&m)));  // one definition, one object
  put(key, static_cast<int64_t>(w.from.time_since_epoch().count()));
  put(key, static_cast<int64_t>(w.to.time_since_epoch().count()));
  return key;
}

void put_keys(std::string& key, const std::vector<std::string>& keys) {
  put(key, static_cast<int64_t>(keys.size()));
  for (const auto& k : keys) put(key, k);
}

}  // namespace

std::vector<AggregatedGroup> aggregate_charge(const Charge& charge, const std::vector<const Event*>& events,
                                              const AggregationWindow& w, bool prorated, const Currency& currency) {
  std::vector<AggregatedGroup> out;
  const auto buckets = bucket_events(charge, events);
  for (size_t b = 0; b < buckets.size(); ++b) {
    const bool is_default = b == charge.filters.size();
    const auto& keys = is_default ? charge.pricing_group_keys : charge.filters[b].pricing_group_keys;
    for (auto& group : group_events(keys, buckets[b])) {
      AggregatedGroup g;
      g.bucket = b;
      g.key = std::move(group.key);
      g.agg = aggregate(*charge.metric, group.events, w, prorated, currency);
      out.push_back(std::move(g));
    }
  }
  return out;
}

const std::vector<const Event*>& AggregationCache::events(const Snapshot& s, const std::string& sub_id,
                                                          const BillableMetric& m, const AggregationWindow& w) {
  std::string key = events_key(sub_id, m, w);
  auto it = events_.find(key);
  if (it == events_.end()) it = events_.emplace(std::move(key), select_events(s, sub_id, m, w)).first;
  return it->second;
}

const std::vector<AggregatedGroup>& AggregationCache::groups(const Snapshot& s, const std::string& sub_id,
                                                             const Charge& charge, const AggregationWindow& w,
                                                             bool prorated, const Currency& currency) {
  std::string key = events_key(sub_id, *charge.metric, w);
  put(key, w.charges_duration);
  put(key, w.upgraded ? 1 : 0);
  put(key, w.tz.name());
  put(key, prorated ? 1 : 0);
  put(key, currency.code);
  put(key, currency.exponent);
  put(key, currency.subunit_to_unit);
  put(key, static_cast<int64_t>(charge.filters.size()));
  for (const ChargeFilter& f : charge.filters) {
    put(key, static_cast<int64_t>(f.values.size()));
    for (const auto& [k, values] : f.values) {
      put(key, k);
      put_keys(key, values);
    }
    put_keys(key, f.pricing_group_keys);
  }
  put_keys(key, charge.pricing_group_keys);
  auto it = groups_.find(key);
  if (it == groups_.end())
    it = groups_.emplace(std::move(key), aggregate_charge(charge, events(s, sub_id, *charge.metric, w), w, prorated,
                                                         currency)).first;
  return it->second;
}

}  // namespace tariff
