// Instants and dates as text: a strict, allocation-free ISO 8601 / Unix-seconds reader and
// the two printers the API uses. Every field is range-checked; date::year_month_day::ok()
// rejects impossible days (2024-02-30) without throwing.
#include <cstdio>

#include "tariff/time.hpp"

namespace tariff {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

constexpr date::sys_days kMinDay = date::sys_days{date::year{1970} / 1 / 1};
constexpr date::sys_days kEndDay = date::sys_days{date::year{10000} / 1 / 1};

bool in_range(Instant t) { return t >= kMinDay && t < kEndDay; }

// A tiny cursor over the text.
struct Reader {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i == s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  // Exactly n decimal digits.
  bool digits(int n, int& out) {
    out = 0;
    for (int k = 0; k < n; ++k) {
      char c = peek();
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
      ++i;
    }
    return true;
  }
};

// ".123456789" → microseconds (truncated past the 6th digit). At least one digit.
bool fraction(Reader& r, int64_t& us) {
  us = 0;
  int n = 0;
  while (r.peek() >= '0' && r.peek() <= '9') {
    if (n < 6) us = us * 10 + (r.peek() - '0');
    ++n;
    ++r.i;
  }
  if (n == 0) return false;
  for (int k = n; k < 6; ++k) us *= 10;
  return true;
}

std::optional<Instant> parse_unix(std::string_view s) {
  Reader r{s};
  int64_t secs = 0;
  int n = 0;
  while (r.peek() >= '0' && r.peek() <= '9') {
    if (++n > 12) return std::nullopt;  // > 253402300799 (9999-12-31) anyway
    secs = secs * 10 + (r.peek() - '0');
    ++r.i;
  }
  if (n == 0) return std::nullopt;
  int64_t us = 0;
  if (r.eat('.') && !fraction(r, us)) return std::nullopt;
  if (!r.done()) return std::nullopt;
  Instant t = Instant{seconds{secs}} + microseconds{us};
  if (!in_range(t)) return std::nullopt;
  return t;
}

bool parse_ymd(Reader& r, date::year_month_day& out) {
  int y, m, d;
  if (!r.digits(4, y) || !r.eat('-') || !r.digits(2, m) || !r.eat('-') || !r.digits(2, d))
    return false;
  out = date::year{y} / date::month{static_cast<unsigned>(m)} / date::day{static_cast<unsigned>(d)};
  return out.ok();
}

}  // namespace

std::optional<Instant> parse_instant(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  if (text.find('-') == std::string_view::npos) return parse_unix(text);

  Reader r{text};
  date::year_month_day ymd;
  if (!parse_ymd(r, ymd)) return std::nullopt;
  Instant t = Instant{date::sys_days{ymd}};
  if (r.done()) return in_range(t) ? std::optional<Instant>(t) : std::nullopt;

  if (!r.eat('T') && !r.eat('t') && !r.eat(' ')) return std::nullopt;
  int hh, mm, ss = 0;
  int64_t us = 0;
  if (!r.digits(2, hh) || !r.eat(':') || !r.digits(2, mm)) return std::nullopt;
  if (r.eat(':')) {
    if (!r.digits(2, ss)) return std::nullopt;
    if ((r.peek() == '.' || r.peek() == ',') && (++r.i, !fraction(r, us))) return std::nullopt;
  }
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  t += std::chrono::hours{hh} + std::chrono::minutes{mm} + seconds{ss} + microseconds{us};

  // Zone designator: none (UTC), Z, ±HH, ±HH:MM, ±HHMM.
  if (r.eat('Z') || r.eat('z')) {
  } else if (r.peek() == '+' || r.peek() == '-') {
    const int sign = r.peek() == '-' ? -1 : 1;
    ++r.i;
    int oh, om = 0;
    if (!r.digits(2, oh)) return std::nullopt;
    if (r.eat(':')) {
      if (!r.digits(2, om)) return std::nullopt;
    } else if (!r.done() && !r.digits(2, om)) {
      return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    // local = UTC + offset  ⇒  UTC = local − offset
    t -= sign * (std::chrono::hours{oh} + std::chrono::minutes{om});
  }
  if (!r.done() || !in_range(t)) return std::nullopt;
  return t;
}

std::optional<Instant> instant_from_unix_seconds(int64_t secs) {
  if (secs < 0 || secs > 253402300799) return std::nullopt;  // 9999-12-31T23:59:59Z
  return Instant{seconds{secs}};
}

namespace {

// "YYYY-MM-DD" into p (10 chars) for years 0..9999, as "%04d-%02u-%02u" prints them, without
// snprintf's cost (an invoice prints dozens of dates); false for a year outside that range.
bool put_ymd(char* p, const date::year_month_day& ymd) {
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) return false;
  const auto put2 = [](char* q, unsigned v) {
    q[0] = static_cast<char>('0' + v / 10);
    q[1] = static_cast<char>('0' + v % 10);
  };
  put2(p, static_cast<unsigned>(y) / 100);
  put2(p + 2, static_cast<unsigned>(y) % 100);
  p[4] = '-';
  put2(p + 5, static_cast<unsigned>(ymd.month()));
  p[7] = '-';
  put2(p + 8, static_cast<unsigned>(ymd.day()));
  return true;
}

}  // namespace

std::string format_instant(Instant t) {
  const auto s = date::floor<seconds>(t);
  const auto day = date::floor<date::days>(s);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<seconds> tod{s - day};
  const int h = static_cast<int>(tod.hours().count()), m = static_cast<int>(tod.minutes().count()),
            sec = static_cast<int>(tod.seconds().count());
  char buf[32];
  if (put_ymd(buf, ymd)) {  // "YYYY-MM-DDThh:mm:ssZ"
    const int parts[] = {h, m, sec};
    buf[10] = 'T';
    for (int k = 0; k < 3; ++k) {
      buf[11 + 3 * k] = static_cast<char>('0' + parts[k] / 10);
      buf[12 + 3 * k] = static_cast<char>('0' + parts[k] % 10);
      buf[13 + 3 * k] = k < 2 ? ':' : 'Z';
    }
    return std::string(buf, 20);
  }
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), h, m, sec);
  return buf;
}

std::string format_date(date::local_days d) {
  const date::year_month_day ymd{d};
  char buf[16];
  if (put_ymd(buf, ymd)) return std::string(buf, 10);
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<date::local_days> parse_date(std::string_view text) {
  Reader r{text};
  date::year_month_day ymd;
  if (!parse_ymd(r, ymd) || !r.done()) return std::nullopt;
  return date::local_days{ymd};
}

date::local_days utc_date(Instant t) {
  return date::local_days{date::floor<date::days>(t).time_since_epoch()};
}

}  // namespace tariff
