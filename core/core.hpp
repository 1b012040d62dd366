// superpose/core: what every module needs and that knows no mathematics: errors, atomic files, text splitting,
// the one progress bar, the one gnuplot runner, and the version.
//
// Contract
// --------
// * Errors. Bad user input throws `InputError`: `what()` is one line that names the problem and the accepted
//   values; the CLI prints it and exits with code 2. A missing or failing outside tool (gnuplot) throws
//   `ToolError`; the CLI exits with code 3. Anything else is a bug (exit 1).
// * Files. Every output file is written by `write_file_atomic`: temporary name in the target's folder, flush,
//   rename. Symlinks are written through (the link stays a link, its final target gets the content); special files
//   (directories, device nodes, FIFOs, sockets) are refused with InputError naming the path.
// * Memory. Commands estimate the memory a run needs from its sizes and refuse it up front (check_memory) when it
//   exceeds what this process may use, instead of dying in std::bad_alloc halfway.
// * Progress. `ProgressBar` draws on stderr only when stderr is a terminal (isatty), so logs and pipes stay clean.
// * Checksums. `crc32_hex` is the one checksum of every checkpoint and data file (bows/, verify/ sweep).
// * Determinism. Nothing here depends on time except the progress bar's ETA, which is never written to a file.
// * Distributed runs. `MpiSession` and `mpi_farm` hide MPI (OpenMPI's C API, a build option, SUPERPOSE_MPI): a run
//   started by `mpirun -np N` has ranks 0..N-1; anything else is rank 0 of 1 and never touches MPI.
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace superpose {

/// Bad user input (a flag's value, a file's content). One line naming the problem and the accepted values; exit 2.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A missing or failing outside program (gnuplot). One line naming the tool, its log and how to install it; exit 3.
struct ToolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The project version from CMake's project(VERSION), e.g. "0.1.0".
std::string_view version();
/// "superpose <version>", as printed by `superpose --version`.
std::string version_string();

/// Splits `text` at `sep`, keeping empty fields ("a,,b" gives "a", "", "b"; "" gives one empty field).
std::vector<std::string> split(std::string_view text, char sep);
/// `text` without leading and trailing white space (std::isspace).
std::string trim(std::string_view text);

/// `bytes` for a one-line message: printable ASCII kept, every other byte (control characters, UTF-8, binary) as
/// \xNN, cut after `max_chars` input bytes with "..." appended. A file's garbage never reaches the terminal raw.
std::string escape_excerpt(std::string_view bytes, std::size_t max_chars = 40);

/// Bytes of memory this process may use: the physical memory (sysconf(_SC_PHYS_PAGES) × page size), lowered by the
/// soft RLIMIT_AS and RLIMIT_DATA limits (ulimit -v, ulimit -d) when they are set.
std::uint64_t memory_limit_bytes();
/// A size in decimal units for messages: "3.2 MB", "80 GB" (3 significant digits; whole GB from 100 GB on).
std::string format_bytes(double bytes);
/// "" when `need_bytes` ≤ memory_limit_bytes(); otherwise the reason, one line: "<what> needs X of memory; this
/// machine has Y for this process (physical memory, lowered by ulimit -v/-d); <advice>". need_bytes is a double so
/// that products of sizes cannot overflow (NaN counts as too much).
std::string memory_shortfall(double need_bytes, std::string_view what, std::string_view advice);
/// Throws InputError("<flags>: " + memory_shortfall(...)) when the memory is not there. Call it before allocating.
void check_memory(double need_bytes, std::string_view flags, std::string_view what, std::string_view advice);

/// Flushes standard output and throws InputError ("cannot write to standard output: <reason>", e.g. "No space
/// left on device" for `> /dev/full`) if any write to it failed. main() calls it after every command, so a failed
/// write never ends with exit code 0.
void flush_stdout();

/// `text` as one CSV field (RFC 4180): unchanged unless it holds a comma, a double quote or a line break; then in
/// double quotes, with each double quote doubled.
std::string csv_field(std::string_view text);

/// Checks that `path` can be an output file: it does not exist, or it (or the final target of the symlinks it
/// names) is a regular file. Throws InputError naming `what` (e.g. "--out") and the path for a directory, a device
/// node, a FIFO or a socket. Call it before any work, so bad input costs nothing.
void check_output_path(const std::string& path, std::string_view what = "output");

/// Checks, without creating anything, that `path` is a writable folder or can be created as one (its nearest
/// existing ancestor is a writable folder). Returns "" if so, else the problem in one line naming the path, e.g.
/// "'runs/x' exists and is not a folder (pass a folder path)". Call it before any work; ensure_directory creates.
std::string output_folder_problem(const std::string& path);
/// Throws InputError("<what>: " + output_folder_problem(path)) when there is a problem.
void check_output_folder(const std::string& path, std::string_view what);

/// Writes `content` to `path` atomically: to "<target>.tmp" next to the final target (symlinks resolved with
/// read_symlink/weakly_canonical), flushed, then renamed over the target, so a reader never sees a half-written
/// file and a symlink at `path` stays a symlink. Throws InputError (naming the path) if the target is a special
/// file (check_output_path) or the folder cannot be written; on failure nothing is left at `path`.
void write_file_atomic(const std::string& path, const std::string& content);

/// CRC-32 (Boost.CRC crc_32_type: the zlib/PNG polynomial 0x04C11DB7, reflected) of `bytes` as 8 lowercase hex
/// digits; crc32_hex("123456789") = "cbf43926". The one checksum of every checkpoint (bows/, the sweep).
std::string crc32_hex(std::string_view bytes);

/// Creates a folder and its parents if missing. Throws InputError if that fails or `path` is not a folder.
void ensure_directory(const std::string& path);

/// Writes `script` to dir/name.gp and runs `gnuplot name.gp` in `dir`, its output going to dir/name.gnuplot.log.
/// Throws ToolError naming the log and `apt-get install gnuplot-nox` if gnuplot is missing or fails; the script
/// stays, so the figure can be redrawn by hand. Files the script draws are named relative to `dir`.
void run_gnuplot(const std::string& dir, const std::string& name, const std::string& script);

/// The one progress bar of every long command: "\r<what> [####......] done/total <unit>, about 2.1 min left
/// <detail>" on stderr, redrawn at most 5 times a second and always at the end (then a newline). Silent when
/// `quiet` or when stderr is not a terminal. The ETA is extrapolated from the rate since the first update.
class ProgressBar {
 public:
  ProgressBar(std::string what, std::string unit, bool quiet = false);
  /// Redraws with `done` of `total` units finished; `detail` is appended (e.g. "best 1.23").
  void update(long long done, long long total, const std::string& detail = "");
  /// Erases the bar's line, so that other output can be printed on stderr or stdout in its place.
  void clear();
  bool active() const { return active_; }

 private:
  std::string what_, unit_;
  bool active_;
  bool drawn_ = false;
  long long first_done_ = -1;
  std::chrono::steady_clock::time_point t0_, last_;
};

// ---------------------------------------------------------------------------------------------------------
// Distributed runs: one coordinator hands independent tasks to workers (MPI)
// ---------------------------------------------------------------------------------------------------------

/// Initialises MPI for the life of the object when the binary was built with MPI (SUPERPOSE_MPI) and started by
/// mpirun (OpenMPI's OMPI_COMM_WORLD_SIZE, or PMI_SIZE/PMIX_RANK, in the environment); otherwise does nothing, so a
/// plain run never loads an MPI runtime. Create one in main() before parsing; at most one per process.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

/// This process's rank and the number of ranks: 0 and 1 outside an mpirun start (or without MPI in the build).
int mpi_rank();
int mpi_size();
/// Whether this binary was built with MPI.
bool mpi_built();

/// A task farm over MPI ranks (dynamic load balancing). Rank 0 is the coordinator: it hands the task ids of
/// `order` (most expensive first is best) one at a time to ranks 1..N-1 as they become free and calls
/// `on_result(id, text)` on rank 0 for each finished task, in completion order. Ranks ≥ 1 call `compute(id)` and
/// send back the string it returns. Call it on every rank with the same `order`; it returns on every rank when all
/// tasks are done. A task that throws on a worker stops the farm: the coordinator tells every worker to stop and
/// rethrows it (InputError stays InputError, anything else becomes std::runtime_error, the worker's message kept).
/// `on_result` throwing on the coordinator likewise stops the workers before it propagates. With one rank (no
/// MPI) it runs every task in order on rank 0. Cost: two messages per task; the coordinator computes nothing.
void mpi_farm(const std::vector<int>& order, const std::function<std::string(int)>& compute,
              const std::function<void(int, std::string)>& on_result);

}  // namespace superpose
