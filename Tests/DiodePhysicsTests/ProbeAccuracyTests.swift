import DiodePhysics
import XCTest

/// The general (quadrature) probe path at its default settings, where the
/// lead current is a small difference of large gross flows, and the meaning of
/// the reported `residual`.
final class ProbeAccuracyTests: XCTestCase {
    /// Much tighter than the defaults in every tolerance: the oracle.
    static let reference = SolverSettings(relativeTolerance: 1e-12, jacobianRelativeTolerance: 1e-9,
                                          newton: NewtonSettings(stepTolerance: 1e-10), closedForms: false)
    /// Defaults, but never the λ = 1 closed forms.
    static let generalPath = SolverSettings(closedForms: false)

    struct HardPoint {
        var eps1: Double, eps3: Double, gamma: Double, d: Double, lambda: Double, deltaT: Double
        var parameters: DeviceParameters {
            DeviceParameters(eps1: eps1, eps3: eps3, gamma1: gamma, gamma3: gamma, lambda: lambda, d: d)
        }
    }

    /// Points where I is about 1e-3 of the gross flows between the terminals,
    /// so the O(Δx²) error of the returned probe state is amplified a
    /// thousandfold in I: with the former step tolerance 1e-5 each of these
    /// was 1.3e-9 … 3.0e-9 off in I (relative); with 1e-6, below 3e-10.
    static let hardPoints = [
        HardPoint(eps1: 45.46, eps3: 35.46, gamma: 1, d: 3, lambda: 1, deltaT: -0.5),
        HardPoint(eps1: 45.46, eps3: 35.46, gamma: 1, d: 3, lambda: 0.5, deltaT: 0.3),
        HardPoint(eps1: 44, eps3: 36, gamma: 1, d: 3, lambda: 0.5, deltaT: 0.3),
        HardPoint(eps1: 42, eps3: 47.5, gamma: 1, d: 3, lambda: 0.1, deltaT: 0.3),
        HardPoint(eps1: 45.46, eps3: 35.46, gamma: 1, d: 3, lambda: 0.5, deltaT: -0.5),
        HardPoint(eps1: 45.46, eps3: 35.46, gamma: 1, d: 3, lambda: 1, deltaT: 3),
    ]

    func testDefaultsReach1e9RelativeWhereTheCurrentIsASmallDifferenceOfLargeFlows() throws {
        for point in Self.hardPoints {
            let result = try DiodeSolver(parameters: point.parameters, settings: Self.generalPath)
                .solvePoint(deltaT: point.deltaT)
            let oracle = try DiodeSolver(parameters: point.parameters, settings: Self.reference)
                .solvePoint(deltaT: point.deltaT)
            for (name, got, want) in [("F", result.forward, oracle.forward), ("B", result.backward, oracle.backward)] {
                XCTAssertEqual(got.status, .converged, "\(point) \(name)")
                XCTAssertEqual(want.status, .converged, "\(point) \(name)")
                assertClose(got.particleCurrent, want.particleCurrent, relative: 1e-9, "I \(name) \(point)")
                assertClose(got.heatCurrent, want.heatCurrent, relative: 1e-9, "J \(name) \(point)")
            }
        }
    }

    func testForcedGeneralPathAgreesWithTheClosedFormsAtLambdaOne() throws {
        for point in Self.hardPoints where point.lambda == 1 {
            let general = try DiodeSolver(parameters: point.parameters, settings: Self.generalPath)
                .solvePoint(deltaT: point.deltaT)
            let closed = try DiodeSolver(parameters: point.parameters).solvePoint(deltaT: point.deltaT)
            for (got, want) in [(general.forward, closed.forward), (general.backward, closed.backward)] {
                assertClose(got.particleCurrent, want.particleCurrent, relative: 1e-9, "I \(point)")
                assertClose(got.heatCurrent, want.heatCurrent, relative: 1e-9, "J \(point)")
            }
        }
    }

    /// `residual` is max_i |F_i|/∫|integrand_i| at the last Newton
    /// evaluation, one step before the returned state: it must bound the
    /// residual of the returned state itself, evaluated afresh.
    func testReportedResidualBoundsTheResidualAtTheReturnedState() throws {
        var points = Self.hardPoints
        points.append(HardPoint(eps1: 45, eps3: 44.8, gamma: 3, d: 1, lambda: 1, deltaT: 1))
        points.append(HardPoint(eps1: 30, eps3: 52, gamma: 0.5, d: 1, lambda: 0.8, deltaT: 1))
        for point in points {
            let solver = try DiodeSolver(parameters: point.parameters, settings: Self.generalPath)
            for configuration in Configuration.allCases {
                let result = solver.solve(deltaT: point.deltaT, configuration: configuration)
                XCTAssertEqual(result.status, .converged, "\(point) \(configuration)")
                let currents = solver.terminalCurrents(deltaT: point.deltaT, configuration: configuration,
                                                       state: result.state)
                let actual = max(abs(currents.particle[2]) / currents.particleMagnitude[2],
                                 abs(currents.heat[2]) / currents.heatMagnitude[2])
                XCTAssertGreaterThanOrEqual(result.residual, actual, "\(point) \(configuration)")
                // The returned state is converged far below the reported bound's scale.
                XCTAssertLessThan(actual, 1e-9, "\(point) \(configuration)")
                XCTAssertGreaterThan(result.residual, 0, "\(point) \(configuration)")
            }
        }
    }
}
