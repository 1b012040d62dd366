// Shared CLI helpers: precision dispatch and validators that name the flag. Internal to apps/.
#pragma once

#include "numerics/numerics.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
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

/// Checks every value of `cmd` as typed, before CLI11 converts it: an option that takes a value refuses an empty
/// one ("--m: empty value (expected: <its help text>)", where CLI11 would read '' as 0), and an integer option
/// (CLI11 type INT, an int here, or UINT, a std::uint64_t seed) refuses text that is not an exact integer in the
/// range of its type ("--seed: '-1' is out of range (accepted: integers 0..18446744073709551615)", where CLI11
/// would wrap to 2^64 - 1). "1e5" is accepted and rewritten as "100000", so CLI11's conversion is exact. The
/// meaning of a value (d >= 1, ...) is checked by the options' validate(). Call it after a command's last
/// add_option.
inline void check_values_as_typed(CLI::App* cmd) {
  for (CLI::Option* o : cmd->get_options()) {
    if (o->get_expected_min() == 0) continue;  // flags
    const std::string type = o->get_type_name();
    const bool is_int = type == "INT", is_uint = type == "UINT";
    const std::string help = o->get_description();
    o->transform(CLI::Validator(  // transform: check() would drop the rewritten value
        [is_int, is_uint, help](std::string& v) -> std::string {
          if (trim(v).empty()) return "empty value (expected: " + help + ")";
          if (!is_int && !is_uint) return {};
          const std::string range = is_uint ? "integers 0.." + std::to_string(std::numeric_limits<std::uint64_t>::max())
                                            : "integers of magnitude up to " +
                                                  std::to_string(std::numeric_limits<int>::max());
          Rational q;
          try {
            q = parse_rational(v, "");
          } catch (const InputError&) {
            return "'" + escape_excerpt(v) + "' is not an integer (accepted: " + range + ")";
          }
          if (denominator(q) != 1) return "'" + escape_excerpt(v) + "' is not an integer (accepted: " + range + ")";
          const bool in_range = is_uint ? q >= 0 && q <= Rational(std::numeric_limits<std::uint64_t>::max())
                                        : q >= std::numeric_limits<int>::min() && q <= std::numeric_limits<int>::max();
          if (!in_range) return "'" + escape_excerpt(v) + "' is out of range (accepted: " + range + ")";
          v = numerator(q).str();
          return {};
        },
        ""));
  }
}

}  // namespace superpose::cli
