// Numbers as Rust's bigdecimal 0.4 reads and prints them, over tariff::Decimal.
//
// bigdecimal keeps an unscaled integer and a scale, never normalised: "1.50" is 150 at
// scale 2 and prints back as "1.50". Lago's expressions only show the scale through
// concat(), but there it is visible, so Num carries it next to the value.
//
// Reading (`str::parse`): [sign] digits [. digits] [(e|E) [sign] digits]; `_` may follow any
// digit; "5." and ".5" are numbers; scale = fraction digits − exponent.
// Printing (Display): zero is "0"; more than 5 zeros between the point and the first digit
// switch to "d.dddE-x"; more than 15 trailing zeros to "ddde+x"; otherwise plain digits with
// the point placed by the scale.
#include <string>

#include "money/u128.hpp"
#include "tariff/expression.hpp"

namespace tariff::expr::detail {

namespace {

constexpr uint128 kMaxMagnitude = (static_cast<uint128>(1) << 127) - 1;

struct Pow10Table {
  uint128 v[39];
  constexpr Pow10Table() : v() {
    v[0] = 1;
    for (int i = 1; i < 39; ++i) v[i] = v[i - 1] * 10;
  }
};
constexpr Pow10Table kPow10{};
uint128 pow10_u128(int n) { return kPow10.v[n]; }  // 0 <= n <= 38

// Decimal digits of v. 128-bit division is slow (a library call per step), so split
// into base-10^19 chunks once and convert those with 64-bit arithmetic.
void append_u64(std::string& out, uint64_t v, int min_width) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (int i = n; i < min_width; ++i) out.push_back('0');
  while (n > 0) out.push_back(buf[--n]);
}

std::string u128_digits(uint128 v) {
  constexpr uint64_t kChunk = 10000000000000000000ULL;  // 10^19
  std::string out;
  if (v < kChunk) {
    append_u64(out, static_cast<uint64_t>(v), 1);
    return out;
  }
  uint128 low_part, high_low;
  const uint128 high = u128::divmod(v, kChunk, &low_part);
  const uint64_t low = static_cast<uint64_t>(low_part);
  if (high < kChunk) {
    append_u64(out, static_cast<uint64_t>(high), 1);
  } else {
    append_u64(out, static_cast<uint64_t>(u128::divmod(high, kChunk, &high_low)), 1);
    append_u64(out, static_cast<uint64_t>(high_low), 19);
  }
  append_u64(out, low, 19);
  return out;
}

// The characters bigdecimal hands to BigInt::from_str_radix: the text before the first '.'
// followed by the text after it, viewed in place.
struct Joined {
  std::string_view lead, trail;
  std::size_t size() const { return lead.size() + trail.size(); }
  char operator[](std::size_t i) const {
    return i < lead.size() ? lead[i] : trail[i - lead.size()];
  }
};

// Rust's i128::from_str: optional sign, then at least one digit. Saturates far outside
// any usable scale (the caller rejects those).
bool read_exponent(std::string_view s, int64_t& exp) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v < 1000000000) v = v * 10 + (c - '0');
  }
  exp = negative ? -v : v;
  return true;
}

}  // namespace

// Display of an unscaled magnitude (decimal digits, no leading zeros) at a scale.
std::string format_digits(const std::string& digits, int64_t scale, bool negative) {
  if (digits == "0") return "0";
  const int64_t len = static_cast<int64_t>(digits.size());
  std::string out = negative ? "-" : "";
  const int64_t leading_zeros = scale > len ? scale - len : 0;
  if (leading_zeros > 5) {
    // d.dddE-x: one digit before the point; exponent = len − scale − 1.
    out += digits[0];
    if (len > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    const int64_t exponent = len - scale - 1;
    out += 'E';
    out += exponent < 0 ? "-" : "+";
    out += std::to_string(exponent < 0 ? -exponent : exponent);
    return out;
  }
  if (scale < -15) {  // ddde+x: the trailing zeros as an exponent
    out += digits;
    out += "e+" + std::to_string(-scale);
    return out;
  }
  if (scale <= 0) {
    out += digits;
    out.append(static_cast<std::size_t>(-scale), '0');
  } else if (scale < len) {
    out.append(digits, 0, static_cast<std::size_t>(len - scale));
    out += '.';
    out.append(digits, static_cast<std::size_t>(len - scale), std::string::npos);
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(scale - len), '0');
    out += digits;
  }
  return out;
}

NumberKind parse_number(std::string_view text, Num& out, std::string* big_display) {
  std::string_view base = text;
  int64_t exponent = 0;
  const std::size_t e = text.find_first_of("eE");
  if (e != std::string_view::npos) {
    base = text.substr(0, e);
    if (!read_exponent(text.substr(e + 1), exponent)) return NumberKind::not_number;
  }
  if (base.empty()) return NumberKind::not_number;

  // Split at the first '.'; a trailing '.' is dropped ("5." is 5). The fraction's length
  // counts every character but '_' (so ".-5" reads as -5 at scale 2, as bigdecimal does).
  Joined j{base, {}};
  int64_t fraction_digits = 0;
  const std::size_t dot = base.find('.');
  if (dot != std::string_view::npos) {
    j.lead = base.substr(0, dot);
    if (dot + 1 < base.size()) {
      j.trail = base.substr(dot + 1);
      for (char c : j.trail) fraction_digits += c != '_';
    }
  }

  // num-bigint: one sign ('-', or '+' alone: "-+5" is not a number), then digits with '_'
  // allowed anywhere but first.
  const std::size_t n = j.size();
  std::size_t i = 0;
  bool negative = false;
  if (i < n && j[i] == '-') {
    negative = true;
    ++i;
    if (i < n && j[i] == '+') return NumberKind::not_number;
  } else if (i < n && j[i] == '+') {
    ++i;
  }
  if (i >= n || j[i] == '_') return NumberKind::not_number;
  std::size_t first_sig = n;  // first non-zero digit
  int64_t len = 0;            // digits from first_sig on
  for (std::size_t k = i; k < n; ++k) {
    const char c = j[k];
    if (c == '_') continue;
    if (c < '0' || c > '9') return NumberKind::not_number;
    if (first_sig == n && c != '0') first_sig = k;
    if (first_sig != n) ++len;
  }
  if (first_sig == n) {  // zero, at any scale, prints "0"
    out = Num{Decimal(), 0};
    return NumberKind::number;
  }
  const int64_t scale = fraction_digits - exponent;

  // value = digits × 10^-scale; the idx-th significant digit sits at place 10^p with
  // p = (len − 1 − idx) − scale. Places above 10^20 are out of range; below 10^-18 they
  // round half away from zero on the first dropped digit.
  if (len <= 19 && scale <= 18 && len - 1 - scale <= 19) {
    // Common case: at most 19 digits, none below 10^-18, none above 10^19: the digits as
    // one 64-bit integer, scaled once (below 10^38, so in range).
    uint64_t acc = 0;
    for (std::size_t k = first_sig; k < n; ++k)
      if (j[k] != '_') acc = acc * 10 + static_cast<uint64_t>(j[k] - '0');
    const int128 raw = static_cast<int128>(static_cast<uint128>(acc) * pow10_u128(static_cast<int>(18 - scale)));
    out.value = Decimal::from_raw(negative ? -raw : raw);
    out.scale = static_cast<int32_t>(scale);
    return NumberKind::number;
  }
  bool in_range = scale <= kMaxScale && scale >= -kMaxScale;
  uint128 mag = 0;  // in units of 10^-18
  bool round_up = false;
  int64_t idx = 0;
  for (std::size_t k = first_sig; k < n && in_range; ++k) {
    const char c = j[k];
    if (c == '_') continue;
    const int d = c - '0';
    const int64_t place = (len - 1 - idx++) - scale;
    if (d == 0) continue;
    if (place > 20 || (place == 20 && d >= 2)) {
      // d × 10^38 for d ≥ 2 is past the max (1.7 × 10^38 raw) — and for d ≥ 4 past 2^128,
      // where the product itself would wrap: refused before it is computed.
      in_range = false;
    } else if (place < -18) {
      if (place == -19 && d >= 5) round_up = true;
    } else {
      const uint128 term = static_cast<uint128>(d) * pow10_u128(static_cast<int>(place + 18));
      if (mag > kMaxMagnitude - term) in_range = false;
      mag += term;
    }
  }
  if (in_range && round_up) {
    if (mag == kMaxMagnitude) in_range = false;
    ++mag;
  }
  if (!in_range) {
    if (big_display != nullptr) {
      std::string digits;
      for (std::size_t k = first_sig; k < n; ++k) {
        if (j[k] != '_') digits.push_back(j[k]);
      }
      *big_display = format_digits(digits, scale, negative);
    }
    return NumberKind::out_of_range;
  }
  const int128 raw = static_cast<int128>(mag);
  out.value = Decimal::from_raw(negative ? -raw : raw);
  out.scale = static_cast<int32_t>(scale);
  return NumberKind::number;
}

std::string ruby_text(const Decimal& d) {
  // Written backwards into a buffer (at most a sign, 21 integer digits, '.', 18 decimals),
  // then one string: no intermediate strings or per-character appends.
  const int128 raw = d.raw();
  const uint128 mag = raw < 0 ? static_cast<uint128>(0) - static_cast<uint128>(raw)
                              : static_cast<uint128>(raw);
  constexpr uint64_t kUnit = 1000000000000000000ULL;  // 10^18
  char buf[64];
  char* const end = buf + sizeof buf;
  char* p = end;
  uint128 frac_part;
  uint128 whole = u128::divmod(mag, kUnit, &frac_part);
  uint64_t frac = static_cast<uint64_t>(frac_part);
  if (frac == 0) {
    *--p = '0';
  } else {
    int width = 18;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    for (int i = 0; i < width; ++i, frac /= 10) *--p = static_cast<char>('0' + frac % 10);
  }
  *--p = '.';
  while ((whole >> 64) != 0) {  // 19 digits with one 128-bit step, the rest in 64 bits
    uint128 chunk;
    whole = u128::divmod(whole, 10000000000000000000ULL, &chunk);
    uint64_t c = static_cast<uint64_t>(chunk);
    for (int i = 0; i < 19; ++i, c /= 10) *--p = static_cast<char>('0' + c % 10);
  }
  uint64_t w = static_cast<uint64_t>(whole);
  do {
    *--p = static_cast<char>('0' + w % 10);
    w /= 10;
  } while (w != 0);
  if (raw < 0) *--p = '-';
  return std::string(p, end);
}

std::string format_number(const Num& n) {
  if (n.value.is_zero()) return "0";
  const int128 raw = n.value.raw();
  const uint128 mag = raw < 0 ? static_cast<uint128>(0) - static_cast<uint128>(raw)
                              : static_cast<uint128>(raw);
  int64_t scale = n.scale;
  // Unscaled digits: value × 10^scale. Exact when the scale is at least the value's own
  // number of decimals; otherwise (never produced by the evaluator) print 18 decimals.
  std::string digits;
  if (scale < 18) {
    const int drop = static_cast<int>(18 - scale);
    uint128 rest = 1;
    const uint128 kept = drop <= 38 ? u128::divmod(mag, pow10_u128(drop), &rest) : 0;
    if (drop <= 38 && rest == 0) {
      digits = u128_digits(kept);
    } else {
      scale = 18;
    }
  }
  if (scale >= 18) {
    digits = u128_digits(mag) + std::string(static_cast<std::size_t>(scale - 18), '0');
  }
  return format_digits(digits, scale, raw < 0);
}

}  // namespace tariff::expr::detail
