// NLopt wrapper (numerics/numerics.hpp): a std::function objective behind NLopt's function-pointer API.
#include "numerics/numerics.hpp"

#include <nlopt.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace superpose {

namespace {

nlopt::algorithm to_nlopt(Algorithm a) {
  switch (a) {
    case Algorithm::lbfgs: return nlopt::LD_LBFGS;
    case Algorithm::mma: return nlopt::LD_MMA;
    case Algorithm::slsqp: return nlopt::LD_SLSQP;
    case Algorithm::bobyqa: return nlopt::LN_BOBYQA;
    case Algorithm::mlsl: return nlopt::G_MLSL_LDS;
  }
  return nlopt::LD_LBFGS;
}

constexpr Algorithm kAlgorithms[] = {Algorithm::lbfgs, Algorithm::mma, Algorithm::slsqp, Algorithm::bobyqa,
                                     Algorithm::mlsl};

std::string result_name(nlopt::result r) {
  switch (r) {
    case nlopt::SUCCESS: return "SUCCESS";
    case nlopt::STOPVAL_REACHED: return "STOPVAL_REACHED";
    case nlopt::FTOL_REACHED: return "FTOL_REACHED";
    case nlopt::XTOL_REACHED: return "XTOL_REACHED";
    case nlopt::MAXEVAL_REACHED: return "MAXEVAL_REACHED";
    case nlopt::MAXTIME_REACHED: return "MAXTIME_REACHED";
    case nlopt::FAILURE: return "FAILURE";
    case nlopt::INVALID_ARGS: return "INVALID_ARGS";
    case nlopt::OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case nlopt::ROUNDOFF_LIMITED: return "ROUNDOFF_LIMITED";
    case nlopt::FORCED_STOP: return "FORCED_STOP";
    default: return "UNKNOWN";
  }
}

struct Trampoline {
  const Objective* f = nullptr;
  int evals = 0;
  double best = -std::numeric_limits<double>::infinity();
  std::vector<double> best_x;
};

double call(const std::vector<double>& x, std::vector<double>& grad, void* data) {
  auto* t = static_cast<Trampoline*>(data);
  double v = (*t->f)(x, grad);
  ++t->evals;
  if (std::isfinite(v) && v > t->best) {
    t->best = v;
    t->best_x = x;
  }
  return v;
}

}  // namespace

std::string_view to_string(Algorithm a) {
  switch (a) {
    case Algorithm::lbfgs: return "lbfgs";
    case Algorithm::mma: return "mma";
    case Algorithm::slsqp: return "slsqp";
    case Algorithm::bobyqa: return "bobyqa";
    case Algorithm::mlsl: return "mlsl";
  }
  return "?";
}

Algorithm parse_algorithm(std::string_view name, std::string_view flag) {
  for (Algorithm a : kAlgorithms)
    if (name == to_string(a)) return a;
  throw InputError(std::string(flag) + ": unknown algorithm '" + std::string(name) +
                   "' (accepted: lbfgs, mma, slsqp, bobyqa, mlsl)");
}

MaximizeResult maximize(const Objective& f, std::vector<double> x0, const MaximizeOptions& opt) {
  const nlopt::algorithm alg = to_nlopt(opt.algorithm);
  const unsigned n = static_cast<unsigned>(x0.size());
  Trampoline t;
  t.f = &f;
  MaximizeResult res;
  try {
    nlopt::opt o(alg, n);
    if (alg == nlopt::G_MLSL_LDS) {
      nlopt::opt local(nlopt::LD_LBFGS, n);
      local.set_ftol_rel(opt.ftol_rel);
      local.set_xtol_rel(opt.xtol_rel);
      o.set_local_optimizer(local);
    }
    if (opt.box > 0) {
      o.set_lower_bounds(std::vector<double>(n, -opt.box));
      o.set_upper_bounds(std::vector<double>(n, opt.box));
      for (double& v : x0) v = std::clamp(v, -opt.box, opt.box);
    }
    o.set_max_objective(call, &t);
    o.set_ftol_rel(opt.ftol_rel);
    o.set_xtol_rel(opt.xtol_rel);
    o.set_maxeval(opt.max_evals);
    if (opt.max_seconds > 0) o.set_maxtime(opt.max_seconds);
    double value = 0;
    nlopt::result r = o.optimize(x0, value);
    res.status = result_name(r);
    res.ok = r > 0;
  } catch (const nlopt::roundoff_limited&) {
    res.status = "ROUNDOFF_LIMITED";
    res.ok = t.evals > 1;  // progress was made; the best point is usable
  } catch (const nlopt::forced_stop&) {
    res.status = "FORCED_STOP";
  } catch (const std::invalid_argument& e) {
    res.status = std::string("INVALID_ARGS: ") + e.what();
  } catch (const std::bad_alloc&) {
    res.status = "OUT_OF_MEMORY";
  } catch (const std::runtime_error& e) {
    res.status = std::string("FAILURE: ") + e.what();
  }
  res.evals = t.evals;
  if (!t.best_x.empty()) {
    res.x = t.best_x;
    res.value = t.best;
  } else {
    res.x = x0;
    std::vector<double> none;
    res.value = f(x0, none);
  }
  return res;
}

}  // namespace superpose
