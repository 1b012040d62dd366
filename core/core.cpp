// Implementation of core/core.hpp.
#include "core/core.hpp"

#include <boost/crc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SUPERPOSE_VERSION
#error "SUPERPOSE_VERSION must be defined by core/CMakeLists.txt"
#endif

namespace superpose {

namespace fs = std::filesystem;

std::string_view version() { return SUPERPOSE_VERSION; }
std::string version_string() { return "superpose " + std::string(version()); }

std::string crc32_hex(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(crc.checksum()));
  return buf;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == sep) {
      out.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string trim(std::string_view t) {
  size_t a = 0, b = t.size();
  while (a < b && std::isspace(static_cast<unsigned char>(t[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(t[b - 1]))) --b;
  return std::string(t.substr(a, b - a));
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string escape_excerpt(std::string_view bytes, std::size_t max_chars) {
  std::string out;
  const std::size_t k = std::min(bytes.size(), max_chars);
  for (std::size_t i = 0; i < k; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (k < bytes.size()) out += "...";
  return out;
}

std::uint64_t memory_limit_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  std::uint64_t limit = pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                                              : ~std::uint64_t{0};
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    rlimit rl{};
    if (::getrlimit(resource, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      limit = std::min<std::uint64_t>(limit, static_cast<std::uint64_t>(rl.rlim_cur));
  }
  return limit;
}

std::string format_bytes(double bytes) {
  char buf[64];
  if (!(bytes < 1e30)) return "more than 1e30 bytes";
  if (bytes >= 1e11) std::snprintf(buf, sizeof buf, "%.0f GB", bytes / 1e9);
  else if (bytes >= 1e9) std::snprintf(buf, sizeof buf, "%.3g GB", bytes / 1e9);
  else std::snprintf(buf, sizeof buf, "%.3g MB", bytes / 1e6);
  return buf;
}

std::string memory_shortfall(double need, std::string_view what, std::string_view advice) {
  const double limit = static_cast<double>(memory_limit_bytes());
  if (need <= limit) return {};
  return std::string(what) + " needs " + format_bytes(need) + " of memory; this machine has " + format_bytes(limit) +
         " for this process (physical memory, lowered by ulimit -v/-d); " + std::string(advice);
}

void check_memory(double need, std::string_view flags, std::string_view what, std::string_view advice) {
  const std::string why = memory_shortfall(need, what, advice);
  if (!why.empty()) throw InputError(std::string(flags) + ": " + why);
}

void flush_stdout() {
  errno = 0;
  std::cout.flush();
  const int err = errno;
  if (!std::cout.good()) {
    std::cout.clear();  // so that nothing else is attempted on a broken stream
    throw InputError(std::string("cannot write to standard output: ") +
                     (err != 0 ? std::strerror(err) : "write error") + " (check the redirection or the free space)");
  }
}

namespace {

/// The file a write to `path` lands in: symlinks followed (also dangling ones, whose target is created).
fs::path final_target(const fs::path& path) {
  fs::path p = path;
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    const fs::path to = fs::read_symlink(p, ec);
    if (ec) break;
    p = to.is_absolute() ? to : p.parent_path() / to;
  }
  const fs::path resolved = fs::weakly_canonical(p, ec);
  return ec ? p : resolved;
}

const char* special_kind(const fs::file_status& st) {
  switch (st.type()) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::block: return "a block device";
    case fs::file_type::character: return "a character device";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    default: return nullptr;
  }
}

void refuse_special(const std::string& path, const fs::path& target, std::string_view what) {
  std::error_code ec;
  const fs::file_status st = fs::status(target, ec);
  if (const char* kind = special_kind(st))
    throw InputError(std::string(what) + ": '" + path + "' is " + kind +
                     " (accepted: a regular file, a symlink to one, or a new file name)");
}

}  // namespace

void check_output_path(const std::string& path, std::string_view what) {
  if (path.empty()) throw InputError(std::string(what) + ": the file name is empty");
  const fs::path target = final_target(path);
  refuse_special(path, target, what);
  std::error_code ec;
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec))
    throw InputError(std::string(what) + ": the folder of '" + path + "' does not exist");
}

std::string output_folder_problem(const std::string& path) {
  if (path.empty()) return "an output folder is required";
  std::error_code ec;
  const fs::path p(path);
  if (fs::exists(p, ec)) {
    if (!fs::is_directory(p, ec)) return "'" + path + "' exists and is not a folder (pass a folder path)";
    if (::access(p.c_str(), W_OK | X_OK) != 0) return "folder '" + path + "' is not writable";
    return {};
  }
  // The nearest existing ancestor must be a writable folder; nothing is created here.
  fs::path a = fs::absolute(p, ec).lexically_normal();
  while (a.has_parent_path() && a != a.parent_path() && !fs::exists(a, ec)) a = a.parent_path();
  if (!fs::is_directory(a, ec)) return "cannot create folder '" + path + "': '" + a.string() + "' is not a folder";
  if (::access(a.c_str(), W_OK | X_OK) != 0)
    return "cannot create folder '" + path + "': '" + a.string() + "' is not writable";
  return {};
}

void check_output_folder(const std::string& path, std::string_view what) {
  const std::string problem = output_folder_problem(path);
  if (!problem.empty()) throw InputError(std::string(what) + ": " + problem);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  if (path.empty()) throw InputError("cannot write a file with an empty name");
  const fs::path target = final_target(path);
  refuse_special(path, target, "cannot write");
  const std::string tmp = target.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError("cannot write '" + path + "' (folder missing or not writable)");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw InputError("cannot write '" + path + "' (write failed)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ec2;
    fs::remove(tmp, ec2);
    throw InputError("cannot write '" + path + "': " + ec.message());
  }
}

void ensure_directory(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw InputError("cannot create folder '" + path + "': " + ec.message());
  if (!fs::is_directory(path, ec)) throw InputError("cannot create folder '" + path + "': it exists and is not a folder");
}

void run_gnuplot(const std::string& dir, const std::string& name, const std::string& script) {
  const fs::path gp = fs::path(dir) / (name + ".gp"), log = fs::path(dir) / (name + ".gnuplot.log");
  write_file_atomic(gp.string(), script);
  auto quoted = [](const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  const std::string cmd = "cd " + quoted(dir) + " && gnuplot " + quoted(name + ".gp") + " > " +
                          quoted(name + ".gnuplot.log") + " 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc == 0) return;
  const bool missing = rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 127;
  if (missing)
    throw ToolError("gnuplot is not installed (needed for '" + gp.string() + "'): apt-get install gnuplot-nox");
  // gnuplot's first error line, so that the message says what went wrong.
  std::ifstream in(log);
  std::string line, first;
  while (std::getline(in, line))
    if (first.empty() && line.find_first_not_of(" \t^") != std::string::npos) first = line;
  throw ToolError("gnuplot failed on '" + gp.string() + "': " + (first.empty() ? "(no message)" : first) + " (see " +
                  log.string() + ")");
}

// ---------------------------------------------------------------------------------------------------------
// ProgressBar
// ---------------------------------------------------------------------------------------------------------

namespace {
std::string eta_text(double seconds) {
  char buf[32];
  if (seconds < 90) std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  else if (seconds < 5400) std::snprintf(buf, sizeof buf, "%.1f min", seconds / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  return buf;
}
}  // namespace

ProgressBar::ProgressBar(std::string what, std::string unit, bool quiet)
    : what_(std::move(what)), unit_(std::move(unit)), active_(!quiet && isatty(STDERR_FILENO) != 0),
      t0_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(long long done, long long total, const std::string& detail) {
  if (!active_) return;
  const auto now = std::chrono::steady_clock::now();
  if (first_done_ < 0) {
    first_done_ = done;
    t0_ = now;
  }
  const bool finished = done >= total;
  if (drawn_ && !finished && std::chrono::duration<double>(now - last_).count() < 0.2) return;
  last_ = now;
  const int width = 30;
  const int fill = total > 0 ? static_cast<int>(width * std::min(done, total) / total) : width;
  const double elapsed = std::chrono::duration<double>(now - t0_).count();
  std::string eta;
  if (!finished && done > first_done_ && elapsed > 0.5)
    eta = ", about " + eta_text(elapsed / static_cast<double>(done - first_done_) * static_cast<double>(total - done)) +
          " left";
  std::cerr << "\r" << what_ << " [" << std::string(fill, '#') << std::string(width - fill, '.') << "] " << done << "/"
            << total << " " << unit_ << (finished ? ", done" : eta) << (detail.empty() ? "" : ", " + detail) << "   "
            << std::flush;
  drawn_ = true;
  if (finished) {
    std::cerr << "\n";
    drawn_ = false;
  }
}

void ProgressBar::clear() {
  if (active_ && drawn_) std::cerr << "\r" << std::string(110, ' ') << "\r" << std::flush;
  drawn_ = false;
}

}  // namespace superpose
