// libFuzzer harness over the engine's one entry point, tariff::run(op, text).
//
// Input: the first byte chooses the operation (byte % 7, tariff::Operation's order: preview,
// current_usage, projected_usage, estimate_fees, bill, lifetime_usage, compare_plans), the rest
// is the snapshot text. scripts/fuzz seeds the corpus
// with every golden snapshot, prefixed with its operation's byte.
//
// The contract checked on every input (CONTRACT §1–4), besides ASan/UBSan/LeakSanitizer:
//  - run() returns (never throws, never crashes, never hangs: libFuzzer's -timeout);
//  - the body is valid JSON;
//  - 200: the body is an object; otherwise an error document {status, error, code, ...} whose
//    status is the result's status, a 4xx — never a 500 (an unexpected exception).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"

namespace {

constexpr tariff::Operation kOperations[] = {
    tariff::Operation::preview, tariff::Operation::current_usage,
    tariff::Operation::projected_usage, tariff::Operation::estimate_fees,
    tariff::Operation::bill, tariff::Operation::lifetime_usage, tariff::Operation::compare_plans};
constexpr size_t kOperationCount = sizeof(kOperations) / sizeof(kOperations[0]);

[[noreturn]] void fail(const char* what, tariff::Operation op, const tariff::Result& r) {
  std::fprintf(stderr, "engine_fuzz: %s (operation %s, status %d)\nbody: %.2000s\n", what,
               tariff::operation_name(op), r.status, r.body.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const tariff::Operation op = kOperations[data[0] % kOperationCount];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  const tariff::Result r = tariff::run(op, text);

  const nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
  if (doc.is_discarded()) fail("result is not valid JSON", op, r);
  if (r.status == 200) {
    if (!doc.is_object()) fail("a 200 result is not a JSON object", op, r);
    return 0;
  }
  if (r.status == 500) fail("status 500 (unexpected failure)", op, r);
  if (r.status < 400 || r.status > 499) fail("status outside 4xx", op, r);
  if (!doc.is_object()) fail("error document is not an object", op, r);
  const auto status = doc.find("status");
  const auto error = doc.find("error");
  const auto code = doc.find("code");
  if (status == doc.end() || !status->is_number_integer() || status->get<int>() != r.status)
    fail("error document's status differs from the result's", op, r);
  if (error == doc.end() || !error->is_string() || error->get<std::string>().empty())
    fail("error document without an error label", op, r);
  if (code == doc.end() || !code->is_string() || code->get<std::string>().empty())
    fail("error document without a code", op, r);
  return 0;
}
