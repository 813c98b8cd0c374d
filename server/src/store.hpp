// Store: the server's one narrow storage interface.
//
// State is a set of JSON documents keyed by (kind, key) — "plan"/"startup", "customer"/"acme",
// "subscription"/<lago_id> — plus an append-only event log unique on
// (external_subscription_id, transaction_id). A document may name an `owner` (the customer's
// external_id, a wallet's lago_id) and a `ref` (a subscription's external_id) so that the
// handlers can list by them without scanning. Everything happens inside transact(): a write
// transaction is serialised, commits when the callback returns and rolls back when it throws,
// and transact() returns only after the commit is durable. Nothing above this header knows
// which database sits below (SQLite or PostgreSQL).
//
// Both stores version their schema (table schema_migrations: one row per version applied;
// version 1 is the schema of docs + events). Opening a store applies the missing versions in
// order; a database from before versioning records version 1; a database newer than the
// server is refused.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace tariff::server {

struct Document {
  std::string kind;
  std::string key;
  std::string owner;  // "" when none
  std::string ref;    // "" when none
  std::string body;   // JSON text
};

struct DocumentQuery {
  std::string kind;
  std::optional<std::string> owner;
  std::optional<std::string> ref;
  int64_t offset = 0;
  int64_t limit = -1;  // -1 = all
};

struct DocumentPage {
  std::vector<Document> items;  // in creation order
  int64_t total = 0;            // matching documents, ignoring offset/limit
};

struct EventRecord {
  std::string external_subscription_id;
  std::string transaction_id;
  std::string code;
  int64_t timestamp_us = 0;  // event time, microseconds since the Unix epoch
  std::string body;          // the stored Lago event JSON
};

struct EventQuery {
  std::vector<std::string> external_subscription_ids;  // empty = every subscription
  std::optional<int64_t> from_us;                      // timestamp >= from_us
  std::optional<int64_t> to_us;                        // timestamp < to_us
  std::optional<std::string> code;
  int64_t offset = 0;
  int64_t limit = -1;  // -1 = all
};

struct EventPage {
  std::vector<EventRecord> items;  // by timestamp, then arrival
  int64_t total = 0;
};

// Reads a transaction is about to make, announced together (Transaction::prefetch): a store
// whose every statement is a round trip sends them at once and answers the calls that follow
// from what it read. Only unpaged lists and events of one subscription are announced.
struct Prefetch {
  std::vector<std::pair<std::string, std::string>> gets;                  // kind, key
  std::vector<DocumentQuery> lists;                                       // offset 0, limit -1
  std::vector<std::tuple<std::string, std::string, std::string>> ranges;  // kind, key_from, key_to
  std::vector<EventQuery> events;                                         // one subscription, unpaged
  bool empty() const { return gets.empty() && lists.empty() && ranges.empty() && events.empty(); }
};

class Transaction {
 public:
  virtual ~Transaction() = default;
  // A hint, never needed for correctness: the reads `p` names will follow (PostgreSQL: one
  // round trip for them all instead of one each; SQLite: nothing, its reads are local).
  virtual void prefetch(const Prefetch& p) { (void)p; }
  virtual std::optional<Document> get(std::string_view kind, std::string_view key) = 0;
  // get() of each key of `kind`, in one go (PostgreSQL: one round trip).
  virtual std::vector<std::optional<Document>> get_many(std::string_view kind, const std::vector<std::string>& keys) {
    std::vector<std::optional<Document>> out;
    out.reserve(keys.size());
    for (const auto& k : keys) out.push_back(get(kind, k));
    return out;
  }
  // Insert or replace; a replaced document keeps its place in creation order.
  virtual void put(const Document& doc) = 0;
  virtual bool remove(std::string_view kind, std::string_view key) = 0;
  virtual DocumentPage list(const DocumentQuery& query) = 0;
  // Documents of `kind` with key_from <= key < key_to (byte order, as C collation), by key,
  // through the (kind, key) index: pre-aggregated usage is read by subscription and time.
  virtual std::vector<Document> range(std::string_view kind, std::string_view key_from,
                                      std::string_view key_to) = 0;

  // False when (external_subscription_id, transaction_id) is already stored: nothing written.
  virtual bool insert_event(const EventRecord& event) = 0;
  // insert_event() of each, in order, in as few statements as the store can (SQLite: one
  // multi-row INSERT per up to 100 events); true where stored.
  virtual std::vector<bool> insert_events(const std::vector<EventRecord>& events) {
    std::vector<bool> out;
    out.reserve(events.size());
    for (const auto& e : events) out.push_back(insert_event(e));
    return out;
  }
  // Every event of `events` or none: false, nothing written, when one is already stored or
  // given twice (the unique index is the duplicate check; SQLite: a savepoint).
  virtual bool insert_all_events(const std::vector<EventRecord>& events) {
    std::vector<std::pair<std::string, std::string>> keys;
    keys.reserve(events.size());
    for (const auto& e : events) keys.emplace_back(e.external_subscription_id, e.transaction_id);
    std::sort(keys.begin(), keys.end());
    if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) return false;
    for (const bool b : has_events(keys))
      if (b) return false;
    for (const bool b : insert_events(events))
      if (!b) throw std::runtime_error("event not stored");
    return true;
  }
  virtual bool has_event(std::string_view external_subscription_id,
                         std::string_view transaction_id) = 0;
  // has_event() of each (external_subscription_id, transaction_id), in one go (PostgreSQL: one
  // round trip for a whole batch instead of one per event).
  virtual std::vector<bool> has_events(const std::vector<std::pair<std::string, std::string>>& keys) {
    std::vector<bool> out;
    out.reserve(keys.size());
    for (const auto& [sub, tx] : keys) out.push_back(has_event(sub, tx));
    return out;
  }
  // Newest event with this transaction id (any subscription).
  virtual std::optional<EventRecord> find_event(std::string_view transaction_id) = 0;
  virtual EventPage events(const EventQuery& query) = 0;
};

class Store {
 public:
  enum class Mode { read, write };
  virtual ~Store() = default;
  // Runs fn inside one transaction. Write: commit (durably) on return, roll back on throw,
  // the exception propagates. Read: a consistent view; writes are refused.
  virtual void transact(Mode mode, const std::function<void(Transaction&)>& fn) = 0;
  // Runs fn unless another holder of `name` (in any process on this database) is running it:
  // false, fn not run. For work that several servers on one database must not do at once
  // (the clock's billing pass). fn runs its own transactions. SQLite: always runs fn (one
  // server per file; its jobs are made idempotent by their ledger rows).
  virtual bool try_exclusive(std::string_view name, const std::function<void()>& fn) {
    (void)name;
    fn();
    return true;
  }
};

// SQLite: one file, WAL, synchronous=FULL. Throws std::runtime_error if it cannot open.
std::unique_ptr<Store> open_sqlite_store(const std::string& path);

// PostgreSQL (libpq): a connection string or URI ("postgresql://user@host:port/db"). Several
// servers may share the database: writes are serialised across them (one advisory lock), reads
// are snapshots that run beside writes. Throws std::runtime_error if it cannot connect.
std::unique_ptr<Store> open_postgres_store(const std::string& conninfo);

// "postgresql://…" or "postgres://…" opens PostgreSQL; anything else is a SQLite file path.
std::unique_ptr<Store> open_store(const std::string& db);
bool is_postgres_url(const std::string& db);

}  // namespace tariff::server
