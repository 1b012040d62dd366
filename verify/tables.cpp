// Bound tables and their rendering (verify/verify.hpp, section "Bound tables").
#include "verify/verify.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <sstream>

namespace superpose {

template <class T>
std::vector<Bound<T>> known_bounds(const Setting& s, const T& p) {
  const FstarBracket fstar_n = fstar_n_bracket(s.d, s.m, s.n);
  return with_search_certificate(s, closed_form_bounds(s, p, fstar_n), fstar_n);
}

template std::vector<Bound<double>> known_bounds<double>(const Setting&, const double&);
template std::vector<Bound<Real50>> known_bounds<Real50>(const Setting&, const Real50&);
template std::vector<Bound<Real100>> known_bounds<Real100>(const Setting&, const Real100&);

template <class T>
std::vector<BoundRow<T>> bound_table(const Setting& s, const std::vector<T>& ps, bool with_constructions,
                                     std::uint64_t seed, const ConstructionProgress& progress) {
  std::optional<Constructions<T>> cons;
  if (with_constructions) cons.emplace(s, seed, 2e7, progress);
  std::vector<BoundRow<T>> rows;
  for (const T& p : ps) {
    BoundRow<T> row{p, regime(s.d, s.m, p), known_bounds(s, p)};
    if (cons)
      for (auto& c : cons->at(p))
        row.bounds.push_back(Bound<T>{c.name, c.gain, BoundStatus::construction, BoundSide::lower,
                                      "docs/theory.md §6", c.precision, c.detail});
    rows.push_back(std::move(row));
  }
  return rows;
}

template std::vector<BoundRow<double>> bound_table<double>(const Setting&, const std::vector<double>&, bool, std::uint64_t,
                                                      const ConstructionProgress&);
template std::vector<BoundRow<Real50>> bound_table<Real50>(const Setting&, const std::vector<Real50>&, bool, std::uint64_t,
                                                      const ConstructionProgress&);
template std::vector<BoundRow<Real100>> bound_table<Real100>(const Setting&, const std::vector<Real100>&, bool, std::uint64_t,
                                                      const ConstructionProgress&);

namespace {

std::string tex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '&' || c == '%' || c == '#') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

namespace {
// W of a certificate as "[a, b, ...; ...]" with exact rationals.
std::string certificate_text(const Certificate& c) {
  std::string out = "[";
  for (Eigen::Index i = 0; i < c.W.rows(); ++i) {
    out += i ? "; " : "";
    for (Eigen::Index j = 0; j < c.W.cols(); ++j) out += (j ? ", " : "") + c.W(i, j).str();
  }
  return out + "]";
}
}  // namespace

template <class T>
std::string render_table(const std::vector<BoundRow<T>>& rows, const Setting& s, const std::string& format,
                         int digits) {
  auto num = [&](const T& x) { return to_decimal(x, digits); };
  std::ostringstream os;
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json bounds = nlohmann::json::array();
      for (const auto& b : r.bounds) {
        bounds.push_back({{"name", b.name},
                          {"value", num(b.value)},
                          {"status", std::string(to_string(b.status))},
                          {"side", std::string(to_string(b.side))},
                          {"citation", b.citation},
                          {"precision", b.precision},
                          {"detail", b.detail}});
        if (b.certificate) {
          nlohmann::json W = nlohmann::json::array();
          for (Eigen::Index i = 0; i < b.certificate->W.rows(); ++i) {
            nlohmann::json row = nlohmann::json::array();
            for (Eigen::Index j = 0; j < b.certificate->W.cols(); ++j) row.push_back(b.certificate->W(i, j).str());
            W.push_back(row);
          }
          bounds.back()["certificate"] = {{"W", W},
                                          {"zero_columns_added", static_cast<long>(s.n - b.certificate->W.cols())},
                                          {"p", b.certificate->p.str()},
                                          {"gain", b.certificate->gain.str()},
                                          {"bound", b.certificate->bound.str()},
                                          {"family", b.certificate->family}};
        }
      }
      out.push_back({{"p", num(r.p)}, {"regime", r.regime}, {"bounds", bounds}});
    }
    return out.dump(2) + "\n";
  }
  if (rows.empty()) return "";
  const auto& first = rows.front().bounds;
  if (format == "csv") {
    os << "p,regime";
    for (const auto& b : first) os << "," << b.name;
    os << "\n";
    for (const auto& r : rows) {
      os << num(r.p) << "," << r.regime;
      for (const auto& b : r.bounds) os << "," << num(b.value);
      os << "\n";
    }
    return os.str();
  }
  if (format == "md") {
    os << "Setting: d = " << s.d << ", n = " << s.n << ", m = " << s.m << ", law = " << s.law.name()
       << ". Values are gains (upper or lower bounds on sup_W L̃), " << digits << " significant digits.\n\n";
    os << "| bound | side | status | precision | source |\n|---|---|---|---|---|\n";
    for (size_t i = 0; i < first.size(); ++i) {
      const auto& b = first[i];
      // A status decided per p (first_order_limit for gaussian) lists each status with the p range where it holds.
      std::string status;
      for (size_t r = 0; r < rows.size();) {
        size_t e = r;
        while (e + 1 < rows.size() && rows[e + 1].bounds[i].status == rows[r].bounds[i].status) ++e;
        if (!status.empty()) status += "; ";
        status += std::string(to_string(rows[r].bounds[i].status));
        if (r != 0 || e + 1 != rows.size())
          status += " (p = " + to_decimal(rows[r].p, 6) + (e > r ? " to " + to_decimal(rows[e].p, 6) : "") + ")";
        r = e + 1;
      }
      os << "| " << b.name << " | " << to_string(b.side) << " | " << status << " | " << b.precision
         << " | " << b.citation << " |\n";
    }
    for (const auto& b : first)
      if (b.certificate)
        os << "\n" << b.name << " is refuted here: W = " << certificate_text(*b.certificate)
           << (s.n > b.certificate->W.cols()
                   ? " (padded with " + std::to_string(s.n - b.certificate->W.cols()) + " zero columns)"
                   : std::string())
           << " has exact gain "
           << b.certificate->gain.str() << " ≈ " << rational_to_decimal(b.certificate->gain, 12) << " > "
           << b.certificate->bound.str() << " ≈ " << rational_to_decimal(b.certificate->bound, 12) << " at p = "
           << b.certificate->p.str() << "; " << b.certificate->family << ".\n";
    for (const auto& b : first)
      if (b.name == "first_order_limit" && !b.detail.empty()) os << "\n" << b.name << ": " << b.detail << ".\n";
    os << "\n| p | regime |";
    for (const auto& b : first) os << " " << b.name << " |";
    os << "\n|---|---|";
    for (size_t i = 0; i < first.size(); ++i) os << "---|";
    os << "\n";
    for (const auto& r : rows) {
      os << "| " << num(r.p) << " | " << r.regime << " |";
      for (const auto& b : r.bounds) os << " " << num(b.value) << " |";
      os << "\n";
    }
    return os.str();
  }
  if (format == "tex") {
    os << "% superpose bounds: d = " << s.d << ", n = " << s.n << ", m = " << s.m << ", law = " << s.law.name()
       << "\n\\begin{tabular}{ll" << std::string(first.size(), 'r') << "}\n\\hline\n$p$ & regime";
    for (const auto& b : first) os << " & \\texttt{" << tex_escape(b.name) << "}";
    os << " \\\\\n & ";
    for (const auto& b : first) os << " & " << to_string(b.status);
    os << " \\\\\n\\hline\n";
    for (const auto& r : rows) {
      os << "$" << num(r.p) << "$ & " << r.regime;
      for (const auto& b : r.bounds) os << " & $" << num(b.value) << "$";
      os << " \\\\\n";
    }
    os << "\\hline\n\\end{tabular}\n";
    return os.str();
  }
  throw InputError("--format: unknown format '" + format + "' (accepted: md, csv, json, tex)");
}

template std::string render_table<double>(const std::vector<BoundRow<double>>&, const Setting&, const std::string&, int);
template std::string render_table<Real50>(const std::vector<BoundRow<Real50>>&, const Setting&, const std::string&, int);
template std::string render_table<Real100>(const std::vector<BoundRow<Real100>>&, const Setting&, const std::string&, int);

}  // namespace superpose
