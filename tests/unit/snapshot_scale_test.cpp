// Snapshot reading at scale (issue 10 §4): a snapshot of a million events read the way run()
// reads it (read_snapshot_text + parse_snapshot) keeps every event whole — strings, escaped
// ones included, timestamp, properties of every kind, precise_total_amount_cents — drops the
// repeated (subscription, transaction) pairs and sorts by (timestamp, input order). The events
// are generated here and every expectation is derived from the generator, not from the reader.
// Correctness only: no timing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"
#include "tariff/json.hpp"

namespace {

constexpr size_t kEvents = 1000000;
constexpr int64_t kPeriodStart = 1709251200;  // 2024-03-01T00:00:00Z
constexpr int64_t kSpan = 30 * 86400;         // within March

// The generated event at input position i.
struct Gen {
  size_t i;
  bool repeat() const { return i > 0 && i % 97 == 0; }  // repeats event i - 1's pair
  size_t tx_of() const { return repeat() ? i - 1 : i; }
  std::string sub() const { return tx_of() % 3 ? "sub_a" : "sub_b"; }
  std::string tx() const { return "tx_" + std::to_string(tx_of()); }
  std::string code() const { return i % 2 ? "calls" : "bytes"; }
  int64_t seconds() const { return static_cast<int64_t>((i * 7919) % static_cast<size_t>(kSpan)); }  // scattered
  bool escaped() const { return i % 1000 == 3; }    // a string property with escapes, a nested object
  bool precise() const { return i % 500 == 7; }     // precise_total_amount_cents
};

std::string scale_iso(int64_t seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "2024-03-%02dT%02d:%02d:%02dZ", static_cast<int>(seconds / 86400 + 1),
                static_cast<int>(seconds / 3600 % 24), static_cast<int>(seconds / 60 % 60),
                static_cast<int>(seconds % 60));
  return buf;
}

std::string snapshot_text() {
  std::string out =
      R"({"now":"2024-04-30T00:00:00Z","billable_metrics":[{"code":"calls","name":"Calls","aggregation_type":"count_agg"},)"
      R"({"code":"bytes","name":"Bytes","aggregation_type":"sum_agg","field_name":"v"}],"events":[)";
  out.reserve(kEvents * 170);
  for (size_t i = 0; i < kEvents; ++i) {
    const Gen g{i};
    if (i) out += ',';
    out += R"({"transaction_id":")" + g.tx() + R"(","external_subscription_id":")" + g.sub() + R"(","code":")" +
           g.code() + R"(","timestamp":")" + scale_iso(g.seconds()) + R"(","properties":{"v":)" + std::to_string(i % 1000) +
           R"(,"region":")" + (i % 2 ? "eu" : "us") + '"';
    if (g.escaped()) out += R"(,"note":"a\"b\\c\u00e9","meta":{"k":[1,2]},"flag":true,"none":null)";
    out += '}';
    if (g.precise()) out += R"(,"precise_total_amount_cents":")" + std::to_string(i) + R"(.25")";
    out += '}';
  }
  out += "]}";
  return out;
}

int64_t micros(tariff::Instant t) { return t.time_since_epoch().count(); }

}  // namespace

TEST(SnapshotScale, AMillionEventsReadWhole) {
  const std::string text = snapshot_text();
  tariff::ScannedEvents scanned;
  nlohmann::json doc = tariff::read_snapshot_text(text, scanned);
  ASSERT_TRUE(doc.is_object());
  const tariff::Snapshot s = tariff::parse_snapshot(doc);

  size_t repeats = 0;
  for (size_t i = 0; i < kEvents; ++i) repeats += Gen{i}.repeat();
  ASSERT_EQ(s.events.size(), kEvents - repeats);

  std::vector<bool> seen(kEvents, false);
  size_t failures = 0;
  for (size_t k = 0; k < s.events.size() && failures < 5; ++k) {
    const tariff::Event& e = s.events[k];
    const Gen g{e.order};
    const auto fail = [&](const char* what) {
      ADD_FAILURE() << "event " << e.order << " at " << k << ": " << what;
      ++failures;
    };
    if (e.order >= kEvents || seen[e.order] || g.repeat()) { fail("order"); continue; }
    seen[e.order] = true;
    if (k > 0) {
      const tariff::Event& p = s.events[k - 1];
      if (micros(p.timestamp) > micros(e.timestamp) || (p.timestamp == e.timestamp && p.order > e.order))
        fail("not in (timestamp, order) order");
    }
    if (e.transaction_id != g.tx() || e.external_subscription_id != g.sub() || e.code != g.code()) fail("strings");
    if (micros(e.timestamp) != (kPeriodStart + g.seconds()) * 1000000) fail("timestamp");
    const tariff::Property* v = e.properties.find("v");
    if (!v || v->kind() != tariff::PropertyKind::integer || v->text() != std::to_string(e.order % 1000)) fail("v");
    const tariff::Property* region = e.properties.find("region");
    if (!region || region->text() != (e.order % 2 ? "eu" : "us")) fail("region");
    if (g.escaped()) {
      const tariff::Property* note = e.properties.find("note");
      if (!note || note->kind() != tariff::PropertyKind::string || note->text() != "a\"b\\c\xC3\xA9") fail("note");
      const tariff::Property* meta = e.properties.find("meta");
      if (!meta || meta->kind() != tariff::PropertyKind::object || meta->text() != R"({"k":[1,2]})") fail("meta");
      const tariff::Property* flag = e.properties.find("flag");
      if (!flag || flag->kind() != tariff::PropertyKind::boolean || flag->text() != "true") fail("flag");
      const tariff::Property* none = e.properties.find("none");
      if (!none || none->kind() != tariff::PropertyKind::null) fail("none");
      if (e.properties.size() != 6) fail("property count");
    } else if (e.properties.size() != 2) {
      fail("property count");
    }
    const tariff::Decimal* precise = e.precise_total_amount_cents();
    if (g.precise() != (precise != nullptr) ||
        (precise && *precise != *tariff::Decimal::parse(std::to_string(e.order) + ".25")))
      fail("precise_total_amount_cents");
    if (e.aggregate() || e.expression_result().field) fail("extra");
  }
  EXPECT_EQ(failures, 0u);
}

// The reader's shortcut for "YYYY-MM-DDTHH:MM:SSZ" gives what the general reading gives:
// the same instant (worked out here by hand), or the same refusal.
TEST(SnapshotScale, TimestampsReadFromTheTextAsFromATree) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"2024-02-29T23:59:59Z", 1709251199},  // 2024-03-01T00:00:00Z − 1 s
      {"1970-01-01T00:00:00Z", 0},
      {"2024-03-01T00:00:00Z", 1709251200},
      {"2024-03-02T01:02:03Z", 1709251200 + 86400 + 3723},
      {"2024-03-02T01:02:03.5Z", -3},  // + 0.5 s
      {"2024-03-02T01:02:03.123456789Z", -4},  // + 0.123456 s (past µs: dropped)
      {"2024-03-02T01:02:03.Z", -1},
      {"2024-03-02T01:02:03.5", -2},  // other forms: whatever the general reader says
      {"2024-03-02T01:02:03+01:00", -2},
      {"2024-03-02t01:02:03z", -2},
      {"2023-02-29T00:00:00Z", -1},  // refused
      {"1969-12-31T23:59:59Z", -1},
      {"2024-03-01T24:00:00Z", -1},
      {"2024-03-01T00:60:00Z", -1},
      {"2024-03-01T00:00:60Z", -1},
      {"2024-13-01T00:00:00Z", -1},
      {"2024-00-10T00:00:00Z", -1},
      {"2024-04-31T00:00:00Z", -1},
      {"2024-03-0xT00:00:00Z", -1},
      {"2024/03/01T00:00:00Z", -1},
  };
  for (const auto& [ts, want] : cases) {
    const std::string text = R"({"now":"2024-04-30T00:00:00Z","billable_metrics":[{"code":"calls","name":"Calls",)"
                             R"("aggregation_type":"count_agg"}],"events":[{"transaction_id":"t","code":"calls",)"
                             R"("external_subscription_id":"s","timestamp":")" + ts + R"("}]})";
    std::optional<int64_t> fast, slow;
    try {
      tariff::ScannedEvents scanned;
      nlohmann::json doc = tariff::read_snapshot_text(text, scanned);
      const tariff::Snapshot s = tariff::parse_snapshot(doc);
      fast = s.events.at(0).timestamp.time_since_epoch().count();
    } catch (const std::exception&) {
    }
    try {
      nlohmann::json tree = tariff::parse_json_exact(text);
      const tariff::Snapshot s = tariff::parse_snapshot(tree);
      slow = s.events.at(0).timestamp.time_since_epoch().count();
    } catch (const std::exception&) {
    }
    EXPECT_EQ(fast, slow) << ts;
    if (want >= 0) EXPECT_EQ(fast, std::optional<int64_t>(want * 1000000)) << ts;
    if (want == -1) EXPECT_FALSE(fast.has_value()) << ts;
    if (want == -2) EXPECT_TRUE(fast.has_value()) << ts;
    const int64_t base = (1709251200 + 86400 + 3723) * int64_t{1000000};
    if (want == -3) EXPECT_EQ(fast, std::optional<int64_t>(base + 500000)) << ts;
    if (want == -4) EXPECT_EQ(fast, std::optional<int64_t>(base + 123456)) << ts;
  }
}
