// PostgreSQL implementation of Store (store.hpp), on libpq: with pg_conn.hpp (its connection) and
// pg_transaction.hpp (its transaction: documents in pg_transaction.cpp, events in pg_events.cpp),
// the only code that includes libpq-fe.h. Here: the schema and its migrations, the pool, transact.
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

#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "pg_conn.hpp"
#include "pg_transaction.hpp"
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
using pg::num;
using pg::PgTransaction;

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
