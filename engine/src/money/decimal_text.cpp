// Decimal's text and its division by a small integer, in 32-bit limbs (tariff/decimal.hpp):
// Decimal::to_string() and the JSON writer (core/json_write.hpp) both print through
// decimal_chars, so a decimal's text is made in one place.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "tariff/decimal.hpp"

namespace tariff {
namespace {

// "00".."99": two digits per table look-up.
constexpr std::array<char, 200> kPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) t[2 * i] = static_cast<char>('0' + i / 10), t[2 * i + 1] = static_cast<char>('0' + i % 10);
  return t;
}();

void pair(char* q, std::uint32_t v) { std::memcpy(q, &kPairs[2 * v], 2); }

// The 9 digits of v < 10^9, zero-padded: 32-bit divisions by constants only (multiplications
// for the compiler, in WebAssembly as natively).
void nine_digits(char* q, std::uint32_t v) {
  q[0] = static_cast<char>('0' + v / 100000000u);
  const std::uint32_t r = v % 100000000u, hi = r / 10000u, lo = r % 10000u;
  pair(q + 1, hi / 100u), pair(q + 3, hi % 100u), pair(q + 5, lo / 100u), pair(q + 7, lo % 100u);
}

// The digits of v < 10^9, no leading zero (one "0" for 0).
char* chunk_digits(char* q, std::uint32_t v) {
  char tmp[9];
  nine_digits(tmp, v);
  int first = 0;
  while (first < 8 && tmp[first] == '0') ++first;
  std::memcpy(q, tmp + first, static_cast<std::size_t>(9 - first));
  return q + (9 - first);
}

constexpr std::uint32_t kChunk = 1000000000u;  // 10^9

// Divides the 128-bit number in 32-bit limbs (most significant first) by d in place; returns
// the remainder. One 64-by-32-bit division per limb that is not a leading zero.
template <std::uint32_t D = 0>
std::uint32_t divide_limbs(std::uint32_t (&l)[4], std::uint32_t d = D) {
  if (D != 0) d = D;  // a constant: the compiler divides by multiplying
  std::uint64_t rem = 0;
  for (auto& limb : l) {
    const std::uint64_t cur = (rem << 32) | limb;
    if (cur == 0) continue;
    limb = static_cast<std::uint32_t>(cur / d);
    rem = cur % d;
  }
  return static_cast<std::uint32_t>(rem);
}
std::uint32_t divide_chunk(std::uint32_t (&l)[4]) { return divide_limbs<kChunk>(l); }

void to_limbs(uint128 mag, std::uint32_t (&l)[4]) {
  l[0] = static_cast<std::uint32_t>(mag >> 96), l[1] = static_cast<std::uint32_t>(mag >> 64);
  l[2] = static_cast<std::uint32_t>(mag >> 32), l[3] = static_cast<std::uint32_t>(mag);
}
uint128 from_limbs(const std::uint32_t (&l)[4]) {
  return uint128(l[0]) << 96 | uint128(l[1]) << 64 | uint128(l[2]) << 32 | l[3];
}

}  // namespace

char* decimal_chars(char* q, const Decimal& d) {
  static_assert(Decimal::kScale == 18, "two 9-digit chunks of fraction");
  const int128 raw = d.raw();
  const uint128 mag = raw < 0 ? uint128(0) - static_cast<uint128>(raw) : static_cast<uint128>(raw);
  if (raw == 0) {
    std::memcpy(q, "0.0", 3);
    return q + 3;
  }
  std::uint32_t l[4];
  to_limbs(mag, l);
  const std::uint32_t frac_lo = divide_chunk(l), frac_hi = divide_chunk(l);  // 10^-18.., 10^-9..
  if (raw < 0) *q++ = '-';
  // The whole part: 9-digit chunks below its leading one (at most 3 chunks: |d| < 1.7e20).
  std::uint32_t below[3];
  int n = 0;
  while ((l[0] | l[1] | l[2]) != 0 || l[3] >= kChunk) below[n++] = divide_chunk(l);
  q = chunk_digits(q, l[3]);
  while (n > 0) nine_digits(q, below[--n]), q += 9;
  *q++ = '.';
  if ((frac_hi | frac_lo) == 0) {
    *q++ = '0';
    return q;
  }
  nine_digits(q, frac_hi);
  if (frac_lo != 0) nine_digits(q + 9, frac_lo), q += 18;
  else q += 9;
  while (q[-1] == '0') --q;  // a nonzero fraction: its last digit stays
  return q;
}

Decimal divide_small(const Decimal& d, std::uint32_t divisor) {
  if (divisor == 0) return d / Decimal(0);  // Decimal's error
  const int128 raw = d.raw();
  const uint128 mag = raw < 0 ? uint128(0) - static_cast<uint128>(raw) : static_cast<uint128>(raw);
  std::uint32_t l[4];
  to_limbs(mag, l);
  const std::uint64_t r = divide_limbs(l, divisor);
  uint128 q = from_limbs(l);
  if (2 * r >= divisor) q += 1;  // half away from zero
  return Decimal::from_raw(raw < 0 ? -static_cast<int128>(q) : static_cast<int128>(q));
}

std::string Decimal::to_string() const {
  char buf[kDecimalChars];
  return std::string(buf, decimal_chars(buf, *this));
}

}  // namespace tariff
