import DiodePhysics
import XCTest

/// The reference currents of docs/physics.md §10: the linear response
/// I_lin = L^(1) ΔT (paper Fig. 2(a)) and the currents with the equilibrium
/// transmission (Fig. 3(a), green curve).
final class ReferenceCurrentTests: XCTestCase {
    private struct Case {
        let name: String
        let parameters: DeviceParameters
    }

    private let cases = [
        Case(name: "λ = 0", parameters: DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 1, gamma3: 1, lambda: 0)),
        Case(name: "λ = 0.5", parameters: DeviceParameters(eps1: 43, eps3: 46, gamma1: 1, gamma3: 1, lambda: 0.5)),
        Case(name: "λ = 1 (closed forms)",
             parameters: DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 3, gamma3: 3, lambda: 1)),
        Case(name: "λ = 0, screening (Fig. 3 ★)",
             parameters: DeviceParameters(eps1: 46.648, eps3: 48.2, gamma1: 1, gamma3: 1, lambda: 0, screening: true)),
        Case(name: "λ = 0.5, screening",
             parameters: DeviceParameters(eps1: 43, eps3: 46, gamma1: 1, gamma3: 1, lambda: 0.5, screening: true)),
        Case(name: "λ = 1, screening (Fig. 4)",
             parameters: DeviceParameters(eps1: 44, eps3: 36, gamma1: 1, gamma3: 1, lambda: 1, screening: true)),
    ]

    private func current(_ solver: DiodeSolver, _ deltaT: Double, _ configuration: Configuration) -> SIMD2<Double> {
        let r = solver.solve(deltaT: deltaT, configuration: configuration)
        XCTAssertEqual(r.status, .converged, "ΔT = \(deltaT)")
        return SIMD2(r.particleCurrent, r.heatCurrent)
    }

    /// X(ΔT)/ΔT → L^(1) with an error ∝ ΔT over ΔT = 0.1, 0.05, 0.025, and
    /// the symmetric quotient (X(ΔT) − X(−ΔT))/(2ΔT) with Richardson
    /// extrapolation (error O(ΔT⁴)) matches L^(1) closely.
    func testLinearResponseIsTheLimitOfTheSolvedCurrents() throws {
        for c in cases {
            let solver = try DiodeSolver(parameters: c.parameters)
            for configuration in Configuration.allCases {
                let label = "\(c.name), \(configuration)"
                let linear = solver.linearResponse(configuration: configuration)
                XCTAssertTrue(linear.converged, label)
                let l1 = SIMD2(linear.particle, linear.heat)
                let steps = [0.1, 0.05, 0.025]
                let errors = steps.map { h in current(solver, h, configuration) / h - l1 }
                for component in 0..<2 {
                    let e = errors.map { $0[component] }
                    // First order: halving ΔT about halves the error (the
                    // second-order term is visible at 0.1: ratio 1.5 for J
                    // at the Fig. 4 point, whose L_I^(1) vanishes by symmetry).
                    guard abs(e[2]) > 1e-9 else { continue }
                    for k in 0..<2 {
                        let ratio = e[k] / e[k + 1]
                        XCTAssert(ratio > 1.4 && ratio < 2.6, "\(label) [\(component)] errors \(e), ratio \(ratio)")
                    }
                }
                func symmetric(_ h: Double) -> SIMD2<Double> {
                    (current(solver, h, configuration) - current(solver, -h, configuration)) / (2 * h)
                }
                let richardson = (4 * symmetric(0.01) - symmetric(0.02)) / 3
                for component in 0..<2 {
                    assertClose(richardson[component], l1[component], relative: 2e-6,
                                absolute: 1e-8 * max(abs(l1[0]), abs(l1[1])), "\(label) [\(component)] Richardson")
                }
            }
        }
    }

    /// At λ = 0 without screening nothing is solved and the symmetric
    /// quotient converges at second order: Richardson of ΔT = 0.02, 0.01
    /// gives L^(1) to rounding and quadrature accuracy.
    func testCoherentLinearResponseMatchesTheSymmetricDifferenceToHighOrder() throws {
        for (eps1, eps3) in [(45.0, 48.2), (38.0, 41.5), (40.0, 40.0)] {
            let p = DeviceParameters(eps1: eps1, eps3: eps3, gamma1: 0.8, gamma3: 1.2, lambda: 0, d: 2)
            let solver = try DiodeSolver(parameters: p)
            let linear = solver.linearResponse(configuration: .forward)
            func symmetric(_ h: Double) -> SIMD2<Double> {
                (current(solver, h, .forward) - current(solver, -h, .forward)) / (2 * h)
            }
            let richardson = (4 * symmetric(0.01) - symmetric(0.02)) / 3
            assertClose(richardson[0], linear.particle, relative: 1e-7, "ε = \(eps1), \(eps3) I")
            assertClose(richardson[1], linear.heat, relative: 1e-7, "ε = \(eps1), \(eps3) J")
            XCTAssertTrue(linear.probeMu.isNaN)
            XCTAssertTrue(linear.probeTemperature.isNaN)
        }
    }

    /// Heating both leads equally drives no current, so L^(1),B = −L^(1),F,
    /// and the probe's responses add up to an equilibrium at T + ΔT.
    func testForwardAndBackwardLinearResponsesAreOpposite() throws {
        for c in cases {
            let solver = try DiodeSolver(parameters: c.parameters)
            let f = solver.linearResponse(configuration: .forward)
            let b = solver.linearResponse(configuration: .backward)
            assertClose(f.particle, -b.particle, relative: 1e-12, c.name)
            assertClose(f.heat, -b.heat, relative: 1e-12, c.name)
            XCTAssertGreaterThan(f.heat, 0, "heat flows from hot to cold: \(c.name)")
            if solver.hasProbe {
                XCTAssertEqual(f.probeMu + b.probeMu, 0, accuracy: 1e-12, c.name)
                XCTAssertEqual(f.probeTemperature + b.probeTemperature, 1, accuracy: 1e-12, c.name)
            }
        }
    }

    /// The paper's antisymmetric configuration ε1 − μ = μ − ε3 at λ = 1
    /// (Fig. 2(a)): L^(1) = 0 for particles, T_p^F = T_p^B = T + ΔT/2 and
    /// μ_p^F + μ_p^B = 2μ at first order (μ = 80: band-bottom corrections
    /// e^{−μ} negligible).
    func testAntisymmetricThermalisedDeviceHasNoLinearParticleResponse() throws {
        let p = DeviceParameters(eps1: 84.5, eps3: 75.5, gamma1: 3, gamma3: 3, mu: 80, lambda: 1)
        let solver = try DiodeSolver(parameters: p)
        let f = solver.linearResponse(configuration: .forward)
        let b = solver.linearResponse(configuration: .backward)
        XCTAssertLessThan(abs(f.particle), 1e-11 * f.heat)
        XCTAssertEqual(f.probeTemperature, 0.5, accuracy: 1e-11)
        XCTAssertEqual(b.probeTemperature, 0.5, accuracy: 1e-11)
        XCTAssertEqual(f.probeMu + b.probeMu, 0, accuracy: 1e-11)
        XCTAssertNotEqual(f.probeMu, 0)
        // The solved current is of second order there: I(ΔT)/ΔT → 0 ∝ ΔT.
        let ratios = [0.04, 0.02].map { current(solver, $0, .forward)[0] / $0 }
        XCTAssertEqual(ratios[0] / ratios[1], 2, accuracy: 0.1)
    }

    func testEquilibriumTransmissionCurrentIsTheFullCurrentWithoutScreening() throws {
        for c in cases where !c.parameters.screening {
            let solver = try DiodeSolver(parameters: c.parameters)
            for configuration in Configuration.allCases {
                let result = solver.solve(deltaT: 0.7, configuration: configuration)
                let given = solver.referenceCurrents(deltaT: 0.7, configuration: configuration, result: result)
                let fresh = solver.referenceCurrents(deltaT: 0.7, configuration: configuration)
                for r in [given.equilibriumTransmission, fresh.equilibriumTransmission] {
                    XCTAssertEqual(r.particleCurrent, result.particleCurrent, c.name)
                    XCTAssertEqual(r.heatCurrent, result.heatCurrent, c.name)
                    XCTAssertEqual(r.state.u, result.state.u, c.name)
                    XCTAssertEqual(r.state.muP.bitPattern, result.state.muP.bitPattern, c.name)
                    XCTAssertEqual(r.state.tP.bitPattern, result.state.tP.bitPattern, c.name)
                }
                let linear = solver.linearResponse(configuration: configuration)
                XCTAssertEqual(given.linearParticleCurrent, 0.7 * linear.particle)
                XCTAssertEqual(given.linearHeatCurrent, 0.7 * linear.heat)
            }
        }
    }

    /// With screening: the equilibrium-transmission current is the solution
    /// of the same device with U = 0 (the probe still self-consistent), it
    /// differs from the screened current at the Fig. 3 ★ point (where the
    /// bipolar effect is due to screening), and large capacitances, which
    /// pin U near 0, bring the screened current to it.
    func testEquilibriumTransmissionCurrentWithScreening() throws {
        for c in cases where c.parameters.screening {
            let solver = try DiodeSolver(parameters: c.parameters)
            var unscreened = c.parameters
            unscreened.screening = false
            let reference = try DiodeSolver(parameters: unscreened)
            for configuration in Configuration.allCases {
                let result = solver.solve(deltaT: 1, configuration: configuration)
                let r = solver.referenceCurrents(deltaT: 1, configuration: configuration, result: result)
                let expected = reference.solve(deltaT: 1, configuration: configuration)
                XCTAssertEqual(r.equilibriumTransmission.status, .converged, c.name)
                assertClose(r.equilibriumTransmission.particleCurrent, expected.particleCurrent, relative: 1e-12, c.name)
                assertClose(r.equilibriumTransmission.heatCurrent, expected.heatCurrent, relative: 1e-12, c.name)
                XCTAssertEqual(r.equilibriumTransmission.state.u, .zero)
                XCTAssertGreaterThan(abs(result.particleCurrent - expected.particleCurrent),
                                     1e-3 * abs(expected.particleCurrent), c.name)
            }
        }
        // Fig. 3 ★: I^F ≈ I^B > 0 screened, but I^B = −I^F with the equilibrium transmission.
        let star = try DiodeSolver(parameters: cases[3].parameters)
        let point = star.solvePoint(deltaT: 1)
        let f = star.referenceCurrents(deltaT: 1, configuration: .forward, result: point.forward)
        let b = star.referenceCurrents(deltaT: 1, configuration: .backward, result: point.backward)
        XCTAssertGreaterThan(point.forward.particleCurrent, 0)
        XCTAssertGreaterThan(point.backward.particleCurrent, 0)
        XCTAssertEqual(f.equilibriumTransmission.particleCurrent, -b.equilibriumTransmission.particleCurrent)

        var pinned = cases[3].parameters
        pinned.capacitances = Capacitances(c1g: 1e4, c2g: 1e4, c3g: 1e4)
        let stiff = try DiodeSolver(parameters: pinned)
        let result = stiff.solve(deltaT: 1, configuration: .forward)
        let r = stiff.referenceCurrents(deltaT: 1, configuration: .forward, result: result)
        XCTAssertEqual(result.status, .converged)
        assertClose(result.particleCurrent, r.equilibriumTransmission.particleCurrent, relative: 1e-2)
        assertClose(result.heatCurrent, r.equilibriumTransmission.heatCurrent, relative: 1e-2)
        assertClose(f.equilibriumTransmission.particleCurrent, r.equilibriumTransmission.particleCurrent,
                    relative: 1e-12)
    }
}
