#include "snapshot/aggregates.hpp"

#include <algorithm>
#include <climits>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

#include "snapshot/reader.hpp"
#include "tariff/error.hpp"

namespace tariff {
namespace {

constexpr size_t kMaxAggregates = 2000000;

Instant from_us(int64_t us) { return Instant{std::chrono::microseconds{us}}; }
int64_t to_us(Instant t) { return t.time_since_epoch().count(); }

}  // namespace

std::string metric_fingerprint(const BillableMetric& m) {
  return std::string(aggregation_name(m.aggregation)) + "|" + m.field_name + "|" + m.expression_source;
}

void parse_usage_aggregates(json& d, Snapshot& s, Reader& r) {
  const json* arr = r.array(d, "usage_aggregates", "");
  if (!arr || arr->empty()) return;
  if (arr->size() > kMaxAggregates) {
    r.add("usage_aggregates", "too_many_items");
    return;
  }
  json& items = d.at("usage_aggregates");
  s.usage_aggregates.reserve(items.size());
  std::vector<std::pair<std::string, std::string>> ids;  // (subscription, code) per aggregate
  ids.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string p = Reader::at("usage_aggregates", i);
    json& a = items[i];
    if (!a.is_object()) {
      r.add(p, "value_is_invalid");
      continue;
    }
    UsageAggregate g;
    const auto sub = r.string(a, "external_subscription_id", p, true);
    const auto code = r.string(a, "code", p, true);
    g.metric = r.string(a, "metric", p).value_or("");
    const auto bucket = r.integer(a, "bucket_us", p, true);
    const auto first = r.integer(a, "first_us", p, true);
    const auto last = r.integer(a, "last_us", p, true);
    const auto count = r.integer(a, "count", p, true);
    const int64_t span = r.integer(a, "span_us", p).value_or(kUsageBucketUs);
    g.sum = r.decimal(a, "sum", p).value_or(Decimal());
    g.max = r.decimal(a, "max", p);
    g.latest = r.decimal(a, "latest", p).value_or(Decimal());
    g.latest_sequence = r.integer(a, "latest_sequence", p).value_or(0);
    g.weighted = r.decimal(a, "weighted", p).value_or(Decimal());
    g.precise_total_amount_cents = r.decimal(a, "precise_total_amount_cents", p);
    g.precise_total_amount_cents_places =
        static_cast<int>(r.integer(a, "precise_total_amount_cents_places", p).value_or(0));
    if (!sub || !code || !bucket || !first || !last || !count) continue;
    // 1970..9999 like event timestamps; the grid and the bucket's own span.
    constexpr int64_t kMaxUs = 253402300799LL * 1000000;
    if (*bucket < 0 || *bucket > kMaxUs || *bucket % kUsageBucketUs != 0)
      r.add(Reader::at(p, "bucket_us"), "value_is_invalid");
    else if (span <= 0 || span % kUsageBucketUs != 0 || span > kMaxUsageSpanUs)
      r.add(Reader::at(p, "span_us"), "value_is_invalid");
    else if (*first < *bucket || *last < *first || *last >= *bucket + span)
      r.add(Reader::at(p, "last_us"), "value_is_invalid");
    else if (*count < 0 || g.precise_total_amount_cents_places < 0 || g.precise_total_amount_cents_places > 18)
      r.add(Reader::at(p, "count"), "value_is_invalid");
    else {
      g.bucket = from_us(*bucket);
      g.first = from_us(*first);
      g.last = from_us(*last);
      g.count = *count;
      Event ev;
      ev.external_subscription_id = s.arena->text(*sub);
      ev.code = s.arena->text(*code);
      ev.timestamp = g.first;
      if (const json* props = Reader::field(a, "properties")) {
        if (!props->is_object()) {
          r.add(Reader::at(p, "properties"), "value_is_invalid");
          continue;
        }
        ev.properties = properties_from_json(*props, *s.arena);
      }
      ev.order = static_cast<uint32_t>(s.events.size() + s.usage_aggregates.size());
      s.usage_aggregates.push_back(std::move(g));
      ids.emplace_back(*sub, *code);
      s.events.push_back(std::move(ev));  // pointer set below, once the vector is complete
    }
  }
  // Point the aggregate entries (the tail of s.events) at their aggregates.
  const size_t raw_count = s.events.size() - s.usage_aggregates.size();
  for (size_t k = 0; k < s.usage_aggregates.size(); ++k) s.events[raw_count + k].extra_in(*s.arena).aggregate = &s.usage_aggregates[k];
  // A raw event inside an aggregated quarter-hour of the same subscription and code would be
  // counted twice or out of order: refuse.
  // Per (subscription, code), the quarter-hours its aggregates cover as disjoint sorted
  // intervals [first, last] (quarter starts): one binary search per raw event.
  const auto quarter_of = [](int64_t us) { return us - ((us % kUsageBucketUs) + kUsageBucketUs) % kUsageBucketUs; };
  std::map<std::pair<std::string_view, std::string_view>, std::vector<std::pair<int64_t, int64_t>>> covered;
  for (size_t k = 0; k < s.usage_aggregates.size(); ++k) {
    const UsageAggregate& g = s.usage_aggregates[k];
    covered[{ids[k].first, ids[k].second}].emplace_back(quarter_of(to_us(g.first)), quarter_of(to_us(g.last)));
  }
  for (auto& [key, spans] : covered) {
    std::sort(spans.begin(), spans.end());
    size_t n = 0;
    for (const auto& sp : spans) {
      if (n && sp.first <= spans[n - 1].second + kUsageBucketUs) spans[n - 1].second = std::max(spans[n - 1].second, sp.second);
      else spans[n++] = sp;
    }
    spans.resize(n);
  }
  for (size_t k = 0; k < raw_count && !covered.empty(); ++k) {
    const Event& e = s.events[k];
    const auto it = covered.find({e.external_subscription_id, e.code});
    if (it == covered.end()) continue;
    const int64_t q = quarter_of(to_us(e.timestamp));
    const auto& spans = it->second;  // the last span starting at or before q
    auto sp = std::upper_bound(spans.begin(), spans.end(), std::make_pair(q, INT64_MAX));
    if (sp != spans.begin() && std::prev(sp)->second >= q) {
      r.add(Reader::at("events", e.order), "inside_usage_aggregate");
      break;
    }
  }
  std::stable_sort(s.events.begin(), s.events.end(),
                   [](const Event& a, const Event& b) { return a.timestamp < b.timestamp; });
}

bool aggregates_serve(const Charge& c) {
  if (!c.metric) return true;
  const BillableMetric& m = *c.metric;
  const bool prorated = c.prorated && m.recurring;
  if (prorated && (c.model == ChargeModel::graduated || m.aggregation == Aggregation::unique_count_agg)) return false;
  const auto per_event = [&](const ChargeProperties& p) {
    return c.model == ChargeModel::percentage && m.aggregation == Aggregation::sum_agg &&
           (p.free_units_per_events != 0 || !p.free_units_per_total_aggregation.is_zero() ||
            p.per_transaction_min_amount || p.per_transaction_max_amount);
  };
  // The value field is left out of an aggregate's properties (except for unique_count).
  const bool drops_field = m.aggregation != Aggregation::count_agg && m.aggregation != Aggregation::unique_count_agg;
  const auto uses_field = [&](const std::vector<std::string>& keys) {
    return drops_field && std::find(keys.begin(), keys.end(), m.field_name) != keys.end();
  };
  if (per_event(c.properties) || uses_field(c.pricing_group_keys)) return false;
  for (const ChargeFilter& f : c.filters) {
    if (per_event(f.properties) || uses_field(f.pricing_group_keys)) return false;
    for (const auto& kv : f.values)
      if (drops_field && kv.first == m.field_name) return false;
  }
  return true;
}

void check_aggregates_serve(const Charge& c, const std::vector<const Event*>& events) {
  for (const Event* e : events) {
    if (!e->aggregate()) continue;
    if (!aggregates_serve(c)) throw Failure(Error::validation("usage_aggregates", "not_supported_by_charge"));
    return;
  }
}

}  // namespace tariff
