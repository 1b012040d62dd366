// superpose/bows: the tied autoencoder, its loss and gradient, PyTorch's AdamW and cosine schedule, training with
// checkpoints (code: text_bows/train_autoencoder.py). Contract in bows/bows.hpp.
#include "bows/binary_io.hpp"
#include "bows/bows.hpp"
#include "bows/kernels.hpp"
#include "core/core.hpp"
#include "core/parallel.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

namespace superpose::bows {

namespace fs = std::filesystem;

float kaiming_uniform_bound(Eigen::Index V) { return static_cast<float>(std::sqrt(2.0 / static_cast<double>(V))); }

Model init_model(Eigen::Index d, Eigen::Index V, float bound, bool relu, std::uint64_t seed) {
  if (d < 1 || V < 1) throw InputError(fmt::format("--d and V must be at least 1 (got d={}, V={})", d, V));
  Model m;
  m.relu = relu;
  m.W.resize(d, V);
  m.b = Eigen::VectorXf::Zero(V);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-bound, bound);
  for (Eigen::Index j = 0; j < V; ++j)
    for (Eigen::Index i = 0; i < d; ++i) m.W(i, j) = u(rng);
  return m;
}

double loss_and_gradient(const Model& model, const Csr& data, const std::vector<std::size_t>& rows, Gradient* grad,
                         Workspace& ws) {
  const Eigen::Index d = model.d(), V = model.V(), B = static_cast<Eigen::Index>(rows.size());
  if (static_cast<std::size_t>(V) != data.V)
    throw InputError(fmt::format("model V={} differs from the data's V={}", V, data.V));
  if (B == 0) return 0.0;
  const int threads = std::max(1, ws.threads);
  // Encoder: H = W X as a gather-sum of the active columns; decoder: Z = Wᵀ H + b (one GEMM).
  ws.H.resize(d, B);
  kernels::encode(model.W.data(), d, data.offsets.data(), data.indices.data(), rows.data(), B, ws.H.data(), threads);
  ws.Z.resize(V, B);
  kernels::decode(model.W.data(), model.b.data(), ws.H.data(), d, V, B, ws.Z.data(), threads);
  // Loss: Σ ŷ² over all outputs, corrected at the active ones by (ŷ−1)² − ŷ² = 1 − 2ŷ, per sample, then summed in
  // sample order. With a gradient, dZ = 2(ŷ − x)/(B·V) ⊙ 1[z > 0] is written over Z in the same pass.
  const double n_out = static_cast<double>(B) * static_cast<double>(V);
  const float scale = static_cast<float>(2.0 / n_out);
  std::vector<double> col_sum(static_cast<std::size_t>(B));
  std::vector<long> col_nnz(static_cast<std::size_t>(B));
  kernels::loss_columns(ws.Z.data(), V, B, data.offsets.data(), data.indices.data(), rows.data(), model.relu,
                        grad != nullptr, scale, col_sum.data(), col_nnz.data(), threads);
  const double loss = std::accumulate(col_sum.begin(), col_sum.end(), 0.0) / n_out;
  if (!grad) return loss;

  const double nnz = static_cast<double>(std::accumulate(col_nnz.begin(), col_nnz.end(), 0L));
  ws.last_active_fraction = nnz / n_out;
  grad->b.resize(V);
  kernels::row_sums(ws.Z.data(), V, B, grad->b.data(), threads);
  grad->W.resize(d, V);
  ws.dH.resize(d, B);
  // Sparse backward when few outputs carry gradient: each nonzero dZ(v, c) costs two axpys of length d, against
  // the 2·d·B·V multiply-adds of the two dense GEMMs; the axpys run far below GEMM speed, so the crossover
  // (bench/bench_bows.cpp, V = 5000, d = 200, B = 512) is near 10 % (kSparseBackwardBelow).
  if (ws.last_active_fraction < kSparseBackwardBelow)
    kernels::backward_sparse(model.W.data(), ws.H.data(), ws.Z.data(), d, V, B, grad->W.data(), ws.dH.data(),
                             threads);
  else
    kernels::backward_dense(model.W.data(), ws.H.data(), ws.Z.data(), d, V, B, grad->W.data(), ws.dH.data(),
                            threads);
  // Encoder path: dW(:, j) += dH(:, c) for every active j of sample c.
  kernels::scatter_add(grad->W.data(), d, data.offsets.data(), data.indices.data(), rows.data(), B, ws.dH.data(),
                       threads);
  return loss;
}

void AdamWState::reset(Eigen::Index d, Eigen::Index V) {
  mW = Eigen::MatrixXf::Zero(d, V);
  vW = Eigen::MatrixXf::Zero(d, V);
  mb = Eigen::VectorXf::Zero(V);
  vb = Eigen::VectorXf::Zero(V);
  step = 0;
}

void adamw_step(Model& model, const Gradient& grad, AdamWState& state, const AdamWOptions& opt, double lr,
                int threads) {
  if (state.mW.rows() != model.d() || state.mW.cols() != model.V()) state.reset(model.d(), model.V());
  state.step += 1;
  const double t = static_cast<double>(state.step);
  const double bc1 = 1.0 - std::pow(opt.beta1, t);
  const double bc2 = 1.0 - std::pow(opt.beta2, t);
  const float decay = static_cast<float>(1.0 - lr * opt.weight_decay);
  const float w1 = static_cast<float>(1.0 - opt.beta1);
  const float neg_step = static_cast<float>(-(lr / bc1));
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  kernels::adamw_update(model.W.data(), grad.W.data(), state.mW.data(), state.vW.data(), static_cast<std::size_t>(model.W.size()),
               decay, w1, static_cast<float>(opt.beta2), static_cast<float>(1.0 - opt.beta2), bc2_sqrt,
               static_cast<float>(opt.eps), neg_step, threads);
  kernels::adamw_update(model.b.data(), grad.b.data(), state.mb.data(), state.vb.data(), static_cast<std::size_t>(model.b.size()),
               decay, w1, static_cast<float>(opt.beta2), static_cast<float>(1.0 - opt.beta2), bc2_sqrt,
               static_cast<float>(opt.eps), neg_step, threads);
}

double cosine_lr(double lr0, std::uint64_t t, std::uint64_t T, double eta_min) {
  if (T == 0) return lr0;
  const double pi = 3.14159265358979323846;
  const double x = static_cast<double>(std::min(t, T)) / static_cast<double>(T);
  return eta_min + (lr0 - eta_min) * (1.0 + std::cos(pi * x)) / 2.0;
}

double clip_grad_norm(Gradient& grad, double max_norm) {
  const double norm = std::sqrt(static_cast<double>(grad.W.squaredNorm()) + static_cast<double>(grad.b.squaredNorm()));
  // torch.nn.utils.clip_grad_norm_: coefficient max_norm / (norm + 1e-6), applied only when below 1.
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    grad.W *= static_cast<float>(coef);
    grad.b *= static_cast<float>(coef);
  }
  return norm;
}

// ---------------------------------------------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------------------------------------------

void write_checkpoint(const std::string& path, const Model& model, const AdamWState* state,
                      const nlohmann::json& extra) {
  nlohmann::json h = extra.is_object() ? extra : nlohmann::json::object();
  h["format"] = "superpose-bows-model";
  h["d"] = model.d();
  h["V"] = model.V();
  h["relu"] = model.relu;
  h["has_adamw"] = state != nullptr;
  h["layout"] = "float32 LE: W (d×V, column-major), b (V)" + std::string(state ? ", mW, vW, mb, vb" : "");
  if (state) h["adamw_step"] = state->step;
  h["producer"] = producer();
  std::string body;
  detail::append_pod(body, model.W.data(), static_cast<std::size_t>(model.W.size()));
  detail::append_pod(body, model.b.data(), static_cast<std::size_t>(model.b.size()));
  if (state) {
    detail::append_pod(body, state->mW.data(), static_cast<std::size_t>(state->mW.size()));
    detail::append_pod(body, state->vW.data(), static_cast<std::size_t>(state->vW.size()));
    detail::append_pod(body, state->mb.data(), static_cast<std::size_t>(state->mb.size()));
    detail::append_pod(body, state->vb.data(), static_cast<std::size_t>(state->vb.size()));
  }
  h["payload_crc32"] = crc32_hex(body);
  write_file_atomic(path, detail::pack_file("superpose-bows-model 1", h, body));
}

Model read_checkpoint(const std::string& path, AdamWState* state, nlohmann::json* header_out) {
  nlohmann::json h;
  std::string body;
  detail::unpack_file(path, "superpose-bows-model 1", h, body);
  if (!h.contains("payload_crc32") || !h["payload_crc32"].is_string())
    throw InputError(fmt::format("'{}': no payload checksum (written by an older superpose); train the run again",
                                 path));
  if (h["payload_crc32"].get<std::string>() != crc32_hex(body))
    throw InputError(fmt::format("'{}': payload checksum mismatch (the checkpoint is corrupt: flipped bits or an "
                                 "edited file); train again with --force",
                                 path));
  auto check_finite = [&](const auto& a, const char* what) {
    if (!a.allFinite())
      throw InputError(fmt::format("'{}': {} holds NaN or infinite values (corrupt or diverged checkpoint)", path,
                                   what));
  };
  Model m;
  try {
    const auto d = h.at("d").get<Eigen::Index>(), V = h.at("V").get<Eigen::Index>();
    if (d < 1 || V < 1) throw InputError(fmt::format("'{}': bad shape d={} V={}", path, d, V));
    m.relu = h.at("relu").get<bool>();
    m.W.resize(d, V);
    m.b.resize(V);
    detail::Reader r{body, path};
    r.read(m.W.data(), static_cast<std::size_t>(m.W.size()));
    r.read(m.b.data(), static_cast<std::size_t>(V));
    if (h.at("has_adamw").get<bool>()) {
      AdamWState tmp;
      tmp.reset(d, V);
      r.read(tmp.mW.data(), static_cast<std::size_t>(tmp.mW.size()));
      r.read(tmp.vW.data(), static_cast<std::size_t>(tmp.vW.size()));
      r.read(tmp.mb.data(), static_cast<std::size_t>(V));
      r.read(tmp.vb.data(), static_cast<std::size_t>(V));
      tmp.step = h.at("adamw_step").get<std::uint64_t>();
      check_finite(tmp.mW, "the AdamW first moment of W");
      check_finite(tmp.vW, "the AdamW second moment of W");
      check_finite(tmp.mb, "the AdamW first moment of b");
      check_finite(tmp.vb, "the AdamW second moment of b");
      if ((tmp.vW.array() < 0).any() || (tmp.vb.array() < 0).any())
        throw InputError(fmt::format("'{}': a negative AdamW second moment (corrupt checkpoint)", path));
      if (state) *state = std::move(tmp);
    } else if (state) {
      throw InputError(fmt::format("'{}': holds no optimiser state, cannot resume from it", path));
    }
    r.expect_end();
    check_finite(m.W, "W");
    check_finite(m.b, "the bias b");
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("'{}': bad checkpoint header ({})", path, e.what()));
  }
  if (header_out) *header_out = std::move(h);
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------------------------

namespace {

std::vector<std::size_t> epoch_permutation(std::size_t n, std::uint64_t seed, std::uint64_t epoch) {
  std::vector<std::size_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(epoch), static_cast<std::uint32_t>(epoch >> 32), 0xB0A5u};
  std::mt19937_64 rng(seq);
  std::shuffle(p.begin(), p.end(), rng);
  return p;
}

double heldout_loss(const Model& model, const Csr& held, std::size_t limit, std::size_t batch, Workspace& ws) {
  const std::size_t n = limit ? std::min(limit, held.rows()) : held.rows();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double total = 0;
  for (std::size_t s = 0; s < n; s += batch) {
    std::vector<std::size_t> rows;
    for (std::size_t r = s; r < std::min(n, s + batch); ++r) rows.push_back(r);
    total += loss_and_gradient(model, held, rows, nullptr, ws) * static_cast<double>(rows.size());
  }
  return total / static_cast<double>(n);
}

nlohmann::json options_json(const TrainOptions& o) {
  return {{"data", o.data},       {"d", o.d},
          {"lr", o.adamw.lr},     {"beta1", o.adamw.beta1},
          {"beta2", o.adamw.beta2}, {"eps", o.adamw.eps},
          {"weight_decay", o.adamw.weight_decay}, {"batch", o.batch},
          {"steps", o.steps},     {"seed", o.seed},
          {"relu", o.relu},       {"schedule", "cosine per step to 0"},
          {"init", "kaiming_uniform(a=sqrt(2)): U(-sqrt(2/V), sqrt(2/V)), b = 0"}};
}

}  // namespace

namespace {

// The files a run folder holds; --force removes them, a fresh run refuses to start over them.
const std::vector<std::string> kRunFiles = {"checkpoint.bin", "config.json", "log.csv", "summary.json"};

std::vector<std::string> run_outputs(const fs::path& out) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& f : kRunFiles)
    if (fs::exists(out / f, ec)) found.push_back(f);
  if (fs::exists(out / "analysis", ec)) found.push_back("analysis/");
  return found;
}

}  // namespace

TrainResult train(const TrainOptions& o, const std::function<void(const TrainProgress&)>& progress) {
  o.validate();
  const fs::path out(o.out);
  const std::string ckpt = (out / "checkpoint.bin").string();
  const std::string log_path = (out / "log.csv").string();
  if (o.resume && !fs::exists(ckpt))
    throw InputError(fmt::format("--resume: no checkpoint '{}' (start without --resume)", ckpt));
  const auto existing = o.resume ? std::vector<std::string>{} : run_outputs(out);
  if (!existing.empty() && !o.force) {
    std::string list;
    for (const auto& f : existing) list += (list.empty() ? "" : ", ") + f;
    throw OptionError("out", fmt::format("'{}' already holds a run ({}); pass --resume to continue it or --force to "
                                         "replace it",
                                         o.out, list));
  }
  const Dataset ds = load_dataset(o.data);
  const Eigen::Index V = static_cast<Eigen::Index>(ds.vocab.size());
  if (o.batch > ds.train.rows())
    throw OptionError("batch", fmt::format("{} exceeds the {} training windows of '{}' (refused, not capped); use at "
                                           "most {}",
                                           o.batch, ds.train.rows(), o.data, ds.train.rows()));
  check_memory(train_memory_bytes(static_cast<double>(o.d), static_cast<double>(V), static_cast<double>(o.batch)),
               "d", fmt::format("training d={} with V={} and batch {}", o.d, V, o.batch),
               "use a smaller d (or batch)");
  nlohmann::json opts = options_json(o);
  std::error_code ec;
  const fs::path data_abs = fs::absolute(o.data, ec).lexically_normal();
  opts["data"] = data_abs.string();

  TrainResult res;
  AdamWState state;
  std::string log = "step,lr,train_loss,heldout_loss,active_fraction,seconds\n";
  double seconds_before = 0;
  if (o.resume) {
    nlohmann::json h;
    res.model = read_checkpoint(ckpt, &state, &h);
    nlohmann::json saved = h.value("options", nlohmann::json::object());
    for (const char* key : {"d", "lr", "weight_decay", "batch", "steps", "seed", "relu", "beta1", "beta2", "eps"})
      if (saved.value(key, nlohmann::json()) != opts[key])
        throw InputError(fmt::format("--resume: option '{}' differs from the checkpoint's ({} vs {}); resume with "
                                     "the same options",
                                     key, opts[key].dump(), saved.value(key, nlohmann::json()).dump()));
    if (res.model.V() != V) throw InputError("--resume: the checkpoint's V differs from --data's vocabulary");
    const std::string ck_id = h.value("dataset_id", std::string{});
    if (ck_id != ds.id)
      throw OptionError("data", fmt::format("'{}' is dataset {}, but the checkpoint '{}' was trained on dataset {}; "
                                            "resume with the data it was trained on",
                                            o.data, ds.id, ckpt, ck_id.empty() ? "(none recorded)" : ck_id));
    seconds_before = h.value("seconds", 0.0);
    std::ifstream in(log_path);
    std::string line;
    if (in && std::getline(in, line)) {
      while (std::getline(in, line)) {
        const auto f = split(line, ',');
        if (!f.empty() && !f[0].empty() && f[0].find_first_not_of("0123456789") == std::string::npos &&
            std::stoull(f[0]) <= state.step)
          log += line + "\n";
      }
    }
  } else {
    // All checks passed: only now is anything removed or created.
    for (const auto& f : existing) fs::remove_all(out / (f.back() == '/' ? f.substr(0, f.size() - 1) : f), ec);
    res.model = init_model(o.d, V, kaiming_uniform_bound(V), o.relu, o.seed);
    state.reset(o.d, V);
  }
  ensure_directory(o.out);
  std::vector<std::string> tmp_names = kRunFiles;
  remove_stale_tmp(o.out, tmp_names);
  nlohmann::json config = opts;
  config["dataset_id"] = ds.id;
  config["data_relative_to_run"] = data_abs.lexically_relative(fs::absolute(out, ec).lexically_normal()).string();
  config["producer"] = producer();
  write_file_atomic((out / "config.json").string(), config.dump(2) + "\n");

  const std::size_t N = ds.train.rows();
  const std::size_t B = std::min(o.batch, N);
  const std::uint64_t per_epoch = (N + B - 1) / B;
  const std::uint64_t eval_every = o.eval_every ? o.eval_every : std::max<std::uint64_t>(1, o.steps / 20);
  Workspace ws;
  ws.threads = resolve_threads(o.threads);
  Gradient g;
  std::uint64_t cur_epoch = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::size_t> perm;
  double last_loss = std::numeric_limits<double>::quiet_NaN(), last_held = last_loss;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto save = [&] {
    nlohmann::json h = {{"options", opts}, {"step", state.step}, {"seconds", elapsed()}, {"dataset_id", ds.id}};
    write_checkpoint(ckpt, res.model, &state, h);
    write_file_atomic(log_path, log);
  };
  std::vector<std::size_t> rows;
  while (state.step < o.steps) {
    const std::uint64_t t = state.step;  // 0-based index of the step being taken
    const std::uint64_t epoch = t / per_epoch, pos = t % per_epoch;
    if (epoch != cur_epoch) {
      perm = epoch_permutation(N, o.seed, epoch);
      cur_epoch = epoch;
    }
    rows.assign(perm.begin() + static_cast<std::ptrdiff_t>(pos * B),
                perm.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(N, (pos + 1) * B)));
    const double lr = cosine_lr(o.adamw.lr, t, o.steps);
    last_loss = loss_and_gradient(res.model, ds.train, rows, &g, ws);
    adamw_step(res.model, g, state, o.adamw, lr, ws.threads);
    ++res.steps_run;
    const bool eval_now = state.step % eval_every == 0 || state.step == o.steps;
    if (eval_now) {
      const double frac = ws.last_active_fraction;
      last_held = heldout_loss(res.model, ds.heldout, o.eval_windows, B, ws);
      log += fmt::format("{},{:.6e},{:.9e},{:.9e},{:.4f},{:.2f}\n", state.step, lr, last_loss, last_held, frac,
                         elapsed());
    }
    if (state.step % o.checkpoint_every == 0 || state.step == o.steps) save();
    if (progress) progress({state.step, o.steps, last_loss, last_held});
  }
  res.final_train_loss = last_loss;
  res.final_heldout_loss = heldout_loss(res.model, ds.heldout, 0, B, ws);
  res.seconds = elapsed();
  res.threads = ws.threads;
  nlohmann::json summary = {{"options", opts},
                            {"steps", state.step},
                            {"final_train_batch_loss", res.final_train_loss},
                            {"final_heldout_loss", res.final_heldout_loss},
                            {"heldout_windows", ds.heldout.rows()},
                            {"train_windows", N},
                            {"seconds", res.seconds},
                            {"threads_last_call", ws.threads},
                            {"negative_bias_fraction",
                             static_cast<double>((res.model.b.array() < 0).count()) / static_cast<double>(V)}};
  write_file_atomic((fs::path(o.out) / "summary.json").string(), summary.dump(2) + "\n");
  return res;
}

}  // namespace superpose::bows

namespace superpose::bows {

std::vector<TrainResult> train_seeds(const TrainOptions& o, const std::vector<std::uint64_t>& seeds,
                                     const std::function<void(std::uint64_t, const TrainProgress&)>& progress) {
  check_seeds(seeds);
  std::vector<TrainOptions> runs;
  for (auto s : seeds) {
    TrainOptions r = o;
    r.seed = s;
    r.out = (fs::path(o.out) / fmt::format("seed{}", s)).string();
    r.validate();
    if (!o.resume && !o.force && !run_outputs(r.out).empty())
      throw OptionError("out", fmt::format("'{}' already holds a run; pass --resume to continue the seeds or --force "
                                           "to replace them",
                                           r.out));
    runs.push_back(std::move(r));
  }
  std::vector<TrainResult> out;
  for (const auto& r : runs)
    out.push_back(train(r, [&](const TrainProgress& p) {
      if (progress) progress(r.seed, p);
    }));
  return out;
}

}  // namespace superpose::bows
