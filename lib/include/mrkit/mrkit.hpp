// All of mrkit's library, as Boost.MPI's collectives.hpp gathers its collectives: one include
// for a program on mrkit::mrkit. The command-line helpers are apart (mrkit/cli.hpp, target
// mrkit::cli), so a program on mrkit::mrkit alone does not need CLI11.
#pragma once

#include "mrkit/comm.hpp"
#include "mrkit/core.hpp"
#include "mrkit/io.hpp"
#include "mrkit/mapreduce.hpp"
#include "mrkit/patterns.hpp"
#include "mrkit/random.hpp"
#include "mrkit/tasks.hpp"
#include "mrkit/text.hpp"
#include "mrkit/version.hpp"
