// tariff-server: the HTTP edge. Parses options, opens the store, wires cpp-httplib to App
// (every route goes through App::handle), serves static directories, stops on SIGINT/SIGTERM.
//
//   tariff-server [--host 127.0.0.1] [--port 8080] [--db tariff.db|postgresql://…] [--web DIR]
//                 [--mount /prefix=DIR]... [--seed DIR] [--demo] [--now ISO]
//                 [--rate-limit N] [--rate-burst N] [--max-body BYTES] [--threads N] [--no-billing]
//                 [--public-url URL] [--webhook-attempts N] [--webhook-retry-base SECONDS]
//                 [--webhook-retry-max SECONDS] [--webhook-timeout SECONDS]
//                 [--portal-url URL] [--portal-ttl SECONDS]
//   tariff-server bill --db PATH --at ISO   (run every billing job due at or before ISO, exit)
// --db: a SQLite file path, or a PostgreSQL URL (postgresql://user@host:port/dbname), which
// several servers may share (store.hpp); their billing ticks take turns (Store::try_exclusive).
// On start and every second the server runs the billing jobs due at its clock (--now or
// the system clock); see billing.hpp. --no-billing runs no job (a server that only stores and
// calculates, e.g. for tests of calculations on a state built by hand).
// A second thread posts the webhooks the changes recorded (webhooks.hpp), every 250 ms.
// API keys: env TARIFF_API_KEYS (comma-separated); they are never printed.
// --port 0 picks a free port; the line "listening on http://HOST:PORT" is printed when ready.
#include <httplib.h>
#include <signal.h>
#ifdef __GLIBC__
#include <malloc.h>  // mallopt
#endif

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include <atomic>
#include <chrono>

#include "app.hpp"
#include "timing.hpp"
#include "billing.hpp"
#include "webhooks.hpp"

using namespace tariff::server;

namespace {

struct Cli {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string db = "tariff.db";
  std::vector<std::pair<std::string, std::string>> mounts;
  std::string seed;
  int threads = 8;
  bool billing = true;  // --no-billing: no job runs
  std::string public_url;  // the webhooks' JWT issuer; default http://HOST:PORT
  webhooks::DeliveryOptions delivery;
  bool portal_url_given = false;
  Options options;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "tariff-server: " << why << "\n"
            << "usage: tariff-server [--host H] [--port P] [--db PATH|postgresql://URL] [--web DIR]\n"
               "       [--mount /prefix=DIR]... [--seed DIR] [--demo] [--now ISO]\n"
               "       [--rate-limit PER_SEC] [--rate-burst N] [--max-body BYTES] [--threads N] [--no-billing]\n"
               "       [--public-url URL] [--webhook-attempts N] [--webhook-retry-base SECONDS]\n"
               "       [--webhook-retry-max SECONDS] [--webhook-timeout SECONDS]\n"
               "       [--portal-url URL] [--portal-ttl SECONDS]\n"
               "       tariff-server bill --db PATH --at ISO\n";
  std::exit(64);
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0 ||
         host.rfind("::ffff:127.", 0) == 0;
}

Cli parse(int argc, char** argv) {
  Cli c;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) usage(std::string("missing value for ") + argv[i]);
    return argv[++i];
  };
  auto number = [&](int& i) -> double {
    const std::string v = value(i);
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end) usage("not a number: " + v);
    return d;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--host") c.host = value(i);
    else if (a == "--port") c.port = static_cast<int>(number(i));
    else if (a == "--db") c.db = value(i);
    else if (a == "--web") c.mounts.emplace_back("/web", value(i));
    else if (a == "--mount") {
      const std::string m = value(i);
      const auto eq = m.find('=');
      if (eq == std::string::npos || m.empty() || m[0] != '/') usage("--mount /prefix=DIR");
      c.mounts.emplace_back(m.substr(0, eq), m.substr(eq + 1));
    } else if (a == "--seed") c.seed = value(i);
    else if (a == "--demo") c.options.demo = true;
    else if (a == "--no-billing") c.billing = false;
    else if (a == "--public-url") c.public_url = value(i);
    else if (a == "--webhook-attempts") c.delivery.attempts = std::max(1, static_cast<int>(number(i)));
    else if (a == "--webhook-retry-base") c.delivery.retry_base_s = std::max(0.0, number(i));
    else if (a == "--webhook-retry-max") c.delivery.retry_max_s = std::max(0.0, number(i));
    else if (a == "--webhook-timeout") c.delivery.timeout_s = std::max(0.001, number(i));
    else if (a == "--portal-url") c.options.portal_url = value(i), c.portal_url_given = true;
    else if (a == "--portal-ttl") {
      const double ttl = number(i);
      if (ttl < 1 || ttl > 30 * 24 * 3600) usage("--portal-ttl: 1 to 2592000 seconds");
      c.options.portal_ttl_seconds = static_cast<int64_t>(ttl);
    }
    else if (a == "--now") {
      const std::string v = value(i);
      c.options.fixed_now_us = parse_iso(v);
      if (!c.options.fixed_now_us) usage("bad --now: " + v);
    } else if (a == "--rate-limit") c.options.rate_per_second = number(i);
    else if (a == "--rate-burst") c.options.rate_burst = number(i);
    else if (a == "--max-body") c.options.max_body_bytes = static_cast<size_t>(number(i));
    else if (a == "--threads") c.threads = std::max(1, static_cast<int>(number(i)));
    else if (a == "-h" || a == "--help") usage("help");
    else usage("unknown option " + a);
  }
  // --demo hands a customer's data to anyone who can connect: loopback only.
  if (c.options.demo && !is_loopback(c.host))
    usage("--demo serves customer data without a key and listens on loopback only (127.0.0.1, ::1, "
          "localhost), not " + c.host);
  if (const char* keys = std::getenv("TARIFF_API_KEYS")) {
    std::stringstream ss(keys);
    std::string k;
    while (std::getline(ss, k, ','))
      if (!k.empty()) c.options.api_keys.push_back(k);
  }
  return c;
}

HttpRequest to_request(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  r.authorization = req.get_header_value("Authorization");
  r.body = req.body;
  return r;
}

void write(const Reply& rep, httplib::Response& res) {
  res.status = rep.status;
  if (!rep.location.empty()) res.set_header("Location", rep.location);
  res.set_content(rep.body, rep.content_type.c_str());
}

}  // namespace

// `tariff-server bill --db PATH --at INSTANT`: an operator's cron. Prints the run's figures as
// JSON; exits 0, or 3 when a job failed (recorded, retried by the next run).
int bill_command(int argc, char** argv) {
  std::string db = "tariff.db";
  std::optional<int64_t> at;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage("missing value for " + a);
    if (a == "--db") db = argv[++i];
    else if (a == "--at") {
      at = parse_iso(argv[++i]);
      if (!at) usage(std::string("bad --at: ") + argv[i]);
    } else usage("unknown option " + a);
  }
  if (!at) usage("bill needs --at INSTANT");
  try {
    auto store = open_store(db);
    IdSource ids;
    Options options;
    const BillingRun r = run_due_jobs(*store, ids, options, *at);
    std::cout << "{\"jobs\":" << r.jobs << ",\"invoices\":" << r.invoices << ",\"failures\":" << r.failures
              << "}" << std::endl;
    return r.failures > 0 ? 3 : 0;
  } catch (const std::exception& e) {
    std::cerr << "tariff-server: " << e.what() << "\n";
    return 1;
  }
}

int main(int argc, char** argv) {
#ifdef __GLIBC__
  mallopt(M_MXFAST, 0);  // no fastbins: freeing a large snapshot's many small blocks stays cheap
#endif
  if (argc > 1 && std::string(argv[1]) == "bill") return bill_command(argc, argv);
  Cli cli = parse(argc, argv);
  // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Store> store;
  try {
    store = open_store(cli.db);
  } catch (const std::exception& e) {
    std::cerr << "tariff-server: " << e.what() << "\n";
    return 1;
  }
  if (cli.options.api_keys.empty())
    std::cerr << "tariff-server: warning: TARIFF_API_KEYS is empty; /api/v1 answers 401\n";
  App app(*store, cli.options);
  if (!cli.seed.empty()) {
    try {
      const int n = seed_if_empty(app, cli.seed);
      if (n > 0) std::cerr << "tariff-server: seeded " << n << " requests from " << cli.seed << "\n";
    } catch (const std::exception& e) {
      std::cerr << "tariff-server: " << e.what() << "\n";
      return 1;
    }
  }

  // The clock's jobs: once before serving, then every second.
  const auto billing_clock = [&cli] {
    return cli.options.fixed_now_us ? *cli.options.fixed_now_us : clock_now_us();
  };
  if (cli.billing) try {
    BillingRun r;
    store->try_exclusive("billing", [&] { r = run_due_jobs(*store, app.ids(), cli.options, billing_clock()); });
    if (r.jobs > 0 || r.failures > 0)
      std::cerr << "tariff-server: billing: " << r.jobs << " jobs, " << r.invoices << " invoices, " << r.failures
                << " failures\n";
  } catch (const std::exception& e) {
    std::cerr << "tariff-server: billing: " << e.what() << "\n";
  }
  std::atomic<bool> stopping{false};
  std::thread ticker([&] {
    while (cli.billing && !stopping) {
      for (int i = 0; i < 10 && !stopping; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (stopping) break;
      try {
        store->try_exclusive("billing", [&] {
          run_due_jobs(*store, app.ids(), cli.options, billing_clock(), [&] { return stopping.load(); });
        });
      } catch (const std::exception& e) {
        std::cerr << "tariff-server: billing: " << e.what() << "\n";
      }
    }
  });

  httplib::Server svr;
  const int threads = cli.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_payload_max_length(cli.options.max_body_bytes);
  svr.set_tcp_nodelay(true);        // small JSON replies: no Nagle + delayed-ACK stalls
  svr.set_keep_alive_timeout(1);    // idle keep-alive connections hold up a stop for <= 1 s
  // A client's connection serves many requests (httplib's default closes it after 5): no new
  // TCP connection, accept and thread hand-off every fifth call.
  svr.set_keep_alive_max_count(100000);
  svr.set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
  svr.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
  svr.set_file_extension_and_mimetype_mapping("json", "application/json");
  for (const auto& [prefix, dir] : cli.mounts)
    if (!svr.set_mount_point(prefix, dir))
      std::cerr << "tariff-server: warning: cannot serve " << dir << " at " << prefix << "\n";

  const bool demo = cli.options.demo;
  svr.Get("/", [demo](const httplib::Request&, httplib::Response& res) {
    res.set_redirect(demo ? "/web/index.html?snapshot=/demo/snapshot" : "/web/index.html");
  });
  auto handler = [&app, demo](const httplib::Request& req, httplib::Response& res) {
    // The demo path answers loopback peers only, whatever address the socket is bound to.
    if (demo && req.path.rfind("/demo/", 0) == 0 && !is_loopback(req.remote_addr)) {
      HttpError e = route_not_found();
      res.status = e.status;
      res.set_content(error_body(e), "application/json");
      return;
    }
    timing::begin();
    write(app.handle(to_request(req)), res);
    if (timing::enabled()) res.set_header("Server-Timing", timing::header());
  };
  svr.Get(".*", handler);
  svr.Post(".*", handler);
  svr.Put(".*", handler);
  svr.Delete(".*", handler);
  svr.Patch(".*", handler);
  // Errors httplib answers itself (413 on an oversized body, 400 on a bad request line, 404
  // when no handler ran) still get a Lago-style document.
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    HttpError e = res.status == 413 ? payload_too_large()
                  : res.status == 404 ? route_not_found()
                                      : bad_request("invalid_request");
    e.doc["status"] = res.status;
    res.set_content(error_body(e), "application/json");
  });

  const int port = cli.port == 0 ? svr.bind_to_any_port(cli.host)
                                 : (svr.bind_to_port(cli.host, cli.port) ? cli.port : -1);
  if (port < 0) {
    std::cerr << "tariff-server: cannot listen on " << cli.host << ":" << cli.port << "\n";
    stopping = true;
    ticker.join();
    return 1;
  }
  // Webhooks: deliveries run beside billing. The keys are made on first use (a public key
  // asked for, or the first post), so that a server without webhooks never spends on RSA.
  cli.delivery.issuer = cli.public_url.empty() ? "http://" + cli.host + ":" + std::to_string(port) : cli.public_url;
  std::thread courier([&] {
    webhooks::Deliverer deliverer(*store, cli.delivery);
    while (!stopping) {
      try {
        deliverer.run_once([&] { return stopping.load(); });
      } catch (const std::exception& e) {
        std::cerr << "tariff-server: webhooks: " << e.what() << "\n";
      }
      for (int i = 0; i < 5 && !stopping; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  if (!cli.portal_url_given) {  // the page this server serves (--web), at the bound address
    const std::string host = cli.host.find(':') != std::string::npos ? "[" + cli.host + "]" : cli.host;
    app.set_portal_url("http://" + host + ":" + std::to_string(port) + "/web/index.html");
  }
  if (demo)
    std::cerr << "tariff-server: demo mode: GET /demo/snapshot serves customer data without a key, "
                 "to loopback clients only\n";
  static std::atomic<bool> listened{false};  // static: outlives main's locals for the detached thread
  std::thread stopper([&svr, sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    // A signal right after "listening" may come before listen_after_bind() runs, when stop()
    // does nothing: again until it returns.
    while (!listened) {
      svr.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  stopper.detach();
  std::cout << "listening on http://" << cli.host << ":" << port << std::endl;
  svr.listen_after_bind();
  listened = true;
  stopping = true;
  ticker.join();
  courier.join();
  return 0;
}
