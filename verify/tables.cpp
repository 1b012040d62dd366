// Bound tables and their rendering (verify/verify.hpp, section "Bound tables").
#include "verify/verify.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <sstream>

namespace superpose {

template <class T>
std::vector<BoundRow<T>> bound_table(const Setting& s, const std::vector<T>& ps, bool with_constructions,
                                     std::uint64_t seed) {
  std::optional<Constructions<T>> cons;
  if (with_constructions) cons.emplace(s, seed);
  std::vector<BoundRow<T>> rows;
  for (const T& p : ps) {
    BoundRow<T> row{p, regime(s.d, s.m, p), closed_form_bounds(s, p)};
    if (cons)
      for (auto& c : cons->at(p))
        row.bounds.push_back(Bound<T>{c.name, c.gain, BoundStatus::construction, BoundSide::lower,
                                      "docs/theory.md §6", c.precision, c.detail});
    rows.push_back(std::move(row));
  }
  return rows;
}

template std::vector<BoundRow<double>> bound_table<double>(const Setting&, const std::vector<double>&, bool, std::uint64_t);
template std::vector<BoundRow<Real50>> bound_table<Real50>(const Setting&, const std::vector<Real50>&, bool, std::uint64_t);
template std::vector<BoundRow<Real100>> bound_table<Real100>(const Setting&, const std::vector<Real100>&, bool, std::uint64_t);

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

template <class T>
std::string render_table(const std::vector<BoundRow<T>>& rows, const Setting& s, const std::string& format,
                         int digits) {
  auto num = [&](const T& x) { return to_decimal(x, digits); };
  std::ostringstream os;
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json bounds = nlohmann::json::array();
      for (const auto& b : r.bounds)
        bounds.push_back({{"name", b.name},
                          {"value", num(b.value)},
                          {"status", std::string(to_string(b.status))},
                          {"side", std::string(to_string(b.side))},
                          {"citation", b.citation},
                          {"precision", b.precision},
                          {"detail", b.detail}});
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
    for (const auto& b : first)
      os << "| " << b.name << " | " << to_string(b.side) << " | " << to_string(b.status) << " | " << b.precision
         << " | " << b.citation << " |\n";
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
