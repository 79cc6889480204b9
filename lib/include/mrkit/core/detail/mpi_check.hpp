// Private to the library: turns a failed MPI call into an exception carrying MPI's own text.
#pragma once

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace mrkit::detail {

[[noreturn]] inline void throw_mpi_error(int rc, const char* what) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw std::runtime_error(std::string(what) +
                           " failed: " + std::string(text, static_cast<std::size_t>(len)));
}

// check(MPI_Send(...), "MPI_Send"): throws unless the call succeeded.
inline void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw_mpi_error(rc, what);
}

}  // namespace mrkit::detail
