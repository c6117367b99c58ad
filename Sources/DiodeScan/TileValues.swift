/// The results of one tile, one entry per ε1 point (`U_*` three entries per
/// point, region fastest: `[U1(ε1₀), U2(ε1₀), U3(ε1₀), U1(ε1₁), ...]`).
///
/// F is the forward configuration (T_L = 1 + ΔT), B the backward one
/// (T_R = 1 + ΔT). Status codes: −1 not computed, 0 converged,
/// 1 not converged, 2 non-finite.
///
/// All fields live in one run of doubles, `storage`: every `DoubleField`
/// in order, then every `IntegerField` (exact as doubles), each field
/// contiguous. That is also the tile's MPI payload, so a tile crosses ranks
/// and reaches the file without being taken apart: one allocation per tile
/// instead of one per field, and on rank 0 a received tile stays a slice of
/// the message it came in, from which each field is copied straight into
/// the file's write buffer.
public struct TileValues: Sendable, Equatable {
    /// The fields of doubles, in the order of the file's datasets and of `storage`.
    public enum DoubleField: Int, CaseIterable, Sendable {
        case iF, iB, jF, jB, rI, rJ, muPF, muPB, tPF, tPB, uF, uB

        /// Values per point: three (`U_1`, `U_2`, `U_3`) for the potentials, else one.
        public var valuesPerPoint: Int { self == .uF || self == .uB ? 3 : 1 }

        /// Where the field starts in `storage`, in units of the point count.
        var offsetInPoints: Int { rawValue <= DoubleField.uF.rawValue ? rawValue : rawValue + 2 }
    }

    /// The fields of 32-bit integers, in file order, after the doubles in `storage`.
    public enum IntegerField: Int, CaseIterable, Sendable {
        case statusF, statusB, iterationsF, iterationsB

        var offsetInPoints: Int { TileValues.integerOffsetInPoints + rawValue }
    }

    /// Entries of `storage` per point: ten per-point doubles, two `U`
    /// triples, four integers.
    public static let valuesPerPoint = integerOffsetInPoints + IntegerField.allCases.count
    /// Where the integer fields start in `storage`, in units of the point count.
    static let integerOffsetInPoints = 10 + 2 * 3

    /// The number of points (ε1 values) of the tile.
    public let pointCount: Int
    /// Every field, laid out as described above (`valuesPerPoint × pointCount`
    /// entries; a slice, whose indices need not start at 0).
    public private(set) var storage: ArraySlice<Double>

    /// A tile of `pointCount` points holding the file's fill values: NaN
    /// everywhere, status and iterations −1 ("not computed").
    public init(pointCount: Int) {
        self.pointCount = pointCount
        let integers = Self.integerOffsetInPoints * pointCount
        var values = [Double](repeating: .nan, count: Self.valuesPerPoint * pointCount)
        values.withUnsafeMutableBufferPointer { $0[integers...].update(repeating: -1) }
        storage = values[...]
    }

    /// A tile from its `storage` (already checked: the right length,
    /// integers exact).
    init(pointCount: Int, storage: ArraySlice<Double>) {
        self.pointCount = pointCount
        self.storage = storage
    }

    /// Where `field` lies in `storage`.
    public func range(of field: DoubleField) -> Range<Int> {
        let start = storage.startIndex + field.offsetInPoints * pointCount
        return start..<(start + field.valuesPerPoint * pointCount)
    }

    /// Where `field` lies in `storage`.
    public func range(of field: IntegerField) -> Range<Int> {
        let start = storage.startIndex + field.offsetInPoints * pointCount
        return start..<(start + pointCount)
    }

    /// The values of `field` (setting requires exactly as many values).
    public subscript(field: DoubleField) -> [Double] {
        get { Array(storage[range(of: field)]) }
        set {
            let range = range(of: field)
            precondition(newValue.count == range.count, "\(field) of a \(pointCount)-point tile needs \(range.count) values")
            storage.replaceSubrange(range, with: newValue)
        }
    }

    /// The values of `field` (setting requires exactly `pointCount` values).
    public subscript(field: IntegerField) -> [Int32] {
        get { storage[range(of: field)].map { Int32($0) } }
        set {
            let range = range(of: field)
            precondition(newValue.count == range.count, "\(field) of a \(pointCount)-point tile needs \(range.count) values")
            storage.replaceSubrange(range, with: newValue.lazy.map(Double.init))
        }
    }

    /// Entry `index` of `field` (for `U_*`, point `index / 3`, region `index % 3`).
    public subscript(field: DoubleField, index: Int) -> Double {
        get { storage[checkedPosition(of: index, in: range(of: field))] }
        set { storage[checkedPosition(of: index, in: range(of: field))] = newValue }
    }

    /// Entry `index` (the point) of `field`.
    public subscript(field: IntegerField, index: Int) -> Int32 {
        get { Int32(storage[checkedPosition(of: index, in: range(of: field))]) }
        set { storage[checkedPosition(of: index, in: range(of: field))] = Double(newValue) }
    }

    private func checkedPosition(of index: Int, in range: Range<Int>) -> Int {
        precondition(index >= 0 && index < range.count, "index \(index) outside a field of \(range.count) values")
        return range.lowerBound + index
    }

    /// Whether every value of `field` is +0.0 (all bits zero, so its bytes
    /// in the file are zeros too).
    public func isAllZeroBits(_ field: DoubleField) -> Bool { isAllZeroBits(range(of: field)) }

    /// Whether every value of `field` is 0 (all bits zero as a double and as an Int32).
    public func isAllZeroBits(_ field: IntegerField) -> Bool { isAllZeroBits(range(of: field)) }

    /// ORs blocks of eight values' bits, so that a zero field is checked at
    /// memory speed and any other field is rejected at its first block.
    private func isAllZeroBits(_ range: Range<Int>) -> Bool {
        storage[range].withUnsafeBufferPointer { values in
            values.withMemoryRebound(to: UInt64.self) { bits in
                var start = 0
                while start < bits.count {
                    let end = min(start + 8, bits.count)
                    var any: UInt64 = 0
                    for k in start..<end { any |= bits[k] }
                    if any != 0 { return false }
                    start = end
                }
                return true
            }
        }
    }

    /// Bitwise equality (NaN equals NaN with the same payload), what a
    /// resumed scan must reproduce.
    public func isBitwiseEqual(to other: TileValues) -> Bool {
        pointCount == other.pointCount
            && storage.elementsEqual(other.storage, by: { $0.bitPattern == $1.bitPattern })
    }

    public static func == (lhs: TileValues, rhs: TileValues) -> Bool { lhs.isBitwiseEqual(to: rhs) }
}
