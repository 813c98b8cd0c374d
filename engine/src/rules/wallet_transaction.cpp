// The one writer of a billing wallet transaction (tariff/rules.hpp): the engine's bill changes
// and the server's void recredit both record theirs through it.
#include "tariff/rules.hpp"

namespace tariff::rules {

nlohmann::ordered_json wallet_transaction_json(const WalletTransactionRecord& r) {
  using ojson = nlohmann::ordered_json;
  ojson t;
  t["lago_id"] = r.lago_id;
  t["lago_wallet_id"] = r.lago_wallet_id;
  t["lago_invoice_id"] = r.lago_invoice_id;
  t["lago_credit_note_id"] = nullptr;
  t["lago_voided_invoice_id"] = r.lago_voided_invoice_id;
  t["transaction_type"] = r.inbound ? "inbound" : "outbound";
  t["transaction_status"] = r.inbound ? "granted" : "invoiced";
  t["status"] = "settled";
  t["source"] = "manual";
  t["amount"] = r.amount.to_string();
  t["amount_cents"] = r.amount_cents;
  t["credit_amount"] = r.credit_amount.to_string();
  t["currency"] = r.currency;
  t["settled_at"] = r.at;
  t["created_at"] = r.at;
  for (const char* k : {"remaining_amount_cents", "remaining_credit_amount", "failed_at", "name", "payment_method"})
    t[k] = nullptr;
  t["priority"] = 50;
  t["invoice_requires_successful_payment"] = false;
  t["metadata"] = ojson::array();
  return t;
}

}  // namespace tariff::rules
