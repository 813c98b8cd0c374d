// Error documents, Lago-style (CONTRACT §4).
//
// Bad input becomes an Error value: an HTTP-like status, Lago's error label and code, and
// details mapping a JSON path ("plans[0].charges[1].properties.amount") to Lago's codes.
// Validation collects every problem it finds before failing (ErrorCollector); the engine
// throws Failure once, and each surface (CLI, embind, HTTP) has one catch that prints it.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace tariff {

struct Error {
  int status = 422;
  std::string error = "Unprocessable Entity";
  std::string code = "validation_errors";
  std::map<std::string, std::vector<std::string>> details;

  static Error bad_request(std::string message);          // 400 bad_request
  static Error validation(std::string path, std::string code);  // 422 validation_errors
  static Error not_found(std::string resource);           // 404 <resource>_not_found
  static Error method_not_allowed(std::string code);      // 405 (Lago's not_allowed)
  // The document as JSON text, keys in a fixed order, byte-identical on every surface.
  std::string to_json() const;
};

struct Failure : std::runtime_error {
  explicit Failure(Error e) : std::runtime_error(e.code), error(std::move(e)) {}
  Error error;
};

// Gathers validation problems; throw_if_any() raises one 422 with all of them.
class ErrorCollector {
 public:
  void add(const std::string& path, const std::string& code);
  bool empty() const { return details_.empty(); }
  void throw_if_any() const;

 private:
  std::map<std::string, std::vector<std::string>> details_;
};

}  // namespace tariff
