// Price-change impact (tariff/impact.hpp and `tariff impact`) on examples/impact: three
// monthly plans in arrears, five customers, no tax, `now` = 15 March 2024, each customer's
// preview of its subscription. The proposal raises starter's fee, adds a free tier to
// growth and moves scale's tier boundary. Every figure below is worked by hand
// (examples/impact/README.md):
//   cus_a starter  300 calls:  1900 + 300 x 1 = 2200  →  2400 + 300 = 2700             +500
//   cus_b growth   400 calls:  4900 + 400 x 1 = 5300  →  4900 + 400 free = 4900       −400
//   cus_c growth  1500 calls:  4900 + 1000 x 1 + 500 x 0.5 = 6150
//                           →  4900 + 500 x 0 + 500 x 1 + 500 x 0.5 = 5650            −500
//   cus_d scale   8000 calls:  9900 + 8000 x 0.4 = 13100
//                           →  9900 + 5000 x 0.4 + 3000 x 0.2 = 12500                 −600
//   cus_e scale   3000 calls:  9900 + 3000 x 0.4 = 11100  →  same                       0
//   total 37850 → 36850 (−1000): 1 increased, 3 decreased, 1 unchanged
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "check.hpp"
#include "tariff/impact.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kExample =
    fs::path(TARIFF_GOLDEN_DIR).parent_path().parent_path() / "examples" / "impact";

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << p;
  return ss.str();
}

const char* kCustomers[] = {"cus_a", "cus_b", "cus_c", "cus_d", "cus_e"};

tariff::PlanChange proposal() {
  auto parsed = tariff::parse_plan_change(slurp(kExample / "plans_new.json"));
  EXPECT_FALSE(parsed.error) << (parsed.error ? parsed.error->to_json() : "");
  return *parsed.change;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t i = 0; (i = s.find(from, i)) != std::string::npos; i += to.size())
    s.replace(i, from.size(), to);
  return s;
}

}  // namespace

TEST(Impact, DeltasPerCustomerWorkedByHand) {
  const tariff::PlanChange change = proposal();
  const int64_t old_total[] = {2200, 5300, 6150, 13100, 11100};
  const int64_t new_total[] = {2700, 4900, 5650, 12500, 11100};
  std::vector<tariff::CustomerImpact> rows;
  for (int i = 0; i < 5; ++i) {
    const auto out = tariff::price_change(slurp(kExample / "customers" / (std::string(kCustomers[i]) + ".json")), change);
    ASSERT_FALSE(out.error) << kCustomers[i] << ": " << out.error->to_json();
    EXPECT_EQ(out.impact->external_customer_id, kCustomers[i]);
    EXPECT_EQ(out.impact->currency, "USD");
    EXPECT_EQ(out.impact->old_total_amount_cents, old_total[i]) << kCustomers[i];
    EXPECT_EQ(out.impact->new_total_amount_cents, new_total[i]) << kCustomers[i];
    rows.push_back(*out.impact);
  }
  const tariff::Result report = tariff::impact_report(rows);
  ASSERT_TRUE(report.ok()) << report.body;
  EXPECT_EQ(report.body,
            R"({"customers":[)"
            R"({"external_customer_id":"cus_a","old_total_amount_cents":2200,"new_total_amount_cents":2700,"delta_amount_cents":500},)"
            R"({"external_customer_id":"cus_b","old_total_amount_cents":5300,"new_total_amount_cents":4900,"delta_amount_cents":-400},)"
            R"({"external_customer_id":"cus_c","old_total_amount_cents":6150,"new_total_amount_cents":5650,"delta_amount_cents":-500},)"
            R"({"external_customer_id":"cus_d","old_total_amount_cents":13100,"new_total_amount_cents":12500,"delta_amount_cents":-600},)"
            R"({"external_customer_id":"cus_e","old_total_amount_cents":11100,"new_total_amount_cents":11100,"delta_amount_cents":0}],)"
            R"("summary":{"customers":5,"increased":1,"decreased":3,"unchanged":1,)"
            R"("old_total_amount_cents":37850,"new_total_amount_cents":36850,"delta_amount_cents":-1000}})");
}

TEST(Impact, OnlyPlansOfTheSameCodeAreReplaced) {
  // A proposal touching growth only leaves cus_a (starter) unchanged: 2200 → 2200.
  auto parsed = tariff::parse_plan_change(slurp(kExample / "plans_new.json"));
  ASSERT_TRUE(parsed.change);
  json only_growth = json::array();
  for (const auto& p : parsed.change->plans)
    if (p["code"] == "growth") only_growth.push_back(p);
  const tariff::PlanChange change{only_growth};
  auto a = tariff::price_change(slurp(kExample / "customers/cus_a.json"), change);
  ASSERT_TRUE(a.impact);
  EXPECT_EQ(a.impact->old_total_amount_cents, 2200);
  EXPECT_EQ(a.impact->new_total_amount_cents, 2200);
  auto b = tariff::price_change(slurp(kExample / "customers/cus_b.json"), change);
  ASSERT_TRUE(b.impact);
  EXPECT_EQ(b.impact->new_total_amount_cents, 4900);
}

TEST(Impact, OneCurrencyPerRun) {
  const tariff::PlanChange change = proposal();
  auto usd = tariff::price_change(slurp(kExample / "customers/cus_a.json"), change);
  // The same customer billed in EUR (plans and customer): 2200 → 2700 EUR cents.
  auto eur_snapshot = replace_all(slurp(kExample / "customers/cus_a.json"), "\"USD\"", "\"EUR\"");
  auto eur_change = tariff::parse_plan_change(
      replace_all(slurp(kExample / "plans_new.json"), "\"USD\"", "\"EUR\""));
  auto eur = tariff::price_change(eur_snapshot, *eur_change.change);
  ASSERT_TRUE(usd.impact && eur.impact);
  EXPECT_EQ(eur.impact->currency, "EUR");
  EXPECT_EQ(eur.impact->delta_amount_cents(), 500);
  const tariff::Result r = tariff::impact_report({*usd.impact, *eur.impact});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body,
            R"({"status":422,"error":"Unprocessable Entity","code":"validation_errors",)"
            R"("error_details":{"customers[1].currency":["currencies_does_not_match"]}})");
  // A proposal in another currency than the customer's is refused for that customer.
  auto mixed = tariff::price_change(slurp(kExample / "customers/cus_a.json"), *eur_change.change);
  ASSERT_TRUE(mixed.error);
  EXPECT_EQ(mixed.error->status, 422);
}

TEST(Impact, BadProposalsAndSnapshots) {
  EXPECT_EQ(tariff::parse_plan_change("{").error->status, 400);
  EXPECT_EQ(tariff::parse_plan_change("{}").error->details.count("plans"), 1u);
  EXPECT_EQ(tariff::parse_plan_change(R"({"plans":{}})").error->details.at("plans"),
            std::vector<std::string>{"invalid_type"});
  auto e = tariff::parse_plan_change(R"({"plans":[{"code":"a"},{"name":"no code"},3]})").error;
  ASSERT_TRUE(e);
  EXPECT_EQ(e->details.at("plans[1].code"), std::vector<std::string>{"value_is_mandatory"});
  EXPECT_EQ(e->details.at("plans[2]"), std::vector<std::string>{"invalid_type"});

  const tariff::PlanChange change = proposal();
  EXPECT_EQ(tariff::price_change("{", change).error->status, 400);
  EXPECT_EQ(tariff::price_change("[]", change).error->status, 422);
  // A proposed plan the engine refuses is reported, not priced.
  auto broken = tariff::parse_plan_change(
      R"({"plans":[{"code":"starter","interval":"monthly","amount_cents":-5,"amount_currency":"USD"}]})");
  auto r = tariff::price_change(slurp(kExample / "customers/cus_a.json"), *broken.change);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->status, 422);
}

TEST(Impact, ProposedPlansReachOverriddenSubscriptionsAndAreChecked) {
  // The proposal is read into the customer's snapshot as if the snapshot had been written
  // with it: a subscription's plan_overrides apply on top of the proposed plan, and a
  // proposed plan the engine refuses is reported at its path in the merged "plans".
  const tariff::PlanChange change = proposal();
  json snap = json::parse(slurp(kExample / "customers/cus_a.json"));
  // An override of the display name only: starter's new fee comes through, 2200 → 2700.
  snap["subscriptions"][0]["plan_overrides"] = {{"invoice_display_name", "Starter (legacy)"}};
  auto named = tariff::price_change(snap.dump(), change);
  ASSERT_TRUE(named.impact) << named.error->to_json();
  EXPECT_EQ(named.impact->old_total_amount_cents, 2200);
  EXPECT_EQ(named.impact->new_total_amount_cents, 2700);
  // An overridden fee wins over the proposed one: 1000 + 300 before and after.
  snap["subscriptions"][0]["plan_overrides"] = {{"amount_cents", 1000}};
  auto fee = tariff::price_change(snap.dump(), change);
  ASSERT_TRUE(fee.impact) << fee.error->to_json();
  EXPECT_EQ(fee.impact->old_total_amount_cents, 1300);
  EXPECT_EQ(fee.impact->new_total_amount_cents, 1300);
  // A charge override naming a charge the proposed starter lacks: charge_not_found.
  snap["plans"][0]["charges"][0]["lago_id"] = "ch_starter_calls";
  snap["subscriptions"][0]["plan_overrides"] = {
      {"charges", json::array({{{"id", "ch_starter_calls"}, {"invoice_display_name", "Calls"}}})}};
  auto kept = tariff::price_change(snap.dump(), change);  // the proposal's starter has no lago_id
  ASSERT_TRUE(kept.error);
  EXPECT_EQ(kept.error->status, 422);
  EXPECT_EQ(kept.error->details.at("subscriptions[0].plan_overrides.charges[0].id"),
            std::vector<std::string>{"charge_not_found"});
  // A new plan code is added after the snapshot's three plans; its bad interval is reported
  // at plans[3], and the snapshot's own plans are not.
  snap["subscriptions"][0]["plan_overrides"] = nullptr;
  auto added = tariff::parse_plan_change(
      R"({"plans":[{"code":"enterprise","interval":"fortnightly","amount_cents":100,"amount_currency":"USD"}]})");
  ASSERT_TRUE(added.change);
  auto bad = tariff::price_change(snap.dump(), *added.change);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->details.size(), 1u) << bad.error->to_json();
  EXPECT_EQ(bad.error->details.at("plans[3].interval"), std::vector<std::string>{"value_is_invalid"});
}

TEST(ImpactCommand, JsonTableAndErrors) {
  const std::string plans = (kExample / "plans_new.json").string();
  const std::string dir = (kExample / "customers").string();
  std::ostringstream out, err;
  ASSERT_EQ(tariff::cli::impact_main({"--plans", plans, dir, "--jobs", "2"}, out, err), 0) << err.str();
  const json doc = json::parse(out.str());
  EXPECT_EQ(doc["summary"]["delta_amount_cents"], -1000);
  EXPECT_EQ(doc["customers"][2]["external_customer_id"], "cus_c");

  std::ostringstream table;
  ASSERT_EQ(tariff::cli::impact_main({"--plans", plans, "--format", "table", dir}, table, err), 0);
  const std::string t = table.str();
  EXPECT_NE(t.find("external_customer_id"), std::string::npos) << t;
  EXPECT_NE(t.find("cus_c  "), std::string::npos) << t;
  EXPECT_NE(t.find("6150                    5650                -500\n"), std::string::npos) << t;
  EXPECT_NE(t.find("total (5: 1 increased, 3 decreased, 1 unchanged)"), std::string::npos) << t;
  EXPECT_NE(t.find("37850                   36850               -1000\n"), std::string::npos) << t;
  EXPECT_NE(t.find("amounts in USD cents"), std::string::npos);
  // Every row line is as wide as the header.
  std::istringstream lines(t);
  std::string header, line;
  std::getline(lines, header);
  for (int i = 0; i < 7 && std::getline(lines, line); ++i) EXPECT_EQ(line.size(), header.size()) << line;

  // A broken snapshot: the error document names it by position; exit 2.
  const fs::path bad = fs::temp_directory_path() / ("tariff_impact_bad_" + std::to_string(::getpid()) + ".json");
  std::ofstream(bad) << R"({"now":"2024-03-15T12:00:00Z","request":{"customer":{"external_id":"x"}}})";
  std::ostringstream out2;
  EXPECT_EQ(tariff::cli::impact_main({"--plans", plans, (kExample / "customers/cus_a.json").string(),
                                      bad.string()},
                                     out2, err),
            2);
  const json e = json::parse(out2.str());
  EXPECT_EQ(e["status"], 404) << out2.str();
  EXPECT_TRUE(e["error_details"].contains("snapshots[1]")) << out2.str();
  fs::remove(bad);

  std::ostringstream out3;
  EXPECT_EQ(tariff::cli::impact_main({dir}, out3, err), 64);                       // no --plans
  EXPECT_EQ(tariff::cli::impact_main({"--plans", plans, "--format", "csv", dir}, out3, err), 64);
}

TEST(Impact, NewCustomerProposalHasNoExternalId) {
  // examples/preview_proposal.json: a new customer on monthly_adv (31.00, in advance,
  // calendar) from 15 March: 17/31 x 3100 = 1700. At 62.00: 17/31 x 6200 = 3400.
  const fs::path proposal = kExample.parent_path() / "preview_proposal.json";
  const json snap = json::parse(slurp(proposal));
  json plan;
  for (const auto& p : snap["plans"])
    if (p["code"] == "monthly_adv") plan = p;
  ASSERT_FALSE(plan.is_null());
  plan["amount_cents"] = 6200;
  auto change = tariff::parse_plan_change(json{{"plans", json::array({plan})}}.dump());
  ASSERT_TRUE(change.change);
  const auto out = tariff::price_change(slurp(proposal), *change.change);
  ASSERT_TRUE(out.impact) << out.error->to_json();
  EXPECT_FALSE(out.impact->external_customer_id);
  EXPECT_EQ(out.impact->old_total_amount_cents, 1700);
  EXPECT_EQ(out.impact->new_total_amount_cents, 3400);
  EXPECT_EQ(tariff::impact_row_json(*out.impact).dump(),
            R"({"external_customer_id":null,"old_total_amount_cents":1700,"new_total_amount_cents":3400,"delta_amount_cents":1700})");
}
