// bill (docs/billing.md): the invoice Lago issues at a billing instant and the state changes it
// implies, computed with the same context and pipeline as `preview` (a periodic invoice at B is
// the projection preview taken at B − 1 µs; a termination or an upgrade at B is that preview
// taken at B). Internal to the operation: the request, the billing history, the changes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "invoice/pipeline.hpp"

namespace tariff::billing {

enum class Reason {
  subscription_periodic,
  subscription_starting,
  subscription_terminating,
  upgrading,
  in_advance_charge,
  in_advance_charge_periodic  // paid non-invoiceable fees regrouped (Lago's Invoices::AdvanceChargesService)
};
const char* reason_name(Reason r);

struct Request {
  Reason reason = Reason::subscription_periodic;
  Instant billing_at{};
  std::vector<std::string> external_subscription_ids;
  std::optional<std::string> plan_code;  // upgrading: the new plan
  nlohmann::json event;                  // in_advance_charge: a Lago Event
  // A draft invoice recomputed (Lago's RefreshDraftService / RefreshDraftAndFinalizeService):
  // `refresh` keeps it a draft; `finalize` issues it with coupons, credit notes and wallets
  // (its termination note was issued with the draft), dated `finalized_at`.
  bool refresh = false, finalize = false;
  std::optional<Instant> finalized_at;
};

// What earlier `bill` results left in the store, fed back as snapshot.invoices[].
struct BilledKey {
  std::string external_subscription_id, invoicing_reason, from_datetime, to_datetime, charges_from_datetime,
      charges_to_datetime, event_transaction_id;
  bool operator==(const BilledKey& o) const {
    return external_subscription_id == o.external_subscription_id && invoicing_reason == o.invoicing_reason &&
           from_datetime == o.from_datetime && to_datetime == o.to_datetime &&
           charges_from_datetime == o.charges_from_datetime && charges_to_datetime == o.charges_to_datetime &&
           event_transaction_id == o.event_transaction_id;
  }
};

// Ids of the snapshot's applied coupons, wallets and credit notes, by input index (the typed
// snapshot keeps input order), read before parse_snapshot takes the document apart.
struct InputIds {
  std::vector<nlohmann::ordered_json> applied_coupons, wallets, credit_notes;
  std::vector<std::optional<Decimal>> wallet_credits_balance;
};

Request read_request(const nlohmann::json& doc, Instant now);
std::vector<BilledKey> read_history(const nlohmann::json& doc);
InputIds read_input_ids(const nlohmann::json& doc);

// changes.{applied_coupons, wallets, wallet_transactions, credit_notes} of one invoice.
nlohmann::ordered_json state_changes(const Snapshot& s, const PreviewContext& ctx, const ComputedInvoice& inv,
                                     const InputIds& ids, Instant billing_at);

// Lago's Fee::AppliedTax rows of one fee (bill_fee_taxes.cpp), ids null: the caller assigns
// them. invoice_fee_taxes: one list per fee of the invoice, in the invoice's fee order (the
// result's fee_applied_taxes[i] for invoices[i]).
nlohmann::ordered_json fee_applied_taxes(const InvoiceFee& f, const Currency& cur);
nlohmann::ordered_json invoice_fee_taxes(const ComputedInvoice& inv, const Currency& cur);

// in_advance_charge: the invoice of one event (bill_in_advance.cpp). `original` is the snapshot
// document as received (taken apart: the estimate is computed over it).
nlohmann::ordered_json in_advance_charge(nlohmann::json& original, Snapshot& s, const Request& req,
                                         const InputIds& ids, const std::vector<BilledKey>& history);

// in_advance_charge_periodic: the paid fees of non-invoiceable charges regrouped on one
// invoice (bill_advance_charges.cpp). `fees` is snapshot.fees as given, `regroup_plans` the plan
// codes with a charge whose regroup_paid_fees is "invoice" (both read before parsing).
struct StandaloneFees {
  nlohmann::json fees = nlohmann::json::array();
  std::vector<std::string> regroup_plans;
};
StandaloneFees read_standalone_fees(const nlohmann::json& doc);
nlohmann::ordered_json advance_charges(const StandaloneFees& in, Snapshot& s, const Request& req,
                                       const std::vector<BilledKey>& history);

}  // namespace tariff::billing
