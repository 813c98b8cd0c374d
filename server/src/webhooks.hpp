// Webhooks as Lago sends them (docs/webhooks.md).
//
// Endpoints: `/api/v1/webhook_endpoints` (Lago's WebhookEndpoints services: at most 10, a
// unique http(s) URL, `signature_algo` jwt by default or hmac, optional `event_types`), the
// public key (`GET /api/v1/webhooks/json_public_key`, `/public_key`) and the delivery log
// (`GET /api/v1/webhooks[/{lago_id}]`, `POST /api/v1/webhooks/{lago_id}/retry`: tariff's own).
//
// Outbox: a change that Lago reports by webhook calls one of the functions below inside its
// own write transaction. Each writes, for every registered endpoint subscribed to the type, a
// "webhook" document holding the exact body to send — Lago's {"webhook_type", "object_type",
// "organization_id", <object_type>: <the object as the API serializes it>} — so the webhook
// commits with the change or not at all. Nothing is written when no endpoint is registered.
// The Deliverer (webhooks_delivery.cpp) posts them later, outside any transaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <optional>
#include <string>
#include <vector>

#include "app.hpp"

namespace tariff::server {

// invoices.cpp: the invoice and the credit note (stored, by lago_id) as GET answers them.
ordered_json invoice_object(const Context& ctx, Transaction& tx, const std::string& invoice_id);
ordered_json credit_note_object(Transaction& tx, const std::string& credit_note_id);

void add_webhook_routes(App& app);  // webhooks.cpp

namespace webhooks {

// ---- enqueue: inside the write transaction of the change ------------------------------------
// The invoice `invoice_id` (already saved in tx) has just reached its status:
// draft → invoice.drafted, finalized → invoice.created, voided → invoice.voided.
void invoice_status(const Context& ctx, Transaction& tx, const std::string& invoice_id);
// credit_note.created for the note `note_id` (already saved in tx); `at_us` = its creation.
void credit_note_created(const Context& ctx, Transaction& tx, const std::string& note_id);
// wallet_transaction.created for the transaction `transaction_id` (already saved in tx), with
// its wallet as stored, or `wallet` when given (a wallet saved after its transactions).
void wallet_transaction_created(const Context& ctx, Transaction& tx, const std::string& transaction_id,
                                const ordered_json* wallet = nullptr);
// Call just before a subscription document is saved: compared with the stored one, a
// subscription that becomes active sends subscription.started, one that becomes terminated
// subscription.terminated (the instant of the change: its started_at / terminated_at).
void subscription_saving(Transaction& tx, const ordered_json& subscription);
// subscription.usage_threshold_reached for the subscription `sub_lago_id` and one threshold it
// passed (the engine's passed_thresholds entry), after its progressive invoice was saved in tx
// (Lago's LifetimeUsages::CheckThresholdsService: one per threshold, after invoice.created).
void usage_threshold_reached(const Context& ctx, Transaction& tx, const std::string& sub_lago_id,
                             const ordered_json& threshold);
// events.errors for the events just stored that no metric can price (rules::event_errors).
void events_stored(Transaction& tx, const std::vector<EventRecord>& events, int64_t now_us);

// An endpoint URL as Lago's UrlValidator accepts it (http or https with a host), split for
// the client; nullopt otherwise. tariff also refuses user info, spaces and a bad port.
struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;
  int port = 0;
  std::string target;  // path and query, "/" when empty
};
std::optional<Url> parse_url(const std::string& url);

// ---- keys ---------------------------------------------------------------------------------
struct Keys {
  std::string private_pem;
  std::string public_pem;
  std::string hmac_key;  // the organization's HMAC key (a UUID, as Lago's Organization#set_hmac_key)
};
// The server's keys, generated and stored once ("webhook_keys"/"default"), cached after.
Keys keys(Store& store);

// ---- delivery ------------------------------------------------------------------------------
struct DeliveryOptions {
  std::string issuer;          // the JWT `iss`: the server's URL (--public-url)
  int attempts = 12;           // posts before a webhook is `failed` (POST .../retry posts again)
  double retry_base_s = 2;     // back-off after the n-th failure: base * 2^(n-1), +0..15%, at most:
  double retry_max_s = 3600;
  double timeout_s = 10;       // connect, read and write timeout of one post
};

// Posts due webhooks at least once each: a webhook is due when pending, or retrying and its
// back-off has passed (wall clock). Lago's success statuses are 200, 201, 202 and 204; any
// other answer or a transport error is a failure, recorded with its response. Every state
// change is its own short write transaction; the post itself runs outside any transaction.
// Each endpoint's webhooks are posted in order on a lane (a thread) of its own, so that a slow
// or unreachable endpoint delays only itself.
class Deliverer {
 public:
  Deliverer(Store& store, DeliveryOptions options);
  ~Deliverer();  // waits for the posts in flight (a lane stops between posts once `stop` is true)
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;
  // One pass over what is due now: hands each endpoint's due webhooks to a new lane, unless its
  // lane from an earlier pass is still busy (then the next pass takes them). Returns the number
  // of webhooks handed over. `stop` is asked by the lanes between posts.
  int run_once(const std::function<bool()>& stop = {});

 private:
  struct Lane {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void deliver(const ordered_json& webhook, const ordered_json& endpoint, const Keys& keys);
  void reap(bool all);
  Store& store_;
  DeliveryOptions options_;
  std::mutex mu_;
  std::set<std::string> busy_;  // endpoints whose lane is running
  std::vector<Lane> lanes_;
  int64_t next_retry_us_ = 0;   // earliest next_attempt_at of a retrying webhook (0: look)
};

}  // namespace webhooks
}  // namespace tariff::server
