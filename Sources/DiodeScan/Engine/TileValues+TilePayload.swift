/// A tile's results travel between ranks as one array of doubles: the twelve
/// double fields in a fixed order, then the four Int32 fields (exact in a
/// Double). Bit patterns, NaN payloads included, survive unchanged.
extension TileValues: TilePayload {
    /// Values per point: ten per-point doubles, two `U` triples, four integers.
    static let doublesPerPoint = 10 + 2 * 3 + 4

    public func encoded() -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(statusF.count * Self.doublesPerPoint)
        for field in DoubleField.allCases { values += self[field] }
        for field in IntegerField.allCases { values += self[field].lazy.map(Double.init) }
        return values
    }

    public init(decoding values: ArraySlice<Double>, pointsPerTile n: Int) throws {
        guard values.count == n * Self.doublesPerPoint else {
            throw TilePayloadError.wrongLength(expected: n * Self.doublesPerPoint, actual: values.count)
        }
        self.init(pointCount: 0)  // every field is replaced below
        var offset = values.startIndex
        for field in DoubleField.allCases {
            let count = field.valuesPerPoint * n
            self[field] = Array(values[offset..<(offset + count)])
            offset += count
        }
        for field in IntegerField.allCases {
            self[field] = try values[offset..<(offset + n)].map { x in
                guard let i = Int32(exactly: x) else { throw TilePayloadError.notAnInteger(x) }
                return i
            }
            offset += n
        }
    }

    /// Points where the forward or backward solve did not converge.
    public var nonConvergedPoints: Int {
        zip(statusF, statusB).reduce(0) { $0 + ($1.0 != 0 || $1.1 != 0 ? 1 : 0) }
    }
}

public enum TilePayloadError: Error, CustomStringConvertible {
    case wrongLength(expected: Int, actual: Int)
    case notAnInteger(Double)
    public var description: String {
        switch self {
        case .wrongLength(let expected, let actual): "tile message has \(actual) values, expected \(expected)"
        case .notAnInteger(let x): "tile message holds \(x) where an integer status was expected"
        }
    }
}
