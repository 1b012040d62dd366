// superpose: command-line entry point. See docs/cli.md for every command with an example.
#include "apps/commands.hpp"
#include "numerics/numerics.hpp"

#include <iostream>

int main(int argc, char** argv) {
  // MPI starts only when mpirun started this process (core/core.hpp); ranks other than 0 print no errors, so a bad
  // flag gives one line, not one per rank.
  superpose::MpiSession mpi(&argc, &argv);
  const bool quiet_rank = superpose::mpi_rank() != 0;
  CLI::App app{
      "superpose: the mathematics of superposition in neural networks.\n"
      "Exact losses and bounds for the tied power autoencoder x -> (W^T W x)^m (Basu Roy Chowdhury & Weiner,\n"
      "arXiv 2606.18538) and Bag-of-Words Superposition (Prieto et al., ICLR 2026).\n"
      "Notation: n features, d hidden width, m odd activation power, p feature probability, mu the input law.\n"
      "Run `superpose COMMAND --help` for a command's options; docs/cli.md has examples."};
  app.set_version_flag("--version", superpose::version_string());
  app.require_subcommand(1);
  superpose::cli::register_loss(app);
  superpose::cli::register_bounds(app);
  superpose::cli::register_report(app);
  superpose::cli::register_optimize(app);
  superpose::cli::register_experiments(app);
  superpose::cli::register_check(app);
  superpose::cli::register_certify(app);
  CLI::App* relu = app.add_subcommand(
      "relu",
      "The ReLU model x^ = ReLU(W^T W x + b)^k of Elhage et al. (2022), \"Toy Models of Superposition\".\n"
      "Elhage's sparsity S is 1 - p (p the feature probability); Elhage's m (hidden width) is our d.");
  relu->require_subcommand(1);
  superpose::cli::register_relu_train(*relu);
#ifdef SUPERPOSE_WITH_BOWS
  superpose::cli::register_bows(app);
#endif
  try {
    app.parse(argc, argv);
    superpose::flush_stdout();  // a failed write (`> /dev/full`) is an error, not exit code 0
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (!quiet_rank) std::cerr << "superpose: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const superpose::InputError& e) {
    if (!quiet_rank) std::cerr << "superpose: error: " << e.what() << "\n";
    return 2;
  } catch (const superpose::ToolError& e) {
    if (!quiet_rank) std::cerr << "superpose: error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    if (!quiet_rank) std::cerr << "superpose: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
