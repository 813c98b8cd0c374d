// Charge models: SEMANTICS §3 worked examples, amount_details documents, Lago's validation
// codes and §14.2 projections. Every expected value is worked out by hand in the comment
// beside it (or taken from the SEMANTICS example it cites), never from the code's output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tariff/charge_models.hpp"

namespace tariff {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

Decimal D(const char* s) { return *Decimal::parse(s); }

ChargeProperties props(ChargeModel m, const char* text) {
  ErrorCollector errors;
  ChargeProperties p = parse_charge_properties(m, json::parse(text), "p", errors);
  EXPECT_TRUE(errors.empty()) << text;
  return p;
}

ChargeUsage usage(const char* units, int64_t events = 0) {
  ChargeUsage u;
  u.units = D(units);
  u.events_count = events;
  return u;
}

// Error details of one parse, as a json object {path: [codes]}.
json errors_of(ChargeModel m, const json& properties) {
  ErrorCollector errors;
  parse_charge_properties(m, properties, "plans[0].charges[1].properties", errors);
  if (errors.empty()) return json::object();
  try {
    errors.throw_if_any();
  } catch (const Failure& f) {
    return json(f.error.details);
  }
  return json::object();
}

const char* kGraduated = R"({"graduated_ranges": [
  {"from_value": 0, "to_value": 10, "per_unit_amount": "10", "flat_amount": "2"},
  {"from_value": 11, "to_value": 20, "per_unit_amount": "5", "flat_amount": "3"},
  {"from_value": 21, "to_value": null, "per_unit_amount": "5", "flat_amount": "3"}]})";

const char* kVolume = R"({"volume_ranges": [
  {"from_value": 0, "to_value": 100, "per_unit_amount": "2", "flat_amount": "10"},
  {"from_value": 101, "to_value": 200, "per_unit_amount": "1", "flat_amount": "0"},
  {"from_value": 201, "to_value": null, "per_unit_amount": "0.5", "flat_amount": "50"}]})";

// ---------------------------------------------------------------- names

TEST(ChargeModelNames, RoundTripAndCustomRefused) {
  for (auto m : {ChargeModel::standard, ChargeModel::graduated, ChargeModel::graduated_percentage,
                 ChargeModel::package, ChargeModel::percentage, ChargeModel::volume,
                 ChargeModel::dynamic})
    EXPECT_EQ(parse_charge_model(charge_model_name(m)), m);
  EXPECT_EQ(std::string(charge_model_name(ChargeModel::graduated_percentage)), "graduated_percentage");
  EXPECT_FALSE(parse_charge_model("custom").has_value());
  EXPECT_FALSE(parse_charge_model("Standard").has_value());
}

// ---------------------------------------------------------------- standard

TEST(Standard, UnitsTimesAmount) {
  auto p = props(ChargeModel::standard, R"({"amount": "0.5"})");
  auto r = compute_charge(p, usage("12"));
  EXPECT_EQ(r.amount, D("6"));          // 12 × 0.5
  EXPECT_EQ(r.unit_amount, D("0.5"));   // 6 / 12
  EXPECT_EQ(r.amount_details, ojson::object());
  auto z = compute_charge(p, usage("0"));
  EXPECT_EQ(z.amount, D("0"));
  EXPECT_EQ(z.unit_amount, D("0"));
}

TEST(Standard, FourDecimalPriceStaysExact) {
  // SEMANTICS §1: one event at 10.12345 → amount 10.12345
  auto p = props(ChargeModel::standard, R"({"amount": "10.12345"})");
  EXPECT_EQ(compute_charge(p, usage("1")).amount, D("10.12345"));
}

TEST(Standard, ProratedDividesByFullUnits) {
  auto p = props(ChargeModel::standard, R"({"amount": "2"})");
  ChargeUsage u = usage("6.5");
  u.prorated = true;
  u.full_units = D("10");
  auto r = compute_charge(p, u);
  EXPECT_EQ(r.amount, D("13"));        // 6.5 prorated units × 2
  EXPECT_EQ(r.unit_amount, D("1.3"));  // 13 / 10 full units
}

// ---------------------------------------------------------------- graduated

TEST(Graduated, SemanticsExamples) {
  auto p = props(ChargeModel::graduated, kGraduated);
  EXPECT_EQ(compute_charge(p, usage("0")).amount, D("2"));     // first flat only
  EXPECT_EQ(compute_charge(p, usage("12")).amount, D("115"));  // (10·10+2) + (2·5+3)
  EXPECT_EQ(compute_charge(p, usage("21")).amount, D("163"));  // 102 + (10·5+3) + (1·5+3)
  EXPECT_EQ(compute_charge(p, usage("12")).unit_amount, D("9.583333333333333333"));  // 115/12
}

TEST(Graduated, AmountDetails) {
  auto p = props(ChargeModel::graduated, kGraduated);
  auto r = compute_charge(p, usage("12"));
  ojson expected = ojson::parse(R"({"graduated_ranges": [
    {"from_value": 0, "to_value": 10, "flat_unit_amount": "2.0", "per_unit_amount": "10.0",
     "units": "10.0", "per_unit_total_amount": "100.0", "total_with_flat_amount": "102.0"},
    {"from_value": 11, "to_value": 20, "flat_unit_amount": "3.0", "per_unit_amount": "5.0",
     "units": "2.0", "per_unit_total_amount": "10.0", "total_with_flat_amount": "13.0"}]})");
  EXPECT_EQ(r.amount_details, expected);
  EXPECT_EQ(r.amount_details.dump(), expected.dump());  // key order too

  // 0 units: the first tier only, per-unit price shown as 0
  ojson zero = ojson::parse(R"({"graduated_ranges": [
    {"from_value": 0, "to_value": 10, "flat_unit_amount": "2.0", "per_unit_amount": "0.0",
     "units": "0.0", "per_unit_total_amount": "0.0", "total_with_flat_amount": "2.0"}]})");
  EXPECT_EQ(compute_charge(p, usage("0")).amount_details.dump(), zero.dump());
}

TEST(Graduated, AdjacentDecimalRanges) {
  auto p = props(ChargeModel::graduated, R"({"graduated_ranges": [
    {"from_value": 0, "to_value": "0.1", "per_unit_amount": "10", "flat_amount": "0"},
    {"from_value": "0.1", "to_value": 1, "per_unit_amount": "5", "flat_amount": "0"},
    {"from_value": 1, "to_value": null, "per_unit_amount": "2", "flat_amount": "0"}]})");
  EXPECT_EQ(compute_charge(p, usage("0.5")).amount, D("3.0"));  // 0.1·10 + 0.4·5
  EXPECT_EQ(compute_charge(p, usage("1.5")).amount, D("6.5"));  // 1 + 0.9·5 + 0.5·2
}

TEST(Graduated, ExcludeEventDropsTheFirstFlatAtZeroUnits) {
  auto p = props(ChargeModel::graduated, kGraduated);
  ChargeUsage u = usage("0");
  u.exclude_event = true;
  EXPECT_EQ(compute_charge(p, u).amount, D("0"));
  // cost(1) − cost(0, exclude_event) = (1·10 + 2) − 0 = 12
  EXPECT_EQ(compute_charge(p, usage("1")).amount - compute_charge(p, u).amount, D("12"));
}

// ---------------------------------------------------------------- graduated_percentage

const char* kGradPct = R"({"graduated_percentage_ranges": [
  {"from_value": 0, "to_value": 10, "rate": "1", "flat_amount": "200"},
  {"from_value": 11, "to_value": 20, "rate": "2", "flat_amount": "300"},
  {"from_value": 21, "to_value": null, "rate": "3", "flat_amount": "400"}]})";

TEST(GraduatedPercentage, SemanticsExample) {
  auto p = props(ChargeModel::graduated_percentage, kGradPct);
  auto r = compute_charge(p, usage("11"));
  EXPECT_EQ(r.amount, D("500.12"));  // 200 + 10·1% + 300 + 1·2%
  ojson expected = ojson::parse(R"({"graduated_percentage_ranges": [
    {"from_value": 0, "to_value": 10, "flat_unit_amount": "200.0", "rate": "1.0",
     "units": "10.0", "per_unit_total_amount": "0.1", "total_with_flat_amount": "200.1"},
    {"from_value": 11, "to_value": 20, "flat_unit_amount": "300.0", "rate": "2.0",
     "units": "1.0", "per_unit_total_amount": "0.02", "total_with_flat_amount": "300.02"}]})");
  EXPECT_EQ(r.amount_details.dump(), expected.dump());
  EXPECT_EQ(compute_charge(p, usage("0")).amount, D("200"));  // first flat at 0 units
  // 25 units: 10·1% + 10·2% + 5·3% + 900 flats = 0.1 + 0.2 + 0.15 + 900
  EXPECT_EQ(compute_charge(p, usage("25")).amount, D("900.45"));
}

TEST(GraduatedPercentage, ExcludeEventAtZeroUnits) {
  auto p = props(ChargeModel::graduated_percentage, kGradPct);
  ChargeUsage u = usage("0");
  u.exclude_event = true;
  auto r = compute_charge(p, u);
  EXPECT_EQ(r.amount, D("0"));
  EXPECT_EQ(r.amount_details["graduated_percentage_ranges"][0]["flat_unit_amount"], 0);
  EXPECT_EQ(r.amount_details["graduated_percentage_ranges"][0]["total_with_flat_amount"], 0);
}

// ---------------------------------------------------------------- package

TEST(Package, SemanticsExamples) {
  auto p = props(ChargeModel::package, R"({"amount": "100", "package_size": 10, "free_units": 0})");
  EXPECT_EQ(compute_charge(p, usage("121")).amount, D("1300"));  // ceil(12.1) = 13 packages
  auto f = props(ChargeModel::package, R"({"amount": "100", "package_size": 10, "free_units": 10})");
  auto r = compute_charge(f, usage("121"));
  EXPECT_EQ(r.amount, D("1200"));  // ceil(111/10) = 12 packages
  EXPECT_EQ(r.unit_amount, D("10.810810810810810811"));  // 1200 / 111 paid units
  ojson expected = ojson::parse(R"({"free_units": "10.0", "paid_units": "111.0",
    "per_package_size": 10, "per_package_unit_amount": "100.0"})");
  EXPECT_EQ(r.amount_details.dump(), expected.dump());
}

TEST(Package, FreeUnitsNotExhaustedAndZeroUnits) {
  auto f = props(ChargeModel::package, R"({"amount": "100", "package_size": 10, "free_units": 10})");
  auto r = compute_charge(f, usage("5"));
  EXPECT_EQ(r.amount, D("0"));
  EXPECT_EQ(r.unit_amount, D("0"));
  EXPECT_EQ(r.amount_details.dump(), ojson::parse(R"({"free_units": "10.0", "paid_units": "0.0",
    "per_package_size": 10, "per_package_unit_amount": "100.0"})").dump());
  auto z = compute_charge(f, usage("0"));
  EXPECT_EQ(z.amount_details.dump(), ojson::parse(R"({"free_units": "0.0", "paid_units": "0.0",
    "per_package_size": 0, "per_package_unit_amount": "0.0"})").dump());
  // exactly one started package: 11 units, 10 free → 1 paid → 1 package
  EXPECT_EQ(compute_charge(f, usage("11")).amount, D("100"));
  // 20 + 1e-18 units → 10.000000000000000001 paid: a second package is started
  EXPECT_EQ(compute_charge(f, usage("20.000000000000000001")).amount, D("200"));
  EXPECT_EQ(compute_charge(f, usage("20")).amount, D("100"));
}

// ---------------------------------------------------------------- percentage

TEST(Percentage, FreeUnitsAndFixedFeeSemanticsExample) {
  auto p = props(ChargeModel::percentage, R"({"rate": "1.3", "fixed_amount": "2",
    "free_units_per_events": 3, "free_units_per_total_aggregation": "250"})");
  ChargeUsage u = usage("800", 4);
  u.aggregation = AggregationKind::sum;
  u.event_values = {D("50"), D("100"), D("250"), D("400")};  // R = [50, 150, 400]
  auto r = compute_charge(p, u);
  EXPECT_EQ(r.amount, D("11.15"));  // FU 250, FE 2: 550 × 1.3 % + 2 × 2
  ojson expected = ojson::parse(R"({"units": "800.0", "free_units": "250.0", "free_events": 2,
    "paid_units": "550.0", "rate": "1.3", "per_unit_total_amount": "7.15", "paid_events": 2,
    "fixed_fee_unit_amount": "2.0", "fixed_fee_total_amount": "4.0",
    "min_max_adjustment_total_amount": "0.0"})");
  EXPECT_EQ(r.amount_details.dump(), expected.dump());
}

TEST(Percentage, RunningTotalsGivenByCaller) {
  auto p = props(ChargeModel::percentage, R"({"rate": "1.3", "fixed_amount": "2",
    "free_units_per_events": 3, "free_units_per_total_aggregation": "250"})");
  ChargeUsage u = usage("800", 4);
  u.aggregation = AggregationKind::sum;
  u.running_total = std::vector<Decimal>{D("50"), D("150"), D("400")};
  EXPECT_EQ(compute_charge(p, u).amount, D("11.15"));
}

TEST(Percentage, PerTransactionMinMax) {
  auto p = props(ChargeModel::percentage, R"({"rate": "2.99",
    "per_transaction_min_amount": "1.75", "per_transaction_max_amount": "12"})");
  ChargeUsage u = usage("10090", 3);
  u.aggregation = AggregationKind::sum;
  u.event_values = {D("10"), D("80"), D("10000")};
  auto r = compute_charge(p, u);
  EXPECT_EQ(r.amount, D("16.142"));  // 1.75 (0.299 raised) + 2.392 + 12 (299 capped)
  // adjustment = 16.142 − 10090 × 2.99 % (301.691) − 0
  EXPECT_EQ(r.amount_details["min_max_adjustment_total_amount"], "-285.549");

  auto a = props(ChargeModel::percentage, R"({"rate": "2.99", "free_units_per_total_aggregation": "30",
    "per_transaction_min_amount": "1.75", "per_transaction_max_amount": "12"})");
  // 10 free (30 → 20 left), 80 − 20 = 60 → 1.794, 10 000 → 12
  EXPECT_EQ(compute_charge(a, u).amount, D("13.794"));
}

TEST(Percentage, CountMetricRunningTotalsAreOneToUnits) {
  auto p = props(ChargeModel::percentage,
                 R"({"rate": "10", "fixed_amount": "1", "free_units_per_events": 2})");
  ChargeUsage u = usage("5", 5);
  u.aggregation = AggregationKind::count;
  // R = [1..5], FU = R[1] = 2, FE = 2: (5 − 2) × 10 % + (5 − 2) × 1 = 0.3 + 3
  EXPECT_EQ(compute_charge(p, u).amount, D("3.3"));
}

TEST(Percentage, NoFreeUnitsAndZeroUnits) {
  auto p = props(ChargeModel::percentage, R"({"rate": "0.5", "fixed_amount": "0.25"})");
  ChargeUsage u = usage("200", 4);
  u.aggregation = AggregationKind::sum;
  EXPECT_EQ(compute_charge(p, u).amount, D("2"));  // 200 × 0.5 % + 4 × 0.25 = 1 + 1
  auto z = compute_charge(p, usage("0", 0));
  EXPECT_EQ(z.amount, D("0"));
  EXPECT_EQ(z.amount_details["fixed_fee_total_amount"], "0.0");
  EXPECT_EQ(z.amount_details["fixed_fee_unit_amount"], "0.0");
}

TEST(Percentage, FreeUnitsAboveUnitsShowIntegerZero) {
  auto p = props(ChargeModel::percentage, R"({"rate": "10", "free_units_per_total_aggregation": "100"})");
  ChargeUsage u = usage("50", 1);
  u.aggregation = AggregationKind::sum;
  u.running_total = std::vector<Decimal>{D("80")};  // FU = 80 > 50 units
  auto r = compute_charge(p, u);
  EXPECT_EQ(r.amount, D("0"));
  EXPECT_EQ(r.amount_details["per_unit_total_amount"], 0);
  EXPECT_EQ(r.amount_details["paid_units"], "0.0");
}

TEST(Percentage, EstimateWithEventInRunningTotals) {
  // §14.3: amount = model(S + Δ, count + 1, event in R) − model(S)
  auto p = props(ChargeModel::percentage, R"({"rate": "10", "free_units_per_events": 1})");
  ChargeUsage before = usage("10", 1);
  before.aggregation = AggregationKind::sum;
  before.event_values = {D("10")};
  ChargeUsage after = usage("30", 2);
  after.aggregation = AggregationKind::sum;
  after.event_values = {D("10"), D("20")};
  // before: R = [10], FU = 10 → 0; after: R = [10], FU = 10 → 20 × 10 % = 2
  EXPECT_EQ(compute_charge(p, after).amount - compute_charge(p, before).amount, D("2"));
}

// ---------------------------------------------------------------- volume

TEST(Volume, SemanticsExamples) {
  auto p = props(ChargeModel::volume, kVolume);
  auto zero = compute_charge(p, usage("0"));
  EXPECT_EQ(zero.amount, D("10"));
  EXPECT_EQ(zero.amount_details.dump(), ojson::parse(R"({"flat_unit_amount": "10.0",
    "per_unit_amount": "0.0", "per_unit_total_amount": "0.0"})").dump());
  auto hundred = compute_charge(p, usage("100"));
  EXPECT_EQ(hundred.amount, D("210"));  // 100 × 2 + 10
  EXPECT_EQ(hundred.unit_amount, D("2.1"));
  EXPECT_EQ(hundred.amount_details.dump(), ojson::parse(R"({"flat_unit_amount": "10.0",
    "per_unit_amount": "2.0", "per_unit_total_amount": "200.0"})").dump());
  EXPECT_EQ(compute_charge(p, usage("100.5")).amount, D("100.5"));  // ceil 101 → second range
  EXPECT_EQ(compute_charge(p, usage("250")).amount, D("175"));      // 250 × 0.5 + 50
}

TEST(Volume, ProratedChoosesRangeWithFullUnits) {
  auto p = props(ChargeModel::volume, kVolume);
  ChargeUsage u = usage("75");
  u.prorated = true;
  u.full_units = D("150");  // second range (@1, no flat) though 75 is in the first
  auto r = compute_charge(p, u);
  EXPECT_EQ(r.amount, D("75"));        // 75 × 1 + 0
  EXPECT_EQ(r.unit_amount, D("0.5"));  // 75 / 150
}

// ---------------------------------------------------------------- prorated graduated

const char* kProratedTiers = R"({"graduated_ranges": [
  {"from_value": 0, "to_value": 5, "per_unit_amount": "10", "flat_amount": "100"},
  {"from_value": 6, "to_value": null, "per_unit_amount": "5", "flat_amount": "50"}]})";

TEST(ProratedGraduated, SemanticsExample) {
  auto p = props(ChargeModel::graduated, kProratedTiers);
  ChargeUsage u;
  u.aggregation = AggregationKind::sum;
  u.prorated = true;
  u.units = D("5.96667");  // 3.5 + 2.66667 + 2 − 2.2
  u.full_units = D("14");
  u.prorated_events = {{D("5"), D("3.5")}, {D("5"), D("2.66667")}, {D("10"), D("2")},
                       {D("-6"), D("-2.2")}};
  auto r = compute_charge(p, u);
  EXPECT_EQ(r.amount, D("197.33335"));  // 3.5·10 + 4.46667·5 + 100 + 50
  EXPECT_EQ(r.amount.round(2), D("197.33"));
  EXPECT_EQ(r.unit_amount, D("14.095239285714285714"));  // / Σ full = 14
  EXPECT_EQ(r.amount_details, ojson::object());
}

TEST(ProratedGraduated, OneEventOverflowsIntoTheNextTier) {
  auto p = props(ChargeModel::graduated, kProratedTiers);
  ChargeUsage u;
  u.prorated = true;
  u.units = D("37.5");
  u.full_units = D("75");
  u.prorated_events = {{D("75"), D("37.5")}};  // half the period
  // tier 1: 5 full → 2.5 prorated × 10 = 25; tier 2: 70 full → 35 × 5 = 175; flats 150
  EXPECT_EQ(compute_charge(p, u).amount, D("350"));
}

TEST(ProratedGraduated, AddBeforePeriodSkippedAndNegativeTotal) {
  auto p = props(ChargeModel::graduated, kProratedTiers);
  ChargeUsage u;
  u.prorated = true;
  u.units = D("1");
  u.prorated_events = {{D("4"), D("0")}, {D("2"), D("1")}};
  // the add with p = 0 is skipped: F = 2, tier 1: 1 × 10 + 100
  EXPECT_EQ(compute_charge(p, u).amount, D("110"));
}

// ---------------------------------------------------------------- dynamic

TEST(Dynamic, SumOfEventAmounts) {
  auto p = props(ChargeModel::dynamic, "{}");
  ChargeUsage u = usage("3", 3);
  u.aggregation = AggregationKind::sum;
  u.dynamic_amount = D("12.34");  // 1234 precise cents / 100
  auto r = compute_charge(p, u);
  EXPECT_EQ(r.amount, D("12.34"));
  EXPECT_EQ(r.unit_amount, D("4.113333333333333333"));  // 12.34 / 3
  EXPECT_EQ(r.amount_details, ojson::object());
  ChargeUsage none = usage("0");
  none.dynamic_amount = D("5");
  EXPECT_EQ(compute_charge(p, none).amount, D("0"));
}

// ---------------------------------------------------------------- guards

TEST(Guards, NegativeUnitsOrAmountGiveZero) {
  auto s = props(ChargeModel::standard, R"({"amount": "5"})");
  auto r = compute_charge(s, usage("-2"));
  EXPECT_EQ(r.amount, D("0"));
  EXPECT_EQ(r.unit_amount, D("0"));
  EXPECT_TRUE(r.zeroed);
  // graduated with a 100 flat: −5·10 + 100 = 50 > 0, but units are negative → 0
  auto g = props(ChargeModel::graduated, R"({"graduated_ranges": [
    {"from_value": 0, "to_value": null, "per_unit_amount": "10", "flat_amount": "100"}]})");
  auto rg = compute_charge(g, usage("-5"));
  EXPECT_EQ(rg.amount, D("0"));
  EXPECT_TRUE(rg.zeroed);
  EXPECT_FALSE(compute_charge(s, usage("2")).zeroed);
}

// ---------------------------------------------------------------- validation

TEST(Validation, DefaultsForNullOrEmptyProperties) {
  ErrorCollector errors;
  auto pk = parse_charge_properties(ChargeModel::package, json::object(), "p", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(pk.package_size, 1);
  EXPECT_EQ(pk.free_units, 0);
  auto gr = parse_charge_properties(ChargeModel::graduated, nullptr, "p", errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(gr.graduated_ranges.size(), 1u);
  EXPECT_EQ(compute_charge(gr, usage("7")).amount, D("0"));
  EXPECT_EQ(errors_of(ChargeModel::dynamic, json::object()), json::object());
  EXPECT_EQ(errors_of(ChargeModel::percentage, nullptr), json::object());
}

TEST(Validation, StandardAmount) {
  const std::string f = "plans[0].charges[1].properties.amount";
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"amount", "-1"}}), json({{f, {"invalid_amount"}}}));
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"amount", "abc"}}), json({{f, {"invalid_amount"}}}));
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"other", "1"}}), json({{f, {"invalid_amount"}}}));
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"amount", "1e3"}}), json::object());
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"amount", 5}}), json::object());
  EXPECT_EQ(errors_of(ChargeModel::standard, json::array()),
            json({{"plans[0].charges[1].properties", {"invalid_type"}}}));
}

TEST(Validation, GraduatedRanges) {
  const std::string base = "plans[0].charges[1].properties.";
  EXPECT_EQ(errors_of(ChargeModel::graduated, {{"graduated_ranges", json::array()}}),
            json({{base + "graduated_ranges", {"missing_graduated_ranges"}}}));
  // gap: 12 is neither 10 nor 11
  json gap = json::parse(R"({"graduated_ranges": [
    {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "0"},
    {"from_value": 12, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]})");
  EXPECT_EQ(errors_of(ChargeModel::graduated, gap),
            json({{base + "graduated_ranges", {"invalid_graduated_ranges"}}}));
  // last to must be null; to must exceed from; first from 0 or 1
  json closed = json::parse(R"({"graduated_ranges": [
    {"from_value": 0, "to_value": 10, "per_unit_amount": "1", "flat_amount": "0"}]})");
  EXPECT_EQ(errors_of(ChargeModel::graduated, closed),
            json({{base + "graduated_ranges", {"invalid_graduated_ranges"}}}));
  json inverted = json::parse(R"({"graduated_ranges": [
    {"from_value": 0, "to_value": 0, "per_unit_amount": "1", "flat_amount": "0"},
    {"from_value": 1, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]})");
  EXPECT_EQ(errors_of(ChargeModel::graduated, inverted),
            json({{base + "graduated_ranges", {"invalid_graduated_ranges"}}}));
  json start2 = json::parse(R"({"graduated_ranges": [
    {"from_value": 2, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]})");
  EXPECT_EQ(errors_of(ChargeModel::graduated, start2),
            json({{base + "graduated_ranges", {"invalid_graduated_ranges"}}}));
  // amounts
  json amounts = json::parse(R"({"graduated_ranges": [
    {"from_value": 1, "to_value": null, "per_unit_amount": "-1"}]})");
  EXPECT_EQ(errors_of(ChargeModel::graduated, amounts),
            json({{base + "per_unit_amount", {"invalid_amount"}},
                  {base + "flat_amount", {"invalid_amount"}}}));
  EXPECT_EQ(errors_of(ChargeModel::graduated, json::parse(kGraduated)), json::object());
}

TEST(Validation, VolumeRanges) {
  const std::string f = "plans[0].charges[1].properties.volume_ranges";
  EXPECT_EQ(errors_of(ChargeModel::volume, {{"amount", "1"}}), json({{f, {"missing_volume_ranges"}}}));
  // Lago refuses adjacent volume ranges (from = previous to)
  json adjacent = json::parse(R"({"volume_ranges": [
    {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
    {"from_value": 100, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]})");
  EXPECT_EQ(errors_of(ChargeModel::volume, adjacent), json({{f, {"invalid_volume_ranges"}}}));
  EXPECT_EQ(errors_of(ChargeModel::volume, json::parse(kVolume)), json::object());
}

TEST(Validation, GraduatedPercentageRanges) {
  const std::string base = "plans[0].charges[1].properties.";
  EXPECT_EQ(errors_of(ChargeModel::graduated_percentage, {{"rate", "1"}}),
            json({{base + "graduated_percentage_ranges", {"missing_graduated_percentage_ranges"}}}));
  json bad = json::parse(R"({"graduated_percentage_ranges": [
    {"from_value": 0, "to_value": 10, "rate": "x", "flat_amount": "-2"}]})");
  EXPECT_EQ(errors_of(ChargeModel::graduated_percentage, bad),
            json({{base + "rate", {"invalid_rate"}},
                  {base + "flat_amount", {"invalid_amount"}},
                  {base + "graduated_percentage_ranges", {"invalid_graduated_percentage_ranges"}}}));
  EXPECT_EQ(errors_of(ChargeModel::graduated_percentage, json::parse(kGradPct)), json::object());
}

TEST(Validation, Package) {
  const std::string base = "plans[0].charges[1].properties.";
  EXPECT_EQ(errors_of(ChargeModel::package,
                      {{"amount", "1"}, {"package_size", 0}, {"free_units", 0}}),
            json({{base + "package_size", {"invalid_package_size"}}}));
  EXPECT_EQ(errors_of(ChargeModel::package,
                      {{"amount", "1"}, {"package_size", "10"}, {"free_units", 0}}),
            json({{base + "package_size", {"invalid_package_size"}}}));
  EXPECT_EQ(errors_of(ChargeModel::package, {{"amount", "1"}, {"package_size", 10}}),
            json({{base + "free_units", {"invalid_free_units"}}}));
  EXPECT_EQ(errors_of(ChargeModel::package,
                      {{"amount", "-1"}, {"package_size", 10}, {"free_units", -1}}),
            json({{base + "amount", {"invalid_amount"}}, {base + "free_units", {"invalid_free_units"}}}));
}

TEST(Validation, Percentage) {
  const std::string base = "plans[0].charges[1].properties.";
  EXPECT_EQ(errors_of(ChargeModel::percentage, {{"fixed_amount", "1"}}),
            json({{base + "rate", {"invalid_rate"}}}));
  EXPECT_EQ(errors_of(ChargeModel::percentage, {{"rate", "1"}, {"fixed_amount", "-1"}}),
            json({{base + "fixed_amount", {"invalid_fixed_amount"}}}));
  EXPECT_EQ(errors_of(ChargeModel::percentage, {{"rate", "1"}, {"fixed_amount", nullptr}}),
            json::object());
  EXPECT_EQ(errors_of(ChargeModel::percentage, {{"rate", "1"}, {"free_units_per_events", 0}}),
            json({{base + "free_units_per_events", {"invalid_free_units_per_events"}}}));
  EXPECT_EQ(errors_of(ChargeModel::percentage, {{"rate", "1"}, {"free_units_per_events", "2"}}),
            json({{base + "free_units_per_events", {"invalid_free_units_per_events"}}}));
  EXPECT_EQ(errors_of(ChargeModel::percentage,
                      {{"rate", "1"}, {"free_units_per_total_aggregation", "x"}}),
            json({{base + "free_units_per_total_aggregation",
                   {"invalid_free_units_per_total_aggregation"}}}));
  EXPECT_EQ(errors_of(ChargeModel::percentage, {{"rate", "1"}, {"per_transaction_min_amount", "abc"}}),
            json({{base + "per_transaction_min_amount", {"invalid_amount"}}}));
  EXPECT_EQ(errors_of(ChargeModel::percentage, {{"rate", "1"}, {"per_transaction_min_amount", "10"},
                                                {"per_transaction_max_amount", "5"}}),
            json({{base + "per_transaction_max_amount",
                   {"per_transaction_max_lower_than_per_transaction_min"}}}));
  // blank min counts as absent
  EXPECT_EQ(errors_of(ChargeModel::percentage, {{"rate", "1"}, {"per_transaction_min_amount", ""}}),
            json::object());
}

TEST(Validation, GroupKeys) {
  const std::string base = "plans[0].charges[1].properties.";
  // empty strings are dropped first (FilterProperties), blank ones are invalid
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"amount", "1"}, {"pricing_group_keys", {"a", ""}}}),
            json::object());
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"amount", "1"}, {"pricing_group_keys", {"a", " "}}}),
            json({{base + "pricing_group_keys", {"invalid_type"}}}));
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"amount", "1"}, {"pricing_group_keys", {"a", 3}}}),
            json({{base + "pricing_group_keys", {"invalid_type"}}}));
  // grouped_by is renamed to pricing_group_keys before validation
  EXPECT_EQ(errors_of(ChargeModel::standard, {{"amount", "1"}, {"grouped_by", "region"}}),
            json({{base + "pricing_group_keys", {"invalid_type"}}}));
  ErrorCollector errors;
  auto p = parse_charge_properties(ChargeModel::standard,
                                   {{"amount", "1"}, {"grouped_by", {"region", "cloud"}}}, "p", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(p.pricing_group_keys, (std::vector<std::string>{"region", "cloud"}));
  auto q = parse_charge_properties(ChargeModel::standard,
                                   {{"amount", "1"}, {"pricing_group_keys", {"a", ""}},
                                    {"grouped_by", {"b"}}}, "p", errors);
  EXPECT_EQ(q.pricing_group_keys, (std::vector<std::string>{"a"}));

  json three = json::parse(R"({"amount": "1", "presentation_group_keys": [
    {"value": "a"}, {"value": "a", "options": {"display_in_invoice": true}}, {"value": "c"}]})");
  EXPECT_EQ(errors_of(ChargeModel::standard, three),
            json({{base + "presentation_group_keys", {"too_many_keys", "value_is_duplicated"}}}));
  json bad_options = json::parse(R"({"amount": "1", "presentation_group_keys": [
    {"value": "a", "options": {"display_in_invoice": "yes"}}]})");
  EXPECT_EQ(errors_of(ChargeModel::standard, bad_options),
            json({{base + "presentation_group_keys", {"invalid_type"}}}));
}

TEST(Validation, ModelAgainstMetric) {
  auto details = [](ChargeModel m, AggregationKind a, bool recurring, bool advance, bool prorated) {
    ErrorCollector e;
    validate_charge_model_for_metric(m, a, recurring, advance, prorated, "c", e);
    if (e.empty()) return json::object();
    try { e.throw_if_any(); } catch (const Failure& f) { return json(f.error.details); }
    return json::object();
  };
  EXPECT_EQ(details(ChargeModel::dynamic, AggregationKind::count, false, false, false),
            json({{"c.charge_model", {"invalid_aggregation_type_or_charge_model"}}}));
  EXPECT_EQ(details(ChargeModel::dynamic, AggregationKind::sum, false, false, false), json::object());
  EXPECT_EQ(details(ChargeModel::percentage, AggregationKind::latest, false, false, false),
            json({{"c.billable_metric", {"invalid_value"}}}));
  EXPECT_EQ(details(ChargeModel::volume, AggregationKind::sum, false, true, false),
            json({{"c.pay_in_advance", {"invalid_aggregation_type_or_charge_model"}}}));
  EXPECT_EQ(details(ChargeModel::standard, AggregationKind::max, false, true, false),
            json({{"c.pay_in_advance", {"invalid_aggregation_type_or_charge_model"}}}));
  EXPECT_EQ(details(ChargeModel::graduated, AggregationKind::sum, true, false, true), json::object());
  EXPECT_EQ(details(ChargeModel::graduated, AggregationKind::sum, true, true, true),
            json({{"c.prorated", {"invalid_billable_metric_or_charge_model"}}}));
  EXPECT_EQ(details(ChargeModel::standard, AggregationKind::sum, false, false, true),
            json({{"c.prorated", {"invalid_billable_metric_or_charge_model"}}}));
  EXPECT_EQ(details(ChargeModel::standard, AggregationKind::weighted_sum, true, false, true),
            json({{"c.prorated", {"invalid_billable_metric_or_charge_model"}}}));
}

// ---------------------------------------------------------------- projection (§14.2)

TEST(Projection, StandardSemanticsExample) {
  const Decimal ratio = Decimal(3) / Decimal(31);  // 3 July of 31 days
  auto a = props(ChargeModel::standard, R"({"amount": "10"})");
  auto pa = project_charge(a, usage("3"), ratio);
  EXPECT_EQ(pa.units, D("31"));    // round(3 / (3/31), 2)
  EXPECT_EQ(pa.amount, D("310"));  // 31 × 10 → 31 000 cents
  auto b = props(ChargeModel::standard, R"({"amount": "20"})");
  auto pb = project_charge(b, usage("1"), ratio);
  EXPECT_EQ(pb.units, D("10.33"));   // 10.333… → 10.33
  EXPECT_EQ(pb.amount, D("206.6"));  // 10.33 × 20 → 20 660 cents
}

TEST(Projection, Graduated) {
  auto p = props(ChargeModel::graduated, kGraduated);
  // pu = 6 / 0.5 = 12: tier 1 cap 10 → 10·10 + 2; tier 2 cap 20 − 10 → 2·5 + 3
  EXPECT_EQ(project_charge(p, usage("6"), D("0.5")).amount, D("115"));
  // pu = 30: 102 + (10·5 + 3) + (10·5 + 3) = 208 (fill by capacity, not by from)
  EXPECT_EQ(project_charge(p, usage("15"), D("0.5")).amount, D("208"));
  // 0 units → 0 (no flat)
  EXPECT_EQ(project_charge(p, usage("0"), D("0.5")).amount, D("0"));
}

TEST(Projection, PackageAndVolume) {
  auto pk = props(ChargeModel::package, R"({"amount": "100", "package_size": 10, "free_units": 10})");
  // pu = 120, paid 110 → 11 packages
  EXPECT_EQ(project_charge(pk, usage("60"), D("0.5")).amount, D("1100"));
  EXPECT_EQ(project_charge(pk, usage("4"), D("0.5")).amount, D("0"));  // pu 8 ≤ 10 free
  auto v = props(ChargeModel::volume, kVolume);
  EXPECT_EQ(project_charge(v, usage("50"), D("0.5")).amount, D("210"));  // pu 100 → 100·2 + 10
  EXPECT_EQ(project_charge(v, usage("60"), D("0.5")).amount, D("120"));  // pu 120 → 120·1
  EXPECT_EQ(project_charge(v, usage("0"), D("0.5")).amount, D("0"));
}

TEST(Projection, RatioModelsAndBounds) {
  auto pc = props(ChargeModel::percentage, R"({"rate": "10"})");
  ChargeUsage u = usage("30", 3);
  u.aggregation = AggregationKind::sum;
  auto pp = project_charge(pc, u, D("0.25"));
  EXPECT_EQ(pp.amount, D("12"));  // 30 × 10 % = 3, / 0.25
  EXPECT_EQ(pp.units, D("120"));
  auto gp = props(ChargeModel::graduated_percentage, kGradPct);
  EXPECT_EQ(project_charge(gp, usage("11"), D("0.5")).amount, D("1000.24"));  // 500.12 / 0.5
  auto dy = props(ChargeModel::dynamic, "{}");
  ChargeUsage du = usage("2", 2);
  du.dynamic_amount = D("12.34");
  EXPECT_EQ(project_charge(dy, du, D("0.5")).amount, D("24.68"));
  auto st = props(ChargeModel::standard, R"({"amount": "10"})");
  EXPECT_EQ(project_charge(st, usage("3"), D("0")).amount, D("0"));
  EXPECT_EQ(project_charge(st, usage("3"), D("1.5")).amount, D("0"));
  EXPECT_EQ(project_charge(st, usage("3"), D("1")).amount, D("30"));
}

}  // namespace
}  // namespace tariff
