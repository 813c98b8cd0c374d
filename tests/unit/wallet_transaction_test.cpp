// rules::wallet_transaction_json: the one writer of billing's wallet transactions (the engine's
// bill changes and the server's void recredit), field by field as Lago's WalletTransaction.
#include <gtest/gtest.h>

#include "tariff/rules.hpp"

namespace {

using tariff::Decimal;
namespace rules = tariff::rules;

// A USD transaction of wallet w1: its amount, in cents, the credits it is worth, and its time.
rules::WalletTransactionRecord usd_record(const char* amount, int64_t cents, const char* credits, const char* at) {
  rules::WalletTransactionRecord r;
  r.lago_wallet_id = "w1";
  r.amount = *Decimal::parse(amount);
  r.amount_cents = cents;
  r.credit_amount = *Decimal::parse(credits);
  r.currency = "USD";
  r.at = at;
  return r;
}

TEST(WalletTransactionJson, OutboundDebitOfAnInvoice) {
  // 10.00 USD debited from a wallet at 3.0 USD a credit: 10 / 3 = 3.33333 credits.
  const rules::WalletTransactionRecord r = usd_record("10.00", 1000, "3.33333", "2024-04-01T00:00:00Z");
  const auto t = rules::wallet_transaction_json(r);
  EXPECT_TRUE(t["lago_id"].is_null());
  EXPECT_EQ(t["lago_wallet_id"], "w1");
  EXPECT_TRUE(t["lago_invoice_id"].is_null());
  EXPECT_TRUE(t["lago_voided_invoice_id"].is_null());
  EXPECT_EQ(t["transaction_type"], "outbound");
  EXPECT_EQ(t["transaction_status"], "invoiced");
  EXPECT_EQ(t["status"], "settled");
  EXPECT_EQ(t["source"], "manual");
  EXPECT_EQ(t["amount"], "10.0");  // BigDecimal#to_s of 10.00
  EXPECT_EQ(t["amount_cents"], 1000);
  EXPECT_EQ(t["credit_amount"], "3.33333");
  EXPECT_EQ(t["currency"], "USD");
  EXPECT_EQ(t["settled_at"], "2024-04-01T00:00:00Z");
  EXPECT_EQ(t["created_at"], "2024-04-01T00:00:00Z");
  EXPECT_EQ(t["priority"], 50);
  EXPECT_EQ(t["invoice_requires_successful_payment"], false);
  EXPECT_EQ(t["metadata"], nlohmann::ordered_json::array());
  for (const char* k : {"lago_credit_note_id", "remaining_amount_cents", "remaining_credit_amount", "failed_at", "name",
                        "payment_method"})
    EXPECT_TRUE(t[k].is_null()) << k;
}

TEST(WalletTransactionJson, InboundRecreditOfAVoidedInvoice) {
  rules::WalletTransactionRecord r = usd_record("3.33", 333, "1.11", "2024-04-02T00:00:00Z");
  r.lago_id = "t2";
  r.lago_voided_invoice_id = "inv_1";
  r.inbound = true;
  const auto t = rules::wallet_transaction_json(r);
  EXPECT_EQ(t["lago_id"], "t2");
  EXPECT_EQ(t["lago_voided_invoice_id"], "inv_1");
  EXPECT_EQ(t["transaction_type"], "inbound");
  EXPECT_EQ(t["transaction_status"], "granted");
  EXPECT_EQ(t["amount"], "3.33");
  EXPECT_EQ(t["amount_cents"], 333);
  EXPECT_EQ(t["credit_amount"], "1.11");
}

}  // namespace
