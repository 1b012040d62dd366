// `superpose relu train` and `superpose relu metrics`: the ReLU model of Elhage et al. (2022) trained with the
// recipe of their notebook, and Elhage's metrics of a W (library: search/relu_train.cpp, search/relu_geometry.cpp,
// verify/relu_report.cpp).
#include "apps/cli_support.hpp"
#include "apps/commands.hpp"
#include "verify/verify.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace superpose::cli {

namespace {

// ------------------------------------------------------------------------------------------------ relu train
struct ReluTrainCli {
  relu::TrainSweep sweep;
  relu::TrainOptions opt;
  std::string preset, p = "1/20", importance_ratio = "1", format = "text", out;
  double tolerance = relu::kShapeTolerance;
  bool untied = false, quiet = false, no_plot = false;
};

void run_relu_train(ReluTrainCli& c, const CLI::App& cmd) {
  check_format(c.format, {"text", "csv", "json"});
  if (!c.preset.empty()) {
    // The preset gives d, n, the importance and the p grid; a flag typed explicitly still wins.
    const relu::TrainSweep pre = relu::elhage_preset(c.preset);
    if (!cmd.count("--d")) c.sweep.d = pre.d;
    if (!cmd.count("--n")) c.sweep.n = pre.n;
    if (!cmd.count("--importance-ratio")) c.sweep.importance_ratio = pre.importance_ratio;
    if (!cmd.count("--p")) c.sweep.p = pre.p;
  }
  if (c.preset.empty() || cmd.count("--p")) c.sweep.p = parse_p_grid(c.p, "--p");
  if (c.preset.empty() || cmd.count("--importance-ratio")) {
    c.sweep.importance_ratio = parse_rational(c.importance_ratio, "--importance-ratio");
    if (!(c.sweep.importance_ratio > 0))
      throw InputError("--importance-ratio: must be > 0 (I_i = ratio^i; got " + c.importance_ratio + ")");
  }
  c.sweep.tied = !c.untied;
  if (!(c.tolerance > 0 && c.tolerance < 1))
    throw InputError("--tolerance: must lie in (0, 1) (got " + to_decimal(c.tolerance, 6) + ")");
  const std::vector<relu::Problem> problems = c.sweep.problems();
  c.opt.validate(problems);
  if (!c.out.empty()) check_output_folder(c.out, "--out");

  ProgressBar bar("relu train", "steps", c.quiet);
  c.opt.progress = [&bar](long long done, long long total) { bar.update(done, total); };
  const std::vector<relu::TrainedInstance> trained = relu::train(problems, c.opt);
  std::vector<relu::TrainRow> rows;
  for (size_t k = 0; k < problems.size(); ++k)
    rows.push_back({c.sweep.p[k], problems[k], trained[k], relu::feature_geometry(trained[k].params.W, c.tolerance)});
  double seconds = 0;
  for (const auto& t : trained) seconds += t.seconds;

  if (c.format == "text") {
    const relu::Problem& pr = problems.front();
    std::cout << fmt::format(
        "relu train: d = {}, n = {}, k = {}, {}, {} values, importance I_i = {}^i, {} instance{}; AdamW lr {:g}, weight decay "
        "{:g}, batch {}, {} steps, seed {}; {:.1f} s of training (summed over instances, {} thread{})\n"
        "  (Elhage's sparsity S = 1 - p; Elhage's m is our d; loss/n is the notebook's loss; MC loss over {} fresh "
        "samples)\n",
        pr.d, pr.n, pr.k, pr.tied ? "tied" : "untied", pr.law.name(), rational_to_decimal(c.sweep.importance_ratio, 12), problems.size(),
        problems.size() == 1 ? "" : "s", c.opt.lr, c.opt.weight_decay, c.opt.batch, c.opt.steps, c.opt.seed, seconds,
        c.opt.threads, c.opt.threads == 1 ? "" : "s", c.opt.eval_samples);
  }
  std::cout << relu::render_train(rows, c.format);
  if (!c.out.empty()) {
    const std::vector<std::string> files = relu::write_train_outputs(rows, c.out, !c.no_plot);
    std::cerr << "relu train: wrote " << files.size() << " files to " << c.out;
    if (!c.no_plot) std::cerr << " (figure: " << files.back().substr(0, files.back().size() - 4) << ".svg, .png)";
    std::cerr << "\n";
  }
}

// ------------------------------------------------------------------------------------------------ relu metrics
struct ReluMetricsCli {
  std::string weights, format = "text", layout = "dn";
  double tolerance = relu::kShapeTolerance;
};

void run_relu_metrics(const ReluMetricsCli& c) {
  check_format(c.format, {"text", "csv", "json"});
  if (c.layout != "dn" && c.layout != "nd")
    throw InputError("--layout: unknown layout '" + c.layout + "' (accepted: dn = d rows of n, nd = n rows of d, PyTorch's)");
  if (!(c.tolerance > 0 && c.tolerance < 1))
    throw InputError("--tolerance: must lie in (0, 1) (got " + to_decimal(c.tolerance, 6) + ")");
  Matrix<Rational> Wq = read_matrix(c.weights);
  if (c.layout == "nd") Wq = Matrix<Rational>(Wq.transpose());
  const Matrix<double> W = Wq.unaryExpr([](const Rational& q) { return from_rational<double>(q); });
  if (!W.allFinite()) throw InputError("--weights: an entry of " + c.weights + " is outside the range of double");
  std::cout << relu::render_metrics(W, relu::feature_geometry(W, c.tolerance), c.format);
}

}  // namespace

void register_relu_train(CLI::App& relu_app) {
  auto tr = std::make_shared<ReluTrainCli>();
  CLI::App* tc = relu_app.add_subcommand(
      "train",
      "Trains the ReLU model x^ = ReLU(W^T W x + b)^k of Elhage et al. (2022) on sampled batches with the recipe of\n"
      "their notebook: AdamW (lr 1e-3, torch's default weight decay 0.01), batches of 1024, 10,000 steps, W from\n"
      "xavier_normal_, b = 0; x_i = beta_i v_i, beta_i ~ Bernoulli(p), v_i ~ U[0,1] (uniform01; --law). One instance per\n"
      "value of --p (all n features with that p), importance I_i = ratio^i; loss sum_i I_i E(x_i - x^_i)^2 (the\n"
      "notebook prints it divided by n), estimated at the end on --eval-samples fresh samples with its standard\n"
      "error. Prints per instance the loss +- SE, Elhage's dimensions per feature d/|W|_F^2, the feature\n"
      "dimensionalities D_i and the geometry (features in dedicated dimensions, digons, triangles, tetrahedra,\n"
      "pentagons, square antiprisms: see `relu metrics`). With --out DIR: CSV files, every W and b, and the figure\n"
      "of D_i against 1/(1-S) (gnuplot: DIR/relu_train.svg, .png).\n"
      "Elhage's sparsity S is 1 - p; Elhage's m (hidden width) is our d.\n"
      "Presets: elhage-n5 (n 5, d 2, I_i = 0.9^i, 10 instances) and elhage-n200 (n 200, d 20, I_i = 1,\n"
      "20 instances), both over p = 20^-t, t = 0..1 (S from 0 to 0.95), the notebook's grid.\n"
      "Example: superpose relu train --preset elhage-n5 --out out/relu-n5");
  tc->add_option("--preset", tr->preset, "the notebook's sweeps: " + relu::elhage_preset_names() +
                                             " (flags typed explicitly override the preset)");
  tc->add_option("--d", tr->sweep.d, "hidden width (Elhage's m)")->capture_default_str();
  tc->add_option("--n", tr->sweep.n, "number of features")->capture_default_str();
  tc->add_option("--p", tr->p, "feature probability, one instance per value (Elhage's 1 - S): v, v1,v2,... or "
                               "lo:hi:count (log-spaced)")
      ->capture_default_str();
  tc->add_option("--importance-ratio", tr->importance_ratio, "importance I_i = ratio^i, i = 0..n-1 (exact)")
      ->capture_default_str();
  tc->add_option("--k", tr->sweep.k, "activation ReLU(t)^k: 1, 2 or 3")->capture_default_str();
  tc->add_flag("--untied", tr->untied, "a separate decoder W_dec (default: tied, Elhage's model)");
  tc->add_option("--law", tr->sweep.law, "value law of an active feature: uniform01 (the notebook's U[0,1]) or rademacher, gaussian, uniform "
                 "(on [-1,1]), laplace, discrete:v1:w1,...")
      ->capture_default_str();
  tc->add_option("--steps", tr->opt.steps, "AdamW steps")->capture_default_str();
  tc->add_option("--batch", tr->opt.batch, "samples per batch")->capture_default_str();
  tc->add_option("--lr", tr->opt.lr, "AdamW learning rate")->capture_default_str();
  tc->add_option("--weight-decay", tr->opt.weight_decay,
                 "AdamW's decoupled weight decay (torch.optim.AdamW's default, kept by the notebook)")
      ->capture_default_str();
  tc->add_option("--init-std", tr->opt.init_std,
                 "standard deviation of the initial W entries (0: xavier_normal_ as the notebook, "
                 "sqrt(2/(d (n + instances))))")
      ->capture_default_str();
  tc->add_option("--eval-samples", tr->opt.eval_samples, "fresh samples of the final Monte Carlo loss")
      ->capture_default_str();
  tc->add_option("--seed", tr->opt.seed, "random seed (instance i uses seed + i)")->capture_default_str();
  tc->add_option("--threads", tr->opt.threads, "instances trained in parallel")->capture_default_str();
  tc->add_option("--tolerance", tr->tolerance, "geometry recognition tolerance (see `relu metrics`)")
      ->capture_default_str();
  tc->add_option("--format", tr->format, "text, csv or json")->capture_default_str();
  tc->add_option("--out", tr->out, "folder for the CSV files, W_<i>.csv, b_<i>.csv and the figure");
  tc->add_flag("--no-plot", tr->no_plot, "with --out: no figure");
  tc->add_flag("--quiet", tr->quiet, "no progress bar");
  check_values_as_typed(tc);
  tc->callback([tr, tc]() { run_relu_train(*tr, *tc); });

  auto mt = std::make_shared<ReluMetricsCli>();
  CLI::App* mc = relu_app.add_subcommand(
      "metrics",
      "Elhage et al.'s (2022) metrics of a weight matrix W (d x n): per feature the dimensionality\n"
      "D_i = |W_i|^2 / sum_j (W^_i . W_j)^2 (0 if unrepresented: |W_i|^2 <= 1e-6 max_j |W_j|^2) and the\n"
      "superposition sum_{j != i} (W^_i . W_j)^2; the dimensions per feature d/|W|_F^2; and the geometry: the\n"
      "represented features split into groups joined by |W^_i . W_j| > tolerance * max_k |W_k|, each named by its\n"
      "D_i and its cosine Gram matrix (within the tolerance): dedicated (D = 1), digon (antipodal pair, 1/2),\n"
      "triangle (2/3), tetrahedron (3/4), pentagon (2/5), square antiprism (3/8) or other; and the fraction of the\n"
      "n features in each. Elhage's m (hidden width) is our d.\n"
      "Example: superpose relu metrics --weights out/relu-n5/W_10.csv");
  mc->add_option("--weights", mt->weights,
                 "weights: a CSV file with d lines of n numbers, or a .npy file (numpy.save, float64)")
      ->required();
  mc->add_option("--layout", mt->layout, "dn (d rows of n) or nd (n rows of d, the notebook's and PyTorch's)")
      ->capture_default_str();
  mc->add_option("--tolerance", mt->tolerance, "grouping and shape tolerance, in (0, 1)")->capture_default_str();
  mc->add_option("--format", mt->format, "text, csv or json")->capture_default_str();
  check_values_as_typed(mc);
  mc->callback([mt]() { run_relu_metrics(*mt); });
}

}  // namespace superpose::cli
