// Shared CLI helpers: precision dispatch and validators that name the flag. Internal to apps/.
#pragma once

#include "numerics/numerics.hpp"

#include <filesystem>
#include <string>

namespace superpose::cli {

/// --help text of every --law option: the one default law of every command is gaussian (the law of the paper's
/// Figure 3 and of the report).
inline constexpr const char* kLawHelp =
    "input law mu: rademacher, gaussian, uniform, laplace, discrete:v1:w1,... (default of every command: gaussian)";

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

}  // namespace superpose::cli
