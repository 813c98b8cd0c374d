// The Deliverer (webhooks.hpp): posts the outbox's webhooks, as Lago's Webhooks::SendHttpService.
//
// A webhook document's `ref` says where it is: "due" (pending, or asked again: post at once),
// "retry" (failed, posted again at next_attempt_at) or "done" (succeeded, or failed for good).
// A pass reads what is due in one read transaction and hands each endpoint's webhooks to a lane
// (a thread) of its own; a lane posts them in order, outside any transaction (cpp-httplib, with
// the endpoint's current URL and signature algorithm, as Lago reads them at send time), then
// records the attempt in a write transaction of its own, so a slow endpoint delays only itself.
// A crash between the post and its record posts the webhook again after a restart, with the
// same X-Lago-Unique-Key (at least once). Back-off and attempt times are wall-clock times:
// `--now` freezes billing, not the network.
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <date/date.h>
#include <map>
#include <random>

#include "resources.hpp"
#include "webhooks.hpp"
#include "webhooks_crypto.hpp"

namespace tariff::server::webhooks {
namespace {

// Lago's LagoHttpClient::Client::RESPONSE_SUCCESS_CODES.
bool success(int status) { return status == 200 || status == 201 || status == 202 || status == 204; }

std::string iso_ms(int64_t us) {
  using namespace std::chrono;
  return date::format("%FT%TZ", date::sys_time<milliseconds>{milliseconds{us / 1000}});
}

// Text kept in a JSON document: at most 2000 bytes, invalid UTF-8 replaced (U+FFFD).
std::string loggable(const std::string& text) {
  const std::string cut = text.substr(0, 2000);
  return json::parse(json(cut).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

struct Outcome {
  std::optional<int> http_status;
  std::string response;
  bool ok = false;
};

Outcome post(const Url& url, const std::string& body, const httplib::Headers& headers, double timeout_s) {
  Outcome o;
  httplib::Client client(url.scheme + "://" + url.host + ":" + std::to_string(url.port));
  const auto sec = static_cast<time_t>(timeout_s);
  const auto usec = static_cast<time_t>((timeout_s - static_cast<double>(sec)) * 1e6);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
  auto res = client.Post(url.target, headers, body, "application/json");
  if (!res) {
    o.response = httplib::to_string(res.error());
    return o;
  }
  o.http_status = res->status;
  o.response = res->body;
  o.ok = success(res->status);
  return o;
}

}  // namespace

std::optional<Url> parse_url(const std::string& text) {
  Url u;
  const auto sep = text.find("://");
  if (sep == std::string::npos) return std::nullopt;
  u.scheme = text.substr(0, sep);
  for (char& c : u.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  const std::string rest = text.substr(sep + 3);
  const auto slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (const auto hash = u.target.find('#'); hash != std::string::npos) u.target.resize(hash);
  if (u.target.empty() || u.target[0] != '/') u.target = "/" + u.target;
  for (char c : text)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return std::nullopt;
  if (authority.empty() || authority.find('@') != std::string::npos) return std::nullopt;
  u.port = u.scheme == "https" ? 443 : 80;
  if (authority[0] == '[') {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    u.host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority[0] != ':') return std::nullopt;
  } else {
    const auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    authority = colon == std::string::npos ? "" : authority.substr(colon);
  }
  if (u.host.empty()) return std::nullopt;
  if (!authority.empty()) {  // ":port"
    const std::string p = authority.substr(1);
    if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return std::nullopt;
    u.port = std::stoi(p);
    if (u.port < 1 || u.port > 65535) return std::nullopt;
  }
  return u;
}

Deliverer::Deliverer(Store& store, DeliveryOptions options) : store_(store), options_(std::move(options)) {}

Deliverer::~Deliverer() { reap(true); }

void Deliverer::reap(bool all) {
  std::vector<Lane> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = lanes_.begin(); it != lanes_.end();) {
      if (all || it->done->load()) {
        finished.push_back(std::move(*it));
        it = lanes_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& l : finished) l.thread.join();
}

int Deliverer::run_once(const std::function<bool()>& stop) {
  reap(false);
  const int64_t now = clock_now_us();
  std::set<std::string> busy;
  bool scan_retries = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    busy = busy_;
    scan_retries = now >= next_retry_us_;
    if (scan_retries) next_retry_us_ = INT64_MAX;
  }
  std::map<std::string, std::vector<ordered_json>> groups;  // by endpoint, in creation order
  std::map<std::string, ordered_json> endpoints;
  int64_t soonest = INT64_MAX;
  store_.transact(Store::Mode::read, [&](Transaction& tx) {
    auto take = [&](ordered_json w, bool retry) {
      const std::string ep = string_or(w, "lago_webhook_endpoint_id", "");
      if (busy.count(ep)) {  // its lane is still posting: the next pass takes it
        if (retry) soonest = std::min(soonest, now);
        return;
      }
      groups[ep].push_back(std::move(w));
    };
    for (const auto& d : tx.list(DocumentQuery{"webhook", std::nullopt, std::string("due"), 0, 1000}).items)
      take(parse_stored(d.body), false);
    if (scan_retries)
      for (const auto& d : tx.list(DocumentQuery{"webhook", std::nullopt, std::string("retry"), 0, -1}).items) {
        ordered_json w = parse_stored(d.body);
        const int64_t at = parse_iso(string_or(w, "next_attempt_at", "")).value_or(0);
        if (at <= now) take(std::move(w), true);
        else soonest = std::min(soonest, at);
      }
    if (groups.empty()) return;
    for (const auto& d : tx.list(DocumentQuery{"webhook_endpoint", std::nullopt, std::nullopt, 0, -1}).items)
      endpoints[d.key] = parse_stored(d.body);
  });
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_retry_us_ = std::min(next_retry_us_, soonest);
  }
  if (groups.empty()) return 0;
  const Keys k = keys(store_);
  int handed = 0;
  for (auto& [ep, list] : groups) {
    const auto e = endpoints.find(ep);
    if (e == endpoints.end()) continue;  // the endpoint was deleted, and its webhooks with it
    handed += static_cast<int>(list.size());
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard<std::mutex> lock(mu_);
    busy_.insert(ep);
    lanes_.push_back(Lane{std::thread([this, ep = ep, list = std::move(list), endpoint = e->second, k, stop, done] {
                            for (const auto& w : list) {
                              if (stop && stop()) break;
                              try {
                                deliver(w, endpoint, k);
                              } catch (const std::exception&) {
                                break;  // the store refused the record: the webhook stays due for the next pass
                              }
                            }
                            std::lock_guard<std::mutex> lock(mu_);
                            busy_.erase(ep);
                            done->store(true);
                          }),
                          done});
  }
  return handed;
}

void Deliverer::deliver(const ordered_json& w, const ordered_json& endpoint, const Keys& k) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string id = string_or(w, "lago_id", "");
  const std::string url_text = string_or(endpoint, "webhook_url", "");
  const std::string algo = string_or(endpoint, "signature_algo", "jwt");
  const std::string body = string_or(w, "payload", "");
  Outcome out;
  if (const auto url = parse_url(url_text)) {
    httplib::Headers headers{
        {"X-Lago-Signature", algo == "hmac" ? hmac_sha256_base64(k.hmac_key, body) : jwt_rs256(k.private_pem, body, options_.issuer)},
        {"X-Lago-Signature-Algorithm", algo},
        {"X-Lago-Unique-Key", id}};
    out = post(*url, body, headers, options_.timeout_s);
  } else {
    out.response = "invalid webhook_url";
  }
  const int64_t done = clock_now_us();
  store_.transact(Store::Mode::write, [&](Transaction& tx) {
    auto cur = load_doc(tx, "webhook", id);
    if (!cur || string_or(*cur, "status", "") == "succeeded") return;
    ordered_json& c = *cur;
    c["endpoint"] = url_text;
    c["http_status"] = out.http_status ? ordered_json(*out.http_status) : ordered_json(nullptr);
    c["response"] = loggable(out.response);
    c["updated_at"] = format_iso(done);
    std::string ref = "done";
    if (out.ok) {
      c["status"] = "succeeded";
      c["next_attempt_at"] = nullptr;
    } else {
      const int64_t retries = c.value("retries", int64_t{0}) + 1;
      c["retries"] = retries;
      c["last_retried_at"] = format_iso(done);
      if (retries < options_.attempts) {
        // base · 2^(n−1) after the n-th failure, plus up to 15% (Lago adds rand · 15% too), capped.
        const double doubling = std::ldexp(1.0, static_cast<int>(std::min<int64_t>(retries - 1, 60)));
        const double jitter = 1.0 + 0.15 * std::uniform_real_distribution<double>(0, 1)(rng);
        const double wait = std::min(options_.retry_max_s, options_.retry_base_s * doubling * jitter);
        const int64_t at = done + static_cast<int64_t>(wait * 1e6);
        c["status"] = "retrying";
        c["next_attempt_at"] = iso_ms(at);
        std::lock_guard<std::mutex> lock(mu_);
        next_retry_us_ = std::min(next_retry_us_, at);
        ref = "retry";
      } else {
        c["status"] = "failed";
        c["next_attempt_at"] = nullptr;
      }
    }
    save_doc(tx, "webhook", id, c, string_or(c, "lago_webhook_endpoint_id", ""), ref);
  });
}

}  // namespace tariff::server::webhooks
