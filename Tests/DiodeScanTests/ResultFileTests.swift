import CHDF5
import DiodeHDF5
@testable import DiodeScan
import DiodeTestSupport
import XCTest

final class ResultFileTests: XCTestCase {
    var directory: TemporaryDirectory!
    let axes = ResultFileFixture.axes

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory.remove() }

    static let resultNames = [
        "I_F", "I_B", "J_F", "J_B", "R_I", "R_J", "mu_p_F", "mu_p_B", "T_p_F", "T_p_B",
        "status_F", "status_B", "iterations_F", "iterations_B",
    ]

    func testWrittenTilesReadBackAndOthersStayFill() throws {
        let path = directory.file("scan.h5")
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        XCTAssertEqual(try file.completedTiles(), [])
        let tiles = [TileIndex(dT: 1, eps3: 2), TileIndex(dT: 0, eps3: 1)]
        for tile in tiles { try file.write(ResultFileFixture.values(for: tile), for: tile) }
        XCTAssertEqual(try file.completedTiles(), Set(tiles))
        for tile in tiles { XCTAssertEqual(try file.values(for: tile), ResultFileFixture.values(for: tile)) }
        XCTAssertEqual(try file.values(for: TileIndex(dT: 0, eps3: 0)), TileValues(pointCount: 5))
        try file.close()

        let reopened = try ResultFile.openForReading(path: path)
        XCTAssertEqual(reopened.axes, axes)
        XCTAssertEqual(reopened.storedMetadata, ResultFileFixture.metadata())
        XCTAssertEqual(try reopened.completedTiles(), Set(tiles))
        XCTAssertEqual(try reopened.values(for: tiles[0]), ResultFileFixture.values(for: tiles[0]))
        XCTAssertThrowsError(try reopened.write(ResultFileFixture.values(for: tiles[0]), for: tiles[0]))
    }

    func testIntegerFieldsKeepTheirWholeRangeInTheFile() throws {
        let file = try ResultFile.create(
            path: directory.file("integers.h5"), axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        var values = ResultFileFixture.values(for: TileIndex(dT: 0, eps3: 0))
        values[.iterationsF] = [Int32.min, -2, -1, 0, Int32.max]
        values[.statusB] = [Int32.max - 1, 1 << 30, -(1 << 30), Int32.min + 1, 7]
        try file.write(values, for: TileIndex(dT: 0, eps3: 0))
        let read = try file.values(for: TileIndex(dT: 0, eps3: 0))
        XCTAssertEqual(read[.iterationsF], [Int32.min, -2, -1, 0, Int32.max])
        XCTAssertEqual(read[.statusB], [Int32.max - 1, 1 << 30, -(1 << 30), Int32.min + 1, 7])
        XCTAssertEqual(read, values)
        try file.close()
    }

    /// `values` with zero potentials (no screening) and zero status (all
    /// converged), as `store` writes them at Fig. 2 settings.
    private func withZeroPotentialsAndStatus(_ values: TileValues, potential: Double = 0) -> TileValues {
        var values = values
        values[.uF] = [Double](repeating: potential, count: 3 * values.pointCount)
        values[.uB] = [Double](repeating: potential, count: 3 * values.pointCount)
        values[.statusF] = [Int32](repeating: 0, count: values.pointCount)
        values[.statusB] = [Int32](repeating: 0, count: values.pointCount)
        return values
    }

    /// A never-written tile reads as zeros, so its all-zero variables are
    /// not written at all; what is read back is the same, bit for bit.
    func testAllZeroVariablesOfNeverWrittenTilesAreNotWrittenAndReadBackExactly() throws {
        let path = directory.file("zeros.h5")
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        let tiles = [TileIndex(dT: 0, eps3: 0), TileIndex(dT: 0, eps3: 1)]
        let batch = tiles.map { (tile: $0, values: withZeroPotentialsAndStatus(ResultFileFixture.values(for: $0))) }
        try file.write(batch)
        XCTAssertEqual(file.zeroWritesSkipped, 4, "U_F, U_B, status_F, status_B of the run of two tiles")
        for (tile, values) in batch { XCTAssertEqual(try file.values(for: tile), values) }
        // Minus zero has a bit set: written.
        let negative = withZeroPotentialsAndStatus(ResultFileFixture.values(for: TileIndex(dT: 1, eps3: 0)), potential: -0.0)
        try file.write(negative, for: TileIndex(dT: 1, eps3: 0))
        XCTAssertEqual(file.zeroWritesSkipped, 6, "only the zero status of the third tile")
        try file.close()
        let reopened = try ResultFile.openForReading(path: path)
        for (tile, values) in batch { XCTAssertEqual(try reopened.values(for: tile), values) }
        let read = try reopened.values(for: TileIndex(dT: 1, eps3: 0))
        XCTAssertEqual(read, negative)
        XCTAssertEqual(read[.uF, 4].sign, .minus)
    }

    /// Zeros replace whatever an earlier write left, in this process or in a
    /// killed one (flag 2 beside partial values), and in a run with a tile
    /// that was written before.
    func testAllZeroVariablesOverwriteValuesWrittenBefore() throws {
        let path = directory.file("rewrite.h5")
        let first = TileIndex(dT: 0, eps3: 0), second = TileIndex(dT: 0, eps3: 1), killed = TileIndex(dT: 1, eps3: 2)
        do {
            let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
            try file.write(ResultFileFixture.values(for: first), for: first)
            let zero = withZeroPotentialsAndStatus(ResultFileFixture.values(for: first))
            try file.write(zero, for: first)
            XCTAssertEqual(file.zeroWritesSkipped, 0, "the tile was written before")
            XCTAssertEqual(try file.values(for: first), zero)
            try file.write(ResultFileFixture.values(for: first), for: first)
            try file.close()
        }
        do {
            // What a writer killed inside a batch leaves: flag 2 and nonzero potentials.
            let raw = try HDF5File.open(path, mode: .readWrite)
            try raw.openDataset("tile_done").write([UInt8(2)], start: [killed.indices[0], killed.indices[1]], count: [1, 1])
            try raw.openDataset("U_F").write(
                [Double](repeating: 7, count: 15), start: [killed.indices[0], killed.indices[1], 0, 0], count: [1, 1, 5, 3])
            try raw.close()
        }
        let resumed = try ResultFile.openForResume(path: path)
        let batch = [first, second, killed].map {
            (tile: $0, values: withZeroPotentialsAndStatus(ResultFileFixture.values(for: $0)))
        }
        try resumed.write(batch)
        XCTAssertEqual(resumed.zeroWritesSkipped, 0, "each run holds a tile written before")
        for (tile, values) in batch { XCTAssertEqual(try resumed.values(for: tile), values) }
        try resumed.close()
    }

    /// Tiles whose zero fields are omitted (as workers send them) are
    /// written as their full values: skipped where the storage was never
    /// written, zeros written over anything written before.
    func testTilesWithOmittedFieldsAreWrittenAsTheirFullValues() throws {
        let path = directory.file("omitted.h5")
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        let written = TileIndex(dT: 0, eps3: 1)
        try file.write(ResultFileFixture.values(for: written), for: written)
        let full = [TileIndex(dT: 0, eps3: 0), written, TileIndex(dT: 1, eps3: 1), TileIndex(dT: 1, eps3: 2)].map {
            (tile: $0, values: withZeroPotentialsAndStatus(ResultFileFixture.values(for: $0)))
        }
        let compact = full.map { (tile: $0.tile, values: $0.values.omittingZeroFields()) }
        XCTAssertTrue(compact.allSatisfy { $0.values.omits(.uF) && $0.values.omits(.statusB) })
        try file.write(compact)
        XCTAssertEqual(file.zeroWritesSkipped, 4, "only the run of two never-written tiles skips its four zero variables")
        try file.close()
        let reopened = try ResultFile.openForReading(path: path)
        for (tile, values) in full {
            let read = try reopened.values(for: tile)
            XCTAssertEqual(read, values, "\(tile)")
            XCTAssertEqual(read.omittedFields, [], "read back in full")
        }
    }

    func testScanningLayoutThroughTheCAPI() throws {
        let path = directory.file("layout.h5")
        try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false).close()
        try checkLayout(path: path, stage: "scanning")
        let raw = RawHDF5Reader(path)
        XCTAssertNil(raw.storage("I_F").chunk, "scanning files are contiguous (written in place)")
    }

    func testBatchWriteOfNeighbouringAndScatteredTiles() throws {
        let path = directory.file("batch.h5")
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        // Runs (0,0)-(0,2) and (1,1)-(1,2), listed out of order, one tile twice (the last values win).
        let tiles = [TileIndex(dT: 1, eps3: 2), TileIndex(dT: 0, eps3: 1), TileIndex(dT: 0, eps3: 0),
                     TileIndex(dT: 1, eps3: 1), TileIndex(dT: 0, eps3: 2)]
        var batch = tiles.map { ($0, ResultFileFixture.values(for: $0)) }
        batch.insert((TileIndex(dT: 1, eps3: 1), ResultFileFixture.values(for: TileIndex(dT: 0, eps3: 0))), at: 0)
        try file.write(batch)
        XCTAssertEqual(try file.completedTiles(), Set(tiles))
        for tile in tiles { XCTAssertEqual(try file.values(for: tile), ResultFileFixture.values(for: tile), "\(tile)") }
        XCTAssertEqual(try file.values(for: TileIndex(dT: 1, eps3: 0)), TileValues(pointCount: 5))
        try file.write([])
        XCTAssertEqual(try file.completedTiles(), Set(tiles))

        // A bad tile anywhere in a batch rejects the whole batch before anything is written.
        let other = TileIndex(dT: 1, eps3: 0)
        XCTAssertThrowsError(try file.write([(other, ResultFileFixture.values(for: other)),
                                             (TileIndex(dT: 0, eps3: 3), TileValues(pointCount: 5))]))
        XCTAssertFalse(try file.completedTiles().contains(other))
        XCTAssertEqual(try file.values(for: other), TileValues(pointCount: 5))
    }

    func testBatchedTileWriterWritesWhenFullOrDueAndOnRequest() throws {
        let path = directory.file("writer.h5")
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        let tiles = axes.allTiles
        // Full: 10 points (two tiles of 5) trigger a write.
        let bySize = BatchedTileWriter(file: file, maximumDelay: .seconds(3600), maximumBufferedPoints: 10)
        try bySize.add(ResultFileFixture.values(for: tiles[0]), for: tiles[0])
        try bySize.writeIfDue()
        XCTAssertEqual(try file.completedTiles(), [], "buffered, not written")
        XCTAssertEqual(bySize.bufferedTiles, 1)
        try bySize.add(ResultFileFixture.values(for: tiles[1]), for: tiles[1])
        XCTAssertEqual(try file.completedTiles(), Set(tiles[0...1]))
        XCTAssertEqual(bySize.bufferedTiles, 0)
        XCTAssertEqual(bySize.batchesWritten, 1)
        // Due: a zero delay writes every tile as it arrives.
        let byTime = BatchedTileWriter(file: file, maximumDelay: .zero)
        try byTime.add(ResultFileFixture.values(for: tiles[2]), for: tiles[2])
        XCTAssertEqual(try file.completedTiles(), Set(tiles[0...2]))
        // On request: the rest, in one batch.
        let atEnd = BatchedTileWriter(file: file, maximumDelay: .seconds(3600))
        for tile in tiles[3...] { try atEnd.add(ResultFileFixture.values(for: tile), for: tile) }
        XCTAssertEqual(try file.completedTiles(), Set(tiles[0...2]))
        try atEnd.writeBuffered()
        try atEnd.writeBuffered()
        XCTAssertEqual(atEnd.batchesWritten, 1)
        XCTAssertEqual(try file.completedTiles(), Set(tiles))
        for tile in tiles { XCTAssertEqual(try file.values(for: tile), ResultFileFixture.values(for: tile)) }
    }

    func testFinishedFileCarriesRunAttributesWithOrWithoutCompression() throws {
        for compression in ResultCompression.allCases {
            let path = directory.file("finished-\(compression).h5")
            let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
            try file.write(axes.allTiles.map { ($0, ResultFileFixture.values(for: $0)) })
            try file.finish(run: ResultFileFixture.summary(), compression: compression)
            XCTAssertThrowsError(try file.completedTiles(), "a finished ResultFile is closed")
            try checkLayout(path: path, stage: "finished")

            do {
                let raw = RawHDF5Reader(path)
                for name in Self.resultNames + ["U_F", "U_B"] {
                    let storage = raw.storage(name)
                    switch compression {
                    case .none:
                        XCTAssertNil(storage.chunk, "\(name): as scanned, contiguous")
                    case .deflate:
                        XCTAssertEqual(storage.chunk, name.hasPrefix("U_") ? [2, 3, 5, 3] : [2, 3, 5], name)
                        XCTAssertTrue(storage.deflate, name)
                    }
                }
                XCTAssertEqual(raw.intAttribute("tiles_completed"), 6)
                XCTAssertEqual(raw.intAttribute("tiles_total"), 6)
                XCTAssertEqual(raw.intAttribute("mpi_ranks"), 2)
                XCTAssertEqual(raw.intAttribute("threads_per_rank"), 3)
                XCTAssertEqual(raw.doubleAttribute("wall_time_seconds"), 12.5)
                // One forward (point 1) and one backward (point 2) failure per tile.
                XCTAssertEqual(raw.intAttribute("non_converged_points"), 12)
                XCTAssertEqual(raw.intAttribute("non_converged_points_F"), 6)
                XCTAssertEqual(raw.intAttribute("non_converged_points_B"), 6)
                XCTAssertEqual(
                    raw.stringAttribute("history"),
                    "2026-11-25T11:00:00Z diodescan scan job.toml (2 ranks x 3 threads, 12.5 s, 6 of 6 tiles done)")

                // Values survive bit for bit, in (dT, eps3, eps1) order.
                let iF = raw.readDoubles("I_F")
                for tile in axes.allTiles {
                    let offset = (tile.indices[0] * axes.eps3.count + tile.indices[1]) * axes.eps1.count
                    let expected = ResultFileFixture.values(for: tile)[.iF]
                    XCTAssertTrue(zip(iF[offset..<(offset + 5)], expected).allSatisfy { $0.bitPattern == $1.bitPattern })
                }
            }
            if compression == .deflate {
                let hdf5 = try HDF5File.open(path, mode: .readOnly)
                XCTAssertEqual(try hdf5.openDataset("I_F").layout, .chunked(chunkShape: [2, 3, 5], deflateLevel: 1))
                try hdf5.close()
            }
            let reopened = try ResultFile.openForReading(path: path)
            for tile in axes.allTiles { XCTAssertEqual(try reopened.values(for: tile), ResultFileFixture.values(for: tile)) }
            try reopened.close()
            XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".finishing"))
        }
    }

    /// A grid large enough for several chunks per dataset, with edge chunks
    /// and undone tiles: the parallel compression (H5Dwrite_chunk of chunks
    /// deflated on several threads) stores what HDF5 reads back exactly.
    func testCompressedFinishOfAGridOfManyChunks() throws {
        let path = directory.file("chunks.h5")
        let large = ScanAxes(eps1: (0..<400).map { 30 + Double($0) / 16 }, eps3: (0..<200).map { 30 + Double($0) / 8 },
                             dT: [1])
        let file = try ResultFile.create(path: path, axes: large, metadata: ResultFileFixture.metadata(), overwrite: false)
        let undone: Set<TileIndex> = [TileIndex(dT: 0, eps3: 0), TileIndex(dT: 0, eps3: 170), TileIndex(dT: 0, eps3: 199)]
        let tiles = large.allTiles.filter { !undone.contains($0) }
        try file.write(tiles.map { ($0, ResultFileFixture.values(for: $0, pointCount: 400)) })
        try file.finish(run: ResultFileFixture.summary(), compression: .deflate)
        do {
            let raw = RawHDF5Reader(path)
            XCTAssertEqual(raw.storage("I_F").chunk, [1, 163, 400], "two chunks along eps3, the second an edge chunk")
            XCTAssertEqual(raw.storage("U_B").chunk, [1, 54, 400, 3])
            XCTAssertTrue(raw.storage("status_B").deflate)
        }
        let finished = try ResultFile.openForReading(path: path)
        XCTAssertEqual(try finished.completedTiles(), Set(tiles))
        for tile in large.allTiles {
            let expected = undone.contains(tile) ? TileValues(pointCount: 400) : ResultFileFixture.values(for: tile, pointCount: 400)
            XCTAssertEqual(try finished.values(for: tile), expected, "\(tile)")
        }
        try finished.close()
    }

    func testResumeOfFinishedPartialFileContinuesAndKeepsHistory() throws {
        for (first, second) in [(ResultCompression.none, ResultCompression.deflate), (.deflate, .none), (.none, .none)] {
            let path = directory.file("resume-\(first)-\(second).h5")
            let run1 = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
            let firstTiles = Array(axes.allTiles.prefix(4))
            for tile in firstTiles { try run1.write(ResultFileFixture.values(for: tile), for: tile) }
            try run1.finish(run: ResultFileFixture.summary(command: "run 1"), compression: first)

            let resumed = try ResultFile.openForResume(path: path)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".resuming"))
            XCTAssertNoThrow(try resumed.requireSameJob(fingerprint: "fp-1"))
            XCTAssertThrowsError(try resumed.requireSameJob(fingerprint: "fp-2")) { error in
                XCTAssertTrue("\(error)".contains("different job"), "\(error)")
            }
            XCTAssertEqual(try resumed.completedTiles(), Set(firstTiles))
            for tile in firstTiles { XCTAssertEqual(try resumed.values(for: tile), ResultFileFixture.values(for: tile)) }
            try resumed.close()
            do {
                // Back in the scanning stage: contiguous, without the run attributes.
                let raw = RawHDF5Reader(path)
                XCTAssertEqual(raw.stringAttribute("file_stage"), "scanning")
                XCTAssertNil(raw.storage("I_F").chunk)
                XCTAssertNil(raw.intAttribute("tiles_completed"))
                XCTAssertNil(raw.doubleAttribute("wall_time_seconds"))
                XCTAssertEqual(raw.stringAttribute("history")?.split(separator: "\n").count, 1)
            }
            let run2 = try ResultFile.openForResume(path: path)
            try run2.write(axes.allTiles.dropFirst(4).map { ($0, ResultFileFixture.values(for: $0)) })
            try run2.finish(run: ResultFileFixture.summary(command: "run 2"), compression: second)

            // (The C-API reader opens with another close degree, so it must not
            // overlap with ResultFile's own opens in this process.)
            let history = try XCTUnwrap(RawHDF5Reader(path).stringAttribute("history")).split(separator: "\n")
            XCTAssertEqual(history.count, 2)
            XCTAssertTrue(history[0].contains("run 1") && history[0].contains("4 of 6 tiles"))
            XCTAssertTrue(history[1].contains("run 2") && history[1].contains("6 of 6 tiles"))
            XCTAssertEqual(RawHDF5Reader(path).intAttribute("tiles_completed"), 6)
            let final = try ResultFile.openForReading(path: path)
            XCTAssertEqual(try final.completedTiles(), Set(axes.allTiles))
            for tile in axes.allTiles { XCTAssertEqual(try final.values(for: tile), ResultFileFixture.values(for: tile)) }
            try final.close()
        }
    }

    func testTilesOfAnInterruptedBatchAreRecomputedAndFinishedAsFill() throws {
        for compression in ResultCompression.allCases {
            let path = directory.file("partial-\(compression).h5")
            let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
            let done = TileIndex(dT: 1, eps3: 1)
            try file.write(ResultFileFixture.values(for: done), for: done)
            try file.close()
            // What a writer killed inside a batch leaves: flag 2 ("being
            // written") and some of the values.
            do {
                let raw = try HDF5File.open(path, mode: .readWrite)
                try raw.openDataset("tile_done").write([UInt8(2)], start: [0, 0], count: [1, 1])
                try raw.openDataset("I_F").write([1, 2, 3, 4, 5], start: [0, 0, 0], count: [1, 1, 5])
                try raw.openDataset("status_F").write([Int32](repeating: 0, count: 5), start: [0, 0, 0], count: [1, 1, 5])
                try raw.close()
            }
            let resumed = try ResultFile.openForResume(path: path)
            XCTAssertEqual(try resumed.completedTiles(), [done], "a flag of 2 is not done")
            try resumed.finish(run: ResultFileFixture.summary(), compression: compression)
            do {
                let raw = RawHDF5Reader(path)
                XCTAssertEqual(raw.readDoubles("I_F").filter { !$0.isNaN }.count, 4, "only the done tile's values (one NaN)")
                XCTAssertEqual(raw.readInt32s("status_F").filter { $0 != -1 }.count, 5)
                XCTAssertEqual(raw.intAttribute("tiles_completed"), 1)
                XCTAssertEqual(raw.intAttribute("non_converged_points"), 2)
            }
            let flags = try HDF5File.open(path, mode: .readOnly)
            XCTAssertEqual(try flags.openDataset("tile_done").read(UInt8.self), [0, 0, 0, 0, 1, 0])
            try flags.close()
        }
    }

    func testCreateRefusesExistingFileUnlessOverwrite() throws {
        let path = directory.file("exists.h5")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        XCTAssertThrowsError(
            try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        ) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path) && text.contains("--overwrite") && text.contains("--resume"), text)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("keep me".utf8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".creating"))
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: true)
        XCTAssertEqual(try file.completedTiles(), [])
    }

    func testBadInputIsRejectedWithClearErrors() throws {
        let path = directory.file("bad.h5")
        var metadata = ResultFileFixture.metadata()
        metadata.parameters.append(.init("history", .string("x")))
        XCTAssertThrowsError(try ResultFile.create(path: path, axes: axes, metadata: metadata, overwrite: false)) {
            XCTAssertEqual($0 as? ResultFileError, .reservedParameterName("history"))
        }
        for (name, reason) in [("", "non-empty"), ("a/b", "without '/'"), ("mu", "appears twice")] {
            var metadata = ResultFileFixture.metadata()
            metadata.parameters.append(.init(name, .double(1)))
            XCTAssertThrowsError(try ResultFile.create(path: path, axes: axes, metadata: metadata, overwrite: false)) {
                XCTAssertTrue("\($0)".contains("parameter name '\(name)' is not allowed") && "\($0)".contains(reason), "\($0)")
            }
        }
        XCTAssertThrowsError(
            try ResultFile.create(
                path: path, axes: ScanAxes(eps1: [], eps3: [1], dT: [1]), metadata: ResultFileFixture.metadata(),
                overwrite: false))
        let nowhere = directory.file("missing-directory/out.h5")
        XCTAssertThrowsError(
            try ResultFile.create(path: nowhere, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        ) {
            XCTAssertEqual(
                "\($0)",
                "cannot create output file '\(nowhere)': directory '\(directory.file("missing-directory"))' does not exist")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))

        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        XCTAssertThrowsError(try file.write(TileValues(pointCount: 5), for: TileIndex(dT: 2, eps3: 0))) {
            XCTAssertTrue("\($0)".contains("outside the grid"), "\($0)")
        }
        XCTAssertThrowsError(try file.write(TileValues(pointCount: 4), for: TileIndex(dT: 0, eps3: 0))) {
            XCTAssertEqual($0 as? ResultFileError, .wrongPointCount("tile (dT #0, eps3 #0)", axis: "eps1", expected: 5, actual: 4))
            XCTAssertEqual("\($0)", "tile (dT #0, eps3 #0) has 4 points, the grid has 5 eps1 values")
        }
        XCTAssertEqual(try file.completedTiles(), [])

        let notOurs = directory.file("other.h5")
        try HDF5File.create(notOurs, mode: .exclusive).close()
        XCTAssertThrowsError(try ResultFile.openForResume(path: notOurs)) {
            XCTAssertTrue("\($0)".contains("not a diodescan result file"), "\($0)")
        }
        XCTAssertThrowsError(try ResultFile.openForResume(path: directory.file("missing.h5"))) {
            XCTAssertTrue("\($0)".contains("no such file"), "\($0)")
        }
    }

    /// Names, dimensions, scales, attributes and fill values of either stage.
    private func checkLayout(path: String, stage: String) throws {
        let raw = RawHDF5Reader(path)
        XCTAssertGreaterThanOrEqual(raw.file, 0)
        let grid = [2, 3, 5]
        for name in Self.resultNames {
            XCTAssertEqual(raw.dims(name), grid, name)
            for (dimension, scale) in ["dT", "eps3", "eps1"].enumerated() {
                XCTAssertTrue(raw.isScaleAttached(scale, to: name, dimension: dimension), "\(scale) on \(name)")
            }
            XCTAssertNotNil(raw.stringAttribute("units", of: name), name)
            XCTAssertNotNil(raw.stringAttribute("long_name", of: name), name)
        }
        for name in ["U_F", "U_B"] {
            XCTAssertEqual(raw.dims(name), grid + [3])
            XCTAssertTrue(raw.isScaleAttached("region", to: name, dimension: 3))
            XCTAssertTrue(raw.isScaleAttached("eps1", to: name, dimension: 2))
            XCTAssertEqual(raw.stringAttribute("units", of: name), "k_B T")
            XCTAssertTrue(raw.fillDouble(name).isNaN)
        }
        XCTAssertEqual(raw.dims("tile_done"), [2, 3])
        XCTAssertEqual(raw.stringAttribute("flag_meanings", of: "tile_done"), "not_computed complete being_written never_written")
        XCTAssertTrue(raw.isScaleAttached("dT", to: "tile_done", dimension: 0))
        XCTAssertTrue(raw.isScaleAttached("eps3", to: "tile_done", dimension: 1))
        for (name, values) in [("dT", axes.dT), ("eps3", axes.eps3), ("eps1", axes.eps1)] {
            XCTAssertTrue(raw.isScale(name))
            XCTAssertEqual(raw.readDoubles(name), values)
            XCTAssertNotNil(raw.stringAttribute("units", of: name))
            XCTAssertNotNil(raw.stringAttribute("long_name", of: name))
        }
        XCTAssertEqual(raw.readInt32s("region"), [1, 2, 3])
        XCTAssertEqual(raw.stringAttribute("units", of: "I_F"), "k_B T / h")
        XCTAssertEqual(raw.stringAttribute("units", of: "J_B"), "(k_B T)^2 / h")
        XCTAssertEqual(raw.stringAttribute("units", of: "R_I"), "1")
        XCTAssertEqual(raw.stringAttribute("units", of: "mu_p_F"), "k_B T")
        XCTAssertEqual(raw.stringAttribute("units", of: "T_p_B"), "T")
        XCTAssertEqual(raw.stringAttribute("units", of: "status_F"), "1")
        XCTAssertTrue(raw.fillDouble("I_F").isNaN && raw.fillDouble("R_J").isNaN)
        XCTAssertEqual(raw.fillInt32("status_B"), -1)
        XCTAssertEqual(raw.fillInt32("iterations_F"), -1)
        let statusCodes = "-1: not computed, 0: converged, 1: not converged, 2: non-finite, "
            + "3: converged (the equilibrium branch), a second self-consistent solution was found"
        XCTAssertEqual(raw.stringAttribute("status_codes"), statusCodes)
        XCTAssertEqual(raw.stringAttribute("status_codes", of: "status_F"), statusCodes)
        XCTAssertEqual(raw.stringAttribute("file_stage"), stage)
        XCTAssertEqual(raw.stringAttribute("job_text"), "[model]\nmu = 40\n")
        XCTAssertEqual(raw.stringAttribute("job_fingerprint"), "fp-1")
        XCTAssertEqual(raw.stringAttribute("software_version"), "0.1.0")
        XCTAssertEqual(raw.stringAttribute("source_revision"), "v0.1.0-3-gabcdef")
        XCTAssertEqual(raw.stringAttribute("date_created"), "2026-11-25T10:00:00Z")
        XCTAssertEqual(raw.stringAttribute("Conventions"), "CF-1.8")
        XCTAssertEqual(raw.doubleAttribute("mu"), 40)
        XCTAssertEqual(raw.intAttribute("screening"), 1)
        XCTAssertEqual(raw.stringAttribute("solver"), "newton")
    }
}
