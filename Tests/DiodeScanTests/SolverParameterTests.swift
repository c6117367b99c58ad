import DiodePhysics
import XCTest
@testable import DiodeScan

/// The table of solver settings (`SolverParameter`) against the physics'
/// `SolverSettings`: it must list every stored property, in declaration
/// order (the order of the fingerprint and of the file's attributes), under
/// the snake-case key of its property, with the property's type.
///
/// A field added to `SolverSettings` or `NewtonSettings` fails
/// `testTableCoversEveryStoredPropertyInOrder` until it gets its entry in
/// `SolverParameter.all`.
final class SolverParameterTests: XCTestCase {
    /// The stored scalar properties of a value, depth first (reflection is
    /// fine here: only the test looks at the settings' layout).
    private func leaves(of value: Any, prefix: [String] = []) -> [(path: [String], value: Any)] {
        Mirror(reflecting: value).children.flatMap { child -> [(path: [String], value: Any)] in
            guard let label = child.label else { return [] }
            switch child.value {
            case is Double, is Int, is Bool, is String: return [(prefix + [label], child.value)]
            default:
                let nested = leaves(of: child.value, prefix: prefix + [label])
                return nested.isEmpty ? [(prefix + [label], child.value)] : nested
            }
        }
    }

    private func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { key, c in key += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }

    func testTableCoversEveryStoredPropertyInOrder() {
        let properties = leaves(of: SolverSettings.default)
        XCTAssertEqual(SolverParameter.all.map(\.property), properties.map { $0.path.joined(separator: ".") },
                       "SolverParameter.all must list SolverSettings' stored properties in declaration order")
        for (parameter, property) in zip(SolverParameter.all, properties) {
            XCTAssertEqual(parameter.key, property.path.map(snakeCase).joined(separator: "."), parameter.property)
            switch parameter.kind {
            case .real(let keyPath):
                XCTAssertTrue(property.value is Double, parameter.property)
                XCTAssertEqual(SolverSettings.default[keyPath: keyPath], property.value as? Double, parameter.property)
            case .integer(let keyPath):
                XCTAssertTrue(property.value is Int, parameter.property)
                XCTAssertEqual(SolverSettings.default[keyPath: keyPath], property.value as? Int, parameter.property)
            case .boolean(let keyPath):
                XCTAssertTrue(property.value is Bool, parameter.property)
                XCTAssertEqual(SolverSettings.default[keyPath: keyPath], property.value as? Bool, parameter.property)
            }
        }
    }

    /// Each key path writes its own field and no other.
    func testKeyPathsAreDistinct() {
        for (index, parameter) in SolverParameter.all.enumerated() {
            var settings = SolverSettings.default
            switch parameter.kind {
            case .real(let keyPath): settings[keyPath: keyPath] += 1
            case .integer(let keyPath): settings[keyPath: keyPath] += 1
            case .boolean(let keyPath): settings[keyPath: keyPath].toggle()
            }
            for (other, otherParameter) in SolverParameter.all.enumerated() {
                let changed = otherParameter.valueText(in: settings) != otherParameter.valueText(in: .default)
                XCTAssertEqual(changed, other == index, "\(parameter.key) changed \(otherParameter.key)")
            }
        }
    }

    /// The dry run's and the fingerprint's text of the defaults, as before the table.
    func testSettingsTextIsUnchanged() throws {
        let job = try ResolvedJob(ScanJob(parsing: "[model]\ngamma = 1\n[grid]\neps1 = [40]\neps3 = [41]\ndT = [1]\n"))
        XCTAssertEqual(job.settingsFields.map { "\($0.key) = \($0.value)" }.joined(separator: ", "),
                       "relative_tolerance = 1e-09, jacobian_relative_tolerance = 1e-06, maximum_evaluations = 400000, "
                       + "newton.step_tolerance = 1e-06, newton.maximum_iterations = 60, newton.maximum_backtracks = 30, "
                       + "closed_forms = true")
        XCTAssertEqual(job.metadataParameters.map(\.name).filter { $0.hasPrefix("solver_") },
                       ["solver_relative_tolerance", "solver_jacobian_relative_tolerance", "solver_maximum_evaluations",
                        "solver_newton_step_tolerance", "solver_newton_maximum_iterations",
                        "solver_newton_maximum_backtracks", "solver_closed_forms"])
    }

    /// A physics range error names the job key (the settings' and the model's).
    func testPhysicsErrorsNameTheJobKey() {
        for (field, key) in [("relativeTolerance", "solver.relative_tolerance"),
                             ("newton.maximumIterations", "solver.newton.maximum_iterations"),
                             ("gamma1", "model.gamma1"), ("c3g", "model.capacitances.c3g"), ("eps1", "model.eps1")] {
            let error = ResolvedJob.jobError(from: .invalid(field: field, requirement: "> 0", value: -1))
            XCTAssertEqual(error.key, key)
            XCTAssertEqual(error.message, "\(key) = -1.0 is out of range; allowed: > 0")
        }
    }
}
