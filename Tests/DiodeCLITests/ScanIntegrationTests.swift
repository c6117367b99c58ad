import DiodeScan
import Foundation
import XCTest

/// End-to-end tests of `diodescan scan`: the built binary, alone and under
/// `mpirun`, on a small job with cheap physics (jobs/test-small.toml).
final class ScanIntegrationTests: XCTestCase {
    var directory: URL!
    let job = DiodescanBinary.repository.appendingPathComponent("jobs/test-small.toml").path

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// An uninterrupted run without launcher, computed once for all tests.
    func reference() throws -> ScanResults {
        if let cached = Self.cachedReference { return cached }
        let run = try ScanProcess([job, "--output", "reference.h5", "--quiet", "--threads", "1"], in: directory)
        XCTAssertEqual(run.wait(), 0, run.stderr)
        let results = try ScanResults(path: path("reference.h5"))
        XCTAssertEqual(results.completed.count, results.axes.tileCount, "reference run complete")
        XCTAssertTrue(results.tiles.values.allSatisfy { $0[.statusF].allSatisfy { $0 == 0 } && $0[.statusB].allSatisfy { $0 == 0 } },
                      "every reference point converged")
        Self.cachedReference = results
        return results
    }
    nonisolated(unsafe) static var cachedReference: ScanResults?

    func testSameResultsWithoutLauncherAndWithAnyNumberOfRanksAndThreads() throws {
        let reference = try reference()
        let threaded = try ScanProcess([job, "--output", "threads3.h5", "--quiet", "--threads", "3"], in: directory)
        XCTAssertEqual(threaded.wait(), 0, threaded.stderr)
        try ScanResults(path: path("threads3.h5")).assertIdentical(to: reference, "no launcher, 3 threads")
        for (ranks, threads) in [(1, 2), (2, 1), (4, 2)] {
            let name = "np\(ranks).h5"
            let run = try ScanProcess([job, "--output", name, "--quiet", "--threads", String(threads)], in: directory, mpiRanks: ranks)
            XCTAssertEqual(run.wait(), 0, run.stderr)
            try ScanResults(path: path(name)).assertIdentical(to: reference, "mpirun -np \(ranks), \(threads) threads")
        }
    }

    func testCompressedOutputHoldsTheSameResults() throws {
        let reference = try reference()
        let text = try String(contentsOfFile: job, encoding: .utf8)
            .replacingOccurrences(of: "[output]\n", with: "[output]\ncompression = \"deflate\"\n")
        let compressedJob = path("compressed.toml")
        try text.write(toFile: compressedJob, atomically: true, encoding: .utf8)
        let run = try ScanProcess([compressedJob, "--output", "compressed.h5", "--quiet", "--threads", "2"], in: directory)
        XCTAssertEqual(run.wait(), 0, run.stderr)
        try ScanResults(path: path("compressed.h5")).assertIdentical(to: reference, "compression = \"deflate\"")
        if let h5dump = ["/usr/bin/h5dump", "/usr/local/bin/h5dump"].first(where: FileManager.default.isExecutableFile) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: h5dump)
            process.arguments = ["-p", "-H", "-d", "R_I", path("compressed.h5")]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let dump = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertTrue(dump.contains("DEFLATE") && dump.contains("SHUFFLE") && dump.contains("CHUNKED"), dump)
        }

        let bad = path("bad-compression.toml")
        try text.replacingOccurrences(of: "\"deflate\"", with: "\"zstd\"").write(toFile: bad, atomically: true, encoding: .utf8)
        let rejected = try ScanProcess([bad, "--output", "never.h5"], in: directory)
        XCTAssertEqual(rejected.wait(), 2)
        XCTAssertTrue(rejected.stderr.contains("output.compression = \"zstd\" is not allowed"), rejected.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("never.h5")))
    }

    func testProgressGoesToStderrAndQuietSilencesIt() throws {
        let loud = try ScanProcess([job, "--output", "loud.h5", "--threads", "1"], in: directory)
        XCTAssertEqual(loud.wait(), 0)
        XCTAssertTrue(loud.stderr.contains("48/48 points (100.0%)"), loud.stderr)
        XCTAssertTrue(loud.stderr.contains("0 not converged"), loud.stderr)
        XCTAssertEqual(loud.stdout, "")
        let quiet = try ScanProcess([job, "--output", "quiet.h5", "--quiet"], in: directory)
        XCTAssertEqual(quiet.wait(), 0)
        XCTAssertEqual(quiet.stderr, "")
    }

    func testSigtermStopsWithinSecondsAndResumeCompletesIdentically() throws {
        let reference = try reference()
        // 30 ms per point: the scan takes at least 1.4 s on one thread, long enough to interrupt.
        let run = try ScanProcess([job, "--output", "interrupted.h5", "--threads", "1", "--progress-interval", "0"], in: directory,
                                  environment: ["DIODESCAN_TEST_POINT_DELAY": "0.03"])
        waitForCompletedTiles(process: run)
        let signalled = Date()
        run.signal(SIGTERM)
        XCTAssertEqual(run.wait(), 143, run.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 5, "stops within seconds")
        XCTAssertTrue(run.stderr.contains("stopped by SIGTERM"), run.stderr)
        let partial = try ScanResults(path: path("interrupted.h5"))
        XCTAssertGreaterThan(partial.completed.count, 0)
        XCTAssertLessThan(partial.completed.count, partial.axes.tileCount, "the scan was interrupted")

        let resumed = try ScanProcess([job, "--output", "interrupted.h5", "--resume", "--quiet"], in: directory)
        XCTAssertEqual(resumed.wait(), 0, resumed.stderr)
        try ScanResults(path: path("interrupted.h5")).assertIdentical(to: reference, "SIGTERM + resume")
    }

    func testSigintAndSigusr1ExitWith128PlusSignal() throws {
        for (signal, status) in [(SIGINT, 130), (SIGUSR1, 138)] as [(Int32, Int32)] {
            let run = try ScanProcess([job, "--output", "interrupted-\(signal).h5", "--threads", "1", "--progress-interval", "0"],
                                      in: directory, environment: ["DIODESCAN_TEST_POINT_DELAY": "0.03"])
            waitForCompletedTiles(process: run)
            run.signal(signal)
            XCTAssertEqual(run.wait(), status, run.stderr)
            XCTAssertTrue(run.stderr.contains("--resume"), run.stderr)
        }
    }

    /// Launchers deliver a stop signal more than once; the repeat must not
    /// cut the orderly stop short (the first stop still writes the file and
    /// reports), while a second Ctrl-C exits at once.
    func testRepeatedSigtermIsIgnoredButSecondSigintExitsAtOnce() throws {
        XCTAssertFalse(StopSignals.exitsAtOnce(repeating: SIGTERM, with: SIGTERM))
        XCTAssertFalse(StopSignals.exitsAtOnce(repeating: SIGUSR1, with: SIGUSR1))
        XCTAssertTrue(StopSignals.exitsAtOnce(repeating: SIGINT, with: SIGINT))
        XCTAssertTrue(StopSignals.exitsAtOnce(repeating: SIGUSR1, with: SIGTERM))

        let run = try ScanProcess([job, "--output", "double-term.h5", "--threads", "1", "--progress-interval", "0"],
                                  in: directory, environment: ["DIODESCAN_TEST_POINT_DELAY": "0.03"])
        waitForCompletedTiles(process: run)
        run.signal(SIGTERM)
        run.signal(SIGTERM)
        XCTAssertEqual(run.wait(), 143, run.stderr)
        XCTAssertTrue(run.stderr.contains("stopped by SIGTERM"), "the orderly stop ran to its end: \(run.stderr)")
        XCTAssertGreaterThan(try ScanResults(path: path("double-term.h5")).completed.count, 0)
    }

    func testSigkillAtRandomMomentsThenResumeIsIdentical() throws {
        let reference = try reference()
        var generator = SystemRandomNumberGenerator()
        for attempt in 0..<3 {
            let name = "killed\(attempt).h5"
            let run = try ScanProcess([job, "--output", name, "--threads", "2", "--quiet"], in: directory,
                                      environment: ["DIODESCAN_TEST_POINT_DELAY": "0.02"])
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.8, using: &generator))
            run.signal(SIGKILL)
            run.wait()
            // --resume also starts the file if the kill came before it existed.
            let resumed = try ScanProcess([job, "--output", name, "--resume", "--quiet"], in: directory)
            XCTAssertEqual(resumed.wait(), 0, "attempt \(attempt): \(resumed.stderr)")
            try ScanResults(path: path(name)).assertIdentical(to: reference, "SIGKILL attempt \(attempt) + resume")
        }
    }

    func testSigtermUnderMpirunLeavesResumableFile() throws {
        let reference = try reference()
        let run = try ScanProcess([job, "--output", "mpi-term.h5", "--threads", "1", "--progress-interval", "0"], in: directory, mpiRanks: 2,
                                  environment: ["DIODESCAN_TEST_POINT_DELAY": "0.04"])
        waitForCompletedTiles(process: run)
        run.signal(SIGTERM)
        XCTAssertNotEqual(run.wait(timeout: 30), 0, "an interrupted scan exits non-zero")
        let resumed = try ScanProcess([job, "--output", "mpi-term.h5", "--resume", "--quiet"], in: directory, mpiRanks: 2)
        XCTAssertEqual(resumed.wait(), 0, resumed.stderr)
        try ScanResults(path: path("mpi-term.h5")).assertIdentical(to: reference, "mpirun SIGTERM + resume")
    }

    func testAbortingRankLeavesFileThatResumeCompletes() throws {
        let reference = try reference()
        let run = try ScanProcess([job, "--output", "aborted.h5", "--threads", "1", "--quiet"], in: directory, mpiRanks: 2,
                                  environment: ["DIODESCAN_TEST_ABORT_AFTER_TILES": "2", "DIODESCAN_TEST_ABORT_RANK": "1",
                                                "DIODESCAN_TEST_POINT_DELAY": "0.01"])
        XCTAssertNotEqual(run.wait(), 0, "the job aborts")
        XCTAssertTrue(run.stderr.contains("DIODESCAN_TEST_ABORT_AFTER_TILES"), run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("aborted.h5")))
        let partial = try ScanResults(path: path("aborted.h5"))
        XCTAssertLessThan(partial.completed.count, partial.axes.tileCount)

        let resumed = try ScanProcess([job, "--output", "aborted.h5", "--resume", "--quiet"], in: directory)
        XCTAssertEqual(resumed.wait(), 0, resumed.stderr)
        try ScanResults(path: path("aborted.h5")).assertIdentical(to: reference, "abort + resume")
    }

    func testDryRunValidatesEstimatesAndWritesNothing() throws {
        let run = try ScanProcess(["--dry-run", job, "--output", "never.h5"], in: directory)
        XCTAssertEqual(run.wait(), 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("= 48 points in 8 tiles of 6 points"), run.stdout)
        XCTAssertTrue(run.stdout.contains("core-hours"), run.stdout)
        // Timed as tiles run: short lines of consecutive points, cold then continued.
        XCTAssertTrue(run.stdout.contains("runs of 6 points:"), run.stdout)   // whole tiles of 6
        XCTAssertTrue(run.stdout.contains("ms continued"), run.stdout)
        XCTAssertTrue(run.stdout.contains("nothing written"), run.stdout)
        let written = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".std") }
        XCTAssertEqual(written, [])
    }

    func testBadJobExitsWithStatus2AndWritesNothing() throws {
        let text = try String(contentsOfFile: job, encoding: .utf8).replacingOccurrences(of: "lambda = 1.0", with: "lambda = 2.0")
        try text.write(toFile: path("bad.toml"), atomically: true, encoding: .utf8)
        for ranks in [nil, 2] as [Int?] {
            let run = try ScanProcess([path("bad.toml"), "--output", "bad.h5"], in: directory, mpiRanks: ranks)
            XCTAssertEqual(run.wait(), ranks == nil ? 2 : run.process.terminationStatus)
            XCTAssertNotEqual(run.process.terminationStatus, 0)
            XCTAssertTrue(run.stderr.contains("model.lambda = 2.0 is out of range; allowed: 0 ≤ lambda ≤ 1"), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("bad.h5")))
        }
        let dry = try ScanProcess(["--dry-run", path("bad.toml")], in: directory)
        XCTAssertEqual(dry.wait(), 2)
    }

    /// A file that an earlier run of `job` started (interrupted at once, so it is quick).
    private func existingFile(_ name: String) throws -> Data {
        let run = try ScanProcess([job, "--output", name, "--quiet"], in: directory,
                                  environment: ["DIODESCAN_TEST_ABORT_AFTER_TILES": "1"])
        XCTAssertNotEqual(run.wait(), 0)
        return try Data(contentsOf: URL(fileURLWithPath: path(name)))
    }

    func testExistingOutputIsNeverTouchedWithoutOverwriteOrResume() throws {
        let before = try existingFile("existing.h5")
        let run = try ScanProcess([job, "--output", "existing.h5"], in: directory)
        XCTAssertEqual(run.wait(), 2)
        XCTAssertTrue(run.stderr.contains("--overwrite") && run.stderr.contains("--resume"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("existing.h5"))), before)

        let replaced = try ScanProcess([job, "--output", "existing.h5", "--overwrite", "--quiet"], in: directory)
        XCTAssertEqual(replaced.wait(), 0, replaced.stderr)
        try ScanResults(path: path("existing.h5")).assertIdentical(to: try reference(), "overwritten")
    }

    func testResumeRefusesADifferentJob() throws {
        let before = try existingFile("existing.h5")
        let text = try String(contentsOfFile: job, encoding: .utf8).replacingOccurrences(of: "gamma = 3.0", with: "gamma = 2.0")
        try text.write(toFile: path("other.toml"), atomically: true, encoding: .utf8)
        let run = try ScanProcess([path("other.toml"), "--output", "existing.h5", "--resume"], in: directory)
        XCTAssertEqual(run.wait(), 2)
        XCTAssertTrue(run.stderr.contains("different job"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("existing.h5"))), before)
    }

    func testConflictingFlagsAreAUsageError() throws {
        let run = try ScanProcess([job, "--resume", "--overwrite"], in: directory)
        XCTAssertEqual(run.wait(), 2)
        XCTAssertTrue(run.stderr.contains("exclude each other"), run.stderr)
    }

    /// Waits until the scan reports a finished tile (or fails the test). The
    /// file itself cannot be read meanwhile: the writer holds HDF5's file lock.
    /// Needs `--progress-interval 0` (a progress line per finished tile).
    private func waitForCompletedTiles(process: ScanProcess, timeout: TimeInterval = 60) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            XCTAssertTrue(process.process.isRunning, "the scan ended before it could be interrupted: \(process.stderr)")
            if !process.process.isRunning { return }
            let started = process.stderr.split(separator: "\n").contains { line in
                guard let count = line.split(separator: "/").first.flatMap({ Int($0) }) else { return false }
                return count > 0
            }
            if started { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTFail("no tile finished within \(timeout) s")
    }
}
