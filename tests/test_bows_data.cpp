// Tests of bows/ data: tokenizer, WikiText reader, vocabulary, windows, CSR files, prepare, and the CLI's exit code 2
// on a bad corpus. Expected values are worked out by hand from tests/data/bows/tiny.tokens (comments show how).
#define BOOST_TEST_MODULE bows_data
#include <boost/test/unit_test.hpp>

#include "bows/bows.hpp"
#include "numerics/numerics.hpp"

#include <cstdio>
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
  }
  const auto [code2, err2] = run_cli("bows train --data '" + out.string() + "' --out '" + (out / "run").string() +
                                     "' --steps 2");
  BOOST_TEST(code2 == 2);
  BOOST_TEST(err2.find("train.csr") != std::string::npos, err2);
}
