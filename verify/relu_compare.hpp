// superpose/verify, the rendering of `superpose relu compare` (verify/relu_report.cpp): tables and the figure of the
// ReLU model beside the power model. Part of the verify module's contract (verify/verify.hpp); kept in its own
// header only to spare a full rebuild of every file that includes verify.hpp, to be folded into it.
#pragma once

#include "numerics/numerics.hpp"
#include "search/relu_compare.hpp"

#include <string>
#include <vector>

namespace superpose::relu {

/// `superpose relu compare`: the optima of both models at every p of `ps` (points[k] at ps[k]) and the power
/// model's very sparse predictions. Formats: "text" (a block per p: a line per model with loss, loss/zero_loss,
/// gain/p, effective features, represented features, dimensions per feature d·max_i‖W_i‖²/‖W‖_F² (Elhage's d/‖W‖_F²
/// with the longest feature at length 1, so both models' scales compare), Σ_i D_i, the shapes, max |cos| and the
/// Gram distance to the ReLU optimum; then the predictions against the ReLU optimum at the smallest p), "md" (the
/// same as two tables), "csv" (a line per (p, model): the points only) and "json" (everything, W and b included).
/// Every decimal is cut to the digits its source vouches for (loss_digits; D_i and cosines in double to 3 digits).
/// Throws InputError (--format) for another format.
std::string render_compare(const CompareOptions& opt, const std::vector<GridP>& ps,
                           const std::vector<ComparePoint>& points,
                           const std::vector<VerySparsePrediction>& predictions, const std::string& format);
/// Writes compare.csv (render_compare's csv) into `dir` (created if missing; check it first with
/// check_output_folder) and, with `plot`, compare.png by gnuplot: loss/zero_loss against p (log scale), one curve
/// per model, the power model's very sparse limits as dashed lines (ToolError without gnuplot). Returns the paths.
std::vector<std::string> write_compare_outputs(const CompareOptions& opt, const std::vector<GridP>& ps,
                                               const std::vector<ComparePoint>& points,
                                               const std::vector<VerySparsePrediction>& predictions,
                                               const std::string& dir, bool plot);

}  // namespace superpose::relu
