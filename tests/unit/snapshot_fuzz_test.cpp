// Bounded fuzzing of the whole engine through its public entry point: golden snapshots are
// mutated (values swapped for hostile ones, keys dropped, arrays duplicated, text truncated or
// corrupted) and every operation must answer a JSON document: a result, or an error document
// with a 4xx status. Never a crash, a hang, an exception or a 500. Deterministic seed; ~2 s.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<json> load_snapshots() {
  std::vector<json> out;
  for (const auto& e : fs::recursive_directory_iterator(TARIFF_GOLDEN_DIR)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    std::ifstream f(e.path());
    std::stringstream ss;
    ss << f.rdbuf();
    json d = json::parse(ss.str(), nullptr, false);
    if (!d.is_discarded() && d.contains("snapshot") && d["snapshot"].is_object()) out.push_back(d["snapshot"]);
  }
  return out;
}

const std::vector<json> kHostile = {
    nullptr, true, -1, 0, json(9223372036854775807LL), "", "-1", "1e400", "NaN", "99999999999999999999999999",
    "0.0000000000000000000001", json::array(), json::object(), "2024-02-30T00:00:00Z", "Mars/Olympus",
    std::string(5000, '9'), "-0", json::array({1, 2, 3}), "__ALL_FILTER_VALUES__", "weekly", "custom_agg"};

void mutate(json& v, std::mt19937& rng, int depth = 0) {
  std::uniform_int_distribution<int> pick(0, 9);
  if (v.is_object() && !v.empty()) {
    std::uniform_int_distribution<size_t> k(0, v.size() - 1);
    auto it = v.begin();
    std::advance(it, static_cast<long>(k(rng)));
    const int p = pick(rng);
    if (p == 0) v.erase(it.key());
    else if (p < 4 || depth > 6) it.value() = kHostile[std::uniform_int_distribution<size_t>(0, kHostile.size() - 1)(rng)];
    else mutate(it.value(), rng, depth + 1);
  } else if (v.is_array() && !v.empty()) {
    std::uniform_int_distribution<size_t> k(0, v.size() - 1);
    const size_t i = k(rng);
    const int p = pick(rng);
    if (p == 0) v.erase(v.begin() + static_cast<long>(i));
    else if (p == 1 && v.size() < 5000) v.push_back(v[i]);
    else mutate(v[i], rng, depth + 1);
  } else {
    v = kHostile[std::uniform_int_distribution<size_t>(0, kHostile.size() - 1)(rng)];
  }
}

void check(tariff::Operation op, const std::string& input) {
  const tariff::Result r = tariff::run(op, input);
  const json out = json::parse(r.body, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << r.body;
  if (r.ok()) return;
  ASSERT_GE(r.status, 400) << r.body;
  ASSERT_LT(r.status, 500) << "internal error for input: " << input.substr(0, 2000) << "\n" << r.body;
  ASSERT_TRUE(out.contains("code") && out["code"].is_string()) << r.body;
}

TEST(SnapshotFuzz, MutatedSnapshotsNeverCrashOrReturn500) {
  const auto snapshots = load_snapshots();
  ASSERT_FALSE(snapshots.empty());
  std::mt19937 rng(20241121);
  const tariff::Operation ops[] = {tariff::Operation::current_usage, tariff::Operation::projected_usage,
                                   tariff::Operation::estimate_fees, tariff::Operation::preview};
  // A fixed number of runs (not a time budget: the same checks on a loaded machine).
  constexpr int kRuns = 2000;
  int runs = 0;
  while (runs < kRuns) {
    json s = snapshots[std::uniform_int_distribution<size_t>(0, snapshots.size() - 1)(rng)];
    const int n = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int i = 0; i < n; ++i) mutate(s, rng);
    const auto op = ops[runs % 4];
    std::string text = s.dump();
    check(op, text);
    if (runs % 7 == 0 && text.size() > 2) {  // corrupted text: truncation and a flipped byte
      check(op, text.substr(0, std::uniform_int_distribution<size_t>(0, text.size() - 1)(rng)));
      text[std::uniform_int_distribution<size_t>(0, text.size() - 1)(rng)] = static_cast<char>(rng() & 0x7f);
      check(op, text);
    }
    if (HasFatalFailure()) return;
    ++runs;
  }
}

TEST(SnapshotFuzz, HostileShapesAnswerWithErrorDocuments) {
  using tariff::Operation;
  check(Operation::current_usage, std::string(100000, '['));       // deep nesting
  check(Operation::current_usage, "[" + std::string(10, ' ') + "]");  // not an object
  check(Operation::preview, "{\"now\": \"2024-01-01T00:00:00Z\", \"events\": " + std::string(3, '{') + "}");
  const tariff::Result deep = tariff::run(Operation::current_usage, std::string(100000, '['));
  EXPECT_EQ(deep.status, 400);
  const tariff::Result huge = tariff::run(Operation::current_usage, std::string(tariff::kMaxSnapshotBytes + 1, ' '));
  EXPECT_EQ(huge.status, 413);
}

}  // namespace
