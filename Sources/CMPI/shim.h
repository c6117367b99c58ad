// Thin shim over Open MPI: Open MPI defines MPI_COMM_WORLD, MPI_DOUBLE, ...
// as casts of addresses of global objects, which Swift cannot import. Each
// constant the Swift layer needs gets one prefixed static inline getter here
// (Tests/DiodeIOTests/ShimGetterTests.swift touches every one of them).
#ifndef DIODESCAN_CMPI_SHIM_H
#define DIODESCAN_CMPI_SHIM_H
#include <mpi.h>

// Communicators and error handlers.
static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int cmpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info cmpi_info_null(void) { return MPI_INFO_NULL; }

// Datatypes of the message elements DiodeMPI supports.
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype cmpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype cmpi_uint8(void) { return MPI_UINT8_T; }

// Wildcards, status and request sentinels.
static inline int cmpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int cmpi_any_tag(void) { return MPI_ANY_TAG; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }

// Return codes, limits and thread levels.
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

#endif
