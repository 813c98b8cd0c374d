// Property test for `"explain": true` (docs/explain.md): over generated snapshots covering every
// charge model (standard, graduated, graduated_percentage, package, percentage with free
// units, fixed fee and per-transaction min/max, volume, dynamic, prorated standard / volume /
// graduated on a recurring metric), pricing units, per-charge minimums, fixed charges
// (prorated or not), minimum commitments and prorated subscription fees, through preview
// (proposal and projection) and compare_plans:
//   - every fee has an explanation whose line amounts sum exactly to its precise_amount;
//   - every line type is one docs/explain.md names, and the model's lines are there (a
//     graduated fee has graduated_tier lines, ...);
//   - without explain the document is the same with the explanations removed.
// Deterministic (fixed seed).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"
#include "tariff/engine.hpp"

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using tariff::Decimal;

struct Gen {
  std::mt19937 rng{20261201};
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool coin(int percent = 50) { return pick(1, 100) <= percent; }
  std::string money(int max_units) {
    return std::to_string(pick(0, max_units)) + "." + std::to_string(pick(0, 9999));
  }
};

const std::vector<std::string> kModels = {"standard", "graduated", "graduated_percentage", "package",
                                          "percentage", "volume", "dynamic"};

json properties(Gen& g, const std::string& model) {
  if (model == "standard") return {{"amount", g.money(20)}};
  if (model == "graduated" || model == "graduated_percentage" || model == "volume") {
    const bool adjacent = model != "volume" && g.coin();
    json ranges = json::array();
    int from = 0;
    const int n = g.pick(1, 4);
    for (int i = 0; i < n; ++i) {
      const bool last = i == n - 1;
      const int to = from + g.pick(1, 30);
      json r = {{"from_value", from}, {"to_value", last ? json(nullptr) : json(to)}, {"flat_amount", g.money(5)}};
      if (model == "graduated_percentage") r["rate"] = std::to_string(g.pick(0, 9)) + "." + std::to_string(g.pick(0, 99));
      else r["per_unit_amount"] = g.money(3);
      ranges.push_back(r);
      from = adjacent ? to : to + 1;
    }
    return {{model + "_ranges", ranges}};
  }
  if (model == "package")
    return {{"amount", g.money(30)}, {"package_size", g.pick(1, 7)}, {"free_units", g.pick(0, 4)}};
  if (model == "percentage") {
    json p = {{"rate", std::to_string(g.pick(0, 12)) + "." + std::to_string(g.pick(0, 99))}};
    if (g.coin()) p["fixed_amount"] = g.money(1);
    if (g.coin(30)) p["free_units_per_events"] = g.pick(1, 3);
    if (g.coin(30)) p["free_units_per_total_aggregation"] = std::to_string(g.pick(1, 200));
    if (g.coin(40)) p["per_transaction_min_amount"] = g.money(2);
    if (g.coin(40)) p["per_transaction_max_amount"] = std::to_string(g.pick(3, 40));
    return p;
  }
  return json::object();  // dynamic
}

json charge(Gen& g, int i) {
  const std::string& model = kModels[static_cast<size_t>(g.pick(0, static_cast<int>(kModels.size()) - 1))];
  json c = {{"billable_metric_code", "gb"}, {"charge_model", model}, {"invoiceable", true}};
  // A prorated charge on the recurring metric: standard, volume or graduated, in arrears.
  if (i == 0 && g.coin(40)) {
    const char* pm[] = {"standard", "volume", "graduated"};
    c["charge_model"] = pm[g.pick(0, 2)];
    c["billable_metric_code"] = "seats";
    c["prorated"] = true;
  } else if (model != "dynamic" && g.coin(30)) {
    c["billable_metric_code"] = "calls";
  }
  c["properties"] = properties(g, c["charge_model"]);
  if (c["billable_metric_code"] != "seats" && c["charge_model"] != "volume" && g.coin(25)) c["pay_in_advance"] = true;
  if (g.coin(25)) c["min_amount_cents"] = g.pick(100, 30000);
  if (g.coin(20)) c["applied_pricing_unit"] = {{"code", "credits"}, {"conversion_rate", g.coin() ? "0.25" : "1.3333"}};
  if (g.coin(15) && c["billable_metric_code"] == "gb") {
    c["filters"] = {{{"values", {{"region", {"eu"}}}}, {"properties", properties(g, c["charge_model"])}}};
  }
  return c;
}

json plan(Gen& g, const std::string& code) {
  json p = {{"code", code}, {"name", code}, {"interval", g.coin(80) ? "monthly" : "yearly"},
            {"amount_cents", g.pick(0, 100000)}, {"amount_currency", "USD"}, {"pay_in_advance", g.coin(30)}};
  p["charges"] = json::array();
  for (int i = 0, n = g.pick(1, 4); i < n; ++i) p["charges"].push_back(charge(g, i));
  p["fixed_charges"] = json::array();
  if (g.coin(40)) {
    const char* fm[] = {"standard", "graduated", "volume"};
    const std::string m = fm[g.pick(0, 2)];
    p["fixed_charges"].push_back({{"add_on_code", "support"}, {"charge_model", m}, {"units", std::to_string(g.pick(1, 40))},
                                  {"prorated", g.coin()}, {"pay_in_advance", g.coin()}, {"properties", properties(g, m)}});
  }
  if (g.coin(30)) p["minimum_commitment"] = {{"amount_cents", g.pick(1000, 400000)}};
  return p;
}

json snapshot(Gen& g) {
  json s;
  s["now"] = "2024-03-15T12:00:00Z";
  s["organization"] = {{"timezone", g.coin() ? "UTC" : "Europe/Paris"}, {"default_currency", "USD"}};
  s["taxes"] = {{{"code", "vat"}, {"name", "VAT"}, {"rate", "20"}, {"applied_to_organization", g.coin(30)}}};
  s["billable_metrics"] = {
      {{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "count_agg"}},
      {{"code", "gb"}, {"name", "GB"}, {"aggregation_type", "sum_agg"}, {"field_name", "gb"},
       {"filters", {{{"key", "region"}, {"values", {"eu", "us"}}}}}},
      {{"code", "seats"}, {"name", "Seats"}, {"aggregation_type", "sum_agg"}, {"field_name", "n"}, {"recurring", true}}};
  s["plans"] = {plan(g, "p0"), plan(g, "p1"), plan(g, "p2")};
  s["pricing_units"] = {{{"code", "credits"}, {"name", "Credits"}, {"short_name", "CR"}}};
  const std::string start = g.coin() ? "2023-06-10T00:00:00Z" : "2024-03-0" + std::to_string(g.pick(2, 9)) + "T00:00:00Z";
  s["customer"] = {{"external_id", "cust"}, {"name", "Acme"}, {"currency", "USD"}};
  s["subscriptions"] = {{{"external_id", "sub"}, {"plan_code", "p0"}, {"billing_time", g.coin() ? "calendar" : "anniversary"},
                         {"subscription_at", start}, {"started_at", start}, {"status", "active"}}};
  s["events"] = json::array();
  for (int i = 0, n = g.pick(0, 30); i < n; ++i) {
    char ts[32];
    std::snprintf(ts, sizeof ts, "2024-03-%02dT%02d:00:00Z", g.pick(1, 14), g.pick(0, 23));
    json e = {{"transaction_id", "e" + std::to_string(i)}, {"external_subscription_id", "sub"}, {"timestamp", ts}};
    switch (g.pick(0, 2)) {
      case 0: e["code"] = "calls"; e["properties"] = json::object(); break;
      case 1:
        e["code"] = "gb";
        e["properties"] = {{"gb", g.money(90)}, {"region", g.coin() ? "eu" : "us"}};
        if (g.coin()) e["precise_total_amount_cents"] = g.money(500);
        break;
      default: e["code"] = "seats"; e["properties"] = {{"n", std::to_string(g.pick(-3, 12))}};
    }
    s["events"].push_back(e);
  }
  return s;
}

const std::set<std::string> kLineTypes = {
    "subscription", "units", "graduated_tier", "graduated_percentage_tier", "volume_tier", "flat_fee",
    "free_units", "packages", "percentage", "fixed_fee", "per_transaction_min_max", "dynamic",
    "prorated_graduated", "pricing_unit_conversion", "charge_minimum", "charge_fees",
    "minimum_commitment", "fees_in_period", "negative_amount_zeroed", "billed_before_event"};

struct Tally {
  std::map<std::string, int> types;
  int fees = 0;
};

void check_fees(const ordered_json& fees, Tally& t) {
  for (const auto& f : fees) {
    SCOPED_TRACE(f.dump());
    ASSERT_TRUE(f.contains("explanation"));
    const auto& lines = f["explanation"];
    ASSERT_TRUE(lines.is_array());
    ASSERT_FALSE(lines.empty());
    Decimal sum;
    for (const auto& l : lines) {
      const std::string type = l.at("type").get<std::string>();
      EXPECT_TRUE(kLineTypes.count(type)) << type;
      ++t.types[type];
      const auto a = Decimal::parse(l.at("amount").get<std::string>());
      ASSERT_TRUE(a.has_value());
      sum += *a;
    }
    const Decimal precise = *Decimal::parse(f["precise_amount"].get<std::string>());
    EXPECT_EQ(sum.to_string(), precise.to_string());
    // The lines that take the fee's amount minus the others stand for what they say.
    const auto dec = [](const ordered_json& v) { return *Decimal::parse(v.get<std::string>()); };
    for (const auto& l : lines) {
      const std::string type = l["type"];
      if (type == "negative_amount_zeroed") EXPECT_TRUE(precise.is_zero());
      if (type == "charge_fees" || type == "fees_in_period") EXPECT_LE(dec(l["amount"]), Decimal());
      if (l.contains("units_by_days")) {
        // A prorated charge, days over days: ceil(Σ units × days / period_days, 5) is what it priced.
        Decimal unit_days;
        for (const auto& part : l["units_by_days"]) unit_days += dec(part["units"]) * Decimal(part["days"].get<int64_t>());
        const Decimal period(l["period_days"].get<int64_t>());
        EXPECT_EQ(Decimal::mul_div(unit_days, Decimal(1), period, 5, tariff::RoundingMode::ceil).to_string(),
                  dec(l["prorated_units"]).to_string());
        ++t.types["(units_by_days)"];
      }
      if (type == "pricing_unit_conversion") {
        // The PU total of the model lines, rounded to cents, is the fee's PU amount; this line
        // converts that rounding: (rounded − total) × rate, to the 18th decimal.
        Decimal pu_total;
        for (const auto& m : lines)
          if (m.contains("pricing_unit_amount") && m["type"] != "pricing_unit_conversion") pu_total += dec(m["pricing_unit_amount"]);
        EXPECT_EQ(dec(l["pricing_unit_amount"]), pu_total);
        EXPECT_EQ(dec(l["rounded_pricing_unit_amount"]) * Decimal(100),
                  Decimal(f["pricing_unit_details"]["amount_cents"].get<int64_t>()));
        const Decimal expected = (dec(l["rounded_pricing_unit_amount"]) - pu_total) * dec(l["conversion_rate"]);
        const Decimal diff = dec(l["amount"]) - expected;
        EXPECT_LE(diff.is_negative() ? -diff : diff, *Decimal::parse("0.00000000000000001"));
      }
    }
    const std::string kind = f["item"]["type"];
    if (kind == "charge" || kind == "fixed_charge") {
      // A model line comes first; the guard, the in-advance difference and the conversion follow it.
      const std::string first = lines[0]["type"];
      EXPECT_TRUE(first != "negative_amount_zeroed" && first != "billed_before_event" && first != "pricing_unit_conversion")
          << first;
    }
    ++t.fees;
  }
}

ordered_json without_explanations(ordered_json doc) {
  if (doc.is_object()) {
    doc.erase("explanation");
    for (auto& [k, v] : doc.items()) v = without_explanations(v);
  } else if (doc.is_array()) {
    for (auto& v : doc) v = without_explanations(v);
  }
  return doc;
}

TEST(ExplainProperty, LinesSumToEveryFee) {
  Gen g;
  Tally t;
  int runs = 0;
  for (int iter = 0; iter < 300; ++iter) {
    json snap = snapshot(g);
    const int mode = g.pick(0, 3);
    tariff::Operation op = tariff::Operation::preview;
    if (mode == 0) {
      snap["request"] = {{"customer", {{"currency", "USD"}}}, {"plan_code", "p" + std::to_string(g.pick(0, 2))},
                         {"subscription_at", "2024-03-0" + std::to_string(g.pick(1, 9)) + "T00:00:00Z"}};
    } else if (mode == 1) {
      snap["request"] = {{"customer", {{"external_id", "cust"}}}, {"subscriptions", {{"external_ids", {"sub"}}}}};
    } else if (mode == 2) {
      op = tariff::Operation::compare_plans;
      snap["request"] = {{"external_subscription_id", "sub"}};
    } else {
      op = tariff::Operation::estimate_fees;
      snap["request"] = {{"event", {{"code", g.coin() ? "gb" : "calls"}, {"external_subscription_id", "sub"},
                                     {"properties", {{"gb", g.money(40)}, {"region", "eu"}}}}}};
    }
    const tariff::Result plain = tariff::run(op, snap.dump());
    snap["request"]["explain"] = true;
    const tariff::Result explained = tariff::run(op, snap.dump());
    SCOPED_TRACE("iteration " + std::to_string(iter) + ": " + snap.dump());
    ASSERT_EQ(plain.status, explained.status) << explained.body;
    if (!plain.ok() && op == tariff::Operation::estimate_fees) {  // no pay-in-advance charge on it
      EXPECT_EQ(plain.body, explained.body);
      ++runs;
      continue;
    }
    if (!plain.ok()) {
      ADD_FAILURE() << plain.body;
      continue;
    }
    EXPECT_EQ(plain.body.find("explanation"), std::string::npos);
    const ordered_json doc = ordered_json::parse(explained.body);
    EXPECT_EQ(without_explanations(doc).dump(), ordered_json::parse(plain.body).dump());
    if (op == tariff::Operation::estimate_fees) {
      check_fees(doc["fees"], t);
    } else if (op == tariff::Operation::preview) {
      for (const auto& inv : doc["invoices"]) check_fees(inv["fees"], t);
    } else {
      for (const auto& p : doc["plans"]) check_fees(p["invoice"]["fees"], t);
    }
    ++runs;
  }
  EXPECT_EQ(runs, 300);
  EXPECT_GT(t.fees, 1000);
  // Every kind of line is reached (a negative model amount needs negative usage: rare).
  EXPECT_GT(t.types["(units_by_days)"], 0);
  for (const auto& type : kLineTypes)
    if (type != "negative_amount_zeroed") EXPECT_GT(t.types[type], 0) << type;
}

TEST(ExplainProperty, RequestExplainMustBeBoolean) {
  const json snap = {{"now", "2024-03-15T12:00:00Z"},
                     {"plans", {{{"code", "p"}, {"name", "p"}, {"interval", "monthly"}, {"amount_cents", 100},
                                 {"amount_currency", "USD"}}}},
                     {"request", {{"customer", {{"currency", "USD"}}}, {"plan_code", "p"}, {"explain", "yes"}}}};
  const tariff::Result r = tariff::run(tariff::Operation::preview, snap.dump());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body)["error_details"], json({{"request.explain", {"invalid_type"}}}));
}

}  // namespace
