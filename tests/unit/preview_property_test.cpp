// Property test for preview: over generated snapshots (random plans, charges, events, coupons,
// taxes, wallets, credit notes, and every preview mode) the invoice must reconcile:
//   fees − coupons = sub_total_excluding; + taxes = sub_total_including;
//   − credit notes − prepaid credits = total = total_due; every amount ≥ 0;
//   taxes = round(Σ_taxes Σ_fees base × rate / 100), each applied tax within ½ cent of its
//   unrounded value; credits[] add up to the coupon and credit-note totals.
// Deterministic (fixed seed), bounded to a few hundred snapshots.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"
#include "tariff/engine.hpp"

namespace {

using nlohmann::json;
using tariff::Decimal;

struct Gen {
  std::mt19937 rng{20240315};
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool coin(int percent = 50) { return pick(1, 100) <= percent; }
  template <class T> const T& one(const std::vector<T>& v) { return v[static_cast<size_t>(pick(0, static_cast<int>(v.size()) - 1))]; }
};

const std::vector<std::string> kIntervals = {"weekly", "monthly", "quarterly", "semiannual", "yearly"};
const std::vector<std::string> kTaxRates = {"0", "5", "10", "20", "2.5", "7.7", "19.6"};

json charge(Gen& g, const std::string& metric) {
  json c = {{"billable_metric_code", metric}, {"pay_in_advance", false}, {"invoiceable", true}, {"prorated", false},
            {"filters", json::array()}};
  switch (g.pick(0, 2)) {
    case 0:
      c["charge_model"] = "standard";
      c["properties"] = {{"amount", std::to_string(g.pick(0, 500)) + "." + std::to_string(g.pick(0, 99))}};
      break;
    case 1:
      c["charge_model"] = "graduated";
      c["properties"] = {{"graduated_ranges",
                          {{{"from_value", 0}, {"to_value", 5}, {"per_unit_amount", "1.5"}, {"flat_amount", "3"}},
                           {{"from_value", 6}, {"to_value", nullptr}, {"per_unit_amount", "0.75"}, {"flat_amount", "0"}}}}};
      break;
    default:
      c["charge_model"] = "package";
      c["properties"] = {{"amount", std::to_string(g.pick(1, 40))}, {"package_size", g.pick(1, 5)}, {"free_units", g.pick(0, 3)}};
  }
  if (g.coin(20)) c["min_amount_cents"] = g.pick(100, 20000);
  if (g.coin(25)) c["tax_codes"] = {"t" + std::to_string(g.pick(0, 2))};
  return c;
}

json plan(Gen& g, const std::string& code) {
  json p = {{"code", code}, {"name", code}, {"interval", g.one(kIntervals)}, {"amount_cents", g.pick(0, 100000)},
            {"amount_currency", "USD"}, {"pay_in_advance", g.coin()}, {"trial_period", g.coin(15) ? g.pick(1, 40) : 0}};
  p["charges"] = json::array();
  if (g.coin(80)) p["charges"].push_back(charge(g, "calls"));
  if (g.coin(60)) p["charges"].push_back(charge(g, "gb"));
  p["fixed_charges"] = json::array();
  if (g.coin(30))
    p["fixed_charges"].push_back({{"add_on_code", "seats"}, {"charge_model", "standard"}, {"pay_in_advance", g.coin()},
                                  {"prorated", g.coin()}, {"units", std::to_string(g.pick(1, 20))},
                                  {"properties", {{"amount", std::to_string(g.pick(1, 50))}}}});
  if (g.coin(25)) p["minimum_commitment"] = {{"amount_cents", g.pick(1000, 300000)}};
  if (g.coin(30)) p["tax_codes"] = {"t" + std::to_string(g.pick(0, 2))};
  return p;
}

json coupon(Gen& g, int i) {
  json c = {{"code", "c" + std::to_string(i)}, {"name", "c" + std::to_string(i)}, {"frequency", "once"}};
  if (g.coin()) {
    c["coupon_type"] = "percentage";
    c["percentage_rate"] = std::to_string(g.pick(1, 100)) + ".0";
  } else {
    c["coupon_type"] = "fixed_amount";
    c["amount_cents"] = g.pick(1, 50000);
    c["amount_currency"] = g.coin(90) ? "USD" : "EUR";
  }
  if (g.coin(20)) c["billable_metric_codes"] = {g.coin() ? "calls" : "gb"};
  else if (g.coin(20)) c["plan_codes"] = {g.coin() ? "p0" : "p1"};
  return c;
}

json snapshot(Gen& g) {
  json s;
  s["now"] = "2024-03-15T12:00:00Z";
  s["organization"] = {{"timezone", g.coin() ? "UTC" : "Europe/Paris"}, {"default_currency", "USD"},
                       {"tax_codes", g.coin() ? json::array({"t0"}) : json::array()}};
  s["taxes"] = json::array();
  for (int i = 0; i < 3; ++i) s["taxes"].push_back({{"code", "t" + std::to_string(i)}, {"name", "T"}, {"rate", g.one(kTaxRates)}});
  s["billable_metrics"] = {{{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "count_agg"}},
                           {{"code", "gb"}, {"name", "GB"}, {"aggregation_type", "sum_agg"}, {"field_name", "gb"}}};
  s["plans"] = {plan(g, "p0"), plan(g, "p1")};
  s["coupons"] = json::array();
  for (int i = 0; i < 3; ++i) s["coupons"].push_back(coupon(g, i));
  const std::string start = g.one(std::vector<std::string>{"2023-06-10T00:00:00Z", "2024-01-31T08:00:00Z", "2024-03-01T00:00:00Z",
                                                          "2024-03-14T22:30:00Z", "2022-12-31T00:00:00Z"});
  s["customer"] = {{"external_id", "cust"}, {"name", "Acme"}, {"currency", "USD"},
                   {"tax_codes", g.coin(25) ? json::array({"t2"}) : json::array()}};
  s["subscriptions"] = {{{"external_id", "sub"}, {"plan_code", "p0"}, {"billing_time", g.coin() ? "calendar" : "anniversary"},
                         {"subscription_at", start}, {"started_at", start}, {"status", "active"}}};
  s["events"] = json::array();
  const int n = g.pick(0, 25);
  for (int i = 0; i < n; ++i) {
    char ts[32];
    std::snprintf(ts, sizeof ts, "2024-%02d-%02dT%02d:00:00Z", g.pick(1, 3), g.pick(1, 28), g.pick(0, 23));
    json e = {{"transaction_id", "e" + std::to_string(i)}, {"external_subscription_id", "sub"}, {"timestamp", ts}};
    if (g.coin()) e["code"] = "calls", e["properties"] = json::object();
    else e["code"] = "gb", e["properties"] = {{"gb", std::to_string(g.pick(0, 300))}};
    s["events"].push_back(e);
  }
  s["applied_coupons"] = json::array();
  if (g.coin(40))
    for (int i = 0; i < g.pick(1, 3); ++i)
      s["applied_coupons"].push_back({{"coupon_code", "c" + std::to_string(i)}, {"status", "active"},
                                      {"created_at", "2024-01-0" + std::to_string(i + 1) + "T00:00:00Z"}});
  s["wallets"] = json::array();
  for (int i = 0; i < g.pick(0, 3); ++i) {
    json w = {{"code", "w" + std::to_string(i)}, {"status", "active"}, {"currency", "USD"}, {"rate_amount", "1.0"},
              {"balance_cents", g.pick(0, 60000)}, {"priority", g.pick(1, 50)}, {"created_at", "2024-01-01T00:00:00Z"}};
    if (g.coin(30)) w["applies_to"] = {{"fee_types", {g.coin() ? "charge" : "subscription"}}};
    s["wallets"].push_back(w);
  }
  s["credit_notes"] = json::array();
  for (int i = 0; i < g.pick(0, 2); ++i)
    s["credit_notes"].push_back({{"number", "cn" + std::to_string(i)}, {"balance_amount_cents", g.pick(0, 40000)},
                                 {"currency", "USD"}, {"credit_status", "available"}, {"created_at", "2024-02-01T00:00:00Z"}});
  switch (g.pick(0, 4)) {
    case 0:
      s["request"] = {{"customer", {{"currency", "USD"}}}, {"plan_code", g.coin() ? "p0" : "p1"},
                      {"billing_time", g.coin() ? "calendar" : "anniversary"}, {"subscription_at", start},
                      {"coupons", json::array({coupon(g, 7), coupon(g, 8)})}};
      break;
    case 1:
      s["request"] = {{"customer", {{"external_id", "cust"}}}, {"subscriptions", {{"external_ids", {"sub"}}}}};
      break;
    case 2:
      s["request"] = {{"customer", {{"external_id", "cust"}}},
                      {"subscriptions", {{"external_ids", {"sub"}}, {"terminated_at", "2024-03-2" + std::to_string(g.pick(0, 9)) + "T10:00:00Z"}}}};
      break;
    default:
      s["request"] = {{"customer", {{"external_id", "cust"}}}, {"subscriptions", {{"external_ids", {"sub"}}, {"plan_code", "p1"}}}};
  }
  return s;
}

TEST(PreviewProperty, InvoicesReconcile) {
  Gen g;
  int checked = 0, with_coupons = 0, with_notes = 0, with_prepaid = 0, with_taxes = 0;
  for (int iter = 0; iter < 400; ++iter) {
    const json snap = snapshot(g);
    const tariff::Result r = tariff::run(tariff::Operation::preview, snap.dump());
    const json out = json::parse(r.body);
    if (!r.ok()) {
      // These snapshots are all well formed: nothing may be refused.
      ADD_FAILURE() << "iteration " << iter << ": " << r.body << "\n" << snap["request"].dump();
      continue;
    }
    const json& inv = out["invoices"][0];
    const auto I = [&](const char* k) { return inv.at(k).get<int64_t>(); };
    SCOPED_TRACE("iteration " + std::to_string(iter) + ": " + inv.dump());

    int64_t fees = 0;
    for (const auto& f : inv["fees"]) {
      fees += f["amount_cents"].get<int64_t>();
      EXPECT_GE(f["amount_cents"].get<int64_t>(), 0);
      EXPECT_GE(f["sub_total_excluding_taxes_amount_cents"].get<int64_t>(), 0);
      EXPECT_LE(f["sub_total_excluding_taxes_amount_cents"].get<int64_t>(), f["amount_cents"].get<int64_t>());
      EXPECT_EQ(f["total_amount_cents"].get<int64_t>(), f["amount_cents"].get<int64_t>() + f["taxes_amount_cents"].get<int64_t>());
    }
    EXPECT_EQ(I("fees_amount_cents"), fees);
    int64_t coupons = 0, notes = 0;
    for (const auto& c : inv["credits"]) {
      EXPECT_GT(c["amount_cents"].get<int64_t>(), 0);
      (c["before_taxes"].get<bool>() ? coupons : notes) += c["amount_cents"].get<int64_t>();
    }
    EXPECT_EQ(I("coupons_amount_cents"), coupons);
    EXPECT_EQ(I("credit_notes_amount_cents"), notes);
    EXPECT_LE(coupons, fees);
    EXPECT_EQ(I("sub_total_excluding_taxes_amount_cents"), fees - coupons);
    EXPECT_EQ(I("sub_total_including_taxes_amount_cents"), I("sub_total_excluding_taxes_amount_cents") + I("taxes_amount_cents"));
    EXPECT_EQ(I("total_amount_cents"),
              I("sub_total_including_taxes_amount_cents") - notes - I("prepaid_credit_amount_cents"));
    EXPECT_EQ(I("total_due_amount_cents"), I("total_amount_cents"));
    for (const char* k : {"fees_amount_cents", "coupons_amount_cents", "taxes_amount_cents", "credit_notes_amount_cents",
                          "prepaid_credit_amount_cents", "sub_total_excluding_taxes_amount_cents", "total_amount_cents"})
      EXPECT_GE(I(k), 0) << k;

    // Taxes (§8): each fee's base is amount − precise coupons; the invoice total is the
    // rounded Σ base × rate / 100 over all fees (not the Σ of per-fee or per-tax roundings),
    // and each applied tax is within ½ cent of its own unrounded share.
    Decimal unrounded;
    for (const auto& f : inv["fees"]) {
      const Decimal base = Decimal(f["amount_cents"].get<int64_t>()) - *Decimal::parse(f["precise_coupons_amount_cents"].get<std::string>());
      const Decimal rate = *Decimal::parse(f["taxes_rate"].dump());
      if (base.is_positive()) unrounded += base * rate / Decimal(100);
      EXPECT_EQ(f["taxes_amount_cents"].get<int64_t>(), (base.is_positive() ? base * rate / Decimal(100) : Decimal()).round(0).to_int64());
    }
    EXPECT_EQ(I("taxes_amount_cents"), unrounded.round(0).to_int64());
    int64_t applied = 0;
    for (const auto& a : inv["applied_taxes"]) applied += a["amount_cents"].get<int64_t>();
    EXPECT_LE(std::abs(applied - I("taxes_amount_cents")), static_cast<int64_t>(inv["applied_taxes"].size() + 1) / 2);
    with_coupons += coupons > 0;
    with_notes += notes > 0;
    with_prepaid += I("prepaid_credit_amount_cents") > 0;
    with_taxes += I("taxes_amount_cents") > 0;
    ++checked;
  }
  EXPECT_GT(checked, 300);
  // The generator reaches every stage of the pipeline.
  EXPECT_GT(with_coupons, 30);
  EXPECT_GT(with_notes, 30);
  EXPECT_GT(with_prepaid, 30);
  EXPECT_GT(with_taxes, 100);
}

}  // namespace
