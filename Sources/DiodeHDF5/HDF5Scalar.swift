import CHDF5

/// An HDF5 datatype identifier (predefined; never closed), opaque outside
/// `DiodeHDF5`.
public struct HDF5Datatype: Sendable {
    let id: hid_t
}

/// A numeric element type of datasets and attributes.
///
/// Each has a native memory type and a fixed little-endian file type, so files
/// are the same on every machine. `Double`, `Int64`, `Int32` and `UInt8`
/// conform.
public protocol HDF5Scalar: Sendable, BitwiseCopyable {
    static var hdf5MemoryType: HDF5Datatype { get }
    static var hdf5FileType: HDF5Datatype { get }
    static var hdf5Zero: Self { get }
}

extension HDF5Scalar {
    /// `count` zeros, filled as bytes. Every conforming type is a plain
    /// number whose all-zero bytes are its zero, and in code that is not
    /// specialised (these generic reads are called from other modules)
    /// `[T](repeating:count:)` copies each element through `T`'s value
    /// witness, which made reading a dataset cost more than HDF5's I/O.
    static func zeroes(count: Int) -> [Self] {
        [Self](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0)
            initialized = count
        }
    }
}

extension Double: HDF5Scalar {
    public static var hdf5MemoryType: HDF5Datatype { HDF5Datatype(id: chdf5_native_double()) }
    public static var hdf5FileType: HDF5Datatype { HDF5Datatype(id: chdf5_ieee_f64le()) }
    public static var hdf5Zero: Double { 0 }
}

extension Int64: HDF5Scalar {
    public static var hdf5MemoryType: HDF5Datatype { HDF5Datatype(id: chdf5_native_int64()) }
    public static var hdf5FileType: HDF5Datatype { HDF5Datatype(id: chdf5_std_i64le()) }
    public static var hdf5Zero: Int64 { 0 }
}

extension Int32: HDF5Scalar {
    public static var hdf5MemoryType: HDF5Datatype { HDF5Datatype(id: chdf5_native_int32()) }
    public static var hdf5FileType: HDF5Datatype { HDF5Datatype(id: chdf5_std_i32le()) }
    public static var hdf5Zero: Int32 { 0 }
}

extension UInt8: HDF5Scalar {
    public static var hdf5MemoryType: HDF5Datatype { HDF5Datatype(id: chdf5_native_uint8()) }
    public static var hdf5FileType: HDF5Datatype { HDF5Datatype(id: chdf5_std_u8le()) }
    public static var hdf5Zero: UInt8 { 0 }
}
