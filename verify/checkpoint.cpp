// The JSON-lines checkpoint shared by `verify` and `check` (verify/detail/checkpoint.hpp).
#include "verify/detail/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace superpose::detail {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

CheckpointFile::CheckpointFile(const std::string& path, bool write, const std::string& what,
                               const std::string& command)
    : path_(path) {
  fd_ = write ? ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
              : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(what + ": cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd_);
    throw InputError(what + ": '" + path + "' is a directory (expected a checkpoint file)");
  }
  if (::flock(fd_, (write ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    ::close(fd_);
    throw InputError(what + ": '" + path + "' is in use: another superpose " + command +
                     " is writing it (it holds the file's lock); wait for it to finish, or use another --out file");
  }
}

CheckpointFile::~CheckpointFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string CheckpointFile::read_all() const {
  std::string text;
  char buf[1 << 16];
  for (off_t off = 0;;) {
    const ssize_t got = ::pread(fd_, buf, sizeof buf, off);
    if (got < 0) throw InputError("cannot read '" + path_ + "': " + std::strerror(errno));
    if (got == 0) return text;
    text.append(buf, static_cast<size_t>(got));
    off += got;
  }
}

void CheckpointFile::truncate(std::size_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    throw std::runtime_error("cannot truncate '" + path_ + "': " + std::strerror(errno));
}

void CheckpointFile::line(const std::string& text) {
  const std::string s = text + "\n";
  for (size_t off = 0; off < s.size();) {
    const ssize_t w = ::write(fd_, s.data() + off, s.size() - off);
    if (w < 0) throw std::runtime_error("write to '" + path_ + "' failed: " + std::strerror(errno));
    off += static_cast<size_t>(w);
  }
  ::fsync(fd_);
}

OpenCheckpoint open_checkpoint(const std::string& path, bool resume, const std::string& what,
                               const std::string& command) {
  std::error_code ec;
  if (fs::exists(path, ec)) check_output_path(path, what);  // a directory, a device, ...
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::exists(parent, ec)) ensure_directory(parent.string());
  OpenCheckpoint out;
  out.file = std::make_unique<CheckpointFile>(path, true, what, command);
  out.text = out.file->read_all();
  if (!out.text.empty() && !resume)
    throw InputError(what + ": '" + path + "' exists; pass --resume to continue it, or remove it");
  return out;
}

std::string header_difference(const ojson& a, const std::string& a_name, const ojson& b, const std::string& b_name,
                              const std::vector<std::pair<std::string, std::string>>& flags) {
  auto shown = [](const ojson& h, const std::string& key) -> std::string {
    if (!h.contains(key)) return key == "shard" ? "none" : "(absent)";
    const ojson& v = h.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (!v.is_array()) return v.dump();
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + (x.is_string() ? x.get<std::string>() : x.dump());
    return out;
  };
  std::string diff;
  for (const auto& [key, flag] : flags) {
    const std::string va = shown(a, key), vb = shown(b, key);
    if (va != vb) diff += fmt::format("{}{} {} in {}, {} in {}", diff.empty() ? "" : "; ", flag, va, a_name, vb, b_name);
  }
  return diff;
}

namespace {
const std::string kCrcField = ",\"crc32\":\"";  // a row line ends with kCrcField + 8 hex digits + "\"}"
constexpr size_t kCrcSuffix = 10 + 8 + 2;
}  // namespace

std::string checkpoint_row_line(const std::string& body, const std::string& key) {
  return body.substr(0, body.size() - 1) + kCrcField + crc32_hex(key + body) + "\"}";
}

CheckpointText read_checkpoint(const std::string& path, const std::string& text, const std::string& what,
                               const std::string& fresh, const CheckpointSchema& schema) {
  auto fail = [&](const std::string& why) { throw InputError(what + ": '" + path + "' " + why); };
  const std::string& command = schema.command;
  if (text.rfind("\xEF\xBB\xBF", 0) == 0)
    fail("starts with a UTF-8 byte-order mark (EF BB BF): an editor rewrote it; superpose writes none (remove those "
         "3 bytes, or " + fresh + ")");
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
      fail(fmt::format("holds binary data at byte {} (0x{:02x}): it is not a {} checkpoint ({})", i, c, command, fresh));
  }
  const size_t line_of_cr = text.find('\r');
  if (line_of_cr != std::string::npos) {
    const long line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(line_of_cr), '\n');
    if (text.compare(line_of_cr, 2, "\r\n") == 0)
      fail(fmt::format("has CRLF line endings (from line {}): another program converted it; convert it back "
                       "(dos2unix '{}') and resume",
                       line, path));
    fail(fmt::format("has a carriage return inside line {}: it was edited ({})", line, fresh));
  }
  const size_t first_nl = text.find('\n');
  CheckpointText cp;
  const std::string line1 = text.substr(0, first_nl);
  const std::string format_key = "superpose_" + command;
  cp.header = ojson::parse(line1, nullptr, false);
  if (cp.header.is_discarded() || !cp.header.is_object() || !cp.header.contains(format_key))
    fail("line 1 is not a " + command + " header: not a checkpoint of superpose " + command + " (" + fresh + ")");
  if (first_nl == std::string::npos) fail("has no complete line (a run killed while writing its header?): " + fresh);
  const ojson& format = cp.header[format_key];
  if (format != schema.format)
    fail(fmt::format("is a checkpoint of format {} (an older superpose, without version and row checksums); {} "
                     "writes format {}: {}",
                     format.dump(), version_string(), schema.format, fresh));
  const ojson& written_by = cp.header.contains("version") ? cp.header["version"] : ojson();
  if (!written_by.is_string() || written_by.get<std::string>() != version())
    fail(fmt::format("was written by superpose {}; this is {}: finish it with that version, or {}",
                     written_by.is_string() ? written_by.get<std::string>() : "(no version)", version_string(), fresh));
  std::string key;
  if (const std::string problem = schema.header(cp.header, line1, key); !problem.empty()) fail(problem);

  cp.keep = first_nl + 1;
  int line_no = 1;
  for (size_t pos = cp.keep; pos < text.size();) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // torn last line (a run killed while writing it): dropped
    const std::string line = text.substr(pos, nl - pos);
    ++line_no;
    const std::string redo = fmt::format("delete line {} and the lines after it to recompute them, or {}", line_no, fresh);
    auto bad = [&](const std::string& why) { fail(fmt::format("line {} {}; {}", line_no, why, redo)); };
    if (line.empty()) bad("is empty");
    if (line.size() < kCrcSuffix + 2 || line.compare(line.size() - kCrcSuffix, kCrcField.size(), kCrcField) != 0 ||
        line.compare(line.size() - 2, 2, "\"}") != 0)
      bad("has no row checksum (a \"crc32\" last field): it was edited or is not a " + command + " row");
    const std::string body = line.substr(0, line.size() - kCrcSuffix) + "}";
    if (crc32_hex(key + body) != line.substr(line.size() - 10, 8))
      bad("fails its checksum: the row was edited or is corrupt");
    ojson row = ojson::parse(body, nullptr, false);
    if (row.is_discarded() || !row.is_object()) bad("is not a " + command + " row");
    if (const std::string problem = schema.row(cp.rows.size(), row); !problem.empty()) bad(problem);
    cp.rows.push_back(std::move(row));
    cp.lines.push_back(line);
    cp.keep = nl + 1;
    pos = nl + 1;
  }
  return cp;
}

}  // namespace superpose::detail
