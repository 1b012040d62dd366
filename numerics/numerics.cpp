// Implementation of numerics/numerics.hpp: parsing, formatting, CSV matrices and the p-grid grammar.
#include "numerics/numerics.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

namespace superpose {

namespace {

[[noreturn]] void bad_number(std::string_view text, std::string_view what) {
  if (trim(text).empty())
    throw InputError(std::string(what) +
                     ": empty value (accepted: integers, decimals such as 0.25 or 1e-6, fractions such as 3/7)");
  throw InputError(std::string(what) + ": '" + escape_excerpt(text) +
                   "' is not a number (accepted: integers, decimals such as 0.25 or 1e-6, fractions such as 3/7)");
}

// A folder opens as an empty stream on Linux: name it instead of calling it empty.
void refuse_directory(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError("weights: '" + path + "' is a directory (expected a CSV or .npy file holding W)");
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Parses [+-]digits[.digits][(e|E)[+-]digits] exactly.
Rational parse_decimal(const std::string& s, std::string_view original, std::string_view what) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::string mantissa;
  long frac_digits = 0;
  bool seen_digit = false, seen_point = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      mantissa += c;
      seen_digit = true;
      if (seen_point) ++frac_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!seen_digit) bad_number(original, what);
  long exponent = 0;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') bad_number(original, what);
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    std::string ed = s.substr(i);
    if (!all_digits(ed) || ed.size() > 6) bad_number(original, what);
    exponent = std::stol(ed);
    if (eneg) exponent = -exponent;
  }
  // Strip leading zeros: GMP would read "025" as octal.
  const size_t nz = mantissa.find_first_not_of('0');
  mp::mpz_int num(nz == std::string::npos ? std::string("0") : mantissa.substr(nz));
  long e10 = exponent - frac_digits;
  mp::mpz_int scale = mp::pow(mp::mpz_int(10), static_cast<unsigned>(e10 < 0 ? -e10 : e10));
  Rational q = e10 >= 0 ? Rational(num * scale) : Rational(num, scale);
  return negative ? Rational(-q) : q;
}

}  // namespace

Rational parse_rational(std::string_view text, std::string_view what) {
  std::string s = trim(text);
  if (s.empty()) bad_number(text, what);
  auto slash = s.find('/');
  if (slash != std::string::npos) {
    Rational a = parse_decimal(trim(s.substr(0, slash)), text, what);
    Rational b = parse_decimal(trim(s.substr(slash + 1)), text, what);
    if (b == 0)
      throw InputError(std::string(what) + ": '" + escape_excerpt(text) + "' has a zero denominator");
    return a / b;
  }
  return parse_decimal(s, text, what);
}

double scalar_bytes(int digits) {
  switch (digits) {
    case 16: return sizeof(double);
    // The mpfr_t and its limbs, allocated on the heap (with malloc's overhead).
    case 50: return sizeof(Real50) + 16 + sizeof(mp_limb_t) * ((std::numeric_limits<Real50>::digits + 63) / 64);
    case 100: return sizeof(Real100) + 16 + sizeof(mp_limb_t) * ((std::numeric_limits<Real100>::digits + 63) / 64);
    default: return sizeof(Rational) + 2 * (sizeof(mp_limb_t) + 16);  // + two heap blocks with malloc overhead
  }
}

template <>
double from_rational<double>(const Rational& q) {
  // mpq_get_d truncates; MPFR at 53 bits rounds to nearest.
  mpfr_t r;
  mpfr_init2(r, 53);
  mpfr_set_q(r, q.backend().data(), MPFR_RNDN);
  double d = mpfr_get_d(r, MPFR_RNDN);
  mpfr_clear(r);
  return d;
}
template <>
Real50 from_rational<Real50>(const Rational& q) { return Real50(q); }
template <>
Real100 from_rational<Real100>(const Rational& q) { return Real100(q); }
template <>
Rational from_rational<Rational>(const Rational& q) { return q; }
template <>
Interval from_rational<Interval>(const Rational& q) { return interval_from_rational(q); }

Interval interval_from_rational(const Rational& q) {
  Interval x;
  mpfi_set_q(x.backend().data(), q.backend().data());
  return x;
}

std::string_view to_string(CertifiedOrder o) {
  switch (o) {
    case CertifiedOrder::less: return "less";
    case CertifiedOrder::equal: return "equal";
    case CertifiedOrder::greater: return "greater";
    case CertifiedOrder::undecided: return "undecided";
  }
  return "?";
}

CertifiedOrder certified_compare(const CertifiedReal& a, const CertifiedReal& b) {
  if (a.exact && b.exact)
    return *a.exact < *b.exact ? CertifiedOrder::less : *a.exact > *b.exact ? CertifiedOrder::greater : CertifiedOrder::equal;
  if (b.exact) {
    const int c = interval_compare(a.enclosure, *b.exact);
    return c > 0 ? CertifiedOrder::greater : c < 0 ? CertifiedOrder::less : CertifiedOrder::undecided;
  }
  if (a.exact) {
    const int c = interval_compare(b.enclosure, *a.exact);
    return c > 0 ? CertifiedOrder::less : c < 0 ? CertifiedOrder::greater : CertifiedOrder::undecided;
  }
  const mpfi_srcptr x = a.enclosure.backend().data(), y = b.enclosure.backend().data();
  if (mpfr_cmp(&x->left, &y->right) > 0) return CertifiedOrder::greater;
  if (mpfr_cmp(&x->right, &y->left) < 0) return CertifiedOrder::less;
  return CertifiedOrder::undecided;
}

CertifiedReal certified_ratio(const CertifiedReal& a, const CertifiedReal& b) {
  if (b.exact ? *b.exact == 0 : mpfi_has_zero(b.enclosure.backend().data()) != 0)
    throw std::domain_error("certified_ratio: the denominator is 0 or its enclosure contains 0");
  if (a.exact && b.exact) return CertifiedReal::of(Rational(*a.exact / *b.exact));
  return CertifiedReal::of(Interval(a.enclosure / b.enclosure));
}

namespace {
// x as a decimal with `digits` significant digits, rounded in direction `rnd`.
std::string directed_decimal(mpfr_srcptr x, int digits, mpfr_rnd_t rnd) {
  if (mpfr_zero_p(x)) return "0";
  mpfr_exp_t e = 0;
  char* raw = mpfr_get_str(nullptr, &e, 10, static_cast<size_t>(digits), x, rnd);
  std::string m(raw);
  mpfr_free_str(raw);
  std::string sign;
  if (!m.empty() && m[0] == '-') {
    sign = "-";
    m.erase(0, 1);
  }
  // m = d1 d2 ... dn with value 0.d1d2...dn × 10^e: write d1.d2...dn e(e−1).
  while (m.size() > 1 && m.back() == '0') m.pop_back();
  std::string out = sign + m.substr(0, 1);
  if (m.size() > 1) out += "." + m.substr(1);
  const long exp10 = static_cast<long>(e) - 1;
  if (exp10 != 0) out += "e" + std::to_string(exp10);
  return out;
}
}  // namespace

std::pair<std::string, std::string> interval_to_decimal(const Interval& x, int digits) {
  mpfr_t lo, hi;
  mpfr_init2(lo, mpfi_get_prec(x.backend().data()));
  mpfr_init2(hi, mpfi_get_prec(x.backend().data()));
  mpfi_get_left(lo, x.backend().data());
  mpfi_get_right(hi, x.backend().data());
  std::pair<std::string, std::string> out{directed_decimal(lo, digits, MPFR_RNDD), directed_decimal(hi, digits, MPFR_RNDU)};
  mpfr_clear(lo);
  mpfr_clear(hi);
  return out;
}

int interval_digits(const Interval& x) {
  if (mpfi_has_zero(x.backend().data())) return 0;
  mpfr_t r;
  mpfr_init2(r, 64);
  mpfi_diam_rel(r, x.backend().data());
  const double rel = mpfr_get_d(r, MPFR_RNDU);
  mpfr_clear(r);
  if (!(rel > 0)) return 60;
  return static_cast<int>(std::max(0.0, std::floor(-std::log10(rel))));
}

int interval_compare(const Interval& x, const Rational& q) {
  mpfr_t lo, hi;
  mpfr_init2(lo, mpfi_get_prec(x.backend().data()));
  mpfr_init2(hi, mpfi_get_prec(x.backend().data()));
  mpfi_get_left(lo, x.backend().data());
  mpfi_get_right(hi, x.backend().data());
  const int above = mpfr_cmp_q(lo, q.backend().data()) > 0, below = mpfr_cmp_q(hi, q.backend().data()) < 0;
  mpfr_clear(lo);
  mpfr_clear(hi);
  return above ? 1 : below ? -1 : 0;
}

std::string certified_to_decimal(const CertifiedReal& x, int digits) {
  if (x.exact) return rational_to_decimal(*x.exact, digits);
  const int shared = std::min(digits, interval_digits(x.enclosure) - 1);  // one digit of slack for the rounding
  if (shared < 1) {
    const auto [lo, hi] = interval_to_decimal(x.enclosure, digits);
    return "[" + lo + ", " + hi + "]";
  }
  return to_decimal(Real50(mp::median(x.enclosure)), shared);
}

namespace {
template <class R>
std::string format_mpfr(const R& x, int digits) {
  std::ostringstream os;
  os.precision(digits);
  os << x;  // %g-style: shortest of fixed and scientific at `digits` significant digits
  return os.str();
}
}  // namespace

std::string to_decimal(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}
std::string to_decimal(const Real50& x, int digits) { return format_mpfr(x, digits); }
std::string to_decimal(const Real100& x, int digits) { return format_mpfr(x, digits); }
std::string to_decimal(const Rational& x, int) { return x.str(); }

std::string rational_to_decimal(const Rational& x, int digits) {
  return format_mpfr(Real100(x), digits);
}

Matrix<Rational> read_matrix_csv(const std::string& path) {
  refuse_directory(path);
  std::ifstream in(path);
  if (!in) throw InputError("weights: cannot open '" + path + "' (expected a CSV file of d lines with n numbers)");
  std::vector<std::vector<Rational>> rows;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (lineno == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 byte-order mark
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    std::vector<Rational> row;
    int col = 0;
    for (const std::string& field : split(t, ',')) {
      ++col;
      row.push_back(parse_rational(field, path + " line " + std::to_string(lineno) + " column " + std::to_string(col)));
    }
    if (!rows.empty() && row.size() != rows.front().size())
      throw InputError(path + " line " + std::to_string(lineno) + ": " + std::to_string(row.size()) +
                       " numbers, but the first row has " + std::to_string(rows.front().size()) +
                       " (every row of W must have n entries)");
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw InputError("weights: '" + path + "' is empty (expected d lines of n comma-separated numbers)");
  Matrix<Rational> W(rows.size(), rows.front().size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) W(i, j) = rows[i][j];
  return W;
}

template <class T>
std::string matrix_to_csv(const Matrix<T>& M, int digits) {
  std::string out;
  for (Eigen::Index i = 0; i < M.rows(); ++i) {
    for (Eigen::Index j = 0; j < M.cols(); ++j) {
      if (j) out += ',';
      out += to_decimal(M(i, j), digits);
    }
    out += '\n';
  }
  return out;
}

DecimalMatrix round_to_decimals(const Matrix<Real50>& M, int digits) {
  DecimalMatrix out;
  out.W.resize(M.rows(), M.cols());
  out.text.assign(M.rows(), std::vector<std::string>(M.cols()));
  for (Eigen::Index i = 0; i < M.rows(); ++i)
    for (Eigen::Index j = 0; j < M.cols(); ++j) {
      out.text[i][j] = to_decimal(M(i, j), digits);
      out.W(i, j) = parse_rational(out.text[i][j], "round_to_decimals");
    }
  return out;
}

std::string DecimalMatrix::csv() const {
  std::string out;
  for (const auto& row : text) {
    for (size_t j = 0; j < row.size(); ++j) out += (j ? "," : "") + row[j];
    out += '\n';
  }
  return out;
}

template std::string matrix_to_csv<double>(const Matrix<double>&, int);
template std::string matrix_to_csv<Real50>(const Matrix<Real50>&, int);
template std::string matrix_to_csv<Real100>(const Matrix<Real100>&, int);
template std::string matrix_to_csv<Rational>(const Matrix<Rational>&, int);

std::vector<GridP> parse_p_grid(const std::string& spec, const std::string& flag) {
  auto exact = [&](const std::string& text) { return GridP{trim(text), parse_rational(text, flag)}; };
  std::vector<GridP> out;
  const auto parts = split(spec, ':');
  if (parts.size() == 3) {
    GridP lo = exact(parts[0]), hi = exact(parts[1]);
    // Ends in the same 12-digit style as the interior when that is the same exact number.
    for (GridP* e : {&lo, &hi}) {
      const std::string t = to_decimal(from_rational<Real50>(e->value), 12);
      if (e->value > 0 && parse_rational(t, flag) == e->value) e->text = t;
    }
    const Rational cnt = parse_rational(parts[2], flag + " count");
    if (denominator(cnt) != 1 || cnt < 2 || cnt > kMaxGridCount)
      throw InputError(flag + ": in lo:hi:count the count must be an integer in 2.." + std::to_string(kMaxGridCount) +
                       " (got '" + spec + "')");
    if (!(lo.value > 0 && lo.value < hi.value && hi.value <= 1))
      throw InputError(flag + ": lo:hi:count needs 0 < lo < hi <= 1 (got '" + spec + "')");
    const int count = static_cast<int>(numerator(cnt));
    const Real50 a = log(from_rational<Real50>(lo.value)), b = log(from_rational<Real50>(hi.value));
    out.push_back(lo);
    for (int i = 1; i + 1 < count; ++i)
      out.push_back(exact(to_decimal(Real50(exp(a + (b - a) * Real50(i) / Real50(count - 1))), 12)));
    out.push_back(hi);
  } else if (parts.size() == 1) {
    for (const std::string& item : split(spec, ',')) out.push_back(exact(item));
  } else {
    throw InputError(flag + ": '" + spec + "' is not a value, a comma list, or lo:hi:count");
  }
  for (const GridP& p : out)
    if (!(p.value > 0 && p.value <= 1))
      throw InputError(flag + ": every feature probability must lie in (0, 1] (got '" + p.text + "')");
  return out;
}

}  // namespace superpose

// ---------------------------------------------------------------------------------------------------------
// .npy files (numpy.lib.format: magic "\x93NUMPY", version, header length, a Python-literal dict header)
// ---------------------------------------------------------------------------------------------------------

namespace superpose {

namespace {

/// The value of `key` in a numpy header dict, e.g. "'<f8'" or "(3, 4)" (text up to the next top-level comma).
std::string npy_field(const std::string& header, const std::string& key, const std::string& path) {
  const std::string k = "'" + key + "'";
  const size_t at = header.find(k);
  if (at == std::string::npos) throw InputError("weights: '" + path + "' has no " + k + " in its .npy header");
  size_t i = header.find(':', at + k.size());
  if (i == std::string::npos) throw InputError("weights: '" + path + "': malformed .npy header");
  ++i;
  int depth = 0;
  size_t j = i;
  for (; j < header.size(); ++j) {
    const char c = header[j];
    if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if ((c == ',' || c == '}') && depth == 0) break;
  }
  return trim(header.substr(i, j - i));
}

}  // namespace

Matrix<Rational> read_matrix_npy(const std::string& path) {
  refuse_directory(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("weights: cannot open '" + path + "' (expected a .npy file holding a 2-D float64 array)");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string bad = "weights: '" + path + "' ";
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw InputError(bad + "is not a .npy file (no \\x93NUMPY magic string; save W with numpy.save)");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t hlen = 0, pos = 0;
  auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(bytes[i])); };
  if (major == 1) {
    hlen = byte(8) | byte(9) << 8;
    pos = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw InputError(bad + "is truncated (incomplete .npy header)");
    hlen = byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
    pos = 12;
  } else {
    throw InputError(bad + "has .npy version " + std::to_string(major) + " (accepted: 1.0, 2.0, 3.0)");
  }
  if (bytes.size() < pos + hlen) throw InputError(bad + "is truncated (incomplete .npy header)");
  const std::string header = bytes.substr(pos, hlen);
  pos += hlen;
  const std::string descr = npy_field(header, "descr", path);
  size_t width = 0;
  if (descr == "'<f8'") width = 8;
  else if (descr == "'<f4'") width = 4;
  else
    throw InputError(bad + "holds dtype " + descr + " (accepted: little-endian float64 '<f8' or float32 '<f4'; "
                     "convert with W.astype('<f8'))");
  const std::string order = npy_field(header, "fortran_order", path);
  if (order != "True" && order != "False") throw InputError(bad + ": malformed fortran_order in its .npy header");
  const bool fortran = order == "True";
  std::string shape = npy_field(header, "shape", path);
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')')
    throw InputError(bad + ": malformed shape in its .npy header");
  std::vector<long long> dims;
  for (const std::string& f : split(shape.substr(1, shape.size() - 2), ',')) {
    const std::string t = trim(f);
    if (t.empty()) continue;
    if (t.find_first_not_of("0123456789") != std::string::npos) throw InputError(bad + ": malformed shape " + shape);
    dims.push_back(std::stoll(t));
  }
  if (dims.size() != 2 || dims[0] < 1 || dims[1] < 1)
    throw InputError(bad + "holds an array of shape " + shape + " (expected 2-D, d rows of n columns, both >= 1)");
  const long long rows = dims[0], cols = dims[1];
  const size_t need = static_cast<size_t>(rows) * static_cast<size_t>(cols) * width;
  if (bytes.size() - pos != need)
    throw InputError(bad + "has " + std::to_string(bytes.size() - pos) + " payload bytes, but shape " + shape +
                     " needs " + std::to_string(need) + (bytes.size() - pos < need ? " (truncated)" : " (trailing bytes)"));
  Matrix<Rational> W(rows, cols);
  const char* data = bytes.data() + pos;
  for (long long k = 0; k < rows * cols; ++k) {
    double v;
    if (width == 8) {
      std::memcpy(&v, data + 8 * k, 8);
    } else {
      float f;
      std::memcpy(&f, data + 4 * k, 4);
      v = f;
    }
    const long long i = fortran ? k % rows : k / cols, j = fortran ? k / rows : k % cols;
    if (!std::isfinite(v))
      throw InputError(bad + "W(" + std::to_string(i + 1) + "," + std::to_string(j + 1) +
                       ") is not a finite number (nan or inf)");
    W(i, j) = Rational(v);
  }
  return W;
}

Matrix<Rational> read_matrix(const std::string& path) {
  const bool npy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  return npy ? read_matrix_npy(path) : read_matrix_csv(path);
}

template <class T>
std::string matrix_to_npy(const Matrix<T>& M, const std::string& what) {
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(M.rows()) + ", " +
                       std::to_string(M.cols()) + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.reserve(out.size() + 8 * M.size());
  for (Eigen::Index i = 0; i < M.rows(); ++i)
    for (Eigen::Index j = 0; j < M.cols(); ++j) {
      const double v = static_cast<double>(M(i, j));
      if (!std::isfinite(v))
        throw InputError(what + ": entry (" + std::to_string(i + 1) + "," + std::to_string(j + 1) +
                         ") is outside the range of double, which a .npy file holds; write a .csv file instead");
      char b[8];
      std::memcpy(b, &v, 8);
      out.append(b, 8);
    }
  return out;
}

template <class T>
std::string matrix_file_content(const std::string& path, const Matrix<T>& M, int digits) {
  const bool npy = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
  return npy ? matrix_to_npy(M, path) : matrix_to_csv(M, digits);
}

template std::string matrix_to_npy<double>(const Matrix<double>&, const std::string&);
template std::string matrix_to_npy<Real50>(const Matrix<Real50>&, const std::string&);
template std::string matrix_to_npy<Real100>(const Matrix<Real100>&, const std::string&);
template std::string matrix_to_npy<Rational>(const Matrix<Rational>&, const std::string&);
template std::string matrix_file_content<double>(const std::string&, const Matrix<double>&, int);
template std::string matrix_file_content<Real50>(const std::string&, const Matrix<Real50>&, int);
template std::string matrix_file_content<Real100>(const std::string&, const Matrix<Real100>&, int);
template std::string matrix_file_content<Rational>(const std::string&, const Matrix<Rational>&, int);

}  // namespace superpose
