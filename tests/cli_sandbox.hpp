// Test-only helper: a temporary folder in which the `superpose` binary (SUPERPOSE_CLI) is run, capturing the exit
// code, standard output and standard error. Header-only; used by test_cli.cpp and test_experiments.cpp.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace superpose::test {

struct Run {
  int code;  // exit code, or -1 if the process did not exit normally
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A fresh folder <tmp>/<prefix><pid>, removed with the object.
struct Sandbox {
  std::filesystem::path dir;
  explicit Sandbox(const std::string& prefix) {
    dir = std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Sandbox() { std::filesystem::remove_all(dir); }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  /// Runs `superpose ARGS` inside the folder.
  Run run(const std::string& args) const {
    const std::string cmd = "cd '" + dir.string() + "' && '" SUPERPOSE_CLI "' " + args + " > out.txt 2> err.txt";
    const int status = std::system(cmd.c_str());
    return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out.txt"), slurp(dir / "err.txt")};
  }
};

}  // namespace superpose::test
