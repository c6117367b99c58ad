// Thin shim over HDF5: H5T_NATIVE_DOUBLE, H5F_ACC_TRUNC, ... are macros that
// call H5open() and do not import into Swift; H5P_DEFAULT imports as Int32.
// Each constant the Swift layer needs gets one prefixed static inline getter
// (Tests/DiodeIOTests/ShimGetterTests.swift touches every one of them).
#ifndef DIODESCAN_CHDF5_SHIM_H
#define DIODESCAN_CHDF5_SHIM_H
#include <hdf5.h>
#include <hdf5_hl.h>
// zlib: HDF5's deflate filter format, for chunks compressed before
// H5Dwrite_chunk (compress2 and compressBound import as functions).
#include <zlib.h>

// Default property lists, selections and error stack.
static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }

// Property list classes.
static inline hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }

// File access flags.
static inline unsigned chdf5_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_f_acc_swmr_write(void) { return H5F_ACC_SWMR_WRITE; }
static inline unsigned chdf5_f_acc_swmr_read(void) { return H5F_ACC_SWMR_READ; }
static inline unsigned chdf5_f_obj_all(void) { return H5F_OBJ_ALL; }
static inline H5F_libver_t chdf5_f_libver_latest(void) { return H5F_LIBVER_LATEST; }

// Memory (native) datatypes.
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_native_uint8(void) { return H5T_NATIVE_UINT8; }

// File (standard, little-endian) datatypes and the C string base type.
static inline hid_t chdf5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t chdf5_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t chdf5_c_s1(void) { return H5T_C_S1; }
static inline size_t chdf5_t_variable(void) { return H5T_VARIABLE; }

// Filters.
static inline H5Z_filter_t chdf5_z_filter_deflate(void) { return H5Z_FILTER_DEFLATE; }

#endif
