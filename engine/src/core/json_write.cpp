#include "core/json_write.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace tariff {
namespace {

using ojson = nlohmann::ordered_json;

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode Table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(const std::string& s, std::size_t i) {
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

// What a byte asks of the writer: nothing (copied in a run), an escape, or a UTF-8 check.
enum ByteClass : unsigned char { plain, escape, non_ascii };
constexpr std::array<ByteClass, 256> kByteClass = [] {
  std::array<ByteClass, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = escape;
  t['"'] = t['\\'] = escape;
  for (int c = 0x80; c < 0x100; ++c) t[c] = non_ascii;
  return t;
}();

void write_string(const std::string& s, std::string& out) {
  static const char hex[] = "0123456789abcdef";
  const std::size_t n = s.size();
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0;;) {
    while (i < n && kByteClass[static_cast<unsigned char>(s[i])] == plain) ++i;
    if (i == n) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (kByteClass[c] == non_ascii) {
      const std::size_t len = utf8_sequence(s, i);
      if (len == 0) {
        ojson(s).dump();  // throws nlohmann's type_error 316 for this string
        throw std::logic_error("json_write: invalid UTF-8 accepted by dump()");
      }
      i += len;
      continue;
    }
    out.append(s, run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default: {
        const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out.append(esc, sizeof esc);
      }
    }
    run = ++i;
  }
  out.append(s, run, n - run);
  out += '"';
}

template <typename Int>
void write_integer(Int v, std::string& out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void write_float(double v, std::string& out) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

}  // namespace

void write_json(const ojson& v, std::string& out) {
  switch (v.type()) {
    case ojson::value_t::object: {
      const auto& obj = v.get_ref<const ojson::object_t&>();
      out += '{';
      bool first = true;
      for (const auto& [key, value] : obj) {
        if (!first) out += ',';
        first = false;
        write_string(key, out);
        out += ':';
        write_json(value, out);
      }
      out += '}';
      return;
    }
    case ojson::value_t::array: {
      const auto& arr = v.get_ref<const ojson::array_t&>();
      out += '[';
      bool first = true;
      for (const auto& value : arr) {
        if (!first) out += ',';
        first = false;
        write_json(value, out);
      }
      out += ']';
      return;
    }
    case ojson::value_t::string: write_string(v.get_ref<const std::string&>(), out); return;
    case ojson::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case ojson::value_t::null: out += "null"; return;
    case ojson::value_t::number_integer: write_integer(v.get<std::int64_t>(), out); return;
    case ojson::value_t::number_unsigned: write_integer(v.get<std::uint64_t>(), out); return;
    case ojson::value_t::number_float: write_float(v.get<double>(), out); return;
    case ojson::value_t::binary:
    case ojson::value_t::discarded: out += v.dump(); return;
  }
}

std::string write_json(const ojson& v) {
  std::string out;
  out.reserve(4096);
  write_json(v, out);
  return out;
}

}  // namespace tariff
