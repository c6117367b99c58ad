import ArgumentParser
import DiodeScan
import Foundation

/// `diodescan scan JOB`: the distributed scan of a job file.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Compute rectification maps over the grid of a job file into one HDF5 file.",
        discussion: """
        Runs alone (one process, all cores as threads) or under an MPI launcher \
        (mpirun -np N, srun): rank 0 hands out tiles (ε1 lines) dynamically and \
        writes each finished tile to the file at once. Results are bit-identical \
        for any number of ranks and threads. The job file format is described in \
        docs/jobs.md.

        SIGTERM, SIGINT or SIGUSR1 stop the scan within seconds: finished tiles \
        are kept and the file can be completed with --resume. Repeats of the \
        same SIGTERM/SIGUSR1 (launchers send them more than once) are ignored; \
        a second Ctrl-C or a different signal exits at once (the file stays \
        resumable).

        Exit status: 0 finished; 1 error while running; 2 job or output file \
        rejected before any work (nothing written), or an invalid command line; \
        128 + signal number when stopped by a signal (130 SIGINT, 138 SIGUSR1, \
        143 SIGTERM).
        """)

    @Argument(help: "The job file (TOML).")
    var job: String

    @Option(help: ArgumentHelp("Write to this HDF5 file instead of the job's [output] file.", valueName: "path"))
    var output: String?

    @Option(help: ArgumentHelp(
        "Worker threads per rank, 1 … 1024 (default: the cores of this node divided by its MPI ranks, or SLURM_CPUS_PER_TASK).",
        valueName: "n"))
    var threads: Int?

    @Flag(help: "Replace an existing output file.")
    var overwrite = false

    @Flag(help: "Continue the scan in an existing output file (same job required); finished tiles are kept. Starts a new file if there is none.")
    var resume = false

    @Flag(help: "Validate the job, print the grid size and a cost estimate; write nothing.")
    var dryRun = false

    @Flag(help: "No progress output.")
    var quiet = false

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal (batch logs).", valueName: "seconds"))
    var progressInterval: Double = 10

    func validate() throws {
        if let threads, !ScanOptions.threadRange.contains(threads) {
            throw ValidationError("--threads \(threads) is out of range; allowed: an integer "
                                  + "\(ScanOptions.threadRange.lowerBound) … \(ScanOptions.threadRange.upperBound)")
        }
        if let output, output.isEmpty {
            throw ValidationError("--output is empty; allowed: the path of the HDF5 file to write")
        }
        guard progressInterval >= 0 && progressInterval.isFinite else {
            throw ValidationError("--progress-interval \(progressInterval) is out of range; allowed: a number of seconds ≥ 0")
        }
        if overwrite && resume {
            throw ValidationError("--overwrite and --resume exclude each other: --resume continues the existing file, --overwrite replaces it")
        }
    }

    func run() throws {
        let status: Int32
        if dryRun {
            status = DryRun.run(jobPath: job, outputPath: output, threads: threads)
        } else {
            var options = ScanOptions(
                jobPath: job, outputPath: output, threads: threads, overwrite: overwrite, resume: resume,
                quiet: quiet, commandLine: CommandLine.arguments.joined(separator: " "))
            options.progressInterval = progressInterval
            status = ScanRunner.run(options)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
