// mrkit/io: atomic files, the collective input listing, whole-file batches (io_uring), byte ranges,
// output escaping, one output file written by all ranks. Every public header of the layer; see
// docs/architecture.md for what each layer may use.
#pragma once

#include "mrkit/io/atomic_file.hpp"
#include "mrkit/io/byte_ranges.hpp"
#include "mrkit/io/input_files.hpp"
#include "mrkit/io/output_text.hpp"
#include "mrkit/io/scratch_dir.hpp"
#include "mrkit/io/shared_output.hpp"
#include "mrkit/io/whole_files.hpp"
