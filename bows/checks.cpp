// superpose/bows: option validation, memory estimates, checksums and output-folder checks. Contract in bows.hpp.
#include "bows/bows.hpp"
#include "numerics/numerics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#ifndef SUPERPOSE_VERSION
#define SUPERPOSE_VERSION "unknown"
#endif

namespace superpose::bows {

namespace fs = std::filesystem;

OptionError::OptionError(std::string f, std::string p)
    : InputError(f + ": " + p), field(std::move(f)), problem(std::move(p)) {}

std::string producer() { return std::string("superpose ") + SUPERPOSE_VERSION; }

void check_memory(double need, const std::string& field, const std::string& what, const std::string& advice) {
  const std::string why = memory_shortfall(need, what, advice);  // core/: the one memory check
  if (!why.empty()) throw OptionError(field, why);
}

double train_memory_bytes(double d, double V, double B) { return 4.0 * (4.0 * d * V + 2.0 * V * B + 3.0 * d * B + 6.0 * V); }

void check_output_folder(const std::string& path, const std::string& field) {
  const std::string problem = output_folder_problem(path);  // core/: the one folder check
  if (!problem.empty()) throw OptionError(field, problem);
}

std::vector<std::string> remove_stale_tmp(const std::string& dir, const std::vector<std::string>& names) {
  std::vector<std::string> removed;
  for (const auto& n : names) {
    std::error_code ec;
    const fs::path t = fs::path(dir) / (n + ".tmp");
    if (fs::is_regular_file(t, ec) && fs::remove(t, ec)) removed.push_back(t.string());
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------------------------
// validate()
// ---------------------------------------------------------------------------------------------------------------

namespace {
bool finite(double x) { return std::isfinite(x); }
}  // namespace

void PrepareOptions::validate() const {
  if (corpus.empty()) throw OptionError("corpus", "empty; accepted: default, wikitext:PATH, text:PATH, sotu:DIR, brown:DIR, spam:DIR");
  if (V < 2) throw OptionError("V", fmt::format("{} is too small (at least the forced words + 1)", V));
  if (window == 0) throw OptionError("window", "must be at least 1 row (the paper: 20)");
  if (stride == 0) throw OptionError("stride", "must be at least 1 row (the paper: 1)");
  if (!(heldout > 0 && heldout < 1)) throw OptionError("heldout", "must be a fraction in (0, 1), e.g. 0.1");
  if (tokens.numbers_max < -1) throw OptionError("tokens.numbers_max", "must be at least -1 (-1: keep no number)");
  check_output_folder(out, "out");
}

void AdamWOptions::validate() const {
  if (!(finite(lr) && lr > 0)) throw OptionError("adamw.lr", fmt::format("{} is not a finite number > 0", lr));
  if (!(finite(weight_decay) && weight_decay >= 0))
    throw OptionError("adamw.weight_decay", fmt::format("{} is not a finite number >= 0", weight_decay));
  if (!(lr * weight_decay < 1))
    throw OptionError("adamw.weight_decay", fmt::format("lr × weight decay = {:g} must be below 1 (AdamW multiplies "
                                                        "the weights by 1 − lr·wd every step)",
                                                        lr * weight_decay));
  if (!(beta1 >= 0 && beta1 < 1)) throw OptionError("adamw.beta1", "must lie in [0, 1)");
  if (!(beta2 >= 0 && beta2 < 1)) throw OptionError("adamw.beta2", "must lie in [0, 1)");
  if (!(finite(eps) && eps > 0)) throw OptionError("adamw.eps", "must be a finite number > 0");
}

void TrainOptions::validate() const {
  if (data.empty()) throw OptionError("data", "a prepared data folder is required (`superpose bows prepare`)");
  if (d < 1) throw OptionError("d", fmt::format("{} is not a latent width (at least 1)", d));
  if (batch < 1) throw OptionError("batch", "must be at least 1");
  if (steps < 1) throw OptionError("steps", "must be at least 1");
  if (checkpoint_every < 1) throw OptionError("checkpoint_every", "must be at least 1 (steps between checkpoints)");
  if (resume && force) throw OptionError("force", "cannot be combined with resume (force starts the run afresh)");
  if (threads < 0 || threads > 256)
    throw OptionError("threads", fmt::format("{} is outside 0 … 256 (0: every core)", threads));
  adamw.validate();
  check_output_folder(out, "out");
}

void SyntheticDataOptions::validate() const {
  if (features < 2 || features > 4096) throw OptionError("features", "must lie in 2 … 4096");
  if (samples < 2 * features)
    throw OptionError("samples", fmt::format("{} is too few for {} features: at least {} (2 per feature, so the "
                                             "training split holds every latent position)",
                                             samples, features, 2 * features));
  if (!(finite(sharpness) && sharpness >= 0 && sharpness <= 1000))
    throw OptionError("sharpness", fmt::format("{} is outside the accepted range [0, 1000]", sharpness));
  if (!(finite(base_log_odds) && base_log_odds >= -50 && base_log_odds <= 50))
    throw OptionError("base_log_odds", fmt::format("{} is outside the accepted range [-50, 50] (beyond it every "
                                                   "feature is always off or always on)",
                                                   base_log_odds));
  if (!(finite(noise) && noise >= 0 && noise <= 10))
    throw OptionError("noise", fmt::format("{} is outside the accepted range [0, 10] (a standard deviation)", noise));
  // The samples (CSR, then the train/validation copies), the n×n covariance sums and the Gram matrices.
  const double n = static_cast<double>(features), N = static_cast<double>(samples);
  check_memory(3.0 * N * (8.0 + 4.0 * n) + 6.0 * 8.0 * n * n, "samples",
               fmt::format("{} samples of {} features", samples, features), "use fewer samples");
}

void SyntheticTrainOptions::validate(const SyntheticDataOptions& data) const {
  const auto n = static_cast<Eigen::Index>(data.features);
  if (d < 1 || d > 4 * n)
    throw OptionError("d", fmt::format("{} is outside 1 … {} (4 × features; the code uses 2 … 12)", d, 4 * n));
  if (batch < 1) throw OptionError("batch", "must be at least 1");
  if (epochs < 1) throw OptionError("epochs", "must be at least 1");
  if (!(finite(clip) && clip >= 0)) throw OptionError("clip", "must be a finite number >= 0 (0: no clipping)");
  if (!(finite(eta_min) && eta_min >= 0)) throw OptionError("eta_min", "must be a finite number >= 0");
  const double ntrain = std::round(train_fraction * static_cast<double>(data.samples));
  if (!(train_fraction > 0 && train_fraction < 1) || ntrain < 1 || ntrain >= static_cast<double>(data.samples))
    throw OptionError("train_fraction", "must lie in (0, 1) and leave both splits non-empty");
  AdamWOptions a;
  a.lr = lr;
  a.weight_decay = weight_decay;
  try {
    a.validate();
  } catch (const OptionError& e) {
    throw OptionError(e.field == "adamw.lr" ? "lr" : "weight_decay", e.problem);
  }
}

void check_seeds(const std::vector<std::uint64_t>& seeds) {
  if (seeds.empty()) throw OptionError("seeds", "no seed given (accepted: one or more distinct seeds, e.g. 1,2,3)");
  for (std::size_t i = 0; i < seeds.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (seeds[i] == seeds[k])
        throw OptionError("seeds", fmt::format("seed {} is given twice (accepted: distinct seeds)", seeds[i]));
}

void AnalyzeOptions::validate() const {
  if (run.empty()) throw OptionError("run", "a run folder is required");
  static const char* kinds[] = {"months",       "interference",    "similarity", "structure",      "synthetic",
                                "linear-probe", "frequency-split", "context",    "synthetic-sweep"};
  if (std::find(std::begin(kinds), std::end(kinds), what) == std::end(kinds))
    throw OptionError("what", fmt::format("'{}' is not an analysis (accepted: months, interference, similarity, "
                                          "structure, synthetic, linear-probe, frequency-split, context, "
                                          "synthetic-sweep)",
                                          what));
  check_seeds(seeds);
  {
    AdamWOptions a;  // the sweep trains with `bows synthetic`'s learning rate: the same AdamW rules
    a.lr = SyntheticTrainOptions{}.lr;
    a.weight_decay = synthetic_weight_decay;
    try {
      a.validate();
    } catch (const OptionError& e) {
      throw OptionError("synthetic_weight_decay", e.problem);
    }
  }
  if (categories.empty()) throw OptionError("categories", "no category given (accepted: months, roman, days, ...)");
  for (const auto& c : categories) category_words(c);
  if (!(std::isfinite(ridge) && ridge > 0))
    throw OptionError("ridge", fmt::format("{} is not a ridge penalty (accepted: finite and > 0; the default is 1e-3)",
                                           ridge));
  if (pairs_top < 3)
    throw OptionError("pairs_top", fmt::format("{} is too few words (at least 3: a Spearman correlation needs 3 "
                                               "pairs; the default is 500)",
                                               pairs_top));
  check_output_folder(out.empty() ? (fs::path(run) / "analysis").string() : out, "out");
}

}  // namespace superpose::bows
