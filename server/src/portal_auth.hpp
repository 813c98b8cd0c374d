// Customer portal tokens: what lets a browser read one customer's billing data without the
// organization's API key.
//
// GET /api/v1/customers/{external_id}/portal_url (API key) answers Lago's
// {"customer": {"portal_url": "<page>?token=<token>"}}. The token is
//   tpt1.<base64url(payload)>.<base64url(HMAC-SHA256(signing key, "tpt1." + base64url(payload)))>
// with payload {"sub": external_id, "cid": the customer's lago_id, "exp": Unix seconds,
// "scope": "portal:read"}. The page sends it as `Authorization: Bearer <token>`; it opens,
// with GET only, that customer's snapshot, usage (current, projected, past), invoices and
// wallets (with their transactions), nothing else (portal_allows below). A token whose
// signature does not verify, whose payload was changed, that has expired, or whose customer
// was deleted (or recreated: another lago_id) is refused with 401, as an unknown key is.
//
// The signing key (32 random bytes, OpenSSL RAND_bytes) is created once, the first time a URL
// is issued, and kept in the store as the document ("portal_key", "hmac-sha256"), so tokens
// outlive a restart and every server on one store accepts them. Verification never creates it.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "store.hpp"

namespace tariff::server {

class App;
struct HttpRequest;

// What a verified token grants.
struct PortalGrant {
  std::string customer;          // external_id
  std::string customer_lago_id;  // the customer's lago_id when the token was issued
  int64_t expires_s = 0;         // Unix seconds
};

constexpr int64_t kDefaultPortalTtlSeconds = 12 * 3600;  // Lago: expires_in 12 hours

// True when `bearer` has the token's shape (never an API key's test: keys are compared first).
bool is_portal_token(const std::string& bearer);

// base64url without padding (RFC 4648 §5); decode returns nullopt on any other character.
std::string base64url_encode(const std::string& bytes);
std::optional<std::string> base64url_decode(const std::string& text);

class PortalTokens {
 public:
  // A token for the customer, valid until now_s + ttl_s. Creates the signing key if the store
  // has none yet.
  std::string issue(Store& store, const std::string& external_id, const std::string& lago_id,
                    int64_t now_s, int64_t ttl_s);
  // The grant, or nullopt when the token is malformed, forged, tampered with or expired at
  // now_s, or when the store has no signing key. Does not check that the customer still exists
  // (portal_allows does).
  std::optional<PortalGrant> verify(Store& store, const std::string& token, int64_t now_s);

 private:
  std::optional<std::string> key(Store& store, bool create);
  std::mutex mu_;
  std::string key_;  // cached once read or created
};

// Whether a portal grant opens this request: GET of the customer's own snapshot, usage,
// invoices and wallets, with the customer still stored under the same lago_id.
bool portal_allows(Store& store, const HttpRequest& request, const PortalGrant& grant);

// GET /api/v1/customers/{external_id}/portal_url.
void add_portal_routes(App& app, PortalTokens& tokens);

}  // namespace tariff::server
