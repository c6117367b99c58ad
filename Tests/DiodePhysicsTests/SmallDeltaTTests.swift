import DiodePhysics
import RealModule
import XCTest

/// Linear response (issue 13, item 6): the probe and screening solves
/// converge for any ΔT > −1, tiny ones included (docs/physics.md §0 "Linear
/// response"), with the probe conditions met relative to the O(ΔT) scale of
/// the currents, and I/ΔT, J/ΔT, R/ΔT converging as ΔT → 0.
final class SmallDeltaTTests: XCTestCase {
    static let deltaTs: [Double] = [3, 1, 1e-2, 1e-4, 1e-6, 1e-8, -1e-8, -1e-6, -1e-2]

    /// One point as a line's first point (cold, no branch check: this is
    /// about convergence and accuracy, not about which branch).
    static func solve(_ parameters: DeviceParameters, deltaT: Double, closedForms: Bool = true) throws -> PointResult {
        var settings = SolverSettings()
        settings.closedForms = closedForms
        let solver = try DiodeSolver(parameters: parameters, settings: settings)
        var continuation = DiodeSolver.Continuation()
        return solver.solvePoint(deltaT: deltaT, continuation: &continuation)
    }

    /// Converged, finite, and the probe conditions I_p = J_p = 0 hold
    /// relative to ∫|𝓘_p| (∝ ΔT), up to the rounding floor ~1e-14/|ΔT| of
    /// re-integrating O(ΔT) currents.
    static func assertSolved(_ point: PointResult, _ parameters: DeviceParameters, deltaT: Double,
                             _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let solver = try DiodeSolver(parameters: parameters)
        for (configuration, r) in [(Configuration.forward, point.forward), (.backward, point.backward)] {
            XCTAssertEqual(r.status, .converged, "\(label) \(configuration)", file: file, line: line)
            XCTAssertTrue(r.particleCurrent.isFinite && r.heatCurrent.isFinite, "\(label) \(configuration)",
                          file: file, line: line)
            guard parameters.lambda > 0, r.status == .converged else { continue }
            let c = solver.terminalCurrents(deltaT: deltaT, configuration: configuration, state: r.state)
            let tolerance = Swift.max(1e-8, 1e-13 / abs(deltaT))
            XCTAssertLessThanOrEqual(abs(c.particle[2]), tolerance * c.particleMagnitude[2],
                                     "\(label) \(configuration): I_p", file: file, line: line)
            XCTAssertLessThanOrEqual(abs(c.heat[2]), tolerance * c.heatMagnitude[2],
                                     "\(label) \(configuration): J_p", file: file, line: line)
            // The reported currents are those of the state.
            assertClose(r.particleCurrent, c.particle[0], relative: Swift.max(1e-8, 1e-13 / abs(deltaT)),
                        "\(label) \(configuration): I", file: file, line: line)
        }
    }

    /// I/ΔT and J/ΔT at ΔT = ±1e-8, ±1e-6 agree with each other (they are
    /// the linear-response coefficients; the O(ΔT) corrections are ≲ 1e-6
    /// relative here, the rounding floor of the closed forms and of the
    /// charges ~1e-5 at 1e-8), and R/ΔT converges at first order over
    /// ΔT = 1e-1 … 1e-4.
    static func assertLinearResponse(_ points: [Double: PointResult], _ label: String,
                                     file: StaticString = #filePath, line: UInt = #line) {
        for keyPath in [\ConfigurationResult.particleCurrent, \ConfigurationResult.heatCurrent] {
            guard let reference = points[1e-6]?.forward[keyPath: keyPath] else { continue }
            for deltaT in [1e-8, -1e-8, -1e-6] {
                guard let point = points[deltaT] else { continue }
                assertClose(point.forward[keyPath: keyPath] / deltaT, reference / 1e-6, relative: 1e-4,
                            "\(label): F at ΔT = \(deltaT)", file: file, line: line)
                // Backward at −ΔT is forward at ΔT to first order.
                assertClose(-point.backward[keyPath: keyPath] / deltaT, reference / 1e-6, relative: 1e-4,
                            "\(label): B at ΔT = \(deltaT)", file: file, line: line)
            }
        }
    }

    static func assertRectificationConverges(_ parameters: DeviceParameters, closedForms: Bool = true,
                                             _ label: String, file: StaticString = #filePath,
                                             line: UInt = #line) throws {
        let steps = [1e-1, 1e-2, 1e-3, 1e-4]
        let points = try steps.map { try solve(parameters, deltaT: $0, closedForms: closedForms) }
        for keyPath in [\PointResult.rectificationI, \PointResult.rectificationJ] {
            let ratios = zip(points, steps).map { $0[keyPath: keyPath] / $1 }
            let differences = zip(ratios.dropFirst(), ratios).map { abs($0 - $1) }
            XCTAssertTrue(ratios.allSatisfy(\.isFinite), "\(label): \(ratios)", file: file, line: line)
            // First order: each decade shrinks the change by ~10 (≤ 0.2 allowed).
            for (coarse, fine) in zip(differences, differences.dropFirst()) {
                XCTAssertLessThanOrEqual(fine, 0.2 * coarse + 1e-9 * abs(ratios[0]),
                                         "\(label): R/ΔT = \(ratios)", file: file, line: line)
            }
        }
    }

    /// The issue's device (ε1 = 45, ε3 = 48.2, Γ = 3): λ = 1 (closed forms
    /// and forced general), 0.5, 0.1 without screening, ΔT = ±1e-8 … 3.
    func testProbeConvergesForAnyDeltaT() throws {
        for (lambda, closedForms) in [(1.0, true), (1.0, false), (0.5, true), (0.1, true)] {
            let parameters = DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 3, gamma3: 3, mu: 40, lambda: lambda, d: 1)
            var points: [Double: PointResult] = [:]
            for deltaT in Self.deltaTs {
                let label = "λ = \(lambda)\(closedForms ? "" : " (general)"), ΔT = \(deltaT)"
                let point = try Self.solve(parameters, deltaT: deltaT, closedForms: closedForms)
                try Self.assertSolved(point, parameters, deltaT: deltaT, label)
                points[deltaT] = point
            }
            Self.assertLinearResponse(points, "λ = \(lambda)")
            try Self.assertRectificationConverges(parameters, closedForms: closedForms, "λ = \(lambda)")
        }
    }

    /// With screening (Γ = 1, d = 1): λ = 0, 0.5, 1, ΔT = ±1e-8 … 3; U/ΔT
    /// converges too (to the ~1e-13 absolute round-off of the charges).
    func testScreeningConvergesForAnyDeltaT() throws {
        for lambda in [0.0, 0.5, 1.0] {
            let parameters = DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 1, gamma3: 1, mu: 40, lambda: lambda, d: 1,
                                              screening: true)
            var points: [Double: PointResult] = [:]
            for deltaT in Self.deltaTs {
                let point = try Self.solve(parameters, deltaT: deltaT)
                try Self.assertSolved(point, parameters, deltaT: deltaT, "screening, λ = \(lambda), ΔT = \(deltaT)")
                points[deltaT] = point
            }
            Self.assertLinearResponse(points, "screening, λ = \(lambda)")
            if let small = points[1e-8], let reference = points[1e-6] {
                for region in 0..<3 {
                    assertClose(small.forward.state.u[region] / 1e-8, reference.forward.state.u[region] / 1e-6,
                                relative: 1e-3, absolute: 1e-4, "screening, λ = \(lambda): U\(region + 1)/ΔT")
                }
            }
        }
    }

    /// ΔT = 0 exactly: equilibrium (no currents, μ_p = μ, T_p = 1, U = 0)
    /// and R undefined (NaN).
    func testZeroDeltaTIsEquilibrium() throws {
        for (lambda, screening) in [(0.5, false), (1.0, false), (0.0, true), (1.0, true)] {
            let parameters = DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 1, gamma3: 1, mu: 40, lambda: lambda, d: 1,
                                              screening: screening)
            let point = try Self.solve(parameters, deltaT: 0)
            for r in [point.forward, point.backward] {
                XCTAssertEqual(r.status, .converged)
                XCTAssertEqual(r.particleCurrent, 0, accuracy: 1e-15)
                XCTAssertEqual(r.heatCurrent, 0, accuracy: 1e-15)
                if lambda > 0 {
                    XCTAssertEqual(r.state.muP, 40, accuracy: 1e-12)
                    XCTAssertEqual(r.state.tP, 1, accuracy: 1e-12)
                }
                for region in 0..<3 { XCTAssertEqual(r.state.u[region], 0, accuracy: 1e-10) }
            }
            XCTAssertTrue(point.rectificationI.isNaN || point.forward.particleCurrent == 0)
        }
    }
}
