// The PostgreSQL store's connection (pg_store.cpp, pg_transaction.cpp, pg_events.cpp only):
// libpq statements, prepared once per connection; several sent in one round trip (pipeline
// mode); a read transaction's BEGIN deferred to its first statement and its COMMIT's answer
// read at the connection's next use.
#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "timing.hpp"

namespace tariff::server::pg {

using Param = std::optional<std::string>;

// One query's result; frees itself.
class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result(const Result&) = delete;
  ~Result() { PQclear(r_); }
  int rows() const { return PQntuples(r_); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  int64_t integer(int row, int col) const { return std::stoll(PQgetvalue(r_, row, col)); }
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  int64_t affected() const {
    const char* n = PQcmdTuples(r_);
    return n && *n ? std::stoll(n) : 0;
  }

 private:
  PGresult* r_;
};

// One connection and its prepared statements.
class Conn {
 public:
  explicit Conn(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
    if (!c_ || PQstatus(c_) != CONNECTION_OK) {
      const std::string msg = c_ ? PQerrorMessage(c_) : "out of memory";
      PQfinish(c_);
      throw std::runtime_error("postgresql: cannot connect: " + msg);
    }
    exec("SET synchronous_commit = on");
    exec("SET client_min_messages = warning");
  }
  ~Conn() { PQfinish(c_); }
  Conn(const Conn&) = delete;

  bool ok() const { return PQstatus(c_) == CONNECTION_OK; }

  Result exec(const std::string& sql) {
    timing::statement();
    if (!pending_begin_.empty()) {  // one simple query for both
      const std::string both = pending_begin_ + "; " + sql;
      pending_begin_.clear();
      return check(PQexec(c_, both.c_str()), both);
    }
    return check(PQexec(c_, sql.c_str()), sql);
  }

  // A read transaction's BEGIN is sent with its first statement (one round trip for both); a
  // transaction that ran no statement sends neither BEGIN nor COMMIT.
  void defer_begin(std::string sql) { pending_begin_ = std::move(sql); }
  // False when the deferred BEGIN was never sent (nothing to end).
  bool began() {
    if (pending_begin_.empty()) return true;
    pending_begin_.clear();
    return false;
  }

  // Sends COMMIT without waiting for its answer (a read-only transaction's: nothing to make
  // durable); settle() reads the answer before the connection's next use.
  void commit_async() {
    timing::statement();
    if (!PQsendQuery(c_, "COMMIT")) throw std::runtime_error(std::string("postgresql: ") + PQerrorMessage(c_));
    unsettled_ = true;
  }
  // Reads the answers still due (commit_async); throws if one failed.
  void settle() {
    if (!unsettled_) return;
    unsettled_ = false;
    std::string error;
    while (PGresult* r = PQgetResult(c_)) {
      const auto st = PQresultStatus(r);
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && error.empty()) error = PQresultErrorMessage(r);
      PQclear(r);
    }
    if (!error.empty() || PQstatus(c_) != CONNECTION_OK)
      throw std::runtime_error("postgresql: " + (error.empty() ? std::string(PQerrorMessage(c_)) : error));
  }

  // Several prepared statements in one round trip (libpq's pipeline mode), with the deferred
  // BEGIN if any; one Result each, in order. Throws on the first failure (the transaction is
  // then aborted, as after any failed statement).
  std::vector<Result> pipeline(const std::vector<std::pair<std::string, std::vector<Param>>>& stmts) {
    timing::statement();
    if (PQenterPipelineMode(c_) != 1) throw std::runtime_error(std::string("postgresql: ") + PQerrorMessage(c_));
    std::string error;
    // What each answer is: 'b' BEGIN, 'p' a PREPARE, 'q' a query.
    std::vector<char> expect;
    std::vector<std::pair<std::string, std::string>> preparing;  // sql, name
    const auto sent = [&](int ok) {
      if (!ok && error.empty()) error = PQerrorMessage(c_);
    };
    if (!pending_begin_.empty()) {
      sent(PQsendQueryParams(c_, pending_begin_.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
      expect.push_back('b');
      pending_begin_.clear();
    }
    std::vector<std::string> names;
    for (const auto& [sql, params] : stmts) {
      auto it = prepared_.find(sql);
      std::string name;
      if (it != prepared_.end()) {
        name = it->second;
      } else {
        name = "s" + std::to_string(prepared_.size() + preparing.size());
        bool queued = false;  // prepared earlier in this same pipeline
        for (const auto& [psql, pname] : preparing)
          if (psql == sql) name = pname, queued = true;
        if (!queued) {
          sent(PQsendPrepare(c_, name.c_str(), sql.c_str(), 0, nullptr));
          expect.push_back('p');
          preparing.emplace_back(sql, name);
        }
      }
      std::vector<const char*> values;
      std::vector<int> lengths;
      for (const auto& p : params) {
        values.push_back(p ? p->data() : nullptr);
        lengths.push_back(p ? static_cast<int>(p->size()) : 0);
      }
      sent(PQsendQueryPrepared(c_, name.c_str(), static_cast<int>(params.size()), values.data(), lengths.data(),
                               nullptr, 0));
      expect.push_back('q');
    }
    const bool synced = PQpipelineSync(c_) == 1;
    sent(synced);
    std::vector<Result> out;
    out.reserve(stmts.size());
    size_t prep = 0;
    for (const char e : expect) {
      PGresult* r = PQgetResult(c_);
      const auto st = PQresultStatus(r);
      const bool good = r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
      if (!good && error.empty()) error = r ? PQresultErrorMessage(r) : PQerrorMessage(c_);
      if (e == 'p' && good) prepared_.emplace(preparing[prep].first, preparing[prep].second);
      if (e == 'p') ++prep;
      if (e == 'q') out.emplace_back(r);
      else PQclear(r);
      if (r) {
        while (PGresult* extra = PQgetResult(c_)) PQclear(extra);  // the NULL that ends each answer
      }
    }
    while (synced) {  // up to the sync point
      PGresult* r = PQgetResult(c_);
      if (!r) {
        if (PQstatus(c_) != CONNECTION_OK) break;
        continue;
      }
      const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync) break;
    }
    PQexitPipelineMode(c_);
    if (!error.empty()) {
      while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
      throw std::runtime_error("postgresql: " + error + " (pipeline of " + std::to_string(stmts.size()) + ")");
    }
    return out;
  }

  Result run(const std::string& sql, const std::vector<Param>& params) {
    if (!pending_begin_.empty()) return std::move(pipeline({{sql, params}})[0]);
    timing::statement();
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      const std::string name = "s" + std::to_string(prepared_.size());
      check(PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr), sql);
      it = prepared_.emplace(sql, name).first;
    }
    std::vector<const char*> values;
    std::vector<int> lengths;
    for (const auto& p : params) {
      values.push_back(p ? p->data() : nullptr);
      lengths.push_back(p ? static_cast<int>(p->size()) : 0);
    }
    return check(PQexecPrepared(c_, it->second.c_str(), static_cast<int>(params.size()), values.data(),
                                lengths.data(), nullptr, 0),
                 sql);
  }

  // A statement run once (multi-row writes of varying size): not prepared.
  Result run_once(const std::string& sql, const std::vector<std::string>& params) {
    timing::statement();
    std::vector<const char*> values;
    std::vector<int> lengths;
    for (const auto& p : params) {
      values.push_back(p.data());
      lengths.push_back(static_cast<int>(p.size()));
    }
    return check(PQexecParams(c_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                              lengths.data(), nullptr, 0),
                 sql);
  }

 private:
  Result check(PGresult* r, const std::string& sql) {
    const auto st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Result(r);
    std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c_);
    PQclear(r);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw std::runtime_error("postgresql: " + msg + " (" + sql.substr(0, 80) + ")");
  }

  PGconn* c_;
  std::map<std::string, std::string> prepared_;  // SQL text -> statement name
  std::string pending_begin_;                    // a read transaction's BEGIN, not sent yet
  bool unsettled_ = false;                       // a COMMIT's answer not read yet
};

}  // namespace tariff::server::pg
