// Lago's response objects from the stored documents: the fields Lago's OpenAPI document gives
// for each object, valued as Lago's serializers (app/serializers/v1/*) value them, and
// nothing else. Stored documents keep what the caller sent (the engine's snapshot is built
// from them); only what goes out over HTTP passes through here.
//
// A field Lago sends as null where its document allows no null and does not require the
// field (a plan's description, a customer's payment provider) is left out rather than sent
// as null: the document is what Lago's clients are generated from.
#pragma once

#include "resources.hpp"

namespace tariff::server {

ordered_json serialize_tax(const ordered_json& tax);
ordered_json serialize_metric(const ordered_json& metric);
ordered_json serialize_plan(const ordered_json& plan, Transaction& tx);
ordered_json serialize_coupon(const ordered_json& coupon);
ordered_json serialize_organization(const ordered_json& org, Transaction& tx);
// extended: with taxes and invoice custom sections (the customer endpoints), else the plain
// customer an invoice embeds.
ordered_json serialize_customer(const ordered_json& customer, Transaction& tx, bool extended = true);
// now_us: the request time (Lago's billing reference time is max(now, started_at)).
// zone: the customer's time zone when the customer is not stored (a preview's new customer).
ordered_json serialize_subscription(const ordered_json& sub, Transaction& tx, int64_t now_us,
                                   const std::optional<std::string>& zone = std::nullopt);
ordered_json serialize_applied_coupon(const ordered_json& applied, bool with_credits);
ordered_json serialize_wallet(const ordered_json& wallet);
ordered_json serialize_wallet_transaction(const ordered_json& t, const ordered_json& wallet);
ordered_json serialize_event(const ordered_json& event);

// Gives a customer Lago's sequential_id (1, 2, …, never reused after a deletion) and slug
// ("<organization document_number_prefix>-<sequential_id, 3 digits>") once, when first stored.
void identify_customer(Transaction& tx, ordered_json& customer, const std::string& now, IdSource& ids);
// The organization as stored, with Lago's defaults (lago_id, name, document number prefix,
// created_at) filled in and saved on first use.
ordered_json ensure_organization(Transaction& tx, const std::string& now, IdSource& ids);
// Fills those defaults in `org` (the prefix from its name as it is); true if any was missing.
bool complete_organization(ordered_json& org, const std::string& now, IdSource& ids);

}  // namespace tariff::server
