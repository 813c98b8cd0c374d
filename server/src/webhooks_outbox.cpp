// The outbox (webhooks.hpp): one "webhook" document per (change, subscribed endpoint), written
// in the transaction of the change, with the exact body the Deliverer will post. The body is
// Lago's Webhooks::BaseService payload; the object in it is what the API answers for it
// (invoices.cpp, serializers.cpp), with the includes Lago's webhook services ask for.
#include <mutex>
#include <map>

#include "progressive.hpp"
#include "resources.hpp"
#include "serializers.hpp"
#include "tariff/json.hpp"
#include "tariff/rules.hpp"
#include "webhooks.hpp"
#include "webhooks_crypto.hpp"

namespace tariff::server::webhooks {
namespace {

IdSource& id_source() {
  static IdSource ids;  // thread-safe; only for ids no request hands in
  return ids;
}

// The registered endpoints that want `type` (Lago's subscribed?: no event_types = every type).
std::vector<ordered_json> endpoints_for(Transaction& tx, const std::string& type) {
  std::vector<ordered_json> out;
  for (const auto& d : tx.list(DocumentQuery{"webhook_endpoint", std::nullopt, std::nullopt, 0, -1}).items) {
    ordered_json e = parse_stored(d.body);
    const auto it = e.find("event_types");
    bool wanted = it == e.end() || !it->is_array();
    if (!wanted)
      for (const auto& t : *it) wanted |= t.is_string() && t.get<std::string>() == type;
    if (wanted) out.push_back(std::move(e));
  }
  return out;
}

// Writes the webhook for each endpoint in `endpoints`: {webhook_type, object_type,
// organization_id, <object_type>: object}, created at `now` (the change's instant).
void record(Transaction& tx, const std::vector<ordered_json>& endpoints, const std::string& type,
            const std::string& object_type, const std::string& object_id, ordered_json object, const std::string& now) {
  const ordered_json org = ensure_organization(tx, now, id_source());
  ordered_json payload;
  payload["webhook_type"] = type;
  payload["object_type"] = object_type;
  payload["organization_id"] = org.value("lago_id", ordered_json(nullptr));
  payload[object_type] = std::move(object);
  const std::string body = payload.dump();
  for (const auto& e : endpoints) {
    ordered_json w;
    w["lago_id"] = id_source().uuid();
    w["lago_webhook_endpoint_id"] = e["lago_id"];
    w["endpoint"] = e["webhook_url"];
    w["webhook_type"] = type;
    w["object_type"] = object_type;
    w["lago_object_id"] = object_id.empty() ? ordered_json(nullptr) : ordered_json(object_id);
    w["status"] = "pending";
    w["retries"] = 0;
    w["http_status"] = nullptr;
    w["response"] = nullptr;
    w["payload"] = body;
    w["created_at"] = now;
    w["updated_at"] = now;
    w["last_retried_at"] = nullptr;
    w["next_attempt_at"] = nullptr;  // due at once
    save_doc(tx, "webhook", w["lago_id"].get<std::string>(), w, e["lago_id"].get<std::string>(), "due");
  }
}

ordered_json customer_of(Transaction& tx, const std::string& external_id, bool extended) {
  auto c = load_doc(tx, "customer", external_id);
  return c ? serialize_customer(*c, tx, extended) : ordered_json(nullptr);
}

}  // namespace

void invoice_status(const Context& ctx, Transaction& tx, const std::string& invoice_id) {
  const auto inv = load_doc(tx, "invoice", invoice_id);
  if (!inv) return;
  const std::string status = string_or(*inv, "status", "");
  const std::string type = status == "draft"       ? "invoice.drafted"
                           : status == "finalized" ? "invoice.created"
                           : status == "voided"    ? "invoice.voided"
                                                   : "";
  if (type.empty()) return;
  const auto endpoints = endpoints_for(tx, type);
  if (endpoints.empty()) return;
  record(tx, endpoints, type, "invoice", invoice_id, invoice_object(ctx, tx, invoice_id), ctx.now);
}

void credit_note_created(const Context& ctx, Transaction& tx, const std::string& note_id) {
  const auto endpoints = endpoints_for(tx, "credit_note.created");
  if (endpoints.empty()) return;
  const auto stored = load_doc(tx, "credit_note", note_id);
  if (!stored) return;
  // Lago's CreditNoteSerializer with customer, items and applied taxes.
  ordered_json note = credit_note_object(tx, note_id);
  note["customer"] = customer_of(tx, string_or(*stored, "external_customer_id", ""), false);
  if (note["customer"].is_object()) note["customer"].erase("integration_customers");  // CustomerSerializer, no includes
  record(tx, endpoints, "credit_note.created", "credit_note", note_id, std::move(note), ctx.now);
}

void wallet_transaction_created(const Context& ctx, Transaction& tx, const std::string& transaction_id,
                                const ordered_json* given) {
  const auto endpoints = endpoints_for(tx, "wallet_transaction.created");
  if (endpoints.empty()) return;
  const auto t = load_doc(tx, "wallet_transaction", transaction_id);
  if (!t) return;
  const ordered_json wallet =
      given ? *given : load_doc(tx, "wallet", string_or(*t, "lago_wallet_id", "")).value_or(ordered_json::object());
  // Lago's WalletTransactionSerializer with the wallet.
  ordered_json o = serialize_wallet_transaction(*t, wallet);
  o["wallet"] = serialize_wallet(wallet);
  record(tx, endpoints, "wallet_transaction.created", "wallet_transaction", transaction_id, std::move(o), ctx.now);
}

void subscription_saving(Transaction& tx, const ordered_json& sub) {
  const std::string status = string_or(sub, "status", "");
  if (status != "active" && status != "terminated") return;
  const std::string type = status == "active" ? "subscription.started" : "subscription.terminated";
  const auto endpoints = endpoints_for(tx, type);
  if (endpoints.empty()) return;
  const std::string id = string_or(sub, "lago_id", "");
  const auto before = load_doc(tx, "subscription", id);
  const std::string was = before ? string_or(*before, "status", "") : "";
  if (was == status || (status == "active" && was == "terminated")) return;
  // The instant of the change is the subscription's own: when it started, or ended.
  const std::string at = string_or(sub, status == "active" ? "started_at" : "terminated_at", "");
  const auto at_us = parse_iso(at);
  if (!at_us) return;
  const std::string now = format_iso(*at_us);
  // Lago's SubscriptionSerializer with the plan and the customer.
  ordered_json o = serialize_subscription(sub, tx, *at_us);
  const std::string code = string_or(sub, "plan_code", "");
  auto plan = load_doc(tx, "plan", code);
  if (!plan) plan = discarded_plan(tx, code);
  o["plan"] = plan ? serialize_plan(*plan, tx) : ordered_json(nullptr);
  o["customer"] = customer_of(tx, string_or(sub, "external_customer_id", ""), false);
  record(tx, endpoints, type, "subscription", id, std::move(o), now);
}

void usage_threshold_reached(const Context& ctx, Transaction& tx, const std::string& sub_lago_id,
                             const ordered_json& threshold) {
  const auto endpoints = endpoints_for(tx, "subscription.usage_threshold_reached");
  if (endpoints.empty()) return;
  const auto sub = load_doc(tx, "subscription", sub_lago_id);
  if (!sub) return;
  // Lago's UsageThresholdsReachedService: SubscriptionSerializer with plan, customer,
  // usage_threshold (UsageThresholdSerializer) and applicable_usage_thresholds.
  ordered_json o = serialize_subscription(*sub, tx, ctx.now_us);
  const std::string code = string_or(*sub, "plan_code", "");
  auto plan = load_doc(tx, "plan", code);
  if (!plan) plan = discarded_plan(tx, code);
  o["plan"] = plan ? serialize_plan(*plan, tx) : ordered_json(nullptr);
  o["customer"] = customer_of(tx, string_or(*sub, "external_customer_id", ""), false);
  ordered_json t;
  for (const char* k : {"lago_id", "threshold_display_name", "amount_cents", "recurring", "created_at", "updated_at"})
    t[k] = threshold.value(k, ordered_json(nullptr));
  if (t["updated_at"].is_null()) t["updated_at"] = t["created_at"];  // stored thresholds keep their creation only
  o["usage_threshold"] = std::move(t);
  o["applicable_usage_thresholds"] = applicable_usage_thresholds(tx, *sub);
  record(tx, endpoints, "subscription.usage_threshold_reached", "subscription", sub_lago_id, std::move(o), ctx.now);
}

void events_stored(Transaction& tx, const std::vector<EventRecord>& events, int64_t now_us) {
  const auto endpoints = endpoints_for(tx, "events.errors");
  if (endpoints.empty() || events.empty()) return;
  json stored = json::array();
  for (const auto& e : events) stored.push_back(parse_json_exact(e.body));
  const json metrics = stored_context(tx, {"billable_metric"}).value("billable_metrics", json::array());
  const rules::EventErrors errors = rules::event_errors(stored, metrics);
  if (errors.empty()) return;
  // Lago's EventsValidationErrorsSerializer: missing_group_key is never filled (nil).
  ordered_json o;
  o["invalid_code"] = errors.invalid_code;
  o["missing_aggregation_property"] = errors.missing_aggregation_property;
  o["missing_group_key"] = nullptr;
  o["invalid_filter_values"] = errors.invalid_filter_values;
  record(tx, endpoints, "events.errors", "events_errors", "", std::move(o), format_iso(now_us));
}

Keys keys(Store& store) {
  static std::mutex mu;
  static std::map<const Store*, Keys> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(&store); it != cache.end()) return it->second;
  std::optional<ordered_json> doc;
  store.transact(Store::Mode::read, [&](Transaction& tx) { doc = load_doc(tx, "webhook_keys", "default"); });
  if (!doc) {
    // Generated outside the transaction (RSA takes a while); the first writer's keys win.
    const KeyPair pair = generate_key_pair();
    ordered_json fresh;
    fresh["private_key"] = pair.private_pem;
    fresh["hmac_key"] = id_source().uuid();
    store.transact(Store::Mode::write, [&](Transaction& tx) {
      doc = load_doc(tx, "webhook_keys", "default");
      if (doc) return;
      save_doc(tx, "webhook_keys", "default", fresh);
      doc = fresh;
    });
  }
  Keys k;
  k.private_pem = string_or(*doc, "private_key", "");
  k.public_pem = public_pem_of(k.private_pem);
  k.hmac_key = string_or(*doc, "hmac_key", "");
  cache[&store] = k;
  return k;
}

}  // namespace tariff::server::webhooks
