// tariff::rules — the engine's rules as the server asks them: plan changes with their
// boundary in the customer's zone, local midnights, event timestamps, write-time validation;
// and the ordered exact reader the server stores documents with. Expected values are worked
// by hand in the comments.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tariff/currency.hpp"
#include "tariff/json.hpp"
#include "tariff/rules.hpp"

using nlohmann::json;
using namespace tariff;

namespace {

Instant at(const char* iso) { return *parse_instant(iso); }

json plan(const char* code, const char* interval, int64_t amount_cents, const char* currency = "EUR") {
  return {{"code", code}, {"name", code}, {"interval", interval}, {"amount_cents", amount_cents},
          {"amount_currency", currency}, {"charges", json::array()}};
}

// Customer in `tz` with subscription "s" on plan "old" since 2024-01-01, at `now`.
std::string snapshot(const char* now, const char* tz, json plans, const char* billing_time = "calendar") {
  json s = {{"now", now},
            {"organization", {{"timezone", "UTC"}}},
            {"customer", {{"external_id", "c"}, {"timezone", tz}}},
            {"plans", std::move(plans)},
            {"subscriptions", json::array({{{"external_id", "s"}, {"plan_code", "old"}, {"status", "active"},
                                             {"billing_time", billing_time},
                                             {"subscription_at", "2024-01-10T00:00:00Z"},
                                             {"started_at", "2024-01-10T00:00:00Z"}}})}};
  return s.dump();
}

// Moving "s" to plan "new" is a downgrade effective on local `day`, at UTC instant `utc`.
void expect_downgrade(const std::string& snap, const char* day, const char* utc) {
  const auto c = rules::plan_change(snap, "s", "new");
  ASSERT_TRUE(c.ok()) << c.error.to_json();
  EXPECT_EQ(c.value->kind, rules::PlanChangeKind::downgrade);
  EXPECT_EQ(format_date(c.value->effective_day), day);
  EXPECT_EQ(c.value->effective_at, at(utc));
}

}  // namespace

TEST(RulesPlanChange, UpgradeWhenYearlyAmountIsAtLeastTheOld) {
  // old 1000 monthly → 12 000 a year; new 12 000 yearly → equal → upgrade, effective now
  const auto c = rules::plan_change(snapshot("2024-03-15T12:00:00Z", "UTC",
                                             {plan("old", "monthly", 1000), plan("new", "yearly", 12000)}),
                                    "s", "new");
  ASSERT_TRUE(c.ok()) << c.error.to_json();
  EXPECT_EQ(c.value->kind, rules::PlanChangeKind::upgrade);
  EXPECT_EQ(c.value->effective_at, at("2024-03-15T12:00:00Z"));
}

TEST(RulesPlanChange, DowngradeTakesEffectAtTheNextLocalPeriod) {
  // old 1000 monthly = 12 000 a year; new 11 999 yearly < 12 000 → downgrade.
  // now 2024-03-31T16:00Z is 2024-04-01 01:00 in Tokyo (UTC+9): the current calendar period is
  // April, the next starts 2024-05-01 00:00 Tokyo = 2024-04-30T15:00:00Z. (In UTC the day is
  // still 31 March and the boundary would be 1 April: a month early.)
  expect_downgrade(snapshot("2024-03-31T16:00:00Z", "Asia/Tokyo",
                            {plan("old", "monthly", 1000), plan("new", "yearly", 11999)}),
                   "2024-05-01", "2024-04-30T15:00:00Z");
}

TEST(RulesPlanChange, AnniversaryDowngradeFollowsTheAnchorInTheZone) {
  // anchor 2024-01-10 (00:00Z = 19:00 on 9 Jan in New York, UTC−5): local anchor day 9.
  // now 2024-03-15 → period 9 Mar..8 Apr; next starts 2024-04-09 00:00 EDT (UTC−4) = 04:00Z.
  expect_downgrade(snapshot("2024-03-15T12:00:00Z", "America/New_York",
                            {plan("old", "monthly", 1000), plan("new", "monthly", 500)}, "anniversary"),
                   "2024-04-09", "2024-04-09T04:00:00Z");
}

TEST(RulesPlanChange, RefusalsAsThePreview) {
  const std::string snap = snapshot("2024-03-15T12:00:00Z", "UTC",
                                    {plan("old", "monthly", 1000), plan("usd", "monthly", 2000, "USD")});
  auto c = rules::plan_change(snap, "s", "usd");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error.details.at("currency"), std::vector<std::string>{"currencies_does_not_match"});
  c = rules::plan_change(snap, "s", "old");
  EXPECT_EQ(c.error.details.at("plan_code"),
            std::vector<std::string>{"new_plan_should_be_different_from_existing_plan"});
  EXPECT_EQ(rules::plan_change(snap, "s", "ghost").error.code, "plan_not_found");
  EXPECT_EQ(rules::plan_change(snap, "ghost", "usd").error.code, "subscription_not_found");
}

TEST(RulesTime, StartOfLocalDayInTheCustomersZone) {
  // 2024-05-01 00:00 in Tokyo (UTC+9) = 2024-04-30T15:00Z; without a customer zone, the
  // organization's (Paris, CEST UTC+2 in May) = 2024-04-30T22:00Z.
  const auto day = *parse_date("2024-05-01");
  auto t = rules::start_of_local_day(snapshot("2024-03-15T12:00:00Z", "Asia/Tokyo", json::array({plan("old", "monthly", 1)})), day);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t.value, at("2024-04-30T15:00:00Z"));
  t = rules::start_of_local_day(json({{"now", "2024-03-15T12:00:00Z"}, {"organization", {{"timezone", "Europe/Paris"}}}}).dump(), day);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t.value, at("2024-04-30T22:00:00Z"));
}

TEST(RulesTime, EventTimestamps) {
  EXPECT_EQ(rules::event_timestamp(json(1710504000)), at("2024-03-15T12:00:00Z"));
  EXPECT_EQ(rules::event_timestamp(json("1710504000.5")), at("2024-03-15T12:00:00.5Z"));
  EXPECT_EQ(rules::event_timestamp(json("2024-03-15T13:00:00+01:00")), at("2024-03-15T12:00:00Z"));
  EXPECT_FALSE(rules::event_timestamp(json(-1)));                       // before 1970
  EXPECT_FALSE(rules::event_timestamp(json("1969-12-31T23:59:59Z")));
  EXPECT_FALSE(rules::event_timestamp(json("yesterday")));
}

TEST(RulesCurrency, TheEnginesTableIsTheOneTheServerUses) {
  // ISO 4217 / the money gem: HUF and MGA have no decimals; IQD, LYD, OMR and TND are not
  // among Lago's accepted currencies (its Currencies concern), so they are refused.
  for (const char* c : {"HUF", "MGA", "JPY"}) EXPECT_EQ(find_currency(c)->exponent, 0) << c;
  for (const char* c : {"IQD", "LYD", "OMR", "TND"}) EXPECT_FALSE(find_currency(c).has_value()) << c;
  EXPECT_EQ(find_currency("EUR")->exponent, 2);
  EXPECT_EQ(find_currency("KWD")->exponent, 3);
}

namespace {
rules::Details one(rules::Resource kind, json object, json context = json::object()) {
  const auto d = rules::validate(kind, json::array({std::move(object)}), context, at("2024-03-15T12:00:00Z"));
  return d.at(0);
}
using Codes = std::vector<std::string>;
}  // namespace

TEST(RulesValidate, MetricsNeedANameAndTheEnginesFields) {
  auto d = one(rules::Resource::billable_metric, {{"code", "m"}, {"aggregation_type", "count_agg"}});
  EXPECT_EQ(d, (rules::Details{{"name", Codes{"value_is_mandatory"}}}));
  d = one(rules::Resource::billable_metric, {{"code", "m"}, {"name", "M"}, {"aggregation_type", "sum_agg"}});
  EXPECT_EQ(d, (rules::Details{{"field_name", Codes{"value_is_mandatory"}}}));
  EXPECT_TRUE(one(rules::Resource::billable_metric, {{"code", "m"}, {"name", "M"}, {"aggregation_type", "count_agg"}}).empty());
}

TEST(RulesValidate, EventsTheEngineWouldRefuseLater) {
  const json metrics = {{"billable_metrics", json::array({{{"code", "gb"}, {"name", "GB"}, {"aggregation_type", "sum_agg"}, {"field_name", "gb"}}})}};
  const json base = {{"transaction_id", "t"}, {"external_subscription_id", "s"}, {"code", "gb"}};
  auto with = [&](const char* key, json v) { json e = base; e[key] = std::move(v); return e; };
  EXPECT_TRUE(one(rules::Resource::event, with("properties", {{"gb", "170000000000000000000"}}), metrics).empty());
  // 1.8e20 > Decimal's 1.7e20: every sum of the period would fail
  EXPECT_EQ(one(rules::Resource::event, with("properties", {{"gb", "180000000000000000000"}}), metrics),
            (rules::Details{{"properties.gb", Codes{"value_is_invalid"}}}));
  // a property no metric of that code aggregates is free
  EXPECT_TRUE(one(rules::Resource::event, with("properties", {{"id", "180000000000000000000"}}), metrics).empty());
  EXPECT_EQ(one(rules::Resource::event, with("precise_total_amount_cents", "abc"), metrics),
            (rules::Details{{"precise_total_amount_cents", Codes{"value_is_invalid"}}}));
  EXPECT_EQ(one(rules::Resource::event, with("timestamp", -86400), metrics),
            (rules::Details{{"timestamp", Codes{"invalid_format"}}}));
  // a metric whose expression cannot evaluate on the event (5 / 0): Lago refuses the event
  const json expr = {{"billable_metrics", json::array({{{"code", "gb"}, {"name", "GB"}, {"aggregation_type", "sum_agg"},
                                                       {"field_name", "gb"}, {"expression", "event.properties.a / event.properties.b"}}})}};
  EXPECT_EQ(one(rules::Resource::event, with("properties", {{"a", 5}, {"b", "0"}}), expr),
            (rules::Details{{"expression", Codes{"expression_evaluation_failed"}}}));
  EXPECT_TRUE(one(rules::Resource::event, with("properties", {{"a", 5}, {"b", "2"}}), expr).empty());
}

TEST(RulesValidate, CustomersCouponsWallets) {
  EXPECT_EQ(one(rules::Resource::customer, {{"external_id", "c"}, {"name", std::string(256, 'x')}}),
            (rules::Details{{"name", Codes{"value_is_too_long"}}}));
  // 255 characters of 2 bytes each: 510 bytes, still 255 characters
  std::string accents;
  for (int i = 0; i < 255; ++i) accents += "\xC3\xA9";
  EXPECT_TRUE(one(rules::Resource::customer, {{"external_id", "c"}, {"name", accents}}).empty());
  EXPECT_EQ(one(rules::Resource::customer, {{"external_id", "c"}, {"currency", "XXX"}, {"timezone", "Mars/Olympus"}}),
            (rules::Details{{"currency", Codes{"value_is_invalid"}}, {"timezone", Codes{"invalid_timezone"}}}));
  EXPECT_EQ(one(rules::Resource::coupon, {{"code", "k"}, {"name", "K"}, {"coupon_type", "fixed_amount"},
                                          {"amount_cents", -100}, {"amount_currency", "EUR"}}),
            (rules::Details{{"amount_cents", Codes{"value_is_out_of_range"}}}));
  EXPECT_EQ(one(rules::Resource::coupon, {{"code", "k"}, {"name", "K"}, {"coupon_type", "percentage"}, {"percentage_rate", "ten"}}),
            (rules::Details{{"percentage_rate", Codes{"value_is_invalid"}}}));
  EXPECT_EQ(one(rules::Resource::wallet, {{"currency", "EUR"}, {"rate_amount", "0"}}),
            (rules::Details{{"rate_amount", Codes{"value_is_out_of_range"}}}));
}

TEST(RulesJson, OrderedExactReaderKeepsKeyOrderAndDigits) {
  const auto j = parse_ordered_json_exact(R"({"z": 123456789012345.123456789012345, "a": [1, -2, 1e3]})");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j.dump(), R"({"z":"123456789012345.123456789012345","a":[1,-2,"1e3"]})");
  EXPECT_TRUE(parse_ordered_json_exact(std::string(200000, '[') + std::string(200000, ']')).is_discarded());
}
