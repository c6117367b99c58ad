import CHDF5
import CMPI
import XCTest

/// Touches every getter of the two C shims, so a getter that stops compiling
/// or returns a wrong constant is noticed.
final class ShimGetterTests: XCTestCase {
    func testMPIGetters() {
        XCTAssertNotNil(cmpi_comm_world())
        XCTAssertNotNil(cmpi_errors_return())
        XCTAssertNotNil(cmpi_info_null())
        XCTAssertEqual(Int(cmpi_comm_type_shared()), MPI_COMM_TYPE_SHARED)
        for datatype in [cmpi_double(), cmpi_int64(), cmpi_int32(), cmpi_uint8()] {
            XCTAssertNotNil(datatype)
        }
        XCTAssertEqual(cmpi_any_source(), -1)
        XCTAssertEqual(cmpi_any_tag(), -1)
        XCTAssertNil(cmpi_status_ignore())
        XCTAssertNotNil(cmpi_request_null())
        XCTAssertEqual(cmpi_success(), 0)
        XCTAssertGreaterThan(cmpi_max_error_string(), 0)
        XCTAssertEqual(cmpi_thread_funneled(), 1)  // SINGLE < FUNNELED < SERIALIZED < MULTIPLE
        // The four datatypes are distinct handles.
        let handles = [cmpi_double(), cmpi_int64(), cmpi_int32(), cmpi_uint8()].map { UInt(bitPattern: $0) }
        XCTAssertEqual(Set(handles).count, 4)
    }

    func testHDF5PropertyAndSelectionGetters() {
        XCTAssertEqual(chdf5_p_default(), 0)
        XCTAssertEqual(chdf5_s_all(), 0)
        XCTAssertEqual(chdf5_e_default(), 0)
        for propertyClass in [chdf5_p_file_access(), chdf5_p_file_create(), chdf5_p_dataset_create()] {
            XCTAssertEqual(H5Iget_type(propertyClass), H5I_GENPROP_CLS)
        }
    }

    func testHDF5FileFlagGetters() {
        let flags = [
            chdf5_f_acc_trunc(), chdf5_f_acc_excl(), chdf5_f_acc_rdwr(),
            chdf5_f_acc_swmr_write(), chdf5_f_acc_swmr_read(),
        ]
        XCTAssertEqual(chdf5_f_acc_rdonly(), 0)
        XCTAssertEqual(Set(flags).count, flags.count)
        for flag in flags { XCTAssertEqual(flag.nonzeroBitCount, 1) }
        XCTAssertNotEqual(chdf5_f_obj_all(), 0)
        XCTAssertEqual(chdf5_f_libver_latest(), H5F_LIBVER_V110)
    }

    func testHDF5DatatypeGetters() {
        let expected: [(hid_t, Int, H5T_class_t)] = [
            (chdf5_native_double(), 8, H5T_FLOAT), (chdf5_native_int64(), 8, H5T_INTEGER),
            (chdf5_native_int32(), 4, H5T_INTEGER), (chdf5_native_uint8(), 1, H5T_INTEGER),
            (chdf5_ieee_f64le(), 8, H5T_FLOAT), (chdf5_std_i64le(), 8, H5T_INTEGER),
            (chdf5_std_i32le(), 4, H5T_INTEGER), (chdf5_std_u8le(), 1, H5T_INTEGER),
            (chdf5_c_s1(), 1, H5T_STRING),
        ]
        for (type, size, typeClass) in expected {
            XCTAssertEqual(H5Tget_size(type), size)
            XCTAssertEqual(H5Tget_class(type), typeClass)
        }
        XCTAssertEqual(H5Tget_sign(chdf5_std_u8le()), H5T_SGN_NONE)
        XCTAssertEqual(H5Tget_sign(chdf5_std_i32le()), H5T_SGN_2)
        XCTAssertEqual(chdf5_t_variable(), Int.max &* 2 &+ 1)  // (size_t)-1
    }

    func testHDF5FilterGetter() {
        XCTAssertEqual(chdf5_z_filter_deflate(), 1)
        XCTAssertGreaterThan(H5Zfilter_avail(chdf5_z_filter_deflate()), 0)
    }
}
