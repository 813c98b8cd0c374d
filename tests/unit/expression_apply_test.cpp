// SEMANTICS §2.7 through whole calculations: a metric's expression result is what every reader
// of properties[field_name] sees (sum, filters, pricing groups, unique count, usage
// aggregates), whether tariff keeps it exact on the event (numbers) or as text (concat);
// an event whose evaluation fails is dropped. Values worked out by hand in the comments.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"
#include "tariff/usage_aggregates.hpp"

namespace {

using nlohmann::json;

json snapshot(const json& metric, const json& charge, const json& events) {
  json c = charge;
  c["billable_metric_code"] = metric["code"];
  c["charge_model"] = "standard";
  return json{
      {"now", "2024-03-15T12:00:00Z"},
      {"organization", {{"timezone", "UTC"}, {"default_currency", "USD"}}},
      {"billable_metrics", json::array({metric})},
      {"plans", json::array({{{"code", "p"},
                              {"name", "P"},
                              {"interval", "monthly"},
                              {"amount_cents", 0},
                              {"amount_currency", "USD"},
                              {"pay_in_advance", false},
                              {"charges", json::array({c})}}})},
      {"customer", {{"external_id", "c"}, {"currency", "USD"}}},
      {"subscriptions", json::array({{{"external_id", "s"},
                                      {"external_customer_id", "c"},
                                      {"plan_code", "p"},
                                      {"billing_time", "calendar"},
                                      {"subscription_at", "2024-01-01T00:00:00Z"},
                                      {"started_at", "2024-01-01T00:00:00Z"},
                                      {"status", "active"}}})},
      {"events", events},
      {"request", {{"external_subscription_id", "s"}}},
  };
}

json event(int i, const json& props, const std::string& ts = "2024-03-02T10:00:00Z") {
  return json{{"transaction_id", "t" + std::to_string(i)},
              {"external_subscription_id", "s"},
              {"code", "m"},
              {"timestamp", ts},
              {"properties", props}};
}

json metric(const std::string& aggregation, const std::string& field, const std::string& expression) {
  return json{{"code", "m"}, {"name", "M"}, {"aggregation_type", aggregation}, {"field_name", field},
              {"expression", expression}};
}

json usage_of(const json& snap) {
  const tariff::Result r = tariff::run(tariff::Operation::current_usage, snap.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body)["customer_usage"]["charges_usage"][0];
}

TEST(ExpressionApply, SumReadsTheResultNotTheOriginalProperty) {
  // 3 × 4.25 + 1 = 13.75 (the event's own value "999" is overwritten); −2 × 0.5 + 1 = 0;
  // 2 × 0 + 1 = 1; the fourth lacks b: dropped. 13.75 + 0 + 1 = 14.75 units at 2 = 29.50.
  const json events = json::array({event(1, {{"a", "3"}, {"b", "4.25"}, {"value", "999"}}),
                                   event(2, {{"a", "-2"}, {"b", "0.5"}}), event(3, {{"a", 2}, {"b", "0"}}),
                                   event(4, {{"a", "5"}})});
  const json u = usage_of(snapshot(metric("sum_agg", "value", "event.properties.a * event.properties.b + 1"),
                                   {{"properties", {{"amount", "2"}}}}, events));
  EXPECT_EQ(u["units"], "14.75");
  EXPECT_EQ(u["events_count"], 3);
  EXPECT_EQ(u["amount_cents"], 2950);
}

TEST(ExpressionApply, DivisionByZeroDropsTheEvent) {
  // 1 / 8 = 0.125, 10 / 4 = 2.5, 7 / 0 fails (Lago rejects it): 2.625 units at 2 = 5.25.
  const json events = json::array({event(1, {{"a", "1"}, {"b", "8"}}), event(2, {{"a", "10"}, {"b", "4"}}),
                                   event(3, {{"a", "7"}, {"b", "0"}})});
  const json u = usage_of(snapshot(metric("sum_agg", "v", "event.properties.a / event.properties.b"),
                                   {{"properties", {{"amount", "2"}}}}, events));
  EXPECT_EQ(u["units"], "2.625");
  EXPECT_EQ(u["events_count"], 2);
  EXPECT_EQ(u["amount_cents"], 525);
}

TEST(ExpressionApply, BeyondTheFastPathTheExactResult) {
  // 10^10 × 12345678901.5 = 123456789015000000000 (1.23e20: past the fast path's 10^20 at
  // one decimal, within Decimal's 1.7e20); 10^11 × 2·10^9 = 2·10^20 is beyond Decimal: dropped.
  const json events = json::array({event(1, {{"a", "10000000000"}, {"b", "12345678901.5"}}),
                                   event(2, {{"a", "100000000000"}, {"b", "2000000000"}})});
  const json u = usage_of(snapshot(metric("sum_agg", "v", "event.properties.a * event.properties.b"),
                                   {{"properties", {{"amount", "0"}}}}, events));
  EXPECT_EQ(u["units"], "123456789015000000000.0");
  EXPECT_EQ(u["events_count"], 1);
}

// size = round(bytes / 1000), stored by Lago as BigDecimal#to_s: 1500 → "2.0", 2400 → "2.0",
// 700 → "1.0", 100 → "0.0" (that event's own size "2.0" is overwritten).
json size_events() {
  return json::array({event(1, {{"bytes", 1500}}), event(2, {{"bytes", "2400"}}), event(3, {{"bytes", "700"}}),
                      event(4, {{"bytes", "100"}, {"size", "2.0"}})});
}

TEST(ExpressionApply, FiltersMatchTheResultText) {
  json m = metric("count_agg", "size", "round(event.properties.bytes / 1000)");
  m["filters"] = json::array({{{"key", "size"}, {"values", {"0.0", "1.0", "2.0"}}}});
  const json charge = {{"properties", {{"amount", "1"}}},
                       {"filters", json::array({{{"invoice_display_name", "Large"},
                                                 {"properties", {{"amount", "5"}}},
                                                 {"values", {{"size", {"2.0"}}}}}})}};
  // "2.0": events 1 and 2 at 5 = 10; the others (1.0, 0.0) at 1 = 2; 12.00.
  const json u = usage_of(snapshot(m, charge, size_events()));
  EXPECT_EQ(u["amount_cents"], 1200);
  ASSERT_EQ(u["filters"].size(), 2u);
  EXPECT_EQ(u["filters"][0]["events_count"], 2);
  EXPECT_EQ(u["filters"][1]["events_count"], 2);
}

TEST(ExpressionApply, PricingGroupsKeyOnTheResultText) {
  const json charge = {{"properties", {{"amount", "1"}, {"pricing_group_keys", {"size"}}}}};
  const json u = usage_of(snapshot(metric("count_agg", "size", "round(event.properties.bytes / 1000)"), charge,
                                   size_events()));
  ASSERT_EQ(u["grouped_usage"].size(), 3u);  // first appearance: 2.0, 1.0, 0.0
  EXPECT_EQ(u["grouped_usage"][0]["grouped_by"]["size"], "2.0");
  EXPECT_EQ(u["grouped_usage"][0]["events_count"], 2);
  EXPECT_EQ(u["grouped_usage"][1]["grouped_by"]["size"], "1.0");
  EXPECT_EQ(u["grouped_usage"][2]["grouped_by"]["size"], "0.0");
  EXPECT_EQ(u["grouped_usage"][2]["events_count"], 1);
}

TEST(ExpressionApply, UniqueCountOfANumberAndWholeSeconds) {
  // floor(timestamp / 60): 10:00:10 and 10:00:59.9 (to_i: :59) are minute 28489560, 10:02:00
  // is 28489562: 2 distinct (3 if the fraction were rounded up into 10:01).
  const json events = json::array({event(1, json::object(), "2024-03-02T10:00:10Z"),
                                   event(2, json::object(), "2024-03-02T10:00:59.900Z"),
                                   event(3, json::object(), "2024-03-02T10:02:00Z")});
  const json u = usage_of(snapshot(metric("unique_count_agg", "minute", "floor(event.timestamp / 60)"),
                                   {{"properties", {{"amount", "1"}}}}, events));
  EXPECT_EQ(u["units"], "2.0");
}

TEST(ExpressionApply, TextResultsCountAsText) {
  // concat(region, '-', code): "eu-m", "us-m", "eu-m" → 2 distinct.
  const json events = json::array({event(1, {{"region", "eu"}}), event(2, {{"region", "us"}}),
                                   event(3, {{"region", "eu"}, {"key", "x"}})});
  const json u = usage_of(snapshot(metric("unique_count_agg", "key", "concat(event.properties.region, '-', event.code)"),
                                   {{"properties", {{"amount", "1"}}}}, events));
  EXPECT_EQ(u["units"], "2.0");
}

TEST(ExpressionApply, ShortAndLongTextResultsGroupAsText) {
  // concat(region, '-', code): "eu-m", "us-m", "eu-m", and twice "europe-west-1-long-m" (20
  // bytes: kept in properties, the short ones on the event): 3 distinct, grouped by that text.
  const json events = json::array({event(1, {{"region", "eu"}}), event(2, {{"region", "us"}}),
                                   event(3, {{"region", "eu"}, {"key", "x"}}), event(4, {{"region", "europe-west-1-long"}}),
                                   event(5, {{"region", "europe-west-1-long"}})});
  const json u = usage_of(snapshot(metric("unique_count_agg", "key", "concat(event.properties.region, '-', event.code)"),
                                   {{"properties", {{"amount", "1"}, {"pricing_group_keys", {"key"}}}}}, events));
  EXPECT_EQ(u["units"], "3.0");
  ASSERT_EQ(u["grouped_usage"].size(), 3u);
  EXPECT_EQ(u["grouped_usage"][0]["grouped_by"]["key"], "eu-m");
  EXPECT_EQ(u["grouped_usage"][1]["grouped_by"]["key"], "us-m");
  EXPECT_EQ(u["grouped_usage"][2]["grouped_by"]["key"], "europe-west-1-long-m");
  EXPECT_EQ(u["grouped_usage"][2]["units"], "1.0");
}

TEST(ExpressionApply, NumericTextIsSummedAsLagoReadsIt) {
  // concat gives text, which a sum reads when it is numeric (^-?\d+(\.\d+)?$): "1" "2" → "12",
  // 1.5 and 0 print as "1.5" "0" → "1.50"; "eu" "x" → "eux" is not a number: skipped.
  // 12 + 1.50 = 13.5.
  const json events = json::array({event(1, {{"a", "1"}, {"b", "2"}}), event(2, {{"a", "1.5"}, {"b", "0"}}),
                                   event(3, {{"a", "eu"}, {"b", "x"}})});
  const json u = usage_of(snapshot(metric("sum_agg", "v", "concat(event.properties.a, event.properties.b)"),
                                   {{"properties", {{"amount", "1"}}}}, events));
  EXPECT_EQ(u["units"], "13.5");
  EXPECT_EQ(u["events_count"], 2);
}

TEST(ExpressionApply, UsageAggregatesCarryTheResultText) {
  // A count metric keeps its properties in its aggregates: size as Lago stores it.
  json snap = snapshot(metric("count_agg", "size", "round(event.properties.bytes / 1000)"),
                       {{"properties", {{"amount", "1"}}}}, size_events());
  const auto cs = tariff::usage::contributions(snap.dump(), 0, true);
  ASSERT_TRUE(cs.has_value());
  ASSERT_EQ(cs->size(), 4u);
  EXPECT_EQ((*cs)[0].aggregate.to_json()["properties"]["size"], "2.0");
  EXPECT_EQ((*cs)[2].aggregate.to_json()["properties"]["size"], "1.0");
  EXPECT_EQ((*cs)[3].aggregate.to_json()["properties"]["size"], "0.0");
}

TEST(ExpressionApply, EstimateFeesOnTheResult) {
  // In advance, sum: 3 × 4.25 + 1 = 13.75 units at 2 = 27.50; b missing: refused.
  json snap = snapshot(metric("sum_agg", "value", "event.properties.a * event.properties.b + 1"),
                       {{"pay_in_advance", true}, {"properties", {{"amount", "2"}}}}, json::array());
  snap["request"] = {{"event", {{"code", "m"}, {"external_subscription_id", "s"}, {"transaction_id", "e1"},
                                {"properties", {{"a", "3"}, {"b", "4.25"}}}}}};
  tariff::Result r = tariff::run(tariff::Operation::estimate_fees, snap.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json fee = json::parse(r.body)["fees"][0];
  EXPECT_EQ(fee["units"], "13.75");
  EXPECT_EQ(fee["amount_cents"], 2750);
  snap["request"]["event"]["properties"].erase("b");
  r = tariff::run(tariff::Operation::estimate_fees, snap.dump());
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("expression_evaluation_failed"), std::string::npos) << r.body;
}

}  // namespace
