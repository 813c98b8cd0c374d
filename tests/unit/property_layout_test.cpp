// An event property in 16 bytes (core/event_store.hpp): its key is found back from its value,
// which it precedes by a few bytes in the text they were read from; otherwise both are copied
// side by side into the arena, and a key of 65,535 bytes or more is kept in a record before
// its value. Each way is checked here on views built by hand, then through the snapshot reader
// on events whose keys and values take each way; the expected keys and values are the ones
// written into the text.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/event_store.hpp"
#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"

namespace {

using tariff::Arena;
using tariff::Property;
using tariff::PropertyKind;

TEST(PropertyLayout, KeyFoundBackFromItsValueInTheText) {
  const std::string text = R"({"region":"eu"})";
  Arena arena;
  Property p;
  p.set(std::string_view(text).substr(2, 6), PropertyKind::string, std::string_view(text).substr(11, 2), arena);
  EXPECT_EQ(p.key(), "region");
  EXPECT_EQ(p.text(), "eu");
  EXPECT_EQ(p.text().data(), text.data() + 11);  // not copied
  EXPECT_EQ(arena.used(), 0u);
  EXPECT_EQ(p.kind(), PropertyKind::string);
  Property null_value;
  null_value.set(std::string_view(text).substr(2, 6), PropertyKind::null, std::string_view(), arena);
  EXPECT_EQ(null_value.key(), "region");
  EXPECT_TRUE(null_value.text().empty());
  EXPECT_EQ(null_value.kind(), PropertyKind::null);
  EXPECT_EQ(arena.used(), 0u);
}

TEST(PropertyLayout, ValueBeforeOrFarFromItsKeyCopiedBesideIt) {
  const std::string text = "true" + std::string(70000, ' ') + "flag" + std::string(70000, ' ') + "far";
  const std::string_view all(text);
  Arena arena;
  Property before;  // the value precedes the key
  before.set(all.substr(70004, 4), PropertyKind::boolean, all.substr(0, 4), arena);
  Property far;  // 70,000 bytes after it
  far.set(all.substr(70004, 4), PropertyKind::string, all.substr(140008, 3), arena);
  const std::string long_key(65534, 'k');  // the longest key kept beside its value
  Property longest;
  longest.set(long_key, PropertyKind::integer, "12", arena);
  EXPECT_EQ(before.key(), "flag");
  EXPECT_EQ(before.text(), "true");
  EXPECT_EQ(before.kind(), PropertyKind::boolean);
  EXPECT_EQ(far.key(), "flag");
  EXPECT_EQ(far.text(), "far");
  EXPECT_EQ(longest.key(), long_key);
  EXPECT_EQ(longest.text(), "12");
  EXPECT_EQ(longest.kind(), PropertyKind::integer);
  EXPECT_GE(arena.used(), 4u + 4 + 4 + 3 + 65534 + 2);  // each pair copied
}

TEST(PropertyLayout, WideKeyKeptBeforeItsValue) {
  const std::string key(70000, 'w');
  Arena arena;
  Property p;
  p.set(key, PropertyKind::string, "v", arena);
  Property empty;
  empty.set(key, PropertyKind::null, std::string_view(), arena);
  EXPECT_EQ(p.key(), key);
  EXPECT_EQ(p.text(), "v");
  EXPECT_EQ(empty.key(), key);
  EXPECT_TRUE(empty.text().empty());
  EXPECT_EQ(empty.kind(), PropertyKind::null);
}

TEST(PropertyLayout, ReadFromSnapshotEventsEachWay) {
  const std::string wide(70000, 'z');
  const std::string spaced = std::string(70000, ' ');
  // Keys and values: plain; escaped key (unescaped into the arena, value in the text);
  // booleans, null and -0 (kept as 0) from the text; a value 70,000 blanks after its key; a
  // 70,000-byte key.
  const std::string event = R"({"transaction_id":"t1","external_subscription_id":"s","code":"calls",)"
                            R"("timestamp":"2024-03-02T00:00:00Z","properties":{"region":"eu","k\u00e9y":"v\"q",)"
                            R"("yes":true,"no":false,"nil":null,"zero":-0,"far":)" + spaced + R"("x",")" + wide +
                            R"(":12.5}})";
  const std::string text = R"({"now":"2024-03-20T00:00:00Z","billable_metrics":[{"code":"calls","name":"Calls",)"
                           R"("aggregation_type":"count_agg"}],"events":[)" + event + "]}";
  tariff::ScannedEvents scanned;
  nlohmann::json doc = tariff::read_snapshot_text(text, scanned);
  ASSERT_TRUE(doc.is_object());
  const tariff::Snapshot s = tariff::parse_snapshot(doc);
  ASSERT_EQ(s.events.size(), 1u);
  const tariff::PropertyList& props = s.events[0].properties;
  ASSERT_EQ(props.size(), 8u);
  const auto text_of = [&](std::string_view k) -> std::string {
    const Property* p = props.find(k);
    return p ? std::string(p->text()) : "<absent>";
  };
  EXPECT_EQ(text_of("region"), "eu");
  EXPECT_EQ(text_of("k\xC3\xA9y"), "v\"q");
  EXPECT_EQ(text_of("yes"), "true");
  EXPECT_EQ(text_of("no"), "false");
  EXPECT_EQ(text_of("nil"), "");
  EXPECT_EQ(props.find("nil")->kind(), PropertyKind::null);
  EXPECT_EQ(text_of("zero"), "0");
  EXPECT_EQ(props.find("zero")->kind(), PropertyKind::integer);
  EXPECT_EQ(text_of("far"), "x");
  EXPECT_EQ(text_of(wide), "12.5");
  EXPECT_EQ(props.find(wide)->kind(), PropertyKind::string);  // a decimal number's text
  // The same properties through the exact JSON conversion.
  const nlohmann::json back = props.to_json();
  EXPECT_EQ(back.at("yes"), true);
  EXPECT_EQ(back.at("zero"), 0);
  EXPECT_EQ(back.at(wide), "12.5");
}

}  // namespace
