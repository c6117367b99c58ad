import DiodePhysics
import XCTest
@testable import DiodeScan

/// `[solver]`: overrides of the physics' `SolverSettings`, through the table
/// of settings (`SolverParameter`).
final class SolverOverridesTests: XCTestCase {
    private func overrides(_ body: String) throws -> SolverOverrides {
        let job = try ScanJob(parsing: "[model]\ngamma = 1\n[grid]\neps1 = [1]\neps3 = [1]\ndT = [1]\n[solver]\n" + body)
        return job.solverOverrides
    }

    private func applied(_ body: String) throws -> SolverSettings {
        try overrides(body).apply(to: .default)
    }

    func testNoOverridesGivesDefaults() throws {
        XCTAssertEqual(try applied(""), SolverSettings.default)
    }

    func testOverridesReplaceFieldsBySnakeCaseName() throws {
        let settings = try applied("relative_tolerance = 1e-12\nmaximum_evaluations = 80\nclosed_forms = false")
        var expected = SolverSettings.default
        expected.relativeTolerance = 1e-12
        expected.maximumEvaluations = 80
        expected.closedForms = false
        XCTAssertEqual(settings, expected)
    }

    func testNestedSettingsAreSubtables() throws {
        let settings = try applied("maximum_evaluations = 9000\n[solver.newton]\nmaximum_backtracks = 4\nstep_tolerance = 1e-8")
        var expected = SolverSettings.default
        expected.maximumEvaluations = 9000
        expected.newton.maximumBacktracks = 4
        expected.newton.stepTolerance = 1e-8
        XCTAssertEqual(settings, expected)
    }

    /// Each setting of the table is reachable from a job file and changes exactly its own field.
    func testEverySettingOfTheTableCanBeOverridden() throws {
        for parameter in SolverParameter.all {
            let header = parameter.path.count > 1 ? "[solver.\(parameter.path.dropLast().joined(separator: "."))]\n" : ""
            let leaf = parameter.path.last ?? ""
            var expected = SolverSettings.default
            let text: String
            switch parameter.kind {
            case .real(let keyPath): expected[keyPath: keyPath] = 0.125; text = "0.125"
            case .integer(let keyPath): expected[keyPath: keyPath] = 77; text = "77"
            case .boolean(let keyPath): expected[keyPath: keyPath] = !expected[keyPath: keyPath]; text = "\(expected[keyPath: keyPath])"
            }
            XCTAssertEqual(try applied(header + "\(leaf) = \(text)"), expected, parameter.key)
        }
    }

    func testRejectsUnknownNestedKey() throws {
        let o = try overrides("[solver.newton]\nstep = 1")
        XCTAssertThrowsError(try o.apply(to: .default)) { error in
            XCTAssertEqual((error as? JobError)?.key, "solver.newton.step")
        }
    }

    func testIntegerAcceptedForReal() throws {
        XCTAssertEqual(try applied("relative_tolerance = 1").relativeTolerance, 1)
    }

    func testRealValuesSurviveExactly() throws {
        let x = 0.1 + 0.2
        XCTAssertEqual(try applied("relative_tolerance = \(x)").relativeTolerance, x)
    }

    func testRejectsUnknownSolverKey() throws {
        let o = try overrides("tolerance = 1e-9")
        XCTAssertThrowsError(try o.apply(to: .default)) { error in
            let e = error as? JobError
            XCTAssertEqual(e?.key, "solver.tolerance")
            XCTAssertEqual(e?.line, 8)
            XCTAssertEqual(e?.message, "unknown key 'solver.tolerance'; allowed keys in [solver]: relative_tolerance, "
                           + "jacobian_relative_tolerance, maximum_evaluations, newton.step_tolerance, "
                           + "newton.maximum_iterations, newton.maximum_backtracks, closed_forms")
        }
    }

    func testRejectsRealForInteger() throws {
        let o = try overrides("maximum_evaluations = 1.5")
        XCTAssertThrowsError(try o.apply(to: .default)) { error in
            XCTAssertEqual((error as? JobError)?.message, "solver.maximum_evaluations = 1.5 has the wrong type; expected an integer")
        }
    }

    func testRejectsStringForReal() throws {
        let o = try overrides("relative_tolerance = '1e-9'")
        XCTAssertThrowsError(try o.apply(to: .default)) { error in
            XCTAssertTrue((error as? JobError)?.message.contains("expected a number") ?? false)
        }
    }

    func testRejectsNumberForBoolean() throws {
        let o = try overrides("closed_forms = 1")
        XCTAssertThrowsError(try o.apply(to: .default)) { error in
            XCTAssertEqual((error as? JobError)?.message, "solver.closed_forms = 1 has the wrong type; expected true or false")
        }
    }

    func testRejectsNonFiniteReal() throws {
        let o = try overrides("relative_tolerance = nan")
        XCTAssertThrowsError(try o.apply(to: .default)) { error in
            XCTAssertTrue((error as? JobError)?.message.contains("solver.relative_tolerance = nan is out of range") ?? false)
        }
    }
}
