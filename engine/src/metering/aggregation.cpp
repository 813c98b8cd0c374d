#include "metering/aggregation.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include "core/prefetch.hpp"
#include "metering/event_columns.hpp"
#include "snapshot/aggregates.hpp"
#include "snapshot/event_value.hpp"
#include "tariff/error.hpp"

namespace tariff {
namespace {

bool unbounded_history(const BillableMetric& m) {
  return m.recurring && (m.aggregation == Aggregation::sum_agg || m.aggregation == Aggregation::unique_count_agg ||
                         m.aggregation == Aggregation::weighted_sum_agg);
}

Instant floor_ms(Instant t) { return std::chrono::floor<std::chrono::milliseconds>(t); }

bool matches(const Event& e, const ChargeFilter& f) {
  std::string scratch;
  for (const auto& [key, values] : f.values) {
    auto v = event_property_view(e, key, scratch);
    if (!v || std::find(values.begin(), values.end(), *v) == values.end()) return false;
  }
  return true;
}

const std::vector<std::string>* values_of(const ChargeFilter& f, const std::string& key) {
  for (const auto& kv : f.values)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

bool shares_value(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  return false;
}

bool subset_of(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) == b.end()) return false;
  return true;
}

enum class Exclusion { none, all_matches };

// §2.9: does sibling G take events away from F?
Exclusion excludes(const ChargeFilter& f, size_t fi, const ChargeFilter& g, size_t gi) {
  for (const auto& [key, fv] : f.values) {
    const auto* gv = values_of(g, key);
    if (!gv || !shares_value(fv, *gv)) return Exclusion::none;  // not more specific
  }
  if (g.values.size() > f.values.size()) return Exclusion::all_matches;
  // Same keys.
  bool identical = true, g_subset = true;
  for (const auto& [key, fv] : f.values) {
    const auto* gv = values_of(g, key);
    std::vector<std::string> a = fv, b = *gv;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b) identical = false;
    if (!subset_of(*gv, fv)) g_subset = false;
  }
  if (identical) return gi < fi ? Exclusion::all_matches : Exclusion::none;  // older filter keeps
  if (g_subset) return Exclusion::all_matches;
  return Exclusion::none;  // overlapping: G's values minus F's cannot be in F's bucket (quirk)
}

bool any_aggregate(const std::vector<const Event*>& evs) {
  for (const Event* e : evs)
    if (e->aggregate()) return true;
  return false;
}
// The last of `evs` by (timestamp, arrival): an aggregate by its last event's. Raw events and
// aggregates of one subscription and code never share a quarter-hour, so never tie.
const Event* last_entry(const std::vector<const Event*>& evs) {
  const Event* best = nullptr;
  const auto key = [](const Event* e) {
    return e->aggregate() ? std::make_pair(e->aggregate()->last, e->aggregate()->latest_sequence)
                        : std::make_pair(e->timestamp, static_cast<int64_t>(e->order));
  };
  for (const Event* e : evs)
    if (!best || key(best) < key(e)) best = e;
  return best;
}

// 86 400-second days between local dates, as whole days.
int64_t local_days_between(date::local_days a, date::local_days b) { return (b - a).count(); }

}  // namespace

bool event_matches_filter(const Event& e, const ChargeFilter& f) { return matches(e, f); }

std::optional<std::string> property_text(const PropertyList& properties, std::string_view key) {
  auto v = property_view(properties, key);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<std::string> event_property_text(const Event& e, const std::string& key) {
  std::string scratch;
  auto v = event_property_view(e, key, scratch);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::optional<Decimal> event_value(const Event& e, const std::string& field_name) {
  Decimal v;
  switch (parse_event_value(e, field_name, v)) {
    case 1: return v;
    case 2: refuse_value(e, field_name);
    default: return std::nullopt;
  }
}

const EventIndex& event_values(const Snapshot& s) {
  EventIndex& ix = s.indexed_events();
  EventIndex::Values& v = ix.values;
  if (v.built) return ix;
  v.metric.assign(ix.groups.size(), nullptr);
  bool any = false;
  for (size_t g = 0; g < ix.groups.size(); ++g) {
    const BillableMetric* m = s.find_metric(ix.groups[g].code);
    if (m && needs_value(m->aggregation)) v.metric[g] = m, any = true;
  }
  if (any) {
    const size_t n = s.events.size();
    v.value.assign(n, Decimal());
    v.state.assign(n, 0);
    const uint32_t* walk = ix.in_input_order.data();
    const auto event_ahead = [&](size_t j) { return &s.events[walk[j]]; };  // scattered in sorted order
    for (size_t i = 0; i < n; ++i) {
      fetch_ahead(i, n, event_ahead);
      const size_t k = walk[i];
      const BillableMetric* m = v.metric[ix.group_of[k]];
      const Event& e = s.events[k];
      if (!m || e.aggregate()) continue;  // an aggregate's values are its own
      v.state[k] = static_cast<uint8_t>(parse_event_value(e, m->field_name, v.value[k]));
    }
  }
  v.built = true;
  return ix;
}

std::vector<const Event*> select_events(const Snapshot& s, std::string_view sub_id, const BillableMetric& m,
                                        const AggregationWindow& w) {
  std::vector<const Event*> out;
  const Instant from = floor_ms(w.from);
  const bool all_history = unbounded_history(m);
  const std::string fingerprint = s.usage_aggregates.empty() ? std::string() : metric_fingerprint(m);
  // The subscription's events of this code, in timestamp order (snapshot/events.cpp).
  const bool valued = needs_value(m.aggregation);
  EventColumns values(&event_values(s), m.field_name);
  const EventRange mine = s.events_of(sub_id, m.code);
  const uint32_t* it = mine.begin();
  // Without aggregates, the events before the window are skipped unchecked: start at the first
  // one inside it.
  if (!all_history && s.usage_aggregates.empty())
    it = std::partition_point(it, mine.end(), [&](uint32_t k) { return values.timestamp(&s.events[k], k) < from; });
  const bool scattered = !values.plain();  // the events themselves read: fetched ahead
  out.reserve(static_cast<size_t>(mine.end() - it));  // at most these: no growth copied along the way
  const auto event_ahead = [&](size_t j) { return &s.events[mine.begin()[j]]; };
  for (; it != mine.end(); ++it) {
    if (scattered) fetch_ahead(static_cast<size_t>(it - mine.begin()), mine.size(), event_ahead);
    const size_t k = *it;
    const Event& e = s.events[k];
    const Instant ts = values.timestamp(&e, k);
    if (ts > w.to) break;  // events are sorted by timestamp
    if (const UsageAggregate* g = values.aggregate(&e, k)) {
      // Built for another definition of the metric, or across a window boundary (an instant
      // off the quarter-hour grid): its events cannot be told apart here. Refuse.
      if (g->metric != fingerprint) throw Failure(Error::validation("usage_aggregates", "metric_changed"));
      if ((g->first < from && g->last >= from) || g->last > w.to)
        throw Failure(Error::validation("usage_aggregates", "straddles_window"));
      if (g->count == 0 || (!all_history && ts < from)) continue;
      out.push_back(&e);
      continue;
    }
    if (!all_history && ts < from) continue;
    if (valued) {
      const Decimal* v = nullptr;
      const int state = values.state(k, v);
      if (state == 2) refuse_value(e, m.field_name);
      if (state == 0 || (state < 0 && !event_value(e, m.field_name))) continue;
    }
    out.push_back(&e);
  }
  return out;
}

std::vector<std::vector<const Event*>> bucket_events(const Charge& c, const std::vector<const Event*>& events) {
  const size_t n = c.filters.size();
  std::vector<std::vector<const Event*>> buckets(n + 1);
  std::vector<bool> m(n);  // which filters the event matches
  for (const Event* e : events) {
    bool any = false;
    for (size_t i = 0; i < n; ++i) any |= (m[i] = matches(*e, c.filters[i]));
    if (!any) {
      buckets[n].push_back(e);
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      if (!m[i]) continue;
      bool excluded = false;
      for (size_t j = 0; j < n && !excluded; ++j)
        if (j != i && m[j] && excludes(c.filters[i], i, c.filters[j], j) == Exclusion::all_matches) excluded = true;
      if (!excluded) buckets[i].push_back(e);
    }
  }
  return buckets;
}

std::vector<EventGroup> group_events(const std::vector<std::string>& keys, const std::vector<const Event*>& events) {
  std::vector<EventGroup> groups;
  std::map<std::vector<std::optional<std::string>>, size_t> index;
  for (const Event* e : events) {
    std::vector<std::optional<std::string>> k;
    for (const auto& key : keys) {
      auto v = event_property_text(*e, key);
      if (v && v->empty()) v.reset();
      k.push_back(v);
    }
    auto [it, inserted] = index.emplace(k, groups.size());
    if (inserted) {
      EventGroup g;
      for (size_t i = 0; i < keys.size(); ++i) g.key.emplace_back(keys[i], k[i]);
      groups.push_back(std::move(g));
    }
    groups[it->second].events.push_back(e);
  }
  if (groups.empty()) {
    EventGroup g;
    for (const auto& key : keys) g.key.emplace_back(key, std::nullopt);
    groups.push_back(std::move(g));
  }
  return groups;
}

namespace {

struct Counts {
  Decimal units, total, current;
};

// §2.3 unique count, plain and prorated.
Counts unique_count(const BillableMetric& m, const std::vector<const Event*>& evs, const AggregationWindow& w,
                    bool prorated) {
  struct Step {
    const Event* e;
    bool add;
  };
  if (any_aggregate(evs)) {
    // Without proration a value scores +1 per effective add and −1 per effective remove,
    // which alternate from an add: Σ = 1 when its last event adds, else 0 (every selected
    // event counts: the window has no lower bound only for recurring metrics, which count all).
    if (prorated) throw Failure(Error::validation("usage_aggregates", "not_supported_by_charge"));
    std::map<std::optional<std::string>, std::vector<const Event*>> by_value;
    for (const Event* e : evs) by_value[event_property_text(*e, m.field_name)].push_back(e);
    int64_t active = 0;
    for (const auto& kv : by_value) {
      auto op = event_property_text(*last_entry(kv.second), "operation_type");
      if (!(op && *op == "remove")) ++active;
    }
    Counts c;
    c.units = c.current = c.total = Decimal(active);
    return c;
  }
  std::map<std::optional<std::string>, std::vector<Step>> by_value;
  std::vector<std::optional<std::string>> order;
  for (const Event* e : evs) {
    auto v = event_property_text(*e, m.field_name);
    auto op = event_property_text(*e, "operation_type");
    const bool add = !(op && *op == "remove");
    auto [it, inserted] = by_value.try_emplace(v);
    if (inserted) order.push_back(v);
    it->second.push_back({e, add});
  }
  Decimal units, active_now;
  // Prorated: Σ weights = Σ active days / duration, kept as the integer day sum and divided
  // once (three values active 20 of 30 days are 60/30 = 2 units, not 3 × 0.666666666666666667).
  int64_t active_days = 0;
  const date::local_days from_day = w.tz.local_date(w.from), to_day = w.tz.local_date(w.to);
  const Decimal duration(w.charges_duration > 0 ? w.charges_duration : 1);
  for (const auto& v : order) {
    const auto& steps = by_value[v];
    bool previous_add = false;  // the first event's "previous" is a remove
    std::vector<std::pair<const Event*, bool>> effective;  // events that changed state
    for (const Step& st : steps) {
      if (st.add != previous_add) {
        effective.emplace_back(st.e, st.add);
        previous_add = st.add;
      }
    }
    if (prorated) {
      // A remove followed the same local day by an add is ignored: the value stays active.
      std::vector<std::pair<const Event*, bool>> kept;
      for (size_t i = 0; i < effective.size(); ++i) {
        if (!effective[i].second && i + 1 < effective.size() &&
            w.tz.local_date(effective[i].first->timestamp) == w.tz.local_date(effective[i + 1].first->timestamp)) {
          ++i;
          continue;
        }
        kept.push_back(effective[i]);
      }
      effective.swap(kept);
    }
    // Score: +1 per effective add, −1 per effective remove — within the window unless recurring.
    for (size_t i = 0; i < effective.size(); ++i) {
      const auto& [e, add] = effective[i];
      const bool in_window = e->timestamp >= std::chrono::floor<std::chrono::milliseconds>(w.from);
      if (!prorated) {
        if (m.recurring || in_window) units += add ? Decimal(1) : Decimal(-1);
        continue;
      }
      if (!add) continue;
      // Weight: (local date of the next effective event, else window end) + 1 − local start.
      const date::local_days start = std::max(w.tz.local_date(e->timestamp), from_day);
      date::local_days end = to_day;
      if (i + 1 < effective.size()) end = std::min(end, w.tz.local_date(effective[i + 1].first->timestamp));
      if (end < start) continue;
      active_days = add_cents(active_days, local_days_between(start, end) + 1);
    }
    if (previous_add) active_now += Decimal(1);
  }
  Counts c;
  c.units = prorated ? Decimal::mul_div(Decimal(active_days), Decimal(1), duration, 5, RoundingMode::ceil)
                     : units.ceil(5);
  if (prorated) c.current = active_now;
  else c.current = c.units;
  c.total = c.current;
  return c;
}

// §2.6 time-weighted sum.
Counts weighted_sum(const BillableMetric& m, const std::vector<const Event*>& evs, const AggregationWindow& w,
                    EventColumns& values) {
  Decimal initial;
  std::vector<std::pair<Instant, Decimal>> rows;
  const Instant from = std::chrono::floor<std::chrono::milliseconds>(w.from);
  for (const Event* e : evs) {
    if (e->aggregate()) break;  // with aggregates: the sum regrouped below
    const Decimal v = values.value(e, values.index(e));
    if (e->timestamp < from) {
      if (m.recurring) initial += v;
      continue;
    }
    rows.emplace_back(e->timestamp, v);
  }
  const Instant end = std::chrono::ceil<std::chrono::seconds>(w.to);
  const uint64_t period_us = static_cast<uint64_t>(w.charges_duration > 0 ? w.charges_duration : 1) * 86400ULL * 1000000ULL;
  if (any_aggregate(evs)) {
    // The same exact sum regrouped: initial × (end − from) + Σ_j v_j × (end − t_j), where an
    // aggregate's Σ v_j × (end − t_j) = sum × (end − bucket) − Σ v_j × (t_j − bucket).
    const auto us = [](Instant a, Instant b) { return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count(); };
    Decimal initial_a, total;
    ProductSum sum;
    for (const Event* e : evs) {
      const Decimal v = values.entry_value(e, values.index(e));
      if (e->timestamp < from) {
        if (m.recurring) initial_a += v;
        continue;
      }
      total += v;
      if (const UsageAggregate* g = e->aggregate()) {
        sum.add(g->sum, us(g->bucket, end));
        sum.add(g->weighted, -1);
      } else {
        sum.add(v, us(e->timestamp, end));
      }
    }
    sum.add(initial_a, us(from, end));
    Counts c;
    c.units = sum.divide(period_us, Decimal::kScale, RoundingMode::ceil);
    c.total = initial_a + total;
    c.current = c.units;
    return c;
  }
  Decimal running = initial, total = initial;
  // Σ running × microseconds held, kept exactly (no product is rounded) and divided once by
  // the period's microseconds.
  ProductSum sum;
  Instant prev = from;
  // Each row holds its running total until the next row.
  for (const auto& [t, v] : rows) {
    sum.add(running, std::chrono::duration_cast<std::chrono::microseconds>(t - prev).count());
    running += v;
    total += v;
    prev = t;
  }
  sum.add(running, std::chrono::duration_cast<std::chrono::microseconds>(end - prev).count());
  Counts c;
  // Lago ceils the quotient at 20 places; ceiling the exact quotient at 18 is the same value
  // cut to this scale (dividing first, half-up at 18, could round a ceiling down).
  c.units = sum.divide(period_us, Decimal::kScale, RoundingMode::ceil);
  c.total = total;
  c.current = c.units;
  return c;
}

}  // namespace

AggregatedUsage aggregate(const BillableMetric& m, const std::vector<const Event*>& evs, const AggregationWindow& w,
                          bool prorated, const Currency& currency) {
  AggregatedUsage out;
  ChargeUsage& u = out.usage;
  u.aggregation = aggregation_kind(m.aggregation);
  const Instant from = std::chrono::floor<std::chrono::milliseconds>(w.from);
  EventColumns values(w.values, m.field_name);
  // One pass: the entries inside the window, the events both stand for (an overflow reported
  // as the sums in turn would), and whether any carries a precise amount.
  std::vector<const Event*> in_window;
  in_window.reserve(evs.size());
  int64_t all_weight = 0, window_weight = 0;
  bool all_overflow = false, window_overflow = false, precise = false;
  for (const Event* e : evs) {
    const size_t k = values.index(e);
    const UsageAggregate* g = values.aggregate(e, k);
    const int64_t n = g ? g->count : 1;
    all_overflow |= __builtin_add_overflow(all_weight, n, &all_weight);
    if (values.timestamp(e, k) < from) continue;
    in_window.push_back(e);
    window_overflow |= __builtin_add_overflow(window_weight, n, &window_weight);
    precise |= g ? g->precise_total_amount_cents.has_value() : values.precise(e, k) != nullptr;
  }
  // Recurring metrics count every event of their history (no lower bound), as they sum.
  const bool all_history = m.recurring && m.aggregation == Aggregation::sum_agg;
  if ((all_history && all_overflow) || window_overflow) throw DecimalError("cents overflow");  // add_cents'
  out.events_count = all_history ? all_weight : window_weight;
  u.events_count = window_weight;
  for (const Event* e : in_window) {
    if (!precise) break;
    if (const UsageAggregate* g = e->aggregate()) {
      if (!g->precise_total_amount_cents) continue;
      // Σ (x / subunit) = (Σ x) / subunit only while each division is exact at 18 places.
      const int divisor_places = currency.subunit_to_unit == 5 ? 1 : currency.exponent;
      if (g->precise_total_amount_cents_places + divisor_places > Decimal::kScale)
        throw Failure(Error::validation("usage_aggregates", "not_exact"));
      u.dynamic_amount += currency.from_cents(*g->precise_total_amount_cents);
    } else if (e->precise_total_amount_cents()) {
      u.dynamic_amount += currency.from_cents(*e->precise_total_amount_cents());
    }
  }

  Counts c;
  switch (m.aggregation) {
    case Aggregation::count_agg:
      c.units = c.total = c.current = Decimal(out.events_count);
      break;
    case Aggregation::sum_agg: {
      Decimal carried, period;
      const Decimal duration(w.charges_duration > 0 ? w.charges_duration : 1);
      const date::local_days to_day = w.tz.local_date(w.to);
      // Prorated values are kept as numerators v × days over the common denominator
      // `duration` and divided once: Σ v × days / duration, never Σ (v × days / duration).
      Decimal prorated_units;  // Σ v × days
      int64_t full_days = day_count(w.from, w.to, w.tz) - (w.upgraded ? 1 : 0);
      if (full_days < 0) full_days = 0;
      u.event_values.reserve(in_window.size());
      for (const Event* e : evs) {
        const size_t k = values.index(e);
        const Decimal v = values.entry_value(e, k);
        if (values.timestamp(e, k) < from) {
          carried += v;
          continue;
        }
        period += v;
        if (!values.aggregate(e, k)) u.event_values.push_back(v);  // per event: refused with aggregates
        if (prorated) {
          if (e->aggregate() && w.tz.local_date(e->aggregate()->first) != w.tz.local_date(e->aggregate()->last))
            throw Failure(Error::validation("usage_aggregates", "straddles_local_day"));
          const int64_t days = local_days_between(w.tz.local_date(e->timestamp), to_day) + 1;
          const Decimal p = v * Decimal(days);
          prorated_units += p;
          u.prorated_events.emplace_back(v, p);
        }
      }
      if (prorated) {
        const Decimal carried_p = carried * Decimal(full_days);
        if (!carried.is_zero() || u.prorated_events.empty())
          u.prorated_events.insert(u.prorated_events.begin(), {carried, carried_p});
        u.prorated_denominator = duration;
        c.units = Decimal::mul_div(carried_p + prorated_units, Decimal(1), duration, 5, RoundingMode::ceil);
        c.total = c.current = carried + period;
      } else {
        c.units = c.total = c.current = carried + period;
      }
      break;
    }
    case Aggregation::max_agg: {
      bool any = false;
      Decimal best;
      for (const Event* e : in_window) {
        if (e->aggregate() && !e->aggregate()->max) continue;
        const Decimal v = e->aggregate() ? *e->aggregate()->max : values.value(e, values.index(e));
        if (!any || v > best) best = v;
        any = true;
      }
      c.units = c.total = c.current = best;
      break;
    }
    case Aggregation::latest_agg: {
      Decimal last;
      if (!in_window.empty()) {
        const Event* e = any_aggregate(in_window) ? last_entry(in_window) : in_window.back();
        last = e->aggregate() ? e->aggregate()->latest : values.value(e, values.index(e));
      }
      if (last.is_negative()) last = Decimal();
      c.units = c.total = c.current = last;
      break;
    }
    case Aggregation::unique_count_agg:
      c = unique_count(m, evs, w, prorated);
      // Lago's unique count reports its aggregation as the count (`result.count =
      // result.aggregation`), stored in the integer events_count: truncated. Prorated, that
      // is the prorated units (2.66667 → 2), not the number of values active now.
      out.events_count = c.units.truncate(0).to_int64();
      break;
    case Aggregation::weighted_sum_agg:
      c = weighted_sum(m, evs, w, values);
      break;
  }
  if (m.rounding) {
    c.units = c.units.round(m.rounding_precision, *m.rounding);
    c.current = c.current.round(m.rounding_precision, *m.rounding);
    c.total = c.total.round(m.rounding_precision, *m.rounding);
  }
  u.units = c.units;
  u.prorated = prorated;
  u.full_units = c.current;
  out.units = c.units;
  out.current_units = c.current;
  out.total_aggregated_units = c.total;
  return out;
}

}  // namespace tariff
