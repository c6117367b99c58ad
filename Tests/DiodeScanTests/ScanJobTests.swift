import XCTest
@testable import DiodeScan

/// Parsing of valid job files, and one test per rejected case: each checks
/// that the message names the key, the value and what is allowed.
final class ScanJobTests: XCTestCase {
    static let valid = """
    title = "test"
    [model]
    mu = 40.0
    gamma = 1.0
    lambda = 0.0
    d = 1.0
    screening = true
    [grid]
    eps1 = { from = 30.0, to = 50.0, count = 5 }
    eps3 = [30.0, 40.0]
    dT = [1.0]
    [output]
    file = "out/test.h5"
    """

    /// The valid job with `old` replaced by `new` (which must occur once).
    private func variant(_ old: String, _ new: String) -> String {
        precondition(Self.valid.components(separatedBy: old).count == 2, "'\(old)' must occur exactly once")
        return Self.valid.replacingOccurrences(of: old, with: new)
    }

    private func rejects(_ text: String, key: String, line: Int?, mentioning fragments: [String],
                         file: StaticString = #filePath, lineNumber: UInt = #line) {
        do {
            _ = try ScanJob(parsing: text)
            XCTFail("accepted an invalid job", file: file, line: lineNumber)
        } catch {
            XCTAssertEqual(error.key, key, "\(error)", file: file, line: lineNumber)
            if let line { XCTAssertEqual(error.line, line, "\(error)", file: file, line: lineNumber) }
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment), "'\(error)' lacks '\(fragment)'", file: file, line: lineNumber)
            }
        }
    }

    // MARK: Accepted

    func testValidJobIsNormalised() throws {
        let job = try ScanJob(parsing: Self.valid)
        XCTAssertEqual(job.title, "test")
        XCTAssertEqual(job.model, ModelSpec(mu: 40, gamma1: 1, gamma3: 1, lambda: 0, d: 1, screening: true))
        XCTAssertEqual(job.grid.eps1, [30, 35, 40, 45, 50])
        XCTAssertEqual(job.grid.eps3, [30, 40])
        XCTAssertEqual(job.grid.dT, [1])
        XCTAssertEqual(job.outputPath, "out/test.h5")
        XCTAssertEqual(job.compression, .none)
        XCTAssertEqual(job.text, Self.valid)
        XCTAssertTrue(job.solverOverrides.values.isEmpty)
    }

    func testDefaultsAndSeparateWidths() throws {
        let job = try ScanJob(parsing: """
        [model]
        gamma1 = 2
        gamma3 = 3
        screening = true
        [model.capacitances]
        c12 = 0.5
        c3g = 1
        [grid]
        eps1 = [40]
        eps3 = { from = 41, to = 41, count = 1 }
        dT = [-0.5, 0, 1e-3]
        """)
        XCTAssertNil(job.title)
        XCTAssertNil(job.outputPath)
        XCTAssertEqual(job.model, ModelSpec(mu: 40, gamma1: 2, gamma3: 3, lambda: 0, d: 1, screening: true,
                                            capacitances: CapacitanceSpec(c12: 0.5, c3g: 1)))
        XCTAssertEqual(job.grid.eps3, [41])
        XCTAssertEqual(job.grid.dT, [-0.5, 0, 1e-3])
    }

    /// Capacitances only enter the screening model: a job file refuses a
    /// non-zero one without screening, as `diodescan point` refuses `--c12`
    /// without `--screening`; zeros (the default) are accepted either way.
    func testCapacitancesNeedScreening() throws {
        let noScreening = Self.valid.replacingOccurrences(of: "screening = true", with: "screening = false")
        XCTAssertNotEqual(noScreening, Self.valid)
        rejects(noScreening + "\n[model.capacitances]\nc12 = 0\nc2g = 0.5", key: "model.capacitances.c2g", line: 16,
                mentioning: ["model.capacitances.c2g = 0.5", "needs model.screening = true"])
        let zeros = try ScanJob(parsing: noScreening + "\n[model.capacitances]\nc12 = 0\nc3g = 0.0")
        XCTAssertEqual(zeros.model.capacitances, CapacitanceSpec())
        let withScreening = try ScanJob(parsing: Self.valid + "\n[model.capacitances]\nc2g = 0.5")
        XCTAssertEqual(withScreening.model.capacitances.c2g, 0.5)
    }

    func testRangeEndsExactlyAtItsBounds() throws {
        let job = try ScanJob(parsing: variant("{ from = 30.0, to = 50.0, count = 5 }", "{ from = 0.1, to = 0.7, count = 7 }"))
        XCTAssertEqual(job.grid.eps1.first, 0.1)
        XCTAssertEqual(job.grid.eps1.last, 0.7)
        XCTAssertEqual(job.grid.eps1.count, 7)
    }

    // MARK: Rejected: syntax

    func testRejectsSyntaxErrorWithLine() {
        rejects(variant("lambda = 0.0", "lambda = 0.0 0.1"), key: "", line: 5, mentioning: ["line 5"])
    }

    // MARK: Rejected: structure

    func testRejectsUnknownTopLevelKey() {
        rejects(variant("title = \"test\"", "titel = \"test\""), key: "titel", line: 1, mentioning: ["unknown key 'titel'", "title"])
    }

    func testRejectsUnknownTable() {
        rejects(Self.valid + "\n[plot]\ncolor = 1", key: "plot", line: 14, mentioning: ["unknown key 'plot'", "model, grid"])
    }

    func testRejectsUnknownModelKey() {
        rejects(variant("d = 1.0", "length = 1.0"), key: "model.length", line: 6, mentioning: ["unknown key 'model.length'", "mu", "gamma1", "lambda"])
    }

    func testRejectsUnknownGridKey() {
        rejects(variant("dT = [1.0]", "dT = [1.0]\neps2 = [1.0]"), key: "grid.eps2", line: 12, mentioning: ["unknown key 'grid.eps2'", "eps1, eps3, dT"])
    }

    func testRejectsUnknownOutputKey() {
        rejects(variant("file = \"out/test.h5\"", "file = \"a.h5\"\nformat = \"h5\""), key: "output.format", line: 14, mentioning: ["unknown key"])
    }

    func testOutputCompressionIsNoneOrDeflate() throws {
        for (text, expected) in [("none", ResultCompression.none), ("deflate", .deflate)] {
            let job = try ScanJob(parsing: variant("file = \"out/test.h5\"", "file = \"a.h5\"\ncompression = \"\(text)\""))
            XCTAssertEqual(job.compression, expected)
        }
        rejects(variant("file = \"out/test.h5\"", "file = \"a.h5\"\ncompression = \"gzip\""), key: "output.compression",
                line: 14, mentioning: ["output.compression = \"gzip\" is not allowed", "\"none\" or \"deflate\""])
        rejects(variant("file = \"out/test.h5\"", "file = \"a.h5\"\ncompression = 1"), key: "output.compression",
                line: 14, mentioning: ["quoted string"])
    }

    func testRejectsUnknownCapacitance() {
        rejects(Self.valid + "\n[model.capacitances]\nc22 = 1", key: "model.capacitances.c22", line: 15, mentioning: ["c12", "c3g"])
    }

    func testRejectsUnknownRangeKey() {
        rejects(variant("count = 5 }", "count = 5, step = 1 }"), key: "grid.eps1.step", line: 9, mentioning: ["unknown key", "from, to, count"])
    }

    func testRejectsMissingModel() {
        rejects("[grid]\neps1 = [1]\neps3 = [1]\ndT = [1]", key: "model", line: nil, mentioning: ["missing required key 'model'"])
    }

    func testRejectsMissingGrid() {
        rejects("[model]\ngamma = 1", key: "grid", line: nil, mentioning: ["missing required key 'grid'"])
    }

    func testRejectsMissingGamma() {
        rejects(variant("gamma = 1.0", ""), key: "model.gamma", line: 2, mentioning: ["missing required key 'model.gamma'"])
    }

    func testRejectsGamma1WithoutGamma3() {
        rejects(variant("gamma = 1.0", "gamma1 = 1.0"), key: "model.gamma3", line: nil, mentioning: ["missing required key 'model.gamma3'"])
    }

    func testRejectsGamma3WithoutGamma1() {
        rejects(variant("gamma = 1.0", "gamma3 = 1.0"), key: "model.gamma1", line: nil, mentioning: ["missing required key 'model.gamma1'"])
    }

    func testRejectsBothGammaForms() {
        rejects(variant("gamma = 1.0", "gamma = 1.0\ngamma1 = 2.0\ngamma3 = 2.0"), key: "model.gamma1", line: 5, mentioning: ["either gamma"])
    }

    func testRejectsMissingAxis() {
        rejects(variant("eps3 = [30.0, 40.0]\n", ""), key: "grid.eps3", line: nil, mentioning: ["eps3 is neither in [model] nor in [grid]"])
    }

    func testRejectsMissingRangeCount() {
        rejects(variant(", count = 5 }", " }"), key: "grid.eps1.count", line: nil, mentioning: ["missing required key 'grid.eps1.count'"])
    }

    func testRejectsOutputTableWithoutFile() {
        rejects(variant("file = \"out/test.h5\"", ""), key: "output.file", line: nil, mentioning: ["missing required key 'output.file'"])
    }

    // MARK: Rejected: types

    func testRejectsStringForNumber() {
        rejects(variant("mu = 40.0", "mu = \"40\""), key: "model.mu", line: 3, mentioning: ["model.mu = \"40\"", "is a string", "expected a number"])
    }

    func testRejectsNumberForBoolean() {
        rejects(variant("screening = true", "screening = 1"), key: "model.screening", line: 7, mentioning: ["model.screening = 1", "true or false"])
    }

    func testRejectsNumberForTitle() {
        rejects(variant("title = \"test\"", "title = 3"), key: "title", line: 1, mentioning: ["title = 3", "quoted string"])
    }

    func testRejectsFloatCount() {
        rejects(variant("count = 5 }", "count = 5.0 }"), key: "grid.eps1.count", line: 9, mentioning: ["count = 5.0", "expected an integer"])
    }

    func testRejectsScalarAxis() {
        rejects(variant("dT = [1.0]", "dT = 1.0"), key: "grid.dT", line: 11, mentioning: ["grid.dT = 1.0", "from", "list"])
    }

    func testRejectsStringInAxisList() {
        rejects(variant("eps3 = [30.0, 40.0]", "eps3 = [30.0, \"40\"]"), key: "grid.eps3[1]", line: 10, mentioning: ["grid.eps3[1] = \"40\"", "expected a number"])
    }

    func testRejectsModelAsValue() {
        rejects("model = 1\n[grid]\neps1 = [1]\neps3 = [1]\ndT = [1]", key: "model", line: 1, mentioning: ["expected a table"])
    }

    func testRejectsArrayForOutputFile() {
        rejects(variant("file = \"out/test.h5\"", "file = [\"a.h5\"]"), key: "output.file", line: 13, mentioning: ["quoted string"])
    }

    func testRejectsSolverTableValue() {
        rejects(Self.valid + "\n[solver]\ntolerance = [1]", key: "solver.tolerance", line: 15, mentioning: ["expected a number, boolean or string"])
    }

    // MARK: Rejected: ranges

    func testRejectsLambdaAboveOne() {
        rejects(variant("lambda = 0.0", "lambda = 1.5"), key: "model.lambda", line: 5, mentioning: ["model.lambda = 1.5", "0 ≤ lambda ≤ 1"])
    }

    func testRejectsNegativeLambda() {
        rejects(variant("lambda = 0.0", "lambda = -0.1"), key: "model.lambda", line: 5, mentioning: ["-0.1", "0 ≤ lambda ≤ 1"])
    }

    func testRejectsZeroGamma() {
        rejects(variant("gamma = 1.0", "gamma = 0"), key: "model.gamma", line: 4, mentioning: ["model.gamma = 0", "> 0"])
    }

    func testRejectsNegativeGamma3() {
        rejects(variant("gamma = 1.0", "gamma1 = 1.0\ngamma3 = -2.0"), key: "model.gamma3", line: 5, mentioning: ["-2.0", "> 0"])
    }

    func testRejectsZeroLength() {
        rejects(variant("d = 1.0", "d = 0.0"), key: "model.d", line: 6, mentioning: ["model.d = 0.0", "> 0"])
    }

    func testRejectsInfiniteMu() {
        rejects(variant("mu = 40.0", "mu = inf"), key: "model.mu", line: 3, mentioning: ["model.mu = inf", "finite"])
    }

    func testRejectsNanGamma() {
        rejects(variant("gamma = 1.0", "gamma = nan"), key: "model.gamma", line: 4, mentioning: ["model.gamma = nan", "finite"])
    }

    func testRejectsNegativeCapacitance() {
        rejects(Self.valid + "\n[model.capacitances]\nc1g = -1.0", key: "model.capacitances.c1g", line: 15, mentioning: ["-1.0", "≥ 0"])
    }

    func testRejectsTemperatureDifferenceAtMinusOne() {
        rejects(variant("dT = [1.0]", "dT = [-1.0, 1.0]"), key: "grid.dT[0]", line: 11, mentioning: ["grid.dT[0] = -1.0", "> -1"])
    }

    func testRejectsNanInAxis() {
        rejects(variant("eps3 = [30.0, 40.0]", "eps3 = [30.0, nan]"), key: "grid.eps3[1]", line: 10, mentioning: ["nan", "finite"])
    }

    func testRejectsInfiniteRangeEnd() {
        rejects(variant("to = 50.0", "to = inf"), key: "grid.eps1.to", line: 9, mentioning: ["grid.eps1.to = inf", "finite"])
    }

    func testRejectsZeroCount() {
        rejects(variant("count = 5 }", "count = 0 }"), key: "grid.eps1.count", line: 9, mentioning: ["count = 0", "≥ 1"])
    }

    func testRejectsCountOneWithDistinctEnds() {
        rejects(variant("count = 5 }", "count = 1 }"), key: "grid.eps1.count", line: 9, mentioning: ["from = to"])
    }

    func testRejectsEmptyAxis() {
        rejects(variant("dT = [1.0]", "dT = []"), key: "grid.dT", line: 11, mentioning: ["grid.dT = [] is empty"])
    }

    func testRejectsDecreasingRange() {
        rejects(variant("from = 30.0, to = 50.0", "from = 50.0, to = 30.0"), key: "grid.eps1.to", line: 9, mentioning: ["not increasing", "from < to"])
    }

    func testRejectsNonMonotonicList() {
        rejects(variant("eps3 = [30.0, 40.0]", "eps3 = [30.0, 40.0, 35.0]"), key: "grid.eps3", line: 10, mentioning: ["not strictly increasing", "40.0 then 35.0"])
    }

    func testRejectsRepeatedAxisValue() {
        rejects(variant("eps3 = [30.0, 40.0]", "eps3 = [30.0, 30.0]"), key: "grid.eps3", line: 10, mentioning: ["not strictly increasing"])
    }

    func testRejectsEmptyOutputFile() {
        rejects(variant("file = \"out/test.h5\"", "file = \"\""), key: "output.file", line: 13, mentioning: ["empty"])
    }
}
