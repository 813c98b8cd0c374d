#include "app.hpp"

#include <iostream>

#include "billing.hpp"
#include "webhooks.hpp"
#include "portal_auth.hpp"
#include "progressive.hpp"
#include "timing.hpp"
#include "tariff/decimal.hpp"
#include "tariff/json.hpp"

namespace tariff::server {

namespace {
const std::string kApiPrefix = "/api/v1/";

// "Bearer <key>" → key; anything else → "".
std::string bearer_token(const std::string& header) {
  static const std::string kScheme = "Bearer ";
  if (header.size() <= kScheme.size() || header.compare(0, kScheme.size(), kScheme) != 0)
    return "";
  return header.substr(kScheme.size());
}

// Strict UTF-8 (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF), the
// check nlohmann's dump() makes: a path or query value that fails it would make every JSON
// document that echoes it throw.
bool valid_utf8(const std::string& s) {
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    uint32_t cp = c;
    if (c >= 0x80) {
      if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
      else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
      else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
      else return false;
      if (i + len > s.size()) return false;
      for (size_t k = 1; k < len; ++k) {
        const unsigned char cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    }
    i += len;
  }
  return true;
}

void require_utf8(const HttpRequest& request) {
  bool ok = valid_utf8(request.path);
  for (const auto& [k, v] : request.query) ok = ok && valid_utf8(k) && valid_utf8(v);
  if (ok) return;
  throw bad_request("invalid_utf8");
}
}  // namespace

json Context::body() const {
  // Exact: numbers with a fraction or exponent keep their text (as strings), integers stay
  // integers, nesting deeper than tariff::kMaxJsonDepth is malformed.
  json doc = parse_json_exact(request.body);
  if (doc.is_discarded()) throw bad_request("malformed_json");
  if (!doc.is_object()) throw bad_request("json_object_expected");
  return doc;
}

json Context::body_object(const std::string& root) const {
  json doc = body();
  auto it = doc.find(root);
  if (it == doc.end() || !it->is_object() || it->empty())
    throw bad_request("param is missing or the value is empty: " + root);
  return *it;
}

Reply json_reply(const ordered_json& doc, int status) { return Reply{status, doc.dump()}; }

App::App(Store& store, Options options)
    : store_(store),
      options_(std::move(options)),
      limiter_(options_.rate_per_second, options_.rate_burst),
      portal_(std::make_shared<PortalTokens>()) {
  add("GET", "/health", [](Context&) {
    ordered_json d;
    d["message"] = "Success";
    d["version"] = "0.1.0";
    return json_reply(d);
  });
  add_catalog_routes(*this);
  add_customer_routes(*this);
  add_subscription_routes(*this);
  add_event_routes(*this);
  add_calculation_routes(*this);
  add_impact_routes(*this);  // impact.cpp: POST /api/v1/plans/{code}/impact
  add_compare_routes(*this);  // compare.cpp: POST /api/v1/customers/{id}/compare_plans
  add_invoice_routes(*this);  // invoices.cpp: what billing issued
  add_webhook_routes(*this);  // webhooks.cpp: endpoints, public key, delivery log
  add_portal_routes(*this, *portal_);  // portal_auth.cpp: GET /customers/{id}/portal_url
  add_progressive_routes(*this);  // progressive.cpp: lifetime usage
}

void App::add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back(Route{method, std::regex(pattern), std::move(handler)});
}

Reply App::handle(const HttpRequest& request) {
  try {
    return dispatch(request);
  } catch (const HttpError& e) {
    return Reply{e.status, error_body(e)};
  } catch (const DecimalError&) {
    // A value beyond Decimal's range, or cents beyond int64: bad input, answered as the engine does.
    return Reply{422, error_body(validation("base", "value_out_of_range"))};
  } catch (const std::exception& e) {
    // One catch for the unexpected: logged (never with request headers), answered as a 500.
    std::cerr << "tariff-server: " << request.method << " " << request.path << ": " << e.what()
              << "\n";
    ordered_json d;
    d["status"] = 500;
    d["error"] = "Internal Server Error";
    d["code"] = "internal_error";
    return json_reply(d, 500);
  }
}

Reply App::dispatch(const HttpRequest& request) {
  const bool api = request.path.compare(0, kApiPrefix.size(), kApiPrefix) == 0;
  if (api && !request.trusted) {
    const std::string key = bearer_token(request.authorization);
    bool known = false;
    for (const auto& k : options_.api_keys) known |= constant_time_equal(key, k);
    std::string bucket = key;
    if (!known && is_portal_token(key)) {
      // A customer portal token: read-only, one customer (portal_auth.hpp).
      const int64_t now_us = options_.fixed_now_us ? *options_.fixed_now_us : clock_now_us();
      const auto grant = portal_->verify(store_, key, now_us / 1000000);
      if (!grant || !portal_allows(store_, request, *grant)) throw unauthorized();
      known = true;
      bucket = "portal:" + grant->customer;
    }
    if (key.empty() || !known) throw unauthorized();
    if (!limiter_.allow(bucket)) throw too_many_requests();
  }
  if (request.body.size() > options_.max_body_bytes) throw payload_too_large();
  require_utf8(request);

  bool path_matched = false;
  for (const auto& route : routes_) {
    std::smatch m;
    if (!std::regex_match(request.path, m, route.pattern)) continue;
    path_matched = true;
    if (route.method != request.method) continue;
    timing::mark("route");
    const int64_t now = options_.fixed_now_us ? *options_.fixed_now_us : clock_now_us();
    Context ctx{store_, ids_, options_, request, {}, now, format_iso(now)};
    for (size_t i = 1; i < m.size(); ++i) ctx.params.push_back(m[i].str());
    return route.handler(ctx);
  }
  if (path_matched) throw method_not_allowed("method_not_allowed");
  throw route_not_found();
}

}  // namespace tariff::server
