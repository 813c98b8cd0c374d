#include "support.hpp"

#include <date/date.h>

#include <cctype>
#include <cstdlib>

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

std::string format_iso(int64_t us) {
  using namespace std::chrono;
  int64_t secs = us / 1000000;
  if (us % 1000000 < 0) --secs;  // floor for instants before 1970
  const date::sys_seconds tp{seconds{secs}};
  return date::format("%FT%TZ", tp);
}

namespace {
bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}
}  // namespace

std::optional<int64_t> parse_iso(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, &mo) ||
      s[7] != '-' || !digits(s, 8, 2, &d))
    return std::nullopt;
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  size_t p = 10;
  int64_t frac_us = 0, offset_s = 0;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != ' ') return std::nullopt;
    if (!digits(s, p + 1, 2, &h) || s.size() < p + 6 || s[p + 3] != ':' ||
        !digits(s, p + 4, 2, &mi))
      return std::nullopt;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, &se)) return std::nullopt;
      p += 3;
    }
    if (p < s.size() && s[p] == '.') {
      ++p;
      int64_t scale = 100000;
      size_t start = p;
      while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
        frac_us += (s[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
      if (p == start) return std::nullopt;
    }
    if (p < s.size()) {
      if (s[p] == 'Z' && p + 1 == s.size()) {
        p += 1;
      } else if ((s[p] == '+' || s[p] == '-') && s.size() == p + 6 && s[p + 3] == ':') {
        int oh, om;
        if (!digits(s, p + 1, 2, &oh) || !digits(s, p + 4, 2, &om)) return std::nullopt;
        offset_s = (s[p] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        p = s.size();
      } else {
        return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || se > 60) return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  const int64_t days = date::sys_days{ymd}.time_since_epoch().count();
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  return secs * 1000000 + frac_us;
}

std::optional<int64_t> parse_event_timestamp(const json& v) {
  // Unix seconds: 1710504000, 1710504000.25, "1710504000", "1710504000.25"; or ISO 8601.
  if (v.is_number_integer()) return v.get<int64_t>() * 1000000;
  if (v.is_number_float()) {
    // A JSON float carries no exact decimal text; microseconds are the resolution kept.
    const double d = v.get<double>();
    if (!(d > -1e11 && d < 1e11)) return std::nullopt;
    return static_cast<int64_t>(d * 1e6 + (d >= 0 ? 0.5 : -0.5));
  }
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') neg = true, i = 1;
  int64_t whole = 0, frac = 0, scale = 100000;
  size_t nd = 0;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, ++nd) {
    if (nd > 11) return std::nullopt;
    whole = whole * 10 + (s[i] - '0');
  }
  if (nd > 0 && (i == s.size() || s[i] == '.') && !(nd == 4 && i < s.size() && s[i] == '-')) {
    if (i < s.size()) {
      ++i;
      size_t start = i;
      for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
        frac += (s[i] - '0') * scale;
        scale /= 10;
      }
      if (i != s.size() || i == start) return std::nullopt;
    }
    const int64_t us = whole * 1000000 + frac;
    return neg ? -us : us;
  }
  return parse_iso(s);
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
