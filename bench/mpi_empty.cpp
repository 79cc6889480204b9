// The start-up cost of an MPI run for bench/run: MPI_Init and MPI_Finalize, nothing between.
#include <mpi.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Finalize();
  return 0;
}
