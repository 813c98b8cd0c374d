// Events (CONTRACT §1): typed, de-duplicated by (external_subscription_id, transaction_id),
// the metric's expression applied (§2.7), sorted by timestamp with ties in input order.
#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "snapshot/reader.hpp"
#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"

namespace tariff {
namespace {

constexpr size_t kMaxEvents = 2000000;

// Stable by timestamp (ties keep input order): sort positions, then permute in place.
void sort_events(std::vector<Event>& evs) {
  const auto by_time = [](const Event& a, const Event& b) { return a.timestamp < b.timestamp; };
  if (std::is_sorted(evs.begin(), evs.end(), by_time)) return;
  std::vector<size_t> pos(evs.size());
  std::iota(pos.begin(), pos.end(), size_t{0});
  std::sort(pos.begin(), pos.end(), [&](size_t a, size_t b) {
    return evs[a].timestamp < evs[b].timestamp || (evs[a].timestamp == evs[b].timestamp && a < b);
  });
  // Apply the permutation in place, cycle by cycle: evs[j] takes the old evs[pos[j]].
  for (size_t k = 0; k < pos.size(); ++k) {
    if (pos[k] == k) continue;
    Event held = std::move(evs[k]);
    size_t j = k;
    while (true) {
      const size_t src = pos[j];
      pos[j] = j;  // done
      if (src == k) {
        evs[j] = std::move(held);
        break;
      }
      evs[j] = std::move(evs[src]);
      j = src;
    }
  }
}

// §2.7: the metric's expression overwrites properties[field_name]; failure drops the event.
bool apply_expression(Snapshot& s, const std::vector<const BillableMetric*>& computed, Event& ev) {
  const BillableMetric* m = nullptr;
  for (const BillableMetric* c : computed)
    if (c->code == ev.code) { m = c; break; }
  if (!m) return true;
  try {
    const json props = ev.properties.to_json();
    expr::EventFields f{ev.code, Decimal(static_cast<int64_t>(
                                     std::chrono::duration_cast<std::chrono::seconds>(ev.timestamp.time_since_epoch()).count())),
                        &props};
    ev.properties = with_property(ev.properties, m->field_name, m->expression->evaluate_to_text(f), *s.arena);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// (external_subscription_id, transaction_id) of the events kept so far: open addressing over
// their positions, the strings compared in place (no copy, 8 bytes a slot).
class SeenPairs {
 public:
  explicit SeenPairs(const std::vector<Event>& evs) : evs_(evs) {}
  // True when events[k]'s pair is new (then remembered).
  bool insert(size_t k) {
    const Event& e = evs_[k];
    if (2 * (n_ + 1) > slots_.size()) grow();
    const uint64_t h = hash(e);
    const uint64_t tag = h >> 32;
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const uint64_t v = slots_[i];
      if (v == 0) {
        slots_[i] = (tag << 32) | (k + 1);
        ++n_;
        return true;
      }
      if ((v >> 32) == tag) {
        const auto o = pair_of(v);
        if (o.second == e.transaction_id && o.first == e.external_subscription_id) return false;
      }
    }
  }
  // events[k], remembered, is about to be dropped: its pair stays remembered on the side.
  void keep_aside(size_t k) {
    const Event& e = evs_[k];
    for (uint64_t& v : slots_)
      if (v && (v & 0xFFFFFFFFu) == k + 1) {
        side_.emplace_back(e.external_subscription_id, e.transaction_id);
        v = (v & ~uint64_t{0xFFFFFFFFu}) | kSide | (side_.size() - 1);
        return;
      }
  }

 private:
  static constexpr uint64_t kSide = 0x80000000u;
  const std::vector<Event>& evs_;
  std::vector<uint64_t> slots_;
  std::vector<std::pair<std::string_view, std::string_view>> side_;
  size_t n_ = 0;

  std::pair<std::string_view, std::string_view> pair_of(uint64_t v) const {
    if (v & kSide) return side_[v & 0x7FFFFFFFu];
    const Event& o = evs_[(v & 0xFFFFFFFFu) - 1];
    return {o.external_subscription_id, o.transaction_id};
  }
  static uint64_t hash(const Event& e) { return hash(e.external_subscription_id, e.transaction_id); }
  static uint64_t hash(std::string_view sub, std::string_view tx) {
    const size_t a = std::hash<std::string_view>()(sub);
    const size_t b = std::hash<std::string_view>()(tx);
    uint64_t x = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
  }
  void grow() {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    for (uint64_t v : old) {
      if (!v) continue;
      const auto pr = pair_of(v);
      const uint64_t h = hash(pr.first, pr.second);
      size_t i = h & (slots_.size() - 1);
      while (slots_[i]) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = v;
    }
  }
};

// One event given as JSON, typed into `ev` (strings copied into the arena); false when it is
// refused (the error recorded) or dropped.
bool read_json_event(json& e, size_t i, Snapshot& s, Reader& r, Event& ev) {
  const std::string p = Reader::at("events", i);
  if (!e.is_object()) { r.add(p, "value_is_invalid"); return false; }
  Arena& arena = *s.arena;
  ev = Event();
  ev.order = i;
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
      ev.precise_total_amount_cents = kept;
    }
  }
  return true;
}

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
  SeenPairs seen(evs);
  size_t kept = 0, next_general = 0;
  for (size_t i = 0; i < given; ++i) {
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
    if (remembered && !seen.insert(kept)) continue;
    if (!computed.empty() && !apply_expression(s, computed, ev)) {
      if (remembered) seen.keep_aside(kept);
      continue;
    }
    ++kept;
  }
  evs.resize(kept);
  if (general) general->clear();
  sort_events(evs);
}

}  // namespace tariff
