# Test helpers: plain GoogleTest binaries, and MPI tests registered at several rank counts.
include_guard(GLOBAL)

# Environment for every MPI test: run as root if need be, allow more ranks than cores, skip
# slow network probing, yield when idle (ranks outnumber cores), no colour codes in logs.
set(MRKIT_MPI_TEST_ENV
  OMPI_ALLOW_RUN_AS_ROOT=1
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  OMPI_MCA_rmaps_base_oversubscribe=1
  OMPI_MCA_mpi_yield_when_idle=1
  OMPI_MCA_pml=ob1
  OMPI_MCA_btl=self,vader,tcp
  GTEST_COLOR=no)
if(MRKIT_SANITIZE)
  # Open MPI keeps allocations alive until exit by design; leaks are not ours to report.
  list(APPEND MRKIT_MPI_TEST_ENV ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
                                 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
endif()

set(MRKIT_TEST_RANKS 1 2 3 4 CACHE STRING "Rank counts every MPI test runs at")
separate_arguments(MRKIT_MPIEXEC_PREFLAGS UNIX_COMMAND "${MPIEXEC_PREFLAGS}")

# mrkit_add_test(name SOURCES a.cpp ... [LABELS l ...]): one serial GoogleTest binary.
function(mrkit_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE mrkit::mrkit mrkit_test_support mrkit_warnings GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "unit;${ARG_LABELS}"
                                          ENVIRONMENT "${MRKIT_MPI_TEST_ENV}")
endfunction()

# mrkit_add_mpi_test(name SOURCES a.cpp ... [RANKS 1 2 3 4] [TIMEOUT s] [LABELS l ...]):
# one GoogleTest binary with the MPI-aware main, run under mpiexec as name.np1, name.np2, ...
function(mrkit_add_mpi_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;RANKS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE mrkit::mrkit mrkit_test_support mrkit_mpi_gtest_main mrkit_warnings)
  mrkit_add_mpi_command(${name} RANKS ${ARG_RANKS} TIMEOUT ${ARG_TIMEOUT} LABELS ${ARG_LABELS}
                        COMMAND $<TARGET_FILE:${name}>)
endfunction()

# mrkit_add_mpi_command(name COMMAND prog args... [RANKS ...] [TIMEOUT s] [LABELS ...]):
# runs any command under mpiexec at each rank count. "{ranks}" in the command is replaced by
# the rank count and the command is then run as it is (for scripts that call mpiexec).
function(mrkit_add_mpi_command name)
  cmake_parse_arguments(ARG "LAUNCHER" "TIMEOUT" "COMMAND;RANKS;LABELS" ${ARGN})
  if(NOT ARG_RANKS)
    set(ARG_RANKS ${MRKIT_TEST_RANKS})
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  foreach(n IN LISTS ARG_RANKS)
    string(REPLACE "{ranks}" "${n}" command "${ARG_COMMAND}")
    if(ARG_LAUNCHER)
      add_test(NAME ${name}.np${n} COMMAND ${command})
    else()
      add_test(NAME ${name}.np${n}
               COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${MRKIT_MPIEXEC_PREFLAGS}
                       ${command})
    endif()
    set_tests_properties(${name}.np${n} PROPERTIES
      TIMEOUT ${ARG_TIMEOUT}
      PROCESSORS ${n}
      LABELS "mpi;${ARG_LABELS}"
      ENVIRONMENT "${MRKIT_MPI_TEST_ENV}")
  endforeach()
endfunction()
