// Events: POST /api/v1/events (one), POST /api/v1/events/batch (up to 100, all or nothing),
// GET one by transaction_id, GET a page. Idempotent on (external_subscription_id,
// transaction_id): a duplicate is refused as Lago refuses it — 422 validation_errors with
// transaction_id: ["value_already_exist"] (per index for a batch) — and nothing is written.
// Stored as Lago's Event object, timestamp as ISO 8601 with milliseconds (Lago's iso8601(3)).
//
// Pre-aggregated usage (usage.cpp, docs/usage_aggregates.md): in the transaction that stores
// an event, its share of the usage aggregate it belongs to (subscription, quarter-hour,
// metric code and definition, properties) is merged into the "usage" document of that key; a
// duplicate is refused before anything is written, so it adds nothing. The engine reads the
// whole batch once (usage::contributions): when it accepts every event, that read is also the
// validation; otherwise the events are validated one by one for Lago's per-index errors.
// Writes are group-committed (usage.cpp): concurrent requests share one durable COMMIT.
#include <date/date.h>

#include <cstdio>
#include <map>
#include <set>

#include "billing.hpp"
#include "progressive.hpp"
#include "resources.hpp"
#include "serializers.hpp"
#include "usage.hpp"
#include "webhooks.hpp"
#include "tariff/json.hpp"

namespace tariff::server {
namespace {

constexpr size_t kMaxBatch = 100;

// "YYYY-MM-DDTHH:MM:SS.mmmZ" (Lago's iso8601(3)), written by hand: date::format's stream costs
// more than the rest of an event's checks. Years outside 0..9999 are refused before this.
std::string format_iso_ms(int64_t us) {
  using namespace std::chrono;
  int64_t ms = us / 1000;
  if (us % 1000 < 0) --ms;
  const auto tp = date::sys_time<milliseconds>{milliseconds{ms}};
  const auto day = date::floor<date::days>(tp);
  const date::year_month_day ymd{day};
  int64_t rest = (tp - day).count();  // ms into the day
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) return date::format("%FT%TZ", tp);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(rest / 3600000), static_cast<int>(rest / 60000 % 60),
                static_cast<int>(rest / 1000 % 60), static_cast<int>(rest % 1000));
  return buf;
}


// format_iso_ms(us), quoted, appended; digits written by hand (years 0..9999, else the general way).
void put_iso_ms(std::string& out, int64_t us) {
  int64_t ms = us / 1000;
  if (us % 1000 < 0) --ms;
  const int64_t day_ms = 86400000;
  int64_t days = ms / day_ms, rest = ms % day_ms;
  if (rest < 0) rest += day_ms, --days;
  const date::year_month_day ymd{date::sys_days{date::days{days}}};
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) {
    out += '"';
    out += format_iso_ms(us);
    out += '"';
    return;
  }
  char b[26] = "\"0000-00-00T00:00:00.000Z";
  const auto two = [&](int at, int v) { b[at] = static_cast<char>('0' + v / 10), b[at + 1] = static_cast<char>('0' + v % 10); };
  b[1] = static_cast<char>('0' + y / 1000), b[2] = static_cast<char>('0' + y / 100 % 10);
  two(3, y % 100);
  two(6, static_cast<int>(static_cast<unsigned>(ymd.month())));
  two(9, static_cast<int>(static_cast<unsigned>(ymd.day())));
  two(12, static_cast<int>(rest / 3600000));
  two(15, static_cast<int>(rest / 60000 % 60));
  two(18, static_cast<int>(rest / 1000 % 60));
  const int milli = static_cast<int>(rest % 1000);
  b[21] = static_cast<char>('0' + milli / 100), b[22] = static_cast<char>('0' + milli / 10 % 10);
  b[23] = static_cast<char>('0' + milli % 10);
  out.append(b, 25);
  out += '"';
}

// An accepted event as stored: Lago's Event object, written directly as the bytes that building
// it as an ordered_json and dumping it gave (same keys in the same order, each value dumped by
// nlohmann). cents and props: their JSON text as dump() writes it ("null", "{}" when absent).
EventRecord make_record(Context& ctx, std::string tx_id, std::string code, std::string sub, int64_t ts,
                        std::string_view cents, std::string_view props) {
  ts = ts / 1000 * 1000;  // millisecond precision, as Lago serialises it
  std::string body;
  body.reserve(256 + props.size());
  body += "{\"lago_id\":";
  append_json_string(body, ctx.ids.uuid());
  body += ",\"transaction_id\":";
  append_json_string(body, tx_id);
  body += ",\"lago_customer_id\":null,\"code\":";
  append_json_string(body, code);
  body += ",\"timestamp\":";
  put_iso_ms(body, ts);
  body += ",\"precise_total_amount_cents\":";
  body += cents;
  body += ",\"properties\":";
  body += props;
  body += ",\"lago_subscription_id\":null,\"external_subscription_id\":";
  append_json_string(body, sub);
  body += ",\"created_at\":";
  append_json_string(body, ctx.now);
  body += '}';
  return EventRecord{std::move(sub), std::move(tx_id), std::move(code), ts, std::move(body)};
}

// Validates one input event; on success fills `out`, else returns Lago's field errors.
// The stored body is Lago's Event object, written directly as the bytes that building it as an
// ordered_json and dumping it gave (same keys in the same order, each value dumped by
// nlohmann): no tree per event. `plain` (if given) says whether the body is also the event as
// the API serialises it (serialize_event), which holds unless precise_total_amount_cents is
// given (served as decimal text).
ordered_json check_event(Context& ctx, const json& in, EventRecord* out, bool* plain = nullptr) {
  ordered_json errors = ordered_json::object();
  if (!in.is_object()) {
    errors["event"] = {"invalid_type"};
    return errors;
  }
  auto need = [&](const char* f) -> std::string {
    auto it = in.find(f);
    if (it == in.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty())) {
      errors[f] = {"value_is_mandatory"};
      return "";
    }
    if (it->is_number_integer()) return it->dump();  // Lago casts ids to strings
    if (!it->is_string()) {
      errors[f] = {"invalid_type"};
      return "";
    }
    return it->get<std::string>();
  };
  std::string tx_id = need("transaction_id");
  std::string code = need("code");
  std::string sub = need("external_subscription_id");
  int64_t ts = ctx.now_us;
  const auto t_it = in.find("timestamp");
  if (t_it != in.end() && !t_it->is_null()) {
    auto t = parse_event_timestamp(*t_it);
    if (!t) errors["timestamp"] = {"invalid_format"};
    else ts = *t;
  }
  const auto p_it = in.find("properties");
  const bool has_props = p_it != in.end() && !p_it->is_null();
  if (has_props && !p_it->is_object()) errors["properties"] = {"invalid_type"};
  const auto c_it = in.find("precise_total_amount_cents");
  const bool has_cents = c_it != in.end() && !c_it->is_null();
  if (has_cents && !c_it->is_string() && !c_it->is_number()) errors["precise_total_amount_cents"] = {"invalid_type"};
  if (!errors.empty()) return errors;

  *out = make_record(ctx, std::move(tx_id), std::move(code), std::move(sub), ts, has_cents ? c_it->dump() : "null",
                     has_props ? p_it->dump() : "{}");
  if (plain) *plain = !has_cents;
  return errors;
}

// The batch body read without a JSON tree when it is plainly what a client sends: {"events":
// [1..100 objects]}, each event of the known fields only, ids and code non-empty strings, the
// timestamp a number or a string the server reads, properties a flat object with keys in byte
// order, every string without escapes or non-ASCII bytes. Anything else (an error to report,
// an unusual shape) gives false and the request takes the general path, which answers as it
// always did; what this accepts is stored byte for byte as the general path stores it (values
// as parse_json_exact() and dump() give them: a number with a fraction or an exponent becomes
// a string of its text).
class FastBatch {
 public:
  explicit FastBatch(std::string_view t) : p_(t.data()), end_(t.data() + t.size()) {}

  bool read(Context& ctx, std::vector<EventRecord>& recs, std::vector<char>& plain) {
    std::string_view key;
    if (!eat('{') || !string(key) || key != "events" || !eat(':') || !eat('[')) return false;
    do {
      if (recs.size() == kMaxBatch || !event(ctx, recs, plain)) return false;
    } while (eat(','));
    if (!eat(']') || !eat('}')) return false;
    ws();
    return p_ == end_;
  }

 private:
  void ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool eat(char c) {
    ws();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  static bool digit(char c) { return c >= '0' && c <= '9'; }
  bool digits() {
    if (p_ == end_ || !digit(*p_)) return false;
    while (p_ != end_ && digit(*p_)) ++p_;
    return true;
  }
  bool string(std::string_view& out) {  // no escapes, no control or non-ASCII bytes
    ws();
    if (p_ == end_ || *p_ != '"') return false;
    const char* s = ++p_;
    while (p_ != end_ && *p_ != '"') {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++p_;
    }
    if (p_ == end_) return false;
    out = std::string_view(s, static_cast<size_t>(p_ - s));
    ++p_;
    return true;
  }
  // A JSON number: 1 an integer of at most 18 digits (not -0), 2 one with a fraction or an
  // exponent (kept as its text), 0 anything else.
  int number(std::string_view& out) {
    ws();
    const char* s = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !digit(*p_)) return 0;
    if (*p_ == '0') ++p_;
    else digits();
    bool text = false;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (!digits()) return 0;
      text = true;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return 0;
      text = true;
    }
    out = std::string_view(s, static_cast<size_t>(p_ - s));
    if (text) return 2;
    return out.size() - (out[0] == '-') > 18 || out == "-0" ? 0 : 1;
  }
  bool literal(std::string_view word) {
    ws();
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  // A scalar as dump() writes what parse_json_exact() reads; null gives "null".
  bool scalar(std::string& out) {
    ws();
    if (p_ == end_) return false;
    std::string_view v;
    if (*p_ == '"') {
      if (!string(v)) return false;
    } else if (*p_ == 't' || *p_ == 'f' || *p_ == 'n') {
      for (const std::string_view w : {"true", "false", "null"})
        if (literal(w)) {
          out += w;
          return true;
        }
      return false;
    } else {
      const int kind = number(v);
      if (kind == 0) return false;
      if (kind == 1) {
        out += v;
        return true;
      }
    }
    out += '"';
    out += v;
    out += '"';
    return true;
  }
  bool properties(std::string& out) {
    out = "{";
    if (eat('}')) return out += '}', true;
    std::string_view last, key;
    bool first = true;
    do {
      if (!string(key) || (!first && !(last < key)) || !eat(':')) return false;  // byte order, as json's map
      if (!first) out += ',';
      out += '"';
      out += key;
      out += "\":";
      if (!scalar(out)) return false;
      last = key;
      first = false;
    } while (eat(','));
    if (!eat('}')) return false;
    out += '}';
    return true;
  }
  bool event(Context& ctx, std::vector<EventRecord>& recs, std::vector<char>& plain) {
    if (!eat('{')) return false;
    std::string_view tx, code, sub, key;
    std::optional<json> ts;
    std::string cents = "null", props = "{}";
    unsigned seen = 0;
    do {
      if (!string(key) || !eat(':')) return false;
      unsigned bit = 0;
      std::string_view* target = nullptr;
      if (key == "transaction_id") bit = 1, target = &tx;
      else if (key == "code") bit = 2, target = &code;
      else if (key == "external_subscription_id") bit = 4, target = &sub;
      else if (key == "timestamp") bit = 8;
      else if (key == "properties") bit = 16;
      else if (key == "precise_total_amount_cents") bit = 32;
      if (bit == 0 || (seen & bit)) return false;
      seen |= bit;
      if (target) {
        if (!string(*target) || target->empty()) return false;
      } else if (bit == 8) {
        std::string_view v;
        ws();
        if (literal("null")) continue;
        if (p_ != end_ && *p_ == '"') {
          if (!string(v)) return false;
          ts = json(std::string(v));
        } else {
          const int kind = number(v);
          if (kind == 0) return false;
          ts = kind == 1 ? json(std::stoll(std::string(v))) : json(std::string(v));
        }
      } else if (bit == 16) {
        if (literal("null")) continue;
        if (!eat('{') || !properties(props)) return false;
      } else {
        std::string v;
        if (!scalar(v) || v == "true" || v == "false") return false;
        cents = v;
      }
    } while (eat(','));
    if (!eat('}') || (seen & 7) != 7) return false;
    int64_t at = ctx.now_us;
    if (ts) {
      const auto t = parse_event_timestamp(*ts);
      if (!t) return false;
      at = *t;
    }
    plain.push_back(cents == "null");
    recs.push_back(make_record(ctx, std::string(tx), std::string(code), std::string(sub), at, cents, props));
    return true;
  }

  const char* p_;
  const char* end_;
};

// The engine's refusals of events that passed check_event(): whatever a calculation of this
// period would refuse (a timestamp out of 1970..9999, a non-numeric
// precise_total_amount_cents, a value a metric of that code aggregates beyond Decimal's
// range). Per index; {} when the event may be stored.
std::vector<ordered_json> engine_refusals(Context& ctx, const json& events) {
  std::vector<ordered_json> out;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    out = validation_errors(rules::Resource::event, events, stored_context(tx, {"billable_metric"}), ctx);
  });
  return out;
}

// Each stored event, in its transaction: a charge paid in advance bills it (billing.cpp), a
// subscription with usage thresholds is checked after it (progressive.cpp). Whether a charge
// bills it depends only on (subscription, code) and what is stored, so it is asked once per
// pair and commit group (nothing but events is written meanwhile) and then only where the
// first event was queued. The progressive check depends only on the subscription and the
// clock (the check document records the instant of the latest request, not the event), so it
// is queued once per subscription and commit group, after its events, at the clock of the
// group's last request that stored events of it: the document each request queueing its own
// would leave.
std::function<void(Transaction&, const EventRecord&, GroupMemo&)> on_stored(int64_t now_us) {
  auto checked = std::make_shared<std::set<std::string>>();
  return [checked, now_us](Transaction& tx, const EventRecord& r, GroupMemo& memo) {
    if (checked->insert(r.external_subscription_id).second) {
      EventRecord ref{r.external_subscription_id, r.transaction_id, r.code, r.timestamp_us, {}};
      memo.defer("progressive\x1f" + r.external_subscription_id, [ref, now_us](Transaction& t) {
        queue_progressive_check(t, ref, now_us);  // progressive.cpp: usage thresholds
      });
    }
    auto [it, fresh] = memo.known.try_emplace("advance\x1f" + r.external_subscription_id + '\x1f' + r.code, true);
    if (!it->second) return;
    queue_in_advance_event(tx, r);  // billing.cpp
    if (fresh) it->second = tx.get("advance_job", r.external_subscription_id + "|" + r.transaction_id).has_value();
  };
}

// Once per request: events.errors for the events it stored that no metric can price.
std::function<void(Transaction&, const std::vector<EventRecord>&)> events_errors(int64_t now_us) {
  return [now_us](Transaction& tx, const std::vector<EventRecord>& stored) {
    if (!stored.empty()) webhooks::events_stored(tx, stored, now_us);
  };
}

// The general path of a batch: the body as a JSON tree, each event checked for Lago's
// per-index errors (thrown), then the engine's reading.
void read_batch(Context& ctx, std::vector<EventRecord>& recs_out, std::vector<char>& plain_out,
                std::optional<std::vector<usage::Contribution>>& contribs_out) {
  const json body = ctx.body();
  auto it = body.find("events");
  if (it == body.end() || it->is_null() || (it->is_array() && it->empty()))
    throw validation("events", "no_events");
  if (!it->is_array()) throw validation("events", "invalid_type");
  if (it->size() > kMaxBatch) throw validation("events", "too_many_events");
  std::vector<EventRecord> recs(it->size());
  std::vector<char> plain(it->size());
  std::map<size_t, ordered_json> by_index;  // Lago's batch shape: {"<index>": {field: [codes]}}
  std::vector<size_t> index;  // the events check_event() accepted
  for (size_t i = 0; i < it->size(); ++i) {
    bool p = false;
    ordered_json e = check_event(ctx, (*it)[i], &recs[i], &p);
    plain[i] = p;
    if (!e.empty()) by_index[i] = e;
    else index.push_back(i);
  }
  // One engine read of the whole batch; per-event validation only when it refuses.
  std::optional<std::vector<usage::Contribution>> contribs;
  if (by_index.empty()) contribs = usage_contributions(ctx, recs);
  if (!contribs) {
    json checked = json::array();  // for the engine, one by one
    for (const size_t i : index) checked.push_back((*it)[i]);
    const auto refused = engine_refusals(ctx, checked);
    for (size_t k = 0; k < refused.size(); ++k)
      if (!refused[k].empty()) by_index[index[k]] = refused[k];
  }
  if (!by_index.empty()) {
    ordered_json errors = ordered_json::object();
    for (const auto& [i, e] : by_index) errors[std::to_string(i)] = e;
    throw validation_details(errors);
  }
  if (!contribs) contribs = usage_contributions(ctx, recs, false);
  recs_out = std::move(recs);
  plain_out = std::move(plain);
  contribs_out = std::move(contribs);
}

Reply event_list(Context& ctx) {
  const Pagination p = parse_pagination(ctx.query());
  EventQuery q;
  if (auto s = ctx.query_value("external_subscription_id")) q.external_subscription_ids = {*s};
  q.code = ctx.query_value("code");
  q.offset = p.offset();
  q.limit = p.per_page;
  EventPage page;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) { page = tx.events(q); });
  ordered_json items = ordered_json::array();
  for (const auto& e : page.items) items.push_back(serialize_event(parse_stored(e.body)));
  return list_reply("events", items, p, page.total);
}

}  // namespace

void add_event_routes(App& app) {
  app.add("POST", "/api/v1/events", [](Context& ctx) {
    const json in = ctx.body_object("event");
    std::vector<EventRecord> recs(1);
    ordered_json errors = check_event(ctx, in, &recs[0]);
    if (!errors.empty()) throw validation_details(errors);
    auto contribs = usage_contributions(ctx, recs);
    if (!contribs) {
      errors = engine_refusals(ctx, json::array({in}))[0];
      if (!errors.empty()) throw validation_details(errors);
      contribs = usage_contributions(ctx, recs, false);
    }
    const ordered_json dup = store_events(ctx, recs, *contribs, on_stored(ctx.now_us), events_errors(ctx.now_us));
    if (!dup.empty()) throw validation("transaction_id", "value_already_exist");
    return object_reply("event", serialize_event(parse_stored(recs[0].body)));
  });

  app.add("POST", "/api/v1/events/batch", [](Context& ctx) {
    std::vector<EventRecord> recs;
    std::vector<char> plain;
    std::optional<std::vector<usage::Contribution>> contribs;
    if (FastBatch(ctx.request.body).read(ctx, recs, plain)) contribs = usage_contributions(ctx, recs);
    if (!contribs) read_batch(ctx, recs, plain, contribs);  // the general path, Lago's errors
    const ordered_json dup = store_events(ctx, recs, *contribs, on_stored(ctx.now_us), events_errors(ctx.now_us));
    if (!dup.empty()) throw validation_details(dup);  // nothing stored
    // {"events": [...]}, each event as serialize_event() writes it: its stored body when that
    // is already the same bytes.
    size_t size = 16;
    for (const auto& r : recs) size += r.body.size() + 1;
    std::string text;
    text.reserve(size);
    text += "{\"events\":[";
    for (size_t i = 0; i < recs.size(); ++i) {
      if (i) text += ',';
      text += plain[i] ? recs[i].body : serialize_event(parse_stored(recs[i].body)).dump();
    }
    text += "]}";
    return Reply{200, std::move(text)};
  });

  app.add("GET", "/api/v1/events/([^/]+)", [](Context& ctx) {
    std::optional<EventRecord> e;
    ctx.store.transact(Store::Mode::read,
                       [&](Transaction& tx) { e = tx.find_event(ctx.params[0]); });
    if (!e) throw not_found("event");
    return object_reply("event", serialize_event(parse_stored(e->body)));
  });
  app.add("GET", "/api/v1/events", event_list);
}

}  // namespace tariff::server
