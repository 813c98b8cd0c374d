// The PostgreSQL store's events (pg_transaction.hpp): inserts (one, or all or none), presence
// checks known for the transaction, lookups by transaction id and the events of subscriptions.
#include <algorithm>
#include <set>
#include <stdexcept>

#include "pg_transaction.hpp"

namespace tariff::server::pg {

// An unpaged events query of one subscription (as events() sends it).
std::pair<std::string, std::vector<Param>> PgTransaction::events_statement(const EventQuery& q) {
  std::vector<Param> params;
  std::string where = "TRUE";
  auto add = [&](const std::string& cond, std::string v) {
    params.push_back(std::move(v));
    where += " AND " + cond + " $" + num(static_cast<int64_t>(params.size()));
  };
  add("external_subscription_id =", q.external_subscription_ids.at(0));
  if (q.from_us) add("ts_us >=", num(*q.from_us));
  if (q.to_us) add("ts_us <", num(*q.to_us));
  if (q.code) add("code =", *q.code);
  const auto n = static_cast<int64_t>(params.size());
  params.push_back(Param());
  params.push_back(num(0));
  return {"SELECT external_subscription_id, transaction_id, code, ts_us, body FROM events WHERE " + where +
              " ORDER BY ts_us, seq LIMIT $" + num(n + 1) + "::bigint OFFSET $" + num(n + 2) + "::bigint",
          params};
}

bool PgTransaction::insert_event(const EventRecord& e) {
  require_write();
  evented_.clear();
  auto key = std::make_pair(e.external_subscription_id, e.transaction_id);
  if (inserted_.count(key)) return false;
  if (absent_.erase(key)) {  // seen absent under the write lock: the insert cannot conflict
    inserted_.insert(std::move(key));
    inserts_.push_back(e);
    if (inserts_.size() >= kMaxRows) flush();
    return true;
  }
  const bool stored = c_.run("INSERT INTO events(external_subscription_id, transaction_id, code, ts_us, body) "
                             "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                             {e.external_subscription_id, e.transaction_id, e.code, num(e.timestamp_us), e.body})
                          .affected() > 0;
  inserted_.insert(std::move(key));  // ours now, or already there: a second insert is refused either way
  return stored;
}

// Every event or none, without looking them up first: one multi-row INSERT … ON CONFLICT DO
// NOTHING RETURNING seq per request (prepared: a batch of one size is the same statement)
// under the write lock, the unique index being the check; on a conflict (fewer rows than
// given) the rows it did insert are deleted again. A key this transaction already holds, or
// given twice, is refused without a statement.
bool PgTransaction::insert_all_events(const std::vector<EventRecord>& events) {
  require_write();
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& e : events) {
    auto key = std::make_pair(e.external_subscription_id, e.transaction_id);
    if (inserted_.count(key) || !keys.insert(std::move(key)).second) return false;
  }
  std::vector<std::string> seqs;
  bool all = true;
  for (size_t from = 0; from < events.size() && all; from += kMaxRows) {
    const size_t to = std::min(events.size(), from + kMaxRows);
    std::vector<Param> params;
    params.reserve((to - from) * 5);
    std::string sql = "INSERT INTO events(external_subscription_id, transaction_id, code, ts_us, body) VALUES ";
    for (size_t i = from; i < to; ++i) {
      const auto& e = events[i];
      sql += values_row(params.size(), 5) + (i + 1 < to ? "," : "");
      params.insert(params.end(), {e.external_subscription_id, e.transaction_id, e.code, num(e.timestamp_us), e.body});
    }
    sql += " ON CONFLICT DO NOTHING RETURNING seq";
    auto r = c_.run(sql, params);
    for (int i = 0; i < r.rows(); ++i) seqs.push_back(r.text(i, 0));
    all = r.rows() == static_cast<int>(to - from);
  }
  if (!all) {
    if (!seqs.empty()) {
      std::string arr = "{";
      for (size_t i = 0; i < seqs.size(); ++i) arr += (i ? "," : "") + seqs[i];
      c_.run("DELETE FROM events WHERE seq = ANY($1::bigint[])", {arr + "}"});
    }
    return false;
  }
  for (const auto& key : keys) {
    absent_.erase(key);
    inserted_.insert(key);
  }
  return true;
}

bool PgTransaction::has_event(std::string_view sub, std::string_view tx) {
  auto key = std::make_pair(std::string(sub), std::string(tx));
  if (inserted_.count(key)) return true;
  if (absent_.count(key)) return false;
  const bool found = c_.run("SELECT 1 FROM events WHERE external_subscription_id = $1 AND transaction_id = $2",
                            {key.first, key.second})
                         .rows() > 0;
  if (found) inserted_.insert(std::move(key));
  else if (writable_) absent_.insert(std::move(key));
  return found;
}

// The keys not known yet, looked up together: unnest() of two text arrays joined to the
// events' unique index, one prepared statement whatever the count.
std::vector<bool> PgTransaction::has_events(const std::vector<std::pair<std::string, std::string>>& keys) {
  std::vector<bool> out(keys.size(), false);
  std::string subs = "{", txs = "{";
  std::vector<size_t> asked;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (inserted_.count(keys[i])) out[i] = true;
    else if (!absent_.count(keys[i])) {
      if (!asked.empty()) subs += ',', txs += ',';
      append_array_item(subs, keys[i].first);
      append_array_item(txs, keys[i].second);
      asked.push_back(i);
    }
  }
  if (asked.empty()) return out;
  subs += '}';
  txs += '}';
  auto r = c_.run("SELECT e.external_subscription_id, e.transaction_id FROM unnest($1::text[], $2::text[]) AS k(s, t) "
                  "JOIN events e ON e.external_subscription_id = k.s AND e.transaction_id = k.t",
                  {subs, txs});
  std::set<std::pair<std::string, std::string>> found;
  for (int i = 0; i < r.rows(); ++i) found.emplace(r.text(i, 0), r.text(i, 1));
  for (const size_t i : asked) {
    if (found.count(keys[i])) {
      out[i] = true;
      inserted_.insert(keys[i]);
    } else if (writable_) {
      absent_.insert(keys[i]);
    }
  }
  return out;
}

std::optional<EventRecord> PgTransaction::find_event(std::string_view tx) {
  flush();
  auto r = c_.run("SELECT external_subscription_id, code, ts_us, body FROM events WHERE transaction_id = $1 "
                  "ORDER BY seq DESC LIMIT 1",
                  {std::string(tx)});
  if (r.rows() == 0) return std::nullopt;
  return EventRecord{r.text(0, 0), std::string(tx), r.text(0, 1), r.integer(0, 2), r.text(0, 3)};
}

// As the SQLite store: one subscription at a time (each by timestamp, then arrival), in the
// order the ids are given; an empty list = every event.
EventPage PgTransaction::events(const EventQuery& q) {
  if (auto it = evented_.find(events_memo(q)); it != evented_.end()) {
    EventPage page;
    page.items = it->second;
    page.total = static_cast<int64_t>(page.items.size());
    return page;
  }
  flush();
  EventPage page;
  std::vector<std::optional<std::string>> subs;
  if (q.external_subscription_ids.empty()) subs.push_back(std::nullopt);
  for (const auto& id : q.external_subscription_ids) subs.push_back(id);
  const bool paged = q.offset > 0 || q.limit >= 0;
  const bool in_sql = subs.size() == 1;
  for (const auto& sub : subs) {
    std::vector<Param> params;
    std::string where = "TRUE";
    auto add = [&](const std::string& cond, std::string v) {
      params.push_back(std::move(v));
      where += " AND " + cond + " $" + num(static_cast<int64_t>(params.size()));
    };
    if (sub) add("external_subscription_id =", *sub);
    if (q.from_us) add("ts_us >=", num(*q.from_us));
    if (q.to_us) add("ts_us <", num(*q.to_us));
    if (q.code) add("code =", *q.code);
    if (paged) page.total += c_.run("SELECT count(*) FROM events WHERE " + where, params).integer(0, 0);
    const auto n = static_cast<int64_t>(params.size());
    params.push_back(in_sql && q.limit >= 0 ? Param(num(q.limit)) : Param());
    params.push_back(num(in_sql ? std::max<int64_t>(0, q.offset) : 0));
    auto r = c_.run("SELECT external_subscription_id, transaction_id, code, ts_us, body FROM events WHERE " +
                        where + " ORDER BY ts_us, seq LIMIT $" + num(n + 1) + "::bigint OFFSET $" + num(n + 2) +
                        "::bigint",
                    params);
    for (int i = 0; i < r.rows(); ++i)
      page.items.push_back(EventRecord{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.integer(i, 3), r.text(i, 4)});
  }
  if (!paged) page.total = static_cast<int64_t>(page.items.size());  // no count query
  if (paged && !in_sql) {
    const auto n = static_cast<int64_t>(page.items.size());
    const int64_t from = std::min(q.offset, n);
    const int64_t to = q.limit < 0 ? n : std::min(n, from + q.limit);
    page.items = std::vector<EventRecord>(page.items.begin() + from, page.items.begin() + to);
  }
  return page;
}

}  // namespace tariff::server::pg
