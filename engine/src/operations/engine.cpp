#include "tariff/engine.hpp"

#include <nlohmann/json.hpp>

#include "core/guard.hpp"
#include "core/json_write.hpp"
#include "tariff/json.hpp"
#include "operations/operations.hpp"
#include "snapshot/reader_events.hpp"
#include "tariff/decimal.hpp"
#include "tariff/error.hpp"

namespace tariff {

std::optional<Operation> parse_operation(std::string_view name) {
  if (name == "preview") return Operation::preview;
  if (name == "current_usage" || name == "currentUsage") return Operation::current_usage;
  if (name == "projected_usage" || name == "projectedUsage") return Operation::projected_usage;
  if (name == "estimate_fees" || name == "estimateFees") return Operation::estimate_fees;
  if (name == "bill") return Operation::bill;
  if (name == "lifetime_usage" || name == "lifetimeUsage") return Operation::lifetime_usage;
  if (name == "compare_plans" || name == "comparePlans") return Operation::compare_plans;
  return std::nullopt;
}

const char* operation_name(Operation op) {
  switch (op) {
    case Operation::preview: return "preview";
    case Operation::current_usage: return "current_usage";
    case Operation::projected_usage: return "projected_usage";
    case Operation::estimate_fees: return "estimate_fees";
    case Operation::bill: return "bill";
    case Operation::lifetime_usage: return "lifetime_usage";
    case Operation::compare_plans: return "compare_plans";
  }
  return "unknown";
}

namespace {

Result failure(const Error& e) { return Result{e.status, e.to_json()}; }

}  // namespace

std::optional<Error> read_snapshot_document(std::string_view text, nlohmann::json& doc) {
  return read_snapshot_document(text, doc, nullptr);
}

std::optional<Error> read_snapshot_document(std::string_view text, nlohmann::json& doc, ScannedEvents* events) {
  if (text.size() > kMaxSnapshotBytes) {
    Error e = Error::validation("snapshot", "too_large");
    e.status = 413;
    e.error = "Payload Too Large";
    e.code = "payload_too_large";
    return e;
  }
  doc = events ? read_snapshot_text(text, *events) : parse_json_exact(text);
  if (doc.is_discarded()) return Error::bad_request("malformed_json");
  if (!doc.is_object()) return Error::validation("snapshot", "invalid_type");
  return std::nullopt;
}

Error current_exception_error() {
  try {
    throw;
  } catch (const Failure& f) {
    return f.error;
  } catch (const DecimalError&) {
    return Error::validation("snapshot", "value_out_of_range");
  } catch (const std::bad_alloc&) {
    return Error::validation("snapshot", "too_large");
  } catch (const std::exception& e) {
    Error err;
    err.status = 500;
    err.error = "Internal Server Error";
    err.code = "internal_error";
    err.details["engine"].push_back(e.what());
    return err;
  }
}

Result run(Operation op, std::string_view snapshot_json) {
  try {
    // The events array is read straight into typed events (snapshot/reader_events.hpp),
    // except for bill, which may hand a changed copy of the document to estimate_fees.
    ScannedEvents events;
    nlohmann::json doc;
    if (auto e = read_snapshot_document(snapshot_json, doc, op == Operation::bill ? nullptr : &events))
      return failure(*e);
    nlohmann::ordered_json out;
    switch (op) {
      case Operation::current_usage: out = ops::current_usage(doc); break;
      case Operation::projected_usage: out = ops::projected_usage(doc); break;
      case Operation::preview: out = ops::preview(doc); break;
      case Operation::estimate_fees: out = ops::estimate_fees(doc); break;
      case Operation::bill: out = ops::bill(doc); break;
      case Operation::lifetime_usage: out = ops::lifetime_usage(doc); break;
      case Operation::compare_plans: out = ops::compare_plans(doc); break;
    }
    return Result{200, write_json(out)};  // the bytes of out.dump(), cheaper
  } catch (...) {
    return failure(current_exception_error());
  }
}

}  // namespace tariff
