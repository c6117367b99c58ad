import Foundation

/// The axes of a scan and their division into tiles.
///
/// `[grid]` lists the axes innermost first; results are stored with the
/// reverse order as dimensions, outermost first (`ScanAxes`): the paper's
/// jobs list `eps1, eps3, dT` and store `(dT, eps3, eps1)`. A tile is one
/// line along the innermost axis at fixed indices of the outer ones: the
/// unit of work handed to a rank or thread, and the unit of continuation
/// (each point of a tile starts its solver from the previous point's
/// solution; the first point starts cold). Tiles are numbered in storage
/// order (row-major over the outer axes; `dTIndex · eps3.count + eps3Index`
/// for the paper's grids).
public struct ScanGrid: Sendable, Hashable {
    /// The axes, outermost first (the file's dimension order).
    public var axes: ScanAxes

    /// The most values an axis may have (a job's `count` or list).
    public static let maximumAxisCount = 1_000_000
    /// The most points and tiles a grid may have: 10^11 points make a
    /// 14.4 TB file (144 bytes a point), and rank 0 keeps a list of the
    /// tiles (8 bytes a tile) while it hands them out.
    public static let maximumPointCount = 100_000_000_000
    public static let maximumTileCount = 10_000_000

    /// Builds a grid from axes that satisfy the invariants above (at least
    /// two, none empty, keys distinct).
    public init(axes: ScanAxes) {
        // Internal invariant: job files are the only input, and parsing
        // rejects an empty axis or fewer than two with a JobError first.
        precondition(axes.dimensions.count >= 2 && axes.dimensions.allSatisfy { !$0.values.isEmpty },
                     "a scan needs at least two non-empty axes")
        self.axes = axes
    }

    /// The paper's grid: dimensions `(dT, eps3, eps1)`.
    public init(eps1: [Double], eps3: [Double], dT: [Double]) {
        self.init(axes: ScanAxes(eps1: eps1, eps3: eps3, dT: dT))
    }

    /// The values of the axis `key` (empty when it is not an axis).
    public func values(of key: String) -> [Double] { axes.values(of: key) }
    public var eps1: [Double] { axes.eps1 }
    public var eps3: [Double] { axes.eps3 }
    public var dT: [Double] { axes.dT }

    public var pointCount: Int { axes.pointCount }
    public var tileCount: Int { axes.tileCount }
    /// Points per tile (the length of the innermost axis).
    public var pointsPerTile: Int { axes.pointsPerTile }

    /// Outer-axis indices of tile `number`, outermost first.
    public func tile(_ number: Int) -> [Int] {
        // Internal invariant: tile numbers come from `0..<tileCount` (the
        // pending list) or, from other ranks, are checked against it by
        // `ScanEngine.validTiles` before they are used.
        precondition((0..<tileCount).contains(number), "tile number \(number) outside 0..<\(tileCount)")
        return axes.tileIndex(number).indices
    }

    /// The allowed values of an axis, in words (the paper's axes keep their
    /// earlier wording).
    static func allowed(for parameter: ModelParameter) -> String {
        switch parameter.key {
        case "eps1", "eps3": "finite energies in k_B T"
        case "dT": "finite numbers > -1 (ΔT in units of T)"
        default: parameter.allowed
        }
    }

    init(parsing table: TOMLTable) throws(JobError) {
        // Keys in the order written: the first is the innermost axis.
        var entries: [(parameter: ModelParameter, entry: TOMLTable.Entry)] = []
        for key in table.keys {
            guard let entry = table[key] else { continue }
            guard let parameter = ModelParameter.axis(key) else {
                throw JobError(line: entry.line, key: "grid.\(key)",
                               message: "unknown key 'grid.\(key)' in [grid]; allowed axes: "
                               + ModelParameter.axisParameters.map(\.key).joined(separator: ", "))
            }
            entries.append((parameter, entry))
        }
        guard entries.count >= 2 else {
            let given = entries.first.map { "only grid.\($0.parameter.key)" } ?? "no axis"
            throw JobError(line: table.line, key: "grid",
                           message: "[grid] has \(given); a scan needs at least two axes, listed innermost first "
                           + "(e.g. eps1, eps3, dT); give a fixed value as a one-value axis (dT = [1.0]) or in [model]")
        }
        // The size first, from the counts alone: a huge axis is refused
        // before anything is allocated for it.
        var counts: [Int] = []
        for (parameter, entry) in entries { counts.append(try ScanGrid.count(of: entry, key: "grid.\(parameter.key)")) }
        var tiles = 1, tilesOverflow = false
        for count in counts.dropFirst() where !tilesOverflow {
            (tiles, tilesOverflow) = tiles.multipliedReportingOverflow(by: count)
        }
        let (points, pointsOverflow) = tiles.multipliedReportingOverflow(by: counts[0])
        let size = zip(entries, counts).map { "\($1) \($0.parameter.key)" }.joined(separator: " × ")
        let outerNames = entries.dropFirst().map(\.parameter.key).joined(separator: " × ")
        if tilesOverflow || tiles > ScanGrid.maximumTileCount {
            throw JobError(line: table.line, key: "grid", message: "grid: \(size) makes \(tilesOverflow ? "too many" : String(tiles)) "
                           + "tiles (\(outerNames)); allowed: at most \(ScanGrid.maximumTileCount)")
        }
        if tilesOverflow || pointsOverflow || points > ScanGrid.maximumPointCount {
            throw JobError(line: table.line, key: "grid", message: "grid: \(size) makes \(pointsOverflow ? "too many" : String(points)) "
                           + "points; allowed: at most \(ScanGrid.maximumPointCount) points "
                           + "(a \(ScanGrid.formatBytes(Double(ScanGrid.maximumPointCount) * 144)) file)")
        }
        var dimensions: [ScanAxis] = []
        for (parameter, entry) in entries {
            let values = try ScanGrid.axis(entry, key: "grid.\(parameter.key)", allowed: ScanGrid.allowed(for: parameter),
                                           parameter.isAllowed)
            dimensions.append(ScanAxis(parameter.key, values))
        }
        self.init(axes: ScanAxes(dimensions.reversed()))
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
    public func tileIndex(_ number: Int) -> TileIndex { axes.tileIndex(number) }

    /// Numbers of the tiles not in `completed`, in storage order: what a
    /// resumed scan still has to compute.
    public func pendingTiles(excluding completed: Set<TileIndex>) -> [Int] {
        (0..<tileCount).filter { !completed.contains(tileIndex($0)) }
    }
}
