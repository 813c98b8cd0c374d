// One pass over the snapshot text; the root events array read into typed Events
// (snapshot/reader_events.hpp). Acceptance is the exact reader's: every value goes through
// its primitives (strings, numbers, nested values), only the destination differs.
#include "snapshot/reader_events.hpp"

#include <cstring>

#include "core/json_reader.hpp"
#include "core/same_text.hpp"
#include "snapshot/event_hash.hpp"
#include "snapshot/reader.hpp"

namespace tariff {
namespace {

using json = nlohmann::json;
constexpr uint8_t kMarkerSubtype = 0x7E;

class SnapshotReader : public json_detail::ExactReader<json> {
 public:
  SnapshotReader(std::string_view text, ScannedEvents& out)
      : ExactReader(text.data(), text.data() + text.size()), out_(out) {}

 protected:
  bool top_level_member(const std::string& key, json& slot, bool& taken) override {
    taken = false;
    if (key != "events" || p_ == end_ || *p_ != '[') return true;
    taken = true;
    out_.events.clear();
    out_.pair_hashes.clear();
    out_.general.clear();
    out_.general_json.clear();
    if (!events_array()) return false;
    ScannedEvents* self = &out_;
    std::vector<uint8_t> bytes(sizeof self);
    std::memcpy(bytes.data(), &self, sizeof self);
    slot = json::binary(std::move(bytes), kMarkerSubtype);
    return true;
  }

 private:
  ScannedEvents& out_;
  std::vector<Property> props_;  // one event's, before they go to the arena
  std::string scratch_;
  char last_date_[10] = {};  // utc_seconds(): the last "YYYY-MM-DD" and its day
  date::sys_days last_day_{};

  // Codes and subscription ids repeat from event to event: each given the view of its first
  // sighting among the last few, so that later passes read a few copies that stay in cache
  // rather than each event's own, long evicted (and compare views before bytes).
  template <size_t N>
  struct Recent {
    std::string_view seen[N];
    size_t next = 0;
    std::string_view intern(std::string_view t) {
      for (const std::string_view& s : seen)
        if (same_text(s, t)) return s;
      seen[next++ % N] = t;
      return t;
    }
  };
  Recent<8> codes_;
  Recent<4> subscriptions_;
  std::string_view last_sub_;  // and pair_hash_start() of it
  uint64_t last_sub_start_ = 0;

  enum class Got { ok, general, malformed };

  bool events_array() {
    const char* array_begin = p_;
    ++p_;  // '['
    skip_ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      const size_t i = out_.events.size();
      if (i == 16 || i == 1024) reserve_estimate(array_begin, i);
      out_.events.emplace_back();
      out_.pair_hashes.push_back(0);
      Event& ev = out_.events.back();
      ev.order = static_cast<uint32_t>(i);
      const char* start = p_;
      Got g = p_ != end_ && *p_ == '{' ? event(ev) : Got::general;
      if (g == Got::malformed) return false;
      if (g == Got::general) {
        p_ = start;
        json item;
        if (!value(item, 2)) return false;
        out_.general.push_back(i);
        out_.general_json.push_back(std::move(item));
      }
      const Next n = next(']');
      if (n != Next::more) return n == Next::closed;
    }
  }

  // After 16 events, then after 1024: room for as many more as the rest of the text holds at
  // their size, in the events vector (and, after 1024, in the arena): one allocation each.
  void reserve_estimate(const char* array_begin, size_t read) {
    const size_t per = static_cast<size_t>(p_ - array_begin) / read + 1;
    const size_t more = static_cast<size_t>(end_ - p_) / per;
    const size_t room = read + more + more / 32 + 16;
    out_.events.reserve(room);
    out_.pair_hashes.reserve(room);
    if (read < 1024) return;
    const size_t arena_per = out_.arena->used() / read + 1;
    if (more > 1024) out_.arena->reserve(arena_per * (more + more / 32 + 16));
  }

  // parse_instant()'s result for the usual form "YYYY-MM-DDTHH:MM:SS[.f]Z" (a valid one, from
  // 1970), without its general reader; the day of the last date seen kept. False: any other
  // text, for parse_instant() to read (or refuse).
  bool utc_seconds(std::string_view t, Instant& out) {
    if (t.size() < 20) return false;
    const char* c = t.data();
    int v[14];
    static constexpr int kDigit[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    for (int k = 0; k < 14; ++k) {
      v[k] = c[kDigit[k]] - '0';
      if (v[k] < 0 || v[k] > 9) return false;
    }
    if (c[4] != '-' || c[7] != '-' || c[10] != 'T' || c[13] != ':' || c[16] != ':') return false;
    // Fraction: ".d+" (microseconds, digits past the sixth ignored), as parse_instant reads it.
    int64_t us = 0;
    size_t i = 19;
    if (c[i] == '.') {
      int n = 0;
      for (++i; i < t.size() && c[i] >= '0' && c[i] <= '9'; ++i, ++n)
        if (n < 6) us = us * 10 + (c[i] - '0');
      if (n == 0) return false;
      for (; n < 6; ++n) us *= 10;
    }
    if (i + 1 != t.size() || c[i] != 'Z') return false;
    const int hh = v[8] * 10 + v[9], mm = v[10] * 10 + v[11], ss = v[12] * 10 + v[13];
    if (hh > 23 || mm > 59 || ss > 59) return false;
    uint64_t head, last;  // the date compared as two words (no library call)
    std::memcpy(&head, c, 8);
    std::memcpy(&last, last_date_, 8);
    if (head != last || c[8] != last_date_[8] || c[9] != last_date_[9]) {
      const int y = ((v[0] * 10 + v[1]) * 10 + v[2]) * 10 + v[3];
      const unsigned m = static_cast<unsigned>(v[4] * 10 + v[5]), d = static_cast<unsigned>(v[6] * 10 + v[7]);
      const date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
      if (y < 1970 || !ymd.ok()) return false;
      last_day_ = date::sys_days{ymd};
      std::memcpy(last_date_, c, 10);
    }
    out = Instant{last_day_} + std::chrono::seconds{hh * 3600 + mm * 60 + ss} + std::chrono::microseconds{us};
    return true;
  }

  // A string after its opening quote: a view into the text, or unescaped into the arena.
  bool text(std::string_view& out) {
    const char* run = p_;
    p_ = json_detail::skip_plain(p_, end_);
    if (p_ != end_ && *p_ == '"') {
      out = std::string_view(run, static_cast<size_t>(p_ - run));
      ++p_;
      return true;
    }
    p_ = run;
    scratch_.clear();
    if (!string(scratch_)) return false;
    out = out_.arena->text(scratch_);
    return true;
  }

  // A key of the event object, plain ASCII only (anything else: the general path).
  bool plain_key(std::string_view& out) {
    const char* run = p_;
    p_ = json_detail::skip_plain(p_, end_);
    if (p_ == end_ || *p_ != '"') return false;
    out = std::string_view(run, static_cast<size_t>(p_ - run));
    ++p_;
    return true;
  }

  // The text at p_ is `word` and its closing quote: then past them. The first byte and the
  // quote are compared before the rest.
  template <size_t N>
  bool at_key(const char (&word)[N]) {
    if (static_cast<size_t>(end_ - p_) < N || p_[0] != word[0] || p_[N - 1] != '"' ||
        !same_text(std::string_view(p_, N - 1), std::string_view(word, N - 1)))
      return false;
    p_ += N;
    return true;
  }

  bool colon() {
    skip_ws();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    skip_ws();
    return true;
  }

  // One event object at '{', fields typed as parse_snapshot() types them when they are plainly
  // valid; anything else asks for the general path (the caller reads the object again).
  Got event(Event& ev) {
    enum : unsigned { kTx = 1, kSub = 2, kCode = 4, kTs = 8, kProps = 16, kPrecise = 32 };
    unsigned seen = 0;
    ++p_;
    skip_ws();
    if (p_ != end_ && *p_ == '}') return Got::general;  // no code: an error, said the general way
    while (true) {
      if (p_ == end_ || *p_ != '"') return Got::general;
      ++p_;
      // A known key matched in place (its closing quote included), any other read plainly.
      unsigned bit = 0;
      EventText* target = nullptr;
      if (at_key("transaction_id")) bit = kTx, target = &ev.transaction_id;
      else if (at_key("external_subscription_id")) bit = kSub, target = &ev.external_subscription_id;
      else if (at_key("code")) bit = kCode, target = &ev.code;
      else if (at_key("timestamp")) bit = kTs;
      else if (at_key("properties")) bit = kProps;
      else if (at_key("precise_total_amount_cents")) bit = kPrecise;
      else if (std::string_view other; !plain_key(other)) return Got::general;
      if (!colon() || p_ == end_) return Got::general;
      if (seen & bit) return Got::general;
      seen |= bit;
      if (target) {
        if (*p_ != '"') return Got::general;
        ++p_;
        std::string_view t;
        if (!text(t)) return Got::general;
        *target = t;
      } else if (bit == kTs) {
        if (*p_ != '"') return Got::general;
        ++p_;
        std::string_view t;
        if (!text(t) || t.size() > 64) return Got::general;
        if (!utc_seconds(t, ev.timestamp)) {
          const auto at = parse_instant(t);
          if (!at) return Got::general;
          ev.timestamp = *at;
        }
      } else if (bit == kProps) {
        if (*p_ != '{') return Got::general;
        const Got g = properties(ev);
        if (g != Got::ok) return g;
      } else if (bit == kPrecise) {
        json v;
        if (!value(v, 3)) return Got::malformed;
        if (v.is_null()) return Got::general;
        const auto d = decimal_from_json(v);
        if (!d) return Got::general;
        Decimal* kept = static_cast<Decimal*>(out_.arena->allocate(sizeof(Decimal), alignof(Decimal)));
        *kept = *d;
        ev.extra_in(*out_.arena).precise_total_amount_cents = kept;
      } else {
        json ignored;
        if (!value(ignored, 3)) return Got::malformed;
      }
      const Next n = next('}');
      if (n == Next::end) return Got::malformed;
      if (n == Next::other) return Got::general;
      if (n == Next::closed) break;
    }
    if (!(seen & kCode) || ev.code.empty() || !(seen & kTs)) return Got::general;
    ev.code = codes_.intern(ev.code);
    const std::string_view sub = subscriptions_.intern(ev.external_subscription_id);
    ev.external_subscription_id = sub;
    if (!ev.transaction_id.empty()) {  // hashed while the strings are in cache (snapshot/events.cpp)
      if (sub.data() != last_sub_.data() || sub.size() != last_sub_.size())
        last_sub_ = sub, last_sub_start_ = event_hash::pair_hash_start(sub);
      out_.pair_hashes.back() = event_hash::pair_hash_end(last_sub_start_, ev.transaction_id);
    }
    return Got::ok;
  }

  // The properties object at '{' (depth 3): each value typed as the exact reader types it.
  Got properties(Event& ev) {
    ++p_;
    props_.clear();
    skip_ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      ev.properties = PropertyList();
      return Got::ok;
    }
    while (true) {
      if (p_ == end_ || *p_ != '"') return Got::malformed;
      ++p_;
      std::string_view key;
      if (!text(key) || !colon() || p_ == end_) return Got::malformed;
      props_.emplace_back();  // typed in place (not built aside and copied: a stalled load)
      if (!property_value(key, props_.back())) return Got::malformed;
      for (size_t q = 0; q + 1 < props_.size(); ++q)
        if (props_[q].key() == key) {  // a repeated key: the last one given
          props_[q] = props_.back();
          props_.pop_back();
          break;
        }
      const Next n = next('}');
      if (n == Next::closed) break;
      if (n != Next::more) return Got::malformed;
    }
    Property* kept = out_.arena->array<Property>(props_.size());
    std::memcpy(static_cast<void*>(kept), props_.data(), sizeof(Property) * props_.size());
    ev.properties = PropertyList(kept, static_cast<uint32_t>(props_.size()));
    return Got::ok;
  }

  bool property_value(std::string_view key, Property& prop) {
    const char* start = p_;
    switch (*p_) {
      case '"': {
        ++p_;
        std::string_view t;
        if (!text(t)) return false;
        prop.set(key, PropertyKind::string, t, *out_.arena);
        return true;
      }
      case 't':
        if (!literal("true", 4)) return false;
        prop.set(key, PropertyKind::boolean, std::string_view(start, 4), *out_.arena);
        return true;
      case 'f':
        if (!literal("false", 5)) return false;
        prop.set(key, PropertyKind::boolean, std::string_view(start, 5), *out_.arena);
        return true;
      case 'n':
        if (!literal("null", 4)) return false;
        prop.set(key, PropertyKind::null, std::string_view(), *out_.arena);
        return true;
      case '{':
      case '[': {
        json nested;
        if (!value(nested, 4)) return false;
        prop.set(key, *start == '{' ? PropertyKind::object : PropertyKind::array,
                 std::string_view(start, static_cast<size_t>(p_ - start)), *out_.arena);
        return true;
      }
      default: {
        json n;
        if (!number(n)) return false;
        const std::string_view t(start, static_cast<size_t>(p_ - start));
        if (n.is_string()) prop.set(key, PropertyKind::string, t, *out_.arena);
        else prop.set(key, PropertyKind::integer, t == "-0" ? std::string_view(start + 1, 1) : t, *out_.arena);
        return true;
      }
    }
  }
};

}  // namespace

json read_snapshot_text(std::string_view text, ScannedEvents& events) {
  json root;
  bool ok = false;
  try {
    SnapshotReader reader(text, events);
    ok = reader.document(root);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) return json(json::value_t::discarded);
  return root;
}

ScannedEvents* scanned_events(const json& member) {
  if (!member.is_binary()) return nullptr;
  const auto& b = member.get_binary();
  if (!b.has_subtype() || b.subtype() != kMarkerSubtype || b.size() != sizeof(ScannedEvents*)) return nullptr;
  ScannedEvents* p = nullptr;
  std::memcpy(&p, b.data(), sizeof p);
  return p;
}

}  // namespace tariff
