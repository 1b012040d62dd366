// Newton polish in MPFR-50 (internal to verify/). Implementation: verify/polish.cpp.
#pragma once

#include "numerics/numerics.hpp"

#include <functional>
#include <string>

namespace superpose::detail {

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

/// Maximises f near W by Newton steps: Hessian by central differences of the analytic gradient (step 1e-20
/// relative), symmetrised, inverted on its eigenvalues with |λ| > 1e-10·max|λ| (this drops gauge directions such
/// as W → QW). The step length is halved (up to 12 times) until it lowers the gradient norm without lowering f by more than
/// 1e-40 relative.
/// Stops when ‖∇f‖ < target or after max_steps.
PolishOutcome newton_polish(const Real50Objective& f, Matrix<Real50> W, const Real50& target, int max_steps);

}  // namespace superpose::detail
