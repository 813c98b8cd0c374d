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

#include "tariff/expression.hpp"

namespace tariff::expr::detail {

namespace {

constexpr uint128 kMaxMagnitude = (static_cast<uint128>(1) << 127) - 1;

uint128 pow10_u128(int n) {  // 0 <= n <= 38
  uint128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

std::string u128_digits(uint128 v) {
  if (v == 0) return "0";
  char buf[48];
  int n = 0;
  while (v != 0) {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  std::string s(static_cast<std::size_t>(n), '0');
  for (int i = 0; i < n; ++i) s[static_cast<std::size_t>(i)] = buf[n - 1 - i];
  return s;
}

// num-bigint's BigInt::from_str_radix(_, 10) as bigdecimal calls it: one optional sign
// ('-', or '+'), then digits with '_' allowed anywhere but first. Collects the digits.
bool read_integer(std::string_view s, bool& negative, std::string& digits) {
  negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (!s.empty() && s[0] == '+') {
    if (negative) return false;  // "-+5" is not a number
    s.remove_prefix(1);
  }
  if (s.empty() || s[0] == '_') return false;
  for (char c : s) {
    if (c == '_') continue;
    if (c < '0' || c > '9') return false;
    digits.push_back(c);
  }
  return !digits.empty();
}

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
  std::string joined;
  int64_t fraction_digits = 0;
  const std::size_t dot = base.find('.');
  if (dot == std::string_view::npos) {
    joined = std::string(base);
  } else if (dot == base.size() - 1) {
    joined = std::string(base.substr(0, dot));
  } else {
    std::string_view trail = base.substr(dot + 1);
    joined = std::string(base.substr(0, dot)) + std::string(trail);
    for (char c : trail) fraction_digits += c != '_';
  }
  bool negative = false;
  std::string digits;
  if (!read_integer(joined, negative, digits)) return NumberKind::not_number;
  const std::size_t first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  const int64_t scale = fraction_digits - exponent;

  // value = digits × 10^-scale; digit i (from the left) sits at place 10^p with
  // p = (len − 1 − i) − scale. Places above 10^20 are out of range; below 10^-18 they
  // round half away from zero on the first dropped digit.
  const int64_t len = static_cast<int64_t>(digits.size());
  bool in_range = scale <= kMaxScale && scale >= -kMaxScale;
  uint128 mag = 0;  // in units of 10^-18
  bool round_up = false;
  for (int64_t i = 0; i < len && in_range; ++i) {
    const int d = digits[static_cast<std::size_t>(i)] - '0';
    const int64_t place = (len - 1 - i) - scale;
    if (d == 0) continue;
    if (place > 20) {
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
  if (digits == "0") {  // zero at any scale prints "0"
    out = Num{Decimal(), 0};
    return NumberKind::number;
  }
  if (!in_range) {
    if (big_display != nullptr) *big_display = format_digits(digits, scale, negative);
    return NumberKind::out_of_range;
  }
  const int128 raw = static_cast<int128>(mag);
  out.value = Decimal::from_raw(negative ? -raw : raw);
  out.scale = static_cast<int32_t>(scale);
  return NumberKind::number;
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
    if (drop <= 38 && mag % pow10_u128(drop) == 0) {
      digits = u128_digits(mag / pow10_u128(drop));
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
