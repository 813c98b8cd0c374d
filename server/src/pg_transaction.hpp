// The PostgreSQL store's transaction (pg_store.cpp): documents in pg_transaction.cpp, events in
// pg_events.cpp. Internal to the store; only pg_*.cpp include it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "pg_conn.hpp"
#include "store.hpp"

namespace tariff::server::pg {

inline std::string num(int64_t v) { return std::to_string(v); }

// One element of a text[] literal: quoted, with its quotes and backslashes escaped.
inline void append_array_item(std::string& out, const std::string& v) {
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
  // Documents (pg_transaction.cpp).
  std::optional<Document> get(std::string_view kind, std::string_view key) override;
  std::vector<std::optional<Document>> get_many(std::string_view kind, const std::vector<std::string>& keys) override;
  void put(const Document& d) override;
  bool remove(std::string_view kind, std::string_view key) override;
  void flush();
  DocumentPage list(const DocumentQuery& q) override;
  static std::string list_where(const DocumentQuery& q, std::vector<Param>& params);
  static std::pair<std::string, std::vector<Param>> list_statement(const DocumentQuery& q);
  void prefetch(const Prefetch& p) override;
  DocumentPage list_uncached(const DocumentQuery& q);
  std::vector<Document> range(std::string_view kind, std::string_view from, std::string_view to) override;
  std::vector<Document> range_rows(std::string_view kind, const Result& r);

  // Events (pg_events.cpp).
  static std::pair<std::string, std::vector<Param>> events_statement(const EventQuery& q);
  bool insert_event(const EventRecord& e) override;
  bool insert_all_events(const std::vector<EventRecord>& events) override;
  bool has_event(std::string_view sub, std::string_view tx) override;
  std::vector<bool> has_events(const std::vector<std::pair<std::string, std::string>>& keys) override;
  std::optional<EventRecord> find_event(std::string_view tx) override;
  EventPage events(const EventQuery& q) override;

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

}  // namespace tariff::server::pg
