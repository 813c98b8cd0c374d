// The engine's one entry point: an operation over a snapshot (CONTRACT §1–2), JSON in,
// JSON out. Pure: no I/O, no clock (snapshot.now is the clock), no globals, no threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tariff {

enum class Operation { preview, current_usage, projected_usage, estimate_fees, bill, lifetime_usage, compare_plans };

// "preview", "current_usage", "projected_usage", "estimate_fees", "bill", "lifetime_usage", "compare_plans"
// (also camelCase).
std::optional<Operation> parse_operation(std::string_view name);
const char* operation_name(Operation op);

struct Result {
  int status = 200;   // 200 on success, else the error document's status
  std::string body;   // the result JSON, or the error document (CONTRACT §4)
  bool ok() const { return status == 200; }
};

// Never throws: every failure, expected or not, becomes an error document.
Result run(Operation op, std::string_view snapshot_json);

// Hostile-size guard: snapshots above this many bytes are refused (413). A million events
// take about 180 MB; reading one needs less than the text again in memory.
constexpr std::size_t kMaxSnapshotBytes = 384u * 1024u * 1024u;

}  // namespace tariff
