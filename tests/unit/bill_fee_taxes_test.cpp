// The applied taxes of one fee (Lago's Fees::ApplyTaxesService), worked out by hand: per tax
// round(sub_total_excluding_taxes_amount_cents × rate / 100), the base being the fee's amount
// net of its coupon share.
#include <gtest/gtest.h>

#include "operations/bill.hpp"

namespace {

using tariff::Decimal;
using tariff::InvoiceFee;
using tariff::Tax;

const tariff::Currency kUsd{"USD", 2, 100};

Tax tax(const char* code, const char* rate) {
  Tax t;
  t.lago_id = std::string("tax_") + code;
  t.code = code;
  t.name = code;
  t.rate = *Decimal::parse(rate);
  return t;
}

TEST(BillFeeTaxes, EachTaxOnTheFeeAmount) {
  // A 100.00 fee with VAT 20 % and 5.5 %: 10000 × 20 / 100 = 2000 and 10000 × 5.5 / 100 = 550.
  const Tax vat = tax("vat20", "20"), red = tax("red55", "5.5");
  InvoiceFee f;
  f.amount_cents = 10000;
  f.taxes = {&vat, &red};
  const auto applied = tariff::billing::fee_applied_taxes(f, kUsd);
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0]["tax_code"], "vat20");
  EXPECT_EQ(applied[0]["lago_tax_id"], "tax_vat20");
  EXPECT_EQ(applied[0]["amount_cents"], 2000);
  EXPECT_EQ(applied[0]["amount_currency"], "USD");
  EXPECT_EQ(applied[0]["tax_rate"], 20);
  EXPECT_EQ(applied[1]["tax_code"], "red55");
  EXPECT_EQ(applied[1]["amount_cents"], 550);
  EXPECT_EQ(applied[1]["tax_rate"], 5.5);
  EXPECT_TRUE(applied[1]["lago_id"].is_null());
  EXPECT_TRUE(applied[1]["lago_fee_id"].is_null());
}

TEST(BillFeeTaxes, AfterTheCouponShareRoundedPerTax) {
  // The same fee with a 10.00 coupon share: base 9000 → 1800 and 495.
  const Tax vat = tax("vat20", "20"), red = tax("red55", "5.5");
  InvoiceFee f;
  f.amount_cents = 10000;
  f.precise_coupons_amount_cents = Decimal(1000);
  f.taxes = {&vat, &red};
  auto applied = tariff::billing::fee_applied_taxes(f, kUsd);
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0]["amount_cents"], 1800);
  EXPECT_EQ(applied[1]["amount_cents"], 495);
  // A 10.00 fee with a precise coupon share of 1.00 (base 900): 5.5 % = 49.5 → 50 (half away
  // from zero, Ruby's Float#round); 20 % = 180.
  f.amount_cents = 1000;
  f.precise_coupons_amount_cents = Decimal(100);
  applied = tariff::billing::fee_applied_taxes(f, kUsd);
  EXPECT_EQ(applied[0]["amount_cents"], 180);
  EXPECT_EQ(applied[1]["amount_cents"], 50);
  // A fee with no tax has none.
  f.taxes.clear();
  EXPECT_TRUE(tariff::billing::fee_applied_taxes(f, kUsd).empty());
}

}  // namespace
