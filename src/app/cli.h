#pragma once

namespace scanscope {
// Parses argv, runs one subcommand, returns the process exit code. Errors of
// start-up, config and flags end here as one line on stderr and exit code 2;
// failures of the work itself exit 1.
int RunCli(int argc, char** argv);
}  // namespace scanscope
