/// A tile's results travel between ranks as its `storage`: the twelve
/// double fields in a fixed order, then the four Int32 fields (exact in a
/// Double). Bit patterns, NaN payloads included, survive unchanged.
extension TileValues: TilePayload {
    public func encoded() -> [Double] { Array(storage) }

    public init(decoding values: ArraySlice<Double>, pointsPerTile n: Int) throws {
        guard values.count == n * Self.valuesPerPoint else {
            throw TilePayloadError.wrongLength(expected: n * Self.valuesPerPoint, actual: values.count)
        }
        let integers = values[(values.startIndex + Self.integerOffsetInPoints * n)...]
        if let x = integers.first(where: { Int32(exactly: $0) == nil }) {
            throw TilePayloadError.notAnInteger(x)
        }
        self.init(pointCount: n, storage: values)
    }

    /// Points where the forward or backward solve did not converge.
    public var nonConvergedPoints: Int {
        let (forward, backward) = (range(of: .statusF), range(of: .statusB))
        return zip(storage[forward], storage[backward]).reduce(0) { $0 + ($1.0 != 0 || $1.1 != 0 ? 1 : 0) }
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
