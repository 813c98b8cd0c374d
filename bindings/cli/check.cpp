// `tariff check PATH... [--junit FILE] [--jobs N]` (check.hpp): runs pricing test cases,
// prints one line per failing case and `N passed, M failed` last. Exit 0 when every case
// passed, 1 when one failed, 2 when one could not be read (that wins over 1). Cases run on
// up to --jobs threads (default: the machine's cores); the output is in case order.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "check.hpp"

namespace tariff::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The nearest enclosing directory named after an operation: tests/golden/preview/x/y.json.
std::optional<Operation> operation_from_path(const std::string& file) {
  fs::path p = fs::path(file).parent_path();
  for (; !p.empty() && p.has_filename(); p = p.parent_path())
    if (auto op = parse_operation(p.filename().string())) return op;
  return std::nullopt;
}

std::string engine_said(const json& doc) {
  std::string s = "the engine answered ";
  if (doc.is_object() && doc.contains("status")) s += show(doc["status"]) + " ";
  if (doc.is_object() && doc.contains("code")) s += show(doc["code"]);
  if (doc.is_object() && doc.contains("error_details")) s += " " + show(doc["error_details"], 200);
  return s;
}

CaseResult unreadable(const std::string& file, std::string why) {
  CaseResult r;
  r.file = file;
  r.name = file;
  r.status = CaseStatus::unreadable;
  r.message = std::move(why);
  return r;
}

void collect_dir(const fs::path& dir, std::vector<std::string>* out) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json")
      found.push_back(e.path().generic_string());
  std::sort(found.begin(), found.end());
  out->insert(out->end(), found.begin(), found.end());
}

CaseResult run_file(const std::string& file) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string text;
  CaseResult r = read_file(file, &text) ? run_case(file, text) : unreadable(file, "cannot read the file");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

int usage(std::ostream& err) {
  err << "usage: tariff check PATH... [--junit FILE] [--jobs N]\n"
         "       tariff impact --plans NEW.json SNAPSHOT... [--format json|table] [--jobs N]\n";
  return 64;
}

}  // namespace

// POSIX open/fstat/read: an ifstream costs an 8 KB buffer and a locale per file, ~10 % of
// a run over thousands of small files.
bool read_file(const std::string& path, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok) {
    out->resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (ok && got < out->size()) {
      const ssize_t n = ::read(fd, out->data() + got, out->size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ok = false;
      else got += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return ok;
}

CaseResult run_case(const std::string& file, std::string_view text) {
  CaseResult r;
  r.file = file;
  r.name = file;
  const json doc = parse_exact(text);
  if (doc.is_discarded()) return unreadable(file, "not JSON");
  if (!doc.is_object()) return unreadable(file, "a case is a JSON object");
  if (auto n = doc.find("name"); n != doc.end()) {
    if (!n->is_string()) return unreadable(file, "name must be a string");
    r.name = n->get<std::string>();
  }
  // What the case expects, and of which kind of answer.
  enum class Want { any, success, error } want = Want::any;
  const json* expect = nullptr;
  int kinds = 0;
  for (auto [key, w] : {std::pair{"expect", Want::any}, std::pair{"expected", Want::success},
                        std::pair{"error", Want::error}}) {
    if (auto it = doc.find(key); it != doc.end()) {
      expect = &*it;
      want = w;
      ++kinds;
    }
  }
  if (kinds == 0) return unreadable(file, "no expect");
  if (kinds > 1) return unreadable(file, "give one of expect, expected, error");
  if (!expect->is_object() || expect->empty())
    return unreadable(file, "expect must be a non-empty object (an empty one cannot fail)");

  std::optional<Operation> op;
  if (auto o = doc.find("operation"); o != doc.end()) {
    if (!o->is_string()) return unreadable(file, "operation must be a string");
    op = parse_operation(o->get<std::string>());
    if (!op) return unreadable(file, "unknown operation " + show(*o));
  } else {
    op = operation_from_path(file);
    if (!op) return unreadable(file, "no operation (give one, or keep the case under a directory named after it)");
  }

  auto snap = doc.find("snapshot");
  if (snap == doc.end()) return unreadable(file, "no snapshot");
  std::string snapshot_text;
  if (snap->is_string()) {
    snapshot_text = snap->get<std::string>();
  } else if (snap->is_object()) {
    auto raw = member_text(text, "snapshot");
    if (!raw) return unreadable(file, "no snapshot");
    snapshot_text.assign(raw->data(), raw->size());
  } else {
    return unreadable(file, "snapshot must be an object (or a JSON text as a string)");
  }

  const Result res = run(*op, snapshot_text);
  const json actual = parse_exact(res.body);
  if (actual.is_discarded()) {
    r.status = CaseStatus::failed;
    r.message = "the engine's answer is not JSON";
    return r;
  }
  if (want == Want::success && !res.ok()) {
    r.status = CaseStatus::failed;
    r.message = "expected a result, " + engine_said(actual);
    return r;
  }
  if (want == Want::error && res.ok()) {
    r.status = CaseStatus::failed;
    r.message = "expected an error document, the engine answered a result " + show(actual, 120);
    return r;
  }
  std::string d = subset_diff(*expect, actual);
  if (d.empty()) {
    r.status = CaseStatus::passed;
    return r;
  }
  if (!res.ok() && want == Want::any) d += " (" + engine_said(actual) + ")";
  r.status = CaseStatus::failed;
  r.message = std::move(d);
  return r;
}

std::vector<std::string> collect_cases(const std::vector<std::string>& paths,
                                       std::vector<CaseResult>* problems) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      const size_t before = files.size();
      try {
        collect_dir(p, &files);
      } catch (const fs::filesystem_error& e) {
        problems->push_back(unreadable(p, std::string("cannot list: ") + e.code().message()));
        continue;
      }
      if (files.size() == before) problems->push_back(unreadable(p, "no *.json case under it"));
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      problems->push_back(unreadable(p, "no such file or directory"));
    }
  }
  return files;
}

bool parse_options(const std::vector<std::string>& args,
                   std::initializer_list<std::string_view> valued, Options* out) {
  out->jobs = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool is_jobs = a == "--jobs" || a == "-j";
    if (is_jobs || std::find(valued.begin(), valued.end(), a) != valued.end()) {
      if (i + 1 >= args.size()) return false;
      const std::string& v = args[++i];
      if (!is_jobs) {
        out->values[a] = v;
        continue;
      }
      try {
        out->jobs = static_cast<unsigned>(std::max(1, std::stoi(v)));
      } catch (const std::exception&) {
        return false;
      }
    } else if (a == "-h" || a == "--help") {
      out->help = true;
      return true;
    } else {
      out->paths.push_back(a);
    }
  }
  return true;
}

int check_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options opts;
  if (!parse_options(args, {"--junit"}, &opts)) return usage(err);
  if (opts.help) {
    usage(err);
    return 0;
  }
  const std::vector<std::string>& paths = opts.paths;
  std::optional<std::string> junit;
  if (opts.values.count("--junit")) junit = opts.values["--junit"];
  const unsigned jobs = opts.jobs;
  if (paths.empty()) return usage(err);

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<CaseResult> problems;
  const std::vector<std::string> files = collect_cases(paths, &problems);
  std::vector<CaseResult> results(files.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < files.size();) results[i] = run_file(files[i]);
  };
  const unsigned n = static_cast<unsigned>(std::min<size_t>(jobs, files.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  results.insert(results.begin(), problems.begin(), problems.end());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  size_t passed = 0, failed = 0, unread = 0;
  for (const auto& r : results) {
    if (r.status == CaseStatus::passed) {
      ++passed;
      continue;
    }
    if (r.status == CaseStatus::failed) {
      ++failed;
      out << "FAIL " << r.file;
      if (r.name != r.file) out << " (" << r.name << ")";
      out << ": " << r.message << "\n";
    } else {
      ++unread;
      out << "ERROR " << r.file << ": " << r.message << "\n";
    }
  }
  int code = unread ? 2 : failed ? 1 : 0;
  if (junit) {
    std::ofstream f(*junit, std::ios::binary | std::ios::trunc);
    f << junit_xml(results, utc_timestamp(), host_name(), seconds);
    f.close();
    if (!f) {
      err << "tariff check: cannot write " << *junit << "\n";
      code = 2;
    }
  }
  out << passed << " passed, " << failed + unread << " failed\n";
  return code;
}

bool dispatch(int argc, char** argv, int* exit_code) {
  if (argc < 2) return false;
  const std::string cmd = argv[1];
  if (cmd != "check" && cmd != "impact") return false;
  std::vector<std::string> args(argv + 2, argv + argc);
  std::ios::sync_with_stdio(false);
  *exit_code = cmd == "check" ? check_main(args, std::cout, std::cerr)
                              : impact_main(args, std::cout, std::cerr);
  std::cout.flush();
  return true;
}

}  // namespace tariff::cli
