#include "apps/commands.hpp"
namespace superpose::cli {
void register_bounds(CLI::App& app) { app.add_subcommand("bounds", "(being written)"); }
}  // namespace superpose::cli
