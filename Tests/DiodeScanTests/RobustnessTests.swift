import DiodeHDF5
@testable import DiodeScan
import DiodeTestSupport
import Foundation
import Synchronization
import XCTest

/// Issue 13: input and I/O failures are thrown errors with one clear line,
/// never a trap, a hang or an allocation of whatever the input asks for.
final class RobustnessTests: XCTestCase {
    static let job = """
    [model]
    gamma = 1.0
    [grid]
    eps1 = { from = 30.0, to = 50.0, count = 5 }
    eps3 = [30.0, 40.0]
    dT = [1.0]
    """

    private func jobError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JobError? {
        do {
            _ = try ScanJob(parsing: text)
            XCTFail("accepted", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Item 2: worker threads that cannot be started

    /// Runs `body` on another thread and fails (instead of hanging the
    /// suite) if it has not returned within `seconds`.
    private func finishes(within seconds: TimeInterval, _ body: @escaping @Sendable () -> Void,
                          file: StaticString = #filePath, line: UInt = #line) {
        let done = DispatchSemaphore(value: 0)
        Thread { body(); done.signal() }.start()
        if done.wait(timeout: .now() + seconds) == .timedOut {
            XCTFail("did not return within \(seconds) s (waits for threads that never started?)", file: file, line: line)
        }
    }

    func testAFailedThreadStartIsAnErrorNotAHang() {
        finishes(within: 20) {
            let started = Mutex(0)
            do {
                _ = try TileWorkerPool<Int>(threadCount: 8, stop: StopFlag(), startThread: { index, body in
                    guard index < 3 else { return EAGAIN }
                    started.withLock { $0 += 1 }
                    return TileWorkerPool<Int>.startSystemThread(index: index, body: body)
                }) { tile, _ in tile }
                XCTFail("a pool with a failed thread was created")
            } catch let error as WorkerThreadError {
                XCTAssertEqual(error, WorkerThreadError(requested: 8, started: 3, code: EAGAIN))
                XCTAssertTrue(error.description.contains("cannot start worker thread 4 of 8"), error.description)
                XCTAssertTrue(error.description.contains("--threads"), error.description)
            } catch {
                XCTFail("\(error)")
            }
            XCTAssertEqual(started.withLock { $0 }, 3)
        }
    }

    func testAnEngineWhoseThreadsCannotStartThrows() {
        finishes(within: 20) {
            do {
                _ = try ScanEngine<TileValues>(transport: SingleProcessTransport(), threads: 4, pointsPerTile: 2,
                                               stop: StopFlag(), startThread: { _, _ in ENOMEM }, evaluate: { _, _ in nil })
                XCTFail("an engine without threads was created")
            } catch {
                XCTAssertEqual(error as? WorkerThreadError, WorkerThreadError(requested: 4, started: 0, code: ENOMEM))
            }
            do {
                _ = try TileWorkerPool<Int>(threadCount: 0, stop: StopFlag(), evaluate: { tile, _ in tile })
                XCTFail("a pool without threads was created")
            } catch {
                XCTAssertTrue("\(error)".contains("at least one thread"), "\(error)")
            }
        }
    }

    // MARK: Audit: messages from other ranks are checked, not trusted

    func testOutOfRangeTilesAndNegativeRequestsFromOtherRanksAreProtocolErrors() throws {
        let payload = TileValues(pointCount: 2).encoded()[...]
        for message in [ScanMessage.results([FinishedTile(tile: 99, payload: payload)]), .request(count: -1)] {
            let engine = try ScanEngine<TileValues>(transport: ScriptedTransport(rank: 0, size: 2, messages: [message]),
                                                    threads: 1, pointsPerTile: 2, stop: StopFlag()) { _, _ in nil }
            engine.validTiles = 0..<4
            XCTAssertThrowsError(try engine.coordinate(pending: [0, 1, 2, 3]) { _, _ in }) { error in
                XCTAssertTrue(error is ScanProtocolError, "\(error)")
            }
        }
        let worker = try ScanEngine<TileValues>(
            transport: ScriptedTransport(rank: 1, size: 2, messages: [.assign(tiles: [1, -5])]),
            threads: 1, pointsPerTile: 2, stop: StopFlag()) { _, _ in nil }
        worker.validTiles = 0..<4
        XCTAssertThrowsError(try worker.serve()) { error in
            XCTAssertTrue("\(error)".contains("assign of 2 tiles"), "\(error)")
        }
    }

    func testMalformedResultMessagesAreRejectedWithoutOverflow() {
        let good = MPITransport.message(for: [FinishedTile(tile: 3, payload: [1, 2, 3][...])])
        XCTAssertEqual(MPITransport.finishedTiles(in: good)?.first?.tile, 3)
        for bad in [[1e18], [0, 1, 2, 9.2e18], [1, 2, 3, 9.2e18, 3, 1], [1, 2, 3, 4e18, 3, 1], [-1], [.nan], []] as [[Double]] {
            XCTAssertNil(MPITransport.finishedTiles(in: bad), "\(bad)")
        }
    }

    // MARK: Item 4: huge grids are refused before anything is allocated

    func testAHugeCountIsRefusedNamingTheKeyAndTheSize() throws {
        let text = Self.job.replacingOccurrences(of: "count = 5", with: "count = 1000000000000")
        let error = try XCTUnwrap(jobError(text))
        XCTAssertEqual(error.key, "grid.eps1.count")
        XCTAssertTrue(error.description.contains("1000000000000"), error.description)
        XCTAssertTrue(error.description.contains("at most 1000000"), error.description)
    }

    func testAGridOfTooManyPointsIsRefused() throws {
        let text = Self.job
            .replacingOccurrences(of: "count = 5", with: "count = 1000000")
            .replacingOccurrences(of: "eps3 = [30.0, 40.0]", with: "eps3 = { from = 1.0, to = 2.0, count = 1000000 }")
        let error = try XCTUnwrap(jobError(text))
        XCTAssertEqual(error.key, "grid")
        XCTAssertTrue(error.description.contains("1000000 eps1 × 1000000 eps3 × 1 dT"), error.description)
    }

    func testAFileBiggerThanTheFreeSpaceIsNotCreated() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // 10^6 × 10^6 points: 144 TB.
        let axis = (0..<1_000_000).map(Double.init)
        let path = directory.file("huge.h5")
        XCTAssertThrowsError(try ResultFile.create(path: path, axes: ScanAxes(eps1: axis, eps3: axis, dT: [1]),
                                                   metadata: ResultFileFixture.metadata(), overwrite: false)) { error in
            XCTAssertTrue("\(error)".contains("not enough free space: the file needs about 144 TB"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    // MARK: Item 5: --overwrite replaces result files only

    func testOverwriteRefusesWhatIsNotARegularFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.file("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let folder = directory.file("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let link = directory.file("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: folder)
        for path in [fifo, folder, link] {
            XCTAssertThrowsError(try ResultFile.create(path: path, axes: ResultFileFixture.axes,
                                                       metadata: ResultFileFixture.metadata(), overwrite: true)) { error in
                XCTAssertTrue("\(error)".contains("is not a regular file"), "\(error)")
            }
        }
        var status = stat()
        XCTAssertEqual(stat(fifo, &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(lstat(link, &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFLNK)
    }

    // MARK: Item 9: smaller ones

    func testDeeplyNestedArraysAreRejectedNotACrash() throws {
        for opening in ["[", "{ a = "] {
            let text = Self.job + "\n[solver]\nx = " + String(repeating: opening, count: 60_000) + "\n"
            let error = try XCTUnwrap(jobError(text))
            XCTAssertTrue(error.description.contains("nest more than 32 deep"), error.description)
        }
        let header = "[" + Array(repeating: "a", count: 60_000).joined(separator: ".") + "]\n"
        XCTAssertTrue(try XCTUnwrap(jobError(header)).description.contains("more than 32 parts"))
    }

    func testARejectedValueIsQuotedShort() throws {
        let long = "[" + (0..<20_000).map { "\($0).5" }.joined(separator: ", ") + "]"
        for text in [Self.job.replacingOccurrences(of: "gamma = 1.0", with: "gamma = \(long)"),
                     Self.job.replacingOccurrences(of: "gamma = 1.0", with: "gamma = \"\(String(repeating: "x", count: 100_000))\""),
                     Self.job.replacingOccurrences(of: "gamma = 1.0", with: "gamma = \(String(repeating: "y", count: 100_000))"),
                     Self.job.replacingOccurrences(of: "gamma = 1.0", with: "\(String(repeating: "k", count: 100_000)) = 1")] {
            let error = try XCTUnwrap(jobError(text))
            XCTAssertLessThan(error.description.count, 600, String(error.description.prefix(200)))
            XCTAssertFalse(error.description.contains("\n"))
        }
    }

    func testGammaWithGamma1IsOneRuleForJobsAndPoint() throws {
        XCTAssertThrowsError(try ModelSpec.widths(gamma: 3, gamma1: 1, gamma3: nil)) { error in
            XCTAssertEqual(error as? WidthError, .bothSet("gamma1"))
        }
        XCTAssertThrowsError(try ModelSpec.widths(gamma: 3, gamma1: nil, gamma3: 1)) { error in
            XCTAssertEqual(error as? WidthError, .bothSet("gamma3"))
        }
        XCTAssertThrowsError(try ModelSpec.widths(gamma: nil, gamma1: 1, gamma3: nil))
        XCTAssertEqual(try ModelSpec.widths(gamma: nil, gamma1: 1, gamma3: 2).1, 2)
        let error = try XCTUnwrap(jobError(Self.job.replacingOccurrences(of: "gamma = 1.0", with: "gamma = 1.0\ngamma1 = 2.0")))
        XCTAssertEqual(error.key, "model.gamma1")
    }

    func testTemporaryNamesAreUniqueAndABusyOldTemporaryDoesNotBlock() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("out.h5")
        XCTAssertNotEqual(ResultFile.temporaryName(for: path, suffix: "creating"),
                          ResultFile.temporaryName(for: path, suffix: "creating"))
        // Another process building `out.h5.creating` (it holds the lock HDF5 takes).
        let other = open(path + ".creating", O_RDWR | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(other, 0)
        defer { close(other) }
        XCTAssertEqual(flock(other, LOCK_EX | LOCK_NB), 0)
        let file = try ResultFile.create(path: path, axes: ResultFileFixture.axes, metadata: ResultFileFixture.metadata(),
                                         overwrite: false)
        try file.close()
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + ".creating"), "a live builder's file is left alone")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["out.h5", "out.h5.creating"])
    }

    func testAStaleTemporaryIsRemoved() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("out.h5")
        for name in [path + ".creating", path + ".creating.123.abc"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: name, contents: Data("x".utf8)))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: name)
        }
        let file = try ResultFile.create(path: path, axes: ResultFileFixture.axes, metadata: ResultFileFixture.metadata(),
                                         overwrite: false)
        try file.close()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.h5"])
    }

    func testJobFilesThatCannotBeReadGiveOneLine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        XCTAssertThrowsError(try ScanRunner.readJobFile(directory.path)) { error in
            XCTAssertEqual("\(error)", "cannot read job file '\(directory.path)': it is a directory")
        }
        XCTAssertThrowsError(try ScanRunner.readJobFile(directory.file("missing.toml"))) { error in
            XCTAssertTrue("\(error)".hasSuffix(": No such file or directory"), "\(error)")
        }
        let binary = directory.file("binary.toml")
        XCTAssertTrue(FileManager.default.createFile(atPath: binary, contents: Data([0xFF, 0xFE, 0x00])))
        XCTAssertThrowsError(try ScanRunner.readJobFile(binary)) { error in
            XCTAssertTrue("\(error)".hasSuffix("it is not UTF-8 text"), "\(error)")
        }
        let blocker = directory.file("file")
        XCTAssertTrue(FileManager.default.createFile(atPath: blocker, contents: Data()))
        XCTAssertThrowsError(try ScanRunner.createParentDirectories(of: blocker + "/sub/out.h5")) { error in
            XCTAssertEqual("\(error)", "cannot create output file '\(blocker)/sub/out.h5': '\(blocker)' is not a directory")
        }
    }

    func testHDF5DiskFullErrorsNameTheFileAndTheCause() {
        let error = HDF5Error(call: "H5Dwrite", object: "I_F", message: "file write failed: time = x\n, filename = 'a.h5', "
                              + "errno = 28, error message = 'No space left on device', buf = 0x1")
        let wrapped = ResultFileIOError(path: "/data/out.h5", underlying: error)
        XCTAssertEqual(ScanRunner.describe(wrapped), "cannot write /data/out.h5: No space left on device (H5Dwrite)")
    }
}

/// A transport that delivers a fixed list of messages from rank 1 (or 0)
/// and accepts every send.
final class ScriptedTransport: ScanTransport {
    let rank: Int
    let size: Int
    private var messages: [ScanMessage]

    init(rank: Int, size: Int, messages: [ScanMessage]) {
        self.rank = rank
        self.size = size
        self.messages = messages
    }

    func send(_ message: ScanMessage, to destination: Int) throws {}

    func poll() throws -> (source: Int, message: ScanMessage)? {
        messages.isEmpty ? nil : (rank == 0 ? 1 : 0, messages.removeFirst())
    }
}
