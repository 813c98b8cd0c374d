// Support for the HTTP layer: Lago-style error documents as exceptions, the request clock,
// timestamps, ids, pagination, API-key comparison and the per-key rate limiter.
//
// Handlers throw HttpError; the router turns it into the response (one catch per request).
// Error bodies follow Lago's ApiErrors: {status, error, code, error_details}.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tariff::server {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using Query = std::multimap<std::string, std::string>;

struct HttpError {
  int status;
  ordered_json doc;
};

HttpError not_found(const std::string& resource);                 // 404 <resource>_not_found
HttpError validation(const std::string& field, const std::string& code);  // 422
HttpError validation_details(ordered_json details);              // 422, details as given
HttpError bad_request(const std::string& reason);                 // 400 bad_request
HttpError unauthorized();                                         // 401 {status, error}
HttpError too_many_requests();                                    // 429
HttpError payload_too_large();                                    // 413
HttpError route_not_found();                                      // 404 not_found
HttpError method_not_allowed(const std::string& code);           // 405
std::string error_body(const HttpError& e);

// Instants are microseconds since the Unix epoch (UTC); parsing and formatting are the
// engine's (tariff::parse_instant, format_instant, rules::event_timestamp).
int64_t clock_now_us();
std::string format_iso(int64_t us);  // "2024-03-15T12:00:00Z" (whole seconds, truncated)
// ISO 8601 or Unix seconds as text, as the engine reads an instant (1970..9999) → µs.
std::optional<int64_t> parse_iso(std::string_view s);
// A Lago event timestamp as the engine reads it: Unix seconds (integer or decimal text) or
// ISO 8601 → µs.
std::optional<int64_t> parse_event_timestamp(const json& v);

// Random v4-style ids ("lago_id"); thread-safe.
class IdSource {
 public:
  IdSource();
  std::string uuid();

 private:
  std::mutex mu_;
  std::mt19937_64 rng_;
};

// Pagination as Lago's API: ?page=1&per_page=100; meta {current_page, next_page, prev_page,
// total_pages, total_count}.
struct Pagination {
  int64_t page = 1;
  int64_t per_page = 100;
  int64_t offset() const { return (page - 1) * per_page; }
  ordered_json meta(int64_t total) const;
};
Pagination parse_pagination(const Query& q);

std::optional<std::string> query_value(const Query& q, const std::string& name);

// Compares in time independent of where the strings differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// Token bucket per API key: `rate` tokens per second, at most `burst`. rate <= 0 disables.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  bool allow(const std::string& key);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace tariff::server
