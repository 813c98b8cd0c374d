// tariff/usage_aggregates.hpp: building the snapshot's `usage_aggregates` from events.
#include "tariff/usage_aggregates.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "metering/aggregation.hpp"
#include "snapshot/aggregates.hpp"
#include "snapshot/reader_events.hpp"
#include "tariff/error.hpp"
#include "tariff/json.hpp"

namespace tariff::usage {
namespace {

bool value_metric(const BillableMetric& m) {
  return m.aggregation == Aggregation::sum_agg || m.aggregation == Aggregation::max_agg ||
         m.aggregation == Aggregation::latest_agg || m.aggregation == Aggregation::weighted_sum_agg;
}

int64_t us_of(Instant t) { return t.time_since_epoch().count(); }
int64_t floor_bucket(int64_t us) { return us - ((us % kBucketUs) + kBucketUs) % kBucketUs; }

int places_of(const Decimal& d) {
  const std::string t = d.to_string();
  const size_t dot = t.find('.');
  if (dot == std::string::npos) return 0;
  size_t end = t.size();
  while (end > dot + 1 && t[end - 1] == '0') --end;
  return static_cast<int>(end - dot - 1);
}

Decimal dec(const nlohmann::json& a, const char* k) {
  const auto it = a.find(k);
  if (it == a.end() || it->is_null()) return Decimal();
  if (it->is_number_integer()) return Decimal(it->get<int64_t>());
  auto d = Decimal::parse(it->get<std::string>());
  if (!d) throw DecimalError("bad decimal");
  return *d;
}

std::string bucket_text(int64_t us) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(us));
  return buf;
}

}  // namespace

namespace {


void put_int(std::string& out, int64_t v) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  out.append(buf, static_cast<size_t>(n));
}

void put_decimal(std::string& out, const std::optional<Decimal>& d) {
  if (!d) {
    out += "null";
    return;
  }
  out += '"';
  out += d->to_string();
  out += '"';
}

std::optional<Decimal> opt_dec(const json& a, const char* k) {
  const auto it = a.find(k);
  if (it == a.end() || it->is_null()) return std::nullopt;
  return dec(a, k);
}

}  // namespace

std::string Aggregate::text() const {
  std::string out;
  out.reserve(320 + properties.size());
  out += "{\"bucket_us\":";
  put_int(out, bucket_us);
  out += ",\"code\":";
  append_json_string(out, code);
  out += ",\"count\":";
  put_int(out, count);
  out += ",\"external_subscription_id\":";
  append_json_string(out, external_subscription_id);
  out += ",\"first_us\":";
  put_int(out, first_us);
  out += ",\"last_us\":";
  put_int(out, last_us);
  out += ",\"latest\":";
  put_decimal(out, latest);
  out += ",\"latest_sequence\":";
  put_int(out, latest_sequence);
  out += ",\"max\":";
  put_decimal(out, max);
  out += ",\"metric\":";
  append_json_string(out, metric);
  out += ",\"precise_total_amount_cents\":";
  put_decimal(out, precise_total_amount_cents);
  out += ",\"precise_total_amount_cents_places\":";
  put_int(out, precise_total_amount_cents_places);
  out += ",\"properties\":";
  out += properties;
  if (span_us) {
    out += ",\"span_us\":";
    put_int(out, *span_us);
  }
  out += ",\"sum\":";
  put_decimal(out, sum);
  out += ",\"weighted\":";
  put_decimal(out, weighted);
  out += '}';
  return out;
}

json Aggregate::to_json() const {
  json a = json::object();
  a["external_subscription_id"] = external_subscription_id;
  a["code"] = code;
  a["metric"] = metric;
  a["bucket_us"] = bucket_us;
  if (span_us) a["span_us"] = *span_us;
  a["first_us"] = first_us;
  a["last_us"] = last_us;
  a["count"] = count;
  a["sum"] = sum.to_string();
  a["max"] = max ? json(max->to_string()) : json(nullptr);
  a["latest"] = latest.to_string();
  a["latest_sequence"] = latest_sequence;
  a["weighted"] = weighted.to_string();
  a["precise_total_amount_cents"] =
      precise_total_amount_cents ? json(precise_total_amount_cents->to_string()) : json(nullptr);
  a["precise_total_amount_cents_places"] = precise_total_amount_cents_places;
  a["properties"] = parse_json_exact(properties);
  return a;
}

std::optional<Aggregate> Aggregate::from_json(const json& a) {
  try {
    if (!a.is_object()) return std::nullopt;
    Aggregate g;
    g.external_subscription_id = a.value("external_subscription_id", "");
    g.code = a.value("code", "");
    g.metric = a.value("metric", "");
    g.bucket_us = a.value("bucket_us", int64_t{0});
    if (const auto it = a.find("span_us"); it != a.end()) g.span_us = it->get<int64_t>();
    g.first_us = a.value("first_us", int64_t{0});
    g.last_us = a.value("last_us", int64_t{0});
    g.count = a.value("count", int64_t{0});
    g.sum = dec(a, "sum");
    g.max = opt_dec(a, "max");
    g.latest = dec(a, "latest");
    g.latest_sequence = a.value("latest_sequence", int64_t{0});
    g.weighted = dec(a, "weighted");
    g.precise_total_amount_cents = opt_dec(a, "precise_total_amount_cents");
    g.precise_total_amount_cents_places = a.value("precise_total_amount_cents_places", 0);
    const auto p = a.find("properties");
    g.properties = p == a.end() ? "{}" : p->dump();
    return g;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::vector<Contribution>> contributions(std::string_view text, int64_t first_sequence, bool strict) {
  // Read as a calculation reads it: the events array straight into typed events.
  ScannedEvents scanned;
  json doc = read_snapshot_text(text, scanned);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const size_t given = scanned.events.size();
  std::optional<Snapshot> parsed;
  try {
    parsed.emplace(parse_snapshot(doc));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const Snapshot& s = *parsed;
  if (strict && s.events.size() != given) return std::nullopt;  // an event dropped
  std::vector<Contribution> out;
  out.reserve(s.events.size());
  std::map<const BillableMetric*, std::string> fingerprints;  // one per metric, not per event
  for (const Event& e : s.events) {
    if (e.aggregate()) continue;
    const BillableMetric* m = s.find_metric(e.code);
    auto fi = fingerprints.find(m);
    if (fi == fingerprints.end()) fi = fingerprints.emplace(m, m ? metric_fingerprint(*m) : std::string()).first;
    const int64_t ts = us_of(e.timestamp);
    const int64_t bucket = floor_bucket(ts);
    json props = e.properties.to_json();
    if (const std::string* field = e.expression_result().field)  // as Lago's event holds it (§2.7)
      props[*field] = *event_property_text(e, *field);
    std::optional<Decimal> v;
    const bool valued = m && value_metric(*m);
    if (valued) {
      try {
        v = event_value(e, m->field_name);
      } catch (const Failure&) {
        if (strict) return std::nullopt;
      }
      props.erase(m->field_name);
    }
    Contribution c;
    c.index = e.order;
    c.external_subscription_id = std::string(e.external_subscription_id);
    c.code = std::string(e.code);
    c.bucket_us = bucket;
    Aggregate& a = c.aggregate;
    a.external_subscription_id = c.external_subscription_id;
    a.code = c.code;
    a.metric = fi->second;
    a.bucket_us = bucket;
    a.first_us = ts;
    a.last_us = ts;
    const bool counted = !valued || v.has_value();
    a.count = counted ? 1 : 0;
    if (v) {
      a.sum = *v;
      a.max = *v;
      a.latest = *v;
    }
    a.latest_sequence = first_sequence + static_cast<int64_t>(e.order);
    try {
      if (v) a.weighted = *v * Decimal(ts - bucket);
    } catch (const DecimalError&) {
      a.weighted = Decimal();
      a.metric = "!overflow";
    }
    if (counted && e.precise_total_amount_cents()) {
      a.precise_total_amount_cents = *e.precise_total_amount_cents();
      a.precise_total_amount_cents_places = places_of(*e.precise_total_amount_cents());
    }
    a.properties = props.dump();
    c.key = c.external_subscription_id + '\x1f' + bucket_text(bucket) + '\x1f' + c.code + '\x1f' + a.metric + '\x1f' +
            a.properties;
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Contribution& x, const Contribution& y) { return x.index < y.index; });
  return out;
}

std::optional<Contribution> day_contribution(const Contribution& c, const std::string& zone) {
  const auto tz = TimeZone::find(zone);
  if (!tz) return std::nullopt;
  const date::local_days d = tz->local_date(Instant{std::chrono::microseconds{c.bucket_us}});
  const int64_t start = us_of(tz->start_of_day(d)), next = us_of(tz->start_of_day(d + date::days{1}));
  if (start % kBucketUs != 0 || next % kBucketUs != 0 || start > c.bucket_us) return std::nullopt;
  Contribution out = c;
  Aggregate& a = out.aggregate;
  try {
    a.weighted = a.weighted + a.sum * Decimal(c.bucket_us - start);
  } catch (const std::exception&) {
    a.weighted = Decimal();
    a.metric = "!overflow";
  }
  a.bucket_us = start;
  a.span_us = next - start;
  out.bucket_us = start;
  // c.key = subscription \x1f bucket \x1f code \x1f metric \x1f properties
  const size_t b1 = c.key.find('\x1f'), b2 = c.key.find('\x1f', b1 + 1);
  const size_t m1 = c.key.find('\x1f', b2 + 1), m2 = c.key.find('\x1f', m1 + 1);
  out.key = c.key.substr(0, b1 + 1) + zone + '\x1f' + bucket_text(start) + '\x1f' + c.key.substr(b2 + 1, m1 - b2 - 1) +
            '\x1f' + a.metric + c.key.substr(m2);
  return out;
}

void merge(Aggregate& into, const Aggregate& later) {
  const int64_t n_into = into.count, n_later = later.count;
  if (n_later == 0) {
    if (n_into == 0) {
      into.first_us = std::min(into.first_us, later.first_us);
      into.last_us = std::max(into.last_us, later.last_us);
    }
    return;
  }
  if (n_into == 0) {
    const bool same = into.metric == later.metric;
    into = later;
    if (!same) into.metric = "!overflow";
    return;
  }
  try {  // in the order of the JSON fold, which an overflow interrupts at the same point
    into.count = n_into + n_later;
    into.sum = into.sum + later.sum;
    const Decimal mi = into.max.value_or(Decimal()), ml = later.max.value_or(Decimal());
    into.max = ml > mi ? ml : mi;
    if (later.last_us > into.last_us || (later.last_us == into.last_us && later.latest_sequence > into.latest_sequence)) {
      into.latest = later.latest;
      into.latest_sequence = later.latest_sequence;
      into.last_us = later.last_us;
    }
    into.first_us = std::min(into.first_us, later.first_us);
    into.weighted = into.weighted + later.weighted;
    if (later.precise_total_amount_cents) {
      const Decimal p = *later.precise_total_amount_cents;
      into.precise_total_amount_cents =
          into.precise_total_amount_cents ? *into.precise_total_amount_cents + p : p;
      into.precise_total_amount_cents_places =
          std::max(into.precise_total_amount_cents_places, later.precise_total_amount_cents_places);
    }
  } catch (const std::exception&) {
    into.metric = "!overflow";
  }
}

void merge(json& into, const json& later) {
  const int64_t n_into = into.value("count", int64_t{0}), n_later = later.value("count", int64_t{0});
  if (n_later == 0) {
    if (n_into == 0) {
      into["first_us"] = std::min(into.value("first_us", int64_t{0}), later.value("first_us", int64_t{0}));
      into["last_us"] = std::max(into.value("last_us", int64_t{0}), later.value("last_us", int64_t{0}));
    }
    return;
  }
  if (n_into == 0) {
    const json metric = into["metric"];
    into = later;
    if (metric != later["metric"]) into["metric"] = "!overflow";
    return;
  }
  try {
    into["count"] = n_into + n_later;
    into["sum"] = (dec(into, "sum") + dec(later, "sum")).to_string();
    const Decimal mi = dec(into, "max"), ml = dec(later, "max");
    into["max"] = (ml > mi ? ml : mi).to_string();
    const int64_t li = into.value("last_us", int64_t{0}), ll = later.value("last_us", int64_t{0});
    if (ll > li || (ll == li && later.value("latest_sequence", int64_t{0}) > into.value("latest_sequence", int64_t{0}))) {
      into["latest"] = later["latest"];
      into["latest_sequence"] = later["latest_sequence"];
      into["last_us"] = ll;
    }
    into["first_us"] = std::min(into.value("first_us", int64_t{0}), later.value("first_us", int64_t{0}));
    into["weighted"] = (dec(into, "weighted") + dec(later, "weighted")).to_string();
    if (!later["precise_total_amount_cents"].is_null()) {
      const Decimal p = dec(later, "precise_total_amount_cents");
      into["precise_total_amount_cents"] =
          into["precise_total_amount_cents"].is_null() ? p.to_string()
                                                       : (dec(into, "precise_total_amount_cents") + p).to_string();
      into["precise_total_amount_cents_places"] =
          std::max(into.value("precise_total_amount_cents_places", 0), later.value("precise_total_amount_cents_places", 0));
    }
  } catch (const std::exception&) {
    into["metric"] = "!overflow";
  }
}

std::optional<Plan> plan(std::string_view text) {
  json doc = parse_json_exact(text);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  doc.erase("events");
  doc.erase("usage_aggregates");
  // Any instant the request names (a preview's terminated_at, subscription_at...) may bound a
  // window: an edge for every subscription.
  std::vector<Instant> asked;
  const std::function<void(const json&)> walk = [&](const json& v) {
    if (v.is_string()) {
      if (auto t = parse_instant(v.get<std::string>())) asked.push_back(*t);
    } else if (v.is_structured()) {
      for (const auto& x : v) walk(x);
    }
  };
  if (auto rq = doc.find("request"); rq != doc.end()) walk(*rq);
  std::optional<Snapshot> parsed;
  try {
    parsed.emplace(parse_snapshot(doc));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const Snapshot& s = *parsed;
  Plan p;
  p.zone = s.timezone().name();
  const auto edge = [&](const std::string& id, Instant t) {
    for (int64_t shift : {int64_t{0}, int64_t{1000000}}) p.edge_buckets[id].insert(floor_bucket(us_of(t) + shift));
  };
  for (const Subscription& sub : s.subscriptions) {
    const std::string& id = sub.external_id;
    edge(id, s.now);
    for (const Instant t : asked) edge(id, t);
    edge(id, sub.subscription_at);
    for (const auto& t : {sub.started_at, sub.ending_at, sub.terminated_at, sub.created_at})
      if (t) edge(id, *t);
    if (!sub.plan) continue;
    auto& codes = p.codes[id];
    for (const Charge& c : sub.plan->charges) {
      if (!c.metric) continue;
      const std::optional<std::string> fp =
          aggregates_serve(c) ? std::optional<std::string>(metric_fingerprint(*c.metric)) : std::nullopt;
      auto [it, fresh] = codes.try_emplace(c.metric->code, fp);
      if (!fresh && it->second != fp) it->second.reset();
    }
  }
  return p;
}

void compact(json& aggregates, const Plan& plan) {
  if (!aggregates.is_array() || aggregates.size() < 2) return;
  const auto tz = TimeZone::find(plan.zone);
  if (!tz) return;
  static const std::set<int64_t> kNoEdges;
  std::map<std::string, size_t> slot;  // merge key → index in `out`
  json out = json::array();
  for (json& a : aggregates) {
    const std::string sub = a.value("external_subscription_id", "");
    const int64_t bucket = a.value("bucket_us", int64_t{0});
    const auto ei = plan.edge_buckets.find(sub);
    const auto& edges = ei == plan.edge_buckets.end() ? kNoEdges : ei->second;
    const auto segment = std::distance(edges.begin(), edges.upper_bound(bucket));
    const auto day = tz->local_date(Instant{std::chrono::microseconds{bucket}}).time_since_epoch().count();
    const std::string key = sub + '\x1f' + a.value("code", "") + '\x1f' + a.value("metric", "") + '\x1f' +
                            a["properties"].dump() + '\x1f' + std::to_string(day) + '\x1f' + std::to_string(segment);
    auto [it, fresh] = slot.try_emplace(key, out.size());
    if (fresh) {
      out.push_back(std::move(a));
      continue;
    }
    json& into = out[it->second];
    // Rebase both on the earlier bucket: weighted = Σ v × (t − bucket).
    const int64_t b0 = into.value("bucket_us", int64_t{0});
    const int64_t lo = std::min(b0, bucket);
    const int64_t hi = std::max(b0 + into.value("span_us", kBucketUs), bucket + a.value("span_us", kBucketUs));
    if (hi - lo > 25LL * 3600 * 1000000) {  // cannot happen within a local day; keep apart
      it->second = out.size();
      out.push_back(std::move(a));
      continue;
    }
    try {
      const auto rebase = [&](json& x) {
        const int64_t shift = x.value("bucket_us", int64_t{0}) - lo;
        x["weighted"] = (dec(x, "weighted") + dec(x, "sum") * Decimal(shift)).to_string();
        x["bucket_us"] = lo;
      };
      json merged = into, later = a;
      rebase(merged);
      rebase(later);
      // Arrival order decides only ties of (last_us, sequence); merge() compares both.
      merge(merged, later);
      merged["span_us"] = hi - lo;
      into = std::move(merged);
    } catch (const std::exception&) {  // an overflow: keep them apart
      it->second = out.size();
      out.push_back(std::move(a));
    }
  }
  aggregates = std::move(out);
}

std::string aggregate_snapshot(std::string_view text) {
  json doc = parse_json_exact(text);
  const auto p = plan(text);
  const auto contribs = contributions(text, 0, false);
  if (!p || !contribs || !doc.contains("events")) return std::string(text);
  const json events = doc["events"];
  std::map<std::string, Aggregate> merged;  // key → aggregate
  std::vector<const Contribution*> owner(events.size(), nullptr);
  for (const Contribution& c : *contribs) owner[c.index] = &c;
  const auto aggregated = [&](const Contribution& c) -> std::optional<std::string> {
    const auto sub = p->codes.find(c.external_subscription_id);
    if (sub == p->codes.end()) return std::nullopt;
    const auto code = sub->second.find(c.code);
    if (code == sub->second.end() || !code->second) return std::nullopt;
    const auto edges = p->edge_buckets.find(c.external_subscription_id);
    if (edges != p->edge_buckets.end() && edges->second.count(c.bucket_us)) return std::nullopt;
    return code->second;
  };
  for (const Contribution& c : *contribs) {
    if (!aggregated(c)) continue;
    auto [it, fresh] = merged.try_emplace(c.key, c.aggregate);
    if (!fresh) merge(it->second, c.aggregate);
  }
  // A (subscription, code) with an aggregate built for another definition reads raw events.
  std::set<std::pair<std::string, std::string>> raw;
  for (const auto& [key, a] : merged)
    if (a.metric != *p->codes.at(a.external_subscription_id).at(a.code)) raw.emplace(a.external_subscription_id, a.code);
  json out_events = json::array(), out_aggs = json::array();
  for (size_t i = 0; i < events.size(); ++i) {
    const Contribution* c = owner[i];
    if (!c) continue;  // the engine drops it (duplicate, expression failure)
    if (aggregated(*c) && !raw.count({c->external_subscription_id, c->code})) continue;
    out_events.push_back(events[i]);
  }
  for (const auto& [key, a] : merged)
    if (!raw.count({a.external_subscription_id, a.code})) out_aggs.push_back(a.to_json());
  compact(out_aggs, *p);
  doc["events"] = std::move(out_events);
  doc["usage_aggregates"] = std::move(out_aggs);
  return doc.dump();
}

}  // namespace tariff::usage
