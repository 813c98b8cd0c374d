// Seed loader: replays example requests through the API on a fresh store (see app.hpp).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "app.hpp"
#include "tariff/json.hpp"

namespace tariff::server {
namespace {

// "$now", "$now-3d", "$now+90m", "$now-2h", "$now-10s" → ISO instant; otherwise unchanged.
void substitute(json& v, int64_t now_us) {
  if (v.is_object() || v.is_array()) {
    for (auto& x : v) substitute(x, now_us);
    return;
  }
  if (!v.is_string()) return;
  const std::string s = v.get<std::string>();
  if (s.rfind("$now", 0) != 0) return;
  int64_t delta = 0;
  if (s.size() > 4) {
    const char sign = s[4];
    const char unit = s.back();
    const int64_t n = std::stoll(s.substr(5, s.size() - 6));
    const int64_t per = unit == 'd' ? 86400 : unit == 'h' ? 3600 : unit == 'm' ? 60 : 1;
    delta = (sign == '-' ? -1 : 1) * n * per * 1000000;
  }
  v = format_iso(now_us + delta);
}

}  // namespace

int seed_if_empty(App& app, const std::string& dir) {
  bool empty = true;
  app.store().transact(Store::Mode::read, [&](Transaction& tx) {
    for (const char* kind : {"customer", "plan"})
      if (tx.list(DocumentQuery{kind, std::nullopt, std::nullopt, 0, 1}).total > 0) empty = false;
  });
  if (!empty) return 0;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const int64_t now = app.options().fixed_now_us.value_or(clock_now_us());
  int count = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    json doc = parse_json_exact(ss.str());
    if (doc.is_discarded() || !doc.is_array())
      throw std::runtime_error("seed: " + f.string() + ": expected a JSON array");
    for (auto& r : doc) {
      json body = r.value("body", json::object());
      substitute(body, now);
      HttpRequest req;
      req.method = r.value("method", "POST");
      req.path = r.value("path", "");
      req.body = body.dump();
      req.trusted = true;
      const Reply rep = app.handle(req);
      if (rep.status != 200)
        throw std::runtime_error("seed: " + f.filename().string() + ": " + req.method + " " +
                                 req.path + " → " + std::to_string(rep.status) + " " + rep.body);
      ++count;
    }
  }
  return count;
}

}  // namespace tariff::server
