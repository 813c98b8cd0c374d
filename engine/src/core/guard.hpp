// The engine's one mapping from bad input and failures to error documents (CONTRACT §4),
// shared by every public entry point (run(), the impact of a plan change): the snapshot text
// read as a JSON object, and the error document of whatever was thrown.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tariff/error.hpp"

namespace tariff {

// `doc` = the snapshot text as a JSON object (exact numbers); otherwise the error document
// instead: 413 over kMaxSnapshotBytes, 400 malformed JSON, 422 not an object.
std::optional<Error> read_snapshot_document(std::string_view text, nlohmann::json& doc);
// The same, the root events array read into `events` (snapshot/reader_events.hpp) when given.
struct ScannedEvents;
std::optional<Error> read_snapshot_document(std::string_view text, nlohmann::json& doc, ScannedEvents* events);

// The error document of the exception being handled (call it inside a catch block):
// Failure → its error, a Decimal overflow → 422 value_out_of_range, out of memory → 422
// too_large, anything else → 500 internal_error.
Error current_exception_error();

}  // namespace tariff
