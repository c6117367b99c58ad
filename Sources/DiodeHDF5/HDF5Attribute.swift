import CHDF5

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The value of an attribute.
///
/// Strings are stored as variable-length UTF-8 (h5py and xarray read them as
/// `str`); numbers as little-endian IEEE doubles or 64-bit integers; the
/// array cases as 1-D attributes, the others as scalars.
public enum HDF5AttributeValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case strings([String])
    case double(Double)
    case doubles([Double])
    case int(Int64)
    case ints([Int64])

    public var description: String {
        switch self {
        case .string(let value): return value.debugDescription
        case .strings(let values): return values.description
        case .double(let value): return "\(value)"
        case .doubles(let values): return values.description
        case .int(let value): return "\(value)"
        case .ints(let values): return values.description
        }
    }
}

extension HDF5Object {
    /// Sets attribute `name` to `value`, replacing an existing one.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws(HDF5Error) {
        let subject = "\(self.name)@\(name)"
        if try hasAttribute(name) {
            try checkStatus(H5Adelete(id, name), "H5Adelete", object: subject)
        }
        switch value {
        case .string(let text):
            try writeStrings([text], scalar: true, name: name)
        case .strings(let texts):
            try writeStrings(texts, scalar: false, name: name)
        case .double(let number):
            try writeNumbers([number], scalar: true, name: name)
        case .doubles(let numbers):
            try writeNumbers(numbers, scalar: false, name: name)
        case .int(let number):
            try writeNumbers([number], scalar: true, name: name)
        case .ints(let numbers):
            try writeNumbers(numbers, scalar: false, name: name)
        }
    }

    /// Deletes attribute `name` (`H5Adelete`); throws if it does not exist.
    public func removeAttribute(_ name: String) throws(HDF5Error) {
        try checkStatus(H5Adelete(id, name), "H5Adelete", object: "\(self.name)@\(name)")
    }

    /// Whether attribute `name` exists (`H5Aexists`).
    public func hasAttribute(_ name: String) throws(HDF5Error) -> Bool {
        try checkTri(H5Aexists(id, name), "H5Aexists", object: "\(self.name)@\(name)")
    }

    /// The names of all attributes, in name order.
    public func attributeNames() throws(HDF5Error) -> [String] {
        var info = H5O_info_t()
        try checkStatus(H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)), "H5Oget_info2", object: self.name)
        var names: [String] = []
        for index in 0..<info.num_attrs {
            let length = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default())
            guard length >= 0 else {
                throw HDF5Error(call: "H5Aget_name_by_idx", object: self.name, message: HDF5Library.currentErrorMessage())
            }
            var buffer = [CChar](repeating: 0, count: length + 1)
            _ = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1, chdf5_p_default())
            names.append(String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// Reads attribute `name`. Strings (variable or fixed length) come back
    /// as `.string`/`.strings`, floating-point numbers as `.double(s)`,
    /// integers as `.int(s)`; scalars and 1-D attributes are distinguished.
    public func attribute(_ name: String) throws(HDF5Error) -> HDF5AttributeValue {
        let subject = "\(self.name)@\(name)"
        let attribute = try checkID(H5Aopen(id, name, chdf5_p_default()), "H5Aopen", object: subject)
        return try withTemporary(attribute, closer: { H5Aclose($0) }) { attribute throws(HDF5Error) in
            let space = try checkID(H5Aget_space(attribute), "H5Aget_space", object: subject)
            let extent = try withTemporary(space, closer: { H5Sclose($0) }) { space throws(HDF5Error) in
                try HDF5Dataset.extent(of: space, object: subject)
            }
            let isScalar = extent.isEmpty
            let count = extent.reduce(1, *)
            let fileType = try checkID(H5Aget_type(attribute), "H5Aget_type", object: subject)
            return try withTemporary(fileType, closer: { H5Tclose($0) }) { fileType throws(HDF5Error) in
                switch H5Tget_class(fileType) {
                case H5T_STRING:
                    let texts = try readStrings(attribute, fileType: fileType, count: count, subject: subject)
                    return isScalar ? .string(texts.first ?? "") : .strings(texts)
                case H5T_FLOAT:
                    var values = [Double](repeating: 0, count: count)
                    try checkStatus(H5Aread(attribute, chdf5_native_double(), &values), "H5Aread", object: subject)
                    return isScalar ? .double(values[0]) : .doubles(values)
                case H5T_INTEGER:
                    var values = [Int64](repeating: 0, count: count)
                    try checkStatus(H5Aread(attribute, chdf5_native_int64(), &values), "H5Aread", object: subject)
                    return isScalar ? .int(values[0]) : .ints(values)
                default:
                    throw HDF5Error(
                        call: "H5Aread", object: subject,
                        message: "attribute type is neither string, floating point nor integer")
                }
            }
        }
    }

    // MARK: Writing

    private func withAttribute(
        name: String, fileType: hid_t, count: Int, scalar: Bool, _ body: (hid_t) throws(HDF5Error) -> Void
    ) throws(HDF5Error) {
        let subject = "\(self.name)@\(name)"
        var dims = [hsize_t(count)]
        let space = scalar
            ? try checkID(H5Screate(H5S_SCALAR), "H5Screate", object: subject)
            : try checkID(H5Screate_simple(1, &dims, nil), "H5Screate_simple", object: subject)
        try withTemporary(space, closer: { H5Sclose($0) }) { space throws(HDF5Error) in
            let attribute = try checkID(
                H5Acreate2(id, name, fileType, space, chdf5_p_default(), chdf5_p_default()), "H5Acreate2",
                object: subject)
            try withTemporary(attribute, closer: { H5Aclose($0) }, body)
        }
    }

    private func writeNumbers<T: HDF5Scalar>(_ values: [T], scalar: Bool, name: String) throws(HDF5Error) {
        try withAttribute(name: name, fileType: T.hdf5FileType.id, count: values.count, scalar: scalar) {
            attribute throws(HDF5Error) in
            let status = values.withUnsafeBufferPointer { H5Awrite(attribute, T.hdf5MemoryType.id, $0.baseAddress) }
            try checkStatus(status, "H5Awrite", object: "\(self.name)@\(name)")
        }
    }

    private func writeStrings(_ texts: [String], scalar: Bool, name: String) throws(HDF5Error) {
        let subject = "\(self.name)@\(name)"
        let type = try variableLengthUTF8Type(subject: subject)
        try withTemporary(type, closer: { H5Tclose($0) }) { type throws(HDF5Error) in
            try withAttribute(name: name, fileType: type, count: texts.count, scalar: scalar) {
                attribute throws(HDF5Error) in
                var pointers: [UnsafePointer<CChar>?] = texts.map { UnsafePointer(strdup($0)) }
                defer { pointers.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
                try checkStatus(H5Awrite(attribute, type, &pointers), "H5Awrite", object: subject)
            }
        }
    }

    // MARK: Reading strings

    private func readStrings(_ attribute: hid_t, fileType: hid_t, count: Int, subject: String) throws(HDF5Error) -> [String] {
        if try checkTri(H5Tis_variable_str(fileType), "H5Tis_variable_str", object: subject) {
            let memoryType = try variableLengthUTF8Type(subject: subject)
            return try withTemporary(memoryType, closer: { H5Tclose($0) }) { memoryType throws(HDF5Error) in
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                try checkStatus(H5Aread(attribute, memoryType, &pointers), "H5Aread", object: subject)
                defer { pointers.forEach { free($0) } }
                return pointers.map { $0.map { String(cString: $0) } ?? "" }
            }
        }
        // Fixed-length strings (as netCDF-C writes): read the raw bytes and
        // cut each element at its first NUL.
        let size = H5Tget_size(fileType)
        guard size > 0 else {
            throw HDF5Error(call: "H5Tget_size", object: subject, message: HDF5Library.currentErrorMessage())
        }
        var bytes = [UInt8](repeating: 0, count: size * count)
        let memoryType = try checkID(H5Tcopy(fileType), "H5Tcopy", object: subject)
        try withTemporary(memoryType, closer: { H5Tclose($0) }) { memoryType throws(HDF5Error) in
            try checkStatus(H5Aread(attribute, memoryType, &bytes), "H5Aread", object: subject)
        }
        return (0..<count).map { index in
            let element = bytes[(index * size)..<((index + 1) * size)]
            let end = element.firstIndex(of: 0) ?? element.endIndex
            return String(decoding: element[element.startIndex..<end], as: UTF8.self)
        }
    }

    private func variableLengthUTF8Type(subject: String) throws(HDF5Error) -> hid_t {
        let type = try checkID(H5Tcopy(chdf5_c_s1()), "H5Tcopy", object: subject)
        do {
            try checkStatus(H5Tset_size(type, chdf5_t_variable()), "H5Tset_size", object: subject)
            try checkStatus(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset", object: subject)
        } catch {
            _ = H5Tclose(type)
            throw error
        }
        return type
    }
}
