// Each event's value parsed once while the snapshot is read (snapshot/events.cpp, issue 10 §4):
// the value of its code's metric field, read in input order and gathered into sorted
// positions. Checked against values written by hand for each transaction, events given out of
// timestamp order, and through current_usage: sums worked out by hand, and a value beyond
// exact billing refused with its event's input position as before.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "metering/aggregation.hpp"
#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"
#include "tariff/engine.hpp"

namespace {

std::string snapshot_text(const std::string& events) {
  return R"({"now":"2024-03-20T12:00:00Z",
    "organization":{"timezone":"UTC","default_currency":"EUR"},
    "billable_metrics":[
      {"code":"gb","name":"Storage","aggregation_type":"sum_agg","field_name":"v"},
      {"code":"peak","name":"Peak","aggregation_type":"max_agg","field_name":"v"},
      {"code":"calls","name":"Calls","aggregation_type":"count_agg"},
      {"code":"double","name":"Doubled","aggregation_type":"sum_agg","field_name":"d","expression":"event.properties.v * 2"}],
    "plans":[{"code":"p","name":"P","interval":"monthly","amount_cents":0,"amount_currency":"EUR","pay_in_advance":false,
      "charges":[
        {"billable_metric_code":"gb","charge_model":"standard","properties":{"amount":"1"}},
        {"billable_metric_code":"peak","charge_model":"standard","properties":{"amount":"1"}},
        {"billable_metric_code":"calls","charge_model":"standard","properties":{"amount":"1"}},
        {"billable_metric_code":"double","charge_model":"standard","properties":{"amount":"1"}}]}],
    "customer":{"external_id":"c","name":"C","currency":"EUR"},
    "subscriptions":[{"external_id":"s","external_customer_id":"c","plan_code":"p","status":"active",
      "billing_time":"calendar","subscription_at":"2024-01-01T00:00:00Z","started_at":"2024-01-01T00:00:00Z"}],
    "events":[)" + events + R"(],
    "request":{"external_subscription_id":"s"}})";
}

std::string event(const std::string& tx, const std::string& code, const std::string& ts, const std::string& props) {
  return R"({"transaction_id":")" + tx + R"(","external_subscription_id":"s","code":")" + code +
         R"(","timestamp":"2024-03-)" + ts + R"(Z","properties":)" + props + "}";
}

const std::string kEvents =
    event("a", "gb", "10T00:00:00", R"({"v":"12.5"})") + "," +           // 12.5
    event("b", "gb", "02T00:00:00", R"({"v":7})") + "," +                // integer 7
    event("c", "gb", "05T00:00:00", R"({"v":"abc"})") + "," +            // not numeric
    event("d", "gb", "04T00:00:00", R"({"w":"3"})") + "," +              // field absent
    event("e", "peak", "03T00:00:00", R"({"v":"-3"})") + "," +           // -3
    event("f", "peak", "01T00:00:00", R"({"v":"4.25"})") + "," +         // 4.25
    event("g", "calls", "06T00:00:00", R"({"v":"9"})") + "," +           // count: none parsed
    event("h", "double", "07T00:00:00", R"({"v":"1.5"})") + "," +        // expression: 3.0
    event("i", "gb", "08T00:00:00", R"({"v":"1.000000000000000001"})");  // 18 decimals kept

}  // namespace

TEST(EventValues, EachEventsValueParsedOnceForItsMetricField) {
  const std::string text = snapshot_text(kEvents);
  tariff::ScannedEvents scanned;
  nlohmann::json doc = tariff::read_snapshot_text(text, scanned);
  const tariff::Snapshot s = tariff::parse_snapshot(doc, tariff::RequestKind::usage);
  const tariff::EventIndex& ix = tariff::event_values(s);
  ASSERT_TRUE(ix.values.built);
  // transaction → (state, value): 1 numeric, 0 not numeric / absent / no value read.
  const std::map<std::string, std::pair<int, std::string>> want = {
      {"a", {1, "12.5"}}, {"b", {1, "7.0"}}, {"c", {0, ""}}, {"d", {0, ""}},   {"e", {1, "-3.0"}},
      {"f", {1, "4.25"}}, {"g", {0, ""}},    {"h", {1, "3.0"}}, {"i", {1, "1.000000000000000001"}}};
  ASSERT_EQ(s.events.size(), want.size());
  for (size_t k = 0; k < s.events.size(); ++k) {
    const std::string tx(s.events[k].transaction_id);
    if (k) EXPECT_LE(s.events[k - 1].timestamp, s.events[k].timestamp);  // sorted; values followed
    const auto& [state, value] = want.at(tx);
    EXPECT_EQ(ix.values.state[k], state) << tx;
    if (state == 1) EXPECT_EQ(ix.values.value[k].to_string(), value) << tx;
  }
}

TEST(EventValues, CurrentUsageSumsTheParsedValues) {
  const tariff::Result r = tariff::run(tariff::Operation::current_usage, snapshot_text(kEvents));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto out = nlohmann::json::parse(r.body);
  std::map<std::string, std::string> units;
  for (const auto& c : out["customer_usage"]["charges_usage"])
    units[c["billable_metric"]["code"].get<std::string>()] = c["units"].get<std::string>();
  EXPECT_EQ(units["gb"], "20.500000000000000001");  // 12.5 + 7 + 1.000000000000000001
  EXPECT_EQ(units["peak"], "4.25");                 // max(-3, 4.25)
  EXPECT_EQ(units["calls"], "1.0");
  EXPECT_EQ(units["double"], "3.0");  // 1.5 × 2
}

TEST(EventValues, ValueBeyondExactBillingRefusedAtItsInputPosition) {
  const std::string big = "1" + std::string(70, '0');  // numeric, 71 digits
  const std::string events = kEvents + "," + event("z", "gb", "01T00:00:00", R"({"v":")" + big + R"("})");
  const tariff::Result r = tariff::run(tariff::Operation::current_usage, snapshot_text(events));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("events[9].properties.v"), std::string::npos) << r.body;  // 10th given
  EXPECT_NE(r.body.find("value_is_invalid"), std::string::npos) << r.body;
}
