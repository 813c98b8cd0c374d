// tariff CLI: `tariff <operation> [FILE|-]` (CONTRACT §3). Reads a snapshot, prints the
// result JSON on stdout and exits 0; on bad input prints the error document and exits 2.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "check.hpp"  // `tariff check` / `tariff impact`
#include "tariff/engine.hpp"
#include "tariff/error.hpp"
#ifdef __GLIBC__
#include <malloc.h>  // mallopt
#endif

namespace {

int usage() {
  std::cerr << "usage: tariff <preview|current_usage|projected_usage|estimate_fees|bill|lifetime_usage|compare_plans> [FILE|-]\n";
  return 64;
}

bool read_all(std::istream& in, std::string* out) {
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return !in.bad();
}

// A regular file is read in one allocation of its size (no doubling copies of a large
// snapshot). A pipe, FIFO or process substitution (`tariff preview <(...)`) has no size: seeking
// fails and nothing is consumed, so it is streamed instead (as is a file reporting size 0, such
// as those under /proc).
bool read_file(const std::string& path, std::string* out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return false;
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (size <= 0) {
    f.clear();
    f.seekg(0);  // fails harmlessly on a pipe
    f.clear();
    return read_all(f, out);
  }
  f.seekg(0);
  out->resize(static_cast<size_t>(size));
  return static_cast<bool>(f.read(out->data(), size));
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  mallopt(M_MXFAST, 0);  // no fastbins: freeing a large snapshot's many small blocks stays cheap
#endif
  try {
    if (int code = 0; tariff::cli::dispatch(argc, argv, &code)) return code;
    if (argc < 2 || argc > 3) return usage();
    const std::string arg = argv[1];
    if (arg == "-h" || arg == "--help") {
      usage();
      return 0;
    }
    auto op = tariff::parse_operation(arg);
    if (!op) return usage();
    std::string input;
    const std::string path = argc == 3 ? argv[2] : "-";
    if (path == "-") {
      std::ios::sync_with_stdio(false);
      read_all(std::cin, &input);
    } else {
      if (!read_file(path, &input)) {
        std::cerr << "tariff: cannot read " << path << "\n";
        return 66;
      }
    }
    const tariff::Result r = tariff::run(*op, input);
    std::fwrite(r.body.data(), 1, r.body.size(), stdout);
    std::fputc('\n', stdout);
    return r.ok() ? 0 : 2;
  } catch (const std::exception& e) {
    tariff::Error err;
    err.status = 500;
    err.error = "Internal Server Error";
    err.code = "internal_error";
    std::cout << err.to_json() << "\n";
    return 2;
  }
}
