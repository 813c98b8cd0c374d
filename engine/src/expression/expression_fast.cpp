// The evaluator's fast path: the same program over (magnitude, sign, scale) numbers — the
// unscaled integer bigdecimal itself keeps — instead of Decimal's fixed 18 places, so that
// most steps are 64-bit integer operations (128-bit multiplication and division are slow
// library calls in WebAssembly). Every step yields exactly the value and scale the exact
// path (expression_eval.cpp) yields, or gives up: a scale outside 0..18, a magnitude of
// 10^20 or more, a dividend beyond 128 bits, anything exotic in a property (JSON floats,
// booleans, numbers beyond range), text where a number is expected, division by zero,
// concat() anywhere but last. Giving up costs nothing but the work done so far: the
// caller then runs the exact path, which produces the same result or Lago's error.
#include <algorithm>
#include <cstring>
#include <utility>

#include "money/u128.hpp"
#include "core/event_store.hpp"
#include "tariff/expression.hpp"

namespace tariff::expr {

using detail::Instruction;
using detail::Num;
using detail::Op;

namespace {

constexpr uint128 kU128Max = ~static_cast<uint128>(0);
struct Pow10 {
  uint128 v[39];
  uint128 max_factor[39];  // the largest m with m · 10^k within 128 bits
  constexpr Pow10() : v(), max_factor() {
    v[0] = 1;
    for (int i = 1; i < 39; ++i) v[i] = v[i - 1] * 10;
    for (int i = 0; i < 39; ++i) max_factor[i] = kU128Max / v[i];  // at compile time
  }
};
constexpr Pow10 kPow10{};

// A number: (neg ? −1 : 1) · mag · 10^−scale, or text (is_text). No initialisers: the
// stack is left unwritten until pushed to (make() sets every number field).
struct F {
  uint128 mag;
  int32_t scale;
  bool neg;
  bool is_text;
  std::string_view text;
};

// a · b for 64-bit operands: u128::mul_64x64 (no __multi3 in WebAssembly).
inline uint128 mul64(uint64_t a, uint64_t b) { return u128::mul_64x64(a, b); }

// Values below 10^20 in magnitude at a scale of 0..18: always within Decimal's range, so
// the exact path computes the same value without overflow.
bool in_range(const F& f) { return f.scale >= 0 && f.scale <= 18 && f.mag < kPow10.v[20 + f.scale]; }

bool make(F& out, uint128 mag, bool neg, int64_t scale) {
  if (scale < 0 || scale > 18) return false;
  out.is_text = false;
  out.mag = mag;
  out.scale = static_cast<int32_t>(scale);
  out.neg = neg && mag != 0;
  return in_range(out);
}

// The exact path's Num, when it fits: its value has at most `scale` decimals.
bool from_num(const Num& n, F& out) {
  if (n.scale < 0 || n.scale > 18) return false;
  const int128 raw = n.value.raw();
  const uint128 mag = raw < 0 ? static_cast<uint128>(0) - static_cast<uint128>(raw) : static_cast<uint128>(raw);
  uint128 rest;
  const uint128 m = u128::divmod(mag, kPow10.v[18 - n.scale], &rest);
  if (rest != 0) return false;
  return make(out, m, raw < 0, n.scale);
}

Num to_num(const F& f) {
  // Below 10^20 · 10^18 < 2^127: the product fits; one 64-bit factor (10^k, k <= 18) always.
  const uint64_t p = static_cast<uint64_t>(kPow10.v[18 - f.scale]);
  const int128 raw = static_cast<int128>((f.mag >> 64) == 0 ? mul64(static_cast<uint64_t>(f.mag), p) : f.mag * p);
  return Num{Decimal::from_raw(f.neg ? -raw : raw), f.scale};
}

// bigdecimal's is_one_quickcheck, as in the exact path: exactly 1 at a scale of 0..38.
bool is_one(const F& f) { return !f.neg && f.mag == kPow10.v[f.scale]; }

// mag · 10^k without overflow past 128 bits, or false.
bool scale_up(uint128 mag, int k, uint128& out) {
  if (k < 0 || k > 38) return false;
  if (k == 0) {
    out = mag;
    return true;
  }
  if (mag > kPow10.max_factor[k]) return false;
  // Both below 2^32 (10^k for k <= 9): one 64-bit multiplication, no 128-bit library call.
  if ((mag >> 32) == 0 && k <= 9) {
    out = static_cast<uint64_t>(mag) * static_cast<uint64_t>(kPow10.v[k]);
  } else if ((mag >> 64) == 0 && k <= 19) {
    out = mul64(static_cast<uint64_t>(mag), static_cast<uint64_t>(kPow10.v[k]));
  } else {
    out = mag * kPow10.v[k];
  }
  return true;
}

// A property string that reads as a plain decimal ([sign] digits [. digits], 1–19 digits,
// at most 18 after the point): the common case, read without the general parser.
// Anything else (exponent, '_', long, text) goes to detail::parse_number.
enum class Read { number, text, give_up };
Read read_plain(std::string_view s, F& out) {
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  uint64_t acc = 0;
  int digits = 0, fraction = 0;
  bool dot = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      acc = acc * 10 + static_cast<uint64_t>(c - '0');
      ++digits;
      fraction += dot;
      if (digits > 19) return Read::give_up;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return Read::give_up;
    }
  }
  if (digits == 0 || fraction > 18) return Read::give_up;
  // Zero at any scale is bigdecimal's 0 (scale 0), as the exact path reads it.
  if (acc == 0) return make(out, 0, false, 0) ? Read::number : Read::give_up;
  return make(out, acc, neg, fraction) ? Read::number : Read::give_up;
}

// Whether bigdecimal could read `s` as a number at all: every number starts with a digit, a
// sign or a point (parse_number's grammar), so "eu" or "" is text without parsing.
bool may_be_number(std::string_view s) {
  if (s.empty()) return false;
  const char c = s[0];
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.';
}

Read load_string(std::string_view s, F& out) {
  if (!may_be_number(s)) {
    out.is_text = true;
    out.text = s;
    return Read::text;
  }
  const Read r = read_plain(s, out);
  if (r != Read::give_up) return r;
  Num n;
  switch (detail::parse_number(s, n, nullptr)) {
    case detail::NumberKind::number:
      return from_num(n, out) ? Read::number : Read::give_up;
    case detail::NumberKind::not_number:
      out.is_text = true;
      out.text = s;
      return Read::text;
    default:
      return Read::give_up;
  }
}

bool load_property(const PropertyValue& v, F& out) {
  if (v.kind == PropertyValue::Kind::string) return load_string(v.text, out) != Read::give_up;
  if (v.kind == PropertyValue::Kind::integer) {
    const int64_t i = v.integer;
    const uint128 mag = i < 0 ? static_cast<uint128>(0) - static_cast<uint128>(static_cast<int128>(i))
                              : static_cast<uint128>(i);
    return make(out, mag, i < 0, 0);
  }
  return false;  // floats, unsigned beyond int64, booleans, null, arrays, objects
}

// A flat property as the exact path reads it (read_property): a string as load_string, an
// integer ([-]digits, as the exact JSON reader keeps it) as its digits; anything else (JSON
// booleans, null, objects, arrays) is left to the exact path.
bool load_flat(const Property& p, F& out) {
  switch (p.kind()) {
    case PropertyKind::string:
      return load_string(p.text(), out) != Read::give_up;
    case PropertyKind::integer:
      return read_plain(p.text(), out) == Read::number;
    default:
      return false;
  }
}

// Short copies without a library call (WebAssembly's memcpy is one).
void copy_small(char* to, std::string_view from) {
  if (from.size() > 16) {
    std::memcpy(to, from.data(), from.size());
    return;
  }
  for (std::size_t i = 0; i < from.size(); ++i) to[i] = from[i];
}

// a ± b at the larger scale (b's sign already flipped for a subtraction).
bool add(const F& a, const F& b, bool flip_b, F& out) {
  const bool bneg = flip_b ? !b.neg && b.mag != 0 : b.neg;
  const int32_t s = std::max(a.scale, b.scale);
  uint128 x, y;
  if (!scale_up(a.mag, s - a.scale, x) || !scale_up(b.mag, s - b.scale, y)) return false;
  if (a.neg == bneg) {
    if (x > kU128Max - y) return false;
    return make(out, x + y, a.neg, s);
  }
  return x >= y ? make(out, x - y, a.neg, s) : make(out, y - x, bneg, s);
}

// a · b within 128 bits (no 128-bit division: a library call in WebAssembly), or false.
bool multiply(uint128 a, uint128 b, uint128& out) {
  if (((a | b) >> 32) == 0) {  // one 64-bit multiplication
    out = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
    return true;
  }
  if (a < b) std::swap(a, b);  // b is the smaller
  if ((b >> 64) != 0) return false;
  if ((a >> 64) == 0) {
    out = mul64(static_cast<uint64_t>(a), static_cast<uint64_t>(b));
    return true;
  }
  const uint128 high = (a >> 64) * b, low = static_cast<uint128>(static_cast<uint64_t>(a)) * b;
  if ((high >> 64) != 0) return false;
  const uint128 shifted = high << 64;
  if (low > kU128Max - shifted) return false;
  out = shifted + low;
  return true;
}

int digit_count(uint128 v) {  // v != 0
  int d = 1;
  while (d < 39 && v >= kPow10.v[d]) ++d;
  return d;
}

// The exact path's divide(), on magnitudes: the quotient rounded half away from zero at
// 18 places; when it terminates there, the scale bigdecimal gives it (see expression_eval.cpp).
bool divide(const F& a, const F& b, F& out) {
  if (b.mag == 0) return false;  // the exact path reports the division by zero
  if (a.mag == 0 || is_one(b)) {
    out = a;
    return true;
  }
  uint128 num;
  if (!scale_up(a.mag, 18 - a.scale + b.scale, num)) return false;
  uint128 rem;
  uint128 q = u128::divmod(num, b.mag, &rem);
  const bool neg = a.neg != b.neg;
  if (rem != 0) {
    if (rem >= b.mag - rem) ++q;
    return make(out, q, neg, 18);
  }
  // Terminates: own scale = 18 − trailing zeros of q (q ≠ 0, as a ≠ 0).
  int zeros = 0;
  for (uint128 t = q, r = 0; zeros < 38; ++zeros) {
    const uint128 next = u128::divmod(t, 10, &r);
    if (r != 0) break;
    t = next;
  }
  const int64_t own = 18 - zeros;
  const int64_t first_digit = 19 - digit_count(q);  // smallest t with |q|·10^t >= 1
  const int64_t scale = std::max<int64_t>({static_cast<int64_t>(a.scale) - b.scale, first_digit, own});
  if (scale < 0 || scale > 18) return false;
  return make(out, u128::div(q, kPow10.v[18 - scale]), neg, scale);
}

bool round_to(F& x, const F& digits_value, bool has_digits, RoundingMode mode) {
  int64_t digits = 0;
  if (has_digits) {
    if (digits_value.is_text) return false;
    const uint128 whole = u128::div(digits_value.mag, kPow10.v[digits_value.scale]);  // truncated
    if (whole > 18) return false;
    digits = digits_value.neg ? -static_cast<int64_t>(whole) : static_cast<int64_t>(whole);
  }
  if (digits < 0 || digits > 18) return false;
  if (digits >= x.scale) {
    uint128 m;
    if (!scale_up(x.mag, static_cast<int>(digits - x.scale), m)) return false;
    return make(x, m, x.neg, digits);
  }
  const uint128 step = kPow10.v[x.scale - digits];
  uint128 r;
  uint128 q = u128::divmod(x.mag, step, &r);
  bool up = false;
  if (r != 0) {
    if (mode == RoundingMode::half_up) up = r >= step - r;
    else if (mode == RoundingMode::ceil) up = !x.neg;
    else up = x.neg;  // floor
  }
  return make(x, q + up, x.neg, digits);
}

}  // namespace

void Expression::prepare_fast_literals() {
  fast_numbers_.clear();
  for (const Num& n : numbers_) {
    detail::FastLiteral l;
    F f;
    if (from_num(n, f)) {
      l.magnitude = f.mag;
      l.scale = f.scale;
      l.negative = f.neg;
      l.usable = true;
    }
    fast_numbers_.push_back(l);
  }
}

bool Expression::evaluate_fast(const EventFields& event, std::string& out) const {
  detail::FastOut r;
  if (!fast_core(event, r)) return false;
  if (r.is_number) {
    out = detail::ruby_text(r.number);
  } else {
    out.assign(r.text.data(), r.text.size());
  }
  return true;
}

bool Expression::evaluate_fast(const EventFields& event, Result& out) const {
  detail::FastOut r;
  if (!fast_core(event, r)) return false;
  out.is_number = r.is_number;
  if (r.is_number) {
    out.number = r.number;
  } else {
    out.text.assign(r.text.data(), r.text.size());
  }
  return true;
}

Expression::Stored Expression::evaluate_stored(const EventFields& event, StoredResult& out,
                                               std::string& long_text) const {
  detail::FastOut r;
  if (!fast_core(event, r)) return Stored::given_up;
  if (r.is_number) {
    out.text_size = -1;
    out.value = r.number;
    return Stored::number;
  }
  if (r.text.size() <= StoredResult::kMaxText) {
    out.text_size = static_cast<int8_t>(r.text.size());
    copy_small(out.text, r.text);
    return Stored::short_text;
  }
  long_text.assign(r.text.data(), r.text.size());
  return Stored::long_text;
}

bool Expression::fast_core(const EventFields& event, detail::FastOut& out) const {
  constexpr std::size_t kSlots = 8;
  if (max_stack_ > kSlots) return false;
  F stack[kSlots];
  std::size_t top = 0;
  const Instruction* const program = program_.data();
  const std::size_t size = program_.size();
  for (std::size_t pc = 0; pc < size; ++pc) {
    const Instruction& ins = program[pc];
    switch (ins.op) {
      case Op::push_number: {
        const detail::FastLiteral& n = fast_numbers_[ins.arg];
        if (!n.usable) return false;
        F& f = stack[top++];
        f.is_text = false;
        f.mag = n.magnitude;
        f.scale = n.scale;
        f.neg = n.negative;
        break;
      }
      case Op::push_text:
        stack[top].is_text = true;
        stack[top++].text = texts_[ins.arg];
        break;
      case Op::event_code:
        stack[top].is_text = true;
        stack[top++].text = event.code;
        break;
      case Op::event_timestamp: {
        const int64_t t = event.timestamp;
        const uint128 mag = t < 0 ? static_cast<uint128>(0) - static_cast<uint128>(static_cast<int128>(t))
                                  : static_cast<uint128>(t);
        if (!make(stack[top++], mag, t < 0, 0)) return false;
        break;
      }
      case Op::property: {
        if (event.flat_properties) {  // a snapshot event: its own list, read in place
          const Property* p = event.flat_properties->find(texts_[ins.arg]);
          if (p == nullptr || !load_flat(*p, stack[top++])) return false;
        } else {
          PropertyValue v;
          std::string scratch;  // a property's text when it is neither a string nor a number (unused)
          if (!read_property(event, texts_[ins.arg], v, scratch) || !load_property(v, stack[top++])) return false;
        }
        break;
      }
      case Op::negate: {
        F& x = stack[top - 1];
        if (x.is_text) return false;
        x.neg = !x.neg && x.mag != 0;
        break;
      }
      case Op::add:
      case Op::subtract:
      case Op::multiply:
      case Op::divide: {
        // r is a's slot: every operation below reads a before it writes r.
        const F& a = stack[top - 2];
        const F& b = stack[top - 1];
        if (a.is_text || b.is_text) return false;
        F& r = stack[top - 2];
        --top;
        if (ins.op == Op::add) {
          if (!add(a, b, false, r)) return false;
        } else if (ins.op == Op::subtract) {
          if (b.mag == 0) {
            r = a;
          } else if (a.mag == 0) {
            r = b;
            r.neg = !b.neg;
          } else if (!add(a, b, true, r)) {
            return false;
          }
        } else if (ins.op == Op::multiply) {
          if (is_one(a)) {
            r = b;
          } else if (is_one(b)) {
            r = a;
          } else {
            uint128 product;
            if (!multiply(a.mag, b.mag, product) ||
                !make(r, product, a.neg != b.neg, static_cast<int64_t>(a.scale) + b.scale))
              return false;
          }
        } else if (!divide(a, b, r)) {
          return false;
        }
        break;
      }
      case Op::round:
      case Op::ceil:
      case Op::floor: {
        const bool has_digits = ins.arg == 2;
        if (has_digits) --top;
        F& x = stack[top - 1];
        if (x.is_text) return false;
        const RoundingMode mode = ins.op == Op::round  ? RoundingMode::half_up
                                  : ins.op == Op::ceil ? RoundingMode::ceil
                                                       : RoundingMode::floor;
        if (!round_to(x, stack[top], has_digits, mode)) return false;
        break;
      }
      case Op::least:
      case Op::greatest: {
        const std::size_t base = top - ins.arg;
        std::size_t best = base;
        for (std::size_t i = base; i < top; ++i) {
          if (stack[i].is_text) return false;
          if (i == base) continue;
          F diff;  // stack[i] − stack[best], compared with zero
          if (!add(stack[i], stack[best], true, diff)) return false;
          const bool less = diff.neg;
          // Rust's Iterator::min keeps the first of equals, max the last.
          if (ins.op == Op::least ? less : !less) best = i;
        }
        stack[base] = stack[best];
        top = base + 1;
        break;
      }
      case Op::concat: {
        if (pc + 1 != size) return false;  // only as the result: no owned text on the stack
        // Joined straight into out.buffer; past its size, into out.spill.
        std::size_t n = 0;
        bool spilled = false;
        for (std::size_t i = top - ins.arg; i < top; ++i) {
          std::string printed;
          std::string_view piece = stack[i].text;
          if (!stack[i].is_text) {
            printed = detail::format_number(to_num(stack[i]));
            piece = printed;
          }
          if (!spilled && piece.size() <= detail::FastOut::kBuffer - n) {
            copy_small(out.buffer + n, piece);
            n += piece.size();
            continue;
          }
          if (!spilled) {
            out.spill.assign(out.buffer, n);
            spilled = true;
          }
          out.spill.append(piece.data(), piece.size());
        }
        out.is_number = false;
        out.text = spilled ? std::string_view(out.spill) : std::string_view(out.buffer, n);
        return true;
      }
    }
  }
  const F& result = stack[0];
  if (result.is_text) {
    out.is_number = false;
    out.text = result.text;
  } else {
    out.is_number = true;
    out.number = to_num(result).value;
  }
  return true;
}

}  // namespace tariff::expr
