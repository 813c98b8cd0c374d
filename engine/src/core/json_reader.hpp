// The exact JSON reader (tariff/json.hpp) as a class, for readers that take some values
// their own way (snapshot/reader_events.cpp reads the snapshot's events array without a tree).
// Internal to the engine.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "tariff/json.hpp"

namespace tariff {
namespace json_detail {

// 2^1024 − 2^970: the smallest decimal that rounds to infinity as a double (halfway past
// DBL_MAX, ties to even). A number 0.d1d2… × 10^309 overflows when d1d2… ≥ these digits.
constexpr const char* kOverflowDigits =
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977"
    "587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845"
    "817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559"
    "699508093042880177904174497792";
constexpr int64_t kOverflowExponent = 309;

inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// Bytes copied as they are inside a string: printable ASCII except '"' and '\\'.
struct PlainBytes {
  bool plain[256] = {};
  constexpr PlainBytes() {
    for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  }
};
constexpr PlainBytes kPlain{};

// The first byte at or after `p` that is not plain (see PlainBytes), or `end`: eight bytes at
// a time (a byte is flagged when it is '"', '\\', below 0x20 or from 0x80; the lowest flag is
// always a true one), then byte by byte.
inline const char* skip_plain(const char* p, const char* end) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    const uint64_t quote = w ^ (kOnes * '"'), slash = w ^ (kOnes * '\\');
    const uint64_t flags = (((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash) |
                            ((w - kOnes * 0x20) & ~w) | w) & kHigh;
    if (flags) return p + __builtin_ctzll(flags) / 8;
    p += 8;
  }
  while (p != end && kPlain.plain[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

// `json` is nlohmann::json or nlohmann::ordered_json (the caller's key order kept).
template <class json>
class ExactReader {
 public:
  ExactReader(const char* begin, const char* end) : p_(begin), end_(end) {}
  virtual ~ExactReader() = default;

  bool document(json& out) {
    // A UTF-8 byte order mark may open the text; 0xEF not followed by BB BF is an error.
    if (p_ != end_ && static_cast<unsigned char>(*p_) == 0xEF) {
      if (end_ - p_ < 3 || static_cast<unsigned char>(p_[1]) != 0xBB || static_cast<unsigned char>(p_[2]) != 0xBF)
        return false;
      p_ += 3;
    }
    skip_ws();
    if (!value(out, 0)) return false;
    skip_ws();
    // nlohmann's lexer reads a NUL byte where a token may start as the end of the input.
    return p_ == end_ || *p_ == '\0';
  }

 protected:
  const char* p_;
  const char* end_;

  void skip_ws() {  // one comparison when no blank follows (compact JSON)
    while (p_ != end_ && static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
  }

  // After a member or an element: `more` past a ',' (and the blanks after it), `closed` past
  // `close`, `end` at the end of the text, `other` at any other byte (left unread).
  enum class Next { more, closed, end, other };
  Next next(char close) {
    skip_ws();
    if (p_ == end_) return Next::end;
    if (*p_ == ',') {
      ++p_;
      skip_ws();
      return Next::more;
    }
    if (*p_ != close) return Next::other;
    ++p_;
    return Next::closed;
  }

  bool literal(const char* word, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    for (size_t i = 0; i < n; ++i)
      if (p_[i] != word[i]) return false;
    p_ += n;
    return true;
  }

  // A member of the root object, before its value is read: a reader may read it its own way
  // (then `taken`); false = malformed text.
  virtual bool top_level_member(const std::string& /*key*/, json& /*slot*/, bool& taken) {
    taken = false;
    return true;
  }

  // `depth` = containers already open around this value; the root container is depth 0.
  bool value(json& out, int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return object(out, depth);
      case '[': return array(out, depth);
      case '"': {
        ++p_;
        std::string s;
        if (!string(s)) return false;
        out = std::move(s);
        return true;
      }
      case 't':
        if (!literal("true", 4)) return false;
        out = true;
        return true;
      case 'f':
        if (!literal("false", 5)) return false;
        out = false;
        return true;
      case 'n':
        if (!literal("null", 4)) return false;
        out = nullptr;
        return true;
      default: return number(out);
    }
  }

  bool object(json& out, int depth) {
    if (depth >= kMaxJsonDepth) return false;
    ++p_;  // '{'
    out = json(json::value_t::object);
    auto& members = *out.template get_ptr<typename json::object_t*>();
    skip_ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    std::string key;
    while (true) {
      if (p_ == end_ || *p_ != '"') return false;
      ++p_;
      key.clear();
      if (!string(key)) return false;
      skip_ws();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      skip_ws();
      // Duplicate keys: the last one wins, as in most parsers.
      bool taken = false;
      json& slot = depth == 0 ? members[key] : members[std::move(key)];
      if (depth == 0 && !top_level_member(key, slot, taken)) return false;
      if (!taken && !value(slot, depth + 1)) return false;
      const Next n = next('}');
      if (n != Next::more) return n == Next::closed;
    }
  }

  bool array(json& out, int depth) {
    if (depth >= kMaxJsonDepth) return false;
    ++p_;  // '['
    out = json(json::value_t::array);
    auto& items = *out.template get_ptr<typename json::array_t*>();
    skip_ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      items.emplace_back();
      if (!value(items.back(), depth + 1)) return false;
      const Next n = next(']');
      if (n != Next::more) return n == Next::closed;
    }
  }

  // After the opening quote; appends the decoded text to `out`, consumes the closing quote.
  bool string(std::string& out) {
    {  // common case: plain ASCII up to the closing quote, built in one go
      const char* run = p_;
      p_ = skip_plain(p_, end_);
      if (p_ != end_ && *p_ == '"' && out.empty()) {
        out = std::string(run, p_);
        ++p_;
        return true;
      }
      p_ = run;
    }
    while (true) {
      // Runs of plain ASCII are copied at once.
      const char* run = p_;
      p_ = skip_plain(p_, end_);
      out.append(run, p_);
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;  // control characters must be escaped
      if (c == '\\') {
        ++p_;
        if (!escape(out)) return false;
        continue;
      }
      if (!utf8(out)) return false;
    }
  }

  // One multi-byte UTF-8 sequence (RFC 3629 ranges, as nlohmann checks them).
  bool utf8(std::string& out) {
    const auto lead = static_cast<unsigned char>(*p_);
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    int continuation = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
    } else if (lead == 0xE0) {
      continuation = 2, lo = 0xA0;
    } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
      continuation = 2;
    } else if (lead == 0xED) {
      continuation = 2, hi = 0x9F;
    } else if (lead == 0xF0) {
      continuation = 3, lo = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      continuation = 3;
    } else if (lead == 0xF4) {
      continuation = 3, hi = 0x8F;
    } else {
      return false;
    }
    if (end_ - p_ <= continuation) return false;
    for (int i = 1; i <= continuation; ++i) {
      const auto b = static_cast<unsigned char>(p_[i]);
      if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    }
    out.append(p_, p_ + continuation + 1);
    p_ += continuation + 1;
    return true;
  }

  // Four hex digits after "\u"; -1 when malformed.
  int32_t hex4() {
    if (end_ - p_ < 4) return -1;
    int32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = p_[i];
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return -1;
      v = v * 16 + d;
    }
    p_ += 4;
    return v;
  }

  // After a backslash.
  bool escape(std::string& out) {
    if (p_ == end_) return false;
    const char c = *p_++;
    switch (c) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      case 'u': break;
      default: return false;
    }
    int32_t cp = hex4();
    if (cp < 0) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      const int32_t low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number(json& out) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || !is_digit(*p_)) return false;
    const char* int_begin = p_;
    if (*p_ == '0') ++p_;
    else
      while (p_ != end_ && is_digit(*p_)) ++p_;
    const char* int_end = p_;
    const char* frac_begin = p_;
    const char* frac_end = p_;
    bool exact_integer = true;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      frac_begin = p_;
      if (p_ == end_ || !is_digit(*p_)) return false;
      while (p_ != end_ && is_digit(*p_)) ++p_;
      frac_end = p_;
      exact_integer = false;
    }
    int64_t exponent = 0;
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      bool exp_negative = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) exp_negative = *p_++ == '-';
      if (p_ == end_ || !is_digit(*p_)) return false;
      for (; p_ != end_ && is_digit(*p_); ++p_)
        if (exponent < 1000000000000LL) exponent = exponent * 10 + (*p_ - '0');  // saturates far out of range
      if (exp_negative) exponent = -exponent;
      exact_integer = false;
    }
    if (exact_integer) {
      // Magnitude in 64 bits unless it overflows.
      uint64_t mag = 0;
      bool fits = true;
      for (const char* q = int_begin; q != int_end; ++q) {
        const auto d = static_cast<uint64_t>(*q - '0');
        if (mag > (UINT64_MAX - d) / 10) {
          fits = false;
          break;
        }
        mag = mag * 10 + d;
      }
      if (fits && !negative) {
        out = mag;
        return true;
      }
      if (fits && negative && mag <= static_cast<uint64_t>(INT64_MAX) + 1) {
        out = mag == static_cast<uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<int64_t>(mag);
        return true;
      }
    }
    if (overflows_double(int_begin, int_end, frac_begin, frac_end, exponent)) return false;
    out = std::string(start, p_);
    return true;
  }

  // Whether digits int.frac × 10^exponent round to infinity as a double.
  static bool overflows_double(const char* ib, const char* ie, const char* fb, const char* fe, int64_t exponent) {
    // Significant digits d1d2… (d1 ≠ 0) and P with value = 0.d1d2… × 10^P.
    std::string digits;
    int64_t point = 0;
    const char* q = ib;
    while (q != ie && *q == '0') ++q;
    if (q != ie) {
      point = ie - q;
      digits.assign(q, ie);
      digits.append(fb, fe);
    } else {
      const char* f = fb;
      while (f != fe && *f == '0') ++f;
      if (f == fe) return false;  // zero
      point = -(f - fb);
      digits.assign(f, fe);
    }
    point += exponent;
    if (point != kOverflowExponent) return point > kOverflowExponent;
    const std::string limit(kOverflowDigits);
    for (size_t i = 0; i < limit.size(); ++i) {
      const char d = i < digits.size() ? digits[i] : '0';
      if (d != limit[i]) return d > limit[i];
    }
    return true;  // equal to the halfway point (or above it by trailing digits): rounds up
  }
};


}  // namespace json_detail
}  // namespace tariff
