// Certified verdicts of a W found against the proved upper bounds (verify/verify.hpp): the one place where
// optimize, verify and check round a W, certify its gain and decide pass / FAIL / undecided.
#include "verify/verify.hpp"

namespace superpose {

std::string UpperVerdict::verdict() const {
  switch (order) {
    case CertifiedOrder::greater: return "FAIL (certified)";
    case CertifiedOrder::undecided: return "undecided";
    default: return "pass (certified)";
  }
}

std::vector<const UpperVerdict*> UpperVerdicts::violations() const {
  std::vector<const UpperVerdict*> out;
  for (const UpperVerdict& v : verdicts)
    if (v.order == CertifiedOrder::greater) out.push_back(&v);
  return out;
}

UpperVerdicts certify_upper_verdicts(const Setting& s, const Rational& p, const Matrix<Real50>& W50, int threads,
                                     const Rational& factor) {
  UpperVerdicts out;
  out.W = round_to_decimals(W50, kCheckDigits);
  out.gain = certified_gain(out.W.W, s.m, s.law, p, threads);
  for (const CertifiedBound& b : certified_upper_bounds(s, p, fstar_n_bracket(s.d, s.m, s.n))) {
    CertifiedReal value = b.value;
    if (factor != 1) {
      if (value.exact) value = CertifiedReal::of(*value.exact * factor);
      else value.enclosure *= interval_from_rational(factor);
    }
    const std::string how = value.exact && out.gain.exact ? "exact rationals" : "interval arithmetic (MPFI)";
    out.verdicts.push_back(UpperVerdict{b.name, b.status, b.citation, value, certified_compare(out.gain, value), how});
  }
  return out;
}

std::string violation_line(const std::string& command, const Setting& s, const std::string& p_text,
                           const CertifiedReal& gain, const UpperVerdict& failed) {
  return command + ": VIOLATION: the certified gain " + certified_to_decimal(gain, 20) + " (" + failed.arithmetic +
         ") of the W found exceeds the proved upper bound " + failed.bound + " = " +
         certified_to_decimal(failed.value, 20) + " (" + std::string(to_string(failed.status)) + ", " +
         failed.citation + ") at d = " + std::to_string(s.d) + ", n = " + std::to_string(s.n) + ", m = " +
         std::to_string(s.m) + ", law = " + s.law.name() + ", p = " + p_text +
         ": the bound or the program is wrong; please report it";
}

}  // namespace superpose
