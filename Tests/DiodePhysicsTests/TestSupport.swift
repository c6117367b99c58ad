import ComplexModule
import DiodePhysics
import XCTest

/// A small deterministic generator (SplitMix64), so random tests reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func assertClose(_ a: Double, _ b: Double, relative: Double, absolute: Double = 0,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    let tolerance = max(relative * max(abs(a), abs(b)), absolute)
    XCTAssert(abs(a - b) <= tolerance, "\(a) vs \(b) differ by \(abs(a - b)) > \(tolerance) \(message())",
              file: file, line: line)
}

func assertClose(_ a: Complex<Double>, _ b: Complex<Double>, absolute: Double,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssert((a - b).length <= absolute, "\(a) vs \(b) differ by \((a - b).length) \(message())",
              file: file, line: line)
}

/// Dense complex linear solve by Gaussian elimination with partial pivoting
/// (test oracle only).
func solveLinearSystem(_ matrix: [[Complex<Double>]], _ rhs: [Complex<Double>]) -> [Complex<Double>] {
    var m = matrix, b = rhs
    let n = b.count
    for column in 0..<n {
        let pivot = (column..<n).max { m[$0][column].length < m[$1][column].length }!
        m.swapAt(column, pivot); b.swapAt(column, pivot)
        for row in (column + 1)..<n {
            let factor = m[row][column] / m[column][column]
            for k in column..<n { m[row][k] = m[row][k] - factor * m[column][k] }
            b[row] = b[row] - factor * b[column]
        }
    }
    var x = [Complex<Double>](repeating: .zero, count: n)
    for row in stride(from: n - 1, through: 0, by: -1) {
        var sum = b[row]
        for k in (row + 1)..<n { sum = sum - m[row][k] * x[k] }
        x[row] = sum / m[row][row]
    }
    return x
}
