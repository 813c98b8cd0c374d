// `tariff check`: the subset comparison for each kind of difference, the case format
// (passing, failing and malformed cases), exact snapshot text, and the command's output and
// exit codes on the repository's example catalog and golden corpus.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "check.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using tariff::cli::CaseStatus;
using tariff::cli::parse_exact;
using tariff::cli::run_case;
using tariff::cli::subset_diff;

namespace {

std::string diff(const char* expected, const char* actual) {
  const json e = parse_exact(expected), a = parse_exact(actual);
  EXPECT_FALSE(e.is_discarded()) << expected;
  EXPECT_FALSE(a.is_discarded()) << actual;
  return subset_diff(e, a);
}

const fs::path kRoot = fs::path(TARIFF_GOLDEN_DIR).parent_path().parent_path();

// A tiny current_usage snapshot: one standard charge at `amount` (JSON text), `units` units.
std::string usage_snapshot(const std::string& amount, const std::string& units) {
  return R"({"now":"2024-03-15T12:00:00Z","organization":{"timezone":"UTC","default_currency":"USD"},
 "billable_metrics":[{"code":"calls","name":"Calls","aggregation_type":"sum_agg","field_name":"n"}],
 "plans":[{"code":"p","name":"P","interval":"monthly","amount_cents":0,"amount_currency":"USD",
   "pay_in_advance":false,"charges":[{"billable_metric_code":"calls","charge_model":"standard",
   "properties":{"amount":)" + amount + R"(}}]}],
 "customer":{"external_id":"c","currency":"USD"},
 "subscriptions":[{"external_id":"s","external_customer_id":"c","plan_code":"p","billing_time":"calendar",
   "subscription_at":"2024-01-01T00:00:00Z","started_at":"2024-01-01T00:00:00Z","status":"active"}],
 "events":[{"transaction_id":"t1","external_subscription_id":"s","code":"calls",
   "timestamp":"2024-03-05T00:00:00Z","properties":{"n":)" + units + R"(}}],
 "request":{"external_subscription_id":"s"}})";
}

// 4 units x 2.5 = 10.00 -> 1000 cents
std::string usage_case(const std::string& expect, const std::string& extra = "") {
  return R"({"name":"four calls",)" + extra + R"("operation":"current_usage","snapshot":)" +
         usage_snapshot("\"2.5\"", "\"4\"") + R"(,"expect":)" + expect + "}";
}

}  // namespace

TEST(CheckSubset, EqualValuesAndSubsetsPass) {
  EXPECT_EQ(diff(R"({"a":1})", R"({"a":1,"b":2})"), "");
  EXPECT_EQ(diff(R"({"a":{"b":[1,{"c":"x"}]}})", R"({"a":{"b":[1,{"c":"x","d":0}],"e":1}})"), "");
  EXPECT_EQ(diff(R"({"a":null,"b":true,"c":"s"})", R"({"a":null,"b":true,"c":"s"})"), "");
}

TEST(CheckSubset, NumbersAreComparedByValue) {
  EXPECT_EQ(diff(R"({"a":1})", R"({"a":1.0})"), "");
  EXPECT_EQ(diff(R"({"a":"1.0"})", R"({"a":1})"), "");       // numeric string vs number
  EXPECT_EQ(diff(R"({"a":1})", R"({"a":"1"})"), "");
  EXPECT_EQ(diff(R"({"a":"1.50"})", R"({"a":"1.5"})"), "");   // two numeric strings
  EXPECT_EQ(diff(R"({"a":100})", R"({"a":1e2})"), "");
  EXPECT_EQ(diff(R"({"a":0.0})", R"({"a":-0})"), "");
  EXPECT_EQ(diff(R"({"a":"0.000"})", R"({"a":0})"), "");
  // Exact beyond a double: these differ in the 20th significant digit.
  EXPECT_EQ(diff(R"({"a":0.12345678901234567891})", R"({"a":"0.12345678901234567890"})"),
            "a: expected 0.12345678901234567891, got \"0.12345678901234567890\"");
  EXPECT_EQ(diff(R"({"a":1})", R"({"a":2})"), "a: expected 1, got 2");
  EXPECT_EQ(diff(R"({"a":"1.0"})", R"({"a":-1})"), "a: expected \"1.0\", got -1");
}

TEST(CheckSubset, NonNumericValuesKeepTheirType) {
  EXPECT_EQ(diff(R"({"a":"abc"})", R"({"a":"abd"})"), "a: expected \"abc\", got \"abd\"");
  EXPECT_EQ(diff(R"({"a":1})", R"({"a":"one"})"), "a: expected 1, got \"one\"");
  EXPECT_EQ(diff(R"({"a":1})", R"({"a":true})"), "a: expected 1, got true");
  EXPECT_EQ(diff(R"({"a":0})", R"({"a":null})"), "a: expected 0, got null");
  EXPECT_EQ(diff(R"({"a":null})", R"({"a":0})"), "a: expected null, got 0");
  EXPECT_EQ(diff(R"({"a":false})", R"({"a":"false"})"), "a: expected false, got \"false\"");
  EXPECT_EQ(diff(R"({"a":"2024-03-15"})", R"({"a":"2024-03-16"})"),
            "a: expected \"2024-03-15\", got \"2024-03-16\"");
}

TEST(CheckSubset, StructureDifferencesNameTheirPath) {
  EXPECT_EQ(diff(R"({"a":{"b":1}})", R"({"a":{}})"), "a.b: expected 1, got nothing (missing)");
  EXPECT_EQ(diff(R"({"a":{"b":1}})", R"({"a":[1]})"), "a: expected {\"b\":1}, got [1]");
  EXPECT_EQ(diff(R"({"a":[1]})", R"({"a":{"b":1}})"), "a: expected [1], got {\"b\":1}");
  EXPECT_EQ(diff(R"({"a":[1,2]})", R"({"a":[1]})"), "a: expected 2 items, got 1: [1]");
  EXPECT_EQ(diff(R"({"a":[1]})", R"({"a":[1,2]})"), "a: expected 1 items, got 2: [1,2]");
  EXPECT_EQ(diff(R"({"i":[{"f":[{"x":1},{"x":2}]}]})", R"({"i":[{"f":[{"x":1},{"x":3}]}]})"),
            "i[0].f[1].x: expected 2, got 3");
  EXPECT_EQ(diff(R"({"a":1})", R"([1])"), "(root): expected {\"a\":1}, got [1]");
  // The first difference in the expectation's order is the one reported.
  EXPECT_EQ(diff(R"({"b":1,"a":1})", R"({"a":2,"b":2})"), "a: expected 1, got 2");
}

TEST(CheckExactJson, FractionNumbersKeepTheirText) {
  const json v = parse_exact(R"({"a":0.1,"b":1e300,"c":[12.50]})");
  ASSERT_FALSE(v.is_discarded());
  EXPECT_EQ(tariff::cli::show(v), R"({"a":0.1,"b":1e300,"c":[12.50]})");
  EXPECT_TRUE(parse_exact("{").is_discarded());
  EXPECT_TRUE(parse_exact(std::string(300, '[') + std::string(300, ']')).is_discarded());
  EXPECT_FALSE(parse_exact(std::string(200, '[') + std::string(200, ']')).is_discarded());
}

TEST(CheckExactJson, MemberTextIsTheOriginalText) {
  using tariff::cli::member_text;
  const std::string t = R"( { "x" : {"snapshot": 1}, "snap\u0073hot" : {"a": 0.10 , "b":"}"} , "y":[] } )";
  auto m = member_text(t, "snapshot");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, R"({"a": 0.10 , "b":"}"})");
  EXPECT_EQ(*member_text(R"({"snapshot":1,"snapshot":"two\""})", "snapshot"), R"("two\"")");
  EXPECT_EQ(*member_text("\xEF\xBB\xBF {\"snapshot\": {}}", "snapshot"), "{}");
  EXPECT_FALSE(member_text(R"({"x":1})", "snapshot"));
  EXPECT_FALSE(member_text(R"([1])", "snapshot"));
}

TEST(CheckCase, PassesAndFails) {
  // 4 x 2.5 = 10.00 -> 1000
  auto r = run_case("case.json", usage_case(R"({"customer_usage":{"amount_cents":1000,"charges_usage":[{"units":4}]}})"));
  EXPECT_EQ(r.status, CaseStatus::passed) << r.message;
  EXPECT_EQ(r.name, "four calls");

  r = run_case("case.json", usage_case(R"({"customer_usage":{"amount_cents":1001}})"));
  EXPECT_EQ(r.status, CaseStatus::failed);
  EXPECT_EQ(r.message, "customer_usage.amount_cents: expected 1001, got 1000");

  r = run_case("case.json", usage_case(R"({"customer_usage":{"charges_usage":[]}})"));
  EXPECT_EQ(r.status, CaseStatus::failed);
  EXPECT_EQ(r.message.rfind("customer_usage.charges_usage: expected 0 items, got 1", 0), 0u) << r.message;

  r = run_case("case.json", usage_case(R"({"customer_usage":{"currency":"EUR"}})"));
  EXPECT_EQ(r.message, "customer_usage.currency: expected \"EUR\", got \"USD\"");

  r = run_case("case.json", usage_case(R"({"customer_usage":{"no_such_field":1}})"));
  EXPECT_EQ(r.message, "customer_usage.no_such_field: expected 1, got nothing (missing)");
}

TEST(CheckCase, ErrorsAreExpectedOrReported) {
  // The engine refuses a negative amount; `expect` may name the error document...
  const std::string bad = R"({"name":"n","operation":"current_usage","snapshot":)" +
                          usage_snapshot("\"-1\"", "1") + R"(,"expect":)";
  auto r = run_case("c.json", bad + R"({"status":422,"code":"validation_errors"}})");
  EXPECT_EQ(r.status, CaseStatus::passed) << r.message;
  // ...a result expectation fails with the engine's answer...
  r = run_case("c.json", bad + R"({"customer_usage":{"amount_cents":0}}})");
  EXPECT_EQ(r.status, CaseStatus::failed);
  EXPECT_NE(r.message.find("customer_usage: expected"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("the engine answered 422 \"validation_errors\""), std::string::npos)
      << r.message;
  // ...and golden-style `expected` / `error` require a result / an error.
  const std::string ok = R"({"name":"n","operation":"current_usage","snapshot":)" +
                         usage_snapshot("\"2.5\"", "4");
  r = run_case("c.json", ok + R"(,"error":{"status":422}})");
  EXPECT_EQ(r.status, CaseStatus::failed);
  EXPECT_EQ(r.message.rfind("expected an error document", 0), 0u) << r.message;
  r = run_case("c.json", bad + R"({"status":422}})");
  EXPECT_EQ(r.status, CaseStatus::passed);
  const std::string bad_golden = R"({"name":"n","operation":"current_usage","snapshot":)" +
                                 usage_snapshot("\"-1\"", "1") + R"(,"expected":{"status":422}})";
  r = run_case("c.json", bad_golden);
  EXPECT_EQ(r.status, CaseStatus::failed);
  EXPECT_EQ(r.message.rfind("expected a result, the engine answered 422", 0), 0u) << r.message;
  // A snapshot given as text is passed as that text (malformed-JSON cases).
  r = run_case("c.json", R"({"name":"n","operation":"preview","snapshot":"{\"now\":","error":{"status":400,"code":"bad_request"}})");
  EXPECT_EQ(r.status, CaseStatus::passed) << r.message;
}

TEST(CheckCase, MalformedCasesCannotBeRead) {
  const std::string snap = usage_snapshot("\"2.5\"", "4");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"{", "not JSON"},
      {"[]", "a case is a JSON object"},
      {R"({"operation":"current_usage","snapshot":)" + snap + "}", "no expect"},
      {R"({"operation":"current_usage","snapshot":)" + snap + R"(,"expect":{}})",
       "expect must be a non-empty object"},
      {R"({"operation":"current_usage","snapshot":)" + snap + R"(,"expect":[1]})",
       "expect must be a non-empty object"},
      {R"({"operation":"current_usage","snapshot":)" + snap + R"(,"expect":{"a":1},"error":{"a":1}})",
       "give one of expect, expected, error"},
      {R"({"operation":"invoice","snapshot":)" + snap + R"(,"expect":{"a":1}})",
       "unknown operation \"invoice\""},
      {R"({"operation":7,"snapshot":)" + snap + R"(,"expect":{"a":1}})", "operation must be a string"},
      {R"({"snapshot":)" + snap + R"(,"expect":{"a":1}})", "no operation"},
      {R"({"operation":"preview","expect":{"a":1}})", "no snapshot"},
      {R"({"operation":"preview","snapshot":[],"expect":{"a":1}})", "snapshot must be an object"},
      {R"({"name":3,"operation":"preview","snapshot":{},"expect":{"a":1}})", "name must be a string"},
  };
  for (const auto& [text, why] : bad) {
    const auto r = run_case("dir/case.json", text);
    EXPECT_EQ(r.status, CaseStatus::unreadable) << text;
    EXPECT_EQ(r.message.rfind(why, 0), 0u) << r.message << " / " << why;
  }
}

TEST(CheckCase, OperationFromTheEnclosingDirectory) {
  const std::string text = R"({"name":"n","snapshot":)" + usage_snapshot("\"2.5\"", "4") +
                           R"(,"expected":{"customer_usage":{"amount_cents":1000}}})";
  EXPECT_EQ(run_case("tests/golden/current_usage/area/x.json", text).status, CaseStatus::passed);
  // The nearest operation directory wins: here preview, which answers no customer_usage.
  EXPECT_EQ(run_case("current_usage/preview/x.json", text).status, CaseStatus::failed);
  EXPECT_EQ(run_case("elsewhere/x.json", text).status, CaseStatus::unreadable);
}

TEST(CheckCase, SnapshotNumbersReachTheEngineAsWritten) {
  // 1 unit at 1234567890123456.78 = 123456789012345678 cents. As a double the amount would be
  // 1234567890123456.75 and print as 1234567890123456.7 (…670 cents): the case must see the
  // exact text.
  const std::string snap = usage_snapshot("1234567890123456.78", "1");
  const std::string text = R"({"name":"n","operation":"current_usage","snapshot":)" + snap +
                           R"(,"expect":{"customer_usage":{"amount_cents":123456789012345678}}})";
  const auto r = run_case("c.json", text);
  EXPECT_EQ(r.status, CaseStatus::passed) << r.message;
  // Re-serialising the parsed document would have changed the price (the test can fail).
  const tariff::Result reparsed =
      tariff::run(tariff::Operation::current_usage, json::parse(snap).dump());
  EXPECT_NE(reparsed.body.find("\"amount_cents\":123456789012345670"), std::string::npos)
      << reparsed.body;
}

TEST(CheckCommand, ExampleCatalogAndGoldenCorpusPass) {
  std::ostringstream out, err;
  const int code = tariff::cli::check_main(
      {(kRoot / "examples/pricing-tests").string(), (kRoot / "tests/golden").string(), "--jobs", "2"},
      out, err);
  EXPECT_EQ(code, 0) << out.str();
  size_t golden = 0;
  for (const auto& e : fs::recursive_directory_iterator(kRoot / "tests/golden"))
    golden += e.path().extension() == ".json";
  EXPECT_EQ(out.str(), std::to_string(12 + golden) + " passed, 0 failed\n");
}

TEST(CheckCommand, FailingAndUnreadableCasesSetTheExitCode) {
  const fs::path dir = fs::temp_directory_path() / ("tariff_check_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "current_usage");
  auto write = [&](const fs::path& p, const std::string& text) { std::ofstream(p) << text; };
  write(dir / "a_pass.json", usage_case(R"({"customer_usage":{"amount_cents":1000}})"));
  write(dir / "b_fail.json", usage_case(R"({"customer_usage":{"amount_cents":999}})"));
  std::ostringstream out, err;
  EXPECT_EQ(tariff::cli::check_main({dir.string()}, out, err), 1);
  EXPECT_EQ(out.str(), "FAIL " + (dir / "b_fail.json").generic_string() +
                           " (four calls): customer_usage.amount_cents: expected 999, got 1000\n"
                           "1 passed, 1 failed\n");

  write(dir / "c_broken.json", "{\"name\":");
  std::ostringstream out2;
  const fs::path junit = dir / "report.xml";
  EXPECT_EQ(tariff::cli::check_main({dir.string(), (dir / "missing.json").string(), "--junit",
                                     junit.string()},
                                    out2, err),
            2);
  const std::string s = out2.str();
  EXPECT_NE(s.find("ERROR " + (dir / "missing.json").string() + ": no such file or directory\n"),
            std::string::npos) << s;
  EXPECT_NE(s.find("ERROR " + (dir / "c_broken.json").generic_string() + ": not JSON\n"),
            std::string::npos) << s;
  EXPECT_EQ(s.substr(s.rfind('\n', s.size() - 2) + 1), "1 passed, 3 failed\n");
  EXPECT_TRUE(fs::exists(junit));

  // A directory without cases is not a silent pass; no path at all is a usage error.
  std::ostringstream out3;
  EXPECT_EQ(tariff::cli::check_main({(dir / "current_usage").string()}, out3, err), 2);
  EXPECT_EQ(tariff::cli::check_main({}, out3, err), 64);
  fs::remove_all(dir);
}
