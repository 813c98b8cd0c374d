// Decimal arithmetic on a 128-bit scaled integer; products and quotients go through a
// 256-bit intermediate so that nothing is lost before the final rounding.
#include "tariff/decimal.hpp"

#include "money/u128.hpp"

#include <algorithm>
#include <array>

namespace tariff {
namespace {

constexpr uint128 kUnit = 1000000000000000000ULL;  // 10^18
constexpr uint128 kMaxMagnitude = (static_cast<uint128>(1) << 127) - 1;

uint128 magnitude(int128 v) {
  return v < 0 ? static_cast<uint128>(0) - static_cast<uint128>(v) : static_cast<uint128>(v);
}

int128 signed_from(uint128 mag, bool negative) {
  if (mag > kMaxMagnitude) throw DecimalError("decimal overflow");
  int128 v = static_cast<int128>(mag);
  return negative ? -v : v;
}

// 256-bit unsigned as four 64-bit limbs, least significant first.
using U256 = std::array<uint64_t, 4>;

U256 mul_128(uint128 a, uint128 b) {
  const uint64_t a0 = static_cast<uint64_t>(a), a1 = static_cast<uint64_t>(a >> 64);
  const uint64_t b0 = static_cast<uint64_t>(b), b1 = static_cast<uint64_t>(b >> 64);
  // Schoolbook on 64-bit limbs; the products of a zero limb (most magnitudes times 10^18
  // have one) are skipped. Each partial product through u128::mul_64x64.
  const uint128 p00 = u128::mul_64x64(a0, b0);
  U256 r{static_cast<uint64_t>(p00), static_cast<uint64_t>(p00 >> 64), 0, 0};
  const auto add_at = [&r](int k, uint128 p) {  // r += p · 2^(64k), k = 1 or 2
    uint64_t carry = 0;
    const uint64_t lo = static_cast<uint64_t>(p), hi = static_cast<uint64_t>(p >> 64);
    r[k] += lo;
    carry = r[k] < lo;
    r[k + 1] += hi;
    const uint64_t c1 = r[k + 1] < hi;
    r[k + 1] += carry;
    carry = c1 + (r[k + 1] < carry);
    for (int i = k + 2; carry != 0 && i < 4; ++i) {
      r[i] += carry;
      carry = r[i] < carry;
    }
  };
  if (b1 != 0) add_at(1, u128::mul_64x64(a0, b1));
  if (a1 != 0) add_at(1, u128::mul_64x64(a1, b0));
  if (a1 != 0 && b1 != 0) add_at(2, u128::mul_64x64(a1, b1));
  return r;
}

// Divides by a 64-bit divisor in place; returns the remainder.
uint64_t div_small(U256& n, uint64_t d) {
  uint64_t rem = 0;
  for (int i = 3; i >= 0; --i) {
    if (rem == 0) {  // a 64-bit step
      rem = n[i] % d;
      n[i] /= d;
    } else {  // (rem:n[i]) / d with rem < d
      n[i] = u128::div_2by1(rem, n[i], d, &rem);
    }
  }
  return rem;
}

uint128 to_u128_checked(const U256& n) {
  if (n[2] != 0 || n[3] != 0) throw DecimalError("decimal overflow");
  return (static_cast<uint128>(n[1]) << 64) | n[0];
}

// Binary long division of a 256-bit numerator by a divisor < 2^127+1. Returns quotient;
// remainder in *rem.
U256 div_big(const U256& n, uint128 d, uint128* rem) {
  U256 q{0, 0, 0, 0};
  uint128 r = 0;
  int top = 255;  // from the numerator's highest set bit: the leading zeros add nothing
  while (top >= 64 && n[top / 64] == 0) top -= 64;
  for (int bit = top; bit >= 0; --bit) {
    r = (r << 1) | ((n[bit / 64] >> (bit % 64)) & 1U);
    if (r >= d) {
      r -= d;
      q[bit / 64] |= (static_cast<uint64_t>(1) << (bit % 64));
    }
  }
  *rem = r;
  return q;
}

int ctz_u128(uint128 v) {  // v != 0
  const uint64_t low = static_cast<uint64_t>(v);
  return low != 0 ? __builtin_ctzll(low) : 64 + __builtin_ctzll(static_cast<uint64_t>(v >> 64));
}

void shift_right(U256& n, int k) {  // 0 < k < 256
  const int limbs = k / 64, bits = k % 64;
  for (int i = 0; i < 4; ++i) {
    const int src = i + limbs;
    uint64_t v = src < 4 ? n[src] >> bits : 0;
    if (bits != 0 && src + 1 < 4) v |= n[src + 1] << (64 - bits);
    n[i] = v;
  }
}

uint128 pow10_u(int n) { return u128::kPow10Table.pow[n]; }  // 0 <= n <= 38

}  // namespace

Decimal Decimal::pow10(int n) {
  if (n < -kScale || n > 20) throw DecimalError("decimal overflow");
  return from_raw(static_cast<int128>(pow10_u(n + kScale)));
}

std::optional<Decimal> Decimal::parse(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    i = 1;
  }
  size_t int_digits = 0, frac_digits = 0;
  // The first 19 integer digits and the kScale fraction digits fit 64 bits: 64-bit steps (a
  // 128-bit product is a library call in WebAssembly), 128-bit ones only past 19 digits.
  uint64_t head = 0;
  for (; i < s.size() && int_digits < 19 && s[i] >= '0' && s[i] <= '9'; ++i, ++int_digits) {
    head = head * 10 + static_cast<unsigned>(s[i] - '0');
  }
  uint128 int_part = head;
  uint64_t frac = 0;  // first kScale fraction digits
  int round_digit = -1;
  bool sticky = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (int_part > (kMaxMagnitude / kUnit)) return std::nullopt;
    int_part = int_part * 10 + static_cast<unsigned>(s[i] - '0');
    ++int_digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (frac_digits < static_cast<size_t>(kScale)) {
        frac = frac * 10 + static_cast<unsigned>(s[i] - '0');
      } else if (round_digit < 0) {
        round_digit = s[i] - '0';
      } else if (s[i] != '0') {
        sticky = true;
      }
      ++frac_digits;
    }
  }
  (void)sticky;
  if (i != s.size() || (int_digits == 0 && frac_digits == 0)) return std::nullopt;
  if (frac_digits < static_cast<size_t>(kScale))  // < 10^18 after
    frac *= static_cast<uint64_t>(u128::kPow10Table.pow[static_cast<size_t>(kScale) - frac_digits]);
  if (int_part > kMaxMagnitude / kUnit) return std::nullopt;
  uint128 mag = (int_part == 0 ? 0
                 : (int_part >> 64) == 0 ? u128::mul_64x64(static_cast<uint64_t>(int_part), static_cast<uint64_t>(kUnit))
                                         : int_part * kUnit) + frac;
  if (round_digit >= 5) mag += 1;  // half away from zero on the magnitude
  if (mag > kMaxMagnitude) return std::nullopt;
  return from_raw(negative ? -static_cast<int128>(mag) : static_cast<int128>(mag));
}

std::optional<Decimal> Decimal::parse_lenient(std::string_view s) {
  size_t e = s.find_first_of("eE");
  if (e == std::string_view::npos) return parse(s);
  const std::string_view mant = s.substr(0, e);
  if (!parse(mant)) return std::nullopt;  // the mantissa's syntax
  std::string_view ex = s.substr(e + 1);
  if (ex.empty() || ex.size() > 4) return std::nullopt;
  int sign = 1;
  size_t i = 0;
  if (ex[0] == '+' || ex[0] == '-') {
    sign = ex[0] == '-' ? -1 : 1;
    i = 1;
  }
  if (i == ex.size()) return std::nullopt;
  long exp = 0;
  for (; i < ex.size(); ++i) {
    if (ex[i] < '0' || ex[i] > '9') return std::nullopt;
    exp = exp * 10 + (ex[i] - '0');
  }
  exp *= sign;
  // Move the decimal point in the text and parse once, so the value is rounded once at the
  // 18th decimal ("4.5e-19" is 0, not 10^-18 by rounding 4.5e-18 first).
  size_t k = 0;
  std::string sign_text;
  if (mant[0] == '-' || mant[0] == '+') {
    sign_text = mant[0] == '-' ? "-" : "";
    k = 1;
  }
  std::string digits;
  long point = -1;
  for (; k < mant.size(); ++k) {
    if (mant[k] == '.') point = static_cast<long>(digits.size());
    else digits.push_back(mant[k]);
  }
  if (point < 0) point = static_cast<long>(digits.size());
  point += exp;
  std::string text = sign_text;
  const long n = static_cast<long>(digits.size());
  if (point <= 0) {
    text += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (point >= n) {
    text += digits + std::string(static_cast<size_t>(point - n), '0');
  } else {
    text += digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
  }
  return parse(text);
}

Decimal Decimal::operator-() const {
  if (raw_ == -static_cast<int128>(kMaxMagnitude) - 1) throw DecimalError("decimal overflow");
  return from_raw(-raw_);
}

Decimal& Decimal::operator+=(const Decimal& o) {
  int128 r;
  if (__builtin_add_overflow(raw_, o.raw_, &r)) throw DecimalError("decimal overflow");
  raw_ = r;
  return *this;
}

Decimal& Decimal::operator-=(const Decimal& o) {
  int128 r;
  if (__builtin_sub_overflow(raw_, o.raw_, &r)) throw DecimalError("decimal overflow");
  raw_ = r;
  return *this;
}

namespace {

// round(n / d, places) for a 256-bit n: the quotient q (18 places) and the remainder decide
// the rounding together, so the result is the exact value rounded once. Every increment is
// checked: nothing wraps.
uint128 div_round(U256 n, uint128 d, bool negative, int places, RoundingMode mode) {
  if (d == 0) throw DecimalError("division by zero");
  if ((d >> 64) != 0) {
    // n/d = (n/2^k)/(d/2^k) for their common trailing zero bits k, with the same quotient,
    // and a remainder divided by 2^k, which keeps "zero" and "2·rem ≥ d": the rounding is
    // unchanged. A whole number of units (raw × 10^18) has at least 18 such bits, so a
    // divisor like 60 or 1000 then fits 64 bits and takes the short division.
    int k = d == 0 ? 0 : ctz_u128(d);
    for (int i = 0; i < 4; ++i) {
      if (n[i] != 0) {
        k = std::min(k, 64 * i + __builtin_ctzll(n[i]));
        break;
      }
      if (i == 3) k = 0;  // n = 0
    }
    if (k > 0) {
      shift_right(n, k);
      d >>= k;
    }
  }
  uint128 q, rem;
  if ((d >> 64) == 0) {
    rem = div_small(n, static_cast<uint64_t>(d));
    q = to_u128_checked(n);
  } else {
    q = to_u128_checked(div_big(n, d, &rem));
  }
  if (places > Decimal::kScale) places = Decimal::kScale;
  if (places < -20) places = -20;
  const uint128 step = pow10_u(Decimal::kScale - places);
  uint128 r;
  q = u128::divmod(q, step, &r);
  const bool inexact = r != 0 || rem != 0;
  bool up = false;
  switch (mode) {
    case RoundingMode::half_up:
      // value below the kept digits = (r + rem/d) / step; half or more rounds away from zero.
      if (step == 1) up = rem >= d - rem;     // 2·rem ≥ d
      else up = r >= step - r;                // 2·r ≥ step (step even: rem only adds below 1)
      break;
    case RoundingMode::ceil: up = inexact && !negative; break;
    case RoundingMode::floor: up = inexact && negative; break;
    case RoundingMode::truncate: break;
  }
  if (up) {
    if (q == ~static_cast<uint128>(0)) throw DecimalError("decimal overflow");
    q += 1;
  }
  if (q > u128::kPow10Table.max_factor[Decimal::kScale - places]) throw DecimalError("decimal overflow");
  return q * step;
}

// round(x × y / d, places) on magnitudes: x × y is exact in 256 bits, divided once.
uint128 mul_div_mag(uint128 x, uint128 y, uint128 d, bool negative, int places, RoundingMode mode) {
  return div_round(mul_128(x, y), d, negative, places, mode);
}

// a += b on 256 bits; throws past 2^256 (never reached by sums of 128 × 64-bit products).
void add_256(uint64_t* a, const U256& b) {
  uint64_t carry = 0;
  for (int i = 0; i < 4; ++i) {
    const uint128 t = static_cast<uint128>(a[i]) + b[i] + carry;
    a[i] = static_cast<uint64_t>(t);
    carry = static_cast<uint64_t>(t >> 64);
  }
  if (carry != 0) throw DecimalError("decimal overflow");
}

bool less_256(const uint64_t* a, const uint64_t* b) {
  for (int i = 3; i >= 0; --i)
    if (a[i] != b[i]) return a[i] < b[i];
  return false;
}

U256 sub_256(const uint64_t* a, const uint64_t* b) {  // a ≥ b
  U256 r{0, 0, 0, 0};
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    const uint128 t = static_cast<uint128>(a[i]) - b[i] - borrow;
    r[i] = static_cast<uint64_t>(t);
    borrow = (t >> 64) != 0 ? 1 : 0;
  }
  return r;
}

}  // namespace

Decimal Decimal::mul_div(const Decimal& a, const Decimal& b, const Decimal& c, int places, RoundingMode mode) {
  if (c.raw_ == 0) throw DecimalError("division by zero");
  const bool negative = ((a.raw_ < 0) != (b.raw_ < 0)) != (c.raw_ < 0);
  // raw(a·b/c) = raw(a) · raw(b) / raw(c): the scales cancel.
  const uint128 mag = mul_div_mag(magnitude(a.raw_), magnitude(b.raw_), magnitude(c.raw_), negative, places, mode);
  return from_raw(signed_from(mag, negative));
}

void ProductSum::add(const Decimal& x, int64_t n) {
  if (x.is_zero() || n == 0) return;
  const bool negative = x.is_negative() != (n < 0);
  const uint64_t mag_n = n < 0 ? static_cast<uint64_t>(0) - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  add_256(negative ? neg_ : pos_, mul_128(magnitude(x.raw()), mag_n));
}

Decimal ProductSum::divide(uint64_t d, int places, RoundingMode mode) const {
  if (d == 0) throw DecimalError("division by zero");
  const bool negative = less_256(pos_, neg_);
  const U256 n = negative ? sub_256(neg_, pos_) : sub_256(pos_, neg_);
  const uint128 mag = div_round(n, d, negative, places, mode);
  return Decimal::from_raw(signed_from(mag, negative));
}

Decimal operator*(const Decimal& a, const Decimal& b) {
  const bool negative = (a.raw_ < 0) != (b.raw_ < 0);
  const uint128 mag = mul_div_mag(magnitude(a.raw_), magnitude(b.raw_), kUnit, negative, Decimal::kScale,
                                  RoundingMode::half_up);
  return Decimal::from_raw(signed_from(mag, negative));
}

Decimal operator/(const Decimal& a, const Decimal& b) {
  if (b.raw_ == 0) throw DecimalError("division by zero");
  const bool negative = (a.raw_ < 0) != (b.raw_ < 0);
  const uint128 mag = mul_div_mag(magnitude(a.raw_), kUnit, magnitude(b.raw_), negative, Decimal::kScale,
                                  RoundingMode::half_up);
  return Decimal::from_raw(signed_from(mag, negative));
}

Decimal Decimal::round(int places, RoundingMode mode) const {
  if (places >= kScale) return *this;
  if (places < -20) places = -20;
  const int drop = kScale - places;
  if (drop > 38) return Decimal();
  const uint128 step = pow10_u(drop);
  const bool negative = raw_ < 0;
  const uint128 mag = magnitude(raw_);
  uint128 r;
  uint128 q = u128::divmod(mag, step, &r);
  bool up = false;
  switch (mode) {
    case RoundingMode::half_up: up = r >= step - r; break;  // r*2 >= step
    case RoundingMode::ceil: up = r != 0 && !negative; break;
    case RoundingMode::floor: up = r != 0 && negative; break;
    case RoundingMode::truncate: up = false; break;
  }
  if (r == 0) up = false;
  if (up) q += 1;
  // q·step may exceed the range only for values already at the edge.
  if (q > u128::kPow10Table.max_factor[drop]) throw DecimalError("decimal overflow");
  return from_raw(signed_from(q * step, negative));
}

int64_t Decimal::to_int64() const {
  const uint128 mag = u128::div(magnitude(raw_), kUnit);  // truncated toward zero
  if (raw_ < 0 ? mag > static_cast<uint128>(INT64_MAX) + 1 : mag > static_cast<uint128>(INT64_MAX))
    throw DecimalError("integer overflow");
  return raw_ < 0 ? static_cast<int64_t>(static_cast<uint64_t>(0) - static_cast<uint64_t>(mag))
                  : static_cast<int64_t>(mag);
}

namespace {
std::string u128_to_string(uint128 v) {
  if (v == 0) return "0";
  char buf[48];
  int n = 0;
  while ((v >> 64) != 0) {  // 19 digits at a time with one 128-bit step, then 64-bit ones
    uint128 chunk;
    v = u128::divmod(v, 10000000000000000000ULL, &chunk);
    uint64_t c = static_cast<uint64_t>(chunk);
    for (int i = 0; i < 19; ++i, c /= 10) buf[n++] = static_cast<char>('0' + static_cast<int>(c % 10));
  }
  for (uint64_t w = static_cast<uint64_t>(v); w != 0; w /= 10) buf[n++] = static_cast<char>('0' + static_cast<int>(w % 10));
  std::string s;
  s.reserve(n);
  while (n > 0) s.push_back(buf[--n]);
  return s;
}

// Digits of the fraction, exactly kScale of them.
std::string fraction_digits(uint128 frac) {
  std::string f = u128_to_string(frac);
  return std::string(static_cast<size_t>(Decimal::kScale) - f.size(), '0') + f;
}
}  // namespace

std::string Decimal::to_plain() const {
  if (is_integer()) {
    const uint128 mag = magnitude(raw_);
    return (raw_ < 0 ? "-" : "") + u128_to_string(u128::div(mag, kUnit));
  }
  return to_string();
}

std::string Decimal::to_fixed(int places) const {
  if (places < 0) places = 0;
  if (places > kScale) places = kScale;
  const Decimal r = round(places);
  const uint128 mag = magnitude(r.raw_);
  std::string out = r.raw_ < 0 ? "-" : "";
  uint128 frac_part;
  out += u128_to_string(u128::divmod(mag, kUnit, &frac_part));
  if (places > 0) {
    out += '.';
    out += fraction_digits(frac_part).substr(0, static_cast<size_t>(places));
  }
  return out;
}

}  // namespace tariff
