// superpose/numerics: numerical machinery that knows no model: scalar types, exact parsing, decimal formatting,
// CSV matrices, the one p-grid grammar, the NLopt adapter (numerics/maximize.cpp) and the MPFR-50 Newton polish
// (numerics/polish.cpp). Depends on core/ (errors, files) only.
//
// Contract
// --------
// * Scalar types. `double` is the working type for optimisation and training. `Real50` and `Real100` are MPFR
//   floats with 50 and 100 significant decimal digits (Boost.Multiprecision, fixed-size backend, expression
//   templates off). `Rational` is an exact GMP rational. The engine of theory/ is instantiated for exactly these
//   four types, one translation unit each (numerics/*.cpp, theory/*.cpp), to bound compile time and memory.
// * Parsing. Numbers on the command line and in weight files are parsed as exact rationals first ("0.1" is 1/10,
//   "3/7" is 3/7, "1e-6" is 1/1000000) and only then converted to the working type, so a 50-digit run sees the
//   decimal the user typed, not its double rounding.
// * Errors. Bad user input throws `InputError` (core/core.hpp) with a one-line message naming the problem and
//   what is accepted; the CLI turns it into exit code 2.
// * Determinism. Everything here is deterministic; NLopt's local algorithms are, and MLSL uses its own fixed
//   low-discrepancy sequence.
#pragma once

#include "core/core.hpp"

#include <boost/multiprecision/eigen.hpp>
#include <boost/multiprecision/gmp.hpp>
#include <boost/multiprecision/mpfi.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include <Eigen/Core>

#include <stdexcept>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace superpose {

namespace mp = boost::multiprecision;

/// 50 significant decimal digits (MPFR, fixed precision, no expression templates).
using Real50 = mp::number<mp::mpfr_float_backend<50>, mp::et_off>;
/// 100 significant decimal digits (MPFR, fixed precision, no expression templates).
using Real100 = mp::number<mp::mpfr_float_backend<100>, mp::et_off>;
/// Exact rational (GMP mpq_t).
using Rational = mp::number<mp::gmp_rational, mp::et_off>;
/// A closed interval with 60-digit MPFR endpoints and outward rounding (MPFI): the result of every operation
/// contains the exact result for every point of its operands, so a computation on Intervals encloses the exact
/// value. Never compare two Intervals with <, >, == (Boost throws on overlap, inside a noexcept function):
/// compare endpoints, `lower(x)` and `upper(x)` (60-digit MPFR numbers), or use the helpers below.
using Interval = mp::number<mp::mpfi_float_backend<60>, mp::et_off>;

/// Dense column-major matrix and column vector of any of the four scalar types.
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

/// Trait: true for the exact type `Rational`.
template <class T>
inline constexpr bool is_exact_v = std::is_same_v<T, Rational>;

/// x^k for an integer k ≥ 0 by repeated squaring (any scalar type: double, Real50, Rational, Interval, ...); x^0 = 1.
template <class T>
T ipow(T x, long k) {
  T r(1);
  while (k > 0) {
    if (k & 1) r *= x;
    x *= x;
    k >>= 1;
  }
  return r;
}

/// Significant decimal digits carried by T: 16 for double, 50, 100; 0 for Rational (exact).
template <class T>
constexpr int digits_of() {
  if constexpr (std::is_same_v<T, double>) return 16;
  else if constexpr (std::is_same_v<T, Real50>) return 50;
  else if constexpr (std::is_same_v<T, Real100>) return 100;
  else return 0;
}

/// Bytes of one scalar of the type that `digits` selects (16: double, 50: Real50, 100: Real100, 0: Rational), heap
/// included: MPFR's limbs, Rational's two GMP integers (at one limb each, the least an exact value takes). For the
/// memory estimates of the commands (an MPFR-50 matrix costs 9 times a double one).
double scalar_bytes(int digits);

/// Parses an exact rational from text: an integer ("-3"), a fraction ("3/7"), or a decimal with optional
/// exponent ("0.125", "1e-6", "-2.5E+3"). Leading/trailing blanks are ignored.
/// Throws InputError (naming `what`, e.g. "--p") on anything else: "empty value" for empty or blank text; NaN, inf,
/// letters, a zero denominator (the text shown as an escaped excerpt, core/ escape_excerpt).
Rational parse_rational(std::string_view text, std::string_view what);

/// Converts an exact rational to T, correctly rounded for Real50/Real100 (MPFR), to nearest for double.
template <class T>
T from_rational(const Rational& q);

/// Formats x with `digits` significant decimal digits in scientific or fixed notation, whichever is shorter
/// (like printf %g, but for any of the four scalar types). For Rational, returns "num/den" (or "num"), exactly.
std::string to_decimal(double x, int digits);
std::string to_decimal(const Real50& x, int digits);
std::string to_decimal(const Real100& x, int digits);
std::string to_decimal(const Rational& x, int digits);
/// The interval [q, q] rounded outward: it contains the rational q exactly.
Interval interval_from_rational(const Rational& q);
/// The endpoints of x as decimals with `digits` significant digits, rounded outward (lo down, hi up), so that
/// [lo, hi] as read back still contains x.
std::pair<std::string, std::string> interval_to_decimal(const Interval& x, int digits);
/// Leading significant decimal digits every point of x shares: ⌊−log10(relative diameter)⌋, 0 if x contains 0.
int interval_digits(const Interval& x);
/// Certified comparisons with an exact rational: +1 if every point of x exceeds q, −1 if every point is below q,
/// 0 if q lies in x (undecided).
int interval_compare(const Interval& x, const Rational& q);

/// A real number known exactly (a rational) or only through a certified enclosure. `enclosure` always contains the
/// value (for an exact value it is [q, q] rounded outward); `exact` is set exactly when the value is a known
/// rational. Used by every certified verdict (`superpose check`).
struct CertifiedReal {
  std::optional<Rational> exact;
  Interval enclosure;
  static CertifiedReal of(const Rational& q) { return {q, interval_from_rational(q)}; }
  static CertifiedReal of(const Interval& x) { return {std::nullopt, x}; }
};
/// The outcome of a certified comparison: decided (less, equal, greater) or undecided (the enclosures overlap).
enum class CertifiedOrder { less, equal, greater, undecided };
std::string_view to_string(CertifiedOrder o);  // "less", "equal", "greater", "undecided"
/// Compares a with b: in exact rationals when both are exact, otherwise from the enclosures, which decides only
/// when they are disjoint (an exact value is compared with the other's enclosure directly, interval_compare).
CertifiedOrder certified_compare(const CertifiedReal& a, const CertifiedReal& b);
/// a/b: exact when both are exact, else an enclosure (MPFI). Throws std::domain_error if b is 0 or its enclosure
/// contains 0.
CertifiedReal certified_ratio(const CertifiedReal& a, const CertifiedReal& b);
/// A decimal correct to every digit shown: an exact value with `digits` significant digits (correctly rounded);
/// an enclosure's midpoint with one digit fewer than all its points share (interval_digits − 1, at most
/// `digits`), or "[lo, hi]" (outward, `digits` digits) when they share fewer than two.
std::string certified_to_decimal(const CertifiedReal& x, int digits);

/// Decimal approximation of a rational with `digits` significant digits (for tables that show exact values).
std::string rational_to_decimal(const Rational& x, int digits);

/// Reads a weight file: d lines of n comma-separated numbers (blank lines and lines starting with '#' are
/// skipped; a UTF-8 byte-order mark at the start is ignored), each parsed exactly by parse_rational. Returns W as a
/// d×n exact matrix. Throws InputError naming the file, line and column for: a missing/unreadable file, a directory,
/// an empty file, a non-number (text, nan, inf; shown as an escaped excerpt, so binary bytes never reach the
/// terminal), or rows of unequal length.
Matrix<Rational> read_matrix_csv(const std::string& path);

/// Reads a weight matrix stored by numpy.save: the .npy format (numpy's format documentation, "NEP 1"), versions
/// 1.0, 2.0 and 3.0, a 2-D array of little-endian float64 ('<f8') or float32 ('<f4'), C or Fortran order. Each
/// entry is taken at its exact binary value (so 0.1 stored as a double is 3602879701896397/2^55, not 1/10; write a
/// CSV file to give decimals exactly). Returns W (rows × columns of the array) as exact rationals. Throws
/// InputError naming the file for: a missing file or a directory, a bad magic string or version, a header that is
/// not a numpy dict, another dtype (big-endian, integers, objects), a shape that is not 2-D or has a zero extent, a
/// truncated payload or trailing bytes, and a non-finite entry (naming its row and column).
Matrix<Rational> read_matrix_npy(const std::string& path);

/// Reads a weight file by its extension: ".npy" (read_matrix_npy), anything else CSV (read_matrix_csv).
Matrix<Rational> read_matrix(const std::string& path);

/// The bytes of a .npy file (version 1.0, '<f8', C order, shape (rows, cols)) holding M rounded to double.
/// Throws InputError (naming `what`, e.g. "--grad") if an entry is outside double's range.
template <class T>
std::string matrix_to_npy(const Matrix<T>& M, const std::string& what);

/// The content of a matrix file chosen by the extension of `path`: ".npy" gives matrix_to_npy (float64), anything
/// else matrix_to_csv with `digits` significant digits. Write it with write_file_atomic.
template <class T>
std::string matrix_file_content(const std::string& path, const Matrix<T>& M, int digits);

/// Formats a matrix as CSV (one line per row) with `digits` significant digits (exact fractions for Rational).
template <class T>
std::string matrix_to_csv(const Matrix<T>& M, int digits);

/// A matrix rounded to decimals: `text` holds each entry as the decimal string written (row by row), `W` the exact
/// rational each string denotes, so a file of these strings read back by read_matrix_csv gives W exactly.
struct DecimalMatrix {
  Matrix<Rational> W;
  std::vector<std::vector<std::string>> text;
  std::string csv() const;  // one line per row, entries separated by commas, as matrix_to_csv writes them
};
/// Rounds every entry of M (any shape) to `digits` significant decimal digits (to_decimal) and reads each decimal
/// back exactly. Cost: one MPFR formatting and one exact parse per entry.
DecimalMatrix round_to_decimals(const Matrix<Real50>& M, int digits);

// ---------------------------------------------------------------------------------------------------------
// The p-grid grammar (every command that takes a list of feature probabilities: bounds, verify, sweep, report)
// ---------------------------------------------------------------------------------------------------------

/// A feature probability as the decimal text that defines it and its exact value (that text, read exactly).
struct GridP {
  std::string text;
  Rational value;
};

/// Largest count accepted in "lo:hi:count".
inline constexpr int kMaxGridCount = 100000;

/// Parses a p list: "v", "v1,v2,..." (each read exactly by parse_rational) or "lo:hi:count" (count log-spaced
/// values from lo to hi inclusive; lo and hi are kept exactly, each interior value is exp(log lo + i/(count−1)·
/// log(hi/lo)) in MPFR-50 rounded to 12 significant digits, and that decimal is read exactly, so every p is an
/// exact rational with a short, reproducible decimal). Ends are shown in the same 12-digit style when that is the
/// same number. Throws InputError naming `flag` on bad syntax, a count outside 2..kMaxGridCount, or a value outside
/// (0, 1]. Cost O(count) MPFR-50 operations.
std::vector<GridP> parse_p_grid(const std::string& spec, const std::string& flag);

// ---------------------------------------------------------------------------------------------------------
// Local maximisation in double (NLopt C++ API)
// ---------------------------------------------------------------------------------------------------------

/// f(x, grad) returns the objective at x and, when grad is non-empty, writes ∂f/∂x into it (same length as x).
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>& grad)>;

/// NLopt algorithms offered to users: lbfgs (LD_LBFGS), mma (LD_MMA), slsqp (LD_SLSQP), bobyqa (LN_BOBYQA,
/// derivative-free), mlsl (G_MLSL_LDS global multistart with LD_LBFGS local searches; needs finite box bounds).
enum class Algorithm { lbfgs, mma, slsqp, bobyqa, mlsl };
/// Reads an algorithm name ("lbfgs", ...). Throws InputError naming `flag` and the accepted names otherwise.
Algorithm parse_algorithm(std::string_view name, std::string_view flag = "--algorithm");
std::string_view to_string(Algorithm a);  // "lbfgs", "mma", "slsqp", "bobyqa", "mlsl"

struct MaximizeOptions {
  Algorithm algorithm = Algorithm::lbfgs;
  double ftol_rel = 1e-14;
  double xtol_rel = 1e-12;
  int max_evals = 20000;
  double max_seconds = 0;   // 0: no limit
  double box = 0;           // > 0: bounds [−box, box] on every coordinate (required by mlsl)
};

/// Outcome of one NLopt run. `status` is NLopt's result name ("FTOL_REACHED", "ROUNDOFF_LIMITED", ...);
/// `ok` is false when NLopt failed (invalid arguments, out of memory, forced stop, roundoff before any
/// progress); x and value then hold the best point seen, which is never worse than the start.
struct MaximizeResult {
  std::vector<double> x;
  double value = 0;
  int evals = 0;
  std::string status;
  bool ok = false;
};

/// Maximises f from x0 with NLopt (double precision only; NLopt has no multiprecision). Never throws for an
/// NLopt failure: it is reported in the result. Cost: at most opt.max_evals calls of f.
MaximizeResult maximize(const Objective& f, std::vector<double> x0, const MaximizeOptions& opt);

// ---------------------------------------------------------------------------------------------------------
// Newton polish in MPFR-50 (numerics/polish.cpp: the only translation unit with an Eigen decomposition on Real50)
// ---------------------------------------------------------------------------------------------------------

/// f(W, grad) returns the objective at W and writes ∂f/∂W (same shape) into grad.
using Real50Objective = std::function<Real50(const Matrix<Real50>& W, Matrix<Real50>& grad)>;

struct PolishOutcome {
  Matrix<Real50> W;
  Real50 value;
  Real50 grad_norm;  // Frobenius norm of ∂f/∂W at W
  int steps = 0;
  bool converged = false;
  std::string note;
};

/// Maximises f near W (any shape, P entries) by Newton steps: Hessian by central differences of the analytic
/// gradient (step 1e-20 relative), symmetrised, inverted on its eigenvalues with |λ| > 1e-10·max|λ| (this drops
/// gauge directions such as W → QW). The step length is halved (up to 12 times) until it lowers the gradient norm
/// without lowering f by more than 1e-40 relative. Stops when ‖∇f‖ < target or after max_steps.
/// Cost per step: 2P+1 calls of f and one P×P symmetric eigendecomposition in MPFR-50. Never throws by itself.
PolishOutcome newton_polish(const Real50Objective& f, Matrix<Real50> W, const Real50& target, int max_steps);

}  // namespace superpose
