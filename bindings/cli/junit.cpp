// JUnit XML for `tariff check --junit FILE` (the Ant/Jenkins JUnit schema):
//
//   <testsuites name tests failures errors time>
//     <testsuite name package id tests failures errors skipped time timestamp hostname>
//       <properties/>
//       <testcase name classname time>[<failure message type>text</failure>
//                                      | <error message type>text</error>]</testcase>
//       <system-out/> <system-err/>
//     </testsuite>
//   </testsuites>
//
// A failing case is a <failure type="mismatch">, a case that cannot be read an
// <error type="unreadable_case">. classname is the case file's directory, dotted.
#include <cstdio>

#include "check.hpp"

namespace tariff::cli {
namespace {

// XML 1.0 text: the five entities escaped; control characters XML forbids become U+FFFD.
std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default:
        if (c < 0x20 || c == 0x7f) out += "\xEF\xBF\xBD";
        else out += static_cast<char>(c);
    }
  }
  return out;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", s < 0 ? 0.0 : s);
  return buf;
}

std::string class_name(const std::string& file) {
  std::string dir = file;
  const size_t slash = dir.find_last_of('/');
  dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  while (dir.rfind("./", 0) == 0) dir = dir.substr(2);
  while (!dir.empty() && dir[0] == '/') dir = dir.substr(1);
  for (char& c : dir)
    if (c == '/') c = '.';
  return dir.empty() ? "tariff.check" : dir;
}

}  // namespace

std::string junit_xml(const std::vector<CaseResult>& results, const std::string& timestamp,
                      const std::string& hostname, double seconds) {
  size_t failures = 0, errors = 0;
  for (const auto& r : results) {
    if (r.status == CaseStatus::failed) ++failures;
    if (r.status == CaseStatus::unreadable) ++errors;
  }
  const std::string counts = " tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"" + std::to_string(errors) +
                             "\"";
  const std::string time = " time=\"" + seconds_text(seconds) + "\"";
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"tariff check\"" + counts + time + ">\n";
  x += "  <testsuite name=\"tariff check\" package=\"tariff\" id=\"0\"" + counts +
       " skipped=\"0\"" + time + " timestamp=\"" + xml_escape(timestamp) + "\" hostname=\"" +
       xml_escape(hostname.empty() ? "localhost" : hostname) + "\">\n";
  x += "    <properties/>\n";
  for (const auto& r : results) {
    x += "    <testcase name=\"" + xml_escape(r.name.empty() ? r.file : r.name) +
         "\" classname=\"" + xml_escape(class_name(r.file)) + "\" time=\"" +
         seconds_text(r.seconds) + "\"";
    if (r.status == CaseStatus::passed) {
      x += "/>\n";
      continue;
    }
    const bool failed = r.status == CaseStatus::failed;
    const char* tag = failed ? "failure" : "error";
    x += ">\n      <" + std::string(tag) + " message=\"" + xml_escape(r.message) + "\" type=\"" +
         (failed ? "mismatch" : "unreadable_case") + "\">" + xml_escape(r.file + ": " + r.message) +
         "</" + tag + ">\n    </testcase>\n";
  }
  x += "    <system-out/>\n    <system-err/>\n  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace tariff::cli
