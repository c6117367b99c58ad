import DiodePhysics
import RealModule
import XCTest

/// Valid but extreme inputs (issue 13, item 1): no input the validation
/// accepts may trap. Every configuration ends converged with finite,
/// conserving currents, or flagged (`notConverged`/`nonFinite`) with NaN.
final class DegenerateInputTests: XCTestCase {
    struct Smooth: VectorIntegrand {
        func callAsFunction(_ e: Double) -> SIMD2<Double> { SIMD2(Double.cos(e), 1 / (1 + e * e)) }
    }

    /// An empty range gives 0 (converged, no evaluation), a reversed one the
    /// oriented integral, a non-finite limit NaN and not converged. (Before
    /// the fix the first two aborted in `SquareRootGrading.reset`.)
    func testDegenerateGradedRangesDoNotTrap() {
        var quadrature = AdaptiveQuadrature<SIMD2<Double>>(maximumEvaluations: 20_000)
        var grading = SquareRootGrading()
        var scratch: [Double] = []
        func integrate(_ lower: Double, _ upper: Double) -> QuadratureResult<SIMD2<Double>> {
            quadrature.integrateGraded(Smooth(), lower: lower, upper: upper, roots: SIMD4(0.5, 0, 0, 0),
                                       rootCount: 1, features: [0.25], relativeTolerance: SIMD2(repeating: 1e-12),
                                       grading: &grading, scratch: &scratch)
        }
        let empty = integrate(120, 120)
        XCTAssertTrue(empty.converged)
        XCTAssertEqual(empty.value, .zero)
        XCTAssertEqual(empty.evaluations, 0)

        let forward = integrate(-1, 2), reversed = integrate(2, -1)
        XCTAssertTrue(forward.converged)
        XCTAssertTrue(reversed.converged)
        XCTAssertEqual(forward.value[0], Double.sin(2) + Double.sin(1), accuracy: 1e-12)
        XCTAssertEqual(reversed.value, -forward.value)

        for (lower, upper) in [(Double.nan, 1.0), (0, .infinity), (-.infinity, 0)] {
            let r = integrate(lower, upper)
            XCTAssertFalse(r.converged, "\(lower) \(upper)")
            XCTAssertTrue(r.value[0].isNaN, "\(lower) \(upper)")
        }

        grading.reset(lower: 3, upper: 3, roots: SIMD4(3, 0, 0, 0), count: 1)
        XCTAssertEqual(grading.parameterRange.lower, grading.parameterRange.upper)
        grading.reset(lower: 3, upper: 2, roots: .zero, count: 0)
        XCTAssertEqual(grading.parameterRange.lower, grading.parameterRange.upper)
    }

    /// A potential below half the rounding unit of a window edge (|U| ≲ 1e-14
    /// at the edge 120) makes the edge interval [edge − U, edge] collapse:
    /// the edge terms must stay finite and linear in U (they are
    /// U·ν(edge)f(edge) to O(U²)). This is what the Newton iterates of the
    /// issue's points hit (U₁ = ±1.1e-16 at Γ = 500, Γ = 200; U₃ at
    /// Γ₃ = 1e4; U₂ at ΔT = 3), and it aborted the process.
    func testEdgeTermsOfPotentialsBelowTheRoundingOfTheWindowEdge() {
        let model = DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 500, gamma3: 500, lambda: 1,
                                     screening: true).scatteringModel
        var charges = ExcessCharges(model: model, mu: 40, leftTemperature: 2, rightTemperature: 1)
        let tiny = 1.1102230246251565e-16
        let small = charges.edgeTerms(potentials: SIMD3(tiny, -tiny, 2 * tiny))
        XCTAssertTrue(small.converged)
        // U = ±2^-30: edge − U is exact at both edges (120 and −40), so the
        // quadrature's interval has exactly the length U.
        let v = Double.ulpOfOne * 0x1p22
        let reference = charges.edgeTerms(potentials: SIMD3(v, -v, 2 * v))
        XCTAssertTrue(reference.converged)
        let derivativeScale = (0..<3).map { max(abs(small.derivative[$0]), abs(reference.derivative[$0])) }.max()!
        for alpha in 0..<3 {
            XCTAssertTrue(small.value[alpha].isFinite && small.derivative[alpha].isFinite)
            let scale = [1.0, -1.0, 2.0][alpha]
            // Linear in U: E(U)/U agrees between U ~ 1e-16 and U ~ 1e-9.
            assertClose(small.value[alpha] / (scale * tiny), reference.value[alpha] / (scale * v), relative: 1e-7,
                        absolute: 1e-12 * derivativeScale, "α=\(alpha + 1)")
            assertClose(small.derivative[alpha], reference.derivative[alpha], relative: 1e-7,
                        absolute: 1e-12 * derivativeScale, "α=\(alpha + 1)")
        }
    }

    /// Converged: finite, current and energy conserved at the returned
    /// state, the probe conditions hold and the reported currents are the
    /// left lead's. Not converged: NaN everywhere.
    static func checkOutcome(_ r: ConfigurationResult, solver: DiodeSolver, deltaT: Double,
                             configuration: Configuration, _ label: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard r.status == .converged else {
            XCTAssertTrue(r.particleCurrent.isNaN && r.heatCurrent.isNaN, label, file: file, line: line)
            XCTAssertTrue(r.state.u[0].isNaN, label, file: file, line: line)
            return
        }
        XCTAssertTrue(r.particleCurrent.isFinite && r.heatCurrent.isFinite, label, file: file, line: line)
        let c = solver.terminalCurrents(deltaT: deltaT, configuration: configuration, state: r.state)
        XCTAssertTrue(c.converged, label, file: file, line: line)
        let mu = solver.parameters.mu
        let muP = solver.hasProbe ? r.state.muP : mu
        let scaleI = c.particleMagnitude.max(), scaleJ = c.heatMagnitude.max()
        XCTAssertEqual(c.particle.sum(), 0, accuracy: 1e-12 * scaleI, label, file: file, line: line)
        XCTAssertEqual(c.heat.sum() + mu * (c.particle[0] + c.particle[1]) + muP * c.particle[2], 0,
                       accuracy: 1e-12 * (scaleJ + abs(mu) * scaleI + abs(muP) * c.particleMagnitude[2]),
                       label, file: file, line: line)
        if solver.hasProbe {
            XCTAssertEqual(c.particle[2], 0, accuracy: 1e-7 * c.particleMagnitude[2], label, file: file, line: line)
            XCTAssertEqual(c.heat[2], 0, accuracy: 1e-7 * c.heatMagnitude[2], label, file: file, line: line)
        }
        XCTAssertEqual(r.particleCurrent, c.particle[0], accuracy: 1e-8 * c.particleMagnitude[0],
                       label, file: file, line: line)
        XCTAssertEqual(r.heatCurrent, c.heat[0], accuracy: 1e-8 * c.heatMagnitude[0], label, file: file, line: line)
    }

    /// The issue's commands at the physics level. Each aborted the process
    /// before (precondition `upper > lower` in `SquareRootGrading.reset`,
    /// from `ExcessCharges.edgeTerms`).
    func testIssueCommandsGiveResultsOrAStatus() throws {
        let cases: [(DeviceParameters, Double, expectConverged: Bool)] = [
            (DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 500, gamma3: 500, lambda: 1, screening: true), 1, true),
            (DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 200, gamma3: 200, lambda: 0.5, screening: true), 1, true),
            (DeviceParameters(eps1: 45, eps3: 48.2, gamma1: 1, gamma3: 1e4, lambda: 1, screening: true), 1, false),
            (DeviceParameters(eps1: 34, eps3: 25, gamma1: 1, gamma3: 1, lambda: 1, screening: true), 3, true),
        ]
        for (p, deltaT, expectConverged) in cases {
            let solver = try DiodeSolver(parameters: p)
            let point = solver.solvePoint(deltaT: deltaT)
            let label = "Γ=\(p.gamma1)/\(p.gamma3) λ=\(p.lambda) ε=\(p.eps1)/\(p.eps3) ΔT=\(deltaT)"
            for (r, configuration) in [(point.forward, Configuration.forward), (point.backward, .backward)] {
                if expectConverged { XCTAssertEqual(r.status, .converged, "\(label) \(configuration)") }
                Self.checkOutcome(r, solver: solver, deltaT: deltaT, configuration: configuration,
                                  "\(label) \(configuration)")
            }
        }
    }

    /// Windows no quadrature can cover end flagged, at once: ΔT = 1e300 made
    /// the Fabry–Pérot search loop forever (Θ = ∞); d = 10³ with ΔT = 10⁴
    /// gave ~10⁵ states and millions of initial panels, evaluated in full
    /// before the evaluation cap was looked at (minutes per point).
    func testAbsurdWindowsEndFlaggedAtOnce() throws {
        let cases: [(DeviceParameters, Double)] = [
            (DeviceParameters(eps1: 45, eps3: 48, gamma1: 1, gamma3: 1, lambda: 0.5), 1e300),
            (DeviceParameters(eps1: 45, eps3: 48, gamma1: 1, gamma3: 1, lambda: 0, screening: true), 1e300),
            (DeviceParameters(eps1: 1100, eps3: 995, gamma1: 1e-8, gamma3: 1e-8, mu: 1000, lambda: 0.5, d: 1000), 1e4),
        ]
        for (p, deltaT) in cases {
            let solver = try DiodeSolver(parameters: p)
            for configuration in Configuration.allCases {
                let r = solver.solve(deltaT: deltaT, configuration: configuration)
                XCTAssertNotEqual(r.status, .converged, "λ=\(p.lambda) ΔT=\(deltaT)")
                XCTAssertTrue(r.particleCurrent.isNaN && r.heatCurrent.isNaN)
            }
        }
        var states: [FabryPerotState] = []
        DeviceParameters(eps1: 45, eps3: 48, gamma1: 1, gamma3: 1, lambda: 0.5).scatteringModel
            .appendFabryPerotStates(in: -10, .infinity, potentials: .zero, to: &states)
        XCTAssertLessThanOrEqual(states.count, 3 * ScatteringModel.maximumFabryPerotStates)
        // More breakpoint intervals than the cap allows: not converged, nothing evaluated.
        var quadrature = AdaptiveQuadrature<SIMD2<Double>>(maximumEvaluations: 21 * 10)
        let r = quadrature.integrate(Smooth(), breakpoints: (0...11).map(Double.init),
                                     relativeTolerance: SIMD2(repeating: 1e-9))
        XCTAssertFalse(r.converged)
        XCTAssertEqual(r.evaluations, 0)
        XCTAssertTrue(quadrature.integrate(Smooth(), breakpoints: (0...10).map(Double.init),
                                           relativeTolerance: SIMD2(repeating: 1e-9)).converged)
    }

    /// Extreme but valid parameters: Γ from 1e-3 to 1e4 (also Γ1 ≠ Γ3),
    /// ΔT from −0.9 to 20, λ ∈ {0, 0.5, 1}, screening on and off, μ from 0
    /// to 200, d from 0.01 to 50 (with screening up to 5: at d = 50 and
    /// ΔT = 20 its window holds ~10² Fabry–Pérot states, a minute per point
    /// in a debug build; such points were checked with the release CLI). No
    /// trap; each configuration converges with conserved currents, or is
    /// flagged with NaN.
    func testExtremeButValidParametersConvergeOrAreFlagged() throws {
        var generator = SplitMix64(seed: 13)
        let gammas = [1e-3, 0.1, 1, 30, 1e4]
        var converged = 0, total = 0
        // Points of a release-build sweep that aborted before (11 of 150
        // random points there did, all with screening and some Γ ≥ 100).
        let aborted: [(DeviceParameters, Double)] = [
            (DeviceParameters(eps1: 13.849504812380719, eps3: -7.686790412082516, gamma1: 100, gamma3: 1e4, mu: 5,
                              lambda: 0.5, d: 0.3, screening: true), -0.9),
            (DeviceParameters(eps1: 9.353472482055693, eps3: 10.493905746873676, gamma1: 1e4, gamma3: 100, mu: 0.5,
                              lambda: 0.5, d: 1, screening: true), -0.5),
            (DeviceParameters(eps1: -6.345999665021738, eps3: -3.7316432065044456, gamma1: 1e4, gamma3: 0.1, mu: 5,
                              lambda: 1, d: 1, screening: true), 1),
        ]
        for index in 0..<(30 + aborted.count) {
            let mu = [0.0, 5, 40, 200].randomElement(using: &generator)!
            let gamma1 = gammas.randomElement(using: &generator)!
            let gamma3 = Bool.random(using: &generator) ? gamma1 : gammas.randomElement(using: &generator)!
            let screening = Bool.random(using: &generator)
            let p = DeviceParameters(
                eps1: mu + Double.random(in: -12...12, using: &generator),
                eps3: mu + Double.random(in: -12...12, using: &generator),
                gamma1: gamma1, gamma3: gamma3, mu: mu,
                lambda: [0.0, 0.5, 1].randomElement(using: &generator)!,
                d: [0.01, 1, screening ? 5 : 50].randomElement(using: &generator)!,
                screening: screening)
            let random = (p, [-0.9, 0.01, 1, 3, 20].randomElement(using: &generator)!)
            let (parameters, deltaT) = index < 30 ? random : aborted[index - 30]
            let solver = try DiodeSolver(parameters: parameters)
            let point = solver.solvePoint(deltaT: deltaT)
            let label = "\(parameters) ΔT=\(deltaT)"
            for (r, configuration) in [(point.forward, Configuration.forward), (point.backward, .backward)] {
                total += 1
                if r.status == .converged { converged += 1 }
                Self.checkOutcome(r, solver: solver, deltaT: deltaT, configuration: configuration,
                                  "\(label) \(configuration)")
            }
        }
        // Most of them converge (a statement about coverage, not a tolerance).
        XCTAssertGreaterThan(converged, total / 2)
    }

    /// `solveClosedForm` where the closed forms do not apply (public API):
    /// the general solve, not a trap (it was a precondition).
    func testClosedFormsWhereTheyDoNotApplyFallBackToTheGeneralPath() throws {
        for p in [DeviceParameters(eps1: 44, eps3: 42, gamma1: 1, gamma3: 1, lambda: 0.5),
                  DeviceParameters(eps1: 44, eps3: 42, gamma1: 1, gamma3: 1, lambda: 1, screening: true)] {
            let solver = try DiodeSolver(parameters: p)
            XCTAssertFalse(solver.closedFormApplies)
            let viaClosedForm = solver.solveClosedForm(deltaT: 1, configuration: .forward)
            let general = solver.solve(deltaT: 1, configuration: .forward)
            XCTAssertEqual(viaClosedForm.status, .converged)
            XCTAssertEqual(viaClosedForm.particleCurrent, general.particleCurrent)
            XCTAssertEqual(viaClosedForm.heatCurrent, general.heatCurrent)
        }
    }
}
