// The clock's jobs (billing.hpp): Lago's BillSubscriptionJob moments, asked of the engine.
//
// Per subscription, in time order (ties: starting, periodic, terminating/upgrading):
//   starting      a subscription that is not a plan change's successor, at its start
//                 (the engine issues an invoice only for a plan paid in advance);
//   periodic      at each billing instant B; B is the end of the current usage period the
//                 engine reports at the previous boundary (customer_usage.to_datetime + 1 s),
//                 kept in a cursor ("billing_cursor", <lago_id>) so that a tick reads only;
//                 a downgraded subscription is billed at its last boundary (the engine
//                 terminates it and starts the next plan);
//   terminating   a terminated subscription (ending_at or DELETE) at terminated_at;
//   upgrading     an upgraded one at terminated_at, with the new plan;
//   in advance    one queued event on a charge paid in advance (events.cpp hook).
// The snapshot of a job is the customer's, seen as of the job's instant (as_of below): a later
// termination, upgrade or downgrade is undone in the copy the engine reads, so that a job run
// late (after the request path settled the subscription) bills what it would have on time.
#include "billing_jobs.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>

#include "progressive.hpp"
#include "resources.hpp"
#include "snapshots.hpp"
#include "tariff/decimal.hpp"
#include "tariff/engine.hpp"

namespace tariff::server {
using namespace billing_jobs;
namespace {
ordered_json as_of(const ordered_json& subs, int64_t at);
}  // namespace

ordered_json billing_jobs::engine(Operation op, const ordered_json& snapshot) {
  const Result r = run(op, snapshot.dump());
  if (!r.ok()) throw std::runtime_error(std::string(operation_name(op)) + " " + std::to_string(r.status) + ": " + r.body);
  return parse_stored(r.body);
}

// The snapshot of customer `ext` at `at`, subscriptions as of `view_at`.
ordered_json billing_jobs::snapshot_at(Env& env, Transaction& tx, const std::string& ext, int64_t at, int64_t view_at,
                                       const ordered_json* request) {
  Context ctx = context_at(env, at);
  SnapshotScope scope{ext, {}};
  if (request) {
    scope.aggregates = true;
    scope.request = *request;
  }
  ordered_json snap = build_snapshot(ctx, tx, scope);
  snap["subscriptions"] = as_of(snap["subscriptions"], view_at);
  return snap;
}

namespace {

using namespace billing_jobs;

bool before(const Job& a, const Job& b) {
  if (a.at != b.at) return a.at < b.at;
  return static_cast<int>(a.kind) < static_cast<int>(b.kind);
}

std::string ledger_key(const std::string& lago_id, const std::string& reason, const std::string& what) {
  return lago_id + "|" + reason + "|" + what;
}

// A downgrade's successor: the other row of the same external id names it as next plan and
// carries a downgrade date.
bool downgrade_successor(const ordered_json& subs, const ordered_json& s) {
  for (const auto& o : subs)
    if (string_or(o, "external_id", "") == string_or(s, "external_id", "") &&
        string_or(o, "next_plan_code", "") == string_or(s, "plan_code", "") &&
        has_string(o, "downgrade_plan_date"))
      return true;
  return false;
}

// The customer's subscriptions as they stood at `at` (see the header comment).
ordered_json as_of(const ordered_json& subs, int64_t at) {
  ordered_json out = ordered_json::array();
  // A downgrade requested after `at` (its successor created later) did not exist yet: the
  // successor is left out and the plan it follows keeps no pending change.
  std::set<std::string> later_downgrades;  // external_id + "\n" + the successor's plan
  for (const auto& s : subs) {
    const auto created = instant_of(s, "created_at");
    if (string_or(s, "status", "") == "pending" && has_string(s, "previous_plan_code") && created && *created > at &&
        downgrade_successor(subs, s))
      later_downgrades.insert(string_or(s, "external_id", "") + "\n" + string_or(s, "plan_code", ""));
  }
  for (ordered_json s : subs) {
    const std::string st = string_or(s, "status", "");
    if (st == "canceled") continue;
    const std::string id = string_or(s, "external_id", "");
    if (st == "pending" && later_downgrades.count(id + "\n" + string_or(s, "plan_code", ""))) continue;
    if (has_string(s, "downgrade_plan_date") && later_downgrades.count(id + "\n" + string_or(s, "next_plan_code", ""))) {
      s["next_plan_code"] = nullptr;
      s["downgrade_plan_date"] = nullptr;
    }
    const auto started = instant_of(s, "started_at");
    if (has_string(s, "previous_plan_code") && (st == "pending" || (started && *started >= at))) {
      if (!downgrade_successor(subs, s)) continue;  // an upgrade's successor did not exist yet
      s["status"] = "pending";
      s["started_at"] = nullptr;
      s["terminated_at"] = nullptr;
    } else if (st != "pending" && started && *started > at) {
      s["status"] = "pending";
      s["started_at"] = nullptr;
      s["terminated_at"] = nullptr;
    }
    const auto ended = instant_of(s, "terminated_at");
    if (string_or(s, "status", "") == "terminated" && ended && *ended >= at) {
      s["status"] = "active";
      s["terminated_at"] = nullptr;
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The billing instant after `t`: the end of the usage period containing t, + 1 s.
int64_t next_boundary(Env& env, Transaction& tx, const std::string& ext, const std::string& sub, int64_t t) {
  const ordered_json request = {{"external_subscription_id", sub}};
  ordered_json snap = snapshot_at(env, tx, ext, t, t + 1, &request);
  snap["request"] = request;
  const ordered_json usage = engine(Operation::current_usage, snap);
  const auto to = instant_of(usage["customer_usage"], "to_datetime");
  if (!to) throw std::runtime_error("current_usage: no to_datetime");
  return *to / kSecond * kSecond + kSecond;
}

// ---- finding the next job --------------------------------------------------------------------
std::optional<Job> next_job(Env& env, Transaction& tx, const std::string& ext, int64_t now,
                            const std::set<std::string>& skip, Job& failing) {
  std::optional<Job> best;
  auto offer = [&](Job j) {
    if (!best || before(j, *best)) best = std::move(j);
  };
  ordered_json subs = ordered_json::array();
  for (const auto& d : tx.list(DocumentQuery{"subscription", ext, std::nullopt, 0, -1}).items)
    subs.push_back(parse_stored(d.body));
  for (const auto& s : subs) {
    const std::string lago = string_or(s, "lago_id", ""), st = string_or(s, "status", "");
    const std::string sub_ext = string_or(s, "external_id", "");
    if (lago.empty() || skip.count(lago) || st == "canceled") continue;
    const bool successor = has_string(s, "previous_plan_code");
    const bool downgraded = has_string(s, "next_plan_code") && has_string(s, "downgrade_plan_date");
    auto start = instant_of(s, "started_at");
    if (!start && !successor) start = instant_of(s, "subscription_at");
    if (!start || *start > now) continue;
    if (!successor) {
      Job j{*start, Kind::starting, "subscription_starting", lago, sub_ext, "", "", "", nullptr};
      j.key = ledger_key(lago, j.reason, format_iso(*start));
      if (!tx.get("job", j.key)) {
        offer(std::move(j));
        continue;  // nothing else of it before its start
      }
    }
    if (st == "pending") continue;
    std::optional<int64_t> end;
    if (st == "terminated") end = instant_of(s, "terminated_at");
    auto cursor = load_doc(tx, "billing_cursor", lago);
    if (!cursor || (*cursor)["next"].is_null()) {
      const int64_t from = cursor ? parse_iso(string_or(*cursor, "last", "")).value_or(*start) : *start;
      failing = Job{from, Kind::periodic, "billing_cursor", lago, sub_ext, "", ledger_key(lago, "billing_cursor", format_iso(from)), "", nullptr};
      ordered_json c{{"last", format_iso(from)}, {"next", format_iso(next_boundary(env, tx, ext, sub_ext, from))}};
      save_doc(tx, "billing_cursor", lago, c);
      failing = Job{};
      cursor = c;
    }
    const int64_t next = parse_iso(string_or(*cursor, "next", "")).value_or(INT64_MAX);
    const int64_t end_at = end.value_or(INT64_MAX);
    if (next <= now && (!end || (downgraded ? next <= end_at + kSecond : next < end_at))) {
      Job j{next, Kind::periodic, "subscription_periodic", lago, sub_ext, "", "", "", nullptr};
      j.key = ledger_key(lago, j.reason, format_iso(next));
      offer(std::move(j));
    } else if (end && *end <= now && !downgraded) {
      const bool upgraded = has_string(s, "next_plan_code");
      Job j{*end, Kind::closing, upgraded ? "upgrading" : "subscription_terminating", lago, sub_ext,
            string_or(s, "next_plan_code", ""), "", "", nullptr};
      j.key = ledger_key(lago, j.reason, format_iso(*end));
      if (!tx.get("job", j.key)) offer(std::move(j));
    }
  }
  // Drafts whose grace period ended (Lago's Clock::FinalizeInvoicesJob).
  for (const auto& d : tx.list(DocumentQuery{"draft_invoice", ext, std::nullopt, 0, -1}).items) {
    if (skip.count(d.key)) continue;
    const ordered_json q = parse_stored(d.body);
    const auto at = instant_of(q, "finalize_at");
    if (!at || *at > now) continue;
    Job j{*at, Kind::finalizing, "finalize", string_or(q, "lago_subscription_id", ""),
          string_or(q, "external_subscription_id", ""), "", d.key + "|finalize", d.key, nullptr};
    offer(std::move(j));
  }
  for (const auto& d : tx.list(DocumentQuery{"advance_job", ext, std::nullopt, 0, -1}).items) {
    ordered_json q = parse_stored(d.body);
    const std::string sub_lago = string_or(q, "lago_subscription_id", "");
    if (skip.count(sub_lago) || skip.count(d.key)) continue;
    const auto ts = instant_of(q["event"], "timestamp");
    if (!ts || *ts > now) continue;
    Job j{*ts, Kind::in_advance, "in_advance_charge", sub_lago, string_or(q["event"], "external_subscription_id", ""),
          "", "", d.key, q["event"]};
    j.key = ledger_key(sub_lago, j.reason, string_or(q["event"], "transaction_id", ""));
    offer(std::move(j));
  }
  offer_progressive_checks(tx, ext, now, skip, offer);  // progressive.cpp: usage threshold checks
  return best;
}

// Lago's BillNonInvoiceableFeesJob after a periodic billing or a termination, in the same
// transaction (so exactly once with it): the paid fees of non-invoiceable charges regrouped on
// an `advance_charges` invoice when the plan asks for it (the engine decides which fees).
bool regroup_paid_fees(Env& env, Transaction& tx, const std::string& ext, const Job& job) {
  ordered_json fees = ordered_json::array();
  for (const auto& d : tx.list(DocumentQuery{"fee", ext, job.external_id, 0, -1}).items) {
    ordered_json f = parse_stored(d.body);
    if (f.contains("ref_invoice") || !f.value("lago_invoice_id", ordered_json(nullptr)).is_null()) continue;
    if (string_or(f, "payment_status", "") != "succeeded") continue;
    f.erase("updated_at");  // the server's own key, not a Fee field
    fees.push_back(std::move(f));
  }
  if (fees.empty()) return false;
  const ordered_json request = {{"invoicing_reason", "in_advance_charge_periodic"},
                                {"billing_at", format_iso(job.at)},
                                {"external_subscription_ids", ordered_json::array({job.external_id})}};
  ordered_json snap = snapshot_at(env, tx, ext, job.at, job.at + 1, &request);
  snap["fees"] = std::move(fees);
  snap["request"] = request;
  const ordered_json out = engine(Operation::bill, snap);
  if (out["invoices"].empty()) return false;
  Job regroup = job;
  regroup.kind = Kind::starting;  // no cursor of its own
  regroup.reason = "in_advance_charge_periodic";
  regroup.key = job.key + "|in_advance_charge_periodic";
  regroup.queue_key.clear();
  return apply(env, tx, regroup, ext, out, job.at).issued;
}

}  // namespace

ordered_json billing_jobs::job_request(const Job& j) {
  ordered_json r;
  r["invoicing_reason"] = j.reason;
  if (j.kind == Kind::in_advance) {
    r["event"] = j.event;
    return r;
  }
  r["billing_at"] = format_iso(j.at);
  r["external_subscription_ids"] = ordered_json::array({j.external_id});
  if (j.reason == "upgrading") r["plan_code"] = j.plan_code;
  return r;
}

namespace {

// Runs one job inside tx; false when nothing is due.
bool run_one(Env& env, Transaction& tx, const std::string& ext, int64_t now, const std::set<std::string>& skip,
             BillingRun& stats, Job& job) {
  auto j = next_job(env, tx, ext, now, skip, job);
  if (!j) return false;
  job = *j;
  if (job.kind == Kind::finalizing) {  // the draft's own document is its queue: gone once finalized
    if (finalize_draft_now(env, tx, job.queue_key, job.at)) stats.jobs++, stats.invoices++;
    return true;
  }
  if (tx.get("job", job.key)) {  // done already (another process ran it): catch up and go on
    if (!job.queue_key.empty()) tx.remove("advance_job", job.queue_key);
    if (job.kind == Kind::periodic)
      save_doc(tx, "billing_cursor", job.sub_lago_id, ordered_json{{"last", format_iso(job.at)}, {"next", nullptr}});
    return true;
  }
  // An event paid in advance is priced against the raw events around it (its own among them).
  const ordered_json request = job_request(job);
  ordered_json snap = snapshot_at(env, tx, ext, job.at, job.at, job.kind == Kind::in_advance ? nullptr : &request);
  snap["request"] = request;
  const ordered_json out = engine(Operation::bill, snap);
  const Applied a = apply(env, tx, job, ext, out, job.at);
  if (job.kind == Kind::progressive) finish_progressive_check(context_at(env, job.at), tx, job, out, a);  // progressive.cpp
  stats.jobs++;
  if (a.issued) stats.invoices++;
  if (job.kind == Kind::periodic || job.kind == Kind::closing)
    if (regroup_paid_fees(env, tx, ext, job)) stats.invoices++;
  return true;
}

}  // namespace

BillingRun run_due_jobs(Store& store, IdSource& ids, const Options& options, int64_t now_us,
                        const std::function<bool()>& stop) {
  Env env{store, ids, options, HttpRequest{}};
  env.request.trusted = true;
  BillingRun stats;
  std::vector<std::string> customers;
  store.transact(Store::Mode::read, [&](Transaction& tx) {
    for (const auto& d : tx.list(DocumentQuery{"customer", std::nullopt, std::nullopt, 0, -1}).items)
      customers.push_back(d.key);
  });
  for (const auto& ext : customers) {
    std::set<std::string> skip;
    if (stop && stop()) break;
    for (int guard = 0; guard < 100000 && !(stop && stop()); ++guard) {
      bool more = false;
      Job job;
      try {
        store.transact(Store::Mode::write, [&](Transaction& tx) { more = run_one(env, tx, ext, now_us, skip, stats, job); });
      } catch (const std::exception& e) {
        stats.failures++;
        const std::string what = e.what();
        if (job.key.empty()) break;  // the job could not even be found: this customer waits
        skip.insert(job.kind == Kind::in_advance || job.kind == Kind::finalizing ? job.queue_key : job.sub_lago_id);
        int64_t attempts = 1;
        try {
          store.transact(Store::Mode::write, [&](Transaction& tx) {
            auto prev = load_doc(tx, "billing_failure", job.key);
            ordered_json f;
            f["key"] = job.key;
            f["external_customer_id"] = ext;
            f["external_subscription_id"] = job.external_id;
            f["invoicing_reason"] = job.reason;
            f["at"] = format_iso(job.at);
            f["error"] = what.substr(0, 2000);
            attempts = (prev ? prev->value("attempts", int64_t{0}) : 0) + 1;
            f["attempts"] = attempts;
            f["last_attempt_at"] = format_iso(now_us);
            save_doc(tx, "billing_failure", job.key, f, ext, job.sub_lago_id);
          });
        } catch (const std::exception& e2) {
          std::cerr << "tariff-server: billing: cannot record a failure: " << e2.what() << "\n";
        }
        if ((attempts & (attempts - 1)) == 0)  // attempts 1, 2, 4, 8...: a retry each tick, a log line less often
          std::cerr << "tariff-server: billing " << job.key << " (attempt " << attempts << "): " << what.substr(0, 300)
                    << "\n";
        more = true;
      }
      if (!more) break;
    }
  }
  return stats;
}

}  // namespace tariff::server
