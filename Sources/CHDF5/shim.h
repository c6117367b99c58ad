// Thin shim over HDF5: H5T_NATIVE_DOUBLE, H5F_ACC_TRUNC, ... are macros that
// call H5open() and do not import into Swift; H5P_DEFAULT imports as Int32.
// Each constant the Swift layer needs gets one prefixed static inline getter.
#ifndef DIODESCAN_CHDF5_SHIM_H
#define DIODESCAN_CHDF5_SHIM_H
#include <hdf5.h>
#include <hdf5_hl.h>

static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }

#endif
