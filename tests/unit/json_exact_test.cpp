// The exact JSON reader against nlohmann's own strict parser: on mutated golden documents
// both must accept and refuse the same texts, and agree on every value (numbers with a
// fraction or exponent arrive here as their text; nlohmann's double of that text must equal
// nlohmann's double of the original token). Deterministic seed, bounded time.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tariff/json.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string same_values(const json& exact, const json& reference, const std::string& path) {
  if (reference.is_number_float()) {
    if (!exact.is_string()) return path + ": float not kept as text";
    const json reparsed = json::parse(exact.get<std::string>(), nullptr, false);
    if (reparsed.is_discarded() || reparsed != reference) return path + ": float text differs";
    return "";
  }
  if (reference.type() != exact.type()) return path + ": type differs";
  if (reference.is_object()) {
    if (reference.size() != exact.size()) return path + ": size differs";
    for (auto it = reference.begin(); it != reference.end(); ++it) {
      if (!exact.contains(it.key())) return path + "." + it.key() + ": missing";
      auto d = same_values(exact.at(it.key()), it.value(), path + "." + it.key());
      if (!d.empty()) return d;
    }
    return "";
  }
  if (reference.is_array()) {
    if (reference.size() != exact.size()) return path + ": size differs";
    for (size_t i = 0; i < reference.size(); ++i) {
      auto d = same_values(exact[i], reference[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  return reference == exact ? "" : path + ": value differs";
}

// nlohmann's strict parser with the same depth limit as the exact reader.
json reference_parse(const std::string& text) {
  int depth = 0, max_depth = 0;
  json j = json::parse(text, [&](int d, json::parse_event_t, json&) {
    depth = d;
    if (depth > max_depth) max_depth = depth;
    return true;
  }, false);
  if (!j.is_discarded() && max_depth > tariff::kMaxJsonDepth) return json(json::value_t::discarded);
  return j;
}

TEST(JsonExact, AgreesWithNlohmannOnMutatedDocuments) {
  std::vector<std::string> texts;
  for (const auto& e : fs::recursive_directory_iterator(TARIFF_GOLDEN_DIR)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    std::ifstream f(e.path());
    std::stringstream ss;
    ss << f.rdbuf();
    texts.push_back(ss.str());
    if (texts.size() >= 60) break;
  }
  ASSERT_FALSE(texts.empty());
  texts.push_back(R"({"a": 1.50, "b": -0, "c": 1e400, "d": 18446744073709551616, "e": "\ud83d\ude00", "f": [true, null]})");
  const std::string alphabet = "{}[]\":,.-+eE0123456789 \\u\ttrufalsn\x80\xff";
  std::mt19937 rng(7);
  // A fixed number of documents (not a time budget: the same checks on a loaded machine).
  constexpr int kDocuments = 10000;
  int checked = 0;
  while (checked < kDocuments) {
    std::string t = texts[rng() % texts.size()];
    const int edits = static_cast<int>(rng() % 3);
    for (int i = 0; i < edits && !t.empty(); ++i) {
      const size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: t.erase(at, 1 + rng() % 4); break;
        default: t.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    const json exact = tariff::parse_json_exact(t);
    const json reference = reference_parse(t);
    ASSERT_EQ(exact.is_discarded(), reference.is_discarded()) << t.substr(0, 400);
    if (!reference.is_discarded()) {
      const std::string d = same_values(exact, reference, "$");
      ASSERT_TRUE(d.empty()) << d;
    }
    ++checked;
  }
}

TEST(JsonExact, KeepsFractionsAsTextAndBoundsDepth) {
  const json j = tariff::parse_json_exact(R"({"amount": 0.1, "n": 12, "e": 2.5E-2})");
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["amount"], "0.1");  // never the double 0.1000000000000000055…
  EXPECT_EQ(j["n"], 12);
  EXPECT_EQ(j["e"], "2.5E-2");
  EXPECT_TRUE(tariff::parse_json_exact(std::string(65, '[') + std::string(65, ']')).is_discarded());
  EXPECT_FALSE(tariff::parse_json_exact(std::string(64, '[') + std::string(64, ']')).is_discarded());
  EXPECT_TRUE(tariff::parse_json_exact("").is_discarded());
  EXPECT_TRUE(tariff::parse_json_exact("{\"a\":1,}").is_discarded());
}

}  // namespace
