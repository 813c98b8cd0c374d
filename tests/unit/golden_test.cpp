// The golden corpus through the public contract: every tests/golden/<operation>/**/<case>.json
// is {name, source, snapshot, expected | error}. `expected` (or `error`, for the error
// document) is matched as a subset of the engine's output: every key it names must be there
// with an equal value, arrays must have the same length and match element by element. The
// expected values are worked out by hand (see each case's `source`), never pasted from output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Empty when `actual` contains `expected`; otherwise the first difference, with its path.
std::string subset_diff(const json& expected, const json& actual, const std::string& path) {
  if (expected.is_object()) {
    if (!actual.is_object()) return path + ": expected an object, got " + actual.dump();
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (!actual.contains(it.key())) return path + "." + it.key() + ": missing";
      std::string d = subset_diff(it.value(), actual.at(it.key()), path + "." + it.key());
      if (!d.empty()) return d;
    }
    return "";
  }
  if (expected.is_array()) {
    if (!actual.is_array()) return path + ": expected an array, got " + actual.dump();
    if (expected.size() != actual.size())
      return path + ": expected " + std::to_string(expected.size()) + " items, got " +
             std::to_string(actual.size()) + ": " + actual.dump();
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string d = subset_diff(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (expected != actual) return path + ": expected " + expected.dump() + ", got " + actual.dump();
  return "";
}

struct GoldenCase {
  std::string file;
  tariff::Operation op;
};

std::vector<GoldenCase> collect() {
  std::vector<GoldenCase> out;
  const fs::path root(TARIFF_GOLDEN_DIR);
  if (!fs::exists(root)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const std::string rel = fs::relative(entry.path(), root).generic_string();
    const std::string op_name = rel.substr(0, rel.find('/'));
    auto op = tariff::parse_operation(op_name);
    if (!op) continue;
    out.push_back({entry.path().string(), *op});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.file < b.file; });
  return out;
}

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, MatchesHandWorkedResult) {
  const GoldenCase& gc = GetParam();
  std::ifstream f(gc.file);
  std::stringstream ss;
  ss << f.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << gc.file << " is not JSON";
  ASSERT_TRUE(doc.contains("source")) << gc.file << " has no source";
  ASSERT_TRUE(doc.contains("expected") || doc.contains("error")) << gc.file;
  // A snapshot may be given as text (to test malformed JSON) or as an object.
  const json& snap = doc.at("snapshot");
  const std::string input = snap.is_string() ? snap.get<std::string>() : snap.dump();
  const tariff::Result r = tariff::run(gc.op, input);
  json actual = json::parse(r.body, nullptr, false);
  ASSERT_FALSE(actual.is_discarded()) << "engine output is not JSON: " << r.body;
  if (doc.contains("error")) {
    EXPECT_FALSE(r.ok()) << gc.file << ": expected an error, got " << r.body;
    EXPECT_EQ(r.status, doc["error"].value("status", r.status)) << gc.file;
    std::string d = subset_diff(doc["error"], actual, "error");
    EXPECT_TRUE(d.empty()) << gc.file << "\n  " << d;
  } else {
    ASSERT_TRUE(r.ok()) << gc.file << ": " << r.body;
    std::string d = subset_diff(doc["expected"], actual, "result");
    EXPECT_TRUE(d.empty()) << gc.file << "\n  " << d;
  }
}

std::string case_name(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string rel = fs::relative(info.param.file, TARIFF_GOLDEN_DIR).generic_string();
  std::string name;
  for (char c : rel.substr(0, rel.size() - 5)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, Golden, ::testing::ValuesIn(collect()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Golden);

}  // namespace
