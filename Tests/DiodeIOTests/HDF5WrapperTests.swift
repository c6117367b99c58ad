import CHDF5
@testable import DiodeHDF5
import DiodeTestSupport
import XCTest

final class HDF5WrapperTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory.remove() }

    func testHyperslabRoundTripOfEveryElementType() throws {
        let path = directory.file("slabs.h5")
        do {
            let file = try HDF5File.create(path, mode: .exclusive)
            let doubles = try file.createDataset("d", of: Double.self, shape: [2, 3, 4], fillValue: .nan)
            try doubles.write([1, 2, 3, 4, 5, 6, 7, 8], start: [1, 1, 0], count: [1, 2, 4])
            let ints = try file.createDataset("i", of: Int32.self, shape: [5], fillValue: -1)
            try ints.write([Int32.min, Int32.max], start: [3], count: [2])
            let bytes = try file.createDataset("b", of: UInt8.self, shape: [2, 2])
            try bytes.write([0, 1, 254, 255])
            let longs = try file.createDataset("l", of: Int64.self, shape: [1])
            try longs.write([Int64.min])
            try file.close()
        }
        let file = try HDF5File.open(path, mode: .readOnly)
        let doubles = try file.openDataset("d")
        XCTAssertEqual(try doubles.shape, [2, 3, 4])
        XCTAssertEqual(try doubles.read(Double.self, start: [1, 1, 0], count: [1, 2, 4]), [1, 2, 3, 4, 5, 6, 7, 8])
        let untouched = try doubles.read(Double.self, start: [0, 0, 0], count: [1, 3, 4])
        XCTAssertTrue(untouched.allSatisfy(\.isNaN), "unwritten elements read as the fill value")
        XCTAssertEqual(try file.openDataset("i").read(Int32.self), [-1, -1, -1, Int32.min, Int32.max])
        XCTAssertEqual(try file.openDataset("b").read(UInt8.self), [0, 1, 254, 255])
        XCTAssertEqual(try file.openDataset("l").read(Int64.self), [Int64.min])
        XCTAssertTrue(try file.openDataset("d").fillValue(as: Double.self).isNaN)
        XCTAssertEqual(try file.openDataset("i").fillValue(as: Int32.self), -1)
    }

    func testSelectionErrorsAreThrownNotCrashes() throws {
        let file = try HDF5File.create(directory.file("bad.h5"), mode: .exclusive)
        let dataset = try file.createDataset("d", of: Double.self, shape: [4])
        XCTAssertThrowsError(try dataset.write([1, 2], start: [3], count: [2])) { error in
            XCTAssertTrue("\(error)".contains("outside the shape"), "\(error)")
        }
        XCTAssertThrowsError(try dataset.write([1, 2, 3], start: [0], count: [2])) { error in
            XCTAssertTrue("\(error)".contains("holds 2 elements, the buffer 3"), "\(error)")
        }
        XCTAssertThrowsError(try dataset.read(Double.self, start: [0, 0], count: [1, 1]))
    }

    func testChunkedCompressedLayoutIsRecorded() throws {
        let file = try HDF5File.create(directory.file("chunks.h5"), mode: .exclusive)
        let chunked = try file.createDataset(
            "c", of: Double.self, shape: [3, 100], layout: .chunked(chunkShape: [1, 100], deflateLevel: 4),
            fillValue: .nan)
        let values = (0..<300).map { Double($0 % 7) }
        try chunked.write(values)
        XCTAssertEqual(try chunked.read(Double.self), values)
        XCTAssertEqual(try chunked.layout, .chunked(chunkShape: [1, 100], deflateLevel: 4))
        let contiguous = try file.createDataset("p", of: Int32.self, shape: [10], layout: .contiguous(preallocated: true))
        XCTAssertEqual(try contiguous.layout, .contiguous(preallocated: false))
        XCTAssertThrowsError(
            try file.createDataset("x", of: Double.self, shape: [3], layout: .chunked(chunkShape: [4], deflateLevel: nil)))
        XCTAssertThrowsError(
            try file.createDataset("y", of: Double.self, shape: [3], layout: .chunked(chunkShape: [3], deflateLevel: 12)))
    }

    /// Allocated but unfilled: no fill values written at creation (elements
    /// not yet written read as zeros), the fill value still recorded.
    func testContiguousAllocatedUnfilledReadsZerosUntilWritten() throws {
        let file = try HDF5File.create(directory.file("unfilled.h5"), mode: .exclusive)
        let dataset = try file.createDataset(
            "u", of: Double.self, shape: [3, 4], layout: .contiguousAllocatedUnfilled, fillValue: .nan)
        XCTAssertEqual(try dataset.read(Double.self), [Double](repeating: 0, count: 12))
        try dataset.write([1, 2, 3, 4], start: [1, 0], count: [1, 4])
        XCTAssertEqual(try dataset.read(Double.self), [0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0])
        XCTAssertTrue(try dataset.fillValue(as: Double.self).isNaN)
        XCTAssertEqual(try dataset.layout, .contiguous(preallocated: false))
        try file.close()
    }

    /// Files have no data sieve buffer, so a small write reaches the file at
    /// once: a plain read of the file sees it before any flush. (With HDF5's
    /// default 64 KiB sieve buffer it would stay in memory, and each write
    /// would first read its surroundings from the file.)
    func testSmallWritesReachTheFileAtOnceWithoutASieveBuffer() throws {
        let path = directory.file("direct.h5")
        let file = try HDF5File.create(path, mode: .exclusive)
        let dataset = try file.createDataset(
            "d", of: Double.self, shape: [1000], layout: .contiguousAllocatedUnfilled, fillValue: .nan)
        try file.flush()
        XCTAssertEqual(try file.sieveBufferSize, 0)
        let block = try XCTUnwrap(try dataset.contiguousStorage)
        try dataset.write([42.5], start: [10], count: [1])
        try dataset.write([-1.25], start: [11], count: [1])
        let descriptor = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        var values: (Double, Double) = (0, 0)
        XCTAssertEqual(pread(descriptor, &values, 16, off_t(block.lowerBound + 80)), 16)
        XCTAssertEqual(values.0, 42.5)
        XCTAssertEqual(values.1, -1.25)
        try file.close()
        let reopened = try HDF5File.open(path, mode: .readOnly)
        XCTAssertEqual(try reopened.sieveBufferSize, 0)
        try reopened.close()
    }

    /// Chunks shuffled and deflated in memory, stored with H5Dwrite_chunk,
    /// read back through HDF5's own filter pipeline; edge chunks padded.
    func testRawChunksCompressedInMemoryReadBackThroughHDF5Filters() throws {
        let file = try HDF5File.create(directory.file("raw-chunks.h5"), mode: .exclusive)
        let doubles = try file.createDataset(
            "d", of: Double.self, shape: [5, 4], layout: .chunked(chunkShape: [2, 4], deflateLevel: 1), fillValue: .nan)
        let values = (0..<20).map { Double($0) / 3 - 2 }
        for first in stride(from: 0, to: 5, by: 2) {
            var chunk = [Double](repeating: .nan, count: 8)
            let rows = min(2, 5 - first)
            chunk.replaceSubrange(0..<(rows * 4), with: values[(first * 4)..<((first + rows) * 4)])
            try doubles.writeRawChunk(try HDF5ChunkFilter.shuffleAndDeflate(chunk, level: 1), at: [first, 0])
        }
        XCTAssertEqual(try doubles.read(Double.self), values)
        let integers = try file.createDataset(
            "i", of: Int32.self, shape: [6], layout: .chunked(chunkShape: [6], deflateLevel: 9), fillValue: -1)
        try integers.writeRawChunk(try HDF5ChunkFilter.shuffleAndDeflate([Int32]([3, -1, 0, 1 << 30, -7, 2]), level: 9), at: [0])
        XCTAssertEqual(try integers.read(Int32.self), [3, -1, 0, 1 << 30, -7, 2])
        XCTAssertThrowsError(try HDF5ChunkFilter.shuffleAndDeflate([1.0], level: 0)) {
            XCTAssertTrue("\($0)".contains("deflate level 0 is not in 1...9"), "\($0)")
        }
        XCTAssertThrowsError(try integers.writeRawChunk([1, 2, 3], at: [3])) {
            XCTAssertTrue("\($0)".contains("H5Dwrite_chunk"), "\($0)")
        }
        try file.close()
    }

    func testAttributesRoundTripAndReplace() throws {
        let path = directory.file("attributes.h5")
        let values: [String: HDF5AttributeValue] = [
            "text": .string("μ = 40 k_B T, ε₁ scan"),
            "empty": .string(""),
            "list": .strings(["mu", "gamma1", ""]),
            "no_names": .strings([]),
            "x": .double(-0.125),
            "xs": .doubles([1, .infinity, -2]),
            "n": .int(Int64.max),
            "ns": .ints([-1, 0, 1, 2]),
        ]
        do {
            let file = try HDF5File.create(path, mode: .exclusive)
            for (name, value) in values { try file.setAttribute(name, value) }
            let dataset = try file.createDataset("d", of: Double.self, shape: [1])
            try dataset.setAttribute("units", .string("k_B T"))
            try dataset.setAttribute("units", .string("1"))  // replaces
            try file.close()
        }
        let file = try HDF5File.open(path, mode: .readOnly)
        for (name, value) in values { XCTAssertEqual(try file.attribute(name), value, name) }
        XCTAssertEqual(try file.attributeNames(), values.keys.sorted())
        XCTAssertEqual(try file.openDataset("d").attribute("units"), .string("1"))
        XCTAssertFalse(try file.hasAttribute("missing"))
        XCTAssertThrowsError(try file.attribute("missing")) { error in
            XCTAssertEqual((error as? HDF5Error)?.call, "H5Aopen")
        }
    }

    func testStringAttributesAreVariableLengthUTF8() throws {
        let file = try HDF5File.create(directory.file("strings.h5"), mode: .exclusive)
        try file.setAttribute("s", .string("ok"))
        let attribute = H5Aopen(file.id, "s", chdf5_p_default())
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        XCTAssertGreaterThan(H5Tis_variable_str(type), 0)
        XCTAssertEqual(H5Tget_cset(type), H5T_CSET_UTF8)
    }

    func testDimensionScalesAttach() throws {
        let file = try HDF5File.create(directory.file("scales.h5"), mode: .exclusive)
        let x = try file.createDataset("x", of: Double.self, shape: [3])
        try x.write([0, 1, 2])
        try x.makeDimensionScale(dimensionName: "x")
        let data = try file.createDataset("data", of: Double.self, shape: [3, 2])
        XCTAssertTrue(try x.isDimensionScale)
        XCTAssertFalse(try data.isDimensionScale)
        try data.attach(scale: x, toDimension: 0)
        XCTAssertTrue(try data.isAttached(scale: x, toDimension: 0))
        XCTAssertFalse(try data.isAttached(scale: x, toDimension: 1))
    }

    func testFailuresGiveOneLineNamingCallAndPath() throws {
        let missing = directory.file("missing.h5")
        XCTAssertThrowsError(try HDF5File.open(missing, mode: .readOnly)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("H5Fopen failed for '\(missing)'"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
        let path = directory.file("exists.h5")
        try HDF5File.create(path, mode: .exclusive).close()
        XCTAssertThrowsError(try HDF5File.create(path, mode: .exclusive)) { error in
            XCTAssertEqual((error as? HDF5Error)?.call, "H5Fcreate")
        }
        XCTAssertNoThrow(try HDF5File.create(path, mode: .truncate).close())
        let file = try HDF5File.open(path, mode: .readOnly)
        XCTAssertThrowsError(try file.createDataset("d", of: Double.self, shape: [1])) { error in
            XCTAssertEqual((error as? HDF5Error)?.call, "H5Dcreate2")
        }
        XCTAssertThrowsError(try file.openDataset("nope")) { error in
            XCTAssertEqual((error as? HDF5Error)?.call, "H5Dopen2")
            XCTAssertEqual((error as? HDF5Error)?.object, "nope")
        }
    }

    func testClosedFileInvalidatesItsObjects() throws {
        let file = try HDF5File.create(directory.file("closed.h5"), mode: .exclusive)
        let dataset = try file.createDataset("d", of: Double.self, shape: [2])
        try file.close()
        XCTAssertThrowsError(try dataset.write([1, 2]))
        XCTAssertNoThrow(try file.close(), "closing twice is harmless")
    }

    func testGroups() throws {
        let file = try HDF5File.create(directory.file("groups.h5"), mode: .exclusive)
        let group = try file.createGroup("results")
        _ = try group.createDataset("d", of: Double.self, shape: [1])
        XCTAssertTrue(try file.contains("results"))
        XCTAssertTrue(try file.openGroup("results").contains("d"))
        XCTAssertFalse(try group.contains("e"))
    }

    func testSWMRWrittenFileReadsBack() throws {
        let path = directory.file("swmr.h5")
        do {
            let file = try HDF5File.create(path, mode: .exclusive, format: .latest)
            let dataset = try file.createDataset(
                "d", of: Double.self, shape: [4, 8], layout: .chunked(chunkShape: [1, 8], deflateLevel: 4),
                fillValue: .nan)
            try dataset.setAttribute("units", .string("1"))
            try file.startSWMRWrite()
            XCTAssertTrue(try file.isSWMRWriting)
            try dataset.write((0..<8).map(Double.init), start: [2, 0], count: [1, 8])
            try file.flush()
            // A SWMR reader sees the flushed row while the writer is open.
            let reader = try HDF5File.open(path, mode: .swmrRead)
            XCTAssertEqual(try reader.openDataset("d").read(Double.self, start: [2, 0], count: [1, 8]), (0..<8).map(Double.init))
            try reader.close()
            try file.close()
        }
        let file = try HDF5File.open(path, mode: .readOnly)
        XCTAssertEqual(try file.openDataset("d").read(Double.self, start: [2, 0], count: [1, 8]), (0..<8).map(Double.init))
        XCTAssertEqual(try file.openDataset("d").attribute("units"), .string("1"))
        XCTAssertTrue(try file.openDataset("d").read(Double.self, start: [0, 0], count: [1, 8]).allSatisfy(\.isNaN))
    }
}
