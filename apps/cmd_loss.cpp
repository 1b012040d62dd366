#include "apps/commands.hpp"
namespace superpose::cli {
void register_loss(CLI::App& app) { app.add_subcommand("loss", "(being written)"); }
}  // namespace superpose::cli
