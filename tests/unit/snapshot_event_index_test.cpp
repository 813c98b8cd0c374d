// Snapshot::events_of(): the positions of one (external_subscription_id, code)'s events, in
// the order of Snapshot::events. Checked against a plain scan comparing both strings, over
// pairs chosen to look alike (equal lengths, a byte apart at either end or past the eighth
// byte, one a prefix of another, the same bytes split differently between the two strings)
// and enough of them for the index's table to grow several times.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
