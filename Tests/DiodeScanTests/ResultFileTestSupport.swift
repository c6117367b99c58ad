import CHDF5
import DiodeHDF5
@testable import DiodeScan
import DiodeTestSupport
import Foundation

/// Shared fixtures of the ResultFile tests.
enum ResultFileFixture {
    static let axes = ScanAxes(eps1: [30, 35, 40, 45, 50], eps3: [38, 42, 46], dT: [0.5, 1.0])

    static func metadata(fingerprint: String = "fp-1") -> ScanMetadata {
        ScanMetadata(
            parameters: [
                .init("mu", .double(40)), .init("gamma1", .double(1)), .init("gamma3", .double(1)),
                .init("lambda", .double(0)), .init("screening", .int(1)),
                .init("capacitances", .doubles([0, 0, 0, 0, 0, 0])), .init("solver", .string("newton")),
            ],
            jobText: "[model]\nmu = 40\n", jobFingerprint: fingerprint, softwareVersion: "0.1.0",
            sourceRevision: "v0.1.0-3-gabcdef", creationTime: "2026-11-25T10:00:00Z")
    }

    /// `SyntheticTile`'s values (what the I/O test helper writes).
    static func values(for tile: TileIndex, pointCount n: Int = axes.eps1.count) -> TileValues {
        SyntheticTile.values(for: tile, pointCount: n)
    }

    static func summary(command: String = "diodescan scan job.toml") -> RunSummary {
        RunSummary(wallTimeSeconds: 12.5, ranks: 2, threadsPerRank: 3, command: command, endTime: "2026-11-25T11:00:00Z")
    }
}

/// Reads a file with the plain HDF5 C API, independent of DiodeHDF5.
final class RawHDF5Reader {
    let file: hid_t

    init(_ path: String) {
        _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
        file = H5Fopen(path, chdf5_f_acc_rdonly(), chdf5_p_default())
    }

    deinit { if file >= 0 { H5Fclose(file) } }

    func exists(_ name: String) -> Bool { H5Lexists(file, name, chdf5_p_default()) > 0 }

    func dims(_ name: String) -> [Int] {
        let dataset = H5Dopen2(file, name, chdf5_p_default())
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        var dims = [hsize_t](repeating: 0, count: Int(H5Sget_simple_extent_ndims(space)))
        H5Sget_simple_extent_dims(space, &dims, nil)
        return dims.map { Int($0) }
    }

    func isScaleAttached(_ scaleName: String, to name: String, dimension: Int) -> Bool {
        let dataset = H5Dopen2(file, name, chdf5_p_default())
        let scale = H5Dopen2(file, scaleName, chdf5_p_default())
        defer { H5Dclose(dataset); H5Dclose(scale) }
        return H5DSis_attached(dataset, scale, UInt32(dimension)) > 0
    }

    func isScale(_ name: String) -> Bool {
        let dataset = H5Dopen2(file, name, chdf5_p_default())
        defer { H5Dclose(dataset) }
        return H5DSis_scale(dataset) > 0
    }

    /// Chunk shape and whether deflate is on; nil chunk for contiguous.
    func storage(_ name: String) -> (chunk: [Int]?, deflate: Bool) {
        let dataset = H5Dopen2(file, name, chdf5_p_default())
        defer { H5Dclose(dataset) }
        let dcpl = H5Dget_create_plist(dataset)
        defer { H5Pclose(dcpl) }
        guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return (nil, false) }
        var chunk = [hsize_t](repeating: 0, count: 4)
        let rank = H5Pget_chunk(dcpl, 4, &chunk)
        var deflate = false
        for index in 0..<H5Pget_nfilters(dcpl) {
            var flags: UInt32 = 0
            var count = 0
            var config: UInt32 = 0
            if H5Pget_filter2(dcpl, UInt32(index), &flags, &count, nil, 0, nil, &config) == chdf5_z_filter_deflate() {
                deflate = true
            }
        }
        return (chunk.prefix(Int(rank)).map { Int($0) }, deflate)
    }

    func fillDouble(_ name: String) -> Double {
        let dataset = H5Dopen2(file, name, chdf5_p_default())
        defer { H5Dclose(dataset) }
        let dcpl = H5Dget_create_plist(dataset)
        defer { H5Pclose(dcpl) }
        var value = 0.0
        H5Pget_fill_value(dcpl, chdf5_native_double(), &value)
        return value
    }

    func fillInt32(_ name: String) -> Int32 {
        let dataset = H5Dopen2(file, name, chdf5_p_default())
        defer { H5Dclose(dataset) }
        let dcpl = H5Dget_create_plist(dataset)
        defer { H5Pclose(dcpl) }
        var value: Int32 = 0
        H5Pget_fill_value(dcpl, chdf5_native_int32(), &value)
        return value
    }

    func readDoubles(_ name: String) -> [Double] {
        let dataset = H5Dopen2(file, name, chdf5_p_default())
        defer { H5Dclose(dataset) }
        var values = [Double](repeating: 0, count: dims(name).reduce(1, *))
        H5Dread(dataset, chdf5_native_double(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), &values)
        return values
    }

    func readInt32s(_ name: String) -> [Int32] {
        let dataset = H5Dopen2(file, name, chdf5_p_default())
        defer { H5Dclose(dataset) }
        var values = [Int32](repeating: 0, count: dims(name).reduce(1, *))
        H5Dread(dataset, chdf5_native_int32(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), &values)
        return values
    }

    /// A string attribute of object `object` ("/" for the root).
    func stringAttribute(_ name: String, of object: String = "/") -> String? {
        guard H5Aexists_by_name(file, object, name, chdf5_p_default()) > 0 else { return nil }
        let attribute = H5Aopen_by_name(file, object, name, chdf5_p_default(), chdf5_p_default())
        defer { H5Aclose(attribute) }
        let type = H5Tcopy(chdf5_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, chdf5_t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        var pointer: UnsafeMutablePointer<CChar>? = nil
        guard H5Aread(attribute, type, &pointer) >= 0, let pointer else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    func intAttribute(_ name: String, of object: String = "/") -> Int64? {
        guard H5Aexists_by_name(file, object, name, chdf5_p_default()) > 0 else { return nil }
        let attribute = H5Aopen_by_name(file, object, name, chdf5_p_default(), chdf5_p_default())
        defer { H5Aclose(attribute) }
        var value: Int64 = 0
        guard H5Aread(attribute, chdf5_native_int64(), &value) >= 0 else { return nil }
        return value
    }

    func doubleAttribute(_ name: String, of object: String = "/") -> Double? {
        guard H5Aexists_by_name(file, object, name, chdf5_p_default()) > 0 else { return nil }
        let attribute = H5Aopen_by_name(file, object, name, chdf5_p_default(), chdf5_p_default())
        defer { H5Aclose(attribute) }
        var value = 0.0
        guard H5Aread(attribute, chdf5_native_double(), &value) >= 0 else { return nil }
        return value
    }
}
