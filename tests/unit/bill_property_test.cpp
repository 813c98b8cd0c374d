// Property test for bill (docs/billing.md): over generated catalogs, subscriptions, events,
// coupons, taxes, wallets and credit notes, the invoice `bill` issues at a billing date B equals,
// fee for fee and cent for cent, the projection `preview` taken one second before B; events
// after B (in the billing snapshot only) change nothing. The changes add up to the invoice's
// credits: Σ wallet debits = prepaid credits, Σ applied-coupon credits = coupons, Σ consumed
// credit notes = credit notes. Deterministic (fixed seed), a few hundred snapshots.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"

namespace {

using nlohmann::json;

struct Gen {
  std::mt19937 rng{20250201};
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool coin(int percent = 50) { return pick(1, 100) <= percent; }
  template <class T> const T& one(const std::vector<T>& v) { return v[static_cast<size_t>(pick(0, static_cast<int>(v.size()) - 1))]; }
};

// A billing date of each interval, as a local date, for calendar billing and for anniversary
// billing anchored on 2023-01-10 (weekly: 78 weeks later; others: a whole number of periods).
struct Due { std::string interval, calendar, anniversary; };
const std::vector<Due> kDue = {{"weekly", "2024-07-01", "2024-07-09"},
                               {"monthly", "2024-07-01", "2024-07-10"},
                               {"quarterly", "2024-07-01", "2024-07-10"},
                               {"semiannual", "2024-07-01", "2024-07-10"},
                               {"yearly", "2025-01-01", "2025-01-10"}};

// UTC offset (hours) of each zone in July and in January.
struct Zone { std::string name; int july, january; };
const std::vector<Zone> kZones = {{"UTC", 0, 0}, {"Asia/Tokyo", 9, 9}, {"America/Los_Angeles", -7, -8},
                                  {"Europe/Paris", 2, 1}};

// "YYYY-MM-DD" local midnight in a zone of offset h, shifted by `seconds`, as UTC ISO text.
std::string utc_of(const std::string& day, int h, long seconds) {
  std::tm tm{};
  std::sscanf(day.c_str(), "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t t = timegm(&tm) - h * 3600L + seconds;
  std::tm out{};
  gmtime_r(&t, &out);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &out);
  return buf;
}

json charge(Gen& g, const std::string& metric) {
  json c = {{"billable_metric_code", metric}, {"pay_in_advance", false}, {"invoiceable", true}, {"prorated", false}};
  if (g.coin()) {
    c["charge_model"] = "standard";
    c["properties"] = {{"amount", std::to_string(g.pick(0, 50)) + "." + std::to_string(g.pick(0, 99))}};
  } else {
    c["charge_model"] = "graduated";
    c["properties"] = {{"graduated_ranges",
                        {{{"from_value", 0}, {"to_value", 5}, {"per_unit_amount", "1.5"}, {"flat_amount", "3"}},
                         {{"from_value", 6}, {"to_value", nullptr}, {"per_unit_amount", "0.75"}, {"flat_amount", "0"}}}}};
  }
  if (g.coin(15)) c["min_amount_cents"] = g.pick(100, 20000);
  if (g.coin(20)) c["tax_codes"] = {"t" + std::to_string(g.pick(0, 2))};
  if (g.coin(15)) c["pay_in_advance"] = true;  // billed per event: never on the periodic invoice
  return c;
}

json snapshot(Gen& g, bool for_bill, std::string* billing_at) {
  const Due& due = g.one(kDue);
  const Zone& zone = g.one(kZones);
  const bool anniversary = g.coin();
  const std::string day = anniversary ? due.anniversary : due.calendar;
  const int offset = day.substr(5, 2) == "07" ? zone.july : zone.january;
  *billing_at = utc_of(day, offset, 0);

  json p = {{"code", "p0"}, {"name", "p0"}, {"interval", due.interval}, {"amount_cents", g.pick(0, 100000)},
            {"amount_currency", "USD"}, {"pay_in_advance", g.coin()}, {"trial_period", g.coin(15) ? g.pick(1, 40) : 0}};
  p["charges"] = json::array();
  if (g.coin(85)) p["charges"].push_back(charge(g, "calls"));
  if (g.coin(60)) p["charges"].push_back(charge(g, "gb"));
  p["fixed_charges"] = json::array();
  if (g.coin(25))
    p["fixed_charges"].push_back({{"add_on_code", "seats"}, {"charge_model", "standard"}, {"pay_in_advance", g.coin()},
                                  {"prorated", g.coin()}, {"units", std::to_string(g.pick(1, 20))},
                                  {"properties", {{"amount", std::to_string(g.pick(1, 50))}}}});
  if (g.coin(20)) p["minimum_commitment"] = {{"amount_cents", g.pick(1000, 300000)}};
  if (g.coin(30)) p["tax_codes"] = {"t" + std::to_string(g.pick(0, 2))};

  json s;
  s["organization"] = {{"timezone", "UTC"}, {"default_currency", "USD"},
                       {"tax_codes", g.coin() ? json::array({"t0"}) : json::array()}, {"net_payment_term", g.pick(0, 30)}};
  s["taxes"] = json::array();
  for (int i = 0; i < 3; ++i)
    s["taxes"].push_back({{"code", "t" + std::to_string(i)}, {"name", "T"}, {"rate", g.one(std::vector<std::string>{"0", "5", "20", "7.7"})}});
  s["billable_metrics"] = {{{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "count_agg"}},
                           {{"code", "gb"}, {"name", "GB"}, {"aggregation_type", "sum_agg"}, {"field_name", "gb"}}};
  s["plans"] = json::array({p});
  s["coupons"] = json::array();
  s["customer"] = {{"external_id", "cust"}, {"name", "Acme"}, {"currency", "USD"}, {"timezone", zone.name}};
  // Started on the anchor long ago, or a few days before B (first period).
  const std::string start = anniversary || g.coin() ? utc_of("2023-01-10", zone.january, 0)
                                                    : utc_of(day, offset, -86400L * g.pick(1, 5) - 3600L * g.pick(0, 20));
  json sub = {{"external_id", "sub"}, {"plan_code", "p0"}, {"billing_time", anniversary ? "anniversary" : "calendar"},
              {"subscription_at", start}, {"started_at", start}, {"status", "active"}};
  if (g.coin(10)) sub["ending_at"] = *billing_at;  // terminates exactly at B
  s["subscriptions"] = json::array({sub});

  s["events"] = json::array();
  const int n = g.pick(0, 30);
  for (int i = 0; i < n; ++i) {
    // Up to 40 days before B; in the billing snapshot also up to 3 days after it.
    const long back = -static_cast<long>(g.pick(1, 40 * 24)) * 3600L;
    const long after = static_cast<long>(g.pick(0, 3 * 24)) * 3600L + 1;
    const bool late = g.coin(20);  // drawn for both snapshots: their streams stay in step
    json e = {{"transaction_id", "e" + std::to_string(i)}, {"external_subscription_id", "sub"},
              {"timestamp", utc_of(day, offset, late ? after : back)}};
    if (g.coin()) e["code"] = "calls", e["properties"] = json::object();
    else e["code"] = "gb", e["properties"] = {{"gb", std::to_string(g.pick(0, 300))}};
    if (late && !for_bill) continue;
    s["events"].push_back(e);
  }
  s["applied_coupons"] = json::array();
  for (int i = 0; i < g.pick(0, 3); ++i) {
    json a = {{"lago_id", "ac" + std::to_string(i)}, {"coupon_code", "c" + std::to_string(i)}, {"status", "active"},
              {"created_at", "2024-01-0" + std::to_string(i + 1) + "T00:00:00Z"}};
    a["frequency"] = g.one(std::vector<std::string>{"once", "recurring", "forever"});
    if (a["frequency"] == "recurring") a["frequency_duration"] = 5, a["frequency_duration_remaining"] = g.pick(1, 5);
    if (g.coin()) {
      a["coupon_type"] = "percentage";
      a["percentage_rate"] = std::to_string(g.pick(1, 60)) + ".0";
    } else {
      a["coupon_type"] = "fixed_amount";
      a["amount_cents"] = g.pick(100, 20000);
      a["amount_currency"] = "USD";
      if (a["frequency"] == "once") a["amount_cents_remaining"] = g.pick(1, a["amount_cents"].get<int>());
    }
    s["applied_coupons"].push_back(a);
  }
  s["wallets"] = json::array();
  for (int i = 0; i < g.pick(0, 3); ++i) {
    json w = {{"lago_id", "w" + std::to_string(i)}, {"code", "w" + std::to_string(i)}, {"status", "active"},
              {"currency", "USD"}, {"rate_amount", g.coin() ? "1.0" : "0.5"}, {"balance_cents", g.pick(0, 60000)},
              {"priority", g.pick(1, 50)}, {"created_at", "2024-01-01T00:00:00Z"}};
    if (g.coin(30)) w["applies_to"] = {{"fee_types", {g.coin() ? "charge" : "subscription"}}};
    s["wallets"].push_back(w);
  }
  s["credit_notes"] = json::array();
  for (int i = 0; i < g.pick(0, 2); ++i)
    s["credit_notes"].push_back({{"lago_id", "cn" + std::to_string(i)}, {"number", "CN" + std::to_string(i)},
                                 {"balance_amount_cents", g.pick(0, 40000)}, {"currency", "USD"},
                                 {"credit_status", "available"}, {"created_at", "2024-02-01T00:00:00Z"}});
  return s;
}

int64_t sum_of(const json& arr, const char* key) {
  int64_t t = 0;
  for (const auto& x : arr) t += x[key].get<int64_t>();
  return t;
}

TEST(BillProperty, InvoiceAtBillingDateEqualsPreviewJustBefore) {
  int compared = 0, with_coupons = 0, with_prepaid = 0, with_notes = 0, with_late_events = 0, advance = 0, ending = 0;
  for (int iter = 0; iter < 300; ++iter) {
    // The same draws make both snapshots; the billing one also has events after B.
    Gen g1, g2;
    g1.rng.seed(1000 + iter);
    g2.rng.seed(1000 + iter);
    std::string B, B2;
    json preview = snapshot(g1, false, &B);
    json bill = snapshot(g2, true, &B2);
    ASSERT_EQ(B, B2);
    // now: one second before B for the preview; up to a day after B for the bill.
    {
      std::tm tm{};
      std::sscanf(B.c_str(), "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      const time_t t = timegm(&tm);
      char buf[32];
      std::tm x{};
      const time_t before = t - 1, later = t + iter % 5 * 3600;
      gmtime_r(&before, &x);
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &x);
      preview["now"] = buf;
      gmtime_r(&later, &x);
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &x);
      bill["now"] = buf;
    }
    preview["request"] = {{"customer", {{"external_id", "cust"}}}, {"subscriptions", {{"external_ids", {"sub"}}}}};
    bill["request"] = {{"invoicing_reason", "subscription_periodic"}, {"billing_at", B},
                       {"external_subscription_ids", {"sub"}}};
    const tariff::Result pr = tariff::run(tariff::Operation::preview, preview.dump());
    const tariff::Result br = tariff::run(tariff::Operation::bill, bill.dump());
    SCOPED_TRACE("iteration " + std::to_string(iter) + " B=" + B + " plan=" + preview["plans"][0].dump());
    ASSERT_TRUE(pr.ok()) << pr.body;
    ASSERT_TRUE(br.ok()) << br.body;
    const json p = json::parse(pr.body)["invoices"][0];
    const json b = json::parse(br.body);
    ASSERT_EQ(b["invoices"].size(), 1u) << br.body;
    json inv = b["invoices"][0];
    for (auto& f : inv["fees"]) EXPECT_EQ(f["external_subscription_id"], "sub");
    // Fee for fee, cent for cent: every field of every fee, then every total and credit.
    ASSERT_EQ(inv["fees"].size(), p["fees"].size()) << "bill " << inv["fees"].dump() << "\npreview " << p["fees"].dump();
    for (size_t i = 0; i < p["fees"].size(); ++i) EXPECT_EQ(inv["fees"][i], p["fees"][i]) << "fee " << i;
    EXPECT_EQ(inv, p);

    const json& ch = b["changes"];
    EXPECT_EQ(sum_of(ch["wallets"], "debited_amount_cents"), inv["prepaid_credit_amount_cents"].get<int64_t>());
    EXPECT_EQ(sum_of(ch["wallet_transactions"], "amount_cents"), inv["prepaid_credit_amount_cents"].get<int64_t>());
    EXPECT_EQ(sum_of(ch["applied_coupons"], "credit_amount_cents"), inv["coupons_amount_cents"].get<int64_t>());
    EXPECT_EQ(sum_of(ch["credit_notes"], "consumed_amount_cents"), inv["credit_notes_amount_cents"].get<int64_t>());
    for (const auto& w : ch["wallets"]) EXPECT_GE(w["balance_cents"].get<int64_t>(), 0);
    for (const auto& n : ch["credit_notes"]) EXPECT_GE(n["balance_amount_cents"].get<int64_t>(), 0);
    ASSERT_EQ(b["invoice_subscriptions"].size(), 1u);
    EXPECT_EQ(b["invoice_subscriptions"][0]["timestamp"], B);

    // Billing again with this invoice in the history issues nothing.
    json again = bill;
    again["invoices"] = json::array({{{"lago_id", "inv"}, {"invoice_subscriptions", b["invoice_subscriptions"]}}});
    const tariff::Result ar = tariff::run(tariff::Operation::bill, again.dump());
    ASSERT_TRUE(ar.ok()) << ar.body;
    EXPECT_TRUE(json::parse(ar.body)["invoices"].empty());

    ++compared;
    with_coupons += inv["coupons_amount_cents"].get<int64_t>() > 0;
    with_prepaid += inv["prepaid_credit_amount_cents"].get<int64_t>() > 0;
    with_notes += inv["credit_notes_amount_cents"].get<int64_t>() > 0;
    with_late_events += bill["events"].size() > preview["events"].size();
    advance += preview["plans"][0]["pay_in_advance"].get<bool>();
    ending += bill["subscriptions"][0].contains("ending_at");
  }
  EXPECT_EQ(compared, 300);
  // The generator reaches every stage and every kind of billing.
  EXPECT_GT(with_coupons, 50);
  EXPECT_GT(with_prepaid, 50);
  EXPECT_GT(with_notes, 30);
  EXPECT_GT(with_late_events, 100);
  EXPECT_GT(advance, 100);
  EXPECT_GT(ending, 10);
}

}  // namespace

namespace {

// What a server does with a bill result (docs/billing.md): store the invoice and its
// invoice_subscriptions, move the coupons, wallets and credit notes to their new values.
void apply(json& snap, const json& result, const std::string& invoice_id) {
  for (const auto& c : result["changes"]["applied_coupons"])
    for (auto& a : snap["applied_coupons"])
      if (a["lago_id"] == c["lago_id"]) {
        a["status"] = c["status"];
        if (!c["amount_cents_remaining"].is_null()) a["amount_cents_remaining"] = c["amount_cents_remaining"];
        if (!c["frequency_duration_remaining"].is_null()) a["frequency_duration_remaining"] = c["frequency_duration_remaining"];
      }
  for (const auto& c : result["changes"]["wallets"])
    for (auto& w : snap["wallets"])
      if (w["lago_id"] == c["lago_id"]) w["balance_cents"] = c["balance_cents"], w["credits_balance"] = c["credits_balance"];
  for (const auto& c : result["changes"]["credit_notes"]) {
    if (c["lago_id"].is_null()) {
      snap["credit_notes"].push_back({{"lago_id", invoice_id + "_cn"}, {"balance_amount_cents", c["balance_amount_cents"]},
                                      {"currency", c["currency"]}, {"credit_status", c["credit_status"]},
                                      {"created_at", snap["now"]}});
      continue;
    }
    for (auto& n : snap["credit_notes"])
      if (n["lago_id"] == c["lago_id"]) n["balance_amount_cents"] = c["balance_amount_cents"], n["credit_status"] = c["credit_status"];
  }
  for (const auto& inv : result["invoices"]) {
    json stored = inv;
    stored["lago_id"] = invoice_id;
    stored["invoice_subscriptions"] = result["invoice_subscriptions"];
    snap["invoices"].push_back(stored);
  }
}

// Two periods of one customer: what the first invoice consumed is gone from the second.
//   April 1: fees 3100 + 2 calls 400 = 3500; once coupon 1000 → 2500; wallet 3000 pays 2500 (500 left).
//   May 1:   fees 3100 + 1 call 200 = 3300; the coupon is terminated; wallet pays 500 → 2800 due.
TEST(BillState, SecondPeriodSeesWhatTheFirstConsumed) {
  json snap = json::parse(R"({
    "now": "2024-04-01T00:00:05Z",
    "organization": {"timezone": "UTC", "default_currency": "USD"},
    "billable_metrics": [{"code": "calls", "name": "Calls", "aggregation_type": "count_agg"}],
    "plans": [{"code": "m", "name": "m", "interval": "monthly", "amount_cents": 3100, "amount_currency": "USD",
               "charges": [{"billable_metric_code": "calls", "charge_model": "standard", "properties": {"amount": "2"}}]}],
    "customer": {"external_id": "cust", "currency": "USD"},
    "subscriptions": [{"external_id": "sub", "plan_code": "m", "subscription_at": "2024-01-10T00:00:00Z",
                       "started_at": "2024-01-10T00:00:00Z", "status": "active"}],
    "applied_coupons": [{"lago_id": "ac", "coupon_code": "once", "coupon_type": "fixed_amount", "amount_cents": 1000,
                         "amount_currency": "USD", "frequency": "once", "status": "active",
                         "created_at": "2024-01-01T00:00:00Z"}],
    "wallets": [{"lago_id": "w", "status": "active", "currency": "USD", "rate_amount": "1.0", "balance_cents": 3000,
                 "credits_balance": "30.0", "priority": 1, "created_at": "2024-01-01T00:00:00Z"}],
    "credit_notes": [],
    "invoices": [],
    "events": [{"transaction_id": "a", "external_subscription_id": "sub", "code": "calls", "timestamp": "2024-03-05T00:00:00Z"},
               {"transaction_id": "b", "external_subscription_id": "sub", "code": "calls", "timestamp": "2024-03-25T00:00:00Z"},
               {"transaction_id": "c", "external_subscription_id": "sub", "code": "calls", "timestamp": "2024-04-15T00:00:00Z"}],
    "request": {"invoicing_reason": "subscription_periodic", "billing_at": "2024-04-01T00:00:00Z",
                "external_subscription_ids": ["sub"]}})");
  const tariff::Result r1 = tariff::run(tariff::Operation::bill, snap.dump());
  ASSERT_TRUE(r1.ok()) << r1.body;
  const json b1 = json::parse(r1.body);
  EXPECT_EQ(b1["invoices"][0]["coupons_amount_cents"], 1000);
  EXPECT_EQ(b1["invoices"][0]["prepaid_credit_amount_cents"], 2500);
  EXPECT_EQ(b1["invoices"][0]["total_amount_cents"], 0);
  apply(snap, b1, "inv1");
  EXPECT_EQ(snap["applied_coupons"][0]["status"], "terminated");
  EXPECT_EQ(snap["wallets"][0]["balance_cents"], 500);
  EXPECT_EQ(snap["wallets"][0]["credits_balance"], "5.0");

  // The same run again (a retried job): nothing more.
  const tariff::Result again = tariff::run(tariff::Operation::bill, snap.dump());
  ASSERT_TRUE(again.ok()) << again.body;
  EXPECT_TRUE(json::parse(again.body)["invoices"].empty());
  EXPECT_EQ(json::parse(again.body)["already_billed"].size(), 1u);

  // The preview of May, then May's invoice: the same, without the spent coupon.
  json preview = snap;
  preview["now"] = "2024-04-30T23:59:59Z";
  preview["request"] = {{"customer", {{"external_id", "cust"}}}, {"subscriptions", {{"external_ids", {"sub"}}}}};
  const tariff::Result pr = tariff::run(tariff::Operation::preview, preview.dump());
  ASSERT_TRUE(pr.ok()) << pr.body;
  snap["now"] = "2024-05-01T00:00:05Z";
  snap["request"]["billing_at"] = "2024-05-01T00:00:00Z";
  const tariff::Result r2 = tariff::run(tariff::Operation::bill, snap.dump());
  ASSERT_TRUE(r2.ok()) << r2.body;
  const json b2 = json::parse(r2.body);
  json inv2 = b2["invoices"][0];
  EXPECT_EQ(inv2["fees_amount_cents"], 3300);
  EXPECT_EQ(inv2["coupons_amount_cents"], 0);
  EXPECT_EQ(inv2["prepaid_credit_amount_cents"], 500);
  EXPECT_EQ(inv2["total_amount_cents"], 2800);
  EXPECT_EQ(inv2, json::parse(pr.body)["invoices"][0]);
  apply(snap, b2, "inv2");
  EXPECT_EQ(snap["wallets"][0]["balance_cents"], 0);
}

}  // namespace
