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

namespace {
rules::WalletState wallet(const char* rate, const char* currency, const char* credits, int64_t cents, const char* consumed) {
  rules::WalletState w;
  w.rate_amount = d(rate);
  w.currency = currency;
  w.credits_balance = d(credits);
  w.balance_cents = cents;
  w.consumed_credits = d(consumed);
  return w;
}
}  // namespace

TEST(RulesVoidRecredit, WholeCentsThroughTheRate) {
  // A 10 USD debit of a wallet at 3.00 a credit was 10 / 3 = 3.33333 credits; the wallet had
  // 10 credits (3000 cents) and keeps 6.66667 (2000). Back: 3.33333 × 3 = 9.99999 → 10.00 USD =
  // 1000 cents; 10 / 3 = 3.33333 credits. After: 10 credits, 3000 cents, consumed 0.
  auto r = rules::void_recredit(d("3.33333"), wallet("3", "USD", "6.66667", 2000, "3.33333"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value->recredited);
  EXPECT_EQ(r.value->amount, d("10"));
  EXPECT_EQ(r.value->amount_cents, 1000);
  EXPECT_EQ(r.value->credit_amount, d("3.33333"));
  EXPECT_EQ(r.value->wallet.credits_balance, d("10"));
  EXPECT_EQ(r.value->wallet.balance_cents, 3000);
  EXPECT_EQ(r.value->wallet.consumed_credits, d("0"));
}

TEST(RulesVoidRecredit, PartialDebitFlooredThenRoundedToCents) {
  // 2.123456 credits floored to 2.12345; × 1.5 = 3.185175 EUR → 3.19 (half up) = 319 cents;
  // 3.19 / 1.5 = 2.126666… → 2.12667 credits granted (Lago gives back whole cents, so a
  // little more than was debited). Before: 7.87655 credits, 1181 cents, consumed 5.
  // After: 7.87655 + 2.12667 = 10.00322, 1181 + 319 = 1500, 5 − 2.12667 = 2.87333.
  auto r = rules::void_recredit(d("2.123456"), wallet("1.5", "EUR", "7.87655", 1181, "5"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value->amount, d("3.19"));
  EXPECT_EQ(r.value->amount_cents, 319);
  EXPECT_EQ(r.value->credit_amount, d("2.12667"));
  EXPECT_EQ(r.value->wallet.credits_balance, d("10.00322"));
  EXPECT_EQ(r.value->wallet.balance_cents, 1500);
  EXPECT_EQ(r.value->wallet.consumed_credits, d("2.87333"));
  // Consumed credits never go below zero: 1 consumed, 2.12667 back → 0.
  r = rules::void_recredit(d("2.123456"), wallet("1.5", "EUR", "0", 0, "1"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value->wallet.consumed_credits, d("0"));
  // No decimals (JPY): 3.3 credits at 2.5 = 8.25 → 8 yen; 8 / 2.5 = 3.2 credits.
  r = rules::void_recredit(d("3.3"), wallet("2.5", "JPY", "0", 0, "0"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value->amount_cents, 8);
  EXPECT_EQ(r.value->credit_amount, d("3.2"));
}

TEST(RulesVoidRecredit, SeveralWalletsEachFromItsOwnState) {
  // One invoice of 1000 cents paid by A (3.00 a credit, 333 cents = 1.11 credits) and B (1.50 a
  // credit, 667 cents = 4.44667 credits). A: 1.11 × 3 = 3.33 → 333 cents, 1.11 credits back
  // (0.00111 + 1.11 = 1.11111). B: 4.44667 × 1.5 = 6.670005 → 6.67 → 667 cents, 6.67 / 1.5 =
  // 4.44667 credits back (5.55333 + 4.44667 = 10).
  auto a = rules::void_recredit(d("1.11"), wallet("3", "USD", "0.00111", 0, "1.11"));
  auto b = rules::void_recredit(d("4.44667"), wallet("1.5", "USD", "5.55333", 833, "4.44667"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value->amount_cents, 333);
  EXPECT_EQ(a.value->credit_amount, d("1.11"));
  EXPECT_EQ(a.value->wallet.credits_balance, d("1.11111"));
  EXPECT_EQ(a.value->wallet.balance_cents, 333);
  EXPECT_EQ(b.value->amount, d("6.67"));
  EXPECT_EQ(b.value->amount_cents, 667);
  EXPECT_EQ(b.value->credit_amount, d("4.44667"));
  EXPECT_EQ(b.value->wallet.credits_balance, d("10"));
  EXPECT_EQ(b.value->wallet.balance_cents, 1500);
  // Two debits of one wallet, the second from the state the first left: 2 × (1.11 back).
  auto again = rules::void_recredit(d("1.11"), a.value->wallet);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value->wallet.credits_balance, d("2.22111"));
  EXPECT_EQ(again.value->wallet.balance_cents, 666);
}

TEST(RulesVoidRecredit, NothingBackUnderACentAndBadWalletsRefused) {
  // 4 credits at 0.001 USD = 0.004 → 0.00: no cent, nothing given back, the wallet unchanged.
  auto r = rules::void_recredit(d("4"), wallet("0.001", "USD", "1", 0, "4"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value->recredited);
  EXPECT_EQ(r.value->wallet.credits_balance, d("1"));
  EXPECT_EQ(r.value->wallet.consumed_credits, d("4"));
  // 0.000004 credits floor to 0: nothing.
  r = rules::void_recredit(d("0.000004"), wallet("1000000", "USD", "0", 0, "0"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value->recredited);
  r = rules::void_recredit(d("1"), wallet("0", "USD", "0", 0, "0"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.details.at("rate_amount").at(0), "value_is_invalid");
  r = rules::void_recredit(d("1"), wallet("1", "XXQ", "0", 0, "0"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.details.at("currency").at(0), "value_is_invalid");
  // 2^63 − 1 cents already, one more cent does not fit.
  r = rules::void_recredit(d("1"), wallet("0.01", "USD", "0", INT64_MAX, "0"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.details.at("base").at(0), "value_out_of_range");
}

TEST(RulesRepriceDraftNote, TaxesOfTheRefreshedFee) {
  // A 2900 termination note on a 3100 fee with no tax; the refreshed fee is still 3100, now
  // taxed 20 %: 2900 × 3100 / 3100 = 2900; taxes 2900 × 20 / 100 = 580; credit 3480.
  auto n = rules::reprice_draft_note({{d("2900"), 3100}}, {3100, d("0"), d("20")});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value->items_precise_amount_cents.at(0), d("2900"));
  EXPECT_EQ(n.value->items_amount_cents.at(0), 2900);
  EXPECT_EQ(n.value->taxes_amount_cents, 580);
  EXPECT_EQ(n.value->taxes_rate, d("20"));
  EXPECT_EQ(n.value->sub_total_excluding_taxes_amount_cents, 2900);
  EXPECT_EQ(n.value->credit_amount_cents, 3480);
  EXPECT_EQ(n.value->balance_amount_cents, 3480);
  EXPECT_EQ(n.value->total_amount_cents, 3480);
}

TEST(RulesRepriceDraftNote, ItemsFollowTheFeeAndItsCoupons) {
  // The fee halves (3100 → 1550) and carries 310 of coupons, taxed 10 %: item 2900 × 1550 /
  // 3100 = 1450; coupons 310 × 1450 / 1550 = 290; base 1160; taxes 116; credit 1276.
  auto n = rules::reprice_draft_note({{d("2900"), 3100}}, {1550, d("310"), d("10")});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value->items_precise_amount_cents.at(0), d("1450"));
  EXPECT_EQ(n.value->coupons_adjustment_amount_cents, 290);
  EXPECT_EQ(n.value->sub_total_excluding_taxes_amount_cents, 1160);
  EXPECT_EQ(n.value->taxes_amount_cents, 116);
  EXPECT_EQ(n.value->credit_amount_cents, 1276);
  // Items keep 5 decimals: 1000.00001 × 1 / 3 = 333.3333366… → 333.33334; taxes at 5.5 %:
  // 333.33334 × 0.055 = 18.3333337 → 18; credit round(333.33334 + 18) = 351.
  n = rules::reprice_draft_note({{d("1000.00001"), 3}}, {1, d("0"), d("5.5")});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value->items_precise_amount_cents.at(0), d("333.33334"));
  EXPECT_EQ(n.value->items_amount_cents.at(0), 333);
  EXPECT_EQ(n.value->taxes_amount_cents, 18);
  EXPECT_EQ(n.value->credit_amount_cents, 351);
  // An old fee of 0 gives the item nothing (Lago's calculate_item_value); a new fee of 0 too.
  n = rules::reprice_draft_note({{d("500"), 0}}, {3100, d("0"), d("20")});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value->credit_amount_cents, 0);
  n = rules::reprice_draft_note({{d("500"), 3100}}, {0, d("0"), d("20")});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value->credit_amount_cents, 0);
}
