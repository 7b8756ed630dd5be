#pragma once
// `foresight eval ...`: accuracy on labelled benchmarks as a feature of the product.
//   foresight eval nab --data DIR --out DIR [--detector NAME] [--files SUBSTR] [--threads N] [--score-only]
//   foresight eval smd --data DIR [--out DIR]
// Exit codes: 0 ok, 1 runtime failure, 2 bad usage (missing or malformed data, unknown detector).

#include <CLI/CLI.hpp>

namespace foresight::eval {

// Registers the `eval` subcommand and its children on `app`; when one runs, its exit code is stored in
// exit_code (which must outlive app.parse()). exit_code is left untouched if no eval command ran.
void AddEvalCommands(CLI::App& app, int& exit_code);

}  // namespace foresight::eval
