// Webhook endpoints (Lago's Api::V1::WebhookEndpointsController and WebhookEndpoints services),
// the public key (Api::V1::WebhooksController), and tariff's delivery log over the outbox
// (Lago shows it in its UI through GraphQL: Types::Webhooks::Object, Webhooks::RetryService).
#include <algorithm>
#include <cctype>

#include "resources.hpp"
#include "serializers.hpp"
#include "webhooks.hpp"
#include "webhooks_crypto.hpp"

namespace tariff::server {
namespace {

constexpr size_t kMaxEndpoints = 10;  // Lago's WebhookEndpoint::LIMIT

// Lago's config/webhook_event_types.yml: the types an endpoint may subscribe to.
const char* const kEventTypes[] = {
    "alert.triggered", "billable_metric.created", "billable_metric.updated", "billable_metric.deleted",
    "customer.created", "customer.updated", "customer.accounting_provider_created",
    "customer.accounting_provider_error", "customer.crm_provider_created", "customer.crm_provider_error",
    "customer.payment_provider_created", "customer.payment_provider_error", "customer.checkout_url_generated",
    "customer.tax_provider_error", "customer.vies_check", "credit_note.created", "credit_note.generated",
    "credit_note.provider_refund_failure", "dunning_campaign.finished", "event.error", "events.errors",
    "feature.created", "feature.updated", "feature.deleted", "fee.created", "fee.tax_provider_error",
    "invoice.created", "invoice.one_off_created", "invoice.paid_credit_added", "invoice.generated",
    "invoice.drafted", "invoice.ready_to_finalize", "invoice.voided", "invoice.deleted",
    "invoice.payment_dispute_lost", "invoice.payment_status_updated", "invoice.payment_overdue",
    "invoice.payment_failure", "invoice.resynced", "integration.provider_error", "order.created",
    "order.executed", "order_form.created", "order_form.signed", "order_form.expired", "order_form.voided",
    "payment.succeeded", "payment.requires_action", "payment_provider.error", "payment_receipt.created",
    "payment_receipt.generated", "payment_request.created", "payment_request.payment_failure",
    "payment_request.payment_status_updated", "plan.created", "plan.updated", "plan.deleted", "quote.created",
    "quote.approved", "quote.voided", "subscription.canceled", "subscription.incomplete",
    "subscription.terminated", "subscription.started", "subscription.updated", "subscription.termination_alert",
    "subscription.trial_ended", "subscription.usage_threshold_reached", "wallet.created",
    "wallet.depleted_ongoing_balance", "wallet.terminated", "wallet.updated", "wallet_transaction.created",
    "wallet_transaction.updated", "wallet_transaction.payment_failure"};

bool known_type(const std::string& t) {
  return std::any_of(std::begin(kEventTypes), std::end(kEventTypes), [&](const char* k) { return t == k; });
}

// Lago's WebhookEndpointSerializer.
ordered_json endpoint_view(const ordered_json& e) {
  ordered_json o;
  for (const char* k : {"lago_id", "lago_organization_id", "webhook_url", "signature_algo", "name", "event_types",
                        "created_at"})
    o[k] = e.value(k, ordered_json(nullptr));
  return o;
}

// Lago's normalize_event_types: stripped, lower-cased, blanks dropped, repeats dropped;
// ["*"] means every type (null). Then validate_event_types: only Lago's types.
ordered_json event_types(const json& in, ordered_json& errors) {
  if (in.is_null()) return nullptr;
  if (!in.is_array()) {
    errors["event_types"].push_back("must_be_array");
    return nullptr;
  }
  std::vector<std::string> out;
  for (const auto& v : in) {
    if (!v.is_string()) continue;  // Rails' permit drops what is not a scalar string
    std::string t = v.get<std::string>();
    const auto b = t.find_first_not_of(" \t\r\n"), e = t.find_last_not_of(" \t\r\n");
    t = b == std::string::npos ? "" : t.substr(b, e - b + 1);
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  if (out.size() == 1 && out[0] == "*") return nullptr;
  std::string invalid;
  for (const auto& t : out)
    if (!known_type(t)) invalid += (invalid.empty() ? "\"" : ", \"") + t + "\"";
  if (!invalid.empty()) errors["event_types"].push_back("contains invalid types: [" + invalid + "]");
  return out;
}

// Applies the fields of `in` to the endpoint `e` (create: every field; update: those given),
// with Lago's model validations; 422 with every failing field.
void assign(Transaction& tx, ordered_json& e, const json& in, bool create) {
  ordered_json errors = ordered_json::object();
  if (create || in.contains("webhook_url")) {
    const json url = in.value("webhook_url", json(nullptr));
    if (url.is_null() || (url.is_string() && url.get<std::string>().empty())) {
      errors["webhook_url"].push_back("value_is_mandatory");
    } else if (!url.is_string() || !webhooks::parse_url(url.get<std::string>())) {
      errors["webhook_url"].push_back("url_is_invalid");
    } else {
      e["webhook_url"] = url.get<std::string>();
      for (const auto& d : tx.list(DocumentQuery{"webhook_endpoint", std::nullopt, std::nullopt, 0, -1}).items)
        if (d.key != string_or(e, "lago_id", "") && string_or(parse_stored(d.body), "webhook_url", "") == e["webhook_url"])
          errors["webhook_url"].push_back("value_already_exist");
    }
  }
  if (create || in.contains("signature_algo")) {
    const json algo = in.value("signature_algo", json(nullptr));
    if (algo.is_null() && create) e["signature_algo"] = "jwt";  // Lago's default
    else if (algo.is_string() && (algo == "jwt" || algo == "hmac")) e["signature_algo"] = algo.get<std::string>();
    else errors["signature_algo"].push_back("value_is_invalid");
  }
  if (create || in.contains("name")) {
    const json name = in.value("name", json(nullptr));
    if (!name.is_null() && !name.is_string()) errors["name"].push_back("invalid_type");
    else e["name"] = to_ordered(name);
  }
  if (create || in.contains("event_types")) e["event_types"] = event_types(in.value("event_types", json(nullptr)), errors);
  if (!errors.empty()) throw validation_details(errors);
}

ordered_json endpoint_or_404(Transaction& tx, const std::string& id) {
  auto e = load_doc(tx, "webhook_endpoint", id);
  if (!e) throw not_found("webhook_endpoint");
  return *e;
}

Reply create_endpoint(Context& ctx) {
  const json in = ctx.body_object("webhook_endpoint");
  ordered_json e;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    if (tx.list(DocumentQuery{"webhook_endpoint", std::nullopt, std::nullopt, 0, 0}).total >=
        static_cast<int64_t>(kMaxEndpoints))
      throw validation("base", "exceeded_limit");
    const ordered_json org = ensure_organization(tx, ctx.now, ctx.ids);
    e["lago_id"] = ctx.ids.uuid();
    e["lago_organization_id"] = org.value("lago_id", ordered_json(nullptr));
    assign(tx, e, in, true);
    e["created_at"] = ctx.now;
    save_doc(tx, "webhook_endpoint", e["lago_id"].get<std::string>(), e);
  });
  return object_reply("webhook_endpoint", endpoint_view(e));
}

Reply update_endpoint(Context& ctx) {
  const json in = ctx.body_object("webhook_endpoint");
  ordered_json e;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    e = endpoint_or_404(tx, ctx.params[0]);
    assign(tx, e, in, false);
    save_doc(tx, "webhook_endpoint", ctx.params[0], e);
  });
  return object_reply("webhook_endpoint", endpoint_view(e));
}

// Lago's WebhookEndpoints::DestroyService: the endpoint and its webhooks (dependent: :delete_all).
Reply delete_endpoint(Context& ctx) {
  ordered_json e;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    e = endpoint_or_404(tx, ctx.params[0]);
    for (const auto& d : tx.list(DocumentQuery{"webhook", ctx.params[0], std::nullopt, 0, -1}).items)
      tx.remove("webhook", d.key);
    tx.remove("webhook_endpoint", ctx.params[0]);
  });
  return object_reply("webhook_endpoint", endpoint_view(e));
}

// Lago's WebhookEndpointsQuery: by webhook_url, then the newest first.
Reply list_endpoints(Context& ctx) {
  const Pagination p = parse_pagination(ctx.query());
  std::vector<ordered_json> all;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    for (const auto& d : tx.list(DocumentQuery{"webhook_endpoint", std::nullopt, std::nullopt, 0, -1}).items)
      all.push_back(parse_stored(d.body));
  });
  std::reverse(all.begin(), all.end());  // newest first among equal URLs (stable below)
  std::stable_sort(all.begin(), all.end(), [](const ordered_json& a, const ordered_json& b) {
    return string_or(a, "webhook_url", "") < string_or(b, "webhook_url", "");
  });
  ordered_json items = ordered_json::array();
  const auto total = static_cast<int64_t>(all.size());
  for (int64_t i = p.offset(); i < total && i < p.offset() + p.per_page; ++i)
    items.push_back(endpoint_view(all[static_cast<size_t>(i)]));
  return list_reply("webhook_endpoints", items, p, total);
}

// ---- the delivery log (tariff's; Lago's GraphQL Webhook object) ------------------------------
ordered_json webhook_view(const ordered_json& w) {
  ordered_json o;
  for (const char* k : {"lago_id", "lago_webhook_endpoint_id", "endpoint", "webhook_type", "object_type",
                        "lago_object_id", "status", "retries", "http_status", "payload", "response", "created_at",
                        "updated_at", "last_retried_at", "next_attempt_at"})
    o[k] = w.value(k, ordered_json(nullptr));
  return o;
}

Reply list_webhooks(Context& ctx) {
  const Pagination p = parse_pagination(ctx.query());
  const auto endpoint = ctx.query_value("webhook_endpoint_id");
  const auto status = ctx.query_value("status");
  const auto type = ctx.query_value("webhook_type");
  if (status && *status != "pending" && *status != "succeeded" && *status != "failed" && *status != "retrying")
    throw validation("status", "value_is_invalid");
  std::vector<ordered_json> all;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    for (const auto& d : tx.list(DocumentQuery{"webhook", endpoint, std::nullopt, 0, -1}).items) {
      ordered_json w = parse_stored(d.body);
      if (status && string_or(w, "status", "") != *status) continue;
      if (type && string_or(w, "webhook_type", "") != *type) continue;
      all.push_back(webhook_view(w));
    }
  });
  std::reverse(all.begin(), all.end());  // newest first
  ordered_json items = ordered_json::array();
  const auto total = static_cast<int64_t>(all.size());
  for (int64_t i = p.offset(); i < total && i < p.offset() + p.per_page; ++i) items.push_back(all[static_cast<size_t>(i)]);
  return list_reply("webhooks", items, p, total);
}

ordered_json webhook_or_404(Transaction& tx, const std::string& id) {
  auto w = load_doc(tx, "webhook", id);
  if (!w) throw not_found("webhook");
  return *w;
}

// Lago's Webhooks::RetryService: any webhook but a succeeded one is posted again, now.
Reply retry_webhook(Context& ctx) {
  ordered_json w;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    w = webhook_or_404(tx, ctx.params[0]);
    if (string_or(w, "status", "") == "succeeded") throw method_not_allowed("is_succeeded");
    w["next_attempt_at"] = nullptr;
    w["updated_at"] = ctx.now;
    save_doc(tx, "webhook", ctx.params[0], w, string_or(w, "lago_webhook_endpoint_id", ""), "due");
  });
  return object_reply("webhook", webhook_view(w));
}

}  // namespace

void add_webhook_routes(App& app) {
  app.add("POST", "/api/v1/webhook_endpoints", create_endpoint);
  app.add("GET", "/api/v1/webhook_endpoints", list_endpoints);
  app.add("GET", "/api/v1/webhook_endpoints/([^/]+)", [](Context& ctx) {
    ordered_json e;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) { e = endpoint_or_404(tx, ctx.params[0]); });
    return object_reply("webhook_endpoint", endpoint_view(e));
  });
  app.add("PUT", "/api/v1/webhook_endpoints/([^/]+)", update_endpoint);
  app.add("DELETE", "/api/v1/webhook_endpoints/([^/]+)", delete_endpoint);

  // Lago's WebhooksController: Base64.encode64 of the PEM (lines of 60 characters).
  app.add("GET", "/api/v1/webhooks/json_public_key", [](Context& ctx) {
    ordered_json d;
    d["webhook"]["public_key"] = webhooks::base64_lines(webhooks::keys(ctx.store).public_pem);
    return json_reply(d);
  });
  app.add("GET", "/api/v1/webhooks/public_key", [](Context& ctx) {
    Reply r{200, webhooks::base64_lines(webhooks::keys(ctx.store).public_pem)};
    r.content_type = "text/plain";
    return r;
  });
  // The organization's HMAC key (Lago shows it to the organization's developers in its UI).
  app.add("GET", "/api/v1/webhooks/hmac_key", [](Context& ctx) {
    ordered_json d;
    d["webhook"]["hmac_key"] = webhooks::keys(ctx.store).hmac_key;
    return json_reply(d);
  });
  app.add("GET", "/api/v1/webhooks", list_webhooks);
  app.add("GET", "/api/v1/webhooks/([^/]+)", [](Context& ctx) {
    ordered_json w;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) { w = webhook_or_404(tx, ctx.params[0]); });
    return object_reply("webhook", webhook_view(w));
  });
  app.add("POST", "/api/v1/webhooks/([^/]+)/retry", retry_webhook);
}

}  // namespace tariff::server
