import Foundation
import XCTest
import DiodeTestSupport
@testable import DiodeScan

/// Fuzzing of the job parser and validation (issue 13): a few thousand
/// random and mutated job texts, deterministic (seeded, no clock in the
/// inputs). Every one must be accepted or rejected with a one-line
/// `JobError`; a trap would end the test process, which is the failure this
/// test looks for.
final class JobFuzzTests: XCTestCase {
    static let valid = """
    title = "fuzz"
    [model]
    mu = 40.0
    gamma = 1.0
    lambda = 0.5
    d = 1.0
    screening = true
    [model.capacitances]
    c12 = 0.1
    [grid]
    eps1 = { from = 30.0, to = 50.0, count = 5 }
    eps3 = [30.0, 40.0]
    dT = [1.0]
    [solver]
    relative_tolerance = 1e-10
    [output]
    file = "out/fuzz.h5"
    compression = "none"
    """

    /// Pieces of TOML and of the schema, and values at the edges.
    static let fragments = [
        "[", "]", "{", "}", "=", ",", ".", "\"", "'", "\n", "\r\n", "#", " ", "\t", "[[", "]]", "\"\"\"", "'''",
        "[model]", "[grid]", "[solver]", "[output]", "[model.capacitances]", "[solver.newton]", "[a.b.c]",
        "model", "grid", "eps1", "eps3", "dT", "gamma", "gamma1", "gamma3", "lambda", "mu", "d", "screening",
        "count", "from", "to", "file", "compression", "title", "c12", "c3g",
        "0", "-0", "1", "-1", "2", "+1", "1.5", "1e308", "-1e308", "1e-320", "1e999", "5e-324", "nan", "-nan", "inf",
        "-inf", "+inf", "9223372036854775807", "-9223372036854775808", "99999999999999999999", "1000000",
        "1000001", "1000000000000", "0x10", "0o7", "0b1", "1_000", "1__0", "01", "1.", ".5", "1e", "true", "false",
        "1979-05-27", "07:32:00", "\"\\u0000\"", "\"\\uD800\"", "\"\\U0010FFFF\"", "\"\\x\"", "\"é\"", "\u{7F}",
        "\u{0}", "\u{FEFF}", "{ from = 1.0, to = 2.0, count = 3 }", "{ from = 2.0, to = 1.0, count = 3 }",
        "{ from = 1.0, to = 1.0, count = 1 }", "{ count = 1000000000000, from = 0.0, to = 1.0 }", "[1.0, 1.0]",
        "[2.0, 1.0]", "[]", "[[]]", "{}", "{ a = { b = 1 } }", "\"deflate\"", "\"zstd\"", "\"\"",
    ]

    func testRandomAndMutatedJobsAreAcceptedOrRejectedInOneLine() {
        var random = SeededGenerator(state: 13)
        let start = Date()
        var accepted = 0, rejected = 0
        func check(_ text: String) {
            do {
                let job = try ResolvedJob(ScanJob(parsing: text))
                accepted += 1
                XCTAssertLessThanOrEqual(job.grid.pointCount, ScanGrid.maximumPointCount)
                XCTAssertLessThanOrEqual(job.grid.eps1.count, ScanGrid.maximumAxisCount)
            } catch {
                rejected += 1
                let message = error.description
                XCTAssertFalse(message.contains("\n") || message.contains("\r"), "two lines for \(text.debugDescription): \(message)")
                XCTAssertLessThan(message.count, 700, "long message for \(String(text.prefix(200)).debugDescription)")
            }
        }
        let lines = Self.valid.components(separatedBy: "\n")
        for _ in 0..<2500 {
            var text = Self.valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                text = mutate(text, lines: lines, using: &random)
            }
            check(text)
        }
        for _ in 0..<1500 {
            let count = Int.random(in: 1...40, using: &random)
            check((0..<count).map { _ in Self.fragments.randomElement(using: &random)! }.joined(
                separator: ["", " ", "\n", " = "].randomElement(using: &random)!))
        }
        // Extremes built on purpose: deep nesting, long values and keys, many entries.
        for depth in [31, 32, 33, 1000, 100_000] {
            check(Self.valid + "\n[solver.extra]\nx = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
            check(Self.valid + "\n[solver.extra]\nx = " + String(repeating: "{ a = ", count: depth) + "1" + String(repeating: " }", count: depth))
        }
        check(Self.valid.replacingOccurrences(of: "eps3 = [30.0, 40.0]", with: "eps3 = [" + (0..<100_000).map { "\($0).25" }.joined(separator: ",") + "]"))
        check(Self.valid.replacingOccurrences(of: "title = \"fuzz\"", with: "title = \"" + String(repeating: "ü", count: 1_000_000) + "\""))
        check(String(repeating: "k", count: 1_000_000) + " = 1\n" + Self.valid)
        check(String(repeating: "\n", count: 1_000_000) + "x = @")
        XCTAssertGreaterThan(accepted, 50, "the mutations keep some jobs valid")
        XCTAssertGreaterThan(rejected, 1000)
        XCTAssertLessThan(Date().timeIntervalSince(start), 300, "the parser took too long")
    }

    /// One random change: a fragment inserted, a range deleted or doubled,
    /// a line swapped for another, a number replaced by an extreme one.
    private func mutate(_ text: String, lines: [String], using random: inout SeededGenerator) -> String {
        var scalars = Array(text.unicodeScalars)
        let position = Int.random(in: 0...scalars.count, using: &random)
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            scalars.insert(contentsOf: Self.fragments.randomElement(using: &random)!.unicodeScalars, at: position)
        case 1:
            let end = min(scalars.count, position + Int.random(in: 1...20, using: &random))
            scalars.removeSubrange(position..<end)
        case 2:
            let end = min(scalars.count, position + Int.random(in: 1...40, using: &random))
            scalars.insert(contentsOf: scalars[position..<end], at: position)
        case 3:
            if position < scalars.count {
                scalars[position] = Unicode.Scalar(UInt8.random(in: 0...127, using: &random))
            }
        case 4:
            var all = text.components(separatedBy: "\n")
            let index = Int.random(in: 0..<all.count, using: &random)
            all[index] = lines.randomElement(using: &random)!
            return all.joined(separator: "\n")
        default:
            let numbers = ["30.0", "50.0", "40.0", "1.0", "5", "0.5", "1e-10", "0.1"]
            let extreme = ["0", "-1", "1e308", "nan", "inf", "-inf", "1000000", "1000001", "1000000000000",
                           "9223372036854775807", "-1e-300", "2", "1"]
            let from = numbers.randomElement(using: &random)!
            let to = extreme.randomElement(using: &random)!
            if let range = text.range(of: from) { return text.replacingCharacters(in: range, with: to) }
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars)
        return result
    }
}
