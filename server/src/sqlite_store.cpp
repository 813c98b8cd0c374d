// SQLite implementation of Store (store.hpp): the only file that includes sqlite3.h.
//
// One writer connection behind a mutex: write transactions run one at a time, which keeps the
// semantics trivially serialisable; WAL + synchronous=FULL make every COMMIT durable before
// transact() returns, so an acknowledged write survives a crash or a SIGKILL. Read
// transactions run on a small pool of reader connections: under WAL each sees the last
// commit and neither waits for the writer nor holds it (calculations never block ingestion).
//   docs(kind, key) PRIMARY KEY, seq gives creation order, owner/ref indexed
//   events(seq) with UNIQUE(external_subscription_id, transaction_id)
//   schema_migrations(version): the versions applied (kMigrations, applied on open)
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "store.hpp"
#include "timing.hpp"

namespace tariff::server {
namespace {

// Version N's statements; a version is applied once, in its own transaction, in order.
// Version 1 is the schema every database had before versioning: "IF NOT EXISTS" lets a file
// made before schema_migrations existed record it without change.
const std::vector<std::pair<int, const char*>> kMigrations = {
    {1, R"sql(
CREATE TABLE IF NOT EXISTS docs (
  seq   INTEGER PRIMARY KEY AUTOINCREMENT,
  kind  TEXT NOT NULL,
  key   TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT '',
  ref   TEXT NOT NULL DEFAULT '',
  body  TEXT NOT NULL,
  UNIQUE (kind, key)
);
CREATE INDEX IF NOT EXISTS docs_owner ON docs(kind, owner);
CREATE INDEX IF NOT EXISTS docs_ref ON docs(kind, ref);
CREATE TABLE IF NOT EXISTS events (
  seq   INTEGER PRIMARY KEY AUTOINCREMENT,
  external_subscription_id TEXT NOT NULL,
  transaction_id TEXT NOT NULL,
  code  TEXT NOT NULL,
  ts_us INTEGER NOT NULL,
  body  TEXT NOT NULL,
  UNIQUE (external_subscription_id, transaction_id)
);
CREATE INDEX IF NOT EXISTS events_sub_ts ON events(external_subscription_id, ts_us);
CREATE INDEX IF NOT EXISTS events_tx ON events(transaction_id);
)sql"},
    // Every document of a kind in creation order (the catalog of each calculation) from an
    // index, whatever the statistics: with ANALYZE's, a kind-only list scanned the whole table
    // in rowid order rather than sort the kind's rows from docs_ref (1.2 s a call at 10M events).
    {2, R"sql(
CREATE INDEX IF NOT EXISTS docs_kind ON docs(kind, seq);
)sql"},
};

[[noreturn]] void fail(sqlite3* db, const char* what) {
  throw std::runtime_error(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db));
}

// A prepared statement bound and stepped in one scope; reset on destruction.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt& text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Bound in place: the text must outlive the statement's steps (until it is reset).
  Stmt& view(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& integer(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  bool row() {  // true while a row is available
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "step");
  }
  int step_status() { return sqlite3_step(s_); }
  std::string col_text(int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string();
  }
  int64_t col_int(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

// A connection with its own lock and statement cache.
struct Conn {
  sqlite3* db = nullptr;
  std::mutex mu;
  std::map<std::string, sqlite3_stmt*> cache;  // keyed by SQL text; used under mu

  Stmt prepare(const char* sql) {
    timing::statement();
    auto it = cache.find(sql);
    if (it == cache.end()) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) fail(db, "prepare");
      it = cache.emplace(sql, s).first;
    }
    return Stmt(db, it->second);
  }
  ~Conn() {
    for (auto& [sql, s] : cache) sqlite3_finalize(s);
    sqlite3_close(db);
  }
};

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(Conn& store, bool writable) : store_(store), writable_(writable) {}
  std::optional<Document> get(std::string_view kind, std::string_view key) override;
  void put(const Document& doc) override;
  bool remove(std::string_view kind, std::string_view key) override;
  DocumentPage list(const DocumentQuery& q) override;
  std::vector<Document> range(std::string_view kind, std::string_view from, std::string_view to) override;
  bool insert_event(const EventRecord& e) override;
  std::vector<bool> insert_events(const std::vector<EventRecord>& events) override;
  bool insert_all_events(const std::vector<EventRecord>& events) override;
  bool has_event(std::string_view sub, std::string_view tx) override;
  std::optional<EventRecord> find_event(std::string_view tx) override;
  EventPage events(const EventQuery& q) override;

 private:
  void require_write() const {
    if (!writable_) throw std::logic_error("write inside a read transaction");
  }
  Conn& store_;
  bool writable_;
};

class SqliteStore final : public Store {
 public:
  static constexpr int kReaders = 4;

  explicit SqliteStore(const std::string& path) {
    open(path, w_);
    exec(w_.db, "PRAGMA journal_mode=WAL");
    // FULL, not NORMAL: a COMMIT returns after its WAL frames are fsynced. NORMAL would still
    // keep every acknowledged write across a SIGKILL (the frames reached the OS with write()
    // before COMMIT returned, and the kernel writes them out whatever becomes of the process)
    // but not across a power cut or a kernel crash. Ingestion does not need it: concurrent
    // requests share one COMMIT (usage.cpp's group commit), so one fsync covers hundreds of events.
    exec(w_.db, "PRAGMA synchronous=FULL");
    exec(w_.db, "PRAGMA foreign_keys=ON");
    // The writer keeps the hot pages of the event indexes in memory (64 MiB instead of 2):
    // ingestion then reads no index page back from the file.
    exec(w_.db, "PRAGMA cache_size=-65536");
    migrate();  // on a throw, the connections close with their members
    for (auto& r : readers_) open(path, r);
  }

  void transact(Mode mode, const std::function<void(Transaction&)>& fn) override {
    Conn& c = mode == Mode::write ? writer() : reader();
    std::unique_lock<std::mutex> lock(c.mu, std::adopt_lock);
    // BEGIN and COMMIT as cached statements: not parsed again for every transaction.
    c.prepare(mode == Mode::write ? "BEGIN IMMEDIATE" : "BEGIN").row();
    timing::mark("begin");
    SqliteTransaction tx(c, mode == Mode::write);
    try {
      fn(tx);
    } catch (...) {
      sqlite3_exec(c.db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    if (c.prepare("COMMIT").step_status() != SQLITE_DONE) {
      const std::string msg = sqlite3_errmsg(c.db);
      sqlite3_exec(c.db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw std::runtime_error("sqlite: commit: " + msg);
    }
  }

 private:
  static void open(const std::string& path, Conn& c) {
    if (sqlite3_open_v2(path.c_str(), &c.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string msg = c.db ? sqlite3_errmsg(c.db) : "out of memory";
      throw std::runtime_error("sqlite: cannot open " + path + ": " + msg);
    }
    sqlite3_busy_timeout(c.db, 5000);
  }
  static void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(std::string("sqlite: ") + msg);
    }
  }
  Conn& writer() {
    w_.mu.lock();
    return w_;
  }
  // A free reader, else wait for one (returned locked).
  Conn& reader() {
    for (auto& r : readers_)
      if (r.mu.try_lock()) return r;
    Conn& r = readers_[next_.fetch_add(1) % kReaders];
    r.mu.lock();
    return r;
  }

  // Applies every migration newer than the file's version, each in one IMMEDIATE transaction
  // (a second process opening the same file waits, then finds it done).
  void migrate() {
    const int latest = kMigrations.back().first;
    exec(w_.db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
    for (const auto& [version, sql] : kMigrations) {
      exec(w_.db, "BEGIN IMMEDIATE");
      try {
        int64_t current = 0;
        {
          auto s = w_.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
          if (s.row()) current = s.col_int(0);
        }
        if (current > latest)
          throw std::runtime_error("sqlite: the database's schema is version " + std::to_string(current) +
                                   ", newer than this server's (" + std::to_string(latest) + ")");
        if (version > current) {
          exec(w_.db, sql);
          auto s = w_.prepare("INSERT INTO schema_migrations(version) VALUES (?1)");
          s.integer(1, version);
          s.row();
        }
        exec(w_.db, "COMMIT");
      } catch (...) {
        sqlite3_exec(w_.db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
  }

  Conn w_;  // the writer
  Conn readers_[kReaders];
  std::atomic<unsigned> next_{0};
};

std::optional<Document> SqliteTransaction::get(std::string_view kind, std::string_view key) {
  auto s = store_.prepare("SELECT owner, ref, body FROM docs WHERE kind = ?1 AND key = ?2");
  s.text(1, kind).text(2, key);
  if (!s.row()) return std::nullopt;
  return Document{std::string(kind), std::string(key), s.col_text(0), s.col_text(1),
                  s.col_text(2)};
}

void SqliteTransaction::put(const Document& d) {
  require_write();
  auto s = store_.prepare(
      "INSERT INTO docs(kind, key, owner, ref, body) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(kind, key) DO UPDATE SET owner = excluded.owner, ref = excluded.ref, "
      "body = excluded.body");
  s.text(1, d.kind).text(2, d.key).text(3, d.owner).text(4, d.ref).text(5, d.body);
  s.row();
}

bool SqliteTransaction::remove(std::string_view kind, std::string_view key) {
  require_write();
  auto s = store_.prepare("DELETE FROM docs WHERE kind = ?1 AND key = ?2");
  s.text(1, kind).text(2, key);
  s.row();
  return sqlite3_changes(store_.db) > 0;
}

DocumentPage SqliteTransaction::list(const DocumentQuery& q) {
  // Only the filters given are in the SQL: "(?2 IS NULL OR owner = ?2)" would keep SQLite
  // from using docs_owner / docs_ref (every lookup by customer scanned the whole kind).
  std::string where = "kind = ?1";
  if (q.owner) where += " AND owner = ?2";
  if (q.ref) where += " AND ref = ?3";
  DocumentPage page;
  const bool paged = q.offset > 0 || q.limit >= 0;
  if (paged) {  // unpaged, the total is the rows' count
    auto c = store_.prepare(("SELECT count(*) FROM docs WHERE " + where).c_str());
    c.text(1, q.kind);
    if (q.owner) c.text(2, *q.owner);
    if (q.ref) c.text(3, *q.ref);
    if (c.row()) page.total = c.col_int(0);
  }
  auto s = store_.prepare(("SELECT key, owner, ref, body FROM docs WHERE " + where +
                           " ORDER BY seq LIMIT ?4 OFFSET ?5").c_str());
  s.text(1, q.kind);
  if (q.owner) s.text(2, *q.owner);
  if (q.ref) s.text(3, *q.ref);
  s.integer(4, q.limit).integer(5, q.offset);
  while (s.row())
    page.items.push_back(Document{q.kind, s.col_text(0), s.col_text(1), s.col_text(2),
                                  s.col_text(3)});
  if (!paged) page.total = static_cast<int64_t>(page.items.size());
  return page;
}

std::vector<Document> SqliteTransaction::range(std::string_view kind, std::string_view from,
                                               std::string_view to) {
  // TEXT compares with BINARY collation (memcmp): byte order, served by UNIQUE(kind, key).
  auto s = store_.prepare(
      "SELECT key, owner, ref, body FROM docs WHERE kind = ?1 AND key >= ?2 AND key < ?3 ORDER BY key");
  s.text(1, kind).text(2, from).text(3, to);
  std::vector<Document> out;
  while (s.row())
    out.push_back(Document{std::string(kind), s.col_text(0), s.col_text(1), s.col_text(2), s.col_text(3)});
  return out;
}

bool SqliteTransaction::insert_event(const EventRecord& e) {
  require_write();
  auto s = store_.prepare(
      "INSERT INTO events(external_subscription_id, transaction_id, code, ts_us, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING");
  s.text(1, e.external_subscription_id).text(2, e.transaction_id).text(3, e.code);
  s.integer(4, e.timestamp_us).text(5, e.body);
  s.row();
  return sqlite3_changes(store_.db) > 0;
}

// Up to kRows events a statement: one statement's work (and one AUTOINCREMENT bookkeeping
// write) for many rows. RETURNING names the rows stored, so a conflict (an event already
// there) is reported per event as insert_event() reports it.
std::vector<bool> SqliteTransaction::insert_events(const std::vector<EventRecord>& events) {
  require_write();
  constexpr size_t kRows = 100;
  std::vector<bool> out(events.size(), false);
  for (size_t from = 0; from < events.size(); from += kRows) {
    const size_t n = std::min(kRows, events.size() - from);
    std::string sql = "INSERT INTO events(external_subscription_id, transaction_id, code, ts_us, body) VALUES ";
    for (size_t i = 0; i < n; ++i) sql += i ? ",(?,?,?,?,?)" : "(?,?,?,?,?)";
    sql += " ON CONFLICT DO NOTHING RETURNING external_subscription_id, transaction_id";
    auto s = store_.prepare(sql.c_str());  // cached: one statement per row count
    std::map<std::pair<std::string, std::string>, size_t> at;
    for (size_t i = 0; i < n; ++i) {
      const EventRecord& e = events[from + i];
      const int b = static_cast<int>(i * 5);
      s.text(b + 1, e.external_subscription_id).text(b + 2, e.transaction_id).text(b + 3, e.code);
      s.integer(b + 4, e.timestamp_us).text(b + 5, e.body);
      at.emplace(std::make_pair(e.external_subscription_id, e.transaction_id), from + i);
    }
    while (s.row()) {
      auto it = at.find({s.col_text(0), s.col_text(1)});
      if (it != at.end()) out[it->second] = true;
    }
  }
  return out;
}

// One multi-row INSERT per up to 100 events inside a savepoint; a conflict (fewer rows
// changed than given) rolls the savepoint back. Bound without copies: the records outlive
// each statement's step.
bool SqliteTransaction::insert_all_events(const std::vector<EventRecord>& events) {
  require_write();
  constexpr size_t kRows = 100;
  const auto exec = [&](const char* sql) {
    if (sqlite3_exec(store_.db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(store_.db, sql);
  };
  store_.prepare("SAVEPOINT insert_all").row();
  bool all = true;
  try {
    for (size_t from = 0; from < events.size() && all; from += kRows) {
      const size_t n = std::min(kRows, events.size() - from);
      std::string sql = "INSERT INTO events(external_subscription_id, transaction_id, code, ts_us, body) VALUES ";
      for (size_t i = 0; i < n; ++i) sql += i ? ",(?,?,?,?,?)" : "(?,?,?,?,?)";
      sql += " ON CONFLICT DO NOTHING";
      auto s = store_.prepare(sql.c_str());  // cached: one statement per row count
      for (size_t i = 0; i < n; ++i) {
        const EventRecord& e = events[from + i];
        const int b = static_cast<int>(i * 5);
        s.view(b + 1, e.external_subscription_id).view(b + 2, e.transaction_id).view(b + 3, e.code);
        s.integer(b + 4, e.timestamp_us).view(b + 5, e.body);
      }
      s.row();
      all = static_cast<size_t>(sqlite3_changes(store_.db)) == n;
    }
  } catch (...) {
    sqlite3_exec(store_.db, "ROLLBACK TO insert_all; RELEASE insert_all", nullptr, nullptr, nullptr);
    throw;
  }
  if (all) store_.prepare("RELEASE insert_all").row();
  else exec("ROLLBACK TO insert_all; RELEASE insert_all");
  return all;
}

bool SqliteTransaction::has_event(std::string_view sub, std::string_view tx) {
  auto s = store_.prepare(
      "SELECT 1 FROM events WHERE external_subscription_id = ?1 AND transaction_id = ?2");
  s.text(1, sub).text(2, tx);
  return s.row();
}

std::optional<EventRecord> SqliteTransaction::find_event(std::string_view tx) {
  auto s = store_.prepare(
      "SELECT external_subscription_id, code, ts_us, body FROM events WHERE transaction_id = ?1 "
      "ORDER BY seq DESC LIMIT 1");
  s.text(1, tx);
  if (!s.row()) return std::nullopt;
  return EventRecord{s.col_text(0), std::string(tx), s.col_text(1), s.col_int(2), s.col_text(3)};
}

EventPage SqliteTransaction::events(const EventQuery& q) {
  EventPage page;
  // One subscription at a time keeps the SQL static (and indexed); an empty list = all.
  std::vector<std::optional<std::string>> subs;
  if (q.external_subscription_ids.empty()) subs.push_back(std::nullopt);
  for (const auto& id : q.external_subscription_ids) subs.push_back(id);
  const bool paged = q.offset > 0 || q.limit >= 0;
  // Only the filters given are in the SQL, so that events_sub_ts serves a subscription's
  // window ("(?1 IS NULL OR external_subscription_id = ?1)" scanned every event).
  auto where = [&](const std::optional<std::string>& sub) {
    std::string w = "1";
    if (sub) w += " AND external_subscription_id = ?1";
    if (q.from_us) w += " AND ts_us >= ?2";
    if (q.to_us) w += " AND ts_us < ?6";
    if (q.code) w += " AND code = ?3";
    return w;
  };
  for (const auto& sub : subs) {
    if (!paged) break;  // every row is read below: no count query
    auto c = store_.prepare(("SELECT count(*) FROM events WHERE " + where(sub)).c_str());
    if (sub) c.text(1, *sub);
    c.integer(2, q.from_us.value_or(INT64_MIN));
    if (q.to_us) c.integer(6, *q.to_us);
    if (q.code) c.text(3, *q.code);
    if (c.row()) page.total += c.col_int(0);
  }
  for (const auto& sub : subs) {
    auto s = store_.prepare(
        ("SELECT external_subscription_id, transaction_id, code, ts_us, body FROM events WHERE " +
         where(sub) + " ORDER BY ts_us, seq LIMIT ?4 OFFSET ?5").c_str());
    if (sub) s.text(1, *sub);
    const bool in_sql = subs.size() == 1;  // one query: let SQLite page
    s.integer(4, in_sql ? q.limit : -1).integer(5, in_sql ? q.offset : 0);
    s.integer(2, q.from_us.value_or(INT64_MIN));
    if (q.to_us) s.integer(6, *q.to_us);
    if (q.code) s.text(3, *q.code);
    while (s.row())
      page.items.push_back(EventRecord{s.col_text(0), s.col_text(1), s.col_text(2),
                                       s.col_int(3), s.col_text(4)});
  }
  if (!paged) page.total = static_cast<int64_t>(page.items.size());
  if (paged && subs.size() > 1) {  // several endpoints page through one subscription or all: slice here
    const auto n = static_cast<int64_t>(page.items.size());
    const int64_t from = std::min(q.offset, n);
    const int64_t to = q.limit < 0 ? n : std::min(n, from + q.limit);
    page.items = std::vector<EventRecord>(page.items.begin() + from, page.items.begin() + to);
  }
  return page;
}

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace tariff::server
