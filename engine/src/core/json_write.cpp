#include "core/json_write.hpp"

#include "tariff/json.hpp"

#include <array>
#include <algorithm>
#include <charconv>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace tariff {
namespace {

using ojson = nlohmann::ordered_json;

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode Table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const auto cont = [](unsigned c, unsigned lo = 0x80, unsigned hi = 0xBF) { return c >= lo && c <= hi; };
  const unsigned b = at(i);
  if (b >= 0xC2 && b <= 0xDF) return cont(at(i + 1)) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return cont(at(i + 1), lo, hi) && cont(at(i + 2)) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    return cont(at(i + 1), lo, hi) && cont(at(i + 2)) && cont(at(i + 3)) ? 4 : 0;
  }
  return 0;
}

// What a byte asks of the writer: nothing (copied), an escape, or a UTF-8 check.
enum ByteClass : unsigned char { plain, escape, non_ascii };
constexpr std::array<ByteClass, 256> kByteClass = [] {
  std::array<ByteClass, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = escape;
  t['"'] = t['\\'] = escape;
  for (int c = 0x80; c < 0x100; ++c) t[c] = non_ascii;
  return t;
}();

// Whether any of 8 bytes is not plain: a control character, '"', '\\' or a non-ASCII byte
// (the "has a byte less than n / equal to zero" word tests, exact as to whether one exists).
bool any_special(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  return ((w & highs) | ((w - ones * 0x20) & ~w & highs) | has_zero(w ^ (ones * '"')) |
          has_zero(w ^ (ones * '\\'))) != 0;
}


// raw_json()'s mark on a binary value.
constexpr std::uint8_t kRawSubtype = 0x7a;

}  // namespace

void JsonText::string(std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  const char* src = s.data();
  const std::size_t n = s.size();
  char* q = room(6 * n + 2);  // the worst case: every byte as \u00xx
  *q++ = '"';
  for (std::size_t i = 0;;) {
    for (std::uint64_t w; i + 8 <= n; i += 8, q += 8) {
      std::memcpy(&w, src + i, 8);
      if (any_special(w)) break;
      std::memcpy(q, &w, 8);
    }
    while (i < n && kByteClass[static_cast<unsigned char>(src[i])] == plain) *q++ = src[i++];
    if (i == n) break;
    const auto c = static_cast<unsigned char>(src[i]);
    if (kByteClass[c] == non_ascii) {
      const std::size_t len = utf8_sequence(s, i);
      if (len == 0) {
        ojson(std::string(s)).dump();  // throws nlohmann's type_error 316 for this string
        throw std::logic_error("json_write: invalid UTF-8 accepted by dump()");
      }
      std::memcpy(q, src + i, len);
      q += len, i += len;
      continue;
    }
    *q++ = '\\';
    switch (c) {
      case '"': *q++ = '"'; break;
      case '\\': *q++ = '\\'; break;
      case '\b': *q++ = 'b'; break;
      case '\t': *q++ = 't'; break;
      case '\n': *q++ = 'n'; break;
      case '\f': *q++ = 'f'; break;
      case '\r': *q++ = 'r'; break;
      default: {
        const char esc[] = {'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        std::memcpy(q, esc, sizeof esc);
        q += sizeof esc;
      }
    }
    ++i;
  }
  *q++ = '"';
  done(q);
}


void JsonText::tree(const ojson& v) {
  switch (v.type()) {
    case ojson::value_t::object: {
      put('{');
      bool first = true;
      for (const auto& [key, value] : v.get_ref<const ojson::object_t&>()) {
        if (!first) put(',');
        first = false;
        string(key);
        put(':');
        tree(value);
      }
      put('}');
      return;
    }
    case ojson::value_t::array: {
      put('[');
      bool first = true;
      for (const auto& item : v.get_ref<const ojson::array_t&>()) {
        if (!first) put(',');
        first = false;
        tree(item);
      }
      put(']');
      return;
    }
    case ojson::value_t::string: string(v.get_ref<const std::string&>()); return;
    case ojson::value_t::boolean: v.get<bool>() ? put("true", 4) : put("false", 5); return;
    case ojson::value_t::null: put("null", 4); return;
    case ojson::value_t::number_integer: {
      char* q = room(24);
      done(std::to_chars(q, q + 24, v.get<std::int64_t>()).ptr);
      return;
    }
    case ojson::value_t::number_unsigned: {
      char* q = room(24);
      done(std::to_chars(q, q + 24, v.get<std::uint64_t>()).ptr);
      return;
    }
    case ojson::value_t::number_float: number(v.get<double>()); return;
    case ojson::value_t::binary:
      if (v.get_binary().has_subtype() && v.get_binary().subtype() == kRawSubtype) {
        const auto& bytes = v.get_binary();
        put(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        return;
      }
      [[fallthrough]];
    case ojson::value_t::discarded: {
      const std::string text = v.dump();
      put(text.data(), text.size());
      return;
    }
  }
}

void JsonText::number(double d) {
  if (!std::isfinite(d)) return put("null", 4);
  // A whole number below 10^15 (a tax rate): nlohmann prints its digits and ".0".
  if (d == std::trunc(d) && std::fabs(d) < 1e15 && !(d == 0 && std::signbit(d))) {
    char* q = room(24);
    q = std::to_chars(q, q + 20, static_cast<std::int64_t>(d)).ptr;
    std::memcpy(q, ".0", 2);
    return done(q + 2);
  }
  char* q = room(64);
  done(nlohmann::detail::to_chars(q, q + 64, d));  // nlohmann's own shortest round trip
}

void JsonText::grow(std::size_t n) {
  out_.resize(std::max({out_.capacity(), out_.size() * 2, len_ + n, std::size_t{4096}}));  // what was reserved, at once
}

ojson raw_json(std::string_view text) {
  return ojson::binary(std::vector<std::uint8_t>(text.begin(), text.end()), kRawSubtype);
}

void write_json(const ojson& v, std::string& out) { JsonText(out).tree(v); }

void append_json_string(std::string& out, std::string_view s) { JsonText(out).value(s); }

std::string write_json(const ojson& v) {
  std::string out;
  write_json(v, out);
  return out;
}

}  // namespace tariff
