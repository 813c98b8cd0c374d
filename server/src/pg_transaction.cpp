// The PostgreSQL store's documents (pg_transaction.hpp): reads kept for the transaction,
// writes deferred and sent together, lists, ranges and the prefetch of announced reads.
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

#include "pg_transaction.hpp"

namespace tariff::server::pg {

std::optional<Document> PgTransaction::get(std::string_view kind, std::string_view key) {
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

std::vector<std::optional<Document>> PgTransaction::get_many(std::string_view kind, const std::vector<std::string>& keys) {
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

void PgTransaction::put(const Document& d) {
  require_write();
  forget_lists(d.kind);
  forget_ranges(d.kind);
  got_[{d.kind, d.key}] = d;
  puts_.push_back(d);
  if (puts_.size() >= kMaxRows) flush();
}

bool PgTransaction::remove(std::string_view kind, std::string_view key) {
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
void PgTransaction::flush() {
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

DocumentPage PgTransaction::list(const DocumentQuery& q) {
  const std::string memo = list_memo(q);
  if (auto it = listed_.find(memo); it != listed_.end()) return it->second;
  flush();
  DocumentPage page = list_uncached(q);
  listed_.emplace(memo, page);
  return page;
}

// A document list's WHERE clause and its parameters (kind, then owner and ref when given).
std::string PgTransaction::list_where(const DocumentQuery& q, std::vector<Param>& params) {
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
std::pair<std::string, std::vector<Param>> PgTransaction::list_statement(const DocumentQuery& q) {
  std::vector<Param> params;
  const std::string where = list_where(q, params);
  const auto n = static_cast<int64_t>(params.size());
  params.push_back(Param());
  params.push_back(num(0));
  return {"SELECT key, owner, ref, body FROM docs WHERE " + where + " ORDER BY seq LIMIT $" + num(n + 1) +
              "::bigint OFFSET $" + num(n + 2) + "::bigint",
          params};
}

// Every announced read not known yet, in one round trip (with a read transaction's BEGIN).
void PgTransaction::prefetch(const Prefetch& p) {
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

DocumentPage PgTransaction::list_uncached(const DocumentQuery& q) {
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
std::vector<Document> PgTransaction::range(std::string_view kind, std::string_view from, std::string_view to) {
  const std::string memo = std::string(kind) + '\x1f' + std::string(from) + '\x1f' + std::string(to);
  if (auto it = ranged_.find(memo); it != ranged_.end()) return it->second;
  flush();
  auto r = c_.run(kRange, {std::string(kind), std::string(from), std::string(to)});
  return range_rows(kind, r);
}

std::vector<Document> PgTransaction::range_rows(std::string_view kind, const Result& r) {
  std::vector<Document> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(Document{std::string(kind), r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
  return out;
}

}  // namespace tariff::server::pg
