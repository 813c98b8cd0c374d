#include "portal_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <regex>
#include <stdexcept>

#include "app.hpp"
#include "resources.hpp"

namespace tariff::server {

namespace {
const std::string kPrefix = "tpt1.";
const std::string kScope = "portal:read";
const std::string kKeyKind = "portal_key";
const std::string kKeyName = "hmac-sha256";
constexpr size_t kKeyBytes = 32;

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n))
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out), n);
}

std::string to_hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (unsigned char c : bytes) s += kDigits[c >> 4], s += kDigits[c & 15];
  return s;
}

std::optional<std::string> from_hex(const std::string& hex) {
  if (hex.size() % 2) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// The single value of a query parameter; nullopt when absent or repeated.
std::optional<std::string> only_value(const Query& q, const std::string& name) {
  if (q.count(name) != 1) return std::nullopt;
  return q.find(name)->second;
}
}  // namespace

bool is_portal_token(const std::string& bearer) { return bearer.rfind(kPrefix, 0) == 0; }

std::string base64url_encode(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63], out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63], out += kAlphabet[(v >> 12) & 63], out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Canonical form only: the bits left over must be zero (one text per byte string, so a
  // token cannot be altered into another spelling that still verifies).
  if (acc & ((1u << bits) - 1)) return std::nullopt;
  return out;
}

std::optional<std::string> PortalTokens::key(Store& store, bool create) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!key_.empty()) return key_;
  std::optional<std::string> found;
  auto read = [&](Transaction& tx) {
    if (auto d = tx.get(kKeyKind, kKeyName)) {
      const json doc = json::parse(d->body, nullptr, false);
      if (doc.is_object() && doc.contains("key") && doc["key"].is_string())
        found = from_hex(doc["key"].get<std::string>());
      if (!found || found->size() != kKeyBytes) throw std::runtime_error("stored portal key is malformed");
      return;
    }
    if (!create) return;
    unsigned char bytes[kKeyBytes];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
    found = std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
    json doc;
    doc["algorithm"] = "HMAC-SHA256";
    doc["key"] = to_hex(*found);
    tx.put(Document{kKeyKind, kKeyName, "", "", doc.dump()});
    OPENSSL_cleanse(bytes, sizeof bytes);
  };
  // Created in a write transaction: two servers on one store racing here agree on one key.
  store.transact(create ? Store::Mode::write : Store::Mode::read, read);
  if (found) key_ = *found;
  return found;
}

std::string PortalTokens::issue(Store& store, const std::string& external_id, const std::string& lago_id,
                                int64_t now_s, int64_t ttl_s) {
  const std::string k = *key(store, true);
  ordered_json payload;
  payload["sub"] = external_id;
  payload["cid"] = lago_id;
  payload["exp"] = now_s + ttl_s;
  payload["scope"] = kScope;
  const std::string signed_part = kPrefix + base64url_encode(payload.dump());
  return signed_part + "." + base64url_encode(hmac_sha256(k, signed_part));
}

std::optional<PortalGrant> PortalTokens::verify(Store& store, const std::string& token, int64_t now_s) {
  if (!is_portal_token(token) || token.size() > 4096) return std::nullopt;
  const size_t dot = token.rfind('.');
  if (dot <= kPrefix.size()) return std::nullopt;
  const std::string signed_part = token.substr(0, dot);
  const auto signature = base64url_decode(token.substr(dot + 1));
  const auto k = key(store, false);
  if (!signature || !k) return std::nullopt;
  const std::string expected = hmac_sha256(*k, signed_part);
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0)
    return std::nullopt;
  // Signed by this server: the payload is ours, but read it defensively all the same.
  const auto text = base64url_decode(signed_part.substr(kPrefix.size()));
  if (!text) return std::nullopt;
  const json p = json::parse(*text, nullptr, false);
  if (!p.is_object()) return std::nullopt;
  auto str = [&](const char* f) { return p.contains(f) && p[f].is_string(); };
  if (!str("sub") || !str("cid") || !str("scope") || !p.contains("exp") || !p["exp"].is_number_integer())
    return std::nullopt;
  if (p["scope"] != kScope) return std::nullopt;
  PortalGrant g{p["sub"].get<std::string>(), p["cid"].get<std::string>(), p["exp"].get<int64_t>()};
  if (now_s >= g.expires_s) return std::nullopt;
  return g;
}

bool portal_allows(Store& store, const HttpRequest& r, const PortalGrant& g) {
  if (r.method != "GET") return false;
  static const std::regex customer_path(
      "/api/v1/customers/([^/]+)/(snapshot|current_usage|projected_usage|past_usage)");
  static const std::regex invoice_path("/api/v1/invoices/([^/]+)");
  static const std::regex wallet_path("/api/v1/wallets/([^/]+)(/wallet_transactions)?");
  std::smatch m;
  std::string owned_kind, owned_key;  // an object the customer must own
  if (std::regex_match(r.path, m, customer_path)) {
    if (m[1].str() != g.customer) return false;
  } else if (r.path == "/api/v1/invoices" || r.path == "/api/v1/wallets") {
    if (only_value(r.query, "external_customer_id") != g.customer) return false;
  } else if (std::regex_match(r.path, m, invoice_path)) {
    owned_kind = "invoice", owned_key = m[1].str();
  } else if (std::regex_match(r.path, m, wallet_path)) {
    owned_kind = "wallet", owned_key = m[1].str();
  } else {
    return false;
  }
  bool ok = false;
  store.transact(Store::Mode::read, [&](Transaction& tx) {
    // The customer the token was issued for, not a later one under the same external_id.
    const auto c = tx.get("customer", g.customer);
    if (!c || string_or(parse_stored(c->body), "lago_id", "") != g.customer_lago_id) return;
    if (!owned_kind.empty()) {
      const auto d = tx.get(owned_kind, owned_key);
      if (!d || d->owner != g.customer) return;
    }
    ok = true;
  });
  return ok;
}

void add_portal_routes(App& app, PortalTokens& tokens) {
  app.add("GET", "/api/v1/customers/([^/]+)/portal_url", [&tokens](Context& ctx) {
    std::string lago_id;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
      const auto c = tx.get("customer", ctx.params[0]);
      if (!c) throw not_found("customer");
      lago_id = string_or(parse_stored(c->body), "lago_id", "");
    });
    const std::string token = tokens.issue(ctx.store, ctx.params[0], lago_id, ctx.now_us / 1000000,
                                           ctx.options.portal_ttl_seconds);
    const std::string& base = ctx.options.portal_url;
    ordered_json d;
    d["customer"]["portal_url"] = base + (base.find('?') == std::string::npos ? "?" : "&") + "token=" + token;
    return json_reply(d);
  });
}

}  // namespace tariff::server
