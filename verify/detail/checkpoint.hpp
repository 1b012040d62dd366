// The JSON-lines checkpoint shared by `verify` and `check` (verify/checkpoint.cpp). Internal to verify/: the
// contract each command gives its users is in verify/verify.hpp (run_verify, run_check).
//
// A checkpoint is a text file: line 1 is a header object {"superpose_<command>": format, "version", the options
// that change a row, "config_crc32": CRC-32 of those options' JSON, ...}; each further line is one row object whose
// last field is "crc32": CRC-32 of the config key followed by the row's text without that field. Rows are appended
// and fsync'ed one by one, so a killed run leaves whole lines (and possibly a torn last line, which is dropped).
#pragma once

#include "core/core.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace superpose::detail {

/// A checkpoint file held open under an advisory lock (flock: exclusive for writing, shared for reading), released
/// when the process ends, however it ends. Throws InputError naming `what` (the flag) when the file cannot be opened,
/// is a directory, or another process holds the lock (`command` names the program that may hold it).
class CheckpointFile {
 public:
  CheckpointFile(const std::string& path, bool write, const std::string& what, const std::string& command);
  ~CheckpointFile();
  CheckpointFile(const CheckpointFile&) = delete;
  CheckpointFile& operator=(const CheckpointFile&) = delete;
  /// The whole file. Throws InputError on a read error.
  std::string read_all() const;
  /// Cuts the file to `size` bytes (drops a torn last line). Throws std::runtime_error.
  void truncate(std::size_t size);
  /// Appends `text` and a newline, then fsync. Throws std::runtime_error.
  void line(const std::string& text);

 private:
  std::string path_;
  int fd_ = -1;
};

/// Opens `path` for a run of `command` (flag `what`, e.g. "--out"): refuses a directory or special file, creates a
/// missing parent folder, takes the exclusive lock and reads what is there. Throws InputError when the file is not
/// empty and `resume` is false ("pass --resume to continue it, or remove it"). Returns the open file and its text.
struct OpenCheckpoint {
  std::unique_ptr<CheckpointFile> file;
  std::string text;
};
OpenCheckpoint open_checkpoint(const std::string& path, bool resume, const std::string& what,
                               const std::string& command);

/// `body` (one JSON object's compact text) with a last field "crc32" = CRC-32 of `key` followed by `body`.
std::string checkpoint_row_line(const std::string& body, const std::string& key);

/// "--seed 7 in A, 1 in B; --d ..." for the header fields that differ between headers a and b ("" when none):
/// `flags` lists (header key, flag) in the order to report; a missing key shows as "(absent)" ("none" for "shard"),
/// arrays as comma lists.
std::string header_difference(const nlohmann::ordered_json& a, const std::string& a_name,
                              const nlohmann::ordered_json& b, const std::string& b_name,
                              const std::vector<std::pair<std::string, std::string>>& flags);

/// The header and complete rows of a checkpoint (read_checkpoint).
struct CheckpointText {
  nlohmann::ordered_json header;
  std::vector<nlohmann::ordered_json> rows;  // each row without its "crc32" field, in file order
  std::vector<std::string> lines;            // their text, checksum included
  std::size_t keep = 0;                      // bytes of the header and the complete rows (a torn last line excluded)
};

/// How read_checkpoint checks one command's checkpoint. Each callback returns "" when all is well, else the problem
/// (one clause, no path: read_checkpoint adds "<what>: '<path>' " before and the remedy after).
struct CheckpointSchema {
  std::string command;  // "verify", "check": the header key is "superpose_<command>"
  int format = 1;       // the value of that key this program writes
  /// Checks the header (its fields, and that `line1` is the canonical text of them) and sets `key`, the row key.
  std::function<std::string(const nlohmann::ordered_json& header, const std::string& line1, std::string& key)> header;
  /// Checks the k-th complete row (0-based) after its checksum passed: its place in the grid.
  std::function<std::string(std::size_t k, const nlohmann::ordered_json& row)> row;
};

/// Checks a checkpoint's text and returns its header and complete rows. `what` and the path start every message;
/// `fresh` is the remedy that starts over (e.g. "start a new --out file"). Throws InputError when the text starts
/// with a UTF-8 byte-order mark, holds binary data, CRLF line endings or a carriage return, line 1 is not a header of
/// schema.command or has another format or version, schema.header refuses it, or a complete row is empty, lacks its
/// checksum, fails it, is not JSON or is refused by schema.row (the line number is named).
CheckpointText read_checkpoint(const std::string& path, const std::string& text, const std::string& what,
                               const std::string& fresh, const CheckpointSchema& schema);

}  // namespace superpose::detail
