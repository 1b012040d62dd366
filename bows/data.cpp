// superpose/bows: vocabulary, windows, CSR files and the `prepare` pipeline (code: text_bows/make_dataset.py).
// Contract in bows/bows.hpp.
#include "bows/binary_io.hpp"
#include "bows/bows.hpp"
#include "core/core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

namespace superpose::bows {

namespace fs = std::filesystem;

long Vocabulary::find(std::string_view word) const {
  auto it = index.find(std::string(word));
  return it == index.end() ? -1 : static_cast<long>(it->second);
}

std::vector<std::string> forced_words(bool lowercase) {
  std::vector<std::string> w = {
      "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
      "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
      "December",
      "Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune",
      "Mammal", "Fish", "Bird", "Reptile", "Amphibian", "Insect",
      "Cow", "Salmon", "Eagle", "Snake", "Frog", "Butterfly"};
  // bows.md §1.1 lists the code's EXTRA_TOKENS groups: 7 days, 12 months, 8 planets, 6 animal families and 6
  // examples. That is 39 strings (bows.md says 36; constants.py was not at hand to settle it); all 39 are forced.
  if (lowercase)
    for (auto& s : w)
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::sort(w.begin(), w.end());
  w.erase(std::unique(w.begin(), w.end()), w.end());
  return w;
}

Vocabulary build_vocabulary(const std::unordered_map<std::string, std::uint64_t>& counts, std::size_t V,
                            bool lowercase) {
  Vocabulary vocab;
  const auto forced = forced_words(lowercase);
  if (V <= forced.size())
    throw InputError(fmt::format("--vocab: {} is too small; it must exceed the {} forced words (days, months, "
                                 "planets, animals)",
                                 V, forced.size()));
  auto add = [&](const std::string& w) {
    vocab.index.emplace(w, static_cast<std::uint32_t>(vocab.words.size()));
    vocab.words.push_back(w);
    auto it = counts.find(w);
    vocab.counts.push_back(it == counts.end() ? 0 : it->second);
  };
  for (const auto& w : forced) add(w);
  vocab.forced = forced.size();
  std::vector<std::pair<std::string, std::uint64_t>> rest;
  rest.reserve(counts.size());
  for (const auto& [w, c] : counts)
    if (!vocab.index.count(w)) rest.emplace_back(w, c);
  if (rest.size() + vocab.forced < V)
    throw InputError(fmt::format("--vocab: the corpus has only {} distinct tokens besides the {} forced words, "
                                 "fewer than --vocab {} needs; use a smaller --vocab or a larger corpus",
                                 rest.size(), vocab.forced, V));
  const std::size_t take = V - vocab.forced;
  std::partial_sort(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(take), rest.end(),
                    [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  for (std::size_t i = 0; i < take; ++i) add(rest[i].first);
  return vocab;
}

void Csr::push_back(std::vector<std::uint32_t> active) {
  std::sort(active.begin(), active.end());
  active.erase(std::unique(active.begin(), active.end()), active.end());
  indices.insert(indices.end(), active.begin(), active.end());
  offsets.push_back(indices.size());
}

void append_windows(const std::vector<std::vector<std::uint32_t>>& rows, std::size_t G, std::size_t stride,
                    Csr& out) {
  if (rows.empty()) return;
  if (G == 0 || stride == 0) throw InputError("--window and --stride must be at least 1");
  const std::size_t n = rows.size();
  const std::size_t last_start = n > G ? n - G : 0;
  for (std::size_t s = 0; s <= last_start; s += stride) {
    std::vector<std::uint32_t> active;
    for (std::size_t r = s; r < std::min(n, s + G); ++r) active.insert(active.end(), rows[r].begin(), rows[r].end());
    out.push_back(std::move(active));
  }
}

namespace {
std::string csr_payload(const Csr& csr) {
  std::string body;
  detail::append_pod(body, csr.offsets.data(), csr.offsets.size());
  detail::append_pod(body, csr.indices.data(), csr.indices.size());
  return body;
}
}  // namespace

void write_csr(const std::string& path, const Csr& csr, const nlohmann::json& extra) {
  nlohmann::json header = extra.is_object() ? extra : nlohmann::json::object();
  header["format"] = "superpose-bows-csr";
  header["rows"] = csr.rows();
  header["nnz"] = csr.nnz();
  header["V"] = csr.V;
  header["offsets"] = "uint64 little-endian, rows+1";
  header["indices"] = "uint32 little-endian, nnz, sorted within each row";
  const std::string body = csr_payload(csr);
  header["payload_crc32"] = crc32_hex(body);
  write_file_atomic(path, detail::pack_file("superpose-bows-csr 1", header, body));
}

Csr read_csr(const std::string& path, nlohmann::json* header_out) {
  nlohmann::json header;
  std::string body;
  detail::unpack_file(path, "superpose-bows-csr 1", header, body);
  if (!header.contains("payload_crc32") || !header["payload_crc32"].is_string())
    throw InputError(fmt::format("'{}': no payload checksum (written by an older superpose); run `superpose bows "
                                 "prepare` again",
                                 path));
  if (header["payload_crc32"].get<std::string>() != crc32_hex(body))
    throw InputError(fmt::format("'{}': payload checksum mismatch (the file is corrupt); run `superpose bows prepare` "
                                 "again",
                                 path));
  Csr csr;
  try {
    csr.V = header.at("V").get<std::size_t>();
    const auto rows = header.at("rows").get<std::size_t>();
    const auto nnz = header.at("nnz").get<std::size_t>();
    detail::Reader r{body, path};
    csr.offsets.resize(rows + 1);
    r.read(csr.offsets.data(), rows + 1);
    csr.indices.resize(nnz);
    r.read(csr.indices.data(), nnz);
    r.expect_end();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("'{}': bad CSR header ({})", path, e.what()));
  }
  if (csr.offsets.front() != 0 || csr.offsets.back() != csr.nnz())
    throw InputError(fmt::format("'{}': CSR offsets do not span the indices (corrupt file)", path));
  for (std::size_t i = 0; i + 1 < csr.offsets.size(); ++i) {
    if (csr.offsets[i] > csr.offsets[i + 1]) throw InputError(fmt::format("'{}': CSR offsets decrease", path));
    for (auto k = csr.offsets[i]; k < csr.offsets[i + 1]; ++k)
      if (csr.indices[k] >= csr.V || (k > csr.offsets[i] && csr.indices[k] <= csr.indices[k - 1]))
        throw InputError(fmt::format("'{}': CSR row {} has an index out of range or unsorted", path, i));
  }
  if (header_out) *header_out = std::move(header);
  return csr;
}

nlohmann::json PrepareSummary::to_json() const {
  return {{"documents", documents},         {"train_documents", train_documents},
          {"heldout_documents", heldout_documents}, {"rows", rows},
          {"tokens", tokens},               {"distinct_tokens", distinct_tokens},
          {"train_windows", train_windows}, {"heldout_windows", heldout_windows},
          {"mean_active_train", mean_active_train}};
}

PrepareSummary prepare(const PrepareOptions& o, const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  o.validate();
  const std::vector<std::string> files = {"train.csr", "heldout.csr", "vocab.tsv", "meta.json"};
  if (fs::is_directory(o.out))
    for (const auto& t : remove_stale_tmp(o.out, files))
      say(fmt::format("removed '{}', left by an interrupted earlier run", t));
  say(fmt::format("reading corpus {}", o.corpus));
  std::vector<Document> docs = load_corpus(o.corpus);
  if (docs.size() < 2)
    throw InputError(fmt::format("--corpus {}: {} document(s); at least 2 are needed to hold one out", o.corpus,
                                 docs.size()));
  PrepareSummary s;
  s.documents = docs.size();

  // Tokenise every row once; tokens are interned.
  std::unordered_map<std::string, std::uint32_t> type_id;
  std::vector<std::string> types;
  std::vector<std::vector<std::vector<std::uint32_t>>> doc_rows(docs.size());
  for (std::size_t di = 0; di < docs.size(); ++di) {
    doc_rows[di].reserve(docs[di].rows.size());
    for (const auto& row : docs[di].rows) {
      std::vector<std::uint32_t> ids;
      for (auto& t : tokenize(row, o.tokens)) {
        auto [it, fresh] = type_id.emplace(std::move(t), static_cast<std::uint32_t>(types.size()));
        if (fresh) types.push_back(it->first);
        ids.push_back(it->second);
      }
      s.tokens += ids.size();
      doc_rows[di].push_back(std::move(ids));
    }
    s.rows += docs[di].rows.size();
  }
  s.distinct_tokens = types.size();
  say(fmt::format("{} documents, {} rows, {} tokens, {} distinct", s.documents, s.rows, s.tokens, s.distinct_tokens));

  // Held-out split by document: a seeded shuffle, the first ceil(heldout·n) documents (at least one, at most n−1).
  std::vector<std::size_t> order(docs.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::size_t n_held = static_cast<std::size_t>(std::ceil(o.heldout * static_cast<double>(docs.size())));
  n_held = std::clamp<std::size_t>(n_held, 1, docs.size() - 1);
  std::vector<char> held(docs.size(), 0);
  for (std::size_t i = 0; i < n_held; ++i) held[order[i]] = 1;
  s.heldout_documents = n_held;
  s.train_documents = docs.size() - n_held;

  // Counts on the training documents only.
  std::vector<std::uint64_t> type_count(types.size(), 0);
  for (std::size_t di = 0; di < docs.size(); ++di)
    if (!held[di])
      for (const auto& row : doc_rows[di])
        for (auto t : row) ++type_count[t];
  std::unordered_map<std::string, std::uint64_t> counts;
  for (std::size_t t = 0; t < types.size(); ++t)
    if (type_count[t] > 0) counts.emplace(types[t], type_count[t]);
  Vocabulary vocab = build_vocabulary(counts, o.V, o.tokens.lowercase);
  std::vector<long> to_vocab(types.size(), -1);
  for (std::size_t t = 0; t < types.size(); ++t) to_vocab[t] = vocab.find(types[t]);

  Csr train, heldout;
  train.V = heldout.V = vocab.size();
  for (std::size_t di = 0; di < docs.size(); ++di) {
    std::vector<std::vector<std::uint32_t>> rows;
    rows.reserve(doc_rows[di].size());
    for (const auto& row : doc_rows[di]) {
      std::vector<std::uint32_t> v;
      for (auto t : row)
        if (to_vocab[t] >= 0) v.push_back(static_cast<std::uint32_t>(to_vocab[t]));
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
      rows.push_back(std::move(v));
    }
    append_windows(rows, o.window, o.stride, held[di] ? heldout : train);
  }
  s.train_windows = train.rows();
  s.heldout_windows = heldout.rows();
  s.mean_active_train = train.rows() ? static_cast<double>(train.nnz()) / static_cast<double>(train.rows()) : 0.0;
  say(fmt::format("{} training windows ({} documents), {} held-out windows ({} documents), {:.1f} active words per "
                  "window",
                  s.train_windows, s.train_documents, s.heldout_windows, s.heldout_documents, s.mean_active_train));

  // The dataset id: CRC-32 of the options, the vocabulary table and both CSR payloads. Every file carries it.
  nlohmann::json options = {{"corpus", o.corpus},
                            {"V", vocab.size()},
                            {"forced_words", vocab.forced},
                            {"window", o.window},
                            {"stride", o.stride},
                            {"heldout_fraction", o.heldout},
                            {"seed", o.seed},
                            {"lowercase", o.tokens.lowercase},
                            {"min_row_chars", o.tokens.min_row_chars},
                            {"numbers_max", o.tokens.numbers_max}};
  std::string table = "index\tword\tcount\n";
  for (std::size_t i = 0; i < vocab.size(); ++i)
    table += fmt::format("{}\t{}\t{}\n", i, vocab.words[i], vocab.counts[i]);
  const nlohmann::json file_crcs = {{"vocab.tsv", crc32_hex(table)},
                                    {"train.csr", crc32_hex(csr_payload(train))},
                                    {"heldout.csr", crc32_hex(csr_payload(heldout))}};
  const std::string id = crc32_hex(options.dump() + "\n" + file_crcs.dump());

  ensure_directory(o.out);
  const nlohmann::json common = {{"window", o.window}, {"stride", o.stride}, {"corpus", o.corpus}, {"dataset_id", id}};
  nlohmann::json h = common;
  h["split"] = "train";
  write_csr((fs::path(o.out) / "train.csr").string(), train, h);
  h["split"] = "heldout";
  write_csr((fs::path(o.out) / "heldout.csr").string(), heldout, h);
  write_file_atomic((fs::path(o.out) / "vocab.tsv").string(),
                    fmt::format("# superpose-bows-vocab dataset_id={}\n", id) + table);
  nlohmann::json meta = options;
  meta["source"] = "superpose bows prepare";
  meta["producer"] = producer();
  meta["dataset_id"] = id;
  meta["dataset_id_rule"] = "crc32(options JSON + newline + files JSON), Boost.CRC crc_32_type";
  meta["options"] = options;
  meta["files"] = file_crcs;
  meta["summary"] = s.to_json();
  // meta.json last: a folder whose meta.json is missing or carries another id was not completely written.
  write_file_atomic((fs::path(o.out) / "meta.json").string(), meta.dump(2) + "\n");
  return s;
}

Vocabulary read_vocabulary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("'{}': cannot read the vocabulary (run `superpose bows prepare`)", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  Vocabulary v;
  const std::string tag = "# superpose-bows-vocab dataset_id=";
  if (text.compare(0, tag.size(), tag) == 0) {
    const auto nl = text.find('\n');
    if (nl == std::string::npos) throw InputError(fmt::format("'{}': truncated vocabulary", path));
    v.dataset_id = text.substr(tag.size(), nl - tag.size());
    text.erase(0, nl + 1);
  }
  v.table_crc32 = crc32_hex(text);
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  if (line != "index\tword\tcount") throw InputError(fmt::format("'{}': not a vocab.tsv (bad header)", path));
  while (std::getline(lines, line)) {
    auto f = split(line, '\t');
    if (f.size() != 3 || f[0] != std::to_string(v.words.size()) || f[2].empty() ||
        f[2].find_first_not_of("0123456789") != std::string::npos)
      throw InputError(fmt::format("'{}': malformed line {}", path, v.words.size() + 2));
    v.index.emplace(f[1], static_cast<std::uint32_t>(v.words.size()));
    v.words.push_back(f[1]);
    v.counts.push_back(std::stoull(f[2]));
  }
  return v;
}

Dataset load_dataset(const std::string& dir) {
  if (!fs::is_directory(dir))
    throw InputError(fmt::format("--data: '{}' is not a folder; make one with `superpose bows prepare`", dir));
  Dataset ds;
  const std::string again = "run `superpose bows prepare` again";
  const fs::path meta_path = fs::path(dir) / "meta.json";
  std::ifstream meta(meta_path);
  if (!meta)
    throw InputError(fmt::format("--data '{}': no meta.json (not a prepared folder, or `prepare` was interrupted); {}",
                                 dir, again));
  try {
    meta >> ds.meta;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("'{}': not JSON ({}); {}", meta_path.string(), e.what(), again));
  }
  if (!ds.meta.is_object() || !ds.meta.contains("dataset_id") || !ds.meta["dataset_id"].is_string() ||
      !ds.meta.contains("files") || !ds.meta["files"].is_object())
    throw InputError(fmt::format("'{}': no dataset id (written by an older superpose); {}", meta_path.string(), again));
  ds.id = ds.meta["dataset_id"].get<std::string>();
  ds.vocab = read_vocabulary((fs::path(dir) / "vocab.tsv").string());
  nlohmann::json th, hh;
  ds.train = read_csr((fs::path(dir) / "train.csr").string(), &th);
  ds.heldout = read_csr((fs::path(dir) / "heldout.csr").string(), &hh);
  const std::string train_id = th.value("dataset_id", std::string{}), held_id = hh.value("dataset_id", std::string{});
  if (ds.vocab.dataset_id != ds.id || train_id != ds.id || held_id != ds.id)
    throw InputError(fmt::format("--data '{}': its files come from different `prepare` runs (dataset id: meta.json "
                                 "{}, vocab.tsv {}, train.csr {}, heldout.csr {}); {}",
                                 dir, ds.id, ds.vocab.dataset_id.empty() ? "none" : ds.vocab.dataset_id,
                                 train_id.empty() ? "none" : train_id, held_id.empty() ? "none" : held_id, again));
  const auto& files = ds.meta["files"];
  if (files.value("vocab.tsv", std::string{}) != ds.vocab.table_crc32)
    throw InputError(fmt::format("'{}/vocab.tsv': checksum differs from meta.json's (edited or corrupt); {}", dir,
                                 again));
  if (files.value("train.csr", std::string{}) != th["payload_crc32"] ||
      files.value("heldout.csr", std::string{}) != hh["payload_crc32"])
    throw InputError(fmt::format("--data '{}': a CSR file's checksum differs from meta.json's; {}", dir, again));
  if (ds.train.V != ds.vocab.size() || ds.heldout.V != ds.vocab.size())
    throw InputError(fmt::format("--data '{}': V differs between vocab.tsv ({}) and the CSR files ({}, {})", dir,
                                 ds.vocab.size(), ds.train.V, ds.heldout.V));
  if (ds.train.rows() == 0) throw InputError(fmt::format("--data '{}': no training windows", dir));
  // `forced` is not stored in vocab.tsv; it comes from meta.json.
  if (ds.meta.contains("forced_words")) ds.vocab.forced = ds.meta["forced_words"].get<std::size_t>();
  return ds;
}

}  // namespace superpose::bows
