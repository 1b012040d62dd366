// superpose._core: the pybind11 binding of the C++ library (issue 9; docs/python.md). Thin on purpose: every
// number is computed by theory/, verify/ or bows/; this file converts arguments and results and nothing else.
// The user-facing layer is python/superpose/__init__.py (numpy, mpmath and Fraction conversions).
//
// Conventions
// * Errors: superpose::InputError (and PrecisionError, bows::OptionError) become superpose.InputError /
//   superpose.PrecisionError, subclasses of ValueError, with the library's one-line message (the CLI's text).
// * The GIL is released around every computation; calls with a progress callback reacquire it periodically and call
//   PyErr_CheckSignals(), so Ctrl-C raises KeyboardInterrupt (the C++ call unwinds by exception).
// * Scalars of the wide types cross the boundary as decimal strings (to_decimal with the type's digits; exact
//   rationals as "num/den"); matrices of doubles as numpy float64 arrays of shape (rows, cols), C order.
#include "theory/theory.hpp"
#include "search/search.hpp"
#include "verify/verify.hpp"
#ifdef SUPERPOSE_WITH_BOWS
#include "bows/bows.hpp"
#endif

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace py = pybind11;
using namespace superpose;

namespace {

// ---------------------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------------------

/// A 2-D float64 array as a d×n matrix (copied, so the GIL can be released afterwards).
Matrix<double> matrix_from_array(const py::array_t<double, py::array::forcecast>& a) {
  if (a.ndim() != 2)
    throw InputError("W: expected a 2-D array (d rows of n columns), got " + std::to_string(a.ndim()) + " dimensions");
  const auto r = a.unchecked<2>();
  Matrix<double> W(r.shape(0), r.shape(1));
  for (py::ssize_t i = 0; i < r.shape(0); ++i)
    for (py::ssize_t j = 0; j < r.shape(1); ++j) W(i, j) = r(i, j);
  return W;
}

/// Rows of decimal or fraction strings ("3/7", "0.1", "-2") as an exact matrix (parse_rational, naming the cell).
Matrix<Rational> matrix_from_text(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty() || rows.front().empty())
    throw InputError("weights: W must have at least one row (d) and one column (n)");
  Matrix<Rational> W(rows.size(), rows.front().size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != rows.front().size())
      throw InputError("W: row " + std::to_string(i + 1) + " has " + std::to_string(rows[i].size()) +
                       " entries, but the first row has " + std::to_string(rows.front().size()));
    for (size_t j = 0; j < rows[i].size(); ++j)
      W(i, j) = parse_rational(rows[i][j], "W(" + std::to_string(i + 1) + "," + std::to_string(j + 1) + ")");
  }
  return W;
}

/// W given as text rows (exact) or as a float64 array (each double at its exact binary value).
Matrix<Rational> exact_matrix(const py::object& W) {
  if (py::isinstance<py::array>(W)) {
    const Matrix<double> Wd = matrix_from_array(W.cast<py::array_t<double, py::array::forcecast>>());
    Matrix<Rational> Wq(Wd.rows(), Wd.cols());
    for (Eigen::Index j = 0; j < Wd.cols(); ++j)
      for (Eigen::Index i = 0; i < Wd.rows(); ++i) {
        if (!std::isfinite(Wd(i, j)))
          throw InputError("weights: W(" + std::to_string(i + 1) + "," + std::to_string(j + 1) + ") is NaN or infinite");
        Wq(i, j) = Rational(Wd(i, j));
      }
    return Wq;
  }
  return matrix_from_text(W.cast<std::vector<std::vector<std::string>>>());
}

template <class T>
py::array_t<double> array_from_matrix(const Matrix<T>& M) {
  py::array_t<double> a({static_cast<py::ssize_t>(M.rows()), static_cast<py::ssize_t>(M.cols())});
  auto w = a.template mutable_unchecked<2>();
  for (Eigen::Index i = 0; i < M.rows(); ++i)
    for (Eigen::Index j = 0; j < M.cols(); ++j) w(i, j) = static_cast<double>(M(i, j));
  return a;
}

/// A scalar for Python: a float for double, else its decimal string with the type's digits ("num/den" exact).
template <class T>
py::object scalar(const T& x) {
  if constexpr (std::is_same_v<T, double>) return py::float_(x);
  else if constexpr (is_exact_v<T>) return py::str(x.str());
  else return py::str(to_decimal(x, digits_of<T>()));
}

/// fractions.Fraction from an exact rational (numerator and denominator as Python ints, no rounding).
py::object fraction(const Rational& q) {
  const std::string num = mp::numerator(q).str(), den = mp::denominator(q).str();
  py::object Fraction = py::module_::import("fractions").attr("Fraction");
  return Fraction(py::reinterpret_steal<py::object>(PyLong_FromString(num.c_str(), nullptr, 10)),
                  py::reinterpret_steal<py::object>(PyLong_FromString(den.c_str(), nullptr, 10)));
}

Rational probability(const std::string& p) {
  const Rational q = parse_rational(p, "--p");
  check_probability(q);
  return q;
}

/// Thrown by a progress callback after PyErr_CheckSignals() found a pending KeyboardInterrupt (the Python error
/// stays set); the binding turns it back into that Python exception once the C++ call has unwound.
struct Interrupted {};

/// Reacquires the GIL and runs the signal handlers; throws Interrupted if one raised (Ctrl-C).
void check_signals() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw Interrupted{};
}

/// Runs f() with the GIL released; an Interrupted from a callback re-raises the pending Python exception.
template <class F>
auto without_gil(F&& f) {
  try {
    py::gil_scoped_release release;
    return f();
  } catch (const Interrupted&) {
    throw py::error_already_set();
  }
}

// ---------------------------------------------------------------------------------------------------------
// evaluate, certify
// ---------------------------------------------------------------------------------------------------------

py::dict evaluation_dict(const LadderEvaluation& lad) {
  py::dict out;
  std::visit(
      [&]<class T>(const Evaluation<T>& ev) {
        out["C"] = scalar(ev.C);
        out["D"] = scalar(ev.D);
        out["gain"] = scalar(ev.gain);
        out["zero_loss"] = scalar(ev.zero_loss);
        out["loss"] = scalar(ev.loss);
        out["rel_error"] = ev.rel_error;
        out["convolution_rows"] = ev.convolution_rows;
        out["gain_digits"] = is_exact_v<T> ? py::object(py::none()) : py::object(py::int_(ev.gain_digits()));
        if (ev.grad.size() > 0) {
          out["grad"] = array_from_matrix(ev.grad);
          if constexpr (!std::is_same_v<T, double>) {
            std::vector<std::vector<std::string>> g(ev.grad.rows(), std::vector<std::string>(ev.grad.cols()));
            for (Eigen::Index i = 0; i < ev.grad.rows(); ++i)
              for (Eigen::Index j = 0; j < ev.grad.cols(); ++j) g[i][j] = scalar(ev.grad(i, j)).template cast<std::string>();
            out["grad_text"] = g;
          }
        } else {
          out["grad"] = py::none();
        }
      },
      lad.ev);
  out["digits"] = lad.digits;
  out["computed_in"] = precision_name(lad.digits);
  out["precision_note"] = lad.note;
  return out;
}

py::dict py_evaluate(const py::object& W, int m, const std::string& law_spec, const std::string& p_text,
                     bool gradient, int digits, bool climb, int threads) {
  const Law law = Law::parse(law_spec);
  const Rational p = probability(p_text);
  check_power(m);
  if (digits != 16 && digits != 50 && digits != 100 && digits != 0)
    throw InputError("digits: unsupported precision " + std::to_string(digits) + " (accepted: None, 50, 100, 'exact')");
  if (py::isinstance<py::array>(W)) {
    const Matrix<double> Wd = matrix_from_array(W.cast<py::array_t<double, py::array::forcecast>>());
    const LadderEvaluation lad =
        without_gil([&] { return evaluate_with_ladder(Wd, m, law, p, gradient, digits, climb, threads); });
    return evaluation_dict(lad);
  }
  const Matrix<Rational> Wq = exact_matrix(W);
  const LadderEvaluation lad =
      without_gil([&] { return evaluate_with_ladder(Wq, m, law, p, gradient, digits, climb, threads); });
  return evaluation_dict(lad);
}

py::dict py_certify(const py::object& W, int m, const std::string& law_spec, const std::string& p_text,
                    int threads) {
  const Law law = Law::parse(law_spec);
  const Rational p = probability(p_text);
  check_power(m);
  const Matrix<Rational> Wq = exact_matrix(W);
  const GainEnclosure e = without_gil([&] { return enclose_gain(Wq, m, law, p, threads); });
  auto iv = [](const Interval& x) {
    auto [lo, hi] = interval_to_decimal(x, 40);
    return py::make_tuple(lo, hi);
  };
  py::dict out;
  out["gain"] = iv(e.gain);
  out["loss"] = iv(e.loss);
  out["C"] = iv(e.C);
  out["D"] = iv(e.D);
  out["zero_loss"] = iv(e.zero_loss);
  out["gain_digits"] = interval_digits(e.gain);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// bounds
// ---------------------------------------------------------------------------------------------------------

template <class T>
py::dict bound_dict(const Bound<T>& b) {
  py::dict out;
  out["name"] = b.name;
  out["value"] = scalar(b.value);
  out["side"] = std::string(to_string(b.side));
  out["status"] = std::string(to_string(b.status));
  out["citation"] = b.citation;
  out["precision"] = b.precision;
  out["detail"] = b.detail;
  return out;
}

py::list py_bounds(int d, int n, int m, const std::string& law_spec, const std::string& p_text, int digits) {
  const Setting s(d, n, m, Law::parse(law_spec));
  const Rational p = probability(p_text);
  py::list out;
  auto run = [&]<class T>() {
    for (const Bound<T>& b : setting_bounds(s, from_rational<T>(p))) out.append(bound_dict(b));
  };
  if (digits == 16) run.operator()<double>();
  else if (digits == 50) run.operator()<Real50>();
  else if (digits == 100) run.operator()<Real100>();
  else throw InputError("digits: unsupported precision " + std::to_string(digits) + " for bounds (accepted: None, 50, 100)");
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// optimize, sweep, verify (search/search.hpp, verify/verify.hpp)
// ---------------------------------------------------------------------------------------------------------

py::dict geometry_dict(const Geometry& g) {
  py::dict out;
  out["eigenvalues"] = g.eigenvalues;
  out["norms"] = g.norms;
  out["represented"] = g.represented;
  out["dimensionality"] = g.dimensionality;
  out["max_cos"] = g.max_cos;
  out["design_defects"] = g.design_defects;
  return out;
}

py::dict py_optimize(int d, int n, int m, const std::string& law_spec, const std::string& p_text, std::uint64_t seed,
                     int starts, const std::string& algorithm, int max_evals, const py::object& init, bool polish,
                     int polish_max_params) {
  const Setting s(d, n, m, Law::parse(law_spec));
  const Rational p = probability(p_text);
  if (starts < 1) throw InputError("starts: must be at least 1");
  if (max_evals < 1) throw InputError("max_evals: must be at least 1");
  OptimizeOptions opt;
  opt.starts = starts;
  opt.seed = seed;
  opt.algorithm = parse_algorithm(algorithm, "algorithm");
  opt.max_evals = max_evals;
  opt.polish = polish;
  opt.polish_max_params = polish_max_params;
  if (!init.is_none()) {
    Matrix<double> W0 = matrix_from_array(init.cast<py::array_t<double, py::array::forcecast>>());
    if (W0.rows() != d || W0.cols() != n)
      throw InputError("init: W has shape (" + std::to_string(W0.rows()) + ", " + std::to_string(W0.cols()) +
                       "), expected (d, n) = (" + std::to_string(d) + ", " + std::to_string(n) + ")");
    opt.init = W0;
  }
  opt.progress = [](int, int, double) { check_signals(); };
  const Real50 p50 = from_rational<Real50>(p);
  struct Out {
    OptimizeResult r;
    std::vector<Bound<Real50>> bounds;
    BoundPosition pos;
  };
  const Out o = without_gil([&] {
    Out x{optimize_weights(s, p, opt), {}, {}};
    x.bounds = setting_bounds(s, p50);
    x.pos = bound_position(x.bounds, x.r.gain);
    return x;
  });
  py::dict out;
  out["W"] = array_from_matrix(o.r.W50);
  out["W_double"] = array_from_matrix(o.r.W);
  out["gain"] = scalar(o.r.gain);
  out["gain_over_p"] = scalar(Real50(o.r.gain / p50));
  out["loss"] = scalar(o.r.loss);
  out["zero_loss"] = scalar(o.r.zero_loss);
  out["grad_norm"] = scalar(o.r.grad_norm);
  out["gain_double"] = o.r.gain_double;
  out["grad_norm_double"] = o.r.grad_norm_double;
  out["polished"] = o.r.polished;
  out["newton_steps"] = o.r.newton_steps;
  out["polish_note"] = o.r.polish_note;
  py::list st;
  for (const StartResult& x : o.r.starts) {
    py::dict r;
    r["kind"] = x.kind;
    r["start_gain_over_p"] = x.start_gain;
    r["gain_over_p"] = x.gain;
    r["evals"] = x.evals;
    r["status"] = x.status;
    r["ok"] = x.ok;
    st.append(r);
  }
  out["starts"] = st;
  out["geometry"] = geometry_dict(o.r.geometry);
  py::list bl;
  for (const auto& b : o.bounds) bl.append(bound_dict(b));
  out["bounds"] = bl;
  out["best_lower"] = scalar(o.pos.best_lower);
  out["proved_upper"] = scalar(o.pos.proved_upper);
  out["position"] = scalar(o.pos.position);
  return out;
}

py::list py_sweep(int d, int n, int m, const std::string& law, double p_min_factor, int points,
                  const std::string& out_dir, std::uint64_t seed, int max_evals, bool with_train, int train_steps,
                  int structured_starts, int random_starts, int check_points) {
  SweepConfig cfg;
  cfg.d = d;
  cfg.n = n;
  cfg.m = m;
  cfg.law = law;
  cfg.p_min_factor = p_min_factor;
  cfg.points = points;
  cfg.out_dir = out_dir;
  cfg.seed = seed;
  cfg.max_evals = max_evals;
  cfg.with_train = with_train;
  cfg.train_steps = train_steps;
  cfg.structured_starts = structured_starts;
  cfg.random_starts = random_starts;
  cfg.check_points = check_points;
  cfg.force = true;  // out_dir is overwritten (a temporary folder by default)
  const SweepResult r = without_gil([&] { return run_sweep(cfg, [](int, int, double) { check_signals(); }); });
  py::list rows;
  for (const SweepPoint& x : r.points) {
    py::dict o;
    o["p"] = x.p;
    o["p_value"] = x.p_value;
    o["gain"] = x.gain;
    o["log_d_p"] = x.log_d_p;
    o["log_d_gain"] = x.log_d_gain;
    o["slope"] = x.slope;
    o["first_order_limit"] = x.first_order_limit;
    o["tensor_rank_upper"] = x.tensor_rank_upper;
    o["represented"] = x.represented;
    o["evals"] = x.evals;
    o["start"] = x.start;
    if (with_train) o["train_gain"] = x.train_gain;
    // The self-check (check_points): optimize_weights' gain at this p, None where not checked.
    o["optimize_gain"] = x.optimize_gain > 0 ? py::object(py::float_(x.optimize_gain)) : py::object(py::none());
    o["seconds"] = x.seconds;
    rows.append(o);
  }
  return rows;
}

py::list py_verify(const std::vector<int>& d_values, const std::vector<int>& n_values, const std::vector<int>& m_values,
                   const std::vector<std::string>& laws, const std::string& p_spec, int starts, std::uint64_t seed,
                   int max_evals, int jobs, const std::string& out_jsonl, bool resume, const std::string& cert_dir) {
  VerifyConfig cfg;
  cfg.d_values = d_values;
  cfg.n_values = n_values;
  cfg.m_values = m_values;
  cfg.laws = laws;
  cfg.p_spec = p_spec;
  cfg.starts = starts;
  cfg.seed = seed;
  cfg.max_evals = max_evals;
  cfg.jobs = jobs;
  cfg.out_jsonl = out_jsonl;
  cfg.resume = resume;
  cfg.cert_dir = cert_dir;
  std::vector<VerifyRow> rows;
  without_gil([&] {
    return run_verify(cfg, [&](const VerifyRow& r) { rows.push_back(r); },
                      [](int, int, double) { check_signals(); });
  });
  py::list out;
  for (const VerifyRow& r : rows) {
    py::dict o;
    o["index"] = r.index;
    o["d"] = r.d;
    o["n"] = r.n;
    o["m"] = r.m;
    o["law"] = r.law;
    o["p"] = r.p;
    o["regime"] = r.regime;
    o["gain"] = r.gain;
    o["gain_over_p"] = r.gain_over_p;
    o["grad_norm"] = r.grad_norm;
    o["polished"] = r.polished;
    o["represented"] = r.represented;
    py::list checks;
    for (const VerifyCheck& c : r.checks) {
      py::dict k;
      k["name"] = c.name;
      k["status"] = c.status;
      k["ratio"] = c.ratio;
      k["detail"] = c.detail;
      checks.append(k);
    }
    o["checks"] = checks;
    o["over_first_order_limit"] = r.over_first_order_limit;
    o["over_followup_upper"] = r.over_followup_upper;
    o["over_order_lower"] = r.over_order_lower;
    o["over_order_upper"] = r.over_order_upper;
    o["pass"] = r.pass;
    o["certificate"] = r.certificate;
    o["exact_gain"] = r.exact_gain;
    out.append(o);
  }
  return out;
}

py::dict py_geometry(const py::array_t<double, py::array::forcecast>& W, int m) {
  const Matrix<double> Wd = matrix_from_array(W);
  const Geometry g = without_gil([&] { return geometry(Wd, m); });
  return geometry_dict(g);
}

#ifdef SUPERPOSE_WITH_BOWS
// ---------------------------------------------------------------------------------------------------------
// BOWS
// ---------------------------------------------------------------------------------------------------------

py::dict py_bows_load_run(const std::string& run, const std::string& data) {
  bows::TrainedRun r = without_gil([&] { return bows::load_trained_run(run, data); });
  const Eigen::MatrixXf& W = r.model.W;
  py::array_t<float> Wa({static_cast<py::ssize_t>(W.rows()), static_cast<py::ssize_t>(W.cols())});
  auto w = Wa.mutable_unchecked<2>();
  for (Eigen::Index i = 0; i < W.rows(); ++i)
    for (Eigen::Index j = 0; j < W.cols(); ++j) w(i, j) = W(i, j);
  py::array_t<float> ba(static_cast<py::ssize_t>(r.model.b.size()));
  auto b = ba.mutable_unchecked<1>();
  for (Eigen::Index j = 0; j < r.model.b.size(); ++j) b(j) = r.model.b(j);
  py::dict out;
  out["W"] = Wa;
  out["b"] = ba;
  out["relu"] = r.model.relu;
  out["vocabulary"] = r.vocab.words;
  out["counts"] = r.vocab.counts;
  out["config"] = r.config.is_null() ? std::string("{}") : r.config.dump();
  out["data_dir"] = r.data_dir;
  out["dataset_id"] = r.dataset_id;
  return out;
}
#endif

}  // namespace

PYBIND11_MODULE(_core, mod) {
  mod.doc() = "superpose._core: pybind11 binding of the superpose C++ library (use the package superpose).";

  // Errors: InputError -> superpose.InputError(ValueError); PrecisionError -> superpose.PrecisionError(InputError).
  static py::exception<InputError> input_error(mod, "InputError", PyExc_ValueError);
  static py::exception<PrecisionError> precision_error(mod, "PrecisionError", input_error.ptr());
  py::register_exception_translator([](std::exception_ptr e) {
    try {
      if (e) std::rethrow_exception(e);
    } catch (const PrecisionError& x) {
      PyErr_SetString(precision_error.ptr(), x.what());
    } catch (const InputError& x) {
      PyErr_SetString(input_error.ptr(), x.what());
    }
  });

  mod.attr("MAX_POWER") = kMaxPower;

  py::class_<Law>(mod, "Law", "An input law mu (theory.hpp, Law::parse); see superpose.Law.")
      .def(py::init([](const std::string& spec) { return Law::parse(spec); }), py::arg("spec"))
      .def_property_readonly("name", &Law::name)
      .def("moment", [](const Law& l, int k) {
        if (k < 0) throw InputError("moment: k must be >= 0");
        return fraction(l.moment(k));
      }, py::arg("k"))
      .def("c_mu", [](const Law& l, int m) { check_power(m); return fraction(l.c_mu(m)); }, py::arg("m"))
      .def_property_readonly("strongly_log_concave", &Law::strongly_log_concave)
      .def("__repr__", [](const Law& l) { return "superpose.Law('" + l.name() + "')"; })
      .def("__eq__", [](const Law& a, const Law& b) { return a.name() == b.name(); });

  mod.def("_evaluate", &py_evaluate, py::arg("W"), py::arg("m"), py::arg("law"), py::arg("p"), py::arg("gradient"),
          py::arg("digits"), py::arg("climb"), py::arg("threads"));
  mod.def("_certify", &py_certify, py::arg("W"), py::arg("m"), py::arg("law"), py::arg("p"), py::arg("threads"));
  mod.def("_bounds", &py_bounds, py::arg("d"), py::arg("n"), py::arg("m"), py::arg("law"), py::arg("p"),
          py::arg("digits"));
#ifdef SUPERPOSE_WITH_BOWS
  mod.def("_bows_load_run", &py_bows_load_run, py::arg("run"), py::arg("data"));
#endif
  mod.def("_optimize", &py_optimize, py::arg("d"), py::arg("n"), py::arg("m"), py::arg("law"), py::arg("p"),
          py::arg("seed"), py::arg("starts"), py::arg("algorithm"), py::arg("max_evals"), py::arg("init"),
          py::arg("polish"), py::arg("polish_max_params"));
  mod.def("_sweep", &py_sweep, py::arg("d"), py::arg("n"), py::arg("m"), py::arg("law"), py::arg("p_min_factor"),
          py::arg("points"), py::arg("out_dir"), py::arg("seed"), py::arg("max_evals"), py::arg("with_train"),
          py::arg("train_steps"), py::arg("structured_starts"), py::arg("random_starts"), py::arg("check_points"));
  mod.def("_verify", &py_verify, py::arg("d_values"), py::arg("n_values"), py::arg("m_values"), py::arg("laws"),
          py::arg("p_spec"), py::arg("starts"), py::arg("seed"), py::arg("max_evals"), py::arg("jobs"),
          py::arg("out_jsonl"), py::arg("resume"), py::arg("cert_dir"));
  mod.def("_geometry", &py_geometry, py::arg("W"), py::arg("m"));
  mod.def("_f_star", [](int d, int m) { return fraction(f_star(d, m)); }, py::arg("d"), py::arg("m"));
  mod.def("_regime", [](int d, int m, const std::string& p) { return regime(d, m, from_rational<Real50>(probability(p))); },
          py::arg("d"), py::arg("m"), py::arg("p"));
}
