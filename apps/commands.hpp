// The `superpose` command line: each subcommand lives in its own apps/cmd_*.cpp and registers itself here.
// Commands only parse, call the library and print; bad input is reported by throwing superpose::InputError
// (numerics/numerics.hpp), which main() turns into one line on stderr and exit code 2.
#pragma once

#include <CLI/CLI.hpp>

namespace superpose::cli {

void register_loss(CLI::App& app);     // apps/cmd_loss.cpp
void register_bounds(CLI::App& app);   // apps/cmd_bounds.cpp
void register_report(CLI::App& app);   // apps/cmd_report.cpp
void register_optimize(CLI::App& app); // apps/cmd_optimize.cpp (optimize, first-order)
void register_experiments(CLI::App& app);  // apps/cmd_experiments.cpp (verify, sweep, train)
void register_check(CLI::App& app);    // apps/cmd_check.cpp
void register_certify(CLI::App& app);  // apps/cmd_certify.cpp (fstar-table, check-certificate)
void register_bows(CLI::App& app);     // apps/cmd_bows.cpp
void register_relu(CLI::App& app);     // apps/cmd_relu.cpp (relu loss, optimize, phase)
/// Adds `train` and `metrics` under the `relu` command (apps/cmd_relu_train.cpp).
void register_relu_train(CLI::App& relu);

}  // namespace superpose::cli
