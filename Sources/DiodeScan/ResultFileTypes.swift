import DiodeHDF5

/// One grid axis of a scan: a coordinate of the result file, named by its
/// key (a `ModelParameter` key, or a rotated coordinate such as `detuning`).
public struct ScanAxis: Sendable, Hashable {
    /// The job key and the coordinate's dataset name.
    public var key: String
    /// Strictly increasing, non-empty.
    public var values: [Double]

    public init(_ key: String, _ values: [Double]) {
        self.key = key
        self.values = values
    }
}

/// The grid axes of a scan in the file's dimension order, outermost first:
/// the result arrays have dimensions `(dimensions[0].key, …, dimensions[N−1].key)`,
/// the last (innermost) axis fastest. A tile is one line along the
/// innermost axis at fixed indices of the outer ones; tiles are numbered in
/// storage order (row-major over the outer axes). The three-axis scans of
/// the paper have `(dT, eps3, eps1)`.
public struct ScanAxes: Sendable, Hashable {
    /// Outermost first; at least two (`tile_done` has the outer ones as
    /// dimensions, and HDF5 has no use for a zero-dimensional flag array).
    public var dimensions: [ScanAxis]

    public init(_ dimensions: [ScanAxis]) {
        self.dimensions = dimensions
    }

    /// The paper's three axes: dimensions `(dT, eps3, eps1)`.
    public init(eps1: [Double], eps3: [Double], dT: [Double]) {
        self.init([ScanAxis("dT", dT), ScanAxis("eps3", eps3), ScanAxis("eps1", eps1)])
    }

    /// The values of the axis `key`; empty when there is no such axis.
    public func values(of key: String) -> [Double] { dimensions.first { $0.key == key }?.values ?? [] }
    public var eps1: [Double] { values(of: "eps1") }
    public var eps3: [Double] { values(of: "eps3") }
    public var dT: [Double] { values(of: "dT") }

    /// The innermost axis: the line of a tile.
    public var inner: ScanAxis { dimensions[dimensions.count - 1] }
    /// The outer axes, outermost first: the dimensions of `tile_done`.
    public var outer: ArraySlice<ScanAxis> { dimensions.dropLast() }
    /// Sizes of the outer axes (the shape of `tile_done`).
    public var outerShape: [Int] { outer.map(\.values.count) }
    /// Sizes of all axes (the shape of a result dataset without `region`).
    public var shape: [Int] { dimensions.map(\.values.count) }

    /// Points per tile (the length of the innermost axis).
    public var pointsPerTile: Int { inner.values.count }
    /// The number of tiles, the product of the outer axes' sizes.
    public var tileCount: Int { outerShape.reduce(1, *) }
    /// The number of grid points.
    public var pointCount: Int { tileCount * pointsPerTile }

    /// The tile numbered `number` in storage order (row-major over the outer axes).
    public func tileIndex(_ number: Int) -> TileIndex {
        var indices = [Int](repeating: 0, count: outer.count)
        var rest = number
        for (position, size) in outerShape.enumerated().reversed() {
            indices[position] = rest % size
            rest /= size
        }
        return TileIndex(indices)
    }

    /// The storage-order number of `tile` (its offset in `tile_done` read whole).
    public func tileNumber(_ tile: TileIndex) -> Int {
        var number = 0
        for (index, size) in zip(tile.indices, outerShape) { number = number * size + index }
        return number
    }

    /// Whether `tile` has one index per outer axis, each in range.
    public func contains(_ tile: TileIndex) -> Bool {
        tile.indices.count == outer.count && zip(tile.indices, outerShape).allSatisfy { (0..<$1).contains($0) }
    }

    /// Every tile, in file order.
    public var allTiles: [TileIndex] { (0..<tileCount).map(tileIndex) }

    /// `tile (dT #1, eps3 #0)`: a tile named by its axes.
    public func describe(_ tile: TileIndex) -> String {
        let names = outer.map(\.key)
        guard names.count == tile.indices.count else { return "\(tile)" }
        return "tile (" + zip(names, tile.indices).map { "\($0) #\($1)" }.joined(separator: ", ") + ")"
    }

    /// `2 dT × 3 eps3`: the outer axes' sizes.
    public var outerSizeDescription: String {
        outer.map { "\($0.values.count) \($0.key)" }.joined(separator: " × ")
    }
}

/// One tile of a scan: the line along the innermost axis at fixed indices of
/// the outer axes (outermost first).
public struct TileIndex: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// One index per outer axis, outermost first.
    public var indices: [Int]

    public init(_ indices: [Int]) {
        self.indices = indices
    }

    /// A tile of the paper's three-axis grid `(dT, eps3, eps1)`.
    public init(dT: Int, eps3: Int) {
        self.init([dT, eps3])
    }

    /// Tiles compare in storage order.
    public static func < (lhs: TileIndex, rhs: TileIndex) -> Bool {
        lhs.indices.lexicographicallyPrecedes(rhs.indices)
    }

    public var description: String { "tile (" + indices.map { "#\($0)" }.joined(separator: ", ") + ")" }
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
    /// The tile as `ScanAxes.describe` names it, and the outer axes' sizes.
    case invalidTile(String, outer: String)
    /// The tile as `ScanAxes.describe` names it, and the innermost axis.
    case wrongPointCount(String, axis: String, expected: Int, actual: Int)
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
        case .invalidTile(let tile, let outer):
            return "\(tile) lies outside the grid of \(outer) tiles"
        case .wrongPointCount(let tile, let axis, let expected, let actual):
            return "\(tile) has \(actual) points, the grid has \(expected) \(axis) values"
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
