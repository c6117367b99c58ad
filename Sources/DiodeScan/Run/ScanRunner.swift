import DiodeHDF5
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
    /// The worker threads a rank may have (`--threads`): beyond a thousand
    /// the threads only share the cores, and each reserves an 8 MiB stack.
    public static let threadRange = 1...1024

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
            return min(slurm, ScanOptions.threadRange.upperBound)
        }
        return min(max(1, cores / (localRanks ?? 1)), ScanOptions.threadRange.upperBound)
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
            // One line. Alone (no launcher, or one rank) there is nobody to
            // abort: finish MPI and exit, without MPI_Abort's banner.
            let size = (try? world.size) ?? 1
            if size <= 1 {
                printError(describe(error))
                try? MPIEnvironment.finalize()
                return ScanExitStatus.failure
            }
            printError("rank \((try? world.rank) ?? -1): \(describe(error)); aborting all ranks")
            world.abort(code: ScanExitStatus.failure)
        }
    }

    /// An error as one line for the user: I/O failures name the file and
    /// the cause (HDF5's innermost message, or the system's).
    static func describe(_ error: Error) -> String {
        let text: String
        if let error = error as? ResultFileIOError {
            text = error.description
        } else {
            text = "\(error)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
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
                jobText = try readJobFile(options.jobPath)
            } catch {
                readFailure = "\(error)"
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
        var failureStatus = ScanExitStatus.rejected
        if rank == 0 {
            do {
                (file, pending) = try openResultFile(at: outputPath, job: resolved, options: options)
            } catch let error as ResultFileIOError {
                // The file could not be written (a full disk, say): an
                // error while running, not a rejected job.
                failure = error.description
                failureStatus = ScanExitStatus.failure
            } catch {
                failure = "\(error)"
            }
        }
        try agree(world, rank: rank, failure: failure, status: failureStatus)

        let threads = options.threads ?? defaultThreadCount()
        let signals = StopSignals()
        var evaluator = PhysicsTileEvaluator(job: resolved)
        let environment = ProcessInfo.processInfo.environment
        if let delay = environment["DIODESCAN_TEST_POINT_DELAY"].flatMap(Double.init), delay > 0 {
            evaluator.testPointDelay = delay
        }
        let transport = try MPITransport(communicator: world)
        let engine = try ScanEngine<TileValues>(transport: transport, threads: threads, pointsPerTile: grid.pointsPerTile,
                                                stop: signals.stop) { [evaluator] tile, stop in
            evaluator.evaluate(tile: tile, stop: stop)
        }
        engine.validTiles = 0..<grid.tileCount
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
                let axesSize = grid.axes.dimensions.reversed().map { "\($0.values.count) \($0.key)" }.joined(separator: " × ")
                printError("\(grid.pointCount) points (\(axesSize)) → \(outputPath); "
                           + "\(size) rank\(size == 1 ? "" : "s") × \(threads) thread\(threads == 1 ? "" : "s")"
                           + (done > 0 ? "; resuming, \(done) of \(grid.tileCount) tiles already done" : ""))
            }
            let writer = BatchedTileWriter(file: file)
            engine.heartbeat = {
                progress.refresh()
                try ResultFileIOError.naming(outputPath) { try writer.writeIfDue() }
            }
            outcome = try engine.coordinate(pending: pending) { tile, values in
                try ResultFileIOError.naming(outputPath) { try writer.add(values, for: grid.tileIndex(tile)) }
                progress.record(points: grid.pointsPerTile, nonConverged: values.nonConvergedPoints)
            }
            try ResultFileIOError.naming(outputPath) { try writer.writeBuffered() }
            let wallTime = Date().timeIntervalSince(start)
            let finishStart = ContinuousClock.now
            defer { statistics.finishSeconds = Double(finishStart.duration(to: .now) / .milliseconds(1)) / 1000 }
            try ResultFileIOError.naming(outputPath) {
                try file.finish(run: RunSummary(wallTimeSeconds: wallTime, ranks: size, threadsPerRank: threads,
                                                command: options.commandLine,
                                                endTime: ISO8601DateFormatter().string(from: Date())),
                                compression: resolved.job.compression)
            }
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
        guard !path.isEmpty else {
            throw ResultFileError.cannotCreate(path: path, reason: "the output path is empty")
        }
        guard !path.hasSuffix("/") else {
            throw ResultFileError.cannotCreate(path: path, reason: "the path ends with '/' (a directory); name the HDF5 file")
        }
        // Its temporaries and journal add at most 26 bytes to the name
        // (`.creating.<pid>.<hex>`), within the usual limit of 255.
        let nameLength = (path as NSString).lastPathComponent.utf8.count
        guard nameLength <= 229 else {
            throw ResultFileError.cannotCreate(
                path: TOMLValue.shorten(path), reason: "the file name is \(nameLength) bytes long; allowed: at most 229")
        }
        let exists = FileManager.default.fileExists(atPath: path)
        if exists && ScanRunner.isSameFile(path, options.jobPath) {
            throw ResultFileError.cannotCreate(path: path, reason: "it is the job file '\(options.jobPath)' itself")
        }
        var status = stat()
        if stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFREG {
            throw ResultFileError.cannotCreate(path: path, reason: "it exists and is not a regular file")
        }
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
        try createParentDirectories(of: path)
        let metadata = ScanMetadata(parameters: job.metadataParameters, jobText: job.job.text, jobFingerprint: job.fingerprint,
                                    softwareVersion: BuildInfo.version, sourceRevision: BuildInfo.sourceRevision,
                                    creationTime: ISO8601DateFormatter().string(from: Date()))
        let file = try ResultFileIOError.naming(path) {
            try ResultFile.create(path: path, axes: grid.axes, extras: job.job.extras, metadata: metadata,
                                  overwrite: options.overwrite)
        }
        return (file, Array(0..<grid.tileCount))
    }

    /// Whether `a` and `b` name the same file (device and inode).
    static func isSameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// Creates the missing directories above `path`, saying which part of
    /// the path is in the way if one of them is a file.
    static func createParentDirectories(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/") {
            prefix = (prefix as NSString).appendingPathComponent(String(component))
            var status = stat()
            if stat(prefix, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    throw ResultFileError.cannotCreate(path: path, reason: "'\(prefix)' is not a directory")
                }
            } else if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
                throw ResultFileError.cannotCreate(
                    path: path, reason: "cannot create directory '\(prefix)': \(posixMessage())")
            }
        }
    }

    /// The largest job file read (its text is sent to every rank and stored
    /// in the result file).
    public static let maximumJobFileBytes = 16 << 20

    /// The text of the job file at `path`; the error says in one line why it
    /// cannot be read (missing, a directory, not UTF-8, too large, ...).
    public static func readJobFile(_ path: String) throws -> String {
        func failure(_ reason: String) -> JobFileError { JobFileError(message: "cannot read job file '\(path)': \(reason)") }
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure(posixMessage()) }
        defer { Foundation.close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(posixMessage()) }
        if status.st_mode & S_IFMT == S_IFDIR { throw failure("it is a directory") }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure(posixMessage()) }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > maximumJobFileBytes {
                throw failure("it is larger than \(maximumJobFileBytes >> 20) MiB; a job file is a short TOML text")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw failure("it is not UTF-8 text") }
        return text
    }

    /// Broadcasts rank 0's go/no-go so that all ranks continue or stop together.
    /// `status` is rank 0's: it travels with the decision.
    private static func agree(_ world: Communicator, rank: Int, failure: String?, status: Int32) throws {
        // The others wait for rank 0 (reading the job, creating the file)
        // asleep rather than spinning in the broadcast.
        try world.barrier(testingEvery: .milliseconds(2))
        let decision = try world.broadcast(rank == 0 ? (failure.map { "error:\(status):" + $0 } ?? "ok") : "", root: 0)
        if decision != "ok" {
            let parts = decision.dropFirst("error:".count).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let agreed = parts.first.flatMap { Int32($0) } ?? ScanExitStatus.failure
            throw RankAgreementError(message: parts.count > 1 ? String(parts[1]) : "", status: agreed)
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

/// A job file that cannot be read (the message is one line, naming it).
public struct JobFileError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The result file could not be written or finished: `cannot write PATH:
/// CAUSE` in one line, the cause being the system's message where HDF5
/// passes one on (e.g. "No space left on device"). The file stays
/// resumable: everything on disk before the failure is intact.
public struct ResultFileIOError: Error, CustomStringConvertible {
    public var path: String
    public var underlying: Error

    public var description: String { "cannot write \(path): \(ResultFileIOError.cause(of: underlying))" }

    /// Runs `body`, wrapping HDF5 and system errors as errors writing `path`.
    public static func naming<R>(_ path: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as HDF5Error {
            throw ResultFileIOError(path: path, underlying: error)
        } catch let error as ResultFileError {
            if case .system = error { throw ResultFileIOError(path: path, underlying: error) }
            throw error
        }
    }

    /// The most specific words about a failure: the `errno` text HDF5
    /// quotes ("... error message = 'No space left on device' ..."), else
    /// the error's own line.
    static func cause(of error: Error) -> String {
        switch error {
        case let error as HDF5Error:
            if let range = error.message.range(of: "error message = '"),
               let end = error.message[range.upperBound...].firstIndex(of: "'") {
                return "\(error.message[range.upperBound..<end]) (\(error.call))"
            }
            return error.description
        case let ResultFileError.system(call, _, message):
            return "\(message) (\(call))"
        default:
            return "\(error)"
        }
    }
}
