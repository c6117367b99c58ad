import XCTest
@testable import DiodeScan

final class SolverOverridesTests: XCTestCase {
    /// Stands in for the physics' settings: the overlay only relies on Codable and reflection.
    struct Settings: Codable, Equatable {
        struct Inner: Codable, Equatable {
            var stepTolerance = 1e-6
            var maximumBacktracks = 30
        }
        var relativeTolerance = 1e-10
        var maxIterations = 50
        var useFastPath = true
        var method = "newton"
        var inner = Inner()
    }

    private func overrides(_ body: String) throws -> SolverOverrides {
        let job = try ScanJob(parsing: "[model]\ngamma = 1\n[grid]\neps1 = [1]\neps3 = [1]\ndT = [1]\n[solver]\n" + body)
        return job.solverOverrides
    }

    func testNoOverridesGivesDefaults() throws {
        XCTAssertEqual(try overrides("").apply(to: Settings()), Settings())
    }

    func testOverridesReplaceFieldsBySnakeCaseName() throws {
        let settings = try overrides("relative_tolerance = 1e-12\nmax_iterations = 80\nuse_fast_path = false\nmethod = 'broyden'").apply(to: Settings())
        XCTAssertEqual(settings, Settings(relativeTolerance: 1e-12, maxIterations: 80, useFastPath: false, method: "broyden"))
    }

    func testNestedSettingsAreSubtables() throws {
        let settings = try overrides("max_iterations = 9\n[solver.inner]\nmaximum_backtracks = 4").apply(to: Settings())
        var expected = Settings()
        expected.maxIterations = 9
        expected.inner.maximumBacktracks = 4
        XCTAssertEqual(settings, expected)
    }

    func testRejectsUnknownNestedKey() throws {
        let o = try overrides("[solver.inner]\nstep = 1")
        XCTAssertThrowsError(try o.apply(to: Settings())) { error in
            XCTAssertEqual((error as! JobError).key, "solver.inner.step")
        }
    }

    func testIntegerAcceptedForReal() throws {
        XCTAssertEqual(try overrides("relative_tolerance = 1").apply(to: Settings()).relativeTolerance, 1)
    }

    func testRealValuesSurviveExactly() throws {
        let x = 0.1 + 0.2
        XCTAssertEqual(try overrides("relative_tolerance = \(x)").apply(to: Settings()).relativeTolerance, x)
    }

    func testRejectsUnknownSolverKey() throws {
        let o = try overrides("tolerance = 1e-9")
        XCTAssertThrowsError(try o.apply(to: Settings())) { error in
            let e = error as! JobError
            XCTAssertEqual(e.key, "solver.tolerance")
            XCTAssertEqual(e.line, 8)
            XCTAssertTrue(e.message.contains("relative_tolerance, max_iterations, use_fast_path, method, inner.step_tolerance, inner.maximum_backtracks"), e.message)
        }
    }

    func testRejectsRealForInteger() throws {
        let o = try overrides("max_iterations = 1.5")
        XCTAssertThrowsError(try o.apply(to: Settings())) { error in
            XCTAssertTrue((error as! JobError).message.contains("max_iterations = 1.5 has the wrong type; expected an integer"))
        }
    }

    func testRejectsStringForReal() throws {
        let o = try overrides("relative_tolerance = '1e-9'")
        XCTAssertThrowsError(try o.apply(to: Settings())) { error in
            XCTAssertTrue((error as! JobError).message.contains("expected a number"))
        }
    }

    func testRejectsNonFiniteReal() throws {
        let o = try overrides("relative_tolerance = nan")
        XCTAssertThrowsError(try o.apply(to: Settings())) { error in
            XCTAssertTrue((error as! JobError).message.contains("solver.relative_tolerance = nan is out of range"))
        }
    }

    func testJobKeyConversion() {
        XCTAssertEqual(SolverOverrides.jobKey(forProperty: "maxIterations"), "max_iterations")
        XCTAssertEqual(SolverOverrides.jobKey(forProperty: "tolerance"), "tolerance")
    }
}
