import CHDF5

/// How a dataset's elements are stored in the file.
public enum HDF5Layout: Sendable, Equatable {
    /// One contiguous block. With `preallocated`, the block is allocated and
    /// filled with the fill value when the dataset is created
    /// (`H5D_ALLOC_TIME_EARLY`), so later writes never change file metadata.
    case contiguous(preallocated: Bool)
    /// One contiguous block allocated when the dataset is created
    /// (`H5D_ALLOC_TIME_EARLY`) but never filled (`H5D_FILL_TIME_NEVER`):
    /// creating it writes no data (on most file systems the block is a hole),
    /// later writes never change file metadata, and elements not yet written
    /// read as zeros, not as the fill value. For data whose writer records
    /// which parts it has written.
    case contiguousAllocatedUnfilled
    /// Chunks of `chunkShape` (one entry per dimension), optionally
    /// compressed with deflate at `deflateLevel` 1...9 after the byte
    /// shuffle filter (which makes floating-point data compress better).
    case chunked(chunkShape: [Int], deflateLevel: Int?)
}

/// An n-dimensional dataset of fixed shape.
///
/// Write and read whole datasets or hyperslabs (`start`, `count` per
/// dimension; the flat array is in row-major order, last dimension fastest).
public final class HDF5Dataset: HDF5Object {
    init(file: HDF5File, name: String, id: hid_t) {
        super.init(name: name, handle: HDF5Handle(id) { H5Dclose($0) }, owningFile: file)
    }

    /// The file this dataset lives in.
    public var file: HDF5File { owningFile! }

    /// The extent of each dimension.
    public var shape: [Int] {
        get throws(HDF5Error) {
            let space = try checkID(H5Dget_space(id), "H5Dget_space", object: name)
            return try withTemporary(space, closer: { H5Sclose($0) }) { space throws(HDF5Error) in
                try Self.extent(of: space, object: name)
            }
        }
    }

    /// The bytes of the file that hold the elements of a contiguous dataset
    /// whose storage is allocated (`H5Dget_offset` ..< + `H5Dget_storage_size`),
    /// as offsets from HDF5's base address (the start of the file unless the
    /// file has a user block); nil when HDF5 reports no address (a chunked or
    /// compact dataset, or storage not allocated yet). HDF5 writes these bytes
    /// only when the dataset's elements are written.
    public var contiguousStorage: Range<Int>? {
        get throws(HDF5Error) {
            let offset = H5Dget_offset(id)
            // HADDR_UNDEF is (haddr_t)-1, a macro Swift does not import.
            guard offset != haddr_t.max else { return nil }
            let size = UInt64(H5Dget_storage_size(id))
            guard size > 0, UInt64(offset) <= UInt64(Int.max) - size else { return nil }
            return Int(offset)..<Int(UInt64(offset) + size)
        }
    }

    /// Writes the whole dataset from `values` (row-major, `shape`'s product
    /// elements).
    public func write<T: HDF5Scalar>(_ values: [T]) throws(HDF5Error) {
        let shape = try self.shape
        try write(values, start: Array(repeating: 0, count: shape.count), count: shape)
    }

    /// Writes the hyperslab `start ..< start + count` from `values`
    /// (row-major, `count`'s product elements).
    public func write<T: HDF5Scalar>(_ values: [T], start: [Int], count: [Int]) throws(HDF5Error) {
        try withHyperslab(start: start, count: count, elementCount: values.count, call: "H5Dwrite") {
            memorySpace, fileSpace throws(HDF5Error) in
            let status = values.withUnsafeBufferPointer { buffer in
                H5Dwrite(id, T.hdf5MemoryType.id, memorySpace, fileSpace, chdf5_p_default(), buffer.baseAddress)
            }
            try checkStatus(status, "H5Dwrite", object: name)
        }
    }

    /// Reads the whole dataset (row-major).
    public func read<T: HDF5Scalar>(_ type: T.Type) throws(HDF5Error) -> [T] {
        let shape = try self.shape
        return try read(type, start: Array(repeating: 0, count: shape.count), count: shape)
    }

    /// Reads the hyperslab `start ..< start + count` (row-major).
    public func read<T: HDF5Scalar>(_ type: T.Type, start: [Int], count: [Int]) throws(HDF5Error) -> [T] {
        let elementCount = count.reduce(1, *)
        var values = T.zeroes(count: elementCount)
        try withHyperslab(start: start, count: count, elementCount: elementCount, call: "H5Dread") {
            memorySpace, fileSpace throws(HDF5Error) in
            let status = values.withUnsafeMutableBufferPointer { buffer in
                H5Dread(id, T.hdf5MemoryType.id, memorySpace, fileSpace, chdf5_p_default(), buffer.baseAddress)
            }
            try checkStatus(status, "H5Dread", object: name)
        }
        return values
    }

    /// Writes this dataset's cached data to the file (`H5Dflush`).
    public func flush() throws(HDF5Error) {
        try checkStatus(H5Dflush(id), "H5Dflush", object: name)
    }

    // MARK: Dimension scales

    /// Makes this (1-D) dataset a dimension scale named `dimensionName`
    /// (`H5DSset_scale`), as netCDF-4 and h5netcdf expect of coordinates.
    public func makeDimensionScale(dimensionName: String) throws(HDF5Error) {
        try checkStatus(H5DSset_scale(id, dimensionName), "H5DSset_scale", object: name)
    }

    /// Whether this dataset is a dimension scale (`H5DSis_scale`).
    public var isDimensionScale: Bool {
        get throws(HDF5Error) { try checkTri(H5DSis_scale(id), "H5DSis_scale", object: name) }
    }

    /// Attaches the dimension scale `scale` to dimension `dimension` of this
    /// dataset (`H5DSattach_scale`).
    public func attach(scale: HDF5Dataset, toDimension dimension: Int) throws(HDF5Error) {
        try checkStatus(
            H5DSattach_scale(id, scale.id, UInt32(dimension)), "H5DSattach_scale",
            object: "\(scale.name) → \(name)[\(dimension)]")
    }

    /// Whether `scale` is attached to dimension `dimension` (`H5DSis_attached`).
    public func isAttached(scale: HDF5Dataset, toDimension dimension: Int) throws(HDF5Error) -> Bool {
        try checkTri(
            H5DSis_attached(id, scale.id, UInt32(dimension)), "H5DSis_attached",
            object: "\(scale.name) → \(name)[\(dimension)]")
    }

    // MARK: Creation properties

    /// The storage layout recorded in the file (chunk shape and deflate level
    /// for chunked datasets; contiguous ones report `preallocated: false`
    /// since allocation and fill time are not layout properties of the file).
    public var layout: HDF5Layout {
        get throws(HDF5Error) {
            try withCreationList { dcpl throws(HDF5Error) in
                let kind = H5Pget_layout(dcpl)
                guard kind == H5D_CHUNKED else { return .contiguous(preallocated: false) }
                let rank = try self.shape.count
                var dims = [hsize_t](repeating: 0, count: rank)
                try checkStatus(H5Pget_chunk(dcpl, Int32(rank), &dims), "H5Pget_chunk", object: name)
                var level: Int?
                let filterCount = H5Pget_nfilters(dcpl)
                for index in 0..<max(0, filterCount) {
                    var flags: UInt32 = 0
                    var valueCount = 1
                    var values: [UInt32] = [0]
                    var config: UInt32 = 0
                    let filter = H5Pget_filter2(dcpl, UInt32(index), &flags, &valueCount, &values, 0, nil, &config)
                    if filter == chdf5_z_filter_deflate() { level = Int(values[0]) }
                }
                return .chunked(chunkShape: dims.map { Int($0) }, deflateLevel: level)
            }
        }
    }

    /// The fill value stored for unwritten elements, read as `T`.
    public func fillValue<T: HDF5Scalar>(as type: T.Type) throws(HDF5Error) -> T {
        try withCreationList { dcpl throws(HDF5Error) in
            var value = T.hdf5Zero
            let status = withUnsafeMutableBytes(of: &value) {
                H5Pget_fill_value(dcpl, T.hdf5MemoryType.id, $0.baseAddress)
            }
            try checkStatus(status, "H5Pget_fill_value", object: name)
            return value
        }
    }

    private func withCreationList<R>(_ body: (hid_t) throws(HDF5Error) -> R) throws(HDF5Error) -> R {
        let dcpl = try checkID(H5Dget_create_plist(id), "H5Dget_create_plist", object: name)
        return try withTemporary(dcpl, closer: { H5Pclose($0) }, body)
    }

    // MARK: Helpers

    static func extent(of space: hid_t, object: String) throws(HDF5Error) -> [Int] {
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else {
            throw HDF5Error(call: "H5Sget_simple_extent_ndims", object: object, message: HDF5Library.currentErrorMessage())
        }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
            throw HDF5Error(call: "H5Sget_simple_extent_dims", object: object, message: HDF5Library.currentErrorMessage())
        }
        return dims.map { Int($0) }
    }

    private func withHyperslab(
        start: [Int], count: [Int], elementCount: Int, call: String,
        _ body: (_ memorySpace: hid_t, _ fileSpace: hid_t) throws(HDF5Error) -> Void
    ) throws(HDF5Error) {
        let shape = try self.shape
        guard start.count == shape.count, count.count == shape.count else {
            throw HDF5Error(
                call: call, object: name,
                message: "selection has \(start.count)-D start and \(count.count)-D count, the dataset is \(shape.count)-D")
        }
        for dimension in shape.indices
        where start[dimension] < 0 || count[dimension] < 0 || start[dimension] + count[dimension] > shape[dimension] {
            throw HDF5Error(
                call: call, object: name,
                message: "selection \(start) + \(count) lies outside the shape \(shape)")
        }
        let selected = count.reduce(1, *)
        guard selected == elementCount else {
            throw HDF5Error(
                call: call, object: name,
                message: "selection \(count) holds \(selected) elements, the buffer \(elementCount)")
        }
        let fileSpace = try checkID(H5Dget_space(id), "H5Dget_space", object: name)
        try withTemporary(fileSpace, closer: { H5Sclose($0) }) { fileSpace throws(HDF5Error) in
            let hStart = start.map { hsize_t($0) }
            let hCount = count.map { hsize_t($0) }
            if !shape.isEmpty {
                try checkStatus(
                    H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, hStart, nil, hCount, nil),
                    "H5Sselect_hyperslab", object: name)
            }
            var memoryDims = [hsize_t(selected)]
            let memorySpace = try checkID(H5Screate_simple(1, &memoryDims, nil), "H5Screate_simple", object: name)
            try withTemporary(memorySpace, closer: { H5Sclose($0) }) { memorySpace throws(HDF5Error) in
                try body(memorySpace, fileSpace)
            }
        }
    }
}

extension HDF5Container {
    /// Creates a dataset `name` of element type `T` and fixed `shape`.
    ///
    /// - Parameters:
    ///   - layout: contiguous or chunked (+ deflate); see `HDF5Layout`.
    ///   - fillValue: the value unwritten elements read as (e.g. NaN, −1).
    public func createDataset<T: HDF5Scalar>(
        _ name: String, of type: T.Type, shape: [Int],
        layout: HDF5Layout = .contiguous(preallocated: false), fillValue: T? = nil
    ) throws(HDF5Error) -> HDF5Dataset {
        var dims = shape.map { hsize_t($0) }
        let space = try checkID(H5Screate_simple(Int32(dims.count), &dims, nil), "H5Screate_simple", object: name)
        return try withTemporary(space, closer: { H5Sclose($0) }) { space throws(HDF5Error) in
            let dcpl = try checkID(H5Pcreate(chdf5_p_dataset_create()), "H5Pcreate", object: name)
            return try withTemporary(dcpl, closer: { H5Pclose($0) }) { dcpl throws(HDF5Error) in
                switch layout {
                case .contiguous(let preallocated):
                    if preallocated {
                        try checkStatus(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time", object: name)
                    }
                case .contiguousAllocatedUnfilled:
                    try checkStatus(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time", object: name)
                    try checkStatus(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "H5Pset_fill_time", object: name)
                case .chunked(let chunkShape, let deflateLevel):
                    guard chunkShape.count == shape.count,
                        zip(chunkShape, shape).allSatisfy({ $0 >= 1 && $0 <= max($1, 1) })
                    else {
                        throw HDF5Error(
                            call: "H5Pset_chunk", object: name,
                            message: "chunk shape \(chunkShape) does not fit the dataset shape \(shape)")
                    }
                    var chunk = chunkShape.map { hsize_t($0) }
                    try checkStatus(H5Pset_chunk(dcpl, Int32(chunk.count), &chunk), "H5Pset_chunk", object: name)
                    if let level = deflateLevel {
                        guard (1...9).contains(level) else {
                            throw HDF5Error(call: "H5Pset_deflate", object: name, message: "deflate level \(level) is not in 1...9")
                        }
                        try checkStatus(H5Pset_shuffle(dcpl), "H5Pset_shuffle", object: name)
                        try checkStatus(H5Pset_deflate(dcpl, UInt32(level)), "H5Pset_deflate", object: name)
                    }
                }
                if let fill = fillValue {
                    let status = withUnsafeBytes(of: fill) {
                        H5Pset_fill_value(dcpl, T.hdf5MemoryType.id, $0.baseAddress)
                    }
                    try checkStatus(status, "H5Pset_fill_value", object: name)
                }
                let id = try checkID(
                    H5Dcreate2(self.id, name, T.hdf5FileType.id, space, chdf5_p_default(), dcpl, chdf5_p_default()),
                    "H5Dcreate2", object: name)
                return HDF5Dataset(file: file, name: name, id: id)
            }
        }
    }

    /// Opens the existing dataset `name`.
    public func openDataset(_ name: String) throws(HDF5Error) -> HDF5Dataset {
        let id = try checkID(H5Dopen2(self.id, name, chdf5_p_default()), "H5Dopen2", object: name)
        return HDF5Dataset(file: file, name: name, id: id)
    }
}
