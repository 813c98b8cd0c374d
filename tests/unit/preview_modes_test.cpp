// Preview behaviours the golden corpus does not reach: recurring charges around plan changes,
// the per-charge minimum summed over filter buckets, scheduled endings, pending subscriptions
// and the fixed charges of a new subscription after an upgrade. Expected values are worked out
// by hand in each test's comment.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"

namespace {

using nlohmann::json;

// A customer on a monthly calendar plan since 2023-06-10; now = 2024-03-15T12:00Z.
json base_snapshot() {
  return json::parse(R"({
    "now": "2024-03-15T12:00:00Z",
    "organization": {"timezone": "UTC", "default_currency": "USD"},
    "billable_metrics": [
      {"code": "calls", "name": "Calls", "aggregation_type": "count_agg"},
      {"code": "seats", "name": "Seats", "aggregation_type": "sum_agg", "field_name": "n", "recurring": true,
       "filters": [{"key": "tier", "values": ["gold", "silver"]}]}
    ],
    "plans": [
      {"code": "small", "name": "Small", "interval": "monthly", "amount_cents": 3100, "amount_currency": "USD",
       "pay_in_advance": false, "charges": [
         {"billable_metric_code": "seats", "charge_model": "standard", "pay_in_advance": true, "properties": {"amount": "1"}},
         {"billable_metric_code": "calls", "charge_model": "standard", "properties": {"amount": "2"}}]},
      {"code": "big", "name": "Big", "interval": "monthly", "amount_cents": 6200, "amount_currency": "USD",
       "pay_in_advance": true, "charges": [
         {"billable_metric_code": "calls", "charge_model": "standard", "properties": {"amount": "3"}}],
       "fixed_charges": [
         {"add_on_code": "setup", "charge_model": "standard", "pay_in_advance": true, "units": "1", "properties": {"amount": "10"}},
         {"add_on_code": "support", "charge_model": "standard", "pay_in_advance": false, "units": "2", "properties": {"amount": "5"}}]}
    ],
    "customer": {"external_id": "cust", "name": "Acme", "currency": "USD"},
    "subscriptions": [{"external_id": "sub", "plan_code": "small", "billing_time": "calendar",
                       "subscription_at": "2023-06-10T00:00:00Z", "started_at": "2023-06-10T00:00:00Z", "status": "active"}],
    "events": [
      {"transaction_id": "s1", "external_subscription_id": "sub", "code": "seats", "timestamp": "2024-01-05T00:00:00Z", "properties": {"n": "4", "tier": "gold"}},
      {"transaction_id": "c1", "external_subscription_id": "sub", "code": "calls", "timestamp": "2024-03-02T10:00:00Z"},
      {"transaction_id": "c2", "external_subscription_id": "sub", "code": "calls", "timestamp": "2024-03-05T10:00:00Z"}
    ],
    "request": {"customer": {"external_id": "cust"}, "subscriptions": {"external_ids": ["sub"]}}
  })");
}

json run_preview(const json& snap) {
  const tariff::Result r = tariff::run(tariff::Operation::preview, snap.dump());
  EXPECT_TRUE(r.ok()) << r.body;
  return json::parse(r.body)["invoices"][0];
}

std::vector<std::pair<std::string, int64_t>> fee_lines(const json& inv) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& f : inv["fees"]) out.emplace_back(f["item"]["type"].get<std::string>() + ":" + f["item"]["code"].get<std::string>(), f["amount_cents"].get<int64_t>());
  return out;
}

using Lines = std::vector<std::pair<std::string, int64_t>>;

TEST(PreviewModes, ProjectionRebillsAdvanceRecurringCharge) {
  // Projection of March: fee 3100; seats is paid in advance on a recurring metric, so it is
  // rebilled for the carried 4 gold seats × 1.00 = 400; calls 2 × 2.00 = 400.
  const json inv = run_preview(base_snapshot());
  EXPECT_EQ(fee_lines(inv), (Lines{{"subscription:small", 3100}, {"charge:seats", 400}, {"charge:calls", 400}}));
  EXPECT_EQ(inv["issuing_date"], "2024-04-01");
}

TEST(PreviewModes, UpgradeDropsAdvanceRecurringChargeAndBillsNewFixedCharges) {
  // Upgrade small (37 200 a year) → big (74 400): old arrears fee days(03-01, 03-15 12:00) = 15
  // − the upgrade day = 14 × 100 = 1400; seats (advance, recurring) is not rebilled when the
  // subscription ends by upgrade; calls 400. New advance plan: 03-15..03-31 = 17 × 200 = 3400,
  // and both its fixed charges as for any new subscription: setup 1 × 10 = 1000, support 2 × 5 = 1000.
  json snap = base_snapshot();
  snap["request"]["subscriptions"]["plan_code"] = "big";
  const json inv = run_preview(snap);
  EXPECT_EQ(fee_lines(inv), (Lines{{"subscription:small", 1400}, {"charge:calls", 400}, {"subscription:big", 3400},
                                   {"fixed_charge:setup", 1000}, {"fixed_charge:support", 1000}}));
  EXPECT_EQ(inv["fees_amount_cents"], 7200);
  EXPECT_EQ(inv["issuing_date"], "2024-03-15");
  ASSERT_EQ(inv["subscriptions"].size(), 2u);
  EXPECT_EQ(inv["subscriptions"][0]["status"], "terminated");
  EXPECT_EQ(inv["subscriptions"][1]["started_at"], "2024-03-15T12:00:00.000Z");  // Lago: iso8601(3)
}

TEST(PreviewModes, MinimumSumsEveryFilterBucket) {
  // Seats charge made arrears with a 1000 minimum and a silver filter at 2.00: gold 4 seats fall
  // in the default bucket at 1.00 = 400, silver 1 seat × 2.00 = 200; used 600 over the full
  // month → one true-up of 400 right after the charge's fees.
  json snap = base_snapshot();
  json& c = snap["plans"][0]["charges"][0];
  c["pay_in_advance"] = false;
  c["min_amount_cents"] = 1000;
  c["filters"] = json::parse(R"([{"values": {"tier": ["silver"]}, "properties": {"amount": "2"}}])");
  snap["events"].push_back(json::parse(R"({"transaction_id": "s2", "external_subscription_id": "sub", "code": "seats",
    "timestamp": "2024-03-03T00:00:00Z", "properties": {"n": "1", "tier": "silver"}})"));
  const json inv = run_preview(snap);
  EXPECT_EQ(fee_lines(inv), (Lines{{"subscription:small", 3100}, {"charge:seats", 200}, {"charge:seats", 400},
                                   {"charge:seats", 400}, {"charge:calls", 400}}));
  EXPECT_EQ(inv["fees"][1]["item"]["filters"], json::parse(R"({"tier": ["silver"]})"));
  EXPECT_TRUE(inv["fees"][2]["item"]["filters"].is_null());
  EXPECT_EQ(inv["fees"][3]["units"], "1.0");
  EXPECT_EQ(inv["fees"][3]["events_count"], 0);
}

TEST(PreviewModes, EndingBeforeNextBillingDayIsATermination) {
  // ending_at 03-20 12:00 < next billing day 04-01: previewed as a termination there. Arrears
  // fee days(03-01, 03-20 12:00) = 20 × 100 = 2000; advance seats not rebilled on termination;
  // calls 400; issuing date = ending day.
  json snap = base_snapshot();
  snap["subscriptions"][0]["ending_at"] = "2024-03-20T12:00:00Z";
  const json inv = run_preview(snap);
  EXPECT_EQ(fee_lines(inv), (Lines{{"subscription:small", 2000}, {"charge:calls", 400}}));
  EXPECT_EQ(inv["issuing_date"], "2024-03-20");
}

TEST(PreviewModes, PendingSubscriptionIsAProposal) {
  // A pending subscription starting 2024-04-10 on the advance plan: proposal at its start,
  // calendar April 10..30 = 21 days × 6200/30 = 4340; fixed charges 1000 + 1000; issued 04-10.
  json snap = base_snapshot();
  snap["subscriptions"][0] = json::parse(R"({"external_id": "sub", "plan_code": "big", "billing_time": "calendar",
    "subscription_at": "2024-04-10T00:00:00Z", "started_at": null, "status": "pending"})");
  const json inv = run_preview(snap);
  EXPECT_EQ(fee_lines(inv), (Lines{{"subscription:big", 4340}, {"fixed_charge:setup", 1000}, {"fixed_charge:support", 1000}}));
  EXPECT_EQ(inv["issuing_date"], "2024-04-10");
}

TEST(PreviewModes, RequestErrors) {
  json snap = base_snapshot();
  snap["request"] = json::parse(R"({"customer": {"external_id": "other"}, "subscriptions": {"external_ids": ["sub"]}})");
  tariff::Result r = tariff::run(tariff::Operation::preview, snap.dump());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["code"], "customer_not_found");

  snap["request"] = json::parse(R"({"customer": {"external_id": "cust"}, "subscriptions": {"external_ids": ["sub"], "plan_code": "small"}})");
  r = tariff::run(tariff::Operation::preview, snap.dump());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body)["error_details"]["plan_code"][0], "new_plan_should_be_different_from_existing_plan");

  snap["request"] = json::parse(R"({"customer": {"currency": "USD"}})");
  r = tariff::run(tariff::Operation::preview, snap.dump());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body)["error_details"]["plan_code"][0], "value_is_mandatory");
}

}  // namespace
