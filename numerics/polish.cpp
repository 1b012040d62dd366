// Newton polish in MPFR-50 (numerics/numerics.hpp). The only translation unit that instantiates an Eigen
// decomposition on Real50 (SelfAdjointEigenSolver), to bound compile time.
#include "numerics/numerics.hpp"

#include <Eigen/Eigenvalues>

namespace superpose {

PolishOutcome newton_polish(const Real50Objective& f, Matrix<Real50> W, const Real50& target, int max_steps) {
  using V = Vector<Real50>;
  const Eigen::Index rows = W.rows(), cols = W.cols(), P = rows * cols;
  PolishOutcome out;
  Matrix<Real50> G(rows, cols), Gp(rows, cols), Gm(rows, cols);
  Real50 value = f(W, G);
  Real50 gnorm = G.norm();
  out.note = "max steps reached";
  for (int step = 0; step < max_steps; ++step) {
    if (gnorm < target) {
      out.converged = true;
      out.note = "gradient norm below target";
      break;
    }
    const Real50 scale = std::max(Real50(1), Real50(W.cwiseAbs().maxCoeff()));
    const Real50 h = Real50("1e-20") * scale;
    Matrix<Real50> H(P, P);
    for (Eigen::Index k = 0; k < P; ++k) {
      Matrix<Real50> Wp = W, Wm = W;
      Wp.data()[k] += h;
      Wm.data()[k] -= h;
      f(Wp, Gp);
      f(Wm, Gm);
      H.col(k) = Eigen::Map<const V>((Gp - Gm).eval().data(), P) / (2 * h);
    }
    H = ((H + H.transpose()) / 2).eval();
    Eigen::SelfAdjointEigenSolver<Matrix<Real50>> es(H);
    const V& lam = es.eigenvalues();
    const Real50 lmax = lam.cwiseAbs().maxCoeff();
    // Away from the exact optimum, gauge directions (W → QW, and W → cW for scale-invariant objectives) carry
    // eigenvalues of order |∇f|·curvature, far above rounding; 1e-10 relative separates them from real curvature.
    const Real50 tau = Real50("1e-10") * lmax;
    V g = Eigen::Map<const V>(G.data(), P);
    V coeff = es.eigenvectors().transpose() * g;
    for (Eigen::Index k = 0; k < P; ++k) coeff(k) = abs(lam(k)) > tau ? Real50(coeff(k) / lam(k)) : Real50(0);
    V delta = -(es.eigenvectors() * coeff);
    // Backtracking on the step length: keep the longest of 1, 1/2, 1/4, ... that lowers the gradient norm
    // without lowering f (near-flat directions whose curvature is O(p) make the full step overshoot).
    Matrix<Real50> Wn(rows, cols), Gn(rows, cols);
    Real50 vn, gn, alpha = 1;
    bool accepted = false;
    for (int halving = 0; halving < 12 && !accepted; ++halving, alpha /= 2) {
      Wn = W;
      Eigen::Map<V>(Wn.data(), P) += alpha * delta;
      vn = f(Wn, Gn);
      gn = Gn.norm();
      accepted = gn < gnorm && vn >= value - Real50("1e-40") * abs(value);
    }
    if (!accepted) {
      out.note = "no Newton step lowered the gradient norm (degenerate, or not a local maximum)";
      break;
    }
    W = std::move(Wn);
    G = std::move(Gn);
    value = vn;
    gnorm = gn;
    out.steps = step + 1;
  }
  if (gnorm < target) {
    out.converged = true;
    out.note = "gradient norm below target";
  }
  out.W = std::move(W);
  out.value = value;
  out.grad_norm = gnorm;
  return out;
}

}  // namespace superpose
