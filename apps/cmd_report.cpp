#include "apps/commands.hpp"
namespace superpose::cli {
void register_report(CLI::App& app) { app.add_subcommand("report", "(being written)"); }
}  // namespace superpose::cli
