// Placeholder bodies until each operation lands; they answer a clear 422, never a number.
#include "operations/operations.hpp"
#include "tariff/error.hpp"

namespace tariff::ops {
namespace {
[[noreturn]] void not_yet(const char* op) {
  throw Failure(Error::validation(op, "not_implemented"));
}
}  // namespace

}  // namespace tariff::ops
