import DiodeHDF5

/// The three grid axes of a scan: the result arrays have dimensions
/// `(dT, eps3, eps1)`, ε1 fastest.
public struct ScanAxes: Sendable, Equatable {
    /// Resonance energies of barrier 1 (absolute, k_B T).
    public var eps1: [Double]
    /// Resonance energies of barrier 3 (absolute, k_B T).
    public var eps3: [Double]
    /// Temperature biases ΔT (units of T).
    public var dT: [Double]

    public init(eps1: [Double], eps3: [Double], dT: [Double]) {
        self.eps1 = eps1
        self.eps3 = eps3
        self.dT = dT
    }

    /// The number of tiles, `dT.count × eps3.count`.
    public var tileCount: Int { dT.count * eps3.count }
    /// The number of grid points, `dT.count × eps3.count × eps1.count`.
    public var pointCount: Int { tileCount * eps1.count }

    /// Every tile, in file order (ΔT slowest, then ε3).
    public var allTiles: [TileIndex] {
        dT.indices.flatMap { d in eps3.indices.map { TileIndex(dT: d, eps3: $0) } }
    }
}

/// One tile of a scan: the line of ε1 values at fixed indices of ΔT and ε3.
public struct TileIndex: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Index into `ScanAxes.dT`.
    public var dT: Int
    /// Index into `ScanAxes.eps3`.
    public var eps3: Int

    public init(dT: Int, eps3: Int) {
        self.dT = dT
        self.eps3 = eps3
    }

    public static func < (lhs: TileIndex, rhs: TileIndex) -> Bool {
        (lhs.dT, lhs.eps3) < (rhs.dT, rhs.eps3)
    }

    public var description: String { "tile (dT #\(dT), eps3 #\(eps3))" }
}

/// Provenance stored in the result file's root attributes.
public struct ScanMetadata: Sendable, Equatable {
    /// One model or solver parameter, stored as a root attribute `name`.
    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: HDF5AttributeValue

        public init(_ name: String, _ value: HDF5AttributeValue) {
            self.name = name
            self.value = value
        }
    }

    /// Every model and solver parameter, in the order they should be listed.
    /// Names must be valid attribute names not used by the file itself (see
    /// `ResultFile.reservedAttributeNames`).
    public var parameters: [Parameter]
    /// The job file's full text.
    public var jobText: String
    /// A fingerprint of the job (what makes two runs the same scan), so a
    /// resume can refuse a different job.
    public var jobFingerprint: String
    /// diodescan's version.
    public var softwareVersion: String
    /// The source revision the binary was built from (e.g. `git describe`).
    public var sourceRevision: String
    /// When the scan was first started, ISO 8601 UTC.
    public var creationTime: String
    /// CF `history`: one line per finished run, appended by
    /// `ResultFile.finish(run:)`; empty for a new scan.
    public var history: String

    public init(
        parameters: [Parameter], jobText: String, jobFingerprint: String,
        softwareVersion: String, sourceRevision: String, creationTime: String, history: String = ""
    ) {
        self.parameters = parameters
        self.jobText = jobText
        self.jobFingerprint = jobFingerprint
        self.softwareVersion = softwareVersion
        self.sourceRevision = sourceRevision
        self.creationTime = creationTime
        self.history = history
    }
}

/// How `ResultFile.finish(run:compression:)` stores the result datasets
/// (job key `[output] compression`).
public enum ResultCompression: String, Sendable, CaseIterable {
    /// As scanned: contiguous and uncompressed. Finishing copies the file
    /// (about 144 bytes per point) and adds the run attributes.
    case none
    /// Chunked, byte shuffle + deflate level 1 (about 2.5× smaller).
    /// Finishing rewrites every dataset, which costs rank 0 about a
    /// microsecond per point after the scan.
    case deflate
}

/// What `ResultFile.finish(run:compression:)` records about the run that just ended.
public struct RunSummary: Sendable, Equatable {
    /// Wall-clock time of this run, seconds.
    public var wallTimeSeconds: Double
    /// MPI ranks.
    public var ranks: Int
    /// Worker threads per rank.
    public var threadsPerRank: Int
    /// The command line (goes into `history`).
    public var command: String
    /// When the run ended, ISO 8601 UTC (goes into `history`).
    public var endTime: String

    public init(wallTimeSeconds: Double, ranks: Int, threadsPerRank: Int, command: String, endTime: String) {
        self.wallTimeSeconds = wallTimeSeconds
        self.ranks = ranks
        self.threadsPerRank = threadsPerRank
        self.command = command
        self.endTime = endTime
    }
}

/// Why a result file cannot be created, opened or written.
public enum ResultFileError: Error, CustomStringConvertible, Equatable {
    case fileExists(path: String)
    case notAResultFile(path: String, reason: String)
    case differentJob(path: String)
    case invalidAxes(reason: String)
    case invalidTile(TileIndex, axes: (dT: Int, eps3: Int))
    case wrongPointCount(TileIndex, expected: Int, actual: Int)
    case reservedParameterName(String)
    case invalidParameterName(String, reason: String)
    case cannotCreate(path: String, reason: String)
    case inUse(path: String)
    case interruptedFinish(path: String, reason: String)
    case closed(path: String)
    case system(call: String, path: String, message: String)

    public var description: String {
        switch self {
        case .fileExists(let path):
            return "output file '\(path)' already exists; pass --overwrite to replace it "
                + "or --resume to continue the scan it holds"
        case .notAResultFile(let path, let reason):
            return "'\(path)' is not a diodescan result file: \(reason)"
        case .differentJob(let path):
            return "'\(path)' holds a different job (the job fingerprints differ); "
                + "resume it with its own job file, or pass --overwrite to start this job anew"
        case .invalidAxes(let reason):
            return "invalid scan axes: \(reason)"
        case .invalidTile(let tile, let axes):
            return "\(tile) lies outside the grid of \(axes.dT) dT × \(axes.eps3) eps3 tiles"
        case .wrongPointCount(let tile, let expected, let actual):
            return "\(tile) has \(actual) points, the grid has \(expected) eps1 values"
        case .reservedParameterName(let name):
            return "parameter name '\(name)' is reserved for the result file's own attributes"
        case .invalidParameterName(let name, let reason):
            return "parameter name '\(name)' is not allowed: \(reason)"
        case .cannotCreate(let path, let reason):
            return "cannot create output file '\(path)': \(reason)"
        case .inUse(let path):
            return "'\(path)' is open in another process (is another diodescan still writing it?)"
        case .interruptedFinish(let path, let reason):
            return "'\(path)' was left half-finished by a process that stopped while changing it in place, "
                + "and its undo journal '\(path).journal' cannot be applied: \(reason); open it once with write "
                + "access to the file and its directory (any diodescan command that reads it restores it)"
        case .closed(let path):
            return "result file '\(path)' is already finished or closed"
        case .system(let call, let path, let message):
            return "\(call) failed for '\(path)': \(message)"
        }
    }

    public static func == (lhs: ResultFileError, rhs: ResultFileError) -> Bool {
        lhs.description == rhs.description
    }
}
