// Helpers shared by the resource handlers: stored documents as ordered JSON (the caller's key
// order survives a round trip), field checks that answer Lago's validation codes, and the
// paginated list envelope {<plural>: [...], meta: {...}}.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "app.hpp"
#include "tariff/json.hpp"
#include "tariff/rules.hpp"

namespace tariff::server {

// A stored document (or any JSON the server wrote) read back exactly, in its key order. Stored
// text was written by the server itself, so a malformed one is an internal error.
inline ordered_json parse_stored(const std::string& text) {
  ordered_json doc = parse_ordered_json_exact(text);
  if (doc.is_discarded()) throw std::runtime_error("stored document is not valid JSON");
  return doc;
}

inline std::optional<ordered_json> load_doc(Transaction& tx, const std::string& kind,
                                            const std::string& key) {
  auto d = tx.get(kind, key);
  if (!d) return std::nullopt;
  return parse_stored(d->body);
}

inline void save_doc(Transaction& tx, const std::string& kind, const std::string& key,
                     const ordered_json& body, const std::string& owner = "",
                     const std::string& ref = "") {
  tx.put(Document{kind, key, owner, ref, body.dump()});
}

// A non-empty string field, else 422 {field: ["value_is_mandatory"]} (or "invalid_type").
inline std::string required_string(const json& obj, const std::string& field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) throw validation(field, "value_is_mandatory");
  if (!it->is_string()) throw validation(field, "invalid_type");
  std::string v = it->get<std::string>();
  if (v.empty()) throw validation(field, "value_is_mandatory");
  return v;
}

inline std::optional<std::string> optional_string(const json& obj, const std::string& field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw validation(field, "invalid_type");
  return it->get<std::string>();
}

inline std::string string_or(const ordered_json& obj, const std::string& field,
                             const std::string& fallback) {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// Copies the fields of an input object into a stored one (top level; nulls kept as null).
inline void merge_fields(ordered_json& into, const json& from) {
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (it.key() == "lago_id" || it.key() == "created_at") continue;
    into[it.key()] = parse_stored(it.value().dump());
  }
}

inline ordered_json to_ordered(const json& j) { return parse_stored(j.dump()); }

inline Reply list_reply(const std::string& plural, const ordered_json& items,
                        const Pagination& p, int64_t total) {
  ordered_json d;
  d[plural] = items;
  d["meta"] = p.meta(total);
  return json_reply(d);
}

inline Reply object_reply(const std::string& root, const ordered_json& obj) {
  ordered_json d;
  d[root] = obj;
  return json_reply(d);
}

// ---- write-time validation (validation.cpp): the engine's rules::validate over stored context
// An ordered document as the engine reads JSON (exact numbers).
json exact_json(const ordered_json& doc);
// Snapshot sections from the store: "billable_metric", "tax", "plan", "coupon" (all of them)
// and "organization" (as calculations see it).
json stored_context(Transaction& tx, std::initializer_list<const char*> kinds);
// 422 validation_errors with the engine's details (Lago's codes) unless `object` may be stored.
void refuse_unless_valid(rules::Resource kind, const ordered_json& object, const json& context,
                         const Context& ctx);
// The engine's context for subscriptions of one customer: organization, customer, metrics,
// taxes and only the plans the subscriptions name.
json subscription_context(Transaction& tx, const std::string& external_customer_id,
                          const std::vector<ordered_json>& subs);
// Per object of the array `objects`: its error details ({} when valid).
std::vector<ordered_json> validation_errors(rules::Resource kind, const json& objects,
                                            const json& context, const Context& ctx);

// What depends on a catalog object (dependents.cpp): updates and deletions as Lago's
// services, so that what is left stays calculable.
std::vector<std::string> frozen_metric_fields(Transaction& tx, const ordered_json& metric);
std::vector<std::string> frozen_plan_fields(Transaction& tx, const ordered_json& plan);
std::vector<std::string> frozen_coupon_fields(Transaction& tx, const ordered_json& coupon);
void after_metric_updated(Transaction& tx, const ordered_json& before, const ordered_json& after, Context& ctx);
void after_tax_updated(Transaction& tx, const ordered_json& before, const ordered_json& after, Context& ctx);
void after_plan_updated(Transaction& tx, const ordered_json& before, const ordered_json& after, Context& ctx);
void after_metric_deleted(Transaction& tx, const ordered_json& metric, Context& ctx);
void after_tax_deleted(Transaction& tx, const ordered_json& tax, Context& ctx);
void after_coupon_deleted(Transaction& tx, const ordered_json& coupon, Context& ctx);
void after_plan_deleted(Transaction& tx, const ordered_json& plan, Context& ctx);
// The newest deleted plan with this code, kept for the subscriptions that were on it.
std::optional<ordered_json> discarded_plan(Transaction& tx, const std::string& code);

// Applies due transitions to a customer's subscriptions at `now_us` (pending → active when
// subscription_at is reached, active → terminated at ending_at or at a downgrade date).
void settle_subscriptions(Transaction& tx, const std::string& external_customer_id,
                          int64_t now_us, const std::string& now);

}  // namespace tariff::server

namespace tariff::server {
// The organization as a snapshot carries it: timezone, default_currency,
// invoice_grace_period (defaults UTC, USD, 0), plus whatever else was stored.
ordered_json snapshot_organization(Transaction& tx);
// The organization as stored, or a fresh store's defaults (name, timezone, currency, grace).
ordered_json load_organization(Transaction& tx);
}  // namespace tariff::server
