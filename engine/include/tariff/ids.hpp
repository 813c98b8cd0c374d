// Ids the engine derives for objects a snapshot does not name but Lago's API gives an id (a
// fixed charge's add-on, the taxes applied to a stored invoice or fee): RFC 4122 name-based
// UUIDs (version 5, SHA-1) under one tariff namespace, so the same object gets the same id on
// every call, on every surface (native and WASM give the same bytes), and the server stores
// the id a later calculation would answer. Not secret, not random: a name-based id says which
// object it is, never who may see it.
//
// The namespace is uuid5(NAMESPACE_URL, "urn:tariff:ids") = db8325ff-c6bb-5b1e-b042-cbbafd854d8e;
// a name is "<scope>/<key>" (scopes are fixed words; keys are the parent's id and a code).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tariff {

// uuid5(namespace, name): lowercase "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx"; the first under
// tariff's namespace, the second under any (RFC 4122's own namespaces, for tests).
std::string name_uuid(std::string_view name);
std::string name_uuid(const std::array<uint8_t, 16>& name_space, std::string_view name);

// The add-on of a fixed charge that names none: name_uuid("add_on/" + add_on_code).
std::string derived_add_on_id(std::string_view add_on_code);

// One tax applied to a stored invoice or fee (Lago's Invoice::AppliedTax, Fee::AppliedTax):
// name_uuid("applied_tax/" + parent lago_id + "/" + tax_code), stable across a draft's refreshes.
std::string derived_applied_tax_id(std::string_view parent_id, std::string_view tax_code);

}  // namespace tariff
