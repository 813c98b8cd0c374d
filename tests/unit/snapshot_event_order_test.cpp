// Snapshot events (CONTRACT §1): the first event of each (external_subscription_id,
// transaction_id) pair kept, then a stable sort by timestamp (ties in input order). Enough
// events, timestamps colliding and spread unevenly, in whole seconds, milliseconds or
// microseconds, for each way the reader sorts: radix sort on one word (times that fit 32 bits
// in their unit) or on two, and, past 65,536 events kept, buckets each sorted on its own; the
// expected order is computed here by std::stable_sort over the generated events,
// independently of the reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"
#include "tariff/json.hpp"

namespace {

struct Given {
  std::string sub, tx;
  int64_t seconds = 0;  // after 2024-03-01T00:00:00Z
  int64_t micros = 0;   // and this fraction of a second
};

bool earlier(const Given& a, const Given& b) {
  return a.seconds != b.seconds ? a.seconds < b.seconds : a.micros < b.micros;
}

enum class Unit { seconds, millis, micros };

std::string iso(int64_t seconds, int64_t micros) {
  const int64_t day = seconds / 86400, rest = seconds % 86400;
  char buf[48];
  std::snprintf(buf, sizeof buf, "2024-%02d-%02dT%02d:%02d:%02d", day < 31 ? 3 : 4,
                static_cast<int>(day < 31 ? day + 1 : day - 30), static_cast<int>(rest / 3600),
                static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
  std::string out = buf;
  if (micros) {
    std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(micros));
    out += buf;
  }
  return out + "Z";
}

// `n` events: timestamps drawn from few values (many ties), with a few far ones when `far`,
// every fifth event repeating an earlier one's pair.
std::vector<Given> generate(size_t n, uint64_t seed, bool far = true, Unit unit = Unit::seconds) {
  std::vector<Given> out;
  uint64_t x = seed;
  const auto next = [&] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  for (size_t i = 0; i < n; ++i) {
    Given g;
    g.sub = next() % 3 ? "sub_a" : "sub_b";
    g.tx = "tx_" + std::to_string(i);
    if (i > 10 && i % 5 == 0) {
      const Given& earlier = out[next() % out.size()];
      g.sub = earlier.sub, g.tx = earlier.tx;
    }
    const uint64_t r = next() % 100;
    g.seconds = far && r == 0 ? 59 * 86400 + static_cast<int64_t>(next() % 3600)  // far out
                       : static_cast<int64_t>(next() % 2000) * 7;           // ties
    if (unit != Unit::seconds && next() % 2) {  // half of them a fraction later (ties remain)
      g.micros = static_cast<int64_t>(next() % 4) * 250000;
      if (unit == Unit::micros) g.micros += static_cast<int64_t>(next() % 3) * 333;
    }
    out.push_back(g);
  }
  return out;
}

std::string snapshot_text(const std::vector<Given>& events) {
  nlohmann::json doc = {{"now", "2024-04-30T00:00:00Z"},
                        {"billable_metrics", {{{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "count_agg"}}}},
                        {"events", nlohmann::json::array()}};
  for (const Given& g : events)
    doc["events"].push_back({{"transaction_id", g.tx},
                             {"external_subscription_id", g.sub},
                             {"code", "calls"},
                             {"timestamp", iso(g.seconds, g.micros)},
                             {"properties", {{"n", 1}}}});
  return doc.dump();
}

// Input positions in the order the snapshot must hold them.
std::vector<size_t> expected_order(const std::vector<Given>& events) {
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<size_t> kept;
  for (size_t i = 0; i < events.size(); ++i)
    if (seen.insert({events[i].sub, events[i].tx}).second) kept.push_back(i);
  std::stable_sort(kept.begin(), kept.end(), [&](size_t a, size_t b) { return earlier(events[a], events[b]); });
  return kept;
}

std::vector<size_t> orders(const tariff::Snapshot& s) {
  std::vector<size_t> out;
  for (const tariff::Event& e : s.events) out.push_back(e.order);
  return out;
}

}  // namespace

TEST(SnapshotEventOrder, FirstOfEachPairThenStableByTimestamp) {
  struct Case {
    size_t n;
    bool far;
    Unit unit;
  };
  // µs over 60 days: 43 bits (two words); ms with far ones: 33 bits; ms without: 24 bits.
  for (const Case c : {Case{5, true, Unit::seconds}, Case{3000, true, Unit::seconds}, Case{3000, true, Unit::micros},
                       Case{40000, true, Unit::seconds}, Case{41000, false, Unit::seconds},
                       Case{41000, true, Unit::millis}, Case{41000, false, Unit::millis},
                       Case{41000, true, Unit::micros}, Case{90000, true, Unit::micros},
                       Case{90000, false, Unit::seconds}}) {
    const size_t n = c.n;
    const std::vector<Given> given = generate(n, 7 + n + static_cast<size_t>(c.unit), c.far, c.unit);
    const std::string text = snapshot_text(given);
    const std::vector<size_t> want = expected_order(given);
    if (n > 100) ASSERT_LT(want.size(), n);  // some pairs repeat
    if (n == 90000) ASSERT_GT(want.size(), size_t{65536});  // sorted in buckets
    // Read the way run() reads (events typed straight from the text)...
    tariff::ScannedEvents scanned;
    nlohmann::json doc = tariff::read_snapshot_text(text, scanned);
    ASSERT_TRUE(doc.is_object());
    const tariff::Snapshot fast = tariff::parse_snapshot(doc);
    EXPECT_EQ(orders(fast), want) << n << " events, unit " << static_cast<int>(c.unit) << ", read from the text";
    // ... and from a JSON tree.
    nlohmann::json tree = tariff::parse_json_exact(text);
    const tariff::Snapshot slow = tariff::parse_snapshot(tree);
    EXPECT_EQ(orders(slow), want) << n << " events, unit " << static_cast<int>(c.unit) << ", read from a tree";
  }
}

TEST(SnapshotEventOrder, SortedInputKeepsItsOrder) {
  std::vector<Given> given = generate(6000, 3);
  std::stable_sort(given.begin(), given.end(), earlier);
  const std::string text = snapshot_text(given);
  tariff::ScannedEvents scanned;
  nlohmann::json doc = tariff::read_snapshot_text(text, scanned);
  const tariff::Snapshot s = tariff::parse_snapshot(doc);
  EXPECT_EQ(orders(s), expected_order(given));
}
