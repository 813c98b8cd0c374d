// Events (CONTRACT §1): typed, de-duplicated by (external_subscription_id, transaction_id),
// the metric's expression applied (§2.7), sorted by timestamp with ties in input order.
#include <algorithm>
#include <numeric>
#include <string_view>
#include <unordered_set>

#include "metering/expression_apply.hpp"
#include "snapshot/reader.hpp"
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
bool apply_expression(const Snapshot& s, Event& ev) {
  const BillableMetric* m = s.find_metric(ev.code);
  if (!m || !m->expression || m->field_name.empty()) return true;
  return tariff::apply_expression(*m, ev);
}

}  // namespace

void parse_snapshot_events(json& d, Snapshot& s, Reader& r) {
  const json* arr = r.array(d, "events", "");
  if (!arr || arr->empty()) return;
  if (arr->size() > kMaxEvents) { r.add("events", "too_many_items"); return; }
  json& items = d.at("events");  // non-empty, so the document's own array
  s.events.reserve(items.size());
  // (external_subscription_id, transaction_id) seen so far, as views of the document's
  // strings (which stay in place while events are read).
  struct PairHash {
    size_t operator()(const std::pair<std::string_view, std::string_view>& k) const {
      const size_t a = std::hash<std::string_view>()(k.first), b = std::hash<std::string_view>()(k.second);
      return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
    }
  };
  std::unordered_set<std::pair<std::string_view, std::string_view>, PairHash> seen;
  seen.reserve(items.size());
  const auto doc_text = [](const json& o, const char* key) {
    const json* v = Reader::field(o, key);
    return v && v->is_string() ? std::string_view(*v->get_ptr<const std::string*>()) : std::string_view();
  };
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string p = Reader::at("events", i);
    json& e = items[i];
    if (!e.is_object()) { r.add(p, "value_is_invalid"); continue; }
    Event ev;
    ev.order = i;
    ev.transaction_id = r.string(e, "transaction_id", p).value_or("");
    ev.external_subscription_id = r.string(e, "external_subscription_id", p).value_or("");
    ev.code = r.string(e, "code", p, true).value_or("");
    auto ts = r.instant(e, "timestamp", p, false, "invalid_timestamp");
    if (!Reader::has(e, "timestamp")) ts = s.now;  // Lago stamps a missing timestamp at reception
    if (!ts) continue;
    ev.timestamp = *ts;
    if (const json* props = Reader::field(e, "properties")) {
      if (!props->is_object()) { r.add(Reader::at(p, "properties"), "value_is_invalid"); continue; }
      // Read once; the document is not used again.
      ev.properties = std::move(e.get_ptr<json::object_t*>()->find("properties")->second);
    } else {
      ev.properties = json::object();
    }
    if (Reader::has(e, "precise_total_amount_cents")) {
      ev.precise_total_amount_cents = r.decimal(e, "precise_total_amount_cents", p);
    }
    // A repeated transaction id for the same subscription was refused at ingestion.
    if (!ev.transaction_id.empty() &&
        !seen.emplace(doc_text(e, "external_subscription_id"), doc_text(e, "transaction_id")).second)
      continue;
    if (!apply_expression(s, ev)) continue;
    s.events.push_back(std::move(ev));
  }
  sort_events(s.events);
}

}  // namespace tariff
