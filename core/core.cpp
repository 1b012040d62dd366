// Implementation of core/core.hpp.
#include "core/core.hpp"

#include <boost/crc.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <sys/wait.h>
#include <unistd.h>

#ifndef SUPERPOSE_VERSION
#error "SUPERPOSE_VERSION must be defined by core/CMakeLists.txt"
#endif

namespace superpose {

namespace fs = std::filesystem;

std::string_view version() { return SUPERPOSE_VERSION; }
std::string version_string() { return "superpose " + std::string(version()); }

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

std::string crc32_hex(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(crc.checksum()));
  return hex;
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
