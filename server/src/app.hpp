// App: Lago's REST API over a Store, transport-free.
//
// main.cpp hands every HTTP request to App::handle() as a plain HttpRequest and writes back
// the Reply; nothing here knows the HTTP library. handle() checks the API key (constant-time),
// the per-key rate limit and the body size, routes by method + path pattern, and maps every
// failure to a Lago error document. The request time is read once per request and becomes the
// snapshot's `now` — the one place a clock is read; the engine reads none.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "store.hpp"
#include "support.hpp"

namespace tariff::server {

class PortalTokens;  // portal_auth.hpp

struct Options {
  std::vector<std::string> api_keys;   // empty: every /api/v1 request is refused
  double rate_per_second = 2000;       // per API key; <= 0 disables
  double rate_burst = 4000;
  size_t max_body_bytes = 1u << 20;    // 1 MiB
  std::optional<int64_t> fixed_now_us; // --now: freeze the request clock (tests, demos)
  bool demo = false;                   // unauthenticated read-only GET /demo/snapshot
  std::string portal_url = "/web/index.html";  // the portal page portal_url points at (--portal-url)
  int64_t portal_ttl_seconds = 12 * 3600;      // a portal token's lifetime (--portal-ttl)
};

struct HttpRequest {
  std::string method;
  std::string path;
  Query query;
  std::string authorization;  // the Authorization header, "" if absent
  std::string body;
  bool trusted = false;  // set only by the seed loader: no API key, no rate limit
};

struct Reply {
  Reply() = default;
  Reply(int s, std::string b) : status(s), body(std::move(b)) {}
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string location;  // for redirects
};

// What a handler sees of one request.
struct Context {
  Store& store;
  IdSource& ids;
  const Options& options;
  const HttpRequest& request;
  std::vector<std::string> params;  // path captures, in order
  int64_t now_us;
  std::string now;  // ISO 8601, the snapshot's `now`

  const Query& query() const { return request.query; }
  std::optional<std::string> query_value(const std::string& name) const {
    return server::query_value(request.query, name);
  }
  // The body as a JSON object, read exactly (tariff/json.hpp: a fractional number keeps its
  // text as a string); 400 bad_request when malformed, nested deeper than 64, or not an object.
  json body() const;
  // body()[root] as an object; 400 when absent (Lago: "param is missing or the value is empty").
  json body_object(const std::string& root) const;
};

using Handler = std::function<Reply(Context&)>;

class App {
 public:
  App(Store& store, Options options);
  Reply handle(const HttpRequest& request);
  void add(const std::string& method, const std::string& pattern, Handler handler);
  Store& store() { return store_; }
  const Options& options() const { return options_; }
  IdSource& ids() { return ids_; }
  // The portal page's URL, once the server knows the address it listens on (main.cpp).
  void set_portal_url(std::string url) { options_.portal_url = std::move(url); }

 private:
  struct Route {
    std::string method;
    std::regex pattern;
    Handler handler;
  };
  Reply dispatch(const HttpRequest& request);
  Store& store_;
  Options options_;
  IdSource ids_;
  RateLimiter limiter_;
  std::vector<Route> routes_;
  std::shared_ptr<PortalTokens> portal_;  // customer portal tokens (portal_auth.cpp)
};

Reply json_reply(const ordered_json& doc, int status = 200);

// Seeds an empty store from DIR/*.json (sorted by name), each an array of
// {"method", "path", "body"} requests replayed through the API. Strings "$now", "$now-3d",
// "$now+2h" become ISO instants relative to the request clock. Returns the number of
// requests replayed (0 when the store already holds customers or plans); throws on a failure.
int seed_if_empty(App& app, const std::string& dir);

// Route tables, one per resource family (catalog.cpp, customers.cpp, subscriptions.cpp,
// events.cpp, calculations.cpp).
void add_catalog_routes(App& app);
void add_customer_routes(App& app);
void add_subscription_routes(App& app);
void add_event_routes(App& app);
void add_calculation_routes(App& app);
void add_impact_routes(App& app);  // impact.cpp
void add_compare_routes(App& app);  // compare.cpp

}  // namespace tariff::server
