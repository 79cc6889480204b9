// mrkit/cli: the options every program shares (--format, -o, --stats, --version) on CLI11; target
// mrkit::cli. Every public header of the layer; see docs/architecture.md for what each layer may
// use.
#pragma once

#include "mrkit/cli/command_line.hpp"
#include "mrkit/cli/job_command_line.hpp"
