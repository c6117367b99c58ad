import Foundation

/// Everything `diodescan bench --json` prints, as one JSON object.
public struct BenchReport: Codable, Sendable {
    public struct Machine: Codable, Sendable {
        public var cores: Int
        public var hostname: String
        /// 1, 5, 15-minute load averages at the start and the end of the benchmark.
        public var loadAverageStart: [Double]?
        public var loadAverageEnd: [Double]?
    }
    public struct Scan: Codable, Sendable {
        /// The benchmark job (Fig. 2 settings; see `ScanBenchmark.jobText`).
        public var grid: String
        public var runs: [ScanRunReport]
        /// Runs that could not be made (e.g. no mpirun), and why.
        public var skipped: [String]
        /// Rank 0's per-tile bookkeeping and HDF5 write cost.
        public var rankZero: RankZeroCost?
        /// Peak memory of a 1-thread scan on a grid 4× smaller than the main
        /// one (compare with the 1-thread run: memory must not grow with the grid).
        public var smallGridRun: ScanRunReport?

        public init(grid: String, runs: [ScanRunReport], skipped: [String]) {
            self.grid = grid; self.runs = runs; self.skipped = skipped
        }
    }
    /// One rank's view when the benchmark itself runs under mpirun.
    public struct RankSummary: Codable, Sendable {
        public var rank: Int
        /// Median µs per (point, configuration), cold and warm, per available setting.
        public var coldMedianMicroseconds: [String: Double]
        public var warmMedianMicroseconds: [String: Double]
        public var peakMemoryMiB: Double

        public init(rank: Int, coldMedianMicroseconds: [String: Double], warmMedianMicroseconds: [String: Double],
                    peakMemoryMiB: Double) {
            self.rank = rank; self.coldMedianMicroseconds = coldMedianMicroseconds
            self.warmMedianMicroseconds = warmMedianMicroseconds; self.peakMemoryMiB = peakMemoryMiB
        }
    }

    public var version: String
    public var sourceRevision: String
    /// The CPU the binary was compiled for (``BuildInfo/targetCPU``): a tuned
    /// build ("haswell") runs the solver ~15 % faster than "x86-64".
    public var targetCPU: String = BuildInfo.targetCPU
    public var date: String
    public var command: String
    public var quick: Bool
    public var machine: Machine
    /// Per (point, configuration) cost for each of the paper's settings.
    public var settings: [SettingReport]
    /// End-to-end scans (absent under mpirun: see `ranks`).
    public var scan: Scan?
    public var scanUnavailable: String?
    /// When run under mpirun: every rank ran the solver benchmark at the same time.
    public var ranks: [RankSummary]?
    /// Rank 0's decode + write cost per tile for several tile sizes (ε1
    /// points per tile) on 200-tile grids: separates the per-tile from the
    /// per-point part of rank 0's work.
    public var rankZeroByTileSize: [RankZeroCost]?
    /// Peak resident memory of this (rank 0's) bench process, MiB.
    public var peakMemoryMiB: Double

    public init(version: String, sourceRevision: String, date: String, command: String, quick: Bool,
                machine: Machine, settings: [SettingReport], peakMemoryMiB: Double) {
        self.version = version; self.sourceRevision = sourceRevision; self.date = date; self.command = command
        self.quick = quick; self.machine = machine; self.settings = settings; self.peakMemoryMiB = peakMemoryMiB
    }

    /// One line of JSON, keys sorted; NaN as the string "nan".
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

extension BenchReport.Machine {
    public static func current(loadAverageStart: [Double]?) -> BenchReport.Machine {
        BenchReport.Machine(cores: ProcessInfo.processInfo.activeProcessorCount,
                            hostname: ProcessInfo.processInfo.hostName,
                            loadAverageStart: loadAverageStart, loadAverageEnd: nil)
    }
}
