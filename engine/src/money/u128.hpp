// Unsigned 128-bit division without the compiler's generic routine where it is not needed:
// __udivti3 / __umodti3 are library calls (slow in WebAssembly, where they loop), while most
// of tariff's magnitudes and divisors fit 64 bits. Exact in every case: a fast path is taken
// only when its operands fit, and the compiler's division remains for 128-bit divisors.
#pragma once

#include <cstdint>

#include "tariff/decimal.hpp"  // uint128

namespace tariff::u128 {

// a · b for 64-bit operands, exactly. WebAssembly has no 64×64→128 multiplication: the
// compiler calls its 128×128 routine (__multi3, result through memory); four 32-bit
// products are cheaper there. Natively the one instruction.
inline uint128 mul_64x64(uint64_t a, uint64_t b) {
#if defined(__wasm__)
  const uint64_t al = static_cast<uint32_t>(a), ah = a >> 32, bl = static_cast<uint32_t>(b), bh = b >> 32;
  const uint64_t p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
  const uint64_t mid = (p0 >> 32) + static_cast<uint32_t>(p1) + static_cast<uint32_t>(p2);
  const uint64_t lo = (mid << 32) | static_cast<uint32_t>(p0);
  const uint64_t hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
  return (static_cast<uint128>(hi) << 64) | lo;
#else
  return static_cast<uint128>(a) * b;
#endif
}

// 10^k for k in 0..38, and the largest m with m · 10^k below 2^127 (Decimal's magnitude
// bound), computed at compile time: no loop, no 128-bit division at run time.
struct Pow10Table {
  uint128 pow[39];
  uint128 max_factor[39];
  constexpr Pow10Table() : pow(), max_factor() {
    const uint128 max_magnitude = (static_cast<uint128>(1) << 127) - 1;
    pow[0] = 1;
    for (int i = 1; i < 39; ++i) pow[i] = pow[i - 1] * 10;
    for (int i = 0; i < 39; ++i) max_factor[i] = max_magnitude / pow[i];
  }
};
inline constexpr Pow10Table kPow10Table{};

// (u1:u0) / v for u1 < v (so the quotient fits 64 bits), with 64-bit operations only:
// Knuth's algorithm D on 32-bit digits (Hacker's Delight, divlu). *r receives the remainder.
inline uint64_t div_2by1(uint64_t u1, uint64_t u0, uint64_t v, uint64_t* r) {
  constexpr uint64_t b = 1ULL << 32;
  const int s = __builtin_clzll(v);  // normalize: v's top bit set
  v <<= s;
  const uint64_t vn1 = v >> 32, vn0 = v & 0xFFFFFFFFULL;
  const uint64_t un32 = s == 0 ? u1 : (u1 << s) | (u0 >> (64 - s));
  const uint64_t un10 = u0 << s;
  const uint64_t un1 = un10 >> 32, un0 = un10 & 0xFFFFFFFFULL;
  uint64_t q1 = un32 / vn1, rhat = un32 - q1 * vn1;
  while (q1 >= b || q1 * vn0 > b * rhat + un1) {
    q1 -= 1;
    rhat += vn1;
    if (rhat >= b) break;
  }
  const uint64_t un21 = un32 * b + un1 - q1 * v;  // modulo 2^64: the true value is below v
  uint64_t q0 = un21 / vn1;
  rhat = un21 - q0 * vn1;
  while (q0 >= b || q0 * vn0 > b * rhat + un0) {
    q0 -= 1;
    rhat += vn1;
    if (rhat >= b) break;
  }
  *r = (un21 * b + un0 - q0 * v) >> s;
  return q1 * b + q0;
}

// a / b (b != 0); *rem = a % b.
inline uint128 divmod(uint128 a, uint128 b, uint128* rem) {
  if ((b >> 64) == 0) {
    const uint64_t d = static_cast<uint64_t>(b);
    const uint64_t hi = static_cast<uint64_t>(a >> 64), lo = static_cast<uint64_t>(a);
    if (hi == 0) {
      *rem = lo % d;
      return lo / d;
    }
    const uint64_t qh = hi / d;
    uint64_t r = 0;
    const uint64_t ql = div_2by1(hi % d, lo, d, &r);
    *rem = r;
    return (static_cast<uint128>(qh) << 64) | ql;
  }
  if (a < b) {
    *rem = a;
    return 0;
  }
  const uint128 q = a / b;
  *rem = a - q * b;
  return q;
}

inline uint128 div(uint128 a, uint128 b) {
  uint128 r;
  return divmod(a, b, &r);
}

inline uint128 mod(uint128 a, uint128 b) {
  uint128 r;
  divmod(a, b, &r);
  return r;
}

}  // namespace tariff::u128
