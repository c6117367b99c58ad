import DiodeMPI
import Foundation

/// What `diodescan scan` was asked to do.
public struct ScanOptions: Sendable {
    public var jobPath: String
    /// `--output`: replaces the job's `[output] file`.
    public var outputPath: String?
    /// `--threads`: worker threads per rank; nil for the default (`defaultThreadCount`).
    public var threads: Int?
    public var overwrite = false
    public var resume = false
    public var quiet = false
    /// Seconds between plain progress lines when stderr is not a terminal.
    public var progressInterval: TimeInterval = 10
    /// The command line, recorded in the file's `history`.
    public var commandLine: String

    public init(jobPath: String, outputPath: String? = nil, threads: Int? = nil, overwrite: Bool = false,
                resume: Bool = false, quiet: Bool = false, commandLine: String) {
        self.jobPath = jobPath
        self.outputPath = outputPath
        self.threads = threads
        self.overwrite = overwrite
        self.resume = resume
        self.quiet = quiet
        self.commandLine = commandLine
    }
}

/// Exit statuses of `diodescan scan`.
public enum ScanExitStatus {
    public static let success: Int32 = 0
    /// An error while running (I/O, MPI).
    public static let failure: Int32 = 1
    /// The job or the command line was rejected before any work (nothing written).
    public static let rejected: Int32 = 2
    /// Exit status after a stop forwarded from another rank, when this rank
    /// received no signal itself (as for SIGTERM).
    public static let stoppedElsewhere: Int32 = 143
}

/// Runs `diodescan scan` on every rank: job, result file, engine, progress,
/// run metadata. Rank 0 reads the job and owns the file (every HDF5 call is on
/// its main thread); the job text and the go/no-go decisions are broadcast so
/// that all ranks stop together on an error.
public enum ScanRunner {
    /// Default worker threads per rank: `SLURM_CPUS_PER_TASK` inside a Slurm
    /// allocation when launched by mpirun/srun, otherwise the usable cores
    /// divided by the ranks on this node (`OMPI_COMM_WORLD_LOCAL_SIZE`, 1
    /// without a launcher); at least 1.
    public static func defaultThreadCount(environment: [String: String] = ProcessInfo.processInfo.environment,
                                          cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        let localRanks = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init).map { max(1, $0) }
        if localRanks != nil, let slurm = environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init), slurm > 0 {
            return slurm
        }
        return max(1, cores / (localRanks ?? 1))
    }

    /// Runs the scan and returns the process exit status (see `ScanExitStatus`).
    /// `statistics`, if given, receives what the run measured about itself
    /// (after MPI is finalised; `diodescan bench` reports it).
    public static func run(_ options: ScanOptions, statistics: ((ScanRunStatistics) -> Void)? = nil) -> Int32 {
        let cpuStart = ScanRunStatistics.currentThreadCPUSeconds()
        var measured = ScanRunStatistics()
        defer {
            measured.mainThreadCPUSeconds = ScanRunStatistics.currentThreadCPUSeconds() - cpuStart
            statistics?(measured)
        }
        let start = Date()
        // The source revision may run `git`: fork before MPI is initialised
        // (forking an MPI process upsets some interconnects), on rank 0 only.
        let environment = ProcessInfo.processInfo.environment
        if (environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMIX_RANK"] ?? "0") == "0" {
            _ = BuildInfo.sourceRevision
        }
        do {
            try MPIEnvironment.initialize()
        } catch {
            printError("cannot initialise MPI: \(error)")
            return ScanExitStatus.failure
        }
        let world = Communicator.world
        do {
            let status = try runInitialised(options, world: world, start: start, statistics: &measured)
            try MPIEnvironment.finalize()
            return status
        } catch let error as RankAgreementError {
            // Every rank saw the same decision: finish MPI cleanly.
            if (try? world.rank) == 0 { printError(error.message) }
            try? MPIEnvironment.finalize()
            return error.status
        } catch {
            printError("rank \((try? world.rank) ?? -1): \(error); aborting all ranks")
            world.abort(code: ScanExitStatus.failure)
        }
    }

    private static func runInitialised(
        _ options: ScanOptions, world: Communicator, start: Date, statistics: inout ScanRunStatistics
    ) throws -> Int32 {
        let rank = try world.rank
        let size = try world.size

        // The job: rank 0 reads it, every rank parses the same text.
        var jobText = ""
        var readFailure: String?
        if rank == 0 {
            do {
                jobText = try String(contentsOfFile: options.jobPath, encoding: .utf8)
            } catch {
                readFailure = "cannot read job file '\(options.jobPath)': \(error.localizedDescription)"
            }
        }
        try agree(world, rank: rank, failure: readFailure, status: ScanExitStatus.rejected)
        jobText = try world.broadcast(jobText, root: 0)
        let resolved: ResolvedJob
        do {
            resolved = try ResolvedJob(ScanJob(parsing: jobText))
        } catch {
            throw RankAgreementError(message: "\(options.jobPath): \(error)", status: ScanExitStatus.rejected)
        }
        let grid = resolved.grid
        guard let outputPath = options.outputPath ?? resolved.job.outputPath else {
            throw RankAgreementError(
                message: "\(options.jobPath): no output file: set [output] file = \"...\" in the job or pass --output PATH",
                status: ScanExitStatus.rejected)
        }

        // The result file (rank 0 only) and the tiles still to compute.
        var file: ResultFile?
        var pending: [Int] = []
        var failure: String?
        if rank == 0 {
            do {
                (file, pending) = try openResultFile(at: outputPath, job: resolved, options: options)
            } catch {
                failure = "\(error)"
            }
        }
        try agree(world, rank: rank, failure: failure, status: ScanExitStatus.rejected)

        let threads = options.threads ?? defaultThreadCount()
        let signals = StopSignals()
        var evaluator = PhysicsTileEvaluator(job: resolved)
        let environment = ProcessInfo.processInfo.environment
        if let delay = environment["DIODESCAN_TEST_POINT_DELAY"].flatMap(Double.init), delay > 0 {
            evaluator.testPointDelay = delay
        }
        let transport = try MPITransport(communicator: world)
        let engine = ScanEngine<TileValues>(transport: transport, threads: threads, pointsPerTile: grid.pointsPerTile,
                                            stop: signals.stop) { [evaluator] tile, stop in
            evaluator.evaluate(tile: tile, stop: stop)
        }
        let abortRank = environment["DIODESCAN_TEST_ABORT_RANK"].flatMap(Int.init) ?? (size - 1)
        if rank == abortRank, let limit = environment["DIODESCAN_TEST_ABORT_AFTER_TILES"].flatMap(Int.init) {
            engine.testAbortAfterTiles = limit
            engine.onTestAbort = {
                printError("rank \(rank): aborting after \(limit) tiles (DIODESCAN_TEST_ABORT_AFTER_TILES, test only)")
                world.abort(code: 3)
            }
        }

        let outcome: ScanOutcome
        if rank == 0, let file {
            let done = grid.tileCount - pending.count
            let progress = ProgressReporter(totalPoints: grid.pointCount, alreadyDone: done * grid.pointsPerTile,
                                            enabled: !options.quiet, plainInterval: options.progressInterval)
            if !options.quiet {
                printError("\(grid.pointCount) points (\(grid.eps1.count) eps1 × \(grid.eps3.count) eps3 × \(grid.dT.count) dT) → \(outputPath); "
                           + "\(size) rank\(size == 1 ? "" : "s") × \(threads) thread\(threads == 1 ? "" : "s")"
                           + (done > 0 ? "; resuming, \(done) of \(grid.tileCount) tiles already done" : ""))
            }
            let writer = BatchedTileWriter(file: file)
            engine.heartbeat = {
                progress.refresh()
                try writer.writeIfDue()
            }
            outcome = try engine.coordinate(pending: pending) { tile, values in
                try writer.add(values, for: grid.tileIndex(tile))
                progress.record(points: grid.pointsPerTile, nonConverged: values.nonConvergedPoints)
            }
            try writer.writeBuffered()
            let wallTime = Date().timeIntervalSince(start)
            let finishStart = ContinuousClock.now
            defer { statistics.finishSeconds = Double(finishStart.duration(to: .now) / .milliseconds(1)) / 1000 }
            try file.finish(run: RunSummary(wallTimeSeconds: wallTime, ranks: size, threadsPerRank: threads,
                                            command: options.commandLine,
                                            endTime: ISO8601DateFormatter().string(from: Date())),
                            compression: resolved.job.compression)
            switch outcome {
            case .completed:
                progress.finish("finished in \(ProgressReporter.formatDuration(wallTime))")
            case .stopped:
                let reason = signals.receivedSignal.map { "stopped by \(StopSignals.name(of: $0))" } ?? "stopped by another rank"
                progress.finish("\(reason); run again with --resume to finish")
            }
        } else {
            outcome = try engine.serve()
        }
        // Ranks other than 0 wait here while rank 0 writes the file: asleep.
        try world.barrier(testingEvery: .milliseconds(2))
        switch outcome {
        case .completed: return ScanExitStatus.success
        case .stopped: return signals.exitStatus ?? ScanExitStatus.stoppedElsewhere
        }
    }

    /// Creates the result file, or opens it for `--resume`, and lists the
    /// tiles still to compute. An existing file is never touched without
    /// `--overwrite` or `--resume`.
    static func openResultFile(at path: String, job: ResolvedJob, options: ScanOptions) throws -> (ResultFile, [Int]) {
        let grid = job.grid
        let exists = FileManager.default.fileExists(atPath: path)
        if options.resume && exists {
            // Check the job before touching the file (opening for resume may convert it).
            let stored = try ResultFile.openForReading(path: path)
            try stored.requireSameJob(fingerprint: job.fingerprint)
            try stored.close()
            let file = try ResultFile.openForResume(path: path)
            return (file, grid.pendingTiles(excluding: try file.completedTiles()))
        }
        if exists && !options.overwrite {
            throw ResultFileError.fileExists(path: path)
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let metadata = ScanMetadata(parameters: job.metadataParameters, jobText: job.job.text, jobFingerprint: job.fingerprint,
                                    softwareVersion: BuildInfo.version, sourceRevision: BuildInfo.sourceRevision,
                                    creationTime: ISO8601DateFormatter().string(from: Date()))
        let file = try ResultFile.create(path: path, axes: grid.axes,
                                         metadata: metadata, overwrite: options.overwrite)
        return (file, Array(0..<grid.tileCount))
    }

    /// Broadcasts rank 0's go/no-go so that all ranks continue or stop together.
    private static func agree(_ world: Communicator, rank: Int, failure: String?, status: Int32) throws {
        // The others wait for rank 0 (reading the job, creating the file)
        // asleep rather than spinning in the broadcast.
        try world.barrier(testingEvery: .milliseconds(2))
        let decision = try world.broadcast(rank == 0 ? (failure.map { "error:" + $0 } ?? "ok") : "", root: 0)
        if decision != "ok" {
            throw RankAgreementError(message: String(decision.dropFirst("error:".count)), status: status)
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data(("diodescan: " + message + "\n").utf8))
    }
}

/// What one rank's `ScanRunner.run` measured about itself.
public struct ScanRunStatistics: Sendable, Equatable {
    /// CPU time of the rank's main thread over the whole run, s: MPI set-up,
    /// scheduling and messages, and on rank 0 writing and finishing the
    /// result file. The workers' time is not included.
    public var mainThreadCPUSeconds: Double = 0
    /// Rank 0: wall time of `ResultFile.finish`, s (0 on other ranks).
    public var finishSeconds: Double = 0

    public init(mainThreadCPUSeconds: Double = 0, finishSeconds: Double = 0) {
        self.mainThreadCPUSeconds = mainThreadCPUSeconds
        self.finishSeconds = finishSeconds
    }

    /// CPU time of the calling thread so far (`CLOCK_THREAD_CPUTIME_ID`), s.
    public static func currentThreadCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return .nan }
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// An error every rank knows about (broadcast or computed from the same
/// input): ends the run with `status` after finalising MPI.
struct RankAgreementError: Error {
    var message: String
    var status: Int32
}
