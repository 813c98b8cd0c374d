// `tariff check` and `tariff impact`: the CLI's two commands over many snapshots.
//
// check: pricing tests as code. A case file is {"name", "operation", "snapshot", "expect"};
// `expect` is a JSON subset of the result the engine prints (the result document, or the
// error document when the engine refuses the snapshot): every key it gives must be present
// with an equal value, arrays element by element (same length), numbers by value. A number
// and a numeric string are compared by value ("1.0" equals 1 and "1"); anything else by type
// and value. The golden corpus's files {name, source, snapshot, expected | error} are cases
// too: `expected` is an `expect` the engine must answer with success, `error` one it must
// answer with an error document; without `operation`, the nearest enclosing directory named
// after an operation gives it (tests/golden/preview/...). A snapshot given as a JSON string
// is passed as that text (malformed-input cases). The snapshot member's own text is what
// the engine reads: its numbers are never re-serialised.
//
// Nothing here knows a billing rule: it runs the engine and compares JSON.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"

namespace tariff::cli {

// ---- exact JSON for comparison (subset.cpp) ----
// Parses JSON keeping every number with a fraction or an exponent as its original text
// (stored as a nlohmann binary value: no JSON text can produce one otherwise). Nesting
// deeper than kMaxCaseDepth is refused. Returns a discarded value on malformed text.
constexpr int kMaxCaseDepth = 256;
nlohmann::json parse_exact(std::string_view text);

// The original text of `member` in the top-level object of valid JSON `text` (the last one
// if repeated); nullopt when absent or when `text` is not an object.
std::optional<std::string_view> member_text(std::string_view text, std::string_view member);

// Compact JSON of a parse_exact value, number texts as written, cut to `limit` characters.
std::string show(const nlohmann::json& v, size_t limit = 160);

// Empty when `actual` contains `expected` (see the header comment); otherwise the first
// difference as "<path>: expected <e>, got <a>" ("(root)" for the top level).
std::string subset_diff(const nlohmann::json& expected, const nlohmann::json& actual);

// ---- cases (check.cpp) ----
enum class CaseStatus { passed, failed, unreadable };

struct CaseResult {
  std::string file;     // as found (argument, or a path under a directory argument)
  std::string name;     // the case's name (the file when it has none)
  CaseStatus status = CaseStatus::unreadable;
  std::string message;  // why it failed / could not be read; empty when passed
  double seconds = 0;
};

// Runs one case given its file's text; `file` names it (and gives the operation of golden
// cases by directory).
CaseResult run_case(const std::string& file, std::string_view text);

// The case files of the arguments: files as given, directories walked for *.json (sorted).
// A missing path or a directory without cases becomes an unreadable result in `problems`.
std::vector<std::string> collect_cases(const std::vector<std::string>& paths,
                                       std::vector<CaseResult>* problems);

// The whole file (a regular file) into *out; false when it cannot be read.
bool read_file(const std::string& path, std::string* out);

// ---- JUnit XML (junit.cpp) ----
// One <testsuites> with one <testsuite name="tariff check">: every attribute and element the
// JUnit schema requires (name, tests, failures, errors, time, timestamp, hostname, id,
// package; properties, system-out, system-err; testcase name/classname/time;
// failure/error type + message).
std::string junit_xml(const std::vector<CaseResult>& results, const std::string& timestamp,
                      const std::string& hostname, double seconds);

// ---- command-line options (check, impact) ----
// PATH arguments, the value of each option that takes one, and --jobs/-j N (default: the
// machine's cores). help: -h/--help was given (parsing stops there).
struct Options {
  std::vector<std::string> paths;
  std::map<std::string, std::string> values;
  unsigned jobs = 1;
  bool help = false;
};
// Parses `args` for a command whose value options (besides --jobs/-j) are `valued`, e.g.
// {"--junit"}. Returns false on a usage error: an option without its value, a --jobs that is
// not a number.
bool parse_options(const std::vector<std::string>& args,
                   std::initializer_list<std::string_view> valued, Options* out);

// ---- commands ----
// argv after the command word. Output on `out`, diagnostics on `err`; returns the exit code.
int check_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int impact_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// main.cpp's hook: runs `tariff check|impact ...` and returns true with *exit_code set, or
// returns false for any other command.
bool dispatch(int argc, char** argv, int* exit_code);

}  // namespace tariff::cli
