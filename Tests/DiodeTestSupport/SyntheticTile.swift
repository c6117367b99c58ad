import DiodeScan

/// Deterministic, tile-specific values for result-file tests: what the I/O
/// test helper writes in a child process and what the tests then expect to
/// read back, bit for bit.
public enum SyntheticTile {
    /// Values that differ from tile to tile and point to point, with one
    /// forward failure (point 1: status 1, `I_F` NaN) and one backward
    /// failure (point 2: status 2, `I_B` NaN) per tile.
    public static func values(for tile: TileIndex, pointCount n: Int) -> TileValues {
        var values = TileValues(pointCount: n)
        // 100 · dT + 10 · eps3 for the paper's tiles (dT, eps3).
        let base = Double(10 * tile.indices.reduce(0) { $0 * 10 + $1 })
        func series(_ offset: Double) -> [Double] { (0..<n).map { base + offset + Double($0) / 8 } }
        values[.iF] = series(0.1); values[.iB] = series(0.2); values[.jF] = series(0.3); values[.jB] = series(0.4)
        values[.rI] = series(0.5); values[.rJ] = series(0.6); values[.muPF] = series(0.7); values[.muPB] = series(0.8)
        values[.tPF] = series(0.9); values[.tPB] = series(1.0)
        values[.uF] = (0..<(3 * n)).map { base + 2 + Double($0) / 16 }
        values[.uB] = (0..<(3 * n)).map { base + 3 + Double($0) / 16 }
        values[.statusF] = (0..<n).map { $0 == 1 ? 1 : 0 }
        values[.statusB] = (0..<n).map { $0 == 2 ? 2 : 0 }
        values[.iterationsF] = (0..<n).map { Int32($0 + 3) }
        values[.iterationsB] = (0..<n).map { Int32($0 + 4) }
        if n > 1 { values[.iF, 1] = .nan }  // not converged: NaN value
        if n > 2 { values[.iB, 2] = .nan }
        return values
    }
}
