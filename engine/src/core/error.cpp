#include "tariff/error.hpp"

#include <nlohmann/json.hpp>

namespace tariff {

Error Error::bad_request(std::string message) {
  Error e;
  e.status = 400;
  e.error = "Bad Request";
  e.code = "bad_request";
  e.details["body"].push_back(std::move(message));
  return e;
}

Error Error::validation(std::string path, std::string code) {
  Error e;
  e.details[std::move(path)].push_back(std::move(code));
  return e;
}

Error Error::not_found(std::string resource) {
  Error e;
  e.status = 404;
  e.error = "Not Found";
  e.code = resource + "_not_found";
  return e;
}

Error Error::method_not_allowed(std::string code) {
  Error e;
  e.status = 405;
  e.error = "Method Not Allowed";
  e.code = std::move(code);
  return e;
}

std::string Error::to_json() const {
  // ordered_json keeps Lago's key order: status, error, code, error_details.
  nlohmann::ordered_json doc;
  doc["status"] = status;
  doc["error"] = error;
  doc["code"] = code;
  if (!details.empty()) {
    nlohmann::ordered_json d = nlohmann::ordered_json::object();
    for (const auto& [path, codes] : details) d[path] = codes;
    doc["error_details"] = d;
  }
  return doc.dump();
}

void ErrorCollector::add(const std::string& path, const std::string& code) {
  auto& v = details_[path];
  for (const auto& c : v)
    if (c == code) return;
  v.push_back(code);
}

void ErrorCollector::throw_if_any() const {
  if (details_.empty()) return;
  Error e;
  e.details = details_;
  throw Failure(std::move(e));
}

}  // namespace tariff
