// IANA time zones as POSIX TZ rules (see time.hpp for the limitation: the current rule is
// used for every date). The rule grammar (POSIX.1-2017 §8.3 with the RFC 8536 extensions):
//
//   std offset [dst [offset] [,start[/time],end[/time]]]
//   name   = 3+ letters, or <...> (e.g. <+0330>)      offset = [+-]hh[:mm[:ss]], WEST of UTC
//   start/end = Jn (1..365, Feb 29 never counted) | n (0..365) | Mm.w.d (w 5 = last; d 0 = Sun)
//   time   = [+-]hh[:mm[:ss]], hours −167..167 ("M3.5.0/-1" for America/Nuuk, "/50" for Gaza)
//
// Evaluation: the latest transition at or before t, among years Y−1..Y+1 of t's local year;
// start happens at its local time in standard time, end at its local time in daylight time.
// A zone whose past since 2000 differs from its rule carries explicit offsets for that stretch
// (tz_table.hpp), looked up first.
#include <algorithm>
#include <iterator>

#include "tariff/time.hpp"
#include "time/tz_table.hpp"

namespace tariff {
namespace {

using namespace tz_table;

using std::chrono::seconds;

struct RuleReader {
  std::string_view s;
  size_t i = 0;
  char peek() const { return i < s.size() ? s[i] : '\0'; }
  bool done() const { return i == s.size(); }

  bool name() {
    if (peek() == '<') {
      const size_t close = s.find('>', i);
      if (close == std::string_view::npos || close - i < 4) return false;  // 3+ chars inside
      i = close + 1;
      return true;
    }
    size_t n = 0;
    while ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z')) ++i, ++n;
    return n >= 3;
  }
  bool number(int max, int& out) {  // 1–3 digits, ≤ max
    int n = 0;
    out = 0;
    while (peek() >= '0' && peek() <= '9' && n < 3) out = out * 10 + (s[i++] - '0'), ++n;
    return n > 0 && out <= max;
  }
  // [+-]hh[:mm[:ss]] → signed seconds
  bool hms(int max_hours, int32_t& out) {
    int sign = 1;
    if (peek() == '+' || peek() == '-') sign = s[i++] == '-' ? -1 : 1;
    int h, m = 0, sec = 0;
    if (!number(max_hours, h)) return false;
    if (peek() == ':') {
      ++i;
      if (!number(59, m)) return false;
      if (peek() == ':') {
        ++i;
        if (!number(59, sec)) return false;
      }
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
  bool change(PosixRule::Change& c) {
    int v;
    if (peek() == 'M') {
      ++i;
      int m, w, d;
      if (!number(12, m) || m < 1 || peek() != '.') return false;
      ++i;
      if (!number(5, w) || w < 1 || peek() != '.') return false;
      ++i;
      if (!number(6, d)) return false;
      c.kind = PosixRule::Change::Kind::month_week_day;
      c.month = static_cast<int8_t>(m);
      c.week = static_cast<int8_t>(w);
      c.day = static_cast<int16_t>(d);
    } else if (peek() == 'J') {
      ++i;
      if (!number(365, v) || v < 1) return false;
      c.kind = PosixRule::Change::Kind::julian_no_leap;
      c.day = static_cast<int16_t>(v);
    } else {
      if (!number(365, v)) return false;
      c.kind = PosixRule::Change::Kind::zero_based;
      c.day = static_cast<int16_t>(v);
    }
    c.time = 7200;  // default 02:00:00
    if (peek() == '/') {
      ++i;
      if (!hms(167, c.time)) return false;
    }
    return true;
  }
};

// Local calendar day on which change c happens in year y.
date::local_days change_day(const PosixRule::Change& c, date::year y) {
  using Kind = PosixRule::Change::Kind;
  const date::local_days jan1{y / 1 / 1};
  switch (c.kind) {
    case Kind::julian_no_leap: {  // J60 is 1 Mar even in leap years
      int n = c.day - 1;
      if (y.is_leap() && c.day >= 60) ++n;
      return jan1 + date::days{n};
    }
    case Kind::zero_based:
      return jan1 + date::days{c.day};
    case Kind::month_week_day: {
      const date::month m{static_cast<unsigned>(c.month)};
      const date::weekday wd{static_cast<unsigned>(c.day)};
      if (c.week == 5) return date::local_days{y / m / wd[date::last]};
      return date::local_days{y / m / wd[static_cast<unsigned>(c.week)]};
    }
  }
  return jan1;
}

// UTC second of change c in year y, its wall-clock time read with offset `before`.
date::sys_seconds change_instant(const PosixRule::Change& c, date::year y, int32_t before) {
  const auto local = change_day(c, y) + seconds{c.time};
  return date::sys_seconds{local.time_since_epoch() - seconds{before}};
}

}  // namespace

std::optional<PosixRule> PosixRule::parse(std::string_view text) {
  RuleReader r{text};
  PosixRule rule;
  int32_t west;
  if (!r.name() || !r.hms(24, west)) return std::nullopt;
  rule.std_offset = -west;
  if (r.done()) return rule;

  if (!r.name()) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;  // default: one hour ahead of standard time
  if (r.peek() != ',' && !r.done()) {
    if (!r.hms(24, west)) return std::nullopt;
    rule.dst_offset = -west;
  }
  if (r.done()) {  // no dates: the POSIX default, US rules
    return PosixRule::parse(std::string(text) + ",M3.2.0,M11.1.0");
  }
  if (r.peek() != ',') return std::nullopt;
  ++r.i;
  if (!r.change(rule.dst_start) || r.peek() != ',') return std::nullopt;
  ++r.i;
  if (!r.change(rule.dst_end) || !r.done()) return std::nullopt;
  return rule;
}

std::chrono::seconds PosixRule::offset(Instant t) const {
  if (!has_dst) return seconds{std_offset};
  const auto ts = date::floor<seconds>(t);
  const date::year y = date::year_month_day{date::floor<date::days>(ts + seconds{std_offset})}.year();
  // The latest change at or before t decides; at equal instants a start wins (zones in DST
  // all year write "0/0,J365/25": each year's end coincides with the next year's start).
  if (memo_year_ != static_cast<int>(y)) {
    for (int k = -1; k <= 1; ++k) {
      const date::year yy = y + date::years{k};
      memo_[k + 1][0] = change_instant(dst_start, yy, std_offset).time_since_epoch().count();
      memo_[k + 1][1] = change_instant(dst_end, yy, dst_offset).time_since_epoch().count();
    }
    memo_year_ = static_cast<int>(y);
  }
  bool found = false, in_dst = false;
  date::sys_seconds best{};
  for (int k = -1; k <= 1; ++k) {
    const date::sys_seconds start{seconds{memo_[k + 1][0]}};
    const date::sys_seconds end{seconds{memo_[k + 1][1]}};
    if (end <= ts && (!found || end > best)) found = true, best = end, in_dst = false;
    if (start <= ts && (!found || start >= best)) found = true, best = start, in_dst = true;
  }
  return seconds{in_dst ? dst_offset : std_offset};
}

std::optional<TimeZone> TimeZone::find(std::string_view iana) {
  const auto* first = std::begin(kTzZones);
  const auto* last = std::end(kTzZones);
  const auto* it = std::lower_bound(first, last, iana, [](const TzZoneEntry& e, std::string_view n) {
    return std::string_view{e.name} < n;
  });
  if (it == last || std::string_view{it->name} != iana) return std::nullopt;
  auto rule = PosixRule::parse(kTzRules[it->rule]);
  if (!rule) return std::nullopt;  // every generated rule parses (tested)
  return TimeZone{std::string(it->name), *rule, it->history};
}

TimeZone TimeZone::utc() { return TimeZone{"UTC", PosixRule{}, -1}; }

std::chrono::seconds TimeZone::offset(Instant t) const {
  if (history_ >= 0) {
    const TzHistory& h = kTzHistories[history_];
    const int64_t s = date::floor<seconds>(t).time_since_epoch().count();
    const TzTransition* first = kTzTransitions + h.first;
    const TzTransition* last = first + h.count;
    if (s >= first->at && s < h.rule_from) {
      const TzTransition* it = std::upper_bound(
          first, last, s, [](int64_t v, const TzTransition& e) { return v < e.at; });
      return seconds{(it - 1)->offset};  // the last transition at or before t
    }
  }
  return rule_.offset(t);
}

date::local_days TimeZone::local_date(Instant t) const {
  const auto local = t + offset(t);  // still a sys_time; only its day is used
  return date::local_days{date::floor<date::days>(local).time_since_epoch()};
}

Instant TimeZone::from_local(date::local_time<std::chrono::microseconds> lt) const {
  for (int attempt = 0; attempt < 4; ++attempt) {
    const Instant as_utc{lt.time_since_epoch()};
    // Try the daylight reading first: an ambiguous time resolves to it, as Rails' dst=true.
    const int32_t candidates[2] = {rule_.has_dst ? rule_.dst_offset : rule_.std_offset,
                                   rule_.std_offset};
    for (int32_t off : candidates) {
      const Instant t = as_utc - seconds{off};
      if (offset(t) == seconds{off}) return t;
    }
    lt += std::chrono::hours{1};  // skipped by a spring-forward gap: move on one hour
  }
  return Instant{lt.time_since_epoch()} - seconds{rule_.std_offset};  // not reached by real rules
}

Instant TimeZone::start_of_day(date::local_days d) const {
  return from_local(date::local_time<std::chrono::microseconds>{d});
}

Instant TimeZone::end_of_day(date::local_days d) const {
  using std::chrono::microseconds;
  return from_local(date::local_time<microseconds>{d + date::days{1}} - microseconds{1});
}

}  // namespace tariff
