// scanscope's command line: the only place that reads argv.
#include "app/cli.h"

int main(int argc, char** argv) { return scanscope::RunCli(argc, argv); }
