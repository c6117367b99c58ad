// Thin shim over Open MPI: Open MPI defines MPI_COMM_WORLD, MPI_DOUBLE, ...
// as casts of addresses of global objects, which Swift cannot import. Each
// constant the Swift layer needs gets one prefixed static inline getter here.
#ifndef DIODESCAN_CMPI_SHIM_H
#define DIODESCAN_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }

#endif
