// Shared CLI helpers: precision dispatch and validators that name the flag. Internal to apps/.
#pragma once

#include "numerics/numerics.hpp"

#include <filesystem>
#include <string>

namespace superpose::cli {

/// Accepted --digits values and the scalar type each selects: 16 -> double, 50 -> Real50, 100 -> Real100.
inline void check_digits(int digits) {
  if (digits != 16 && digits != 50 && digits != 100)
    throw InputError("--digits " + std::to_string(digits) + ": unsupported precision (accepted: 16, 50, 100)");
}

/// Calls f.template operator()<T>() with T chosen by digits (16/50/100) or Rational when exact.
template <class F>
decltype(auto) with_precision(int digits, bool exact, F&& f) {
  if (exact) return f.template operator()<Rational>();
  check_digits(digits);
  if (digits == 16) return f.template operator()<double>();
  if (digits == 50) return f.template operator()<Real50>();
  return f.template operator()<Real100>();
}

/// Checks an output format against the accepted list, e.g. check_format(fmt, {"json", "text"}).
inline void check_format(const std::string& format, std::initializer_list<const char*> accepted) {
  std::string list;
  for (const char* a : accepted) {
    if (format == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw InputError("--format: unknown format '" + format + "' (accepted: " + list + ")");
}

/// Checks, before any work, that `path` can be written as a regular file: its folder exists, and the path is not a
/// folder or a special file (device, FIFO, socket). Throws InputError naming the flag.
inline void check_output_file(const std::string& path, const std::string& flag) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(fs::path(path), ec);
  const fs::path& t = ec ? fs::path(path) : target;
  const fs::file_status st = fs::status(t, ec);
  if (fs::exists(st)) {
    if (fs::is_directory(st)) throw InputError(flag + ": '" + path + "' is a folder; give a file name");
    if (!fs::is_regular_file(st))
      throw InputError(flag + ": '" + path + "' is a special file (device, FIFO or socket); give a regular file");
  }
  const fs::path parent = t.has_parent_path() ? t.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec))
    throw InputError(flag + ": the folder of '" + path + "' does not exist");
}

}  // namespace superpose::cli
