// Property test for pre-aggregated usage (tariff/usage_aggregates.hpp): over generated
// catalogs (every aggregation, recurring or not, expressions, metric filters), charges (every
// charge model, charge filters, pricing groups, proration, pay in advance), time zones with
// half- and quarter-hour offsets, subscriptions starting and ending off the quarter-hour grid,
// and events crowded into a few quarter-hours, the snapshot with its events replaced by
// aggregates (aggregate_snapshot, the server's own code path) answers every operation with
// the same bytes as the raw snapshot. Deterministic (fixed seed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"
#include "tariff/json.hpp"
#include "tariff/time.hpp"
#include "tariff/usage_aggregates.hpp"

namespace {

using nlohmann::json;

struct Gen {
  std::mt19937 rng{20261201};
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  bool coin(int percent = 50) { return pick(1, 100) <= percent; }
  template <class T>
  const T& one(const std::vector<T>& v) {
    return v[static_cast<size_t>(pick(0, static_cast<int>(v.size()) - 1))];
  }
};

const std::vector<std::string> kZones = {"UTC", "Europe/Paris", "Asia/Kathmandu", "America/St_Johns",
                                         "Australia/Eucla", "Pacific/Chatham", "America/New_York"};

json metrics() {
  const json filters = json::array({{{"key", "region"}, {"values", {"eu", "us"}}}, {{"key", "tier"}, {"values", {"a", "b"}}}});
  json m = json::array();
  const auto add = [&](const char* code, const char* agg, const char* field, bool recurring, const char* expr = nullptr) {
    json x = {{"code", code}, {"name", code}, {"aggregation_type", agg}, {"recurring", recurring}, {"filters", filters}};
    if (field) x["field_name"] = field;
    if (expr) x["expression"] = expr;
    if (std::string(agg) == "weighted_sum_agg") x["weighted_interval"] = "seconds";
    m.push_back(x);
  };
  add("c", "count_agg", nullptr, false);
  add("s", "sum_agg", "v", false);
  add("rs", "sum_agg", "v", true);
  add("mx", "max_agg", "v", false);
  add("lt", "latest_agg", "v", false);
  add("u", "unique_count_agg", "uid", false);
  add("ru", "unique_count_agg", "uid", true);
  add("w", "weighted_sum_agg", "v", false);
  add("rw", "weighted_sum_agg", "v", true);
  add("ex", "sum_agg", "total", false, "event.properties.a * 2 + round(event.properties.b / 3, 2)");
  json rounded = {{"code", "rd"}, {"name", "rd"}, {"aggregation_type", "sum_agg"}, {"field_name", "v"},
                  {"rounding_function", "ceil"}, {"rounding_precision", 1}, {"filters", filters}};
  m.push_back(rounded);
  return m;
}

const std::vector<std::string> kCodes = {"c", "s", "rs", "mx", "lt", "u", "ru", "w", "rw", "ex", "rd"};

json properties(Gen& g, const std::string& model, const std::string& code) {
  const auto amount = [&] { return std::to_string(g.pick(0, 40)) + "." + std::to_string(g.pick(0, 99)); };
  if (model == "standard") return {{"amount", amount()}};
  if (model == "graduated")
    return {{"graduated_ranges",
             {{{"from_value", 0}, {"to_value", 10}, {"per_unit_amount", amount()}, {"flat_amount", "2"}},
              {{"from_value", 11}, {"to_value", nullptr}, {"per_unit_amount", amount()}, {"flat_amount", "1"}}}}};
  if (model == "volume")
    return {{"volume_ranges",
             {{{"from_value", 0}, {"to_value", 50}, {"per_unit_amount", amount()}, {"flat_amount", "3"}},
              {{"from_value", 51}, {"to_value", nullptr}, {"per_unit_amount", amount()}, {"flat_amount", "0"}}}}};
  if (model == "package") return {{"amount", amount()}, {"package_size", g.pick(1, 7)}, {"free_units", g.pick(0, 4)}};
  if (model == "graduated_percentage")
    return {{"graduated_percentage_ranges",
             {{{"from_value", 0}, {"to_value", 100}, {"rate", "1.5"}, {"flat_amount", "1"}},
              {{"from_value", 101}, {"to_value", nullptr}, {"rate", "0.5"}, {"flat_amount", "0"}}}}};
  if (model == "percentage") {
    json p = {{"rate", std::to_string(g.pick(0, 5)) + ".25"}};
    if (g.coin(40)) p["fixed_amount"] = "0.5";
    if (g.coin(25)) p["free_units_per_events"] = g.pick(1, 4);
    if (g.coin(25)) p["free_units_per_total_aggregation"] = std::to_string(g.pick(1, 60));
    if (g.coin(20)) p["per_transaction_min_amount"] = "0.3";
    if (g.coin(20)) p["per_transaction_max_amount"] = "4";
    return p;
  }
  (void)code;
  return json::object();  // dynamic
}

json charge(Gen& g, const std::string& code) {
  const bool value_like = code == "mx" || code == "lt" || code == "w" || code == "rw";
  const bool recurring = code == "rs" || code == "ru" || code == "rw";
  std::vector<std::string> models = {"standard", "graduated", "volume", "package", "percentage"};
  if (code == "s" || code == "rs" || code == "ex") models.push_back("dynamic");
  if (code == "s" || code == "c") models.push_back("graduated_percentage");
  const std::string model = g.one(models);
  json c = {{"billable_metric_code", code}, {"charge_model", model}, {"invoiceable", true}};
  c["properties"] = properties(g, model, code);
  c["pay_in_advance"] = !value_like && !recurring && (model == "standard" || model == "package" || model == "graduated" ||
                                                      model == "percentage") && g.coin(20);
  c["prorated"] = recurring && code != "rw" && (model == "standard" || model == "volume" || model == "graduated") &&
                  !c["pay_in_advance"].get<bool>() && g.coin(60);
  if (g.coin(35)) c["properties"]["pricing_group_keys"] = {g.coin() ? "region" : "tier"};
  c["filters"] = json::array();
  if (g.coin(40)) {
    c["filters"].push_back({{"values", {{"region", {"eu"}}}}, {"properties", properties(g, model, code)}});
    if (g.coin()) c["filters"].push_back({{"values", {{"region", {"us"}}, {"tier", {"a", "b"}}}}, {"properties", properties(g, model, code)}});
  }
  return c;
}

std::string instant(Gen& g, int month_lo, int month_hi) {
  char ts[40];
  std::snprintf(ts, sizeof ts, "2024-%02d-%02dT%02d:%02d:%02d.%03dZ", g.pick(month_lo, month_hi), g.pick(1, 28),
                g.pick(0, 23), g.pick(0, 59), g.pick(0, 59), g.pick(0, 999));
  return ts;
}

json snapshot(Gen& g) {
  json s;
  s["now"] = g.coin() ? "2024-03-15T12:07:31Z" : "2024-03-31T21:52:10.250Z";
  s["organization"] = {{"timezone", g.one(kZones)}, {"default_currency", "USD"}};
  s["taxes"] = json::array();
  s["billable_metrics"] = metrics();
  json p = {{"code", "p0"}, {"name", "p0"}, {"interval", g.coin(80) ? "monthly" : "weekly"}, {"amount_cents", 1000},
            {"amount_currency", g.coin(85) ? "USD" : "JPY"}, {"pay_in_advance", g.coin()}};
  p["charges"] = json::array();
  for (int i = 0, n = g.pick(1, 4); i < n; ++i) p["charges"].push_back(charge(g, g.one(kCodes)));
  std::vector<std::string> charged;
  for (const auto& c : p["charges"]) charged.push_back(c["billable_metric_code"]);
  json p1 = p;
  p1["code"] = "p1", p1["name"] = "p1", p1["amount_cents"] = 5000;
  s["plans"] = {p, p1};
  s["coupons"] = json::array();
  s["customer"] = {{"external_id", "cust"}, {"name", "Acme"}, {"currency", p["amount_currency"]}};
  if (g.coin()) s["customer"]["timezone"] = g.one(kZones);
  const std::string start = g.coin(30) ? "2023-11-05T00:00:00Z" : instant(g, 1, 3);
  json sub = {{"external_id", "sub"}, {"plan_code", "p0"}, {"billing_time", g.coin() ? "calendar" : "anniversary"},
              {"subscription_at", start}, {"started_at", start}, {"status", "active"}};
  s["subscriptions"] = json::array({sub});  // not {sub}: a one-element brace list copies under clang
  // Events crowded into a few quarter-hours (so that aggregates hold many), spread in time.
  std::vector<std::string> hot;
  for (int i = 0; i < 2; ++i) hot.push_back(instant(g, 1, 3).substr(0, 14));  // "2024-02-11T07:"
  hot.push_back("2024-03-15T13:");  // holds a preview's termination (cases())
  s["events"] = json::array();
  for (int i = 0, n = g.pick(0, 120); i < n; ++i) {
    std::string ts;
    if (g.coin(70)) {
      char tail[24];
      if (g.coin()) {  // one quarter-hour
        std::snprintf(tail, sizeof tail, "%02d:%02d.%03dZ", g.pick(0, 14), g.pick(0, 59), g.pick(0, 999));
        ts = g.one(hot) + tail;
      } else {  // one UTC day, any quarter-hour (compacted into a local day)
        std::snprintf(tail, sizeof tail, "%02d:%02d:%02d.%03dZ", g.pick(0, 23), g.pick(0, 59), g.pick(0, 59), g.pick(0, 999));
        ts = g.one(hot).substr(0, 11) + tail;
      }
    } else {
      ts = instant(g, 1, 4);
    }
    json props = json::object();
    if (g.coin(80)) props["region"] = g.coin() ? "eu" : "us";
    if (g.coin(20)) props["tier"] = g.coin() ? "a" : "b";
    if (g.coin(90)) {
      const int k = g.pick(0, 9);
      if (k == 0) props["v"] = "abc";
      else if (k == 1) props["v"] = -g.pick(1, 50);
      else if (k == 9) props["v"] = "1e3";
      else if (k == 2) props["v"] = std::to_string(g.pick(0, 999)) + "." + std::to_string(g.pick(0, 999));
      else props["v"] = g.pick(0, 100);
    }
    const std::string code = g.coin(90) ? g.one(charged) : g.one(kCodes);
    if (code == "u" || code == "ru" || g.coin(5)) {
      props["uid"] = "u" + std::to_string(g.pick(0, 5));
      if (g.coin(30)) props["operation_type"] = "remove";
    }
    if (code == "ex" || g.coin(5)) {
      props["a"] = std::to_string(g.pick(0, 20));
      if (g.coin(90)) props["b"] = std::to_string(g.pick(0, 100)) + ".5";
    }
    json e = {{"transaction_id", "e" + std::to_string(i)}, {"external_subscription_id", "sub"},
              {"code", code}, {"timestamp", ts}, {"properties", props}};
    if (g.coin(30)) e["precise_total_amount_cents"] = std::to_string(g.pick(0, 5000)) + "." + std::to_string(g.pick(0, 99));
    if (g.coin(3) && i > 0) e["transaction_id"] = "e" + std::to_string(i - 1);  // a duplicate
    s["events"].push_back(e);
  }
  s["applied_coupons"] = json::array();
  s["wallets"] = json::array();
  s["credit_notes"] = json::array();
  return s;
}

struct Case {
  tariff::Operation op;
  json request;
};

std::vector<Case> cases(Gen& g) {
  std::vector<Case> out;
  out.push_back({tariff::Operation::current_usage, {{"external_subscription_id", "sub"}}});
  out.push_back({tariff::Operation::projected_usage, {{"external_subscription_id", "sub"}}});
  out.push_back({tariff::Operation::preview, {{"customer", {{"external_id", "cust"}}}, {"subscriptions", {{"external_ids", {"sub"}}}}}});
  out.push_back({tariff::Operation::preview,
                 {{"customer", {{"external_id", "cust"}}},
                  {"subscriptions", {{"external_ids", {"sub"}}, {"terminated_at", instant(g, 3, 3)}}}}});
  out.push_back({tariff::Operation::preview,
                 {{"customer", {{"external_id", "cust"}}}, {"subscriptions", {{"external_ids", {"sub"}}, {"plan_code", "p1"}}}}});
  // A termination inside a quarter-hour full of events: that quarter-hour is read raw.
  out.push_back({tariff::Operation::preview,
                 {{"customer", {{"external_id", "cust"}}},
                  {"subscriptions", {{"external_ids", {"sub"}}, {"terminated_at", "2024-03-15T13:05:00Z"}}}}});
  return out;
}

TEST(UsageAggregatesProperty, AggregatesAnswerTheSameBytesAsEvents) {
  Gen g;
  int compared = 0, answered = 0, with_aggregates = 0;
  size_t events_in = 0, rows_out = 0;
  for (int iter = 0; iter < 100; ++iter) {
    json snap = snapshot(g);
    for (const Case& c : cases(g)) {
      snap["request"] = c.request;
      const std::string raw = snap.dump();
      const std::string agg = tariff::usage::aggregate_snapshot(raw);
      const json aggregated = json::parse(agg);
      if (!aggregated.contains("usage_aggregates")) {  // the snapshot is refused as a whole
        EXPECT_FALSE(tariff::run(c.op, raw).ok());
        ++compared;
        continue;
      }
      const size_t rows = aggregated["events"].size() + aggregated["usage_aggregates"].size();
      if (!aggregated["usage_aggregates"].empty()) ++with_aggregates;
      events_in += snap["events"].size();
      rows_out += rows;
      const tariff::Result a = tariff::run(c.op, raw), b = tariff::run(c.op, agg);
      SCOPED_TRACE("iteration " + std::to_string(iter) + " " + tariff::operation_name(c.op) + " " + c.request.dump());
      EXPECT_EQ(a.status, b.status);
      EXPECT_EQ(a.body, b.body) << raw;
      ++compared;
      if (a.ok()) ++answered;
    }
  }
  // The comparison means something only if most snapshots are answered and aggregated.
  std::printf("compared %d, answered %d, with aggregates %d; %zu events became %zu rows\n", compared, answered,
              with_aggregates, events_in, rows_out);
  EXPECT_GT(answered, compared * 7 / 10);
  EXPECT_GT(with_aggregates, compared * 6 / 10);
  EXPECT_LT(rows_out, events_in * 85 / 100);  // aggregates hold several events each
}

// The server's billing and estimates read aggregates too: the periodic `bill` at the end of the
// current period (found as the server finds it: current_usage's to_datetime + 1 s) and
// estimate_fees of one more event answer the same bytes from aggregates as from events.
TEST(UsageAggregatesProperty, BillsAndEstimatesFromAggregatesAreTheSame) {
  Gen g;
  int compared = 0, answered = 0, with_aggregates = 0;
  for (int iter = 0; iter < 100; ++iter) {
    json snap = snapshot(g);
    snap["request"] = {{"external_subscription_id", "sub"}};
    const tariff::Result usage = tariff::run(tariff::Operation::current_usage, snap.dump());
    if (!usage.ok()) continue;
    const auto end = tariff::parse_instant(json::parse(usage.body)["customer_usage"]["to_datetime"].get<std::string>());
    ASSERT_TRUE(end);
    const tariff::Instant billing_at = *end + std::chrono::seconds(1);
    std::vector<std::pair<tariff::Operation, json>> runs;
    json bill = snap;
    bill["now"] = tariff::format_instant(billing_at + std::chrono::seconds(5));
    bill["request"] = {{"invoicing_reason", "subscription_periodic"},
                       {"billing_at", tariff::format_instant(billing_at)},
                       {"external_subscription_ids", {"sub"}}};
    runs.emplace_back(tariff::Operation::bill, bill);
    json estimate = snap;
    estimate["request"] = {{"event", {{"code", snap["plans"][0]["charges"][0]["billable_metric_code"]},
                                      {"external_subscription_id", "sub"},
                                      {"properties", {{"v", "3"}, {"uid", "u1"}, {"region", "eu"}}}}}};
    runs.emplace_back(tariff::Operation::estimate_fees, estimate);
    for (const auto& [op, s] : runs) {
      const std::string raw = s.dump();
      const std::string agg = tariff::usage::aggregate_snapshot(raw);
      const json aggregated = json::parse(agg);
      SCOPED_TRACE("iteration " + std::to_string(iter) + " " + tariff::operation_name(op));
      if (!aggregated.contains("usage_aggregates")) {
        EXPECT_FALSE(tariff::run(op, raw).ok());
        continue;
      }
      if (!aggregated["usage_aggregates"].empty()) ++with_aggregates;
      const tariff::Result a = tariff::run(op, raw), b = tariff::run(op, agg);
      EXPECT_EQ(a.status, b.status);
      EXPECT_EQ(a.body, b.body) << raw;
      ++compared;
      if (a.ok()) ++answered;
    }
  }
  std::printf("bill/estimate: compared %d, answered %d, with aggregates %d\n", compared, answered, with_aggregates);
  EXPECT_GT(compared, 100);
  EXPECT_GT(answered, compared / 2);
  EXPECT_GT(with_aggregates, compared / 2);
}

// A quarter-hour with 3 events of a sum metric folds into one aggregate carrying exactly
// what each aggregation needs (values worked out by hand).
TEST(UsageAggregates, ContributionsFoldIntoOneAggregate) {
  json s = {{"now", "2024-03-15T12:00:00Z"},
            {"billable_metrics", {{{"code", "s"}, {"name", "s"}, {"aggregation_type", "sum_agg"}, {"field_name", "v"}}}},
            {"events",
             {{{"transaction_id", "a"}, {"external_subscription_id", "sub"}, {"code", "s"},
               {"timestamp", "2024-03-01T10:15:00.000Z"}, {"properties", {{"v", "2.5"}, {"region", "eu"}}}},
              {{"transaction_id", "b"}, {"external_subscription_id", "sub"}, {"code", "s"},
               {"timestamp", "2024-03-01T10:29:59.999Z"}, {"properties", {{"v", -1}, {"region", "eu"}}}},
              {{"transaction_id", "c"}, {"external_subscription_id", "sub"}, {"code", "s"},
               {"timestamp", "2024-03-01T10:20:00.000Z"}, {"properties", {{"v", "4"}, {"region", "eu"}}},
               {"precise_total_amount_cents", "12.345"}}}}};
  const auto cs = tariff::usage::contributions(s.dump(), 100, true);
  ASSERT_TRUE(cs.has_value());
  ASSERT_EQ(cs->size(), 3u);
  EXPECT_EQ((*cs)[0].key, (*cs)[1].key);
  EXPECT_EQ((*cs)[0].key, (*cs)[2].key);
  tariff::usage::Aggregate typed = (*cs)[0].aggregate;
  tariff::usage::merge(typed, (*cs)[1].aggregate);
  tariff::usage::merge(typed, (*cs)[2].aggregate);
  const json a = typed.to_json();
  EXPECT_EQ(typed.text(), a.dump());  // the stored text is the document's
  const int64_t bucket = 1709288100LL * 1000000;  // 2024-03-01T10:15:00Z
  EXPECT_EQ(a["bucket_us"], bucket);
  EXPECT_EQ(a["count"], 3);
  EXPECT_EQ(a["sum"], "5.5");                      // 2.5 − 1 + 4
  EXPECT_EQ(a["max"], "4.0");
  EXPECT_EQ(a["latest"], "-1.0");                    // the 10:29:59.999 event
  EXPECT_EQ(a["latest_sequence"], 101);
  EXPECT_EQ(a["first_us"], bucket);
  EXPECT_EQ(a["last_us"], bucket + 899999000);
  // 2.5 × 0 µs − 1 × 899 999 000 µs + 4 × 300 000 000 µs = 300 001 000
  EXPECT_EQ(a["weighted"], "300001000.0");
  EXPECT_EQ(a["precise_total_amount_cents"], "12.345");
  EXPECT_EQ(a["properties"], json({{"region", "eu"}}));  // the value field is left out
}

json one_charge_snapshot(const json& charge, const json& aggregate) {
  return {{"now", "2024-03-15T12:00:00Z"},
          {"organization", {{"timezone", "UTC"}}},
          {"billable_metrics", {{{"code", "s"}, {"name", "s"}, {"aggregation_type", "sum_agg"}, {"field_name", "v"}}}},
          {"plans",
           {{{"code", "p"}, {"name", "p"}, {"interval", "monthly"}, {"amount_cents", 0}, {"amount_currency", "USD"},
             {"charges", {charge}}}}},
          {"customer", {{"external_id", "cust"}, {"currency", "USD"}}},
          {"subscriptions",
           {{{"external_id", "sub"}, {"plan_code", "p"}, {"started_at", "2024-01-01T00:00:00Z"},
             {"subscription_at", "2024-01-01T00:00:00Z"}, {"status", "active"}}}},
          {"events", json::array()},
          {"usage_aggregates", {aggregate}},
          {"request", {{"external_subscription_id", "sub"}}}};
}

json an_aggregate() {
  return {{"external_subscription_id", "sub"}, {"code", "s"}, {"metric", "sum_agg|v|"},
          {"bucket_us", 1709288100LL * 1000000}, {"first_us", 1709288100LL * 1000000},
          {"last_us", 1709288100LL * 1000000 + 5000000}, {"count", 3}, {"sum", "7"}, {"max", "4"},
          {"latest", "1"}, {"latest_sequence", 2}, {"weighted", "5000000"}, {"properties", json::object()}};
}

TEST(UsageAggregates, AnAggregateIsUsage) {
  // 3 events summing 7 at 10 each = 70 USD.
  const json charge = {{"billable_metric_code", "s"}, {"charge_model", "standard"}, {"properties", {{"amount", "10"}}}};
  const auto r = tariff::run(tariff::Operation::current_usage, one_charge_snapshot(charge, an_aggregate()).dump());
  ASSERT_TRUE(r.ok()) << r.body;
  const json out = json::parse(r.body);
  EXPECT_EQ(out["customer_usage"]["amount_cents"], 7000);
  EXPECT_EQ(out["customer_usage"]["charges_usage"][0]["events_count"], 3);
  EXPECT_EQ(out["customer_usage"]["charges_usage"][0]["units"], "7.0");
}

TEST(UsageAggregates, RefusedWhereTheyCannotAnswer) {
  const auto status_of = [](const json& charge, const json& agg) {
    const auto r = tariff::run(tariff::Operation::current_usage, one_charge_snapshot(charge, agg).dump());
    return std::make_pair(r.status, r.body);
  };
  // Per-transaction minimum needs each event's amount.
  const json pct = {{"billable_metric_code", "s"}, {"charge_model", "percentage"},
                    {"properties", {{"rate", "1"}, {"per_transaction_min_amount", "1"}}}};
  auto [st, body] = status_of(pct, an_aggregate());
  EXPECT_EQ(st, 422);
  EXPECT_NE(body.find("not_supported_by_charge"), std::string::npos) << body;
  const json std_charge = {{"billable_metric_code", "s"}, {"charge_model", "standard"}, {"properties", {{"amount", "1"}}}};
  // Built for another definition of the metric.
  json other = an_aggregate();
  other["metric"] = "sum_agg|w|";
  std::tie(st, body) = status_of(std_charge, other);
  EXPECT_EQ(st, 422);
  EXPECT_NE(body.find("metric_changed"), std::string::npos) << body;
  // Off the quarter-hour grid.
  json off = an_aggregate();
  off["bucket_us"] = off["bucket_us"].get<int64_t>() + 60000000;
  std::tie(st, body) = status_of(std_charge, off);
  EXPECT_EQ(st, 422);
  // Straddling a window boundary: a termination inside the bucket (10:15:00–10:15:05).
  json snap = one_charge_snapshot(std_charge, an_aggregate());
  snap["now"] = "2024-03-01T09:00:00Z";
  snap["request"] = {{"customer", {{"external_id", "cust"}}},
                     {"subscriptions", {{"external_ids", {"sub"}}, {"terminated_at", "2024-03-01T10:15:02Z"}}}};
  const auto r = tariff::run(tariff::Operation::preview, snap.dump());
  EXPECT_NE(r.body.find("straddles_window"), std::string::npos) << r.body;
}

TEST(UsageAggregates, ARawEventInsideAnAggregatesTimeIsRefused) {
  // An aggregate over two quarter-hours, 10:15:00–10:45:00 (its events 10:15:00 … 10:30:05),
  // and one raw event (v = 2) of the same subscription and code at various instants.
  const json charge = {{"billable_metric_code", "s"}, {"charge_model", "standard"}, {"properties", {{"amount", "10"}}}};
  json agg = an_aggregate();
  agg["span_us"] = 2 * 900LL * 1000000;
  agg["last_us"] = 1709288100LL * 1000000 + 905LL * 1000000;
  const auto with_event = [&](const std::string& ts, const std::string& code) {
    json snap = one_charge_snapshot(charge, agg);
    snap["events"] = {{{"transaction_id", "t1"}, {"external_subscription_id", "sub"}, {"code", code},
                       {"timestamp", ts}, {"properties", {{"v", "2"}}}}};
    return tariff::run(tariff::Operation::current_usage, snap.dump());
  };
  for (const char* inside : {"2024-03-01T10:15:00Z", "2024-03-01T10:29:59Z", "2024-03-01T10:44:59Z"}) {
    const auto r = with_event(inside, "s");
    EXPECT_EQ(r.status, 422) << inside;
    EXPECT_NE(r.body.find("inside_usage_aggregate"), std::string::npos) << inside << r.body;
  }
  // Before and after its quarter-hours, or another code: usage, (7 + 2) × 10 = 90 USD.
  for (const char* outside : {"2024-03-01T10:14:59Z", "2024-03-01T10:45:00Z"}) {
    const auto r = with_event(outside, "s");
    ASSERT_TRUE(r.ok()) << outside << r.body;
    EXPECT_EQ(json::parse(r.body)["customer_usage"]["amount_cents"], 9000) << outside;
  }
  const auto other = with_event("2024-03-01T10:20:00Z", "other");
  ASSERT_TRUE(other.ok()) << other.body;
  EXPECT_EQ(json::parse(other.body)["customer_usage"]["amount_cents"], 7000);
}

}  // namespace

// The typed fold (ingestion's) and the JSON fold (calculations' compaction) agree: for every
// order of folding these shares (valued, unvalued, a count metric, precise amounts, another
// definition), the typed result's stored text is the JSON result's dump.
TEST(UsageAggregates, TypedFoldEqualsJsonFold) {
  json s = {{"now", "2024-03-15T12:00:00Z"},
            {"billable_metrics",
             {{{"code", "s"}, {"name", "s"}, {"aggregation_type", "sum_agg"}, {"field_name", "v"}},
              {{"code", "c"}, {"name", "c"}, {"aggregation_type", "count_agg"}}}},
            {"events",
             {{{"transaction_id", "a"}, {"external_subscription_id", "sub"}, {"code", "s"},
               {"timestamp", "2024-03-01T10:15:00Z"}, {"properties", {{"v", "2.5"}}}},
              {{"transaction_id", "b"}, {"external_subscription_id", "sub"}, {"code", "s"},
               {"timestamp", "2024-03-01T10:16:00Z"}, {"properties", {{"v", "abc"}}}},
              {{"transaction_id", "c"}, {"external_subscription_id", "sub"}, {"code", "s"},
               {"timestamp", "2024-03-01T10:16:00Z"}, {"properties", {{"v", -7}}}, {"precise_total_amount_cents", "1.25"}},
              {{"transaction_id", "d"}, {"external_subscription_id", "sub"}, {"code", "c"},
               {"timestamp", "2024-03-01T10:20:00Z"}, {"precise_total_amount_cents", 3}},
              {{"transaction_id", "e"}, {"external_subscription_id", "sub"}, {"code", "c"},
               {"timestamp", "2024-03-01T10:17:00Z"}}}}};
  const auto cs = tariff::usage::contributions(s.dump(), 10, false);
  ASSERT_TRUE(cs.has_value());
  ASSERT_EQ(cs->size(), 5u);
  EXPECT_EQ((*cs)[1].aggregate.count, 0);  // "abc" is not a value: counted nowhere
  std::vector<size_t> order = {0, 1, 2, 3, 4};
  int compared = 0;
  do {
    tariff::usage::Aggregate typed = (*cs)[order[0]].aggregate;
    json doc = typed.to_json();
    for (size_t k = 1; k < order.size(); ++k) {
      tariff::usage::merge(typed, (*cs)[order[k]].aggregate);
      tariff::usage::merge(doc, (*cs)[order[k]].aggregate.to_json());
      ASSERT_EQ(typed.text(), doc.dump());
      ++compared;
    }
    const auto back = tariff::usage::Aggregate::from_json(tariff::parse_json_exact(typed.text()));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->text(), typed.text());
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(compared, 120 * 4);
  // By hand, the three sum shares: count 2, Σ 2.5 − 7, max 2.5, latest −7 (10:16, the later arrival).
  tariff::usage::Aggregate a = (*cs)[0].aggregate;
  for (size_t k : {1, 2}) tariff::usage::merge(a, (*cs)[k].aggregate);
  EXPECT_EQ(a.count, 2);
  EXPECT_EQ(a.sum.to_string(), "-4.5");
  EXPECT_EQ(a.max->to_string(), "2.5");
  EXPECT_EQ(a.latest.to_string(), "-7.0");
  EXPECT_EQ(a.latest_sequence, 12);
  EXPECT_EQ(a.precise_total_amount_cents->to_string(), "1.25");
}
