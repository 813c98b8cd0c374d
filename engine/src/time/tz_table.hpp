// Layout of the generated time-zone table (tz_rules.inc, written by scripts/gen_tz_rules.py).
// Constant data only: a zone is a POSIX rule plus, optionally, a history of explicit UTC
// offsets since 2000 for the stretch of its past that the current rule gets wrong.
#pragma once

#include <cstdint>

namespace tariff {
namespace tz_table {

struct TzTransition {
  uint32_t at;     // Unix seconds (≥ 2000-01-01, < 2106)
  int32_t offset;  // UTC offset in force from `at`, seconds east
};
struct TzHistory {
  int first, count;   // kTzTransitions[first .. first+count)
  int64_t rule_from;  // from this Unix second on, the POSIX rule is exact again
};
struct TzZoneEntry {
  const char* name;
  int rule;     // index into kTzRules
  int history;  // index into kTzHistories, −1 if the rule alone is exact since 2000
};
constexpr int64_t kTzForever = INT64_MAX;

#include "time/tz_rules.inc"

}  // namespace tz_table
}  // namespace tariff
