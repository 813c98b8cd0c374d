#include "support.hpp"

#include <cctype>
#include <cstdlib>

#include "tariff/rules.hpp"
#include "tariff/time.hpp"

namespace tariff::server {

namespace {
HttpError make(int status, const char* error, const std::string& code) {
  ordered_json d;
  d["status"] = status;
  d["error"] = error;
  if (!code.empty()) d["code"] = code;
  return HttpError{status, d};
}
}  // namespace

HttpError not_found(const std::string& resource) {
  return make(404, "Not Found", resource + "_not_found");
}
HttpError validation(const std::string& field, const std::string& code) {
  ordered_json details;
  details[field] = ordered_json::array({code});
  return validation_details(details);
}
HttpError validation_details(ordered_json details) {
  HttpError e = make(422, "Unprocessable Entity", "validation_errors");
  e.doc["error_details"] = std::move(details);
  return e;
}
// Lago's bad_request_error: {status: 400, error: "BadRequest: <message>"}, nothing else.
HttpError bad_request(const std::string& reason) {
  ordered_json d;
  d["status"] = 400;
  d["error"] = "BadRequest: " + reason;
  return HttpError{400, d};
}
HttpError unauthorized() { return make(401, "Unauthorized", ""); }
HttpError too_many_requests() { return make(429, "Too Many Requests", "too_many_requests"); }
HttpError payload_too_large() { return make(413, "Payload Too Large", "payload_too_large"); }
HttpError route_not_found() { return make(404, "Not Found", "not_found"); }
HttpError method_not_allowed(const std::string& code) {
  return make(405, "Method Not Allowed", code);
}
std::string error_body(const HttpError& e) { return e.doc.dump(); }

int64_t clock_now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// Instants are the engine's (tariff/time.hpp, tariff/rules.hpp): one parser, one range
// (1970..9999), one format; the server only converts to and from microseconds.
std::string format_iso(int64_t us) { return format_instant(Instant{std::chrono::microseconds{us}}); }

std::optional<int64_t> parse_iso(std::string_view s) {
  const auto t = parse_instant(s);
  if (!t) return std::nullopt;
  return t->time_since_epoch().count();
}

std::optional<int64_t> parse_event_timestamp(const json& v) {
  const auto t = rules::event_timestamp(v);
  if (!t) return std::nullopt;
  return t->time_since_epoch().count();
}

IdSource::IdSource() : rng_(std::random_device{}()) {}

std::string IdSource::uuid() {
  uint64_t a, b;
  {
    std::lock_guard<std::mutex> lock(mu_);
    a = rng_();
    b = rng_();
  }
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

ordered_json Pagination::meta(int64_t total) const {
  // total_pages = ceil(total / per_page): 41 rows at 20 per page = 3 pages
  const int64_t pages = (total + per_page - 1) / per_page;
  ordered_json m;
  m["current_page"] = page;
  m["next_page"] = page < pages ? ordered_json(page + 1) : ordered_json(nullptr);
  m["prev_page"] = page > 1 ? ordered_json(page - 1) : ordered_json(nullptr);
  m["total_pages"] = pages;
  m["total_count"] = total;
  return m;
}

std::optional<std::string> query_value(const Query& q, const std::string& name) {
  auto it = q.find(name);
  if (it == q.end()) return std::nullopt;
  return it->second;
}

namespace {
std::optional<int64_t> positive(const std::optional<std::string>& s) {
  if (!s || s->empty() || s->size() > 9) return std::nullopt;
  int64_t v = 0;
  for (char c : *s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v > 0 ? std::optional<int64_t>(v) : std::nullopt;
}
}  // namespace

Pagination parse_pagination(const Query& q) {
  Pagination p;
  if (auto v = positive(query_value(q, "page"))) p.page = *v;
  if (auto v = positive(query_value(q, "per_page"))) p.per_page = std::min<int64_t>(*v, 1000);
  return p;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Every byte of the longer string is visited; the length difference is folded in.
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = static_cast<unsigned char>(a.size() != b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

bool RateLimiter::allow(const std::string& key) {
  if (rate_ <= 0) return true;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double dt = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + dt * rate_);  // refill: rate tokens per second
    b.at = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace tariff::server
