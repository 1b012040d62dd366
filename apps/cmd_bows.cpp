// `superpose bows`: Bag-of-Words Superposition (Prieto et al., ICLR 2026). The command only parses, calls
// bows/bows.hpp and prints; docs/bows.md has a worked example of every subcommand.
#include "apps/commands.hpp"
#include "bows/bows.hpp"
#include "core/core.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace superpose::cli {

namespace {

namespace bows = superpose::bows;

void say(const std::string& s) { std::cerr << "bows: " << s << "\n"; }

// Library validation names option fields; the CLI reports them under its flags.
using FlagMap = std::initializer_list<std::pair<const char*, const char*>>;
template <class F>
void with_flags(FlagMap flags, F&& f) {
  try {
    f();
  } catch (const bows::OptionError& e) {
    for (const auto& [field, flag] : flags)
      if (e.field == field) throw InputError(std::string(flag) + ": " + e.problem);
    throw;
  }
}

// Unsigned options: CLI11 would wrap "-1" to 2^64 - 1; refuse negative values as typed.
CLI::Option* non_negative(CLI::Option* o) {
  return o->check(CLI::Validator(
      [](std::string& v) {
        const auto i = v.find_first_not_of(" \t");
        return i != std::string::npos && v[i] == '-' ? std::string("'" + v + "' is negative (accepted: 0 or more)")
                                                     : std::string();
      },
      "NONNEGATIVE"));
}

void add_prepare(CLI::App& bows_app) {
  auto o = std::make_shared<bows::PrepareOptions>();
  auto* c = bows_app.add_subcommand(
      "prepare",
      "Corpus -> tokens -> vocabulary -> windows of G rows -> binary bag-of-words samples (CSR files).\n"
      "Writes DIR/train.csr, DIR/heldout.csr, DIR/vocab.tsv, DIR/meta.json. The held-out split is by document.");
  c->add_option("--corpus", o->corpus,
                "Text to read: default (SOTU + Brown + SpamAssassin, installed by scripts/install-deps.sh into "
                ".cache/corpus), wikitext (the WikiText-2 valid+test shipped in data/wikitext-2, the reference corpus), "
                "reuters (Reuters-21578 newswire of 1987, installed beside default), a '+' list of these (default+reuters), "
                "wikitext:PATH[,PATH...] (WikiText files or folders of *.tokens/*.raw), text:PATH (file or folder; one row per line), sotu:DIR, "
                "brown:DIR, spam:DIR, reuters:DIR")
      ->capture_default_str();
  non_negative(c->add_option("--vocab", o->V, "Vocabulary size V, forced words (days, months, planets, animals) included "
                                 "[words; the paper: 10000]"))
      ->capture_default_str();
  non_negative(c->add_option("--window", o->window, "Window size G in rows (the paper: 20)"))->capture_default_str();
  non_negative(c->add_option("--stride", o->stride, "Rows between window starts (the paper: 1)"))->capture_default_str();
  c->add_option("--heldout", o->heldout, "Fraction of documents held out, in (0, 1)")->capture_default_str();
  non_negative(c->add_option("--seed", o->seed, "Seed of the document shuffle for the held-out split"))
      ->capture_default_str();
  c->add_flag("--lowercase", o->tokens.lowercase, "Lowercase tokens (default off: case-sensitive, as the paper)");
  non_negative(c->add_option("--min-row-chars", o->tokens.min_row_chars,
                             "Rows shorter than this many characters give no tokens (the code's min_len)"))
      ->capture_default_str();
  c->add_option("--out", o->out, "Output folder (created if missing; a stale *.tmp of a killed run is removed)")
      ->required();
  c->callback([o] {
    bows::PrepareSummary s;
    with_flags({{"corpus", "--corpus"}, {"V", "--vocab"}, {"window", "--window"}, {"stride", "--stride"},
                {"heldout", "--heldout"}, {"out", "--out"}},
               [&] { s = bows::prepare(*o, say); });
    std::cout << s.to_json().dump(2) << "\n";
  });
}

void add_train(CLI::App& bows_app) {
  auto o = std::make_shared<bows::TrainOptions>();
  auto linear = std::make_shared<bool>(false);
  auto* c = bows_app.add_subcommand(
      "train",
      "Train the tied autoencoder x^ = ReLU(W^T W x + b), W in R^{d x V}, on prepared data: MSE over batch x V,\n"
      "PyTorch AdamW (decoupled weight decay on W and b), cosine learning rate per step to 0, Kaiming-uniform init.\n"
      "Writes RUN/checkpoint.bin (atomic, every --checkpoint-every steps), RUN/log.csv, RUN/config.json,\n"
      "RUN/summary.json. Progress (step, loss, steps/s, time left) goes to stderr. A folder that holds a run is\n"
      "refused unless --resume (continue it) or --force (remove its checkpoint, config, log, summary, analysis/).");
  c->add_option("--data", o->data, "Folder written by `superpose bows prepare`")->required();
  c->add_option("--out", o->out, "Run folder (created if missing)")->required();
  c->add_option("--d", o->d, "Latent width d >= 1 (the paper's m or L; its main run: 1000); d*V is checked against "
                             "the memory available")
      ->capture_default_str();
  c->add_option("--weight-decay", o->adamw.weight_decay,
                "AdamW decoupled weight decay, on W and b (the paper: 4 for the months figures, 1, 0)")
      ->capture_default_str();
  c->add_option("--lr", o->adamw.lr, "Peak learning rate, finite > 0 (cosine schedule to 0 over --steps)")
      ->capture_default_str();
  non_negative(c->add_option("--batch", o->batch,
                             "Batch size B in windows, 1 ... the number of training windows (larger is refused)"))
      ->capture_default_str();
  non_negative(c->add_option("--steps", o->steps, "Optimiser steps T >= 1 (the paper: ~31.7k = 10 epochs of "
                                                  "WikiText-103)"))
      ->capture_default_str();
  non_negative(c->add_option("--seed", o->seed, "Initialisation and shuffle seed"))->capture_default_str();
  c->add_flag("--linear", *linear, "Drop the output ReLU: x^ = W^T W x + b");
  non_negative(c->add_option("--checkpoint-every", o->checkpoint_every, "Steps between atomic checkpoints (>= 1)"))
      ->capture_default_str();
  non_negative(c->add_option("--eval-every", o->eval_every, "Steps between held-out evaluations (0: steps/20)"))
      ->capture_default_str();
  non_negative(c->add_option("--eval-windows", o->eval_windows, "Held-out windows per evaluation (0: all)"))
      ->capture_default_str();
  c->add_option("--threads", o->threads, "Threads per training step, 0 ... 256 (0: every core); the trained model "
                                         "is the same to the bit for every count, so --resume may change it")
      ->capture_default_str();
  c->add_flag("--resume", o->resume, "Continue from RUN/checkpoint.bin (same options and data required; the "
                                     "checkpoint's checksum is verified)");
  c->add_flag("--force", o->force, "Replace the run in RUN: remove its checkpoint, config, log, summary and "
                                   "analysis/ first");
  auto seeds = std::make_shared<std::vector<std::uint64_t>>();
  non_negative(c->add_option("--seeds", *seeds, "Train once per seed into RUN/seed<S> (comma-separated, e.g. 1,2,3; "
                                                "replaces --seed); `bows analyze RUN` then reports mean and sd over "
                                                "the seeds")
                   ->delimiter(','));
  c->callback([o, linear, seeds] {
    o->relu = !*linear;
    // One run, or one per seed (RUN/seed<S>): one progress bar per run, one JSON line per run on stdout.
    std::vector<std::uint64_t> run_seeds = *seeds;
    std::vector<bows::TrainResult> rs;
    std::unique_ptr<superpose::ProgressBar> bar;  // core/: the one progress bar
    std::uint64_t shown = 0;
    auto show = [&](std::uint64_t seed, const bows::TrainProgress& p) {
      if (!bar || seed != shown)
        bar = std::make_unique<superpose::ProgressBar>(
            seeds->empty() ? std::string("bows train") : fmt::format("bows train seed {}", seed), "steps");
      shown = seed;
      const std::string held = std::isfinite(p.heldout_loss) ? fmt::format(" held-out {:.4e}", p.heldout_loss) : "";
      bar->update(static_cast<long long>(p.step), static_cast<long long>(p.total),
                  fmt::format("loss {:.4e}{}", p.loss, held));
    };
    with_flags({{"data", "--data"}, {"out", "--out"}, {"d", "--d"}, {"batch", "--batch"}, {"steps", "--steps"},
                {"checkpoint_every", "--checkpoint-every"}, {"force", "--force"}, {"adamw.lr", "--lr"},
                {"adamw.weight_decay", "--weight-decay"}, {"seeds", "--seeds"}, {"threads", "--threads"}},
               [&] {
                 if (run_seeds.empty()) {
                   rs.push_back(bows::train(*o, [&](const bows::TrainProgress& p) { show(o->seed, p); }));
                   run_seeds.push_back(o->seed);
                 } else {
                   rs = bows::train_seeds(*o, run_seeds, show);
                 }
               });
    for (std::size_t k = 0; k < rs.size(); ++k) {
      const std::string run = seeds->empty() ? o->out : fmt::format("{}/seed{}", o->out, run_seeds[k]);
      std::cout << fmt::format(
          "{{\"steps_run\": {}, \"final_train_batch_loss\": {:.6e}, \"final_heldout_loss\": {:.6e}, \"seconds\": "
          "{:.1f}, \"run\": \"{}\"}}\n",
          rs[k].steps_run, rs[k].final_train_loss, rs[k].final_heldout_loss, rs[k].seconds, run);
    }
  });
}

void add_synthetic(CLI::App& bows_app) {
  auto data = std::make_shared<bows::SyntheticDataOptions>();
  auto opt = std::make_shared<bows::SyntheticTrainOptions>();
  auto structure = std::make_shared<std::string>("circular");
  auto linear = std::make_shared<bool>(false);
  auto out = std::make_shared<std::string>();
  auto* c = bows_app.add_subcommand(
      "synthetic",
      "Synthetic BOWS (the code's synthetic_bows/): n = 12 binary features with P(x_k=1) = sigmoid(sharpness <phi_k,z>\n"
      "+ base log-odds); a tied autoencoder trained as the code does (AdamW lr 1e-2, batch 256, 200 epochs, cosine\n"
      "per epoch, clip 1). Prints and writes the Gram matrix of the normalised W next to the data covariance.");
  c->add_option("--structure", *structure, "circular | figure8 | sphere | iid")->capture_default_str();
  c->add_option("--d", opt->d, "Latent width m, 1 ... 4n (the code: 2 ... 12)")->capture_default_str();
  c->add_option("--weight-decay", opt->weight_decay,
                "AdamW weight decay, finite >= 0 with lr*wd < 1 (the code: 1 and 6)")
      ->capture_default_str();
  c->add_flag("--linear", *linear, "Linear decoder x^ = W^T W x + b (default: ReLU)");
  non_negative(c->add_option("--epochs", opt->epochs, "Epochs over the training samples (>= 1)"))
      ->capture_default_str();
  c->add_option("--lr", opt->lr, "Peak learning rate, finite > 0")->capture_default_str();
  non_negative(c->add_option("--samples", data->samples,
                             "Samples generated (80 % train, 20 % validation), at least 2n = 24; their memory is "
                             "checked"))
      ->capture_default_str();
  c->add_option("--sharpness", data->sharpness, "Feature sharpness in [0, 1000] (the code's CLI default: 10)")
      ->capture_default_str();
  c->add_option("--base-log-odds", data->base_log_odds, "Base log-odds in [-50, 50] (the code's CLI default: 0)")
      ->capture_default_str();
  c->add_option("--noise", data->noise, "Latent jitter std in [0, 10] (the code's CLI default: 0)")
      ->capture_default_str();
  non_negative(c->add_option("--seed", opt->seed, "Training seed (data seed is --data-seed)"))->capture_default_str();
  non_negative(c->add_option("--data-seed", data->seed, "Data seed"))->capture_default_str();
  c->add_option("--out", *out, "Folder for gram.csv, covariance.csv, summary.json (optional; checked before "
                               "training); with --seeds, one OUT/seed<S> folder per seed and OUT/seeds.json");
  auto seeds = std::make_shared<std::vector<std::uint64_t>>();
  non_negative(c->add_option("--seeds", *seeds, "Train once per seed (comma-separated, distinct, e.g. 1,2,3; "
                                                "replaces --seed, the data stay those of --data-seed) and print "
                                                "the mean and sd over the seeds of every number")
                   ->delimiter(','));
  c->callback([=] {
    data->structure = bows::parse_structure(*structure);
    opt->relu = !*linear;
    // One run (seed --seed) or one per seed of --seeds, into OUT or OUT/seed<S>.
    const std::vector<std::uint64_t> run_seeds = seeds->empty() ? std::vector<std::uint64_t>{opt->seed} : *seeds;
    auto run_dir = [&](std::uint64_t seed) { return seeds->empty() ? *out : fmt::format("{}/seed{}", *out, seed); };
    std::vector<bows::SyntheticResult> rs;
    with_flags({{"d", "--d"}, {"weight_decay", "--weight-decay"}, {"epochs", "--epochs"}, {"lr", "--lr"},
                {"samples", "--samples"}, {"sharpness", "--sharpness"}, {"base_log_odds", "--base-log-odds"},
                {"noise", "--noise"}, {"out", "--out"}, {"seeds", "--seeds"}},
               [&] {
                 bows::check_seeds(run_seeds);
                 data->validate();
                 opt->validate(*data);
                 if (!out->empty())
                   for (const auto seed : run_seeds) bows::check_output_folder(run_dir(seed), "out");
                 rs = bows::train_synthetic_seeds(*data, *opt, run_seeds);
               });
    std::vector<nlohmann::json> js;
    for (std::size_t k = 0; k < rs.size(); ++k) {
      const auto& r = rs[k];
      nlohmann::json j = {{"structure", *structure}, {"d", opt->d}, {"relu", opt->relu},
                          {"weight_decay", opt->weight_decay}, {"seed", run_seeds[k]},
                          {"offdiag_correlation", r.offdiag_correlation}};
      if (std::isfinite(r.circular_correlation)) j["offdiag_correlation_circular"] = r.circular_correlation;
      j["train_loss"] = r.train_loss;
      j["validation_loss"] = r.validation_loss;
      js.push_back(j);
    }
    if (seeds->empty()) {
      std::cout << js[0].dump(2) << "\n";
      const Eigen::IOFormat fmtm(4, 0, " ", "\n", "  ", "");
      std::cerr << "data covariance:\n" << rs[0].covariance.format(fmtm) << "\nGram of W (Frobenius-normalised):\n"
                << rs[0].gram.format(fmtm) << "\n";
    }
    nlohmann::json all;
    if (!seeds->empty()) {
      all = {{"seeds", run_seeds}, {"runs", js}, {"summary", bows::seed_summary(js)}};
      std::cout << all.dump(2) << "\n";
    }
    if (!out->empty()) {
      auto csv = [](const Eigen::MatrixXd& M) {
        std::string s = "name";
        for (Eigen::Index k = 0; k < M.cols(); ++k) s += fmt::format(",f{}", k);
        s += "\n";
        for (Eigen::Index i = 0; i < M.rows(); ++i) {
          s += fmt::format("f{}", i);
          for (Eigen::Index k = 0; k < M.cols(); ++k) s += fmt::format(",{:.8g}", M(i, k));
          s += "\n";
        }
        return s;
      };
      for (std::size_t k = 0; k < rs.size(); ++k) {
        const std::string dir = run_dir(run_seeds[k]);
        superpose::ensure_directory(dir);
        superpose::write_file_atomic(dir + "/gram.csv", csv(rs[k].gram));
        superpose::write_file_atomic(dir + "/covariance.csv", csv(rs[k].covariance));
        superpose::write_file_atomic(dir + "/summary.json", js[k].dump(2) + "\n");
      }
      if (!seeds->empty()) superpose::write_file_atomic(*out + "/seeds.json", all.dump(2) + "\n");
    }
  });
}

void add_analyze(CLI::App& bows_app) {
  auto o = std::make_shared<bows::AnalyzeOptions>();
  auto no_plot = std::make_shared<bool>(false);
  auto* c = bows_app.add_subcommand(
      "analyze",
      "Analyses of a trained run, each writing CSV, JSON and gnuplot (.gp, .dat, SVG, PNG) into RUN/analysis:\n"
      "  months        12 month (and 7 day) vectors: 2-D PCA polygons of the data and of W, cycle scores\n"
      "  interference  per-word R^2 in context vs alone, negative biases, words reconstructed only in context,\n"
      "                bias/self/context split of the pre-activation for --word words\n"
      "  similarity    Spearman(cos(W_u,W_v), PMI) over frequent pairs; within- vs between-category cosine\n"
      "  structure     RUN is a sweep folder of runs (RUN/<width>/ or RUN/<width>/seed<S>/, e.g. from\n"
      "                scripts/bows-width-sweep.sh): per --category and d, the RMS off-diagonal cosine of the\n"
      "                category's Gram block (and the raw ||G - diag G||_F), mean and sd over seeds\n"
      "  synthetic     RUN is a `bows synthetic --out` folder: Gram vs covariance heat maps and r\n"
      "  synthetic-sweep  trains the linear and the ReLU model on the 12-feature circular data at d = 1 ... 12\n"
      "                (--seeds, --weight-decay) and classifies each geometry (ring, antipodal, identity,\n"
      "                other); RUN is the folder to write into (paper: linear a ring at every d; ReLU a ring\n"
      "                for d < 6, antipodal pairs for d = 6 ... 10, identity as d -> 12)\n"
      "The paper's own measurements, with the paper's number beside ours (\"paper_comparison\"):\n"
      "  linear-probe     ridge probe h = Wx -> each word's indicator, held-out R^2; the 12 months' joint R^2 and\n"
      "                   orthogonal month pairs (paper: 0.98, none)\n"
      "  frequency-split  probe R^2 against frequency rank; words with R^2 >= 0.5 (linear) and < 0.5 (non-linear)\n"
      "                   (paper, L = 800: 522 and 4,073)\n"
      "  context          words off alone (b_v + |W_v|^2 < 0): share of held-out windows containing v with z_v > 0\n"
      "                   (paper: 81 % for \"Beatles\")\n"
      "The data folder must be the dataset the run was trained on (its id is checked). The outputs are staged and\n"
      "replace the earlier outputs of the same analysis only when the whole analysis has succeeded.");
  c->add_option("RUN", o->run, "Run folder (train --out), sweep folder (structure) or synthetic folder")->required();
  c->add_option("--what", o->what, "months | interference | similarity | structure | synthetic | linear-probe | "
                                   "frequency-split | context | synthetic-sweep")
      ->capture_default_str();
  non_negative(c->add_option("--seeds", o->seeds, "synthetic-sweep: training seeds per model and width, distinct "
                                                  "(comma-separated)")
                   ->delimiter(','))
      ->capture_default_str();
  c->add_option("--weight-decay", o->synthetic_weight_decay,
                "synthetic-sweep: AdamW weight decay, finite >= 0 with lr*wd < 1 at lr 1e-2 (the code: 1 and 6)")
      ->capture_default_str();
  c->add_option("--category", o->categories, "structure: word categories (comma-separated): months, days, roman "
                                             "(I ... X), or a category of bows/categories.tsv")
      ->delimiter(',')
      ->capture_default_str();
  c->add_option("--ridge", o->ridge, "linear-probe, frequency-split: ridge penalty lambda > 0 on |beta|^2 added to "
                                     "the sum of squared residuals over the training windows (sklearn's alpha)")
      ->capture_default_str();
  c->add_option("--data", o->data, "Data folder (default: the one in RUN/config.json)");
  c->add_option("--out", o->out, "Output folder (default: RUN/analysis)");
  non_negative(c->add_option("--top", o->pairs_top,
                             "similarity: number of most frequent words whose pairs are compared (>= 3)"))
      ->capture_default_str();
  c->add_option("--word", o->words, "interference: word to decompose (repeatable; a word not in the vocabulary is "
                                    "an error; default: December, Christmas, Monday, war, president, those present)");
  c->add_flag("--no-plot", *no_plot, "Do not run gnuplot (no .gp, SVG or PNG is written; earlier ones are removed)");
  c->callback([o, no_plot] {
    o->plot = !*no_plot;
    nlohmann::json j;
    with_flags({{"run", "RUN"}, {"what", "--what"}, {"data", "--data"}, {"out", "--out"}, {"pairs_top", "--top"},
                {"words", "--word"}, {"ridge", "--ridge"}, {"seeds", "--seeds"},
                {"synthetic_weight_decay", "--weight-decay"}, {"categories", "--category"}},
               [&] { j = bows::analyze(*o, say); });
    std::cout << j.dump(2) << "\n";
  });
}

}  // namespace

void register_bows(CLI::App& app) {
  auto* b = app.add_subcommand(
      "bows",
      "Bag-of-Words Superposition (Prieto, Stevinson, Barsbey, Birdal, Mediano, ICLR 2026): text -> binary\n"
      "bags of words -> tied ReLU autoencoder x^ = ReLU(W^T W x + b) -> feature geometry. Notation: V vocabulary\n"
      "size, d latent width (the paper's m / L), G window size. Steps: prepare, train, analyze; synthetic stands\n"
      "alone. docs/bows.md has a worked example.");
  b->require_subcommand(1);
  add_prepare(*b);
  add_train(*b);
  add_synthetic(*b);
  add_analyze(*b);
}

}  // namespace superpose::cli
