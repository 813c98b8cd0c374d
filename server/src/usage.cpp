// Pre-aggregated usage in the store and group commit of events (usage.hpp).
#include "usage.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "resources.hpp"
#include "support.hpp"
#include "tariff/json.hpp"

namespace tariff::server {
namespace {

constexpr size_t kMaxGroup = 64;  // requests sharing one commit

int64_t floor_bucket(int64_t us) { return us - ((us % usage::kBucketUs) + usage::kBucketUs) % usage::kBucketUs; }

std::string bucket_text(int64_t us) {  // as usage::Contribution::key writes it
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(us));
  return buf;
}

struct Job {
  const std::vector<EventRecord>* recs = nullptr;
  const std::vector<usage::Contribution>* contributions = nullptr;
  const std::function<void(Transaction&, const EventRecord&, GroupMemo&)>* on_stored = nullptr;
  // Once per request, in the group's transaction, with the events it stored (may be empty).
  const std::function<void(Transaction&, const std::vector<EventRecord>&)>* after_request = nullptr;
  // Prepared before the write transaction: this request's aggregates (arrival sequences
  // relative to its first event) by quarter-hour and by local day, and each subscription's zone.
  std::map<std::string, usage::Aggregate> quarters, days;
  std::map<std::string, std::string> zones;
  ordered_json dup = ordered_json::object();
  std::exception_ptr error;
  enum State { waiting, lead, done } state = waiting;
};

std::mutex g_mu;
std::condition_variable g_cv;
std::deque<Job*> g_queue;
bool g_busy = false;

// The calculations' zone of an external subscription id: its customer's, else the
// organization's, else UTC (as the engine reads them).
std::string zone_of(Transaction& tx, const std::string& sub) {
  for (const auto& d : tx.list(DocumentQuery{"subscription", std::nullopt, sub, 0, 1}).items) {
    if (auto c = load_doc(tx, "customer", d.owner)) {
      const std::string z = string_or(*c, "timezone", "");
      if (!z.empty()) return z;
    }
  }
  const std::string z = string_or(snapshot_organization(tx), "timezone", "");
  return z.empty() ? "UTC" : z;
}

using Aggregates = std::map<std::string, usage::Aggregate>;

void put_merged(Transaction& tx, const char* kind, Aggregates& merged) {
  std::vector<std::string> keys;
  keys.reserve(merged.size());
  for (const auto& [key, a] : merged) keys.push_back(key);
  auto docs = tx.get_many(kind, keys);  // one look-up for the group's keys
  size_t i = 0;
  for (auto& [key, a] : merged) {
    if (auto& d = docs[i++]) {
      json stored = parse_json_exact(d->body);
      if (auto typed = usage::Aggregate::from_json(stored)) {
        usage::merge(*typed, a);
        tx.put(Document{kind, key, "", "", typed->text()});
      } else {  // not a document this server wrote: the JSON fold
        usage::merge(stored, a.to_json());
        tx.put(Document{kind, key, "", "", stored.dump()});
      }
    } else {
      tx.put(Document{kind, key, "", "", a.text()});
    }
  }
}

// One request's writes. A duplicate is found before anything is written.
// The index uniqueness check is the duplicate check: every event or none is inserted, and only
// a refused request looks its duplicates up for Lago's per-index errors.
void apply(Transaction& tx, Job& j, Aggregates& quarters, Aggregates& days, GroupMemo& memo) {
  const auto& recs = *j.recs;
  if (!tx.insert_all_events(recs)) {
    std::vector<std::pair<std::string, std::string>> keys;
    keys.reserve(recs.size());
    for (const auto& r : recs) keys.emplace_back(r.external_subscription_id, r.transaction_id);
    const std::vector<bool> stored_before = tx.has_events(keys);  // one look-up for the request
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 0; i < recs.size(); ++i)
      if (!seen.insert(keys[i]).second || stored_before[i])
        j.dup[std::to_string(i)] = {{"transaction_id", {"value_already_exist"}}};
    if (j.dup.empty()) throw std::runtime_error("events refused by the store");
    return;
  }
  auto seq_doc = tx.get("usage_seq", "next");
  const int64_t base = seq_doc ? std::stoll(seq_doc->body) : 1;
  tx.put(Document{"usage_seq", "next", "", "", std::to_string(base + static_cast<int64_t>(recs.size()))});
  for (const auto& r : recs) (*j.on_stored)(tx, r, memo);
  if (j.after_request && *j.after_request) (*j.after_request)(tx, recs);
  // "usage_zone"/<subscription> records the zone its days are kept in ("*" once it changed:
  // its days are then incomplete in any one zone and calculations read quarter-hours).
  for (const auto& [sub, zone] : j.zones) {
    const auto z = tx.get("usage_zone", sub);
    if (!z || (z->body != zone && z->body != "*")) tx.put(Document{"usage_zone", sub, "", "", z ? "*" : zone});
  }
  const auto fold = [&](Aggregates& into, const Aggregates& mine) {
    for (const auto& [key, a] : mine) {
      auto [it, fresh] = into.try_emplace(key, a);
      if (fresh) {
        it->second.latest_sequence += base;
      } else {
        usage::Aggregate share = a;
        share.latest_sequence += base;
        usage::merge(it->second, share);
      }
    }
  };
  fold(quarters, j.quarters);
  fold(days, j.days);
}

// This request's aggregates, merged before it queues (outside the write transaction). The
// days are made from the merged quarter-hours: a day's share (usage::day_contribution) is
// linear in the quarter-hour's (its time-weighted sum rebased on the midnight), so the day of
// a merge is the merge of the days, at one conversion per quarter-hour key instead of one per
// event.
void prepare(Context& ctx, Job& j) {
  std::set<std::string> subs;
  for (const auto& c : *j.contributions) subs.insert(c.external_subscription_id);
  if (subs.empty()) return;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    for (const auto& sub : subs) j.zones[sub] = zone_of(tx, sub);
  });
  std::map<std::string, usage::Contribution> quarters;
  for (const auto& c : *j.contributions) {
    auto [it, fresh] = quarters.try_emplace(c.key, c);
    if (!fresh) usage::merge(it->second.aggregate, c.aggregate);
  }
  for (auto& [key, q] : quarters) {
    if (auto day = usage::day_contribution(q, j.zones[q.external_subscription_id])) {
      auto [dt, dfresh] = j.days.try_emplace(day->key, std::move(day->aggregate));
      if (!dfresh) usage::merge(dt->second, day->aggregate);
    }
    j.quarters.emplace(key, std::move(q.aggregate));
  }
}

void run_group(Store& store, const std::vector<Job*>& group) {
  try {
    store.transact(Store::Mode::write, [&](Transaction& tx) {
      Aggregates quarters, days;  // the group's, one write per key
      GroupMemo memo;
      for (Job* j : group) {
        j->dup = ordered_json::object();
        apply(tx, *j, quarters, days, memo);
      }
      for (const auto& fn : memo.deferred) fn(tx);
      put_merged(tx, "usage", quarters);
      put_merged(tx, "usage_day", days);
    });
    return;
  } catch (...) {
    if (group.size() == 1) {
      group[0]->error = std::current_exception();
      return;
    }
  }
  for (Job* j : group) {  // one failed: each alone, so that the others still commit
    try {
      store.transact(Store::Mode::write, [&](Transaction& tx) {
        Aggregates quarters, days;
        GroupMemo memo;
        j->dup = ordered_json::object();
        apply(tx, *j, quarters, days, memo);
        for (const auto& fn : memo.deferred) fn(tx);
        put_merged(tx, "usage", quarters);
        put_merged(tx, "usage_day", days);
      });
    } catch (...) {
      j->error = std::current_exception();
    }
  }
}

// A stored day's span_us without parsing it: the last "span_us" key of the text is the top-level
// one (keys are stored in byte order: "properties" comes first; quotes inside strings are
// escaped). Parsed when absent.
int64_t span_of(const std::string& body) {
  static const std::string kKey = "\"span_us\":";
  const size_t at = body.rfind(kKey);
  if (at != std::string::npos) {
    const char* p = body.c_str() + at + kKey.size();
    char* end = nullptr;
    const long long v = std::strtoll(p, &end, 10);
    if (end != p && (*end == ',' || *end == '}')) return v;
  }
  return parse_json_exact(body).value("span_us", usage::kBucketUs);
}

}  // namespace

std::optional<std::vector<usage::Contribution>> usage_contributions(Context& ctx, const std::vector<EventRecord>& recs,
                                                                    bool strict) {
  std::string metrics;
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    for (const auto& d : tx.list(DocumentQuery{"billable_metric", std::nullopt, std::nullopt, 0, -1}).items) {
      if (!metrics.empty()) metrics += ',';
      metrics += d.body;
    }
  });
  std::string text = "{\"now\":" + json(ctx.now).dump() + ",\"billable_metrics\":[" + metrics + "],\"events\":[";
  // A stored body's null precise_total_amount_cents (check_event writes it before the
  // properties; nothing before it holds an unescaped quote) is left out: null and absent read
  // the same, and the engine's event scanner then reads the event without a JSON tree.
  static const std::string kNullCents = ",\"precise_total_amount_cents\":null";
  for (size_t i = 0; i < recs.size(); ++i) {
    if (i) text += ',';
    const std::string& b = recs[i].body;
    const size_t at = b.find(kNullCents);
    if (at == std::string::npos || at > b.find(",\"properties\":")) {
      text += b;
    } else {
      text.append(b, 0, at);
      text.append(b, at + kNullCents.size(), std::string::npos);
    }
  }
  text += "]}";
  auto out = usage::contributions(text, 0, strict);
  if (!out && !strict) out.emplace();  // unreadable as a whole: the events are stored, not aggregated
  return out;
}

ordered_json store_events(Context& ctx, const std::vector<EventRecord>& recs,
                          const std::vector<usage::Contribution>& contributions,
                          const std::function<void(Transaction&, const EventRecord&, GroupMemo&)>& on_stored,
                          const std::function<void(Transaction&, const std::vector<EventRecord>&)>& after_request) {
  Job job;
  job.recs = &recs;
  job.contributions = &contributions;
  job.on_stored = &on_stored;
  job.after_request = &after_request;
  prepare(ctx, job);
  std::unique_lock<std::mutex> lk(g_mu);
  g_queue.push_back(&job);
  if (!g_busy) {
    g_busy = true;
    job.state = Job::lead;
  }
  g_cv.wait(lk, [&] { return job.state != Job::waiting; });
  if (job.state == Job::lead) {
    std::vector<Job*> group;
    while (!g_queue.empty() && group.size() < kMaxGroup) {
      group.push_back(g_queue.front());
      g_queue.pop_front();
    }
    lk.unlock();
    run_group(ctx.store, group);
    lk.lock();
    for (Job* j : group) j->state = Job::done;
    if (!g_queue.empty()) g_queue.front()->state = Job::lead;
    else g_busy = false;
    g_cv.notify_all();
  }
  lk.unlock();
  if (job.error) std::rethrow_exception(job.error);
  return job.dup;
}

bool add_usage(Transaction& tx, const usage::Plan& plan, const std::string& id, std::optional<int64_t> from_us,
               ordered_json& snap, std::string* aggregates_text) {
  static const std::map<std::string, std::optional<std::string>> kNone;
  static const std::set<int64_t> kNoEdges;
  const auto ci = plan.codes.find(id);
  const auto& codes = ci == plan.codes.end() ? kNone : ci->second;
  const auto ei = plan.edge_buckets.find(id);
  const auto& edges = ei == plan.edge_buckets.end() ? kNoEdges : ei->second;
  const int64_t from_bucket = from_us ? floor_bucket(*from_us) : 0;
  const std::string prefix = id + '\x1f';
  // Key: subscription \x1f [zone \x1f] bucket \x1f code \x1f metric \x1f properties.
  struct Parts {
    int64_t bucket;
    std::string code, metric;
  };
  // Whole days are passed on as stored (JSON text, never parsed); quarter-hours are parsed
  // and compacted.
  struct Item {
    Parts parts;
    std::string text;          // a whole day's document
    std::optional<json> body;  // a quarter-hour's, parsed
  };
  std::vector<Item> items;
  std::set<std::string> raw;
  for (const auto& [code, fp] : codes)
    if (!fp) raw.insert(code);
  const auto take = [&](Document&& d, size_t skip, bool whole_day) {
    const size_t a = skip, b = d.key.find('\x1f', a), c = d.key.find('\x1f', b + 1), e = d.key.find('\x1f', c + 1);
    if (b == std::string::npos || c == std::string::npos || e == std::string::npos) return false;
    Parts p{std::stoll(d.key.substr(a, b - a)), d.key.substr(b + 1, c - b - 1), d.key.substr(c + 1, e - c - 1)};
    const auto it = codes.find(p.code);
    if (it != codes.end() && it->second && *it->second != p.metric) raw.insert(p.code);  // another definition
    if (whole_day) items.push_back(Item{std::move(p), std::move(d.body), std::nullopt});
    else items.push_back(Item{std::move(p), {}, parse_json_exact(d.body)});
    return true;
  };
  const auto take_all = [&](std::vector<Document>&& found, size_t skip) {
    for (auto& d : found)
      if (!take(std::move(d), skip, false)) return false;
    return true;
  };
  // Whole local days where every event of the subscription went into the days of the zone the
  // calculation uses, and no edge falls; the quarter-hours of the other days.
  const auto zone = tx.get("usage_zone", id);
  const bool by_day = zone && zone->body == plan.zone;
  {  // the reads below (but the days read as quarter-hours), at once
    Prefetch p;
    if (by_day) {
      const std::string zp = prefix + plan.zone + '\x1f';
      p.ranges.emplace_back("usage_day", zp + bucket_text(std::max<int64_t>(0, from_bucket - 25LL * 3600 * 1000000)),
                            zp + '\x7f');
    } else {
      p.ranges.emplace_back("usage", prefix + bucket_text(from_bucket), prefix + '\x7f');
    }
    for (const auto& code : raw) p.events.push_back(EventQuery{{id}, from_us, std::nullopt, code});
    for (const int64_t b : edges)
      if (b + usage::kBucketUs > from_bucket) p.events.push_back(EventQuery{{id}, b, b + usage::kBucketUs, std::nullopt});
    tx.prefetch(p);
  }
  if (by_day) {
    const std::string zp = prefix + plan.zone + '\x1f';
    const int64_t day_from = std::max<int64_t>(0, from_bucket - 25LL * 3600 * 1000000);
    std::vector<Document> day_docs = tx.range("usage_day", zp + bucket_text(day_from), zp + '\x7f');
    std::set<std::pair<int64_t, int64_t>> split;  // days read as quarter-hours
    for (auto& d : day_docs) {
      const size_t b = d.key.find('\x1f', zp.size());
      if (b == std::string::npos) return false;
      const int64_t start = std::stoll(d.key.substr(zp.size(), b - zp.size()));
      const int64_t span = span_of(d.body);
      const auto e = edges.lower_bound(start);
      if (e != edges.end() && *e < start + span) split.emplace(start, span);
      else if (!take(std::move(d), zp.size(), true)) return false;
    }
    for (const auto& [start, span] : split)
      if (!take_all(tx.range("usage", prefix + bucket_text(std::max(start, from_bucket)), prefix + bucket_text(start + span)),
                    prefix.size()))
        return false;
  } else if (!take_all(tx.range("usage", prefix + bucket_text(from_bucket), prefix + '\x7f'), prefix.size())) {
    return false;
  }
  const auto aggregated = [&](const std::string& code) {
    const auto it = codes.find(code);
    return it != codes.end() && it->second && !raw.count(code);
  };
  std::string text;  // the items, comma-joined
  json mine = json::array();
  for (auto& item : items) {
    if (!aggregated(item.parts.code) || edges.count(item.parts.bucket)) continue;
    if (item.body) {
      mine.push_back(std::move(*item.body));
    } else {
      if (!text.empty()) text += ',';
      text += item.text;
    }
  }
  usage::compact(mine, plan);  // one aggregate a local day per property set
  for (const auto& a : mine) {
    if (!text.empty()) text += ',';
    text += a.dump();
  }
  if (aggregates_text) {
    if (!text.empty() && !aggregates_text->empty()) *aggregates_text += ',';
    *aggregates_text += text;
  } else {
    ordered_json& aggs = snap["usage_aggregates"];
    if (!aggs.is_array()) aggs = ordered_json::array();
    if (!text.empty())  // one conversion for them all
      for (auto& a : parse_stored("[" + text + "]")) aggs.push_back(std::move(a));
  }
  ordered_json& events = snap["events"];
  for (const auto& code : raw) {
    EventQuery q;
    q.external_subscription_ids = {id};
    q.from_us = from_us;
    q.code = code;
    for (const auto& e : tx.events(q).items) events.push_back(parse_stored(e.body));
  }
  for (const int64_t b : edges) {
    if (b + usage::kBucketUs <= from_bucket) continue;
    EventQuery q;
    q.external_subscription_ids = {id};
    q.from_us = b;
    q.to_us = b + usage::kBucketUs;
    for (const auto& e : tx.events(q).items)
      if (aggregated(e.code)) events.push_back(parse_stored(e.body));
  }
  return true;
}

}  // namespace tariff::server
