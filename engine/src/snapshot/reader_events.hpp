// The snapshot text read in one pass, its `events` array without a JSON tree (issue 10 §4).
//
// read_snapshot_text() is parse_json_exact() for a snapshot: the same document, the same
// acceptance of malformed text, except that a root `events` array is read straight into typed
// Events (strings as views into `text` unless unescaped, properties as flat lists in an
// arena). The document then holds a marker in place of that array, which parse_snapshot()
// recognises and consumes (once). An event that is not plainly well-formed (a field of the
// wrong type, a missing code or timestamp, a repeated field...) is kept as JSON and read by
// the general path, so errors are exactly those of parse_snapshot() over the full tree.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapshot/snapshot.hpp"

namespace tariff {

struct ScannedEvents {
  std::vector<Event> events;             // input order; general-path ones are placeholders
  // pair_hash(external_subscription_id, transaction_id) of each event read typed, by position
  // (snapshot/event_hash.hpp; unset for the others).
  std::vector<uint64_t> pair_hashes;
  std::vector<size_t> general;           // positions (ascending) of events kept as JSON
  std::vector<nlohmann::json> general_json;
  std::unique_ptr<Arena> arena = std::make_unique<Arena>();
  bool consumed = false;
};

// The document (discarded when malformed); `events` receives the root events array when the
// text has one. Both `text` and `events` must outlive every use of the document.
nlohmann::json read_snapshot_text(std::string_view text, ScannedEvents& events);

// The ScannedEvents a document's `events` member stands for, or null when it is plain JSON.
ScannedEvents* scanned_events(const nlohmann::json& member);

}  // namespace tariff
