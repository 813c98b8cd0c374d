// Events (CONTRACT §1): typed, de-duplicated by (external_subscription_id, transaction_id),
// the metric's expression applied (§2.7), sorted by timestamp with ties in input order.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "core/prefetch.hpp"
#include "core/same_text.hpp"
#include "snapshot/event_hash.hpp"
#include "snapshot/event_sort.hpp"
#include "snapshot/event_value.hpp"
#include "snapshot/expression_apply.hpp"
#include "snapshot/reader.hpp"
#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"

namespace tariff {

using event_hash::pair_hash;

namespace {

constexpr size_t kMaxEvents = 2000000;

// §2.7: the metric's expression overwrites properties[field_name]; failure drops the event.
bool apply_expression(Snapshot& s, const std::vector<const BillableMetric*>& computed, Event& ev) {
  for (const BillableMetric* m : computed)
    if (m->code == ev.code) return tariff::apply_expression(*m, ev, *s.arena);
  return true;
}

// (external_subscription_id, transaction_id) of the events kept so far: open addressing over
// their positions (8 bytes a slot, sized once for every event), the strings compared in place.
class SeenPairs {
 public:
  SeenPairs(const std::vector<Event>& evs, size_t most) : evs_(evs) {
    size_t n = 1024;
    while (n < 2 * most + 2) n *= 2;
    slots_.assign(n, 0);
  }
  const void* slot_of(uint64_t h) const { return &slots_[h & (slots_.size() - 1)]; }
  // True when events[k]'s pair (hash h) is new (then remembered).
  bool insert(size_t k, uint64_t h) {
    const Event& e = evs_[k];
    const uint64_t tag = h >> 32;
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const uint64_t v = slots_[i];
      if (v == 0) {
        slots_[i] = (tag << 32) | (k + 1);
        return true;
      }
      if ((v >> 32) == tag) {
        const auto o = pair_of(v);
        if (o.second == e.transaction_id && o.first == e.external_subscription_id) return false;
      }
    }
  }
  // events[k], remembered, is about to be dropped: its pair stays remembered on the side.
  void keep_aside(size_t k, uint64_t h) {
    const Event& e = evs_[k];
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      uint64_t& v = slots_[i];
      if (v && !(v & kSide) && (v & 0xFFFFFFFFu) == k + 1) {
        side_.emplace_back(e.external_subscription_id, e.transaction_id);
        v = (v & ~uint64_t{0xFFFFFFFFu}) | kSide | (side_.size() - 1);
        return;
      }
    }
  }

 private:
  static constexpr uint64_t kSide = 0x80000000u;
  const std::vector<Event>& evs_;
  std::vector<uint64_t> slots_;
  std::vector<std::pair<std::string_view, std::string_view>> side_;

  std::pair<std::string_view, std::string_view> pair_of(uint64_t v) const {
    if (v & kSide) return side_[v & 0x7FFFFFFFu];
    const Event& o = evs_[(v & 0xFFFFFFFFu) - 1];
    return {o.external_subscription_id, o.transaction_id};
  }
};

// One event given as JSON, typed into `ev` (strings copied into the arena); false when it is
// refused (the error recorded) or dropped.
bool read_json_event(json& e, size_t i, Snapshot& s, Reader& r, Event& ev) {
  const std::string p = Reader::at("events", i);
  if (!e.is_object()) { r.add(p, "value_is_invalid"); return false; }
  Arena& arena = *s.arena;
  ev = Event();
  ev.order = static_cast<uint32_t>(i);
  ev.transaction_id = arena.text(r.string(e, "transaction_id", p).value_or(""));
  ev.external_subscription_id = arena.text(r.string(e, "external_subscription_id", p).value_or(""));
  ev.code = arena.text(r.string(e, "code", p, true).value_or(""));
  auto ts = r.instant(e, "timestamp", p, false, "invalid_timestamp");
  if (!Reader::has(e, "timestamp")) ts = s.now;  // Lago stamps a missing timestamp at reception
  if (!ts) return false;
  ev.timestamp = *ts;
  if (const json* props = Reader::field(e, "properties")) {
    if (!props->is_object()) { r.add(Reader::at(p, "properties"), "value_is_invalid"); return false; }
    ev.properties = properties_from_json(*props, arena);
  }
  if (Reader::has(e, "precise_total_amount_cents")) {
    if (auto d = r.decimal(e, "precise_total_amount_cents", p)) {
      Decimal* kept = static_cast<Decimal*>(arena.allocate(sizeof(Decimal), alignof(Decimal)));
      *kept = *d;
      ev.extra_in(arena).precise_total_amount_cents = kept;
    }
  }
  return true;
}

// What the index keeps of each event while the events are still in input order, by `order`.
struct InputOrderIndex {
  struct Slot {  // 24 bytes (the value's bytes unaligned): gathered with one fetch each
    unsigned char value[sizeof(Decimal)];
    uint32_t group;
    uint8_t state;
  };
  std::vector<Slot> slots;
  // The groups of the (subscription, code) views met lately (the reader gives a repeated code or
  // subscription id one view): found again without hashing or comparing their text.
  struct Recent {
    const char* sub = nullptr;
    const char* code = nullptr;
    uint32_t sub_size = 0, code_size = 0, group = 0;
  };
  Recent recent[8];
  bool valued = false;
  bool precise = false;  // some event carries precise_total_amount_cents
};

InputOrderIndex start_index(const Snapshot& s, size_t orders);
void index_event(const Snapshot& s, InputOrderIndex& by_order, const Event& e);
void gather_index(const Snapshot& s, InputOrderIndex& by_order);

}  // namespace

void parse_snapshot_events(json& d, Snapshot& s, Reader& r) {
  ScannedEvents* scanned = nullptr;
  if (const auto it = d.find("events"); it != d.end()) scanned = scanned_events(*it);
  std::vector<Event>& evs = s.events;
  size_t given = 0;
  std::vector<size_t> general_at;
  std::vector<json>* general = nullptr;
  json* items = nullptr;
  if (scanned) {
    if (scanned->consumed) throw std::logic_error("snapshot events read twice");
    scanned->consumed = true;
    evs = std::move(scanned->events);
    s.arena = std::move(scanned->arena);
    general_at = std::move(scanned->general);
    general = &scanned->general_json;
    given = evs.size();
  } else {
    const json* arr = r.array(d, "events", "");
    if (!arr || arr->empty()) return;
    items = &d.at("events");  // non-empty, so the document's own array
    given = items->size();
  }
  if (given > kMaxEvents) {
    r.add("events", "too_many_items");
    evs.clear();
    return;
  }
  if (!scanned) evs.resize(given);
  std::vector<const BillableMetric*> computed;  // metrics whose expression sets their field
  for (const BillableMetric& m : s.billable_metrics)
    if (m.expression && !m.field_name.empty()) computed.push_back(&m);
  // Indexed by subscription and code, each value parsed, while the events are in input order.
  InputOrderIndex by_order = start_index(s, given);
  {
  SeenPairs seen(evs, given);
  // The events read typed come with their (subscription, transaction) hash, made while the
  // reader had their strings in cache: their slots fetched ahead.
  const uint64_t* read_hashes = scanned ? scanned->pair_hashes.data() : nullptr;
  const auto slot_ahead = [&](size_t j) {
    return evs[j].transaction_id.empty() ? nullptr : seen.slot_of(read_hashes[j]);
  };
  // And the text where parse_event_value() starts reading an event (its first property's key).
  const auto key_ahead = [&](size_t j) -> const void* {
    const PropertyList& p = evs[j].properties;
    return p.empty() ? nullptr : p.begin()->key().data();
  };
  size_t kept = 0, next_general = 0;
  for (size_t i = 0; i < given; ++i) {
    if (scanned) fetch_ahead(i, given, slot_ahead);
    if (scanned && by_order.valued) fetch_ahead(i, given, key_ahead);
    json* as_json = nullptr;
    if (!scanned) as_json = &(*items)[i];
    else if (next_general < general_at.size() && general_at[next_general] == i) as_json = &(*general)[next_general++];
    if (as_json) {
      if (!read_json_event(*as_json, i, s, r, evs[kept])) continue;
    } else if (kept != i) {
      evs[kept] = evs[i];
    }
    Event& ev = evs[kept];
    // A repeated transaction id for the same subscription was refused at ingestion.
    const bool remembered = !ev.transaction_id.empty();
    const uint64_t h = !remembered ? 0
                       : scanned && !as_json ? read_hashes[i]
                                             : pair_hash(ev.external_subscription_id, ev.transaction_id);
    if (remembered && !seen.insert(kept, h)) continue;
    if (!computed.empty() && !apply_expression(s, computed, ev)) {
      if (remembered) seen.keep_aside(kept, h);
      continue;
    }
    index_event(s, by_order, ev);
    ++kept;
  }
  evs.resize(kept);
  }
  if (scanned) std::vector<uint64_t>().swap(scanned->pair_hashes);
  if (general) general->clear();
  sort_events(evs);
  gather_index(s, by_order);
}

namespace {

// The positions of `events` by `order` (input order, the order of the text their strings and
// properties were read from), or in place when orders repeat or are too sparse to invert.
void input_order(const std::vector<Event>& events, std::vector<uint32_t>& out) {
  const size_t n = events.size();
  out.clear();
  size_t most = 0;
  for (const Event& e : events) most = std::max(most, static_cast<size_t>(e.order));
  if (n && most < 4 * n + 1024) {
    std::vector<uint32_t> at(most + 1, UINT32_MAX);
    bool unique = true;
    for (size_t k = 0; k < n && unique; ++k) {
      uint32_t& slot = at[static_cast<size_t>(events[k].order)];
      unique = slot == UINT32_MAX;
      slot = static_cast<uint32_t>(k);
    }
    if (unique) {
      out.reserve(n);
      for (uint32_t k : at)
        if (k != UINT32_MAX) out.push_back(k);
    }
  }
  if (out.size() != n) {
    out.resize(n);
    for (size_t k = 0; k < n; ++k) out[k] = static_cast<uint32_t>(k);
  }
}

// The group of (sub, code) in `ix` (h: their pair_hash), added when new; the table kept at most
// half full.
uint32_t group_for(EventIndex& ix, std::string_view sub, std::string_view code, uint64_t h) {
  size_t cap = ix.slots.size();
  for (size_t j = h & (cap - 1);; j = (j + 1) & (cap - 1)) {
    const uint32_t slot = ix.slots[j];
    if (slot != 0) {
      const EventIndex::Group& g = ix.groups[slot - 1];
      if (g.hash == h && same_text(g.code, code) && same_text(g.external_subscription_id, sub)) return slot - 1;
      continue;
    }
    ix.groups.push_back({sub, code, h, 0, 0});
    ix.slots[j] = static_cast<uint32_t>(ix.groups.size());
    break;
  }
  if (ix.groups.size() * 2 > cap) {
    cap *= 2;
    ix.slots.assign(cap, 0);
    for (size_t g = 0; g < ix.groups.size(); ++g)
      for (size_t j = ix.groups[g].hash & (cap - 1);; j = (j + 1) & (cap - 1))
        if (ix.slots[j] == 0) {
          ix.slots[j] = static_cast<uint32_t>(g + 1);
          break;
        }
  }
  return static_cast<uint32_t>(ix.groups.size() - 1);
}

// Each group's positions dealt out in event order, from group_of (the groups counted).
void deal_positions(const std::vector<Event>& events, EventIndex& ix) {
  uint32_t at = 0;
  for (EventIndex::Group& g : ix.groups) {
    g.begin = at;
    at += g.end;
    g.end = g.begin;  // the next free place while dealing
  }
  ix.positions.assign(events.size(), 0);
  for (size_t k = 0; k < events.size(); ++k) ix.positions[ix.groups[ix.group_of[k]].end++] = static_cast<uint32_t>(k);
  ix.built_for = events.data();
  ix.built_size = events.size();
  ix.built = true;
}

// The index of events that changed since they were read (usage aggregates added): one pass in
// input order (the strings hashed then read in the order of the text, not at random as the
// sorted events would read them). The table grows with the groups (few: subscriptions ×
// codes), not with the events.
void build_index(const std::vector<Event>& events, EventIndex& ix) {
  const size_t n = events.size();
  ix.slots.assign(64, 0);
  ix.groups.clear();
  ix.group_of.assign(n, 0);
  ix.values = EventIndex::Values();
  ix.timestamps.clear();  // read from the events themselves
  ix.plain = false;
  input_order(events, ix.in_input_order);
  const uint32_t* walk = ix.in_input_order.data();
  const auto event_ahead = [&](size_t j) { return &events[walk[j]]; };  // scattered in sorted order
  for (size_t i = 0; i < n; ++i) {
    fetch_ahead(i, n, event_ahead);
    const size_t k = walk[i];
    const uint32_t g = group_for(ix, events[k].external_subscription_id, events[k].code,
                                 pair_hash(events[k].external_subscription_id, events[k].code));
    ix.group_of[k] = g;
    ++ix.groups[g].end;
  }
  deal_positions(events, ix);
}

// The index and each event's value for its code's metric field, read in input order before
// the events are sorted (their strings and properties then read in the order of the text):
// start_index(), then index_event() for each event kept, as it is kept.
InputOrderIndex start_index(const Snapshot& s, size_t orders) {
  EventIndex& ix = s.event_index;
  ix = EventIndex();
  ix.slots.assign(64, 0);
  InputOrderIndex by_order;
  by_order.slots.resize(orders);
  for (const BillableMetric& m : s.billable_metrics) by_order.valued = by_order.valued || needs_value(m.aggregation);
  return by_order;
}

void index_event(const Snapshot& s, InputOrderIndex& by_order, const Event& e) {
  EventIndex& ix = s.event_index;
  const std::string_view sub = e.external_subscription_id, code = e.code;
  const uint64_t at = (reinterpret_cast<uintptr_t>(code.data()) ^ reinterpret_cast<uintptr_t>(sub.data())) *
                      0x9E3779B97F4A7C15ULL;
  InputOrderIndex::Recent& recent = by_order.recent[at >> 61];
  uint32_t g;
  if (recent.code != nullptr && recent.code == code.data() && recent.sub == sub.data() &&
      recent.code_size == code.size() && recent.sub_size == sub.size()) {
    g = recent.group;
  } else {
    g = group_for(ix, sub, code, pair_hash(sub, code));
    recent = {sub.data(), code.data(), static_cast<uint32_t>(sub.size()), static_cast<uint32_t>(code.size()), g};
  }
  if (g == ix.values.metric.size()) {  // a new group: the metric whose field it reads
    const BillableMetric* m = s.find_metric(e.code);
    ix.values.metric.push_back(m && needs_value(m->aggregation) ? m : nullptr);
  }
  by_order.precise = by_order.precise || e.precise_total_amount_cents() || e.aggregate();
  InputOrderIndex::Slot& slot = by_order.slots[static_cast<size_t>(e.order)];
  slot.group = g;
  ++ix.groups[g].end;
  slot.state = 0;
  if (const BillableMetric* m = ix.values.metric[g]) {
    Decimal v;
    slot.state = static_cast<uint8_t>(parse_event_value(e, m->field_name, v));
    std::memcpy(slot.value, &v, sizeof v);
  }
}

// The sorted events' groups and values gathered from what index_event() kept.
void gather_index(const Snapshot& s, InputOrderIndex& by_order) {
  const std::vector<Event>& evs = s.events;
  EventIndex& ix = s.event_index;
  const size_t n = evs.size();
  const bool valued = by_order.valued;
  ix.group_of.resize(n);
  ix.timestamps.resize(n);
  ix.plain = !by_order.precise;
  if (valued) {
    ix.values.value.resize(n);
    ix.values.state.resize(n);
  }
  const auto slot_ahead = [&](size_t j) { return &by_order.slots[static_cast<size_t>(evs[j].order)]; };
  for (size_t k = 0; k < n; ++k) {
    fetch_ahead(k, n, slot_ahead);
    const InputOrderIndex::Slot& slot = by_order.slots[static_cast<size_t>(evs[k].order)];
    ix.group_of[k] = slot.group;
    ix.timestamps[k] = evs[k].timestamp;
    if (valued) {
      std::memcpy(static_cast<void*>(&ix.values.value[k]), slot.value, sizeof(Decimal));
      ix.values.state[k] = slot.state;
    }
  }
  std::vector<InputOrderIndex::Slot>().swap(by_order.slots);  // freed before the positions are dealt (peak memory)
  deal_positions(evs, ix);
  ix.values.built = true;
}

}  // namespace

EventIndex& Snapshot::indexed_events() const {
  EventIndex& ix = event_index;
  if (!ix.built || ix.built_for != events.data() || ix.built_size != events.size()) build_index(events, ix);
  return ix;
}

EventRange Snapshot::events_of(std::string_view sub, std::string_view code) const {
  const EventIndex& ix = indexed_events();
  if (ix.groups.empty()) return {};
  const size_t cap = ix.slots.size();
  const uint64_t h = pair_hash(sub, code);
  for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
    const uint32_t slot = ix.slots[i];
    if (slot == 0) return {};
    const EventIndex::Group& g = ix.groups[slot - 1];
    if (g.hash == h && same_text(g.code, code) && same_text(g.external_subscription_id, sub))
      return {ix.positions.data() + g.begin, ix.positions.data() + g.end};
  }
}

}  // namespace tariff
