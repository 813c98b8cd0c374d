// PostgreSQL implementation of Store (store.hpp), on libpq: with pg_conn.hpp (its connection), the only code that includes libpq-fe.h.
//
// Same semantics as the SQLite store, for any number of server processes on one database:
//   - write transactions are serialised across every process by one transaction-scoped
//     advisory lock taken first (READ COMMITTED under that lock: each statement sees every
//     write committed before the lock was granted, and nothing else commits until we do), so
//     a read-modify-write can never lose an update and a billing job's ledger check sees the
//     other process's ledger row;
//   - read transactions are REPEATABLE READ READ ONLY snapshots and run concurrently with
//     writes (a calculation never waits for ingestion, nor ingestion for a calculation);
//   - COMMIT returns after the WAL is flushed (synchronous_commit=on forced per session);
//   - creation order is a BIGSERIAL taken under the write lock, so it is commit order.
// Connections are pooled (one per concurrent transaction); statements are prepared once per
// connection. The schema is versioned (schema_migrations), migrated on open under an
// advisory lock so that servers starting together migrate once.
#include <libpq-fe.h>

#include <algorithm>
#include <functional>
#include <climits>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "pg_conn.hpp"
#include "store.hpp"
#include "timing.hpp"

namespace tariff::server {
namespace {

constexpr const char* kWriteLock = "7236401";      // pg_advisory_xact_lock key: the write lock
constexpr const char* kMigrateLock = "7236402";    // pg_advisory_lock key: migrations
constexpr int64_t kJobLockBase = 7236500;          // + hash: Store::try_exclusive names

// Version N's statements; a version is applied once, in its own transaction, in order.
// Version 1 is the schema every database had before versioning: "IF NOT EXISTS" lets a
// database made before schema_migrations existed record it without change.
const std::vector<std::pair<int, const char*>> kMigrations = {
    {1, R"sql(
CREATE TABLE IF NOT EXISTS docs (
  seq   BIGSERIAL PRIMARY KEY,
  kind  TEXT NOT NULL,
  key   TEXT COLLATE "C" NOT NULL,  -- byte order, whatever the database's locale
  owner TEXT NOT NULL DEFAULT '',
  ref   TEXT NOT NULL DEFAULT '',
  body  TEXT NOT NULL,
  UNIQUE (kind, key)
);
CREATE INDEX IF NOT EXISTS docs_owner ON docs(kind, owner, seq);
CREATE INDEX IF NOT EXISTS docs_ref ON docs(kind, ref, seq);
CREATE INDEX IF NOT EXISTS docs_kind ON docs(kind, seq);
CREATE TABLE IF NOT EXISTS events (
  seq   BIGSERIAL PRIMARY KEY,
  external_subscription_id TEXT NOT NULL,
  transaction_id TEXT NOT NULL,
  code  TEXT NOT NULL,
  ts_us BIGINT NOT NULL,
  body  TEXT NOT NULL,
  UNIQUE (external_subscription_id, transaction_id)
);
CREATE INDEX IF NOT EXISTS events_sub_ts ON events(external_subscription_id, ts_us, seq);
CREATE INDEX IF NOT EXISTS events_tx ON events(transaction_id, seq);
)sql"},
    // The SQLite store's version 2 (docs_kind); this store has had it since version 1.
    {2, R"sql(
CREATE INDEX IF NOT EXISTS docs_kind ON docs(kind, seq);
)sql"},
};

using pg::Conn;
using pg::Param;
using pg::Result;

std::string num(int64_t v) { return std::to_string(v); }

// One element of a text[] literal: quoted, with its quotes and backslashes escaped.
void append_array_item(std::string& out, const std::string& v) {
  out += '"';
  for (const char ch : v) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '"';
}

constexpr const char* kGet = "SELECT owner, ref, body FROM docs WHERE kind = $1 AND key = $2";
constexpr const char* kRange =
    "SELECT key, owner, ref, body FROM docs WHERE kind = $1 AND key >= $2 AND key < $3 ORDER BY key";

class PgTransaction final : public Transaction {
 public:
  PgTransaction(Conn& c, bool writable) : c_(c), writable_(writable) {}

  // Each statement is a round trip, so a transaction keeps what it read and defers what it
  // writes. Nothing else can change the rows (a write transaction holds the write lock from
  // its first statement; a read transaction is a snapshot), hence:
  //   - documents read are kept for the rest of the transaction; a put updates the kept
  //     document and forgets the kind's lists; a remove forgets the kind;
  //   - puts, and inserts of events this transaction saw absent (has_event false: the insert
  //     cannot conflict), are sent together, a few multi-row statements, before the first
  //     statement that could see them (a list, a range of events) and before COMMIT.
  std::optional<Document> get(std::string_view kind, std::string_view key) override {
    const auto k = std::make_pair(std::string(kind), std::string(key));
    if (auto it = got_.find(k); it != got_.end()) return it->second;
    if (auto all = listed_.find(list_memo(DocumentQuery{k.first, std::nullopt, std::nullopt, 0, -1}));
        all != listed_.end()) {  // every document of the kind is known
      std::optional<Document> d;
      for (const auto& x : all->second.items)
        if (x.key == k.second) d = x;
      got_.emplace(k, d);
      return d;
    }
    auto r = c_.run(kGet, {k.first, k.second});
    std::optional<Document> d;
    if (r.rows() > 0) d = Document{k.first, k.second, r.text(0, 0), r.text(0, 1), r.text(0, 2)};
    got_.emplace(k, d);
    return d;
  }

  std::vector<std::optional<Document>> get_many(std::string_view kind, const std::vector<std::string>& keys) override {
    const std::string k(kind);
    std::string arr = "{";
    bool any = false;
    for (const auto& key : keys)
      if (!got_.count({k, key})) {
        if (any) arr += ',';
        append_array_item(arr, key);
        any = true;
      }
    if (any) {
      arr += '}';
      auto r = c_.run("SELECT key, owner, ref, body FROM docs WHERE kind = $1 AND key = ANY($2::text[])", {k, arr});
      std::map<std::string, Document> found;
      for (int i = 0; i < r.rows(); ++i)
        found.emplace(r.text(i, 0), Document{k, r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
      for (const auto& key : keys) {
        if (got_.count({k, key})) continue;
        auto f = found.find(key);
        got_.emplace(std::make_pair(k, key), f == found.end() ? std::nullopt : std::optional<Document>(f->second));
      }
    }
    std::vector<std::optional<Document>> out;
    out.reserve(keys.size());
    for (const auto& key : keys) out.push_back(got_.at({k, key}));
    return out;
  }

  void put(const Document& d) override {
    require_write();
    forget_lists(d.kind);
    forget_ranges(d.kind);
    got_[{d.kind, d.key}] = d;
    puts_.push_back(d);
    if (puts_.size() >= kMaxRows) flush();
  }

  bool remove(std::string_view kind, std::string_view key) override {
    require_write();
    flush();
    forget(std::string(kind));
    forget_ranges(std::string(kind));
    const bool removed =
        c_.run("DELETE FROM docs WHERE kind = $1 AND key = $2", {std::string(kind), std::string(key)}).affected() > 0;
    got_[{std::string(kind), std::string(key)}] = std::nullopt;
    return removed;
  }

  // Sends the deferred writes (PgStore::transact calls it before COMMIT).
  void flush() {
    if (!puts_.empty()) {
      // One row per key (the last put wins; a new key keeps the place of its first put).
      std::map<std::pair<std::string, std::string>, size_t> at;
      std::vector<Document> rows;
      for (auto& d : puts_) {
        auto [it, fresh] = at.emplace(std::make_pair(d.kind, d.key), rows.size());
        if (fresh) rows.push_back(std::move(d));
        else rows[it->second] = std::move(d);
      }
      puts_.clear();
      for (size_t from = 0; from < rows.size(); from += kMaxRows) {
        const size_t to = std::min(rows.size(), from + kMaxRows);
        std::vector<std::string> params;
        std::string sql = "INSERT INTO docs(kind, key, owner, ref, body) VALUES ";
        for (size_t i = from; i < to; ++i) {
          sql += values_row(params.size(), 5) + (i + 1 < to ? "," : "");
          for (auto* v : {&rows[i].kind, &rows[i].key, &rows[i].owner, &rows[i].ref, &rows[i].body})
            params.push_back(std::move(*v));
        }
        sql += " ON CONFLICT (kind, key) DO UPDATE SET owner = excluded.owner, ref = excluded.ref, body = excluded.body";
        c_.run_once(sql, params);
      }
    }
    if (!inserts_.empty()) {
      for (size_t from = 0; from < inserts_.size(); from += kMaxRows) {
        const size_t to = std::min(inserts_.size(), from + kMaxRows);
        std::vector<std::string> params;
        std::string sql = "INSERT INTO events(external_subscription_id, transaction_id, code, ts_us, body) VALUES ";
        for (size_t i = from; i < to; ++i) {
          auto& e = inserts_[i];
          sql += values_row(params.size(), 5) + (i + 1 < to ? "," : "");
          params.insert(params.end(), {std::move(e.external_subscription_id), std::move(e.transaction_id),
                                       std::move(e.code), num(e.timestamp_us), std::move(e.body)});
        }
        sql += " ON CONFLICT DO NOTHING";
        if (c_.run_once(sql, params).affected() != static_cast<int64_t>(to - from))
          throw std::runtime_error("postgresql: an event seen absent under the write lock was present");
      }
      inserts_.clear();
    }
  }

  DocumentPage list(const DocumentQuery& q) override {
    const std::string memo = list_memo(q);
    if (auto it = listed_.find(memo); it != listed_.end()) return it->second;
    flush();
    DocumentPage page = list_uncached(q);
    listed_.emplace(memo, page);
    return page;
  }

  // A document list's WHERE clause and its parameters (kind, then owner and ref when given).
  static std::string list_where(const DocumentQuery& q, std::vector<Param>& params) {
    std::string where = "kind = $1";
    params.push_back(q.kind);
    if (q.owner) {
      params.push_back(*q.owner);
      where += " AND owner = $" + num(static_cast<int64_t>(params.size()));
    }
    if (q.ref) {
      params.push_back(*q.ref);
      where += " AND ref = $" + num(static_cast<int64_t>(params.size()));
    }
    return where;
  }

  // An unpaged list's statement (as list_uncached sends it).
  static std::pair<std::string, std::vector<Param>> list_statement(const DocumentQuery& q) {
    std::vector<Param> params;
    const std::string where = list_where(q, params);
    const auto n = static_cast<int64_t>(params.size());
    params.push_back(Param());
    params.push_back(num(0));
    return {"SELECT key, owner, ref, body FROM docs WHERE " + where + " ORDER BY seq LIMIT $" + num(n + 1) +
                "::bigint OFFSET $" + num(n + 2) + "::bigint",
            params};
  }

  // An unpaged events query of one subscription (as events() sends it).
  static std::pair<std::string, std::vector<Param>> events_statement(const EventQuery& q) {
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

  // Every announced read not known yet, in one round trip (with a read transaction's BEGIN).
  void prefetch(const Prefetch& p) override {
    std::vector<std::pair<std::string, std::vector<Param>>> stmts;
    std::vector<std::function<void(const Result&)>> take;
    std::set<std::string> asked;  // memo keys, each asked once
    const auto full_list = [&](const std::string& kind) {
      const std::string m = list_memo(DocumentQuery{kind, std::nullopt, std::nullopt, 0, -1});
      return listed_.count(m) > 0 || asked.count("l" + m) > 0;
    };
    for (const auto& q : p.lists) {
      if (q.offset != 0 || q.limit != -1) continue;
      const std::string m = list_memo(q);
      if (listed_.count(m) || !asked.insert("l" + m).second) continue;
      stmts.push_back(list_statement(q));
      take.push_back([this, q, m](const Result& r) {
        DocumentPage page;
        for (int i = 0; i < r.rows(); ++i)
          page.items.push_back(Document{q.kind, r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
        page.total = r.rows();
        listed_.emplace(m, std::move(page));
      });
    }
    for (const auto& [kind, key] : p.gets) {
      const auto k = std::make_pair(kind, key);
      if (got_.count(k) || full_list(kind) || !asked.insert("g" + kind + '\x1f' + key).second) continue;
      stmts.push_back({kGet, {kind, key}});
      take.push_back([this, k](const Result& r) {
        std::optional<Document> d;
        if (r.rows() > 0) d = Document{k.first, k.second, r.text(0, 0), r.text(0, 1), r.text(0, 2)};
        got_.emplace(k, std::move(d));
      });
    }
    for (const auto& [kind, from, to] : p.ranges) {
      const std::string m = kind + '\x1f' + from + '\x1f' + to;
      if (ranged_.count(m) || !asked.insert("r" + m).second) continue;
      stmts.push_back({kRange, {kind, from, to}});
      take.push_back([this, m, kind = kind](const Result& r) { ranged_.emplace(m, range_rows(kind, r)); });
    }
    for (const auto& q : p.events) {
      const std::string m = events_memo(q);
      if (m.empty() || evented_.count(m) || !asked.insert("e" + m).second) continue;
      stmts.push_back(events_statement(q));
      take.push_back([this, m](const Result& r) {
        std::vector<EventRecord> items;
        items.reserve(static_cast<size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i)
          items.push_back(EventRecord{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.integer(i, 3), r.text(i, 4)});
        evented_.emplace(m, std::move(items));
      });
    }
    if (stmts.empty()) return;
    flush();
    auto results = c_.pipeline(stmts);
    for (size_t i = 0; i < results.size(); ++i) take[i](results[i]);
  }

  DocumentPage list_uncached(const DocumentQuery& q) {
    std::vector<Param> params;
    const std::string where = list_where(q, params);
    // One round trip: unpaged, the total is the rows' count; paged, count(*) OVER () gives it
    // beside the rows (a separate count only for a page past the end).
    const bool paged = q.offset > 0 || q.limit >= 0;
    const auto n = static_cast<int64_t>(params.size());
    params.push_back(q.limit < 0 ? Param() : Param(num(q.limit)));
    params.push_back(num(std::max<int64_t>(0, q.offset)));
    auto r = c_.run(std::string("SELECT key, owner, ref, body") + (paged ? ", count(*) OVER ()" : "") +
                        " FROM docs WHERE " + where + " ORDER BY seq LIMIT $" + num(n + 1) + "::bigint OFFSET $" +
                        num(n + 2) + "::bigint",
                    params);
    DocumentPage page;
    for (int i = 0; i < r.rows(); ++i)
      page.items.push_back(Document{q.kind, r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
    if (!paged) {
      page.total = r.rows();
    } else if (r.rows() > 0) {
      page.total = r.integer(0, 4);
    } else {
      params.resize(static_cast<size_t>(n));
      page.total = c_.run("SELECT count(*) FROM docs WHERE " + where, params).integer(0, 0);
    }
    return page;
  }

  // Keys compare in byte order: docs.key is COLLATE "C", so the (kind, key) index serves it.
  std::vector<Document> range(std::string_view kind, std::string_view from, std::string_view to) override {
    const std::string memo = std::string(kind) + '\x1f' + std::string(from) + '\x1f' + std::string(to);
    if (auto it = ranged_.find(memo); it != ranged_.end()) return it->second;
    flush();
    auto r = c_.run(kRange, {std::string(kind), std::string(from), std::string(to)});
    return range_rows(kind, r);
  }

  std::vector<Document> range_rows(std::string_view kind, const Result& r) {
    std::vector<Document> out;
    out.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(Document{std::string(kind), r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
    return out;
  }

  bool insert_event(const EventRecord& e) override {
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
  bool insert_all_events(const std::vector<EventRecord>& events) override {
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

  bool has_event(std::string_view sub, std::string_view tx) override {
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
  std::vector<bool> has_events(const std::vector<std::pair<std::string, std::string>>& keys) override {
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

  std::optional<EventRecord> find_event(std::string_view tx) override {
    flush();
    auto r = c_.run("SELECT external_subscription_id, code, ts_us, body FROM events WHERE transaction_id = $1 "
                    "ORDER BY seq DESC LIMIT 1",
                    {std::string(tx)});
    if (r.rows() == 0) return std::nullopt;
    return EventRecord{r.text(0, 0), std::string(tx), r.text(0, 1), r.integer(0, 2), r.text(0, 3)};
  }

  // As the SQLite store: one subscription at a time (each by timestamp, then arrival), in the
  // order the ids are given; an empty list = every event.
  EventPage events(const EventQuery& q) override {
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

 private:
  void require_write() const {
    if (!writable_) throw std::logic_error("write inside a read transaction");
  }
  static constexpr size_t kMaxRows = 1000;  // rows per multi-row statement (5 parameters each)
  static std::string values_row(size_t first, int n) {  // "($first+1, ..., $first+n)"
    std::string r = "(";
    for (int k = 1; k <= n; ++k) r += "$" + std::to_string(first + static_cast<size_t>(k)) + (k < n ? "," : ")");
    return r;
  }
  void forget(const std::string& kind) {
    for (auto it = got_.lower_bound({kind, ""}); it != got_.end() && it->first.first == kind;) it = got_.erase(it);
    forget_lists(kind);
  }
  void forget_ranges(const std::string& kind) {
    for (auto it = ranged_.lower_bound(kind + '\x1f'); it != ranged_.end() && it->first.rfind(kind + '\x1f', 0) == 0;)
      it = ranged_.erase(it);
  }
  static std::string list_memo(const DocumentQuery& q) {
    return q.kind + '\x1f' + (q.owner ? "o" + *q.owner : "-") + '\x1f' + (q.ref ? "r" + *q.ref : "-") + '\x1f' +
           num(q.offset) + '\x1f' + num(q.limit);
  }
  // "" for a query prefetch() does not serve (paged, or not one subscription).
  static std::string events_memo(const EventQuery& q) {
    if (q.external_subscription_ids.size() != 1 || q.offset > 0 || q.limit >= 0) return "";
    return q.external_subscription_ids[0] + '\x1f' + (q.from_us ? num(*q.from_us) : "-") + '\x1f' +
           (q.to_us ? num(*q.to_us) : "-") + '\x1f' + (q.code ? "c" + *q.code : "-");
  }
  void forget_lists(const std::string& kind) {
    for (auto it = listed_.lower_bound(kind + '\x1f'); it != listed_.end() && it->first.rfind(kind + '\x1f', 0) == 0;)
      it = listed_.erase(it);
  }
  Conn& c_;
  bool writable_;
  std::map<std::pair<std::string, std::string>, std::optional<Document>> got_;
  std::map<std::string, DocumentPage> listed_;  // kind \x1f owner \x1f ref \x1f offset \x1f limit
  std::map<std::string, std::vector<Document>> ranged_;     // kind \x1f from \x1f to (prefetched or read)
  std::map<std::string, std::vector<EventRecord>> evented_;  // events_memo(): prefetched
  std::vector<Document> puts_;                   // deferred, in order
  std::vector<EventRecord> inserts_;             // deferred, each in absent_ when deferred
  std::set<std::pair<std::string, std::string>> absent_, inserted_;  // events, by (subscription, transaction)
};

class PgStore final : public Store {
 public:
  explicit PgStore(std::string conninfo) : conninfo_(std::move(conninfo)) {
    auto c = acquire();
    migrate(*c);
    release(std::move(c));
  }

  void transact(Mode mode, const std::function<void(Transaction&)>& fn) override {
    auto c = acquire();
    try {
      if (mode == Mode::write) {
        c->exec(std::string("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(") + kWriteLock +
                ")");  // one round trip
      } else {
        c->defer_begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");  // sent with the first statement
      }
      PgTransaction tx(*c, mode == Mode::write);
      fn(tx);
      tx.flush();
      timing::mark("tx");
      if (mode == Mode::write) c->exec("COMMIT");
      else if (c->began()) c->commit_async();  // a snapshot's end: nothing to wait for
      timing::mark("commit");
    } catch (...) {
      if (!c->began()) {
        // Nothing was sent: nothing to roll back.
      } else if (c->ok()) {
        try {
          c->exec("ROLLBACK");
        } catch (...) {
          c.reset();  // a connection that cannot roll back is not reused
        }
      } else {
        c.reset();
      }
      if (c) release(std::move(c));
      throw;
    }
    release(std::move(c));
  }

  bool try_exclusive(std::string_view name, const std::function<void()>& fn) override {
    auto c = acquire();
    uint64_t h = 14695981039346656037ull;  // FNV-1a: the same key in every build and process
    for (const char ch : name) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
    const std::string key = num(kJobLockBase + static_cast<int64_t>(h % 100000));
    const bool got = c->run("SELECT pg_try_advisory_lock($1::bigint)", {key}).text(0, 0) == "t";
    if (!got) {
      release(std::move(c));
      return false;
    }
    try {
      fn();
    } catch (...) {
      try {
        c->run("SELECT pg_advisory_unlock($1::bigint)", {key});
      } catch (...) {
        c.reset();  // the session ends: the lock goes with it
      }
      if (c) release(std::move(c));
      throw;
    }
    c->run("SELECT pg_advisory_unlock($1::bigint)", {key});
    release(std::move(c));
    return true;
  }

 private:
  std::unique_ptr<Conn> acquire() {
    for (;;) {
      std::unique_ptr<Conn> c;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (idle_.empty()) break;
        c = std::move(idle_.back());
        idle_.pop_back();
      }
      if (!c->ok()) continue;
      try {
        c->settle();  // the last read transaction's COMMIT
      } catch (const std::exception&) {
        continue;  // not reused
      }
      return c;
    }
    return std::make_unique<Conn>(conninfo_);
  }
  void release(std::unique_ptr<Conn> c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (c->ok() && idle_.size() < 32) idle_.push_back(std::move(c));
  }

  // Applies every migration newer than the database's version, each in its own transaction,
  // under a session advisory lock (servers starting together on one database wait their turn).
  void migrate(Conn& c) {
    const int latest = kMigrations.back().first;
    c.exec(std::string("SELECT pg_advisory_lock(") + kMigrateLock + ")");
    try {
      c.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
             "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
      auto r = c.exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
      const int64_t current = r.integer(0, 0);
      if (current > latest)
        throw std::runtime_error("postgresql: the database's schema is version " + num(current) +
                                 ", newer than this server's (" + num(latest) + ")");
      for (const auto& [version, sql] : kMigrations) {
        if (version <= current) continue;
        c.exec(std::string("BEGIN; SELECT pg_advisory_xact_lock(") + kWriteLock + ")");  // no writer beside it
        try {
          c.exec(sql);
          c.exec("INSERT INTO schema_migrations(version) VALUES (" + num(version) + ")");
          c.exec("COMMIT");
        } catch (...) {
          c.exec("ROLLBACK");
          throw;
        }
      }
    } catch (...) {
      if (c.ok()) c.exec(std::string("SELECT pg_advisory_unlock(") + kMigrateLock + ")");
      throw;
    }
    c.exec(std::string("SELECT pg_advisory_unlock(") + kMigrateLock + ")");
  }

  std::string conninfo_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& conninfo) {
  return std::make_unique<PgStore>(conninfo);
}

}  // namespace tariff::server
