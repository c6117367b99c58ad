import ArgumentParser
import DiodeMPI
import DiodePhysics
import DiodeScan
import Foundation

/// `diodescan bench`: the performance figures of this build on this machine.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure solver cost per point and scan throughput (see docs/performance.md).",
        discussion: """
        For each of the paper's settings (Fig. 2: lambda = 1 without screening; Fig. 3: \
        lambda = 0 with screening; Fig. 4: lambda = 1 with screening) it times DiodeSolver \
        on a fixed set of points (three eps1 lines; 101 points each for Fig. 2, 21 with screening; \
        dT = 1, default accuracy): \
        median and 90th percentile per (point, configuration), cold and warm-started, \
        with iterations and integrand evaluations per solve. Then it runs small real \
        scans (Fig. 2 settings, each sized to last about --scan-seconds: the grid has as \
        many eps3 lines per worker) with 1 thread, all threads, and 2 MPI ranks (when \
        mpirun is installed), and reports points per \
        second, parallel efficiency, peak memory per rank, each rank's main-thread CPU time \
        (rank 0's share of the wall time), rank 0's write cost per tile (alone and batched) \
        and the finish with and without compression.

        Under mpirun every rank runs the solver benchmark at once and rank 0 reports each \
        rank's medians; the scans are skipped there (they launch their own processes).
        Use a release build: swift build -c release.
        """)

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("Threads of the 'all threads' scan (default: the usable cores).", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp("Least duration of each scan, seconds (the issue's targets need ≥ 30).",
                               valueName: "seconds"))
    var scanSeconds: Double = 30

    @Option(help: ArgumentHelp("Timing repeats per point (each point's fastest counts).", valueName: "n"))
    var repeats: Int = 3

    @Flag(help: "A tiny run (one line of 3 points, tiny scans) to check that everything works; numbers are meaningless.")
    var quick = false

    @Flag(help: "Skip the end-to-end scans.")
    var noScan = false

    @Option(help: ArgumentHelp(visibility: .hidden))
    var scanWorker: String?

    @Option(help: ArgumentHelp(visibility: .hidden))
    var output: String?

    func validate() throws {
        if let threads, !ScanOptions.threadRange.contains(threads) {
            throw ValidationError("--threads \(threads) is out of range; allowed: an integer "
                                  + "\(ScanOptions.threadRange.lowerBound) … \(ScanOptions.threadRange.upperBound)")
        }
        guard scanSeconds.isFinite && scanSeconds > 0 else {
            throw ValidationError("--scan-seconds \(scanSeconds) is out of range; allowed: a number of seconds > 0")
        }
        guard repeats >= 1 else {
            throw ValidationError("--repeats \(repeats) is out of range; allowed: an integer ≥ 1")
        }
        if scanWorker != nil && output == nil {
            throw ValidationError("--scan-worker needs --output")
        }
    }

    func run() throws {
        if let job = scanWorker, let output {
            runScanWorker(job: job, output: output)
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let launcherSize = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init) ?? 1
        if launcherSize > 1 {
            try runUnderMPI()
            return
        }
        let loadStart = loadAverage()
        let solver = SolverBenchmark(repeats: quick ? 1 : repeats, quick: quick)
        var settings: [SettingReport] = []
        for setting in BenchmarkSetting.allCases {
            progress("solver: \(setting.rawValue)")
            settings.append(solver.run(setting))
        }
        var report = BenchReport(
            version: BuildInfo.version, sourceRevision: BuildInfo.sourceRevision,
            date: ISO8601DateFormatter().string(from: Date()),
            command: CommandLine.arguments.joined(separator: " "), quick: quick,
            machine: .current(loadAverageStart: loadStart), settings: settings, peakMemoryMiB: 0)
        if noScan {
            report.scanUnavailable = "skipped (--no-scan)"
        } else {
            report.scan = try scans(fig2: settings.first { $0.setting == BenchmarkSetting.fig2.rawValue })
        }
        report.rankZeroByTileSize = try rankZeroByTileSize()
        report.machine.loadAverageEnd = loadAverage()
        report.peakMemoryMiB = peakResidentMemoryMiB()
        if json {
            print(try report.json())
        } else {
            print(Self.table(report))
        }
    }

    // MARK: Scans

    private func scans(fig2: SettingReport?) throws -> BenchReport.Scan {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("diodescan-bench-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bench = ScanBenchmark(executable: Self.executable, directory: directory)

        // Size the grid from the measured cost (two configurations per
        // point) so that one worker takes at least `scanSeconds`; a run with
        // more workers gets as many times the ε3 lines, so that every run
        // lasts about as long and start-up and finish weigh the same in each.
        // The lower of the cold and warm medians, and 10 % more points: one
        // noisy median (a warm 8.8 µs beside a cold 7.5 µs) made scans of
        // 23 s instead of 30.
        let eps1Count = quick ? 20 : ScanBenchmark.pointsPerTile
        let eps3Count: Int
        if quick {
            eps3Count = 4
        } else {
            let medians = [fig2?.cold?.microseconds.median, fig2?.warm?.microseconds.median].compactMap { $0 }
            let microsecondsPerPoint = 2 * (medians.min() ?? 250)
            let points = 1.1 * scanSeconds * 1e6 / max(microsecondsPerPoint, 1)
            eps3Count = max(8, Int((points / Double(eps1Count)).rounded(.up)))
        }
        func job(workers: Int) -> String { ScanBenchmark.jobText(eps1Count: eps1Count, eps3Count: eps3Count * workers) }
        var scan = BenchReport.Scan(grid: "\(eps1Count) eps1 x \(eps3Count) eps3 per worker x 1 dT (Fig. 2 settings)",
                                    runs: [], skipped: [])
        let allThreads = threads ?? ScanRunner.defaultThreadCount(environment: [:])

        progress("scan: 1 thread")
        let single = try bench.run(jobText: job(workers: 1), name: "one-thread", threads: 1, ranks: 1, mode: "1 thread")
        var runs = [single]
        runs[0].efficiency = 1
        if allThreads > 1 {
            progress("scan: \(allThreads) threads")
            var run = try bench.run(jobText: job(workers: allThreads), name: "threads", threads: allThreads, ranks: 1,
                                    mode: "\(allThreads) threads")
            run.efficiency = run.pointsPerSecond / (Double(allThreads) * single.pointsPerSecond)
            runs.append(run)
        } else {
            scan.skipped.append("all threads: this machine has 1 usable core (pass --threads N)")
        }
        if ScanBenchmark.mpirun != nil {
            progress("scan: 2 MPI ranks")
            var run = try bench.run(jobText: job(workers: 2), name: "mpi", threads: 1, ranks: 2, mode: "2 MPI ranks x 1 thread")
            run.efficiency = run.pointsPerSecond / (2 * single.pointsPerSecond)
            runs.append(run)
        } else {
            scan.skipped.append("2 MPI ranks: mpirun is not on PATH")
        }
        scan.runs = runs

        progress("scan: rank 0 write cost")
        var rankZero = try bench.rankZeroCost(jobText: job(workers: 2), maximumTiles: quick ? 4 : 500)
        let reference = runs.last!  // never nil: `runs` starts with the one-thread run
        let perTile = rankZero.batchedDecodeAndWriteMilliseconds ?? rankZero.decodeAndWriteMilliseconds.median
        rankZero.fractionOfWallTime = (perTile * 1e-3 * Double(reference.tiles) + rankZero.finishSeconds)
            / reference.wallSeconds
        scan.rankZero = rankZero

        progress("scan: memory on a 4x smaller grid")
        let small = ScanBenchmark.jobText(eps1Count: eps1Count, eps3Count: max(2, eps3Count / 4))
        scan.smallGridRun = try bench.run(jobText: small, name: "small", threads: 1, ranks: 1, mode: "1 thread, small grid")
        return scan
    }

    private func rankZeroByTileSize() throws -> [RankZeroCost] {
        progress("rank 0 write cost by tile size")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("diodescan-bench-tiles-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bench = ScanBenchmark(executable: Self.executable, directory: directory)
        return try (quick ? [20] : [50, 200, 1000]).map { points in
            try bench.rankZeroCost(jobText: ScanBenchmark.jobText(eps1Count: points, eps3Count: quick ? 4 : 200),
                                   maximumTiles: quick ? 4 : 200)
        }
    }

    /// The hidden child mode: run the scan, then print this rank's report.
    private func runScanWorker(job: String, output: String) {
        let start = DispatchTime.now().uptimeNanoseconds
        let options = ScanOptions(jobPath: job, outputPath: output, threads: threads, overwrite: true, quiet: true,
                                  commandLine: "diodescan bench --scan-worker")
        var statistics = ScanRunStatistics()
        let status = ScanRunner.run(options) { statistics = $0 }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init) ?? 0
        let report = ScanWorkerReport(rank: rank, status: status, wallSeconds: wall, peakMemoryMiB: peakResidentMemoryMiB(),
                                      statistics: statistics)
        if let data = try? JSONEncoder().encode(report) {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        if status != 0 { Foundation.exit(status) }
    }

    // MARK: Under mpirun

    private func runUnderMPI() throws {
        try MPIEnvironment.initialize()
        let world = Communicator.world
        let rank = try world.rank, size = try world.size
        let solver = SolverBenchmark(repeats: quick ? 1 : repeats, quick: quick)
        let loadStart = loadAverage()
        let settings = BenchmarkSetting.allCases.map { solver.run($0) }
        // Per rank: cold and warm medians of each setting (NaN: unavailable), peak memory.
        var summary: [Double] = settings.flatMap { [$0.cold?.microseconds.median ?? .nan, $0.warm?.microseconds.median ?? .nan] }
        summary.append(peakResidentMemoryMiB())
        let tag = 901
        if rank != 0 {
            try world.send(summary, to: 0, tag: tag)
            try world.barrier()
            try MPIEnvironment.finalize()
            return
        }
        var rows = [summary]
        for source in 1..<size {
            rows.append(try world.receive(Double.self, from: .rank(source), tag: .value(tag)).values)
        }
        try world.barrier()
        try MPIEnvironment.finalize()
        var report = BenchReport(
            version: BuildInfo.version, sourceRevision: BuildInfo.sourceRevision,
            date: ISO8601DateFormatter().string(from: Date()),
            command: CommandLine.arguments.joined(separator: " "), quick: quick,
            machine: .current(loadAverageStart: loadStart), settings: settings, peakMemoryMiB: peakResidentMemoryMiB())
        report.machine.loadAverageEnd = loadAverage()
        report.scanUnavailable = "inside mpirun (\(size) ranks): run diodescan bench without a launcher for the scan figures; it starts its own mpirun"
        report.ranks = rows.enumerated().map { index, row in
            var cold: [String: Double] = [:], warm: [String: Double] = [:]
            for (k, setting) in BenchmarkSetting.allCases.enumerated() where !row[2 * k].isNaN {
                cold[setting.rawValue] = row[2 * k]
                warm[setting.rawValue] = row[2 * k + 1]
            }
            return BenchReport.RankSummary(rank: index, coldMedianMicroseconds: cold, warmMedianMicroseconds: warm,
                                           peakMemoryMiB: row.last ?? .nan)
        }
        if json { print(try report.json()) } else { print(Self.table(report)) }
    }

    // MARK: Output

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("diodescan bench: \(message)\n".utf8))
    }

    /// This executable (the scans launch it again).
    static var executable: URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    }

    static func table(_ report: BenchReport) -> String {
        func f(_ x: Double?, _ digits: Int = 1) -> String {
            guard let x, x.isFinite else { return "-" }
            return String(format: "%.\(digits)f", x)
        }
        var lines = ["diodescan \(report.version) (\(report.sourceRevision)), built for \(report.targetCPU), "
                     + "\(report.machine.cores) cores, "
                     + "load \(report.machine.loadAverageStart.map { f($0[0], 2) } ?? "?")"]
        lines.append("µs per (point, configuration)   cold median / p90     warm median / p90    iterations  evaluations (cold/warm)")
        for s in report.settings {
            if let reason = s.unavailable {
                lines.append("  \(s.setting): unavailable: \(reason)")
                continue
            }
            guard let cold = s.cold, let warm = s.warm else { continue }
            lines.append("  \(s.setting) (\(s.path ?? "")): \(f(cold.microseconds.median)) / \(f(cold.microseconds.p90))"
                         + "   \(f(warm.microseconds.median)) / \(f(warm.microseconds.p90))"
                         + "   \(f(cold.iterations, 2))/\(f(warm.iterations, 2))"
                         + "   \(f(cold.integrandEvaluations, 0))/\(f(warm.integrandEvaluations, 0))"
                         + (cold.notConverged + warm.notConverged > 0 ? "   NOT CONVERGED: \(cold.notConverged + warm.notConverged)" : ""))
        }
        if let scan = report.scan {
            lines.append("scan \(scan.grid):")
            for run in scan.runs + [scan.smallGridRun].compactMap({ $0 }) {
                lines.append("  \(run.mode): \(run.points) points in \(f(run.wallSeconds, 2)) s = \(f(run.pointsPerSecond, 0)) points/s"
                             + (run.efficiency.map { ", efficiency \(f(100 * $0)) %" } ?? "")
                             + ", peak memory \(run.peakMemoryMiBPerRank.map { f($0) }.joined(separator: "/")) MiB"
                             + ", file \(f(run.fileBytesPerPoint, 1)) bytes/point"
                             + (run.rankZeroShareOfWallTime.map { ", rank 0 main thread \(f(100 * $0, 2)) % of the wall time" } ?? "")
                             + (run.finishSeconds.map { " (finish \(f($0, 3)) s)" } ?? ""))
            }
            for skipped in scan.skipped { lines.append("  skipped: \(skipped)") }
            if let r = scan.rankZero {
                lines.append("  rank 0: \(f(r.decodeAndWriteMilliseconds.median, 3)) ms per tile of \(r.pointsPerTile) points alone, "
                             + "\(f(r.batchedDecodeAndWriteMilliseconds, 3)) ms batched; "
                             + "finish \(f(r.finishSeconds, 3)) s (compressed: \(f(r.finishCompressedSeconds, 3)) s); "
                             + "\(f(100 * (r.fractionOfWallTime ?? .nan), 2)) % of the wall time")
            }
        } else if let reason = report.scanUnavailable {
            lines.append("scan: \(reason)")
        }
        for r in report.rankZeroByTileSize ?? [] {
            lines.append("rank 0 write cost, \(r.pointsPerTile) points per tile: \(f(r.decodeAndWriteMilliseconds.median, 3)) ms per tile alone, "
                         + "\(f(r.batchedDecodeAndWriteMilliseconds, 3)) ms batched")
        }
        for r in report.ranks ?? [] {
            lines.append("  rank \(r.rank): cold \(r.coldMedianMicroseconds.sorted { $0.key < $1.key }.map { "\($0.key) \(f($0.value))" }.joined(separator: ", ")) µs; "
                         + "warm \(r.warmMedianMicroseconds.sorted { $0.key < $1.key }.map { "\($0.key) \(f($0.value))" }.joined(separator: ", ")) µs; \(f(r.peakMemoryMiB)) MiB")
        }
        lines.append("peak memory of this process: \(f(report.peakMemoryMiB)) MiB")
        return lines.joined(separator: "\n")
    }
}
