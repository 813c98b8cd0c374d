// The engine's output writer: JSON text, byte for byte what nlohmann's `dump()` gives with its
// defaults (no indent, ensure_ascii off, strict UTF-8), only cheaper — from an ordered_json
// tree (write_json) or straight from the values, with no tree (JsonText, the text twin of
// JsonTree in core/json_object.hpp: the same calls give the bytes write_json gives for the
// tree JsonTree builds).
// Keys keep the order given; strings escape '"', '\\' and the control characters U+0000..
// U+001F as nlohmann does (\b \t \n \f \r, else \u00xx in lower-case hex) and copy every other
// code point, non-ASCII included, unchanged; integers print in decimal; floats through
// nlohmann's own shortest round-trip printer (non-finite ones as null). A string that is not
// valid UTF-8 throws nlohmann's type_error 316, the same message `dump()` throws. Binary and
// discarded values, which no operation produces, are left to `dump()`, except a raw_json()
// value: text already written, copied as it is.
#pragma once

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"

namespace tariff {

// Decimals are written through decimal_chars (tariff/decimal.hpp), Decimal::to_string()'s own
// writer.

void write_json(const nlohmann::ordered_json& value, std::string& out);  // appends to out
std::string write_json(const nlohmann::ordered_json& value);

// A value whose text is already written (JsonText's output): write_json copies it unchanged.
// Only for the engine's output document, which is written and never read back.
nlohmann::ordered_json raw_json(std::string_view text);

// Appends to a string used as a buffer (grown by doubling, written through a pointer, cut to
// its length when the writer goes away: read `out` only after that).
class JsonText {
 public:
  using ojson = nlohmann::ordered_json;

  explicit JsonText(std::string& out) : out_(out), len_(out.size()) {}
  ~JsonText() { out_.resize(len_); }
  JsonText(const JsonText&) = delete;
  JsonText& operator=(const JsonText&) = delete;

  void begin_object() { open('{'); }
  void begin_array() { open('['); }
  template <std::size_t N>
  void begin_object(const char (&k)[N]) {
    key(k), begin_object();
  }
  template <std::size_t N>
  void begin_array(const char (&k)[N]) {
    key(k), begin_array();
  }
  void end_object() { put('}'), comma_ = true; }
  void end_array() { put(']'), comma_ = true; }
  // A key is a name written in the code (a literal): plain ASCII, nothing to escape (debug
  // builds check), its length known when compiled.
  template <std::size_t N>
  void key(const char (&k)[N]) {
    constexpr std::size_t n = N - 1;
    assert(std::none_of(k, k + n, [](char c) { return c < 0x20 || c == '"' || c == '\\' || (c & 0x80); }));
    char* q = room(n + 4);
    if (comma_) *q++ = ',';
    *q++ = '"';
    std::memcpy(q, k, n);
    q += n;
    *q++ = '"';
    *q++ = ':';
    done(q);
    comma_ = false;
  }

  void value(std::nullptr_t) { sep(), put("null", 4); }
  void value(bool b) { sep(), b ? put("true", 4) : put("false", 5); }
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  void value(T v) {
    sep();
    char* q = room(24);
    done(std::to_chars(q, q + 24, v).ptr);
  }
  void value(double v) { sep(), number(v); }
  void value(const char* s) { sep(), string(s); }
  void value(std::string_view s) { sep(), string(s); }
  void value(const std::string& s) { sep(), string(s); }
  void value(const std::string* s) { s ? value(*s) : value(nullptr); }
  void value(const std::optional<std::string>& s) { value(s ? &*s : nullptr); }
  void value(const ojson& v) { sep(), tree(v); }
  void value(const Decimal& d) {  // its text, a JSON string
    sep();
    char* q = room(kDecimalChars + 2);
    *q++ = '"';
    q = decimal_chars(q, d);
    *q++ = '"';
    done(q);
  }
  template <std::size_t N, class T>
  void field(const char (&k)[N], T&& v) {
    key(k);
    value(std::forward<T>(v));
  }
  void raw(std::string_view text) { sep(), put(text.data(), text.size()); }  // a value already written

  // The primitives (no separator): the tree writer and strings.
  void tree(const ojson& v);
  void string(std::string_view s);
  void number(double d);
  char* room(std::size_t n) {  // at least n bytes writable at the end
    if (out_.size() - len_ < n) grow(n);
    return &out_[len_];
  }
  void done(const char* end) { len_ = static_cast<std::size_t>(end - out_.data()); }
  void put(const char* text, std::size_t n) {
    std::memcpy(room(n), text, n);
    len_ += n;
  }
  void put(char c) { *room(1) = c, ++len_; }

 private:
  void sep() {
    if (comma_) put(',');
    comma_ = true;
  }
  void open(char c) {
    sep();
    put(c);
    comma_ = false;
  }
  void grow(std::size_t n);

  std::string& out_;
  std::size_t len_;
  bool comma_ = false;
};

}  // namespace tariff
