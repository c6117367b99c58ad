import DiodePhysics
import Foundation

/// One end-to-end run of `diodescan scan` on a benchmark job.
public struct ScanRunReport: Codable, Sendable {
    /// "1 thread", "2 threads", "2 MPI ranks x 1 thread", ...
    public var mode: String
    public var ranks: Int
    public var threadsPerRank: Int
    public var points: Int
    public var tiles: Int
    /// Rank 0's wall time of the scan (`ScanRunner.run`: MPI set-up, file
    /// creation, all tiles, finishing the file), s.
    public var wallSeconds: Double
    /// Wall time of the whole child process (or mpirun) from launch to exit, s.
    public var processSeconds: Double
    public var pointsPerSecond: Double
    /// pointsPerSecond / (workers × the 1-thread pointsPerSecond); 1 for the 1-thread run.
    public var efficiency: Double?
    /// Peak resident memory (ru_maxrss) of each rank, MiB, by rank.
    public var peakMemoryMiBPerRank: [Double]
    /// Size of the finished result file per grid point, bytes (uncompressed,
    /// the default `[output] compression = "none"`).
    public var fileBytesPerPoint: Double
    /// CPU time of each rank's main thread, s, by rank (`ScanRunStatistics`):
    /// on rank 0 the scheduling, receiving, writing and finishing of the file;
    /// elsewhere scheduling and messages. Workers not included.
    public var mainThreadCPUSecondsPerRank: [Double]?
    /// Rank 0's main-thread CPU time / wall time: its share of the run's
    /// wall time (the target: < 2 %).
    public var rankZeroShareOfWallTime: Double?
    /// Rank 0's wall time of `ResultFile.finish` in this run, s.
    public var finishSeconds: Double?
}

/// Rank 0's own work, measured in isolation on the benchmark grid: decoding
/// tiles' MPI payloads and writing them into the HDF5 result file, one by one
/// and batched as a scan does, and finishing the file with and without
/// compression.
public struct RankZeroCost: Codable, Sendable {
    public var tilesWritten: Int
    public var pointsPerTile: Int
    /// Decode + `ResultFile.write` of one tile on its own (flags, values,
    /// flags, three flushes), ms per tile.
    public var decodeAndWriteMilliseconds: Percentiles
    /// Decode + `BatchedTileWriter` (as in a scan: batches of up to 100,000
    /// points), total over `tilesWritten` tiles / `tilesWritten`, ms per tile.
    public var batchedDecodeAndWriteMilliseconds: Double?
    /// `ResultFile.finish` with `compression = "none"` (copy + attributes) of
    /// a file of the whole grid with `tilesWritten` tiles written, s.
    public var finishSeconds: Double
    /// The same with `compression = "deflate"` (rewrite, chunked, shuffle +
    /// deflate level 1), s.
    public var finishCompressedSeconds: Double?
    /// (batched per-tile cost × tiles + finish) / wall time of the 2-rank
    /// scan (or the fastest run when mpirun is missing).
    public var fractionOfWallTime: Double?
}

/// Runs small real scans of the Fig. 2 setting through the `diodescan`
/// binary itself (one child process per run, `mpirun` for the MPI run).
public struct ScanBenchmark {
    /// The `diodescan` executable to launch.
    public var executable: URL
    public var directory: URL

    public init(executable: URL, directory: URL) {
        self.executable = executable
        self.directory = directory
    }

    /// ε1 points per tile of the benchmark scans.
    public static let pointsPerTile = 200

    /// The benchmark job: Fig. 2 settings on an `eps1Count` × `eps3Count`
    /// grid over ε ∈ [30, 55], ΔT = 1.
    public static func jobText(eps1Count: Int, eps3Count: Int) -> String {
        """
        title = "diodescan bench: Fig. 2 settings"

        [model]
        mu = \(BenchmarkSetting.mu)
        gamma = 3.0
        lambda = 1.0
        d = 1.0
        screening = false

        [grid]
        eps1 = { from = 30.0, to = 55.0, count = \(eps1Count) }
        eps3 = { from = 30.0, to = 55.0, count = \(max(2, eps3Count)) }
        dT   = [1.0]

        """
    }

    /// `mpirun` on PATH, if any.
    public static var mpirun: URL? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs the job in a child process (`ranks` > 1: under `mpirun -np ranks
    /// --oversubscribe`) and collects the workers' reports.
    public func run(jobText: String, name: String, threads: Int, ranks: Int, mode: String) throws -> ScanRunReport {
        let job = directory.appendingPathComponent("\(name).toml")
        let output = directory.appendingPathComponent("\(name).h5")
        try jobText.write(to: job, atomically: true, encoding: .utf8)
        let worker = [executable.path, "bench", "--scan-worker", job.path, "--output", output.path,
                      "--threads", String(threads)]
        let process = Process()
        // What an enclosing MPI job put into the environment would make mpirun
        // believe it runs inside that job.
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "ORTE_", "PRTE_"].contains { key.hasPrefix($0) }
        }
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        process.environment = environment
        if ranks > 1 {
            guard let mpirun = Self.mpirun else { throw ScanBenchmarkError.noMPIRun }
            process.executableURL = mpirun
            process.arguments = ["-np", String(ranks), "--oversubscribe", "--bind-to", "none"] + worker
        } else {
            process.executableURL = executable
            process.arguments = Array(worker.dropFirst())
        }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        let errData = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let processSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let reports = String(decoding: outData, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONDecoder().decode(ScanWorkerReport.self, from: Data($0.utf8))
        }.sorted { $0.rank < $1.rank }
        guard process.terminationStatus == 0, reports.count == ranks, reports.allSatisfy({ $0.status == 0 }),
              let root = reports.first(where: { $0.rank == 0 }) else {
            throw ScanBenchmarkError.scanFailed(mode: mode, status: process.terminationStatus,
                                                stderr: String(decoding: errData, as: UTF8.self))
        }
        let grid = try ResolvedJob(ScanJob(parsing: jobText)).grid
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int) ?? 0
        try? FileManager.default.removeItem(at: output)
        let mainThreadCPU = reports.map(\.mainThreadCPUSeconds)
        return ScanRunReport(
            mode: mode, ranks: ranks, threadsPerRank: threads, points: grid.pointCount, tiles: grid.tileCount,
            wallSeconds: root.wallSeconds, processSeconds: processSeconds,
            pointsPerSecond: Double(grid.pointCount) / root.wallSeconds, efficiency: nil,
            peakMemoryMiBPerRank: reports.map(\.peakMemoryMiB),
            fileBytesPerPoint: Double(fileBytes) / Double(grid.pointCount),
            mainThreadCPUSecondsPerRank: mainThreadCPU,
            rankZeroShareOfWallTime: root.mainThreadCPUSeconds / root.wallSeconds,
            finishSeconds: root.finishSeconds)
    }

    /// Rank 0's decode + write cost per tile on `grid`, writing up to
    /// `maximumTiles` tiles of realistic values into a fresh result file one
    /// by one, the same tiles batched into a second file, and finishing both
    /// files (without and with compression).
    public func rankZeroCost(jobText: String, maximumTiles: Int) throws -> RankZeroCost {
        let resolved = try ResolvedJob(ScanJob(parsing: jobText))
        let grid = resolved.grid
        let metadata = ScanMetadata(parameters: resolved.metadataParameters, jobText: jobText,
                                    jobFingerprint: resolved.fingerprint, softwareVersion: BuildInfo.version,
                                    sourceRevision: "bench", creationTime: "")
        func create(_ name: String) throws -> (ResultFile, String) {
            let path = directory.appendingPathComponent(name).path
            return (try ResultFile.create(path: path, axes: grid.axes, metadata: metadata, overwrite: true), path)
        }
        func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        // One real tile's values, so compression sees real numbers.
        let evaluator = PhysicsTileEvaluator(job: resolved)
        let middle = grid.tileCount / 2
        guard let values = evaluator.evaluate(tile: middle, stop: StopFlag()) else {
            throw ScanBenchmarkError.scanFailed(mode: "rank 0 cost", status: 1, stderr: "tile evaluation stopped")
        }
        let payload = values.encoded()[...]
        let count = min(grid.tileCount, maximumTiles)

        let (single, singlePath) = try create("rank0-single.h5")
        var times: [Double] = []
        for tile in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            let decoded = try TileValues(decoding: payload, pointsPerTile: grid.pointsPerTile)
            try single.write(decoded, for: grid.tileIndex(tile))
            times.append(seconds(since: start) * 1e3)
        }
        var start = DispatchTime.now().uptimeNanoseconds
        try single.finish(run: RunSummary(wallTimeSeconds: 0, ranks: 1, threadsPerRank: 1, command: "bench", endTime: ""),
                          compression: .none)
        let finish = seconds(since: start)
        try? FileManager.default.removeItem(atPath: singlePath)

        let (batched, batchedPath) = try create("rank0-batched.h5")
        let writer = BatchedTileWriter(file: batched)
        start = DispatchTime.now().uptimeNanoseconds
        for tile in 0..<count {
            try writer.add(try TileValues(decoding: payload, pointsPerTile: grid.pointsPerTile), for: grid.tileIndex(tile))
        }
        try writer.writeBuffered()
        let batchedPerTile = seconds(since: start) * 1e3 / Double(count)
        start = DispatchTime.now().uptimeNanoseconds
        try batched.finish(run: RunSummary(wallTimeSeconds: 0, ranks: 1, threadsPerRank: 1, command: "bench", endTime: ""),
                           compression: .deflate)
        let finishCompressed = seconds(since: start)
        try? FileManager.default.removeItem(atPath: batchedPath)
        return RankZeroCost(tilesWritten: count, pointsPerTile: grid.pointsPerTile,
                            decodeAndWriteMilliseconds: Percentiles(times),
                            batchedDecodeAndWriteMilliseconds: batchedPerTile, finishSeconds: finish,
                            finishCompressedSeconds: finishCompressed, fractionOfWallTime: nil)
    }
}

/// The line a `diodescan bench --scan-worker` process prints on stdout (one per rank).
public struct ScanWorkerReport: Codable, Sendable {
    public var rank: Int
    public var status: Int32
    public var wallSeconds: Double
    public var peakMemoryMiB: Double
    /// `ScanRunStatistics` of this rank.
    public var mainThreadCPUSeconds: Double
    public var finishSeconds: Double

    public init(rank: Int, status: Int32, wallSeconds: Double, peakMemoryMiB: Double, statistics: ScanRunStatistics) {
        self.rank = rank; self.status = status; self.wallSeconds = wallSeconds; self.peakMemoryMiB = peakMemoryMiB
        mainThreadCPUSeconds = statistics.mainThreadCPUSeconds
        finishSeconds = statistics.finishSeconds
    }
}

public enum ScanBenchmarkError: Error, CustomStringConvertible {
    case noMPIRun
    case scanFailed(mode: String, status: Int32, stderr: String)

    public var description: String {
        switch self {
        case .noMPIRun: "mpirun is not on PATH"
        case let .scanFailed(mode, status, stderr): "benchmark scan (\(mode)) failed with status \(status): \(stderr)"
        }
    }
}
