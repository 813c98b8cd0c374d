// Snapshot::events_of(): the positions of one (external_subscription_id, code)'s events, in
// the order of Snapshot::events. Checked against a plain scan comparing both strings, over
// pairs chosen to look alike (equal lengths, a byte apart at either end or past the eighth
// byte, one a prefix of another, the same bytes split differently between the two strings)
// and enough of them for the index's table to grow several times. Then the same through the
// snapshot reader, which hashes each event's (subscription, transaction) pair while reading and
// gives repeated codes and subscription ids one view: more of them than it keeps at hand,
// interleaved, some written with escapes (then copied, not viewed), some pairs repeated.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"

namespace {

std::vector<uint32_t> scan(const tariff::Snapshot& s, std::string_view sub, std::string_view code) {
  std::vector<uint32_t> out;
  for (size_t k = 0; k < s.events.size(); ++k)
    if (s.events[k].external_subscription_id == sub && s.events[k].code == code) out.push_back(static_cast<uint32_t>(k));
  return out;
}

std::vector<uint32_t> indexed(const tariff::Snapshot& s, std::string_view sub, std::string_view code) {
  const tariff::EventRange r = s.events_of(sub, code);
  return std::vector<uint32_t>(r.begin(), r.end());
}

}  // namespace

TEST(SnapshotEventIndex, SameEventsInTheSameOrderAsAScan) {
  std::deque<std::string> text;  // the views' storage (a deque: never moves its strings)
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  const auto keep = [&](std::string v) -> std::string_view { return text.emplace_back(std::move(v)); };
  const std::vector<std::pair<std::string, std::string>> alike = {
      {"sub", "calls"},          {"sub", "callt"},          {"sub", "calls2"},        {"sub", "call"},
      {"sub", ""},               {"", "calls"},             {"subc", "alls"},         {"su", "bcalls"},
      {"sub", "api_requests_1"}, {"sub", "api_requests_2"}, {"sub", "bpi_requests_1"}, {"sub_bench_0001", "calls"},
      {"sub_bench_0002", "calls"}, {"sub_bench_0001", "calls_"}, {"sub_bench_00010", "calls"}};
  for (const auto& p : alike) pairs.emplace_back(keep(p.first), keep(p.second));
  for (int i = 0; i < 120; ++i) pairs.emplace_back(keep("sub_" + std::to_string(i % 40)), keep("metric_" + std::to_string(i / 40)));

  tariff::Snapshot s;
  uint64_t x = 12345;
  for (size_t k = 0; k < 20000; ++k) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const auto& p = pairs[(x >> 33) % pairs.size()];
    tariff::Event e;
    // Each event's strings copied apart, so that equal pairs never share their bytes' address.
    e.external_subscription_id = keep(std::string(p.first));
    e.code = keep(std::string(p.second));
    e.order = k;
    s.events.push_back(e);
  }
  size_t seen = 0;
  for (const auto& p : pairs) {
    const std::vector<uint32_t> want = scan(s, p.first, p.second);
    ASSERT_FALSE(want.empty()) << p.first << " / " << p.second;
    EXPECT_EQ(indexed(s, p.first, p.second), want) << p.first << " / " << p.second;
    seen += want.size();
  }
  EXPECT_EQ(seen, s.events.size());
  // Pairs no event has.
  EXPECT_TRUE(indexed(s, "sub", "cal").empty());
  EXPECT_TRUE(indexed(s, "sub_40", "metric_0").empty());
  EXPECT_TRUE(indexed(s, "sub_bench_0001", "calls__").empty());
  EXPECT_TRUE(indexed(s, "bus", "calls").empty());

  // Other events (a new vector): the index follows them.
  s.events.resize(3);
  s.events.shrink_to_fit();
  for (const auto& p : pairs) EXPECT_EQ(indexed(s, p.first, p.second), scan(s, p.first, p.second));
  s.events.clear();
  EXPECT_TRUE(indexed(s, "sub", "calls").empty());
}

TEST(SnapshotEventIndex, ReadFromTextSameAsAScan) {
  // 3 × 13 subscriptions and codes that look alike; "calls" also written with an escape.
  const std::vector<std::string> subs = {"sub", "sub_bench_0001", "sub_bench_0002"};
  std::vector<std::string> codes = {"calls", "callt", "calls2", "call", "api_requests_1", "api_requests_2",
                                    "bpi_requests_1", "m0", "m1", "m2", "m3", "m4", "m5"};
  std::string text = R"({"now":"2024-04-30T00:00:00Z","billable_metrics":[)";
  for (size_t c = 0; c < codes.size(); ++c)
    text += (c ? "," : "") + std::string(R"({"code":")") + codes[c] + R"(","name":"M","aggregation_type":"count_agg"})";
  text += R"(],"events":[)";
  uint64_t x = 7;
  size_t repeats = 0;
  std::vector<std::pair<std::string, std::string>> given;  // each kept event's (sub, code), input order
  std::vector<std::string> txs;
  for (size_t k = 0; k < 5000; ++k) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::string& sub = subs[(x >> 40) % subs.size()];
    const size_t c = (x >> 33) % codes.size();
    // Every 50th event repeats the transaction of the event before it, same subscription: dropped.
    const bool repeat = k % 50 == 49 && given.back().first == sub;
    const std::string tx = repeat ? txs.back() : "tx_" + std::to_string(k);
    repeats += repeat;
    const std::string code = c == 0 && k % 3 == 0 ? "\\u0063alls" : codes[c];
    // Every 7th timestamp a number of seconds: that event is read the general way (from JSON),
    // its pair hashed apart from the reader's (a repeat across both ways is still one pair).
    const std::string at = k % 7 == 0 ? std::to_string(1710028800 + 86400 * (k % 9))
                                      : "\"2024-03-" + std::to_string(10 + k % 9) + "T00:00:00Z\"";
    text += (k ? "," : "") + std::string(R"({"transaction_id":")") + tx + R"(","external_subscription_id":")" + sub +
            R"(","code":")" + code + R"(","timestamp":)" + at + "}";
    if (!repeat) given.emplace_back(sub, codes[c]), txs.push_back(tx);
  }
  text += "]}";
  ASSERT_GT(repeats, 10u);
  tariff::ScannedEvents scanned;
  nlohmann::json doc = tariff::read_snapshot_text(text, scanned);
  ASSERT_FALSE(doc.is_discarded());
  const tariff::Snapshot s = tariff::parse_snapshot(doc);
  ASSERT_EQ(s.events.size(), given.size());
  size_t seen = 0;
  for (const std::string& sub : subs)
    for (const std::string& code : codes) {
      size_t want = 0;
      for (const auto& g : given) want += g.first == sub && g.second == code;
      const std::vector<uint32_t> scanned_positions = scan(s, sub, code);
      EXPECT_EQ(scanned_positions.size(), want) << sub << " / " << code;
      EXPECT_EQ(indexed(s, sub, code), scanned_positions) << sub << " / " << code;
      seen += want;
    }
  EXPECT_EQ(seen, s.events.size());
}
