import DiodeHDF5
@testable import DiodeScan
import DiodeTestSupport
import Foundation
import XCTest

/// The in-place change of an uncompressed file's root attributes (finish,
/// and resume of a finished file) guarded by `ResultFileJournal`: the same
/// file as the copy path gives, and a process stopped at any step leaves a
/// file that the next open restores exactly.
///
/// A kill at a step is simulated by copying the file and its journal aside
/// at that step (what a SIGKILL would leave on disk), with the file flushed
/// first at `.changed` so that the copy holds a half-changed file.
final class ResultFileInPlaceTests: XCTestCase {
    let axes = ResultFileFixture.axes
    var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory() }
    override func tearDown() { directory.remove() }

    /// Tiles written before finishing: not all, so that finish also fills.
    var writtenTiles: [TileIndex] { Array(axes.allTiles.prefix(4)) }

    func makeScanningFile(_ name: String) throws -> ResultFile {
        let file = try ResultFile.create(
            path: directory.file(name), axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        try file.write(writtenTiles.map { ($0, ResultFileFixture.values(for: $0)) })
        return file
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func inode(_ path: String) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }

    /// A hook that copies the file and its journal to `<directory>/<step>/`
    /// at every step.
    func snapshotHook(_ path: String, into label: String) -> ResultFile.AmendHook {
        let name = (path as NSString).lastPathComponent
        return { [directory] step, file in
            try file?.flush()
            let target = directory!.file("\(label)-\(step)")
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            for suffix in ["", ".journal"] where FileManager.default.fileExists(atPath: path + suffix) {
                try FileManager.default.copyItem(atPath: path + suffix, toPath: target + "/" + name + suffix)
            }
        }
    }

    func checkScanning(_ path: String, _ context: String) throws {
        let file = try ResultFile.openForResume(path: path)
        XCTAssertEqual(try file.completedTiles(), Set(writtenTiles), context)
        for tile in writtenTiles {
            XCTAssertEqual(try file.values(for: tile), ResultFileFixture.values(for: tile), "\(tile) \(context)")
        }
        // It finishes again, completely.
        try file.write(axes.allTiles.filter { !writtenTiles.contains($0) }.map { ($0, ResultFileFixture.values(for: $0)) })
        try file.finish(run: ResultFileFixture.summary())
        let finished = try ResultFile.openForReading(path: path)
        XCTAssertEqual(try finished.completedTiles().count, axes.tileCount, context)
        for tile in axes.allTiles {
            XCTAssertEqual(try finished.values(for: tile), ResultFileFixture.values(for: tile), "\(tile) \(context)")
        }
        try finished.close()
        XCTAssertFalse(FileManager.default.fileExists(atPath: ResultFileJournal.path(for: path)), context)
    }

    // MARK: Same result as the copy

    func testInPlaceFinishGivesTheSameFileAsTheCopy() throws {
        var files: [String] = []
        for inPlace in [false, true] {
            let file = try makeScanningFile("finished-\(inPlace).h5")
            let before = try inode(file.path)
            var steps: [ResultFile.AmendStep] = []
            file.amendsInPlace = inPlace
            // A leftover of a killed compressed finish goes, as the copy replaced it.
            FileManager.default.createFile(atPath: file.path + ".finishing", contents: Data("stale".utf8))
            file.amendHook = { step, _ in steps.append(step) }
            try file.finish(run: ResultFileFixture.summary())
            XCTAssertEqual(steps, inPlace ? ResultFile.AmendStep.allCases : [])
            XCTAssertEqual(try inode(file.path) == before, inPlace, "changed in place, or a copy renamed over it")
            XCTAssertFalse(FileManager.default.fileExists(atPath: ResultFileJournal.path(for: file.path)))
            XCTAssertFalse(FileManager.default.fileExists(atPath: file.path + ".finishing"))
            files.append(file.path)
        }
        let (copied, amended) = (try HDF5File.open(files[0], mode: .readOnly), try HDF5File.open(files[1], mode: .readOnly))
        let names = try copied.attributeNames()
        XCTAssertEqual(try amended.attributeNames().sorted(), names.sorted())
        XCTAssertTrue(names.contains("wall_time_seconds") && names.contains("non_converged_points"))
        for name in names { XCTAssertEqual(try amended.attribute(name), try copied.attribute(name), name) }
        XCTAssertEqual(try amended.attribute("file_stage"), .string("finished"))
        for name in ResultFileTests.resultNames + ["U_F", "U_B", "tile_done"] {
            let (a, b) = (try copied.openDataset(name), try amended.openDataset(name))
            if name.hasPrefix("status") || name.hasPrefix("iterations") {
                XCTAssertEqual(try b.read(Int32.self), try a.read(Int32.self), name)
            } else if name == "tile_done" {
                XCTAssertEqual(try b.read(UInt8.self), try a.read(UInt8.self), name)
            } else {
                XCTAssertEqual(try b.read(Double.self).map(\.bitPattern), try a.read(Double.self).map(\.bitPattern), name)
            }
        }
        try copied.close()
        try amended.close()
        for path in files {
            let file = try ResultFile.openForReading(path: path)
            for tile in axes.allTiles {
                XCTAssertEqual(
                    try file.values(for: tile),
                    writtenTiles.contains(tile) ? ResultFileFixture.values(for: tile) : TileValues(pointCount: 5))
            }
            try file.close()
        }
    }

    func testResumeBesideAReaderThatLocksTheFileCopiesInstead() throws {
        guard ResultFilePythonTests.python(["-c", "import h5py"]).status == 0 else { throw XCTSkip("no h5py") }
        let file = try makeScanningFile("read.h5")
        try file.finish(run: ResultFileFixture.summary())
        let before = try inode(file.path)
        // Another process holds the file open for reading, with HDF5's locking.
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        reader.arguments = [
            "python3", "-c", "import h5py, sys, time\nf = h5py.File(sys.argv[1], 'r')\nprint('open', flush=True)\ntime.sleep(60)",
            file.path,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["HDF5_USE_FILE_LOCKING"] = nil
        reader.environment = environment
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        defer {
            reader.terminate()
            reader.waitUntilExit()
        }
        XCTAssertTrue(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("open"))
        var steps: [ResultFile.AmendStep] = []
        let resumed = try ResultFile.openForResume(path: file.path, amendHook: { step, _ in steps.append(step) })
        XCTAssertEqual(steps, [.journalWritten], "the read-write open failed after the journal")
        XCTAssertNotEqual(try inode(file.path), before, "a copy renamed over the file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ResultFileJournal.path(for: file.path)))
        XCTAssertEqual(try resumed.completedTiles(), Set(writtenTiles))
        try resumed.close()
        try checkScanning(file.path, "after the reader")
    }

    // MARK: Stopped at each step

    func testFinishStoppedAtAnyStepIsRestoredToTheScanningFile() throws {
        let file = try makeScanningFile("scan.h5")
        file.amendHook = snapshotHook(file.path, into: "finish")
        try file.finish(run: ResultFileFixture.summary())
        // At `.journalWritten` the file is untouched: the scanning file.
        let scanning = try bytes(directory.file("finish-journalWritten/scan.h5"))
        for step in ResultFile.AmendStep.allCases {
            let path = directory.file("finish-\(step)/scan.h5")
            XCTAssertTrue(FileManager.default.fileExists(atPath: ResultFileJournal.path(for: path)), "\(step)")
            if step != .journalWritten { XCTAssertNotEqual(try bytes(path), scanning, "\(step): the file was changed") }
            XCTAssertEqual(try ResultFileJournal.recover(path: path), .restored, "\(step)")
            XCTAssertEqual(try bytes(path), scanning, "\(step): restored byte for byte")
            try checkScanning(path, "\(step)")
        }
    }

    func testResumeStoppedAtAnyStepIsRestoredToTheFinishedFile() throws {
        let file = try makeScanningFile("resume.h5")
        try file.finish(run: ResultFileFixture.summary())
        let finished = try bytes(file.path)
        let resumed = try ResultFile.openForResume(path: file.path, amendHook: snapshotHook(file.path, into: "resume"))
        try resumed.close()
        for step in ResultFile.AmendStep.allCases {
            let path = directory.file("resume-\(step)/resume.h5")
            // Reading restores it too: the finished file, with its run attributes.
            let reader = try ResultFile.openForReading(path: path)
            XCTAssertEqual(try reader.completedTiles(), Set(writtenTiles), "\(step)")
            try reader.close()
            XCTAssertEqual(try bytes(path), finished, "\(step): restored byte for byte")
            XCTAssertFalse(FileManager.default.fileExists(atPath: ResultFileJournal.path(for: path)), "\(step)")
            try checkScanning(path, "\(step)")
        }
    }

    func testFailureAtAnyStepRestoresTheFileAndFinishingAgainWorks() throws {
        struct Injected: Error {}
        for step in ResultFile.AmendStep.allCases {
            let file = try makeScanningFile("failing-\(step).h5")
            var scanning: Data?
            file.amendHook = { [self] at, _ in
                if at == .journalWritten { scanning = try bytes(file.path) }
                if at == step { throw Injected() }
            }
            XCTAssertThrowsError(try file.finish(run: ResultFileFixture.summary()), "\(step)") { XCTAssertTrue($0 is Injected) }
            XCTAssertEqual(try bytes(file.path), scanning, "\(step)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: ResultFileJournal.path(for: file.path)), "\(step)")
            try checkScanning(file.path, "\(step)")
        }
    }

    // MARK: The journal itself

    func testIncompleteJournalIsDiscardedAndTheFileLeftAlone() throws {
        let file = try makeScanningFile("torn.h5")
        file.amendHook = snapshotHook(file.path, into: "torn")
        try file.finish(run: ResultFileFixture.summary())
        let path = directory.file("torn-journalWritten/torn.h5")
        let journalPath = ResultFileJournal.path(for: path)
        let journal = try bytes(journalPath)
        XCTAssertNotNil(ResultFileJournal.decode([UInt8](journal)))
        let scanning = try bytes(path)
        for length in [0, 7, 40, journal.count / 2, journal.count - 9, journal.count - 1] {
            try journal.prefix(length).write(to: URL(fileURLWithPath: journalPath))
            XCTAssertEqual(try ResultFileJournal.recover(path: path), .discardedIncomplete, "\(length) bytes")
            XCTAssertFalse(FileManager.default.fileExists(atPath: journalPath))
            XCTAssertEqual(try bytes(path), scanning)
        }
        var flipped = [UInt8](journal)
        flipped[flipped.count / 2] ^= 1
        XCTAssertNil(ResultFileJournal.decode(flipped), "a changed byte fails the checksum")
        XCTAssertEqual(try ResultFileJournal.recover(path: path), .none)
        try checkScanning(path, "torn journal")
    }

    func testJournalHeldByAnotherProcessIsReportedInUse() throws {
        let file = try makeScanningFile("held.h5")
        file.amendHook = snapshotHook(file.path, into: "held")
        try file.finish(run: ResultFileFixture.summary())
        let path = directory.file("held-changed/held.h5")
        // A live writer holds the journal's lock: nobody may restore under it.
        // (flock locks belong to the open file description, so a second
        // descriptor in this process stands for the other process.)
        let descriptor = open(ResultFileJournal.path(for: path), O_RDONLY)
        XCTAssertEqual(flock(descriptor, LOCK_EX), 0)
        XCTAssertThrowsError(try ResultFile.openForReading(path: path)) {
            XCTAssertEqual($0 as? ResultFileError, .inUse(path: path))
        }
        close(descriptor)
        try checkScanning(path, "after the writer let go")
    }

    func testFilesWhoseBlocksCannotBeLocatedAreCopied() throws {
        let file = try makeScanningFile("noblocks.h5")
        try file.close()
        // Blocks that overlap, or run past the end, are not trusted.
        XCTAssertNil(try ResultFileJournal.begin(for: file.path, keeping: [0..<100, 50..<200]))
        XCTAssertNil(try ResultFileJournal.begin(for: file.path, keeping: [100..<(1 << 40)]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: ResultFileJournal.path(for: file.path)))
        // A compressed finished file resumes through a rewrite, as before.
        let compressed = try ResultFile.openForResume(path: file.path)
        try compressed.finish(run: ResultFileFixture.summary(), compression: .deflate)
        var steps: [ResultFile.AmendStep] = []
        let resumed = try ResultFile.openForResume(path: file.path, amendHook: { step, _ in steps.append(step) })
        XCTAssertEqual(steps, [])
        try resumed.close()
        try checkScanning(file.path, "compressed")
    }
}
