// libFuzzer harness over the server's request handling, tariff::server::App::handle(), on a
// SQLite store in a temporary file (under $TMPDIR, else /dev/shm when it exists, else /tmp).
//
// Input: up to 8 requests separated by a line "%%". A request is a first line
// "METHOD TARGET" (TARGET = path[?k=v&k=v...]; a leading '!' on the line sends no API key),
// then the body, verbatim. Example:
//
//   POST /api/v1/customers
//   {"customer": {"external_id": "c1", "currency": "EUR"}}
//   %%
//   GET /api/v1/customers/c1/current_usage?external_subscription_id=acme-growth
//
// Every input starts from the same state: the store seeded from examples/seed (a catalog, the
// customer "acme" with the subscription "acme-growth", a coupon, a wallet, events) at a fixed
// request clock, 2025-06-15T12:00:00Z. After an input that committed a write (the SQLite
// write-ahead log is no longer empty), the store's file is restored from the seeded copy and
// reopened, so a finding reproduces from its input alone. The rate limit is off.
//
// Checked on every request, besides ASan/UBSan/LeakSanitizer: handle() returns, never a 500
// (an unexpected exception), a JSON reply's body is valid JSON, and a non-2xx reply is an error
// document {status, error, ...} whose status is the reply's (Lago's 401 has no code).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app.hpp"

using namespace tariff::server;
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxRequests = 8;
constexpr char kApiKey[] = "fuzz-key";

// The App keeps a reference to its Store: this one forwards to a store it can replace.
class SwappableStore : public Store {
 public:
  void transact(Mode mode, const std::function<void(Transaction&)>& fn) override {
    inner->transact(mode, fn);
  }
  std::unique_ptr<Store> inner;
};

struct Harness {
  fs::path dir;
  fs::path db;
  std::string seeded;  // the seeded database file's bytes
  SwappableStore store;
  std::unique_ptr<App> app;

  static Options options() {
    Options o;
    o.api_keys = {kApiKey};
    o.rate_per_second = 0;
    o.fixed_now_us = parse_iso("2025-06-15T12:00:00Z");
    return o;
  }

  Harness() {
    const char* base = std::getenv("TMPDIR");
    const fs::path root = base && *base                ? fs::path(base)
                          : fs::is_directory("/dev/shm") ? fs::path("/dev/shm")
                                                         : fs::path("/tmp");
    std::string templ = (root / "tariff-server-fuzz.XXXXXX").string();
    if (!mkdtemp(templ.data())) {
      std::perror("server_fuzz: mkdtemp");
      std::abort();
    }
    dir = templ;
    db = dir / "fuzz.db";
    {
      auto s = open_sqlite_store(db.string());
      App seeding(*s, options());
      seed_if_empty(seeding, TARIFF_FUZZ_SEED_DIR);
    }  // closing the last connection checkpoints the WAL into the file
    std::ifstream in(db, std::ios::binary);
    seeded.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (seeded.empty() || fs::exists(db.string() + "-wal")) {
      std::fprintf(stderr, "server_fuzz: the seeded database was not checkpointed\n");
      std::abort();
    }
    store.inner = open_sqlite_store(db.string());
    app = std::make_unique<App>(store, options());
  }

  ~Harness() {
    app.reset();
    store.inner.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // Every committed write transaction appends to the write-ahead log, which restore() leaves
  // empty; refused requests roll back without writing to it.
  bool committed() const {
    std::error_code ec;
    const auto size = fs::file_size(db.string() + "-wal", ec);
    return ec || size > 0;
  }

  void restore() {
    store.inner.reset();
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(db.string() + suffix);
    std::ofstream(db, std::ios::binary | std::ios::trunc).write(seeded.data(), seeded.size());
    store.inner = open_sqlite_store(db.string());
  }
};

Harness& harness() {
  static Harness h;  // destroyed at exit: the temporary directory goes with it
  return h;
}

[[noreturn]] void fail(const char* what, const HttpRequest& req, const Reply& rep) {
  std::fprintf(stderr, "server_fuzz: %s: %s %s -> %d\nbody: %.2000s\n", what, req.method.c_str(),
               req.path.c_str(), rep.status, rep.body.c_str());
  std::abort();
}

HttpRequest parse_request(std::string_view text) {
  HttpRequest r;
  const size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol);
  r.body = eol == std::string_view::npos ? "" : std::string(text.substr(eol + 1));
  if (!line.empty() && line.front() == '!') line.remove_prefix(1);
  else r.authorization = std::string("Bearer ") + kApiKey;
  const size_t sp = line.find(' ');
  r.method = std::string(line.substr(0, sp));
  std::string_view target = sp == std::string_view::npos ? "" : line.substr(sp + 1);
  const size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const size_t eq = pair.find('=');
      r.query.emplace(std::string(pair.substr(0, eq)),
                      eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  return r;
}

void check(const HttpRequest& req, const Reply& rep) {
  if (rep.status == 500) fail("status 500 (unexpected failure)", req, rep);
  if (rep.status < 200 || rep.status > 599) fail("status out of range", req, rep);
  if (rep.content_type != "application/json") return;
  const json doc = json::parse(rep.body, nullptr, false);
  if (doc.is_discarded()) fail("reply is not valid JSON", req, rep);
  if (rep.status < 300) return;
  if (!doc.is_object()) fail("error reply is not an object", req, rep);
  const auto status = doc.find("status");
  const auto error = doc.find("error");
  if (status == doc.end() || !status->is_number_integer() || status->get<int>() != rep.status)
    fail("error document's status differs from the reply's", req, rep);
  if (error == doc.end() || !error->is_string()) fail("error document without error", req, rep);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& h = harness();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t n = 0; n < kMaxRequests && !text.empty(); ++n) {
    const size_t sep = text.find("\n%%\n");
    const HttpRequest req = parse_request(text.substr(0, sep));
    text = sep == std::string_view::npos ? std::string_view() : text.substr(sep + 4);
    check(req, h.app->handle(req));
  }
  if (h.committed()) h.restore();
  return 0;
}
