// foresight-eval: the `foresight eval` subcommands in a binary of their own (no server parts linked), for
// `make eval` and quick detector iterations. Same flags and exit codes as `foresight eval`.
#include <CLI/CLI.hpp>

#include "eval/eval_cli.h"

int main(int argc, char** argv) {
  CLI::App app{"foresight-eval: accuracy on labelled benchmarks (same as `foresight eval`)"};
  app.require_subcommand(1);
  int exit_code = 1;
  foresight::eval::AddEvalCommands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}
