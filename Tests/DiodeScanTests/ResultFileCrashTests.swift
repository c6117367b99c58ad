@testable import DiodeScan
import DiodeTestSupport
import Foundation
import XCTest

/// SIGKILL a process writing a result file at random moments (during
/// creation, between and inside tile writes, during `finish`), and check each
/// time that the file opens for resume, that every tile the writer reported
/// as written is complete with exact values, and finally that resuming
/// completes the scan with every value exact.
final class ResultFileCrashTests: XCTestCase {
    let counts = (dT: 4, eps3: 30, eps1: 500)

    func testSIGKILLAtRandomMomentsLeavesResumableFile() throws {
        let helper = try Self.helperPath()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("killed.h5")
        let total = counts.dT * counts.eps3
        var generator = SystemRandomNumberGenerator()
        var previouslyDone = Set<TileIndex>()
        var log: [String] = []
        var partialRounds = 0

        // DIODESCAN_KILL_ROUNDS raises the number of kills for a stress run.
        let rounds = ProcessInfo.processInfo.environment["DIODESCAN_KILL_ROUNDS"].flatMap { Int($0) } ?? 8
        for round in 0..<rounds {
            // The helper kills itself: round 0 during start-up/creation,
            // round 1 right after half the tiles, later rounds after a random
            // number of the remaining tiles (up to all: then during finish)
            // plus a random delay while it keeps writing. Once the scan is
            // complete, rounds kill during the resume conversion or finish.
            let remaining = total - previouslyDone.count
            let killAfter =
                round == 0 || remaining == 0 ? 0 : round == 1 ? remaining / 2 : Int.random(in: 1...remaining, using: &generator)
            let delay = round == 1 ? 0 : UInt32.random(in: 0...(killAfter == 0 ? 20_000 : 3_000), using: &generator)
            let run = try Self.launch(
                helper, ["write-tiles", path, "\(counts.dT)", "\(counts.eps3)", "\(counts.eps1)", "\(killAfter)", "\(delay)"])
            let reported = run.waitForLines(Int.max)
            run.process.waitUntilExit()
            let context = "round \(round): killed after tile \(killAfter) + \(delay) µs, \(reported.count) reported; \(log)"
            log.append("\(killAfter)+\(delay)µs:\(reported.count)")
            let killed = run.process.terminationReason == .uncaughtSignal && run.process.terminationStatus == SIGKILL
            XCTAssertTrue(killed || run.process.terminationStatus == 0, "\(context): \(run.errorOutput())")

            guard FileManager.default.fileExists(atPath: path) else {
                XCTAssertTrue(reported.isEmpty && previouslyDone.isEmpty, "file vanished; \(context)")
                continue
            }
            let file = try ResultFile.openForResume(path: path)
            let done = try file.completedTiles()
            XCTAssertTrue(done.isSuperset(of: previouslyDone), "finished tiles were lost; \(context)")
            XCTAssertTrue(done.isSuperset(of: reported), "a reported tile is not marked done; \(context)")
            for tile in done {
                XCTAssertEqual(
                    try file.values(for: tile), ResultFileFixture.values(for: tile, pointCount: counts.eps1),
                    "\(tile) \(context)")
            }
            try file.close()
            if !done.isEmpty && done.count < total { partialRounds += 1 }
            previouslyDone = done
        }
        XCTAssertGreaterThan(partialRounds, 0, "no kill landed in the middle of a scan: \(log)")

        // Resume without interruption: the scan completes exactly.
        let run = try Self.launch(helper, ["write-tiles", path, "\(counts.dT)", "\(counts.eps3)", "\(counts.eps1)"])
        let lines = run.waitForLines(Int.max)
        run.process.waitUntilExit()
        XCTAssertEqual(run.process.terminationStatus, 0, run.errorOutput())
        XCTAssertEqual(lines.count, total - previouslyDone.count, "the resume rewrote finished tiles")
        let final = try ResultFile.openForReading(path: path)
        XCTAssertEqual(try final.completedTiles().count, total)
        for tile in final.axes.allTiles {
            XCTAssertEqual(try final.values(for: tile), ResultFileFixture.values(for: tile, pointCount: counts.eps1))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".finishing"))
    }

    func testRunningWritersFileIsReportedInUseAndReadableWithoutLocking() throws {
        let helper = try Self.helperPath()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("busy.h5")
        // File locking on in both children, even if another test of this
        // process turned it off (HDF5 reads the variable once per process).
        var environment = ProcessInfo.processInfo.environment
        environment["HDF5_USE_FILE_LOCKING"] = nil
        let run = try Self.launch(
            helper, ["write-tiles", path, "\(counts.dT)", "\(counts.eps3)", "\(counts.eps1)"], environment: environment)
        defer {
            kill(run.process.processIdentifier, SIGKILL)
            run.process.waitUntilExit()
        }
        XCTAssertGreaterThanOrEqual(run.waitForLines(1).count, 1, "a first batch (of 1 to 8 tiles) is on disk")
        kill(run.process.processIdentifier, SIGSTOP)  // frozen with the file open
        let second = try Self.launch(helper, ["open-for-resume", path], environment: environment)
        second.process.waitUntilExit()
        let message = second.errorOutput()
        XCTAssertEqual(second.process.terminationStatus, 1, message)
        XCTAssertTrue(
            message.contains("'\(path)' is open in another process (is another diodescan still writing it?)"), message)

        // Readers that skip locking (h5py's locking=False, as the analysis
        // tools do) see a consistent file: metadata never changes while
        // scanning, and flagged tiles hold their exact values.
        guard ResultFilePythonTests.python(["-c", "import h5py"]).status == 0 else { return }
        let script = """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r", locking=False) as f:
                done = np.argwhere(f["tile_done"][...] == 1)
                assert len(done) >= 1, "no tile done"
                for d, e in done:
                    row = f["I_B"][d, e, :]
                    expected = 100 * d + 10 * e + 0.2 + np.arange(row.size) / 8
                    expected[2] = np.nan
                    assert np.array_equal(row, expected, equal_nan=True), (d, e)
                assert f.attrs["file_stage"] == "scanning"
            print(len(done))
            """
        let reader = ResultFilePythonTests.python(["-c", script, path])
        XCTAssertEqual(reader.status, 0, reader.output)
    }

    // MARK: Child process plumbing

    struct Run {
        let process: Process
        let output: FileHandle
        let error: Pipe

        /// Reads stdout until `count` "wrote" lines have arrived (or the
        /// child exits) and returns the tiles they name.
        func waitForLines(_ count: Int) -> Set<TileIndex> {
            var tiles = Set<TileIndex>()
            var buffer = ""
            while tiles.count < count {
                let data = output.availableData
                if data.isEmpty { break }
                buffer += String(decoding: data, as: UTF8.self)
                while let newline = buffer.firstIndex(of: "\n") {
                    let fields = buffer[..<newline].split(separator: " ")
                    buffer.removeSubrange(...newline)
                    if fields.count == 3, fields[0] == "wrote", let d = Int(fields[1]), let e = Int(fields[2]) {
                        tiles.insert(TileIndex(dT: d, eps3: e))
                    }
                }
            }
            return tiles
        }

        func errorOutput() -> String {
            String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
    }

    static func launch(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        return Run(process: process, output: output.fileHandleForReading, error: error)
    }

    /// The DiodeIOTestHelper executable, built next to the test bundle.
    static func helperPath() throws -> String {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
            URL(fileURLWithPath: CommandLine.arguments[0]),
            Bundle.main.bundleURL.appendingPathComponent("x"),
        ].map { $0.deletingLastPathComponent().appendingPathComponent("DiodeIOTestHelper").path }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("DiodeIOTestHelper is not built next to the tests (looked at \(candidates))")
        }
        return path
    }
}
