// `superpose fstar-table` and `superpose check-certificate`: certified brackets of F*_n(d, m) (library:
// verify/certify.cpp; docs/theory.md §5.8).
#include "apps/cli_support.hpp"
#include "apps/commands.hpp"
#include "verify/verify.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace superpose::cli {

namespace {

struct FstarCli {
  std::string d = "2..4", m = "3,5", n, format = "md", cert_dir;
  FstarTableConfig cfg;
  bool quiet = false;
};

void run_fstar_cli(FstarCli& c) {
  check_format(c.format, {"md", "csv", "json", "tex"});
  c.cfg.d_values = parse_int_list(c.d, "--d", 2, 64);
  c.cfg.m_values = parse_int_list(c.m, "--m", 1, kMaxPower);
  if (!c.n.empty()) c.cfg.n_values = parse_int_list(c.n, "--n", 1, 100000);
  c.cfg.cert_dir = c.cert_dir;
  long long total = 0;
  for (int d : c.cfg.d_values)
    for (int m : c.cfg.m_values)
      total += c.cfg.n_values.empty() ? static_cast<long long>(numerator(sym_dim(d, 2 * m))) : c.cfg.n_values.size();
  std::vector<FstarCell> cells;
  ProgressBar bar("fstar-table", "cells", c.quiet);
  run_fstar_table(c.cfg, [&](const FstarCell& cell) {
    cells.push_back(cell);
    bar.update(static_cast<long long>(cells.size()), total, fmt::format("d={} m={} n={}", cell.cert.d, cell.cert.m, cell.cert.n));
  });
  bar.clear();
  std::cout << render_fstar_table(cells, c.format);
}

struct CheckCli {
  std::string file;
};

}  // namespace

void register_certify(CLI::App& app) {
  auto c = std::make_shared<FstarCli>();
  c->cfg.search = fstar_search_options(8);  // shared with fstar_n_bracket
  CLI::App* cmd = app.add_subcommand(
      "fstar-table",
      "Certified brackets of F*_n(d,m), the best first-order (very sparse) ratio with n vectors in R^d: per cell an\n"
      "exact lower bound (an explicit rational W, or equally spaced lines for d = 2) and the exact LP upper bound\n"
      "1/(f_0 + (1 - f(1))/n) (GLPK, then proved in rationals), 'proved' where they are equal. --n defaults to\n"
      "1..C(d+2m-1, 2m), where F*_n = F*(d,m). Example: superpose fstar-table --d 2..3 --m 3 --n 1..6 --cert-dir certs");
  cmd->add_option("--d", c->d, "dimensions: list or range, e.g. 2..4 (2..64)")->capture_default_str();
  cmd->add_option("--m", c->m, "powers: odd, list or range, e.g. 3,5")->capture_default_str();
  cmd->add_option("--n", c->n, "numbers of vectors, e.g. 1..10 (default 1..C(d+2m-1, 2m))");
  cmd->add_option("--format", c->format, "md, csv, json or tex")->capture_default_str();
  cmd->add_option("--cert-dir", c->cert_dir, "write one certificate per cell, DIR/fstar_d{d}_m{m}_n{n}.json; the first n of each (d,m) "
                  "starts from the best certificate of a smaller n already in DIR (checked exactly first)");
  cmd->add_option("--degree", c->cfg.lp.degree, "LP degree K (even; 0: 2m+4)")->capture_default_str();
  cmd->add_option("--starts", c->cfg.search.starts, "search starts per cell (0: no search)")->capture_default_str();
  cmd->add_option("--seed", c->cfg.search.seed, "search seed")->capture_default_str();
  cmd->add_option("--polish-max-params", c->cfg.search.polish_max_params,
                  "polish the search's optimum in MPFR-50 only up to this many parameters (d x used columns)")
      ->capture_default_str();
  cmd->add_flag("--quiet", c->quiet, "no progress bar");
  cmd->callback([c]() { run_fstar_cli(*c); });

  auto k = std::make_shared<CheckCli>();
  CLI::App* ck = app.add_subcommand(
      "check-certificate",
      "Re-verifies a certificate of fstar-table from scratch in exact rational arithmetic (no floating point):\n"
      "f_k >= 0, t^2m - f >= 0 on [-1,1] (Sturm), the upper value, F of the lower witness (W, lines, or a Gram\n"
      "matrix checked positive semidefinite of rank <= d in Q(sqrt r)), lower <= upper, and\n"
      "'proved' only when they are equal. Exit 0 when every claim holds, 1 with the failed claim, 2 if unreadable.\n"
      "Example: superpose check-certificate certs/fstar_d2_m3_n3.json");
  ck->add_option("file", k->file, "certificate file (JSON)")->required();
  ck->callback([k]() {
    std::ifstream in(k->file);
    if (!in) throw InputError("check-certificate: cannot open '" + k->file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    const FstarCertificate cert = parse_certificate(ss.str(), k->file);
    std::string status;
    try {
      status = nlohmann::json::parse(ss.str()).value("status", "");
    } catch (const nlohmann::json::exception&) {
    }
    const std::string why = check_certificate(cert, status);
    if (!why.empty()) {
      std::cout << "REJECTED " << k->file << ": " << why << "\n";
      std::cout.flush();
      std::exit(1);
    }
    std::cout << "VALID " << k->file << ": " << cert.lower.value.str() << " <= F*_" << cert.n << "(" << cert.d << ", "
              << cert.m << ") <= " << cert.upper.str() << (cert.proved() ? " (proved: equal)" : " (bracketed)") << "\n";
  });
}

}  // namespace superpose::cli
