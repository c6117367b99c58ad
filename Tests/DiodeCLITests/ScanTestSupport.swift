import DiodeScan
import Foundation
import XCTest

/// Runs the built `diodescan` binary for the scan integration tests.
enum DiodescanBinary {
    /// `DIODESCAN_BIN` (scripts/test.sh points it at the release build), else
    /// the `diodescan` next to this test bundle (built by `swift test`).
    static let url: URL = {
        if let path = ProcessInfo.processInfo.environment["DIODESCAN_BIN"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let testBundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
        let directory = testBundle.map { URL(fileURLWithPath: $0.bundlePath).deletingLastPathComponent() }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return directory.appendingPathComponent("diodescan")
    }()

    /// The repository root (for jobs/).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `mpirun` on PATH, if any.
    static let mpirun: URL? = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()
}

/// A launched `diodescan scan` (or `mpirun … diodescan scan`) with captured output.
final class ScanProcess {
    let process = Process()
    private let stdoutFile: URL
    private let stderrFile: URL

    /// - Parameters:
    ///   - mpiRanks: run under `mpirun -np N --oversubscribe` when set.
    ///   - replacingArguments: run `program` (default: diodescan) with
    ///     exactly these arguments instead of `scan scanArguments`.
    init(_ scanArguments: [String], in directory: URL, mpiRanks: Int? = nil, environment extra: [String: String] = [:],
         replacingArguments: [String]? = nil, program: URL? = nil) throws {
        let arguments = replacingArguments ?? (["scan"] + scanArguments)
        // Drop what an MPI singleton in this test process (the I/O tests) put
        // into the environment: inherited, it makes mpirun believe it runs
        // inside a job.
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_", "PRTE_"].contains { key.hasPrefix($0) }
        }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        for (key, value) in extra { environment[key] = value }
        if let ranks = mpiRanks {
            guard let mpirun = DiodescanBinary.mpirun else { throw XCTSkip("mpirun is not installed; skipping the MPI integration tests") }
            process.executableURL = mpirun
            process.arguments = ["-np", String(ranks), "--oversubscribe"]
                + extra.keys.sorted().flatMap { ["-x", $0] }
                + [DiodescanBinary.url.path] + arguments
        } else {
            process.executableURL = program ?? DiodescanBinary.url
            process.arguments = arguments
        }
        process.environment = environment
        process.currentDirectoryURL = directory
        let id = UUID().uuidString
        stdoutFile = directory.appendingPathComponent(".stdout-\(id)")
        stderrFile = directory.appendingPathComponent(".stderr-\(id)")
        FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits for the process (failing the test after `timeout` seconds) and returns its exit status.
    @discardableResult
    func wait(timeout: TimeInterval = 120, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            XCTFail("diodescan did not finish within \(timeout) s: \(stderr)", file: file, line: line)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }
}

/// A fresh directory per test, removed afterwards.
func makeScratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("diodescan-scan-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Every tile's values of a result file, plus which tiles are marked done.
struct ScanResults {
    var tiles: [TileIndex: TileValues]
    var completed: Set<TileIndex>
    var axes: ScanAxes

    init(path: String) throws {
        let file = try ResultFile.openForReading(path: path)
        axes = file.axes
        completed = try file.completedTiles()
        var tiles: [TileIndex: TileValues] = [:]
        for tile in file.axes.allTiles { tiles[tile] = try file.values(for: tile) }
        self.tiles = tiles
        try file.close()
    }

    /// Bitwise equality of every result dataset and coordinate (run metadata ignored).
    func assertIdentical(to other: ScanResults, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(axes, other.axes, "\(label): axes", file: file, line: line)
        XCTAssertEqual(completed, other.completed, "\(label): completed tiles", file: file, line: line)
        for (tile, values) in tiles {
            XCTAssertTrue(values.isBitwiseEqual(to: other.tiles[tile] ?? TileValues(pointCount: 0)),
                          "\(label): values of \(tile) differ", file: file, line: line)
        }
    }
}
