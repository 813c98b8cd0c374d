// Helpers shared by the resource handlers: stored documents as ordered JSON (the caller's key
// order survives a round trip), field checks that answer Lago's validation codes, and the
// paginated list envelope {<plural>: [...], meta: {...}}.
#pragma once

#include <optional>
#include <string>

#include "app.hpp"

namespace tariff::server {

inline std::optional<ordered_json> load_doc(Transaction& tx, const std::string& kind,
                                            const std::string& key) {
  auto d = tx.get(kind, key);
  if (!d) return std::nullopt;
  return ordered_json::parse(d->body);
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
    into[it.key()] = ordered_json::parse(it.value().dump());
  }
}

inline ordered_json to_ordered(const json& j) { return ordered_json::parse(j.dump()); }

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

// Currency subunit exponent (ISO 4217): JPY 0, KWD 3, most others 2.
int currency_exponent(const std::string& currency);

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
