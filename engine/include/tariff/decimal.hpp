// Decimal: exact fixed-point decimal arithmetic for money and units.
//
// A value is a signed 128-bit integer count of 10^-18 (kScale = 18 places), so it carries
// 38 significant digits: up to ±1.7e20 with 18 decimals (Lago stores 15). Addition,
// subtraction and comparison are exact; multiplication is exact up to the 18th decimal and
// rounds half away from zero there; division rounds half away from zero at the 18th decimal.
// mul_div(a, b, c, places) gives a × b / c rounded once (no 18-place intermediate); Ratio
// carries a fraction to be divided once where it is applied.
// Nothing here touches binary floating point. Overflow and division by zero throw
// DecimalError (never a silently wrong number); the engine maps it to a 422.
//
// Rounding is explicit: round(places, RoundingMode). Lago rounds half away from zero
// (BigDecimal's default, Money.rounding_mode); ceil/floor/truncate serve aggregation rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tariff {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

struct DecimalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class RoundingMode { half_up, ceil, floor, truncate };

class Decimal {
 public:
  static constexpr int kScale = 18;

  constexpr Decimal() = default;
  Decimal(int v) : raw_(static_cast<int128>(v) * unit()) {}        // NOLINT implicit
  Decimal(long v) : raw_(static_cast<int128>(v) * unit()) {}       // NOLINT implicit
  Decimal(long long v) : raw_(static_cast<int128>(v) * unit()) {}  // NOLINT implicit

  // "12", "-0.0125", "3." — optional sign, digits, optional fraction. No exponent, no
  // spaces. More than kScale decimals are rounded half away from zero. nullopt on bad text
  // or overflow.
  static std::optional<Decimal> parse(std::string_view text);
  // Lago's numeric strings also accept exponents ("1e3", "2.5E-2"); used where Lago
  // parses with BigDecimal(...) (charge properties), never for event values.
  static std::optional<Decimal> parse_lenient(std::string_view text);
  static Decimal from_raw(int128 raw) { return Decimal(raw, RawTag{}); }
  static Decimal pow10(int n);  // 10^n for -18 <= n <= 20

  int128 raw() const { return raw_; }
  bool is_zero() const { return raw_ == 0; }
  bool is_negative() const { return raw_ < 0; }
  bool is_positive() const { return raw_ > 0; }
  bool is_integer() const { return raw_ % unit() == 0; }
  int sign() const { return raw_ < 0 ? -1 : (raw_ > 0 ? 1 : 0); }
  Decimal abs() const { return raw_ < 0 ? -*this : *this; }

  Decimal round(int places, RoundingMode mode = RoundingMode::half_up) const;
  Decimal ceil(int places = 0) const { return round(places, RoundingMode::ceil); }
  Decimal floor(int places = 0) const { return round(places, RoundingMode::floor); }
  Decimal truncate(int places = 0) const { return round(places, RoundingMode::truncate); }

  // Integer part as int64 (after truncation toward zero); throws if it does not fit.
  int64_t to_int64() const;

  // Ruby BigDecimal#to_s('F') style as ActiveSupport prints it: no exponent, trailing zeros
  // dropped, at least one decimal ("2.0", "1012.345", "-0.5").
  std::string to_string() const;
  // Exactly `places` decimals after rounding half away from zero ("10.10").
  std::string to_fixed(int places) const;
  // Integer text without a fraction if integral, else as to_string() ("3", "0.25").
  std::string to_plain() const;

  Decimal operator-() const;
  Decimal& operator+=(const Decimal& o);
  Decimal& operator-=(const Decimal& o);
  Decimal& operator*=(const Decimal& o) { return *this = *this * o; }
  Decimal& operator/=(const Decimal& o) { return *this = *this / o; }
  friend Decimal operator+(Decimal a, const Decimal& b) { return a += b; }
  friend Decimal operator-(Decimal a, const Decimal& b) { return a -= b; }
  friend Decimal operator*(const Decimal& a, const Decimal& b);
  friend Decimal operator/(const Decimal& a, const Decimal& b);

  // a × b / c computed exactly (a 256-bit product divided once) and rounded once, at `places`
  // decimals with `mode`: no intermediate is ever cut to 18 places. Throws DecimalError on
  // division by zero or when the result does not fit.
  static Decimal mul_div(const Decimal& a, const Decimal& b, const Decimal& c, int places = kScale,
                         RoundingMode mode = RoundingMode::half_up);

  friend bool operator==(const Decimal& a, const Decimal& b) { return a.raw_ == b.raw_; }
  friend bool operator!=(const Decimal& a, const Decimal& b) { return a.raw_ != b.raw_; }
  friend bool operator<(const Decimal& a, const Decimal& b) { return a.raw_ < b.raw_; }
  friend bool operator<=(const Decimal& a, const Decimal& b) { return a.raw_ <= b.raw_; }
  friend bool operator>(const Decimal& a, const Decimal& b) { return a.raw_ > b.raw_; }
  friend bool operator>=(const Decimal& a, const Decimal& b) { return a.raw_ >= b.raw_; }

  static constexpr int128 unit() { return static_cast<int128>(1000000000000000000LL); }

 private:
  struct RawTag {};
  constexpr Decimal(int128 raw, RawTag) : raw_(raw) {}
  int128 raw_ = 0;
};

// A ratio carried as a fraction (num / den, den ≠ 0) and divided once, where it is applied:
// days / duration, elapsed / period, prorated / full. `of(x)` = x × num / den and
// `divide(x)` = x × den / num, each rounded once (18 places unless told).
struct Ratio {
  Decimal num{1}, den{1};
  Ratio() = default;
  Ratio(const Decimal& n, const Decimal& d) : num(n), den(d) {}
  Ratio(const Decimal& value) : num(value), den(1) {}  // NOLINT implicit: an exact decimal ratio
  Decimal of(const Decimal& x, int places = Decimal::kScale, RoundingMode mode = RoundingMode::half_up) const {
    return Decimal::mul_div(x, num, den, places, mode);
  }
  Decimal divide(const Decimal& x, int places = Decimal::kScale, RoundingMode mode = RoundingMode::half_up) const {
    return Decimal::mul_div(x, den, num, places, mode);
  }
  int sign() const { return num.sign() * den.sign(); }
  // num / den compared with 1, exactly.
  bool above_one() const { return den.is_negative() ? num < den : num > den; }
};

// Σ x_i × n_i over decimals x_i and integers n_i, kept exactly (256 bits) and divided once by
// a positive integer: a time-weighted sum (value × microseconds / period microseconds) never
// rounds a product before the division.
class ProductSum {
 public:
  void add(const Decimal& x, int64_t n);
  Decimal divide(uint64_t d, int places = Decimal::kScale, RoundingMode mode = RoundingMode::half_up) const;

 private:
  uint64_t pos_[4] = {0, 0, 0, 0};  // Σ of the positive products, raw units, little-endian limbs
  uint64_t neg_[4] = {0, 0, 0, 0};  // Σ of the magnitudes of the negative ones
};

// Integer cent sums: every Σ amount_cents goes through these; overflow throws DecimalError
// (a 422 value_out_of_range), never wraps.
inline int64_t add_cents(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) throw DecimalError("cents overflow");
  return r;
}
inline int64_t sub_cents(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) throw DecimalError("cents overflow");
  return r;
}

inline Decimal min(const Decimal& a, const Decimal& b) { return b < a ? b : a; }
inline Decimal max(const Decimal& a, const Decimal& b) { return a < b ? b : a; }

static_assert(sizeof(Decimal) == 16, "Decimal is one 128-bit integer");

// Decimal::to_string()'s text written at `out`, which has room for kDecimalChars bytes;
// returns the end. No allocation and no division by 10 per digit: the magnitude is cut into
// 9-digit chunks (a division of 32-bit limbs by 10^9 each), each printed two digits at a time
// (money/decimal_text.cpp; the JSON writer prints decimals through it).
constexpr std::size_t kDecimalChars = 48;
char* decimal_chars(char* out, const Decimal& d);
// d / divisor exactly as operator/ gives it (half away from zero at the 18th decimal) for a
// divisor in [1, 2^32): a 32-bit limb division instead of a 256-bit one (cents to major units).
Decimal divide_small(const Decimal& d, std::uint32_t divisor);

}  // namespace tariff
