/// A tile's results travel between ranks as the raw value of its omitted
/// fields followed by its `storage`: the double fields present in a fixed
/// order, then the Int32 fields present (exact in a Double). Bit patterns,
/// NaN payloads included, survive unchanged; omitted fields (all zero bits)
/// cost no bytes.
extension TileValues: TilePayload {
    public func encoded() -> [Double] {
        var message: [Double] = []
        message.reserveCapacity(1 + storage.count)
        message.append(Double(omittedFields.rawValue))
        message += storage
        return message
    }

    public init(decoding values: ArraySlice<Double>, pointsPerTile n: Int) throws {
        guard let header = values.first, let bits = UInt32(exactly: header), bits <= FieldSet.all.rawValue else {
            throw TilePayloadError.badHeader(values.first)
        }
        let omitted = FieldSet(rawValue: bits)
        let expected = 1 + n * FieldSet.all.subtracting(omitted).entriesPerPoint
        guard values.count == expected else {
            throw TilePayloadError.wrongLength(expected: expected, actual: values.count)
        }
        self.init(pointCount: n, omittedFields: omitted, storage: values.dropFirst())
        for field in IntegerField.allCases where !omits(field) {
            if let x = storage[range(of: field)].first(where: { Int32(exactly: $0) == nil }) {
                throw TilePayloadError.notAnInteger(x)
            }
        }
    }

    /// Points where the forward or backward solve did not converge (any
    /// status but 0 and 3, converged with a second solution, which is valid),
    /// none, without reading, when both status fields are omitted: all zero.
    public var nonConvergedPoints: Int {
        guard !(omits(.statusF) && omits(.statusB)) else { return 0 }
        func failed(_ code: Int32) -> Bool { code != 0 && code != 3 }
        return (0..<pointCount).reduce(0) { $0 + (failed(self[.statusF, $1]) || failed(self[.statusB, $1]) ? 1 : 0) }
    }
}

public enum TilePayloadError: Error, CustomStringConvertible {
    case badHeader(Double?)
    case wrongLength(expected: Int, actual: Int)
    case notAnInteger(Double)
    public var description: String {
        switch self {
        case .badHeader(let x):
            "tile message starts with \(x.map { "\($0)" } ?? "nothing") where the set of omitted fields (an integer 0...\(TileValues.FieldSet.all.rawValue)) was expected"
        case .wrongLength(let expected, let actual): "tile message has \(actual) values, expected \(expected)"
        case .notAnInteger(let x): "tile message holds \(x) where an integer status was expected"
        }
    }
}
