// rules::wallet_amount and rules::past_usage_sums: the money the server stores for wallets
// and past usage, worked out by hand.
#include <gtest/gtest.h>

#include "tariff/rules.hpp"

using tariff::Decimal;
using nlohmann::json;
namespace rules = tariff::rules;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }
}  // namespace

TEST(RulesWalletAmount, CreditsTimesRateInSubunits) {
  // 10.5 credits at 2.0 USD = 21.00 USD = 2100 cents.
  auto w = rules::wallet_amount(d("10.5"), d("2.0"), "USD");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value->amount_cents, 2100);
  EXPECT_EQ(w.value->amount, d("21"));
  // 3.33333 credits at 1.5 EUR = 4.999995 EUR → rounded to 2 places 5.00 → 500 cents.
  w = rules::wallet_amount(d("3.33333"), d("1.5"), "EUR");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value->amount, d("4.999995"));
  EXPECT_EQ(w.value->amount_cents, 500);
  // HUF has no decimals: 7.4 credits at 100 = 740 HUF = 740; KWD three: 1.2345 × 1 = 1.235 → 1235 fils (half up).
  w = rules::wallet_amount(d("7.4"), d("100"), "HUF");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value->amount_cents, 740);
  w = rules::wallet_amount(d("1.2345"), d("1"), "KWD");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value->amount_cents, 1235);
}

TEST(RulesWalletAmount, BeyondInt64CentsRefused) {
  // 983723768606330391 credits × 0.5 × 100 = 49186188430316519550 cents > 2^63 − 1.
  auto w = rules::wallet_amount(d("983723768606330391"), d("0.5"), "EUR");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error.details.at("base").at(0), "value_out_of_range");
  // 92233720368547758 credits × 1 × 100 = 9223372036854775800 cents: fits.
  w = rules::wallet_amount(d("92233720368547758"), d("1"), "EUR");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value->amount_cents, 9223372036854775800LL);
}

TEST(RulesWalletAmount, UnknownCurrencyRefused) {
  auto w = rules::wallet_amount(d("1"), d("1"), "XXQ");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error.status, 422);
  EXPECT_EQ(w.error.details.at("currency").at(0), "value_is_invalid");
}

TEST(RulesPastUsage, GroupsByChargeAndSums) {
  // Two fees of charge c1 (100 + 250 cents, 2 + 3.5 units, 1 + 2 events), one of c2 (40 cents,
  // 4 units, 4 events); taxes 20 + 50 + 8 = 78; amount 390; total 468.
  const json fees = json::parse(R"([
    {"lago_charge_id": "c1", "amount_cents": 100, "taxes_amount_cents": 20, "units": "2", "total_aggregated_units": "2", "events_count": 1},
    {"lago_charge_id": "c2", "amount_cents": 40, "taxes_amount_cents": 8, "units": "4", "total_aggregated_units": "4", "events_count": 4},
    {"lago_charge_id": "c1", "amount_cents": 250, "taxes_amount_cents": 50, "units": "3.5", "total_aggregated_units": "3.5", "events_count": 2}
  ])");
  auto s = rules::past_usage_sums(fees);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value->amount_cents, 390);
  EXPECT_EQ(s.value->taxes_amount_cents, 78);
  EXPECT_EQ(s.value->total_amount_cents, 468);
  ASSERT_EQ(s.value->charges.size(), 2u);
  EXPECT_EQ(s.value->charges[0].lago_charge_id, "c1");
  EXPECT_EQ(s.value->charges[0].first_fee, 0u);
  EXPECT_EQ(s.value->charges[0].amount_cents, 350);
  EXPECT_EQ(s.value->charges[0].units, d("5.5"));
  EXPECT_EQ(s.value->charges[0].events_count, 3);
  EXPECT_EQ(s.value->charges[1].first_fee, 1u);
  EXPECT_EQ(s.value->charges[1].amount_cents, 40);
}

TEST(RulesPastUsage, OverflowAndBadValuesRefused) {
  const json big = json::parse(R"([{"amount_cents": 9223372036854775807}, {"amount_cents": 1}])");
  EXPECT_FALSE(rules::past_usage_sums(big).ok());
  EXPECT_FALSE(rules::past_usage_sums(json::parse(R"([{"amount_cents": "12"}])")).ok());
  EXPECT_FALSE(rules::past_usage_sums(json::parse(R"([{"units": "x"}])")).ok());
  EXPECT_TRUE(rules::past_usage_sums(json::array()).ok());
}
