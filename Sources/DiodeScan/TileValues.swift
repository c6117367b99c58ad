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
///
/// A field whose values are all zero bits may be *omitted*
/// (`omittingZeroFields()`): it is then absent from `storage` and reads as
/// zeros. Without screening `U` is zero, and so is the status of converged
/// points: 8 of the 20 entries of a point. The worker that computed the tile
/// omits them, so they never cross ranks and rank 0 knows which variables are
/// zero without reading them.
public struct TileValues: Sendable, Equatable {
    /// The fields of doubles, in the order of the file's datasets and of `storage`.
    ///
    /// The last eight are the optional reference currents (`[output] extras`,
    /// docs/jobs.md): I_lin, J_lin, I_eqT, J_eqT of each configuration. A scan
    /// that does not ask for them leaves them zero, so they are omitted and
    /// never cross ranks; a file that does not hold them reads them as fill
    /// values (NaN).
    public enum DoubleField: Int, CaseIterable, Sendable {
        case iF, iB, jF, jB, rI, rJ, muPF, muPB, tPF, tPB, uF, uB
        case iLinF, iLinB, jLinF, jLinB, iEqTF, iEqTB, jEqTF, jEqTB

        /// The reference-current fields, in the order above.
        public static let extras: [DoubleField] = [.iLinF, .iLinB, .jLinF, .jLinB, .iEqTF, .iEqTB, .jEqTF, .jEqTB]

        /// Values per point: three (`U_1`, `U_2`, `U_3`) for the potentials, else one.
        public var valuesPerPoint: Int { self == .uF || self == .uB ? 3 : 1 }

        /// The field's member of a `FieldSet`.
        public var member: FieldSet { FieldSet(rawValue: 1 << UInt32(rawValue)) }
    }

    /// The fields of 32-bit integers, in file order, after the doubles in `storage`.
    public enum IntegerField: Int, CaseIterable, Sendable {
        case statusF, statusB, iterationsF, iterationsB

        /// The field's member of a `FieldSet`.
        public var member: FieldSet {
            FieldSet(rawValue: 1 << UInt32(DoubleField.allCases.count + rawValue))
        }
    }

    /// A set of fields, one bit each in storage order: the double fields by
    /// raw value, then the integer fields.
    public struct FieldSet: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// The number of fields, doubles and integers.
        static let count = DoubleField.allCases.count + IntegerField.allCases.count
        /// Every field of a tile.
        public static let all = FieldSet(rawValue: (1 << UInt32(count)) - 1)
        /// The fields of three values a point (`U_F`, `U_B`).
        static let potentials: FieldSet = [DoubleField.uF.member, DoubleField.uB.member]
        static let integers = FieldSet(IntegerField.allCases.map(\.member))

        /// Entries a point of these fields take in `storage`: one a field,
        /// three for a potential.
        var entriesPerPoint: Int {
            rawValue.nonzeroBitCount + 2 * intersection(Self.potentials).rawValue.nonzeroBitCount
        }

        /// The members that come before `member` in storage order.
        func before(_ member: FieldSet) -> FieldSet { FieldSet(rawValue: rawValue & (member.rawValue &- 1)) }
    }

    /// Entries of `storage` per point with no field omitted: eighteen
    /// per-point doubles, two `U` triples, four integers.
    public static let valuesPerPoint = FieldSet.all.entriesPerPoint

    /// The number of points (ε1 values) of the tile.
    public let pointCount: Int
    /// The fields that are all zero bits and not held in `storage`.
    public private(set) var omittedFields: FieldSet
    /// The fields not omitted, laid out as described above
    /// (`pointCount × presentFields.entriesPerPoint` entries; a slice, whose
    /// indices need not start at 0).
    public private(set) var storage: ArraySlice<Double>

    /// A tile of `pointCount` points holding the file's fill values: NaN
    /// everywhere, status and iterations −1 ("not computed").
    public init(pointCount: Int) {
        self.pointCount = pointCount
        omittedFields = []
        let integers = FieldSet.all.subtracting(.integers).entriesPerPoint * pointCount
        var values = [Double](repeating: .nan, count: Self.valuesPerPoint * pointCount)
        values.withUnsafeMutableBufferPointer { $0[integers...].update(repeating: -1) }
        storage = values[...]
    }

    /// A tile from its `storage` (already checked: the right length for the
    /// fields present, integers exact).
    init(pointCount: Int, omittedFields: FieldSet, storage: ArraySlice<Double>) {
        self.pointCount = pointCount
        self.omittedFields = omittedFields
        self.storage = storage
    }

    /// The fields held in `storage`.
    public var presentFields: FieldSet { FieldSet.all.subtracting(omittedFields) }

    /// Whether `field` is omitted (all zero bits, not in `storage`).
    public func omits(_ field: DoubleField) -> Bool { omittedFields.contains(field.member) }

    /// Whether `field` is omitted (all zero, not in `storage`).
    public func omits(_ field: IntegerField) -> Bool { omittedFields.contains(field.member) }

    /// Where `field` lies in `storage` (empty if it is omitted).
    public func range(of field: DoubleField) -> Range<Int> {
        range(of: field.member, count: omits(field) ? 0 : field.valuesPerPoint * pointCount)
    }

    /// Where `field` lies in `storage` (empty if it is omitted).
    public func range(of field: IntegerField) -> Range<Int> {
        range(of: field.member, count: omits(field) ? 0 : pointCount)
    }

    private func range(of member: FieldSet, count: Int) -> Range<Int> {
        let start = storage.startIndex + presentFields.before(member).entriesPerPoint * pointCount
        return start..<(start + count)
    }

    // The preconditions below check the engine's own use of a tile (the
    // evaluator fills tiles of its own size). Tiles that arrive from other
    // ranks never reach them unchecked: `init(decoding:pointsPerTile:)`
    // throws on a wrong length or a non-integer status first.

    /// The values of `field` (setting requires exactly as many values).
    public subscript(field: DoubleField) -> [Double] {
        get { omits(field) ? Array(repeating: 0, count: field.valuesPerPoint * pointCount) : Array(storage[range(of: field)]) }
        set {
            includeAll()
            let range = range(of: field)
            precondition(newValue.count == range.count, "\(field) of a \(pointCount)-point tile needs \(range.count) values")
            storage.replaceSubrange(range, with: newValue)
        }
    }

    /// The values of `field` (setting requires exactly `pointCount` values).
    public subscript(field: IntegerField) -> [Int32] {
        get { omits(field) ? Array(repeating: 0, count: pointCount) : storage[range(of: field)].map { Int32($0) } }
        set {
            includeAll()
            let range = range(of: field)
            precondition(newValue.count == range.count, "\(field) of a \(pointCount)-point tile needs \(range.count) values")
            storage.replaceSubrange(range, with: newValue.lazy.map(Double.init))
        }
    }

    /// Entry `index` of `field` (for `U_*`, point `index / 3`, region `index % 3`).
    public subscript(field: DoubleField, index: Int) -> Double {
        get {
            precondition(index >= 0 && index < field.valuesPerPoint * pointCount, "index \(index) outside \(field)")
            return omits(field) ? 0 : storage[range(of: field).lowerBound + index]
        }
        set {
            includeAll()
            storage[checkedPosition(of: index, in: range(of: field))] = newValue
        }
    }

    /// Entry `index` (the point) of `field`.
    public subscript(field: IntegerField, index: Int) -> Int32 {
        get {
            precondition(index >= 0 && index < pointCount, "index \(index) outside \(field)")
            return omits(field) ? 0 : Int32(storage[range(of: field).lowerBound + index])
        }
        set {
            includeAll()
            storage[checkedPosition(of: index, in: range(of: field))] = Double(newValue)
        }
    }

    private func checkedPosition(of index: Int, in range: Range<Int>) -> Int {
        precondition(index >= 0 && index < range.count, "index \(index) outside a field of \(range.count) values")
        return range.lowerBound + index
    }

    /// Appends the values of `field` to `array` (zeros if it is omitted),
    /// straight from `storage`.
    public func appendValues(of field: DoubleField, to array: inout [Double]) {
        if omits(field) {
            array.append(contentsOf: repeatElement(0, count: field.valuesPerPoint * pointCount))
        } else {
            let range = range(of: field)
            storage.withUnsafeBufferPointer { all in
                let offset = range.lowerBound - storage.startIndex
                array.append(contentsOf: UnsafeBufferPointer(rebasing: all[offset..<(offset + range.count)]))
            }
        }
    }

    /// Appends the values of `field` to `array` as Int32 (zeros if it is
    /// omitted; stored exactly as doubles, checked when a tile is made or
    /// decoded).
    ///
    /// Adding 1.5 · 2^52 puts an integer |x| < 2^51 into the low bits of the
    /// double's significand, two's complement, so its low 32 bits are the
    /// Int32: no checked conversion, and the loop vectorises (converted one
    /// by one, the integers cost as much as all the doubles of a batch).
    public func appendValues(of field: IntegerField, to array: inout [Int32]) {
        let start = array.count
        array.append(contentsOf: repeatElement(0, count: pointCount))
        guard !omits(field) else { return }
        let offset = range(of: field).lowerBound - storage.startIndex
        array.withUnsafeMutableBufferPointer { destination in
            storage.withUnsafeBufferPointer { all in
                for k in 0..<pointCount {
                    destination[start + k] = Int32(truncatingIfNeeded: (all[offset + k] + 0x1.8p52).bitPattern)
                }
            }
        }
    }

    /// The same values with every field that is all zero bits omitted (one
    /// pass over the zero fields; the others are rejected at their first
    /// block of values). Returns `self` if no field is zero.
    public func omittingZeroFields() -> TileValues {
        var zero = omittedFields
        for field in DoubleField.allCases where !omits(field) && isAllZeroBits(range(of: field)) { zero.insert(field.member) }
        for field in IntegerField.allCases where !omits(field) && isAllZeroBits(range(of: field)) { zero.insert(field.member) }
        return zero == omittedFields ? self : laidOut(omitting: zero)
    }

    /// Puts every omitted field back into `storage` as zeros (before a value is set).
    private mutating func includeAll() {
        guard !omittedFields.isEmpty else { return }
        self = laidOut(omitting: [])
    }

    /// The same values with exactly the fields of `omitted` left out of
    /// `storage` (each of them must be all zero bits).
    private func laidOut(omitting omitted: FieldSet) -> TileValues {
        var entries: [Double] = []
        entries.reserveCapacity(FieldSet.all.subtracting(omitted).entriesPerPoint * pointCount)
        for bit in 0..<FieldSet.count {
            let member = FieldSet(rawValue: 1 << bit)
            guard !omitted.contains(member) else { continue }
            let count = member.entriesPerPoint * pointCount
            if omittedFields.contains(member) {
                entries.append(contentsOf: repeatElement(0, count: count))
            } else {
                entries += storage[range(of: member, count: count)]
            }
        }
        return TileValues(pointCount: pointCount, omittedFields: omitted, storage: entries[...])
    }

    /// Whether every value of `field` is +0.0 (all bits zero, so its bytes
    /// in the file are zeros too): at once if it is omitted.
    public func isAllZeroBits(_ field: DoubleField) -> Bool { omits(field) || isAllZeroBits(range(of: field)) }

    /// Whether every value of `field` is 0 (all bits zero as a double and as
    /// an Int32): at once if it is omitted.
    public func isAllZeroBits(_ field: IntegerField) -> Bool { omits(field) || isAllZeroBits(range(of: field)) }

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

    /// Bitwise equality of every field (NaN equals NaN with the same
    /// payload; an omitted field equals one of zeros), what a resumed scan
    /// must reproduce.
    public func isBitwiseEqual(to other: TileValues) -> Bool {
        guard pointCount == other.pointCount else { return false }
        if omittedFields == other.omittedFields {
            return storage.elementsEqual(other.storage, by: { $0.bitPattern == $1.bitPattern })
        }
        func same<T>(_ a: [T], _ b: [T], _ bits: (T) -> UInt64) -> Bool { a.elementsEqual(b, by: { bits($0) == bits($1) }) }
        return DoubleField.allCases.allSatisfy { same(self[$0], other[$0], \.bitPattern) }
            && IntegerField.allCases.allSatisfy { same(self[$0], other[$0], { UInt64(UInt32(bitPattern: $0)) }) }
    }

    public static func == (lhs: TileValues, rhs: TileValues) -> Bool { lhs.isBitwiseEqual(to: rhs) }
}
