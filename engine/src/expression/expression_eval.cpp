// Evaluation of a compiled expression: one pass over the postfix program with a value
// stack sized at compile time. Values are numbers (Decimal + bigdecimal scale), text
// (viewed in place: literal, event code, property string; owned only for concat()
// results and non-string JSON values), or "big": a property that reads as a number beyond
// Decimal's range, usable only as text in concat().
//
// Scales follow bigdecimal 0.4 so that concat() prints what Lago prints:
//   a + b: max(sa, sb)            a − b: sa if b = 0, sb if a = 0, else max(sa, sb)
//   a × b: sb if a is 1, sa if b is 1, else sa + sb
//   a ÷ b: a if a = 0 or b is 1; else, when the quotient terminates, the larger of the
//          scale where the first division by b yields a digit and the quotient's own
//          decimals (10 / 4 = 2.5, 1.00 / 2 = 0.50, 1 / 8 = 0.125); otherwise 18.
//   round/ceil/floor(x, d): scale d.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <new>
#include <system_error>
#include <utility>

#include "money/u128.hpp"
#include "core/event_store.hpp"
#include "tariff/expression.hpp"

namespace tariff::expr {

using detail::Instruction;
using detail::Num;
using detail::NumberKind;
using detail::Op;

namespace {

// A snapshot event's flat property as the exact JSON reader would have typed it: a
// non-negative integer unsigned, a negative one signed (the reader keeps both in 64 bits).
bool read_flat_property(const Property& p, PropertyValue& out) {
  using K = PropertyValue::Kind;
  const std::string_view t = p.text();
  switch (p.kind()) {
    case PropertyKind::string:
      out.kind = K::string;
      out.text = t;
      return true;
    case PropertyKind::integer:
      if (!t.empty() && t[0] == '-') {
        out.kind = K::integer;
        return std::from_chars(t.data(), t.data() + t.size(), out.integer).ec == std::errc();
      }
      out.kind = K::unsigned_integer;
      return std::from_chars(t.data(), t.data() + t.size(), out.unsigned_integer).ec == std::errc();
    case PropertyKind::boolean:
      out.kind = K::boolean;
      out.boolean = t == "true";
      return true;
    case PropertyKind::null:
      out.kind = K::null;
      return true;
    default:  // objects and arrays: their JSON text
      out.kind = K::other;
      out.text = t;
      return true;
  }
}

}  // namespace

// The evaluators' only access to an event's properties: a snapshot event's flat list, or a
// JSON object (an event given in a request).
bool read_property(const EventFields& event, const std::string& name, PropertyValue& out, std::string& scratch) {
  using T = nlohmann::json::value_t;
  using K = PropertyValue::Kind;
  if (event.flat_properties) {
    const Property* p = event.flat_properties->find(name);
    return p != nullptr && read_flat_property(*p, out);
  }
  const nlohmann::json* props = event.properties;
  if (props == nullptr || !props->is_object()) return false;
  const auto it = props->find(name);
  if (it == props->end()) return false;
  const nlohmann::json& v = *it;
  switch (v.type()) {
    case T::string:
      out.kind = K::string;
      out.text = v.get_ref<const std::string&>();
      break;
    case T::number_integer:
      out.kind = K::integer;
      out.integer = v.get<int64_t>();
      break;
    case T::number_unsigned:
      out.kind = K::unsigned_integer;
      out.unsigned_integer = v.get<uint64_t>();
      break;
    case T::number_float:
      out.kind = K::floating;
      out.floating = v.get<double>();
      break;
    case T::boolean:
      out.kind = K::boolean;
      out.boolean = v.get<bool>();
      break;
    case T::null:
      out.kind = K::null;
      break;
    default:
      out.kind = K::other;
      scratch = v.dump();
      out.text = scratch;
      break;
  }
  return true;
}

namespace {

enum class Kind : uint8_t { number, text, big };

struct Slot {
  Kind kind = Kind::number;
  bool owned = false;
  Num num;
  std::string_view view;
  std::string own;  // concat() result, non-string JSON text, or a big number's display

  std::string_view text() const { return owned ? std::string_view(own) : view; }
  void set_number(const Num& n) {
    kind = Kind::number;
    num = n;
  }
  void set_view(std::string_view v) {
    kind = Kind::text;
    owned = false;
    view = v;
  }
  void set_owned(Kind k, std::string s) {
    kind = k;
    owned = true;
    own = std::move(s);
  }
};

[[noreturn]] void fail(const std::string& why) { throw ExpressionError(kEvaluationFailed, why); }

const Num& number_of(const Slot& s) {
  if (s.kind == Kind::number) return s.num;
  if (s.kind == Kind::big) fail("number out of supported range");
  fail("Expected a decimal");
}

int32_t checked_scale(int64_t scale) {
  if (scale > kMaxScale || scale < -kMaxScale) fail("number scale out of supported range");
  return static_cast<int32_t>(scale);
}

uint128 magnitude(const Decimal& d) {
  const int128 r = d.raw();
  return r < 0 ? static_cast<uint128>(0) - static_cast<uint128>(r) : static_cast<uint128>(r);
}

// bigdecimal's is_one_quickcheck: exactly +1 at a non-negative scale.
bool is_one(const Num& n) { return n.value == Decimal(1) && n.scale >= 0 && n.scale <= 38; }

int ctz128(uint128 v) {  // v != 0
  const uint64_t low = static_cast<uint64_t>(v);
  return low != 0 ? __builtin_ctzll(low) : 64 + __builtin_ctzll(static_cast<uint64_t>(v >> 64));
}

// Binary GCD: shifts and subtractions only (128-bit division is a slow library call).
uint128 gcd(uint128 a, uint128 b) {
  if (a == 0) return b;
  if (b == 0) return a;
  const int shift = ctz128(a | b);
  a >>= ctz128(a);
  do {
    b >>= ctz128(b);
    if (a > b) std::swap(a, b);
    b -= a;
  } while (b != 0);
  return a << shift;
}

// Smallest t with |q|·10^t >= 1 (q ≠ 0): 1 − (integer digits) for |q| >= 1, else
// 1 + (zeros right after the point): 25 → −1, 2.5 → 0, 0.125 → 1, 0.05 → 2.
int64_t first_digit_scale(const Decimal& q) {
  const uint128 unit = static_cast<uint128>(Decimal::unit());
  const uint128 mag = magnitude(q);
  if (mag >= unit) {  // digits of the integer part: 10^(digits-1) ≤ mag / unit < 10^digits
    int64_t digits = 1;
    uint128 bound = unit * 10;
    while (digits < 21 && mag >= bound) {
      ++digits;
      bound *= 10;
    }
    return 1 - digits;
  }
  int64_t t = 1;
  for (uint64_t p = static_cast<uint64_t>(unit / 10); p != 0 && mag < p; p /= 10) ++t;
  return t;
}

Num divide(const Num& a, const Num& b) {
  if (b.value.is_zero()) fail("division by zero");
  if (a.value.is_zero() || is_one(b)) return a;
  const Decimal q = a.value / b.value;  // rounds half away from zero at the 18th decimal
  // Lowest terms n/d of a/b (both raw values count 10^-18, which cancels).
  const uint128 g = gcd(magnitude(a.value), magnitude(b.value));
  uint128 n = u128::div(magnitude(a.value), g);
  uint128 d = u128::div(magnitude(b.value), g);
  const int64_t twos = ctz128(d);
  d >>= twos;
  int64_t fives = 0;
  for (uint128 r5 = 0, q5 = u128::divmod(d, 5, &r5); r5 == 0; q5 = u128::divmod(d, 5, &r5)) d = q5, ++fives;
  int64_t own_scale = 0;  // decimals of the exact quotient (negative: trailing zeros)
  if (twos == 0 && fives == 0 && d == 1) {
    for (uint128 r10 = 0, q10 = u128::divmod(n, 10, &r10); n != 0 && r10 == 0; q10 = u128::divmod(n, 10, &r10))
      n = q10, --own_scale;
  } else {
    own_scale = std::max(twos, fives);
  }
  const bool exact = d == 1 && own_scale <= Decimal::kScale;
  if (!exact || q.is_zero()) return Num{q, Decimal::kScale};
  const int64_t s0 = static_cast<int64_t>(a.scale) - b.scale;
  const int64_t s1 = std::max(s0, first_digit_scale(q));
  return Num{q, checked_scale(std::max(s1, own_scale))};
}

Num with_scale_round(const Num& x, int64_t digits, RoundingMode mode) {
  const int32_t scale = checked_scale(digits);
  if (digits >= Decimal::kScale) return Num{x.value, scale};
  if (digits >= -20) return Num{x.value.round(static_cast<int>(digits), mode), scale};
  // 10^21 and beyond: every Decimal rounds to 0, or away from it past the range.
  const bool away = (mode == RoundingMode::ceil && x.value.is_positive()) ||
                    (mode == RoundingMode::floor && x.value.is_negative());
  if (away) fail("number out of supported range");
  return Num{Decimal(), scale};
}

// Ruby's Float#to_s, which is what Lago's binding parses for a JSON float: shortest
// round-trip digits, fixed notation for 1e-4 <= |x| < 1e16 ("100.0", "0.0001"), else
// "1.0e+20" / "1.5e-05".
std::string ruby_float_text(double v) {
  const std::string dumped = nlohmann::json(v).dump();  // shortest round-trip digits
  std::string digits;
  bool negative = false;
  int64_t exponent = 0, point = -1;
  for (std::size_t i = 0; i < dumped.size(); ++i) {
    const char c = dumped[i];
    if (c == '-') {
      negative = true;
    } else if (c == '.') {
      point = static_cast<int64_t>(digits.size());
    } else if (c == 'e' || c == 'E') {
      exponent = std::stoll(dumped.substr(i + 1));
      break;
    } else if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else {
      return dumped;  // not a finite number; read as text
    }
  }
  if (point < 0) point = static_cast<int64_t>(digits.size());
  int64_t decpt = point + exponent;  // digits d1d2… represent 0.d1d2… × 10^decpt
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return negative ? "-0.0" : "0.0";
  decpt -= static_cast<int64_t>(first);
  digits.erase(0, first);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int64_t len = static_cast<int64_t>(digits.size());
  std::string out = negative ? "-" : "";
  if (decpt > 0 && decpt <= 16) {
    if (len <= decpt) {
      out += digits + std::string(static_cast<std::size_t>(decpt - len), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." +
             digits.substr(static_cast<std::size_t>(decpt));
    }
  } else if (decpt <= 0 && decpt > -4) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else {
    const int64_t e = decpt - 1;
    out += digits.substr(0, 1) + "." + (len > 1 ? digits.substr(1) : "0") + "e" +
           (e < 0 ? "-" : "+") + (std::abs(e) < 10 ? "0" : "") + std::to_string(std::abs(e));
  }
  return out;
}

void load_text_or_number(Slot& slot, std::string_view text, bool keep_view, std::string owned) {
  Num n;
  std::string big;
  switch (detail::parse_number(text, n, &big)) {
    case NumberKind::number:
      slot.set_number(n);
      return;
    case NumberKind::out_of_range:
      slot.set_owned(Kind::big, std::move(big));
      return;
    case NumberKind::not_number:
      if (keep_view) {
        slot.set_view(text);
      } else {
        slot.set_owned(Kind::text, std::move(owned));
      }
      return;
  }
}

// A property as Lago's Ruby binding hands it over: numbers through their text, strings
// parsed as numbers when they read as one, anything else as its Ruby text.
void load_property(Slot& slot, const PropertyValue& v) {
  using K = PropertyValue::Kind;
  switch (v.kind) {
    case K::string:
      return load_text_or_number(slot, v.text, true, {});
    case K::integer:
      return slot.set_number(Num{Decimal(static_cast<int64_t>(v.integer)), 0});
    case K::unsigned_integer: {
      std::string s = std::to_string(v.unsigned_integer);
      return load_text_or_number(slot, s, false, s);
    }
    case K::floating: {
      std::string s = ruby_float_text(v.floating);
      return load_text_or_number(slot, s, false, s);
    }
    case K::boolean:
      return slot.set_view(v.boolean ? "true" : "false");
    case K::null:
      return slot.set_view("");  // nil.to_s
    case K::other:
      return slot.set_owned(Kind::text, std::string(v.text));  // arrays, objects: approximate inspect
  }
}

}  // namespace

Value Expression::evaluate(const EventFields& event) const {
  // Most expressions need a handful of slots: keep those on the C++ stack, and construct
  // only as many as the program uses (a slot holds a string: not free to make and destroy).
  constexpr std::size_t kInline = 8;
  struct InlineSlots {
    alignas(Slot) unsigned char bytes[kInline * sizeof(Slot)];
    std::size_t made = 0;
    Slot* at() { return reinterpret_cast<Slot*>(bytes); }
    ~InlineSlots() {
      for (std::size_t i = 0; i < made; ++i) at()[i].~Slot();
    }
  } inline_slots;
  std::vector<Slot> heap_slots;
  if (max_stack_ > kInline) {
    heap_slots.resize(max_stack_);
  } else {
    for (; inline_slots.made < max_stack_; ++inline_slots.made) new (inline_slots.at() + inline_slots.made) Slot();
  }
  Slot* const stack = max_stack_ > kInline ? heap_slots.data() : inline_slots.at();
  std::size_t top = 0;  // slots in use
  try {
    for (const Instruction& ins : program_) {
      switch (ins.op) {
        case Op::push_number:
          stack[top++].set_number(numbers_[ins.arg]);
          break;
        case Op::push_text:
          stack[top++].set_view(texts_[ins.arg]);
          break;
        case Op::event_code:
          stack[top++].set_view(event.code);
          break;
        case Op::event_timestamp:
          stack[top++].set_number(Num{Decimal(static_cast<int64_t>(event.timestamp)), 0});
          break;
        case Op::property: {
          const std::string& name = texts_[ins.arg];
          PropertyValue v;
          std::string scratch;
          if (!read_property(event, name, v, scratch)) fail("Variable: " + name + " not found");
          load_property(stack[top++], v);
          break;
        }
        case Op::negate: {
          Slot& s = stack[top - 1];
          const Num& n = number_of(s);
          s.set_number(Num{-n.value, n.scale});
          break;
        }
        case Op::add:
        case Op::subtract:
        case Op::multiply:
        case Op::divide: {
          const Num a = number_of(stack[top - 2]);
          const Num b = number_of(stack[top - 1]);
          Num r;
          if (ins.op == Op::add) {
            r = Num{a.value + b.value, std::max(a.scale, b.scale)};
          } else if (ins.op == Op::subtract) {
            if (b.value.is_zero()) {
              r = a;
            } else if (a.value.is_zero()) {
              r = Num{-b.value, b.scale};
            } else {
              r = Num{a.value - b.value, std::max(a.scale, b.scale)};
            }
          } else if (ins.op == Op::multiply) {
            if (is_one(a)) {
              r = b;
            } else if (is_one(b)) {
              r = a;
            } else {
              r = Num{a.value * b.value,
                      checked_scale(static_cast<int64_t>(a.scale) + b.scale)};
            }
          } else {
            r = divide(a, b);
          }
          --top;
          stack[top - 1].set_number(r);
          break;
        }
        case Op::round:
        case Op::ceil:
        case Op::floor: {
          int64_t digits = 0;
          if (ins.arg == 2) {
            digits = number_of(stack[top - 1]).value.truncate(0).to_int64();
            --top;
          }
          const RoundingMode mode = ins.op == Op::round  ? RoundingMode::half_up
                                    : ins.op == Op::ceil ? RoundingMode::ceil
                                                         : RoundingMode::floor;
          Slot& x = stack[top - 1];
          x.set_number(with_scale_round(number_of(x), digits, mode));
          break;
        }
        case Op::least:
        case Op::greatest: {
          const std::size_t base = top - ins.arg;
          Num best = number_of(stack[base]);
          for (std::size_t i = base + 1; i < top; ++i) {
            const Num& n = number_of(stack[i]);
            // Rust's Iterator::min keeps the first of equals, max the last.
            if (ins.op == Op::least ? n.value < best.value : n.value >= best.value) best = n;
          }
          top = base + 1;
          stack[base].set_number(best);
          break;
        }
        case Op::concat: {
          const std::size_t base = top - ins.arg;
          std::string joined;
          for (std::size_t i = base; i < top; ++i) {
            const Slot& s = stack[i];
            if (s.kind == Kind::number) {
              joined += detail::format_number(s.num);
            } else {
              joined += s.text();
            }
          }
          top = base + 1;
          stack[base].set_owned(Kind::text, std::move(joined));
          break;
        }
      }
    }
  } catch (const DecimalError& e) {
    fail(std::string("arithmetic error: ") + e.what());
  }
  const Slot& result = stack[0];
  if (result.kind == Kind::number) return Value{result.num.value};
  if (result.kind == Kind::big) fail("number out of supported range");
  return Value{std::string(result.text())};
}

Result Expression::evaluate_result(const EventFields& event) const {
  Result r;
  if (evaluate_fast(event, r)) return r;
  Value v = evaluate(event);
  if (v.is_number()) {
    r.is_number = true;
    r.number = v.number();
  } else {
    r.is_number = false;
    r.text = std::move(std::get<1>(v.v));
  }
  return r;
}

std::string Expression::evaluate_to_text(const EventFields& event) const {
  Result r = evaluate_result(event);
  return r.is_number ? detail::ruby_text(r.number) : std::move(r.text);
}

}  // namespace tariff::expr
