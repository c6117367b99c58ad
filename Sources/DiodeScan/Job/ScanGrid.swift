import Foundation

/// The three axes of a scan and their division into tiles.
///
/// Results are stored with dimensions `(dT, eps3, eps1)`. A tile is one ε1
/// line at fixed (ΔT, ε3): the unit of work handed to a rank or thread, and
/// the unit of continuation (each point of a tile starts its solver from the
/// previous point's solution; the first point starts cold). Tiles are numbered
/// in storage order, `number = dTIndex · eps3.count + eps3Index`.
public struct ScanGrid: Sendable, Hashable {
    /// Absolute resonance energies of barrier 1, k_B T (strictly increasing).
    public var eps1: [Double]
    /// Absolute resonance energies of barrier 3, k_B T (strictly increasing).
    public var eps3: [Double]
    /// Temperature differences ΔT > −1, in units of T (strictly increasing).
    public var dT: [Double]

    /// The most values an axis may have (a job's `count` or list).
    public static let maximumAxisCount = 1_000_000
    /// The most points and tiles a grid may have: 10^11 points make a
    /// 14.4 TB file (144 bytes a point), and rank 0 keeps a list of the
    /// tiles (8 bytes a tile) while it hands them out.
    public static let maximumPointCount = 100_000_000_000
    public static let maximumTileCount = 10_000_000

    /// Builds a grid from axes that satisfy the invariants above.
    public init(eps1: [Double], eps3: [Double], dT: [Double]) {
        // Internal invariant: job files are the only input, and `axis`
        // rejects an empty axis with a JobError before this runs.
        precondition(!eps1.isEmpty && !eps3.isEmpty && !dT.isEmpty, "a scan axis is empty")
        self.eps1 = eps1
        self.eps3 = eps3
        self.dT = dT
    }

    public var pointCount: Int { eps1.count * eps3.count * dT.count }
    public var tileCount: Int { eps3.count * dT.count }
    /// Points per tile (the length of an ε1 line).
    public var pointsPerTile: Int { eps1.count }

    /// Grid indices of tile `number`.
    public func tile(_ number: Int) -> (dT: Int, eps3: Int) {
        // Internal invariant: tile numbers come from `0..<tileCount` (the
        // pending list) or, from other ranks, are checked against it by
        // `ScanEngine.validTiles` before they are used.
        precondition((0..<tileCount).contains(number), "tile number \(number) outside 0..<\(tileCount)")
        return (number / eps3.count, number % eps3.count)
    }

    /// Number of the tile at grid indices (dT, eps3).
    public func tileNumber(dT: Int, eps3: Int) -> Int {
        // Internal invariant: callers pass indices of this grid's axes.
        precondition((0..<self.dT.count).contains(dT) && (0..<self.eps3.count).contains(eps3), "tile index out of range")
        return dT * self.eps3.count + eps3
    }

    init(parsing table: TOMLTable) throws(JobError) {
        var reader = TableReader(table, path: "grid")
        let energy = "finite energies in k_B T"
        guard let eps1 = reader.value("eps1") else { throw reader.missing("eps1", ScanGrid.axisHelp) }
        guard let eps3 = reader.value("eps3") else { throw reader.missing("eps3", ScanGrid.axisHelp) }
        guard let dT = reader.value("dT") else { throw reader.missing("dT", ScanGrid.axisHelp) }
        try reader.finish()
        // The size first, from the counts alone: a huge axis is refused
        // before anything is allocated for it.
        let counts = [try ScanGrid.count(of: eps1, key: "grid.eps1"), try ScanGrid.count(of: eps3, key: "grid.eps3"),
                      try ScanGrid.count(of: dT, key: "grid.dT")]
        let (tiles, tilesOverflow) = counts[1].multipliedReportingOverflow(by: counts[2])
        let (points, pointsOverflow) = tiles.multipliedReportingOverflow(by: counts[0])
        let size = "\(counts[0]) eps1 × \(counts[1]) eps3 × \(counts[2]) dT"
        if tilesOverflow || tiles > ScanGrid.maximumTileCount {
            throw JobError(line: table.line, key: "grid", message: "grid: \(size) makes \(tilesOverflow ? "too many" : String(tiles)) "
                           + "tiles (eps3 × dT); allowed: at most \(ScanGrid.maximumTileCount)")
        }
        if pointsOverflow || points > ScanGrid.maximumPointCount {
            throw JobError(line: table.line, key: "grid", message: "grid: \(size) makes \(pointsOverflow ? "too many" : String(points)) "
                           + "points; allowed: at most \(ScanGrid.maximumPointCount) points "
                           + "(a \(ScanGrid.formatBytes(Double(ScanGrid.maximumPointCount) * 144)) file)")
        }
        self.init(
            eps1: try ScanGrid.axis(eps1, key: "grid.eps1", allowed: energy),
            eps3: try ScanGrid.axis(eps3, key: "grid.eps3", allowed: energy),
            dT: try ScanGrid.axis(dT, key: "grid.dT", allowed: "finite numbers > -1 (ΔT in units of T)") { $0 > -1 })
    }

    /// The number of values an axis entry asks for, checked against
    /// `maximumAxisCount` without building the axis (other mistakes are
    /// left to `axis`, which reports them).
    static func count(of entry: TOMLTable.Entry, key: String) throws(JobError) -> Int {
        switch entry.value {
        case .array(let items):
            if items.count > maximumAxisCount {
                throw JobError(line: entry.line, key: key,
                               message: "\(key) has \(items.count) values; allowed: at most \(maximumAxisCount)")
            }
            return items.count
        case .table(let range):
            guard case .integer(let count)? = range["count"]?.value else { return 1 }
            if count > maximumAxisCount {
                throw JobError(line: range["count"]?.line ?? entry.line, key: "\(key).count",
                               message: "\(key).count = \(count) is out of range; allowed: an integer ≥ 1 "
                               + "(≥ 2 when from ≠ to), at most \(maximumAxisCount)")
            }
            return max(count, 1)
        default:
            return 1
        }
    }

    /// `bytes` as a short decimal size: "1.44 TB", "535 kB".
    public static func formatBytes(_ bytes: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes, unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(Int(value)) B" : String(format: "%.3g %@", value, units[unit])
    }

    static let axisHelp = "an axis, either { from = ..., to = ..., count = ... } or a list of numbers [..., ...]"

    /// An axis from `{ from, to, count }` (evenly spaced, both ends included)
    /// or from an explicit list; either way strictly increasing and non-empty.
    static func axis(_ entry: TOMLTable.Entry, key: String, allowed: String,
                     _ isAllowed: (Double) -> Bool = { _ in true }) throws(JobError) -> [Double] {
        let values: [Double]
        switch entry.value {
        case .array(let items):
            guard !items.isEmpty else {
                throw JobError(line: entry.line, key: key, message: "\(key) = [] is empty; an axis needs at least one value")
            }
            var list: [Double] = []
            for (i, item) in items.enumerated() {
                list.append(try TableReader.real(item, key: "\(key)[\(i)]", line: entry.line, allowed: allowed, isAllowed))
            }
            values = list
        case .table(let range):
            var reader = TableReader(range, path: key)
            let from = try reader.real("from", allowed: allowed, isAllowed)
            let to = try reader.real("to", allowed: allowed, isAllowed)
            let count = try reader.integer("count", allowed: "an integer ≥ 1 (≥ 2 when from ≠ to), at most \(maximumAxisCount)") {
                (1...maximumAxisCount).contains($0)
            }
            try reader.finish()
            guard let from else { throw reader.missing("from", "the first value of the axis") }
            guard let to else { throw reader.missing("to", "the last value of the axis") }
            guard let count else { throw reader.missing("count", "the number of values, an integer ≥ 1") }
            if count == 1 {
                guard from == to else {
                    throw reader.error("count", "\(key).count = 1 needs from = to (found from = \(from), to = \(to)); use count ≥ 2 for a range")
                }
                values = [from]
            } else {
                guard from < to else {
                    throw reader.error("to", "\(key) = \(entry.value.shortText()) is not increasing; allowed: from < to")
                }
                // from + (to − from)·i/(n − 1), with the last value exactly `to`.
                let step = (to - from) / Double(count - 1)
                values = (0..<count).map { i in i == count - 1 ? to : from + Double(i) * step }
            }
        default:
            throw JobError(line: entry.line, key: key,
                           message: "\(key) = \(entry.value.shortText()) is a \(entry.value.typeName); expected \(axisHelp)")
        }
        for i in values.indices.dropFirst() where !(values[i] > values[i - 1]) {
            throw JobError(line: entry.line, key: key,
                           message: "\(key) is not strictly increasing (\(values[i - 1]) then \(values[i])); allowed: increasing values without repeats")
        }
        return values
    }
}

extension ScanGrid {
    /// The result file's axes for this grid.
    public var axes: ScanAxes { ScanAxes(eps1: eps1, eps3: eps3, dT: dT) }

    public func tileIndex(_ number: Int) -> TileIndex {
        let (dT, eps3) = tile(number)
        return TileIndex(dT: dT, eps3: eps3)
    }

    /// Numbers of the tiles not in `completed`, in storage order: what a
    /// resumed scan still has to compute.
    public func pendingTiles(excluding completed: Set<TileIndex>) -> [Int] {
        (0..<tileCount).filter { !completed.contains(tileIndex($0)) }
    }
}
