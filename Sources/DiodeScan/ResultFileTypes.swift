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

/// The results of one tile, one entry per ε1 point (`U_*` three entries per
/// point, region fastest: `[U1(ε1₀), U2(ε1₀), U3(ε1₀), U1(ε1₁), ...]`).
///
/// F is the forward configuration (T_L = 1 + ΔT), B the backward one
/// (T_R = 1 + ΔT). Status codes: −1 not computed, 0 converged,
/// 1 not converged, 2 non-finite.
public struct TileValues: Sendable, Equatable {
    public var iF: [Double], iB: [Double]
    public var jF: [Double], jB: [Double]
    public var rI: [Double], rJ: [Double]
    public var muPF: [Double], muPB: [Double]
    public var tPF: [Double], tPB: [Double]
    public var uF: [Double], uB: [Double]
    public var statusF: [Int32], statusB: [Int32]
    public var iterationsF: [Int32], iterationsB: [Int32]

    /// A tile of `pointCount` points holding the file's fill values: NaN
    /// everywhere, status and iterations −1 ("not computed").
    public init(pointCount: Int) {
        let nan = [Double](repeating: .nan, count: pointCount)
        let notComputed = [Int32](repeating: -1, count: pointCount)
        iF = nan; iB = nan; jF = nan; jB = nan; rI = nan; rJ = nan
        muPF = nan; muPB = nan; tPF = nan; tPB = nan
        uF = [Double](repeating: .nan, count: 3 * pointCount)
        uB = uF
        statusF = notComputed; statusB = notComputed
        iterationsF = notComputed; iterationsB = notComputed
    }

    /// Bitwise equality (NaN equals NaN with the same payload), what a
    /// resumed scan must reproduce.
    public func isBitwiseEqual(to other: TileValues) -> Bool {
        DoubleField.allCases.allSatisfy { field in
            self[field].elementsEqual(other[field], by: { $0.bitPattern == $1.bitPattern })
        } && IntegerField.allCases.allSatisfy { self[$0] == other[$0] }
    }

    public static func == (lhs: TileValues, rhs: TileValues) -> Bool { lhs.isBitwiseEqual(to: rhs) }
}

extension TileValues {
    /// The fields of doubles, in the order of the file's datasets and of a
    /// tile's MPI payload.
    public enum DoubleField: CaseIterable, Sendable {
        case iF, iB, jF, jB, rI, rJ, muPF, muPB, tPF, tPB, uF, uB

        /// Values per point: three (`U_1`, `U_2`, `U_3`) for the potentials, else one.
        public var valuesPerPoint: Int { self == .uF || self == .uB ? 3 : 1 }
    }

    /// The fields of 32-bit integers, in file and payload order.
    public enum IntegerField: CaseIterable, Sendable {
        case statusF, statusB, iterationsF, iterationsB
    }

    // Fields are named by these enums rather than by key paths: a key path
    // applied in generic code copies the whole struct (16 arrays retained and
    // released) on every access, which was a fifth of rank 0's work in a
    // cheap scan.

    /// The values of `field`.
    public subscript(field: DoubleField) -> [Double] {
        get {
            switch field {
            case .iF: iF
            case .iB: iB
            case .jF: jF
            case .jB: jB
            case .rI: rI
            case .rJ: rJ
            case .muPF: muPF
            case .muPB: muPB
            case .tPF: tPF
            case .tPB: tPB
            case .uF: uF
            case .uB: uB
            }
        }
        set {
            switch field {
            case .iF: iF = newValue
            case .iB: iB = newValue
            case .jF: jF = newValue
            case .jB: jB = newValue
            case .rI: rI = newValue
            case .rJ: rJ = newValue
            case .muPF: muPF = newValue
            case .muPB: muPB = newValue
            case .tPF: tPF = newValue
            case .tPB: tPB = newValue
            case .uF: uF = newValue
            case .uB: uB = newValue
            }
        }
    }

    /// The values of `field`.
    public subscript(field: IntegerField) -> [Int32] {
        get {
            switch field {
            case .statusF: statusF
            case .statusB: statusB
            case .iterationsF: iterationsF
            case .iterationsB: iterationsB
            }
        }
        set {
            switch field {
            case .statusF: statusF = newValue
            case .statusB: statusB = newValue
            case .iterationsF: iterationsF = newValue
            case .iterationsB: iterationsB = newValue
            }
        }
    }
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
    case wrongValueCount(field: String, expected: Int, actual: Int)
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
        case .wrongValueCount(let field, let expected, let actual):
            return "tile field \(field) has \(actual) values, expected \(expected)"
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
