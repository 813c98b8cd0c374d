// tariff::rules::event_errors — the events Lago's Events::PostValidationService reports in an
// `events.errors` webhook. Each expectation is read off Lago's last_hour_events_mv conditions
// (aggregation_type != count needs its field; sum/max/weighted_sum/latest need -?\d+(\.\d+)?;
// a filter key present with a value outside the filter's values).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tariff/json.hpp"
#include "tariff/rules.hpp"

using nlohmann::json;
using tariff::rules::event_errors;

namespace {

json metrics() {
  return json::parse(R"([
    {"code": "calls", "aggregation_type": "count_agg", "field_name": null},
    {"code": "gb", "aggregation_type": "sum_agg", "field_name": "gb",
     "filters": [{"key": "region", "values": ["eu", "us"]}]},
    {"code": "users", "aggregation_type": "unique_count_agg", "field_name": "user_id"},
    {"code": "seats", "aggregation_type": "latest_agg", "field_name": "n"},
    {"code": "computed", "aggregation_type": "sum_agg", "field_name": "total", "expression": "event.properties.a * 2"}
  ])");
}

json event(const char* id, const char* code, json props) {
  return {{"transaction_id", id}, {"code", code}, {"properties", std::move(props)}};
}

}  // namespace

TEST(EventErrors, EachCategoryAsLagoFindsIt) {
  // Exact JSON as the server stores it: 12.5 stays the text "12.5".
  const json events = json::array({
      event("t1", "calls", json::object()),                              // count: needs nothing
      event("t2", "nope", json::object()),                               // no metric: invalid_code
      event("t3", "gb", {{"gb", 3}}),                                    // fine
      event("t4", "gb", json::object()),                                 // sum without its field
      event("t5", "gb", {{"gb", "three"}}),                              // sum of a non-number
      event("t6", "gb", {{"gb", tariff::parse_json_exact("12.5")}}),     // "12.5" reads as a number
      event("t7", "gb", {{"gb", 1}, {"region", "asia"}}),                // filter value not listed
      event("t8", "gb", {{"gb", 1}, {"region", "eu"}}),                  // listed
      event("t9", "users", {{"user_id", "abc"}}),                        // unique count: any value
      event("t10", "users", json::object()),                             // unique count without field
      event("t11", "seats", {{"n", "1e3"}}),                             // latest: 1e3 is not -?\d+(\.\d+)?
      event("t12", "computed", {{"a", 2}}),                              // expression sets the field
      event("t13", "gb", {{"gb", "-4.25"}}),                             // negative decimal: a number
      event("t14", "gb", {{"gb", true}}),                                // "true": not a number
  });
  const auto e = event_errors(events, metrics());
  EXPECT_EQ(e.invalid_code, (std::vector<std::string>{"t2"}));
  EXPECT_EQ(e.missing_aggregation_property, (std::vector<std::string>{"t4", "t5", "t10", "t11", "t14"}));
  EXPECT_EQ(e.invalid_filter_values, (std::vector<std::string>{"t7"}));
  EXPECT_FALSE(e.empty());
}

TEST(EventErrors, RepeatsAndCleanBatches) {
  // The same transaction id twice (two subscriptions) is listed once, like Lago's DISTINCT.
  const json events = json::array({event("dup", "nope", json::object()), event("dup", "nope", json::object())});
  EXPECT_EQ(event_errors(events, metrics()).invalid_code, (std::vector<std::string>{"dup"}));
  const json clean = json::array({event("a", "calls", json::object()), event("b", "gb", {{"gb", 2}})});
  EXPECT_TRUE(event_errors(clean, metrics()).empty());
  EXPECT_TRUE(event_errors(json::object(), metrics()).empty());  // not an array: nothing
  // A filter value given as a number compares as its text: 1 matches "1".
  const json m = json::parse(R"([{"code": "x", "aggregation_type": "count_agg", "filters": [{"key": "k", "values": ["1"]}]}])");
  EXPECT_TRUE(event_errors(json::array({event("n", "x", {{"k", 1}})}), m).empty());
  EXPECT_EQ(event_errors(json::array({event("n", "x", {{"k", 2}})}), m).invalid_filter_values,
            (std::vector<std::string>{"n"}));
}
