import XCTest
@testable import DiodePhysics

/// The split full pass without a probe (``ScreeningSystem/splitJacobian``,
/// docs/physics.md §9.4): F from the charges' own adaptive pass, ∂F/∂U by
/// the 7-point Gauss rule on that pass's panels.
final class SplitJacobianTests: XCTestCase {
    static let points: [(Double, Double)] = [(46.648, 48.2), (45.5, 47.5), (48.5, 47.5), (43.0, 46.0), (32.5, 31.0),
                                             (52.0, 36.0), (40.0, 52.0), (31.6, 36.6)]

    /// F agrees with the one pass's F to its tolerance, and ∂F/∂x with the
    /// one pass's (itself to 1e-6 of ∫|g|) to 5e-5 of its largest element
    /// (measured: 2.9e-5 at λ = 0, 4.6e-7 at λ = 0.5 and 1), at and away from the
    /// solution, at λ = 0 (3 unknowns U), 0.5 (generic jets) and 1 (5 unknowns:
    /// μ_p, log T_p, U).
    func testSplitPassMatchesTheOnePass() throws {
        for lambda in [0.0, 0.5, 1.0] {
            var worst = 0.0
            for (eps1, eps3) in Self.points {
                for configuration in [Configuration.forward, .backward] {
                    let p = ScreeningSolverTests.parameters(eps1: eps1, eps3: eps3, lambda: lambda)
                    var split = try ScreeningSolverTests.system(p, configuration: configuration)
                    XCTAssertTrue(split.splitJacobian, "the default")
                    var onePass = split
                    onePass.splitJacobian = false
                    let n = split.dimension, o = split.potentialOffset
                    for u in [SIMD3<Double>.zero, SIMD3(0.3, -0.2, 0.25), SIMD3(-0.5, 0.4, -0.1)] {
                        var x = SIMD8<Double>.zero
                        if lambda > 0 { x[0] = 40.1; x[1] = 0.3 }
                        for alpha in 0..<3 { x[o + alpha] = u[alpha] }
                        let a = split.evaluate(at: x), b = onePass.evaluate(at: x)
                        XCTAssertTrue(a.quadratureConverged && b.quadratureConverged)
                        var largest = 0.0
                        for i in 0..<n { for j in 0..<n { largest = max(largest, abs(b.jacobian[i, j])) } }
                        for i in 0..<n {
                            XCTAssertEqual(a.residual[i], b.residual[i], accuracy: 2e-9 * b.residualScale[i],
                                           "λ = \(lambda) (\(eps1), \(eps3)) F\(i)")
                            // The scales are ∫|g| of each equation's integrand. The
                            // probe currents' integrands change sign (where f_p
                            // crosses f_L, f_R), with no breakpoint there, so their
                            // ∫|g| depends on the panels at ~1e-4 (measured ≤ 1.6e-4
                            // at λ = 1); a scale only sets the residual's units and
                            // the tolerances, where that is immaterial.
                            let scaleAccuracy = lambda > 0 && i < 2 ? 1e-3 : 1e-6
                            XCTAssertEqual(a.residualScale[i], b.residualScale[i],
                                           accuracy: scaleAccuracy * b.residualScale[i],
                                           "λ = \(lambda) (\(eps1), \(eps3)) scale\(i) at U = \(u)")
                            for j in 0..<n { worst = max(worst, abs(a.jacobian[i, j] - b.jacobian[i, j]) / largest) }
                        }
                    }
                }
            }
            print("λ = \(lambda): split Jacobian off by \(worst) of its largest element")
            XCTAssertLessThan(worst, 5e-5, "λ = \(lambda)")
            XCTAssertGreaterThan(worst, 0, "the split Jacobian is a different quadrature")
        }
    }

    /// The residual-only pass (chord steps, with and without a probe) is the
    /// split full pass's first quadrature: the same F and scales bit for bit,
    /// a zero Jacobian; with the one-pass layout there is none with a probe.
    func testResidualOnlyPassIsTheSplitPassResidual() throws {
        for lambda in [0.0, 1.0] {
            let p = ScreeningSolverTests.parameters(eps1: 45.5, eps3: 47.5, lambda: lambda)
            var system = try ScreeningSolverTests.system(p)
            let n = system.dimension, o = system.potentialOffset
            var x = SIMD8<Double>.zero
            if lambda > 0 { x[0] = 40.1; x[1] = 0.3 }
            x[o] = 0.3; x[o + 1] = -0.2; x[o + 2] = 0.25
            // Two copies, so that both quadratures start from the same (no) partition.
            var other = system
            let full = system.evaluate(at: x)
            guard let cheap = other.evaluateResidual(at: x) else { return XCTFail("λ = \(lambda): no residual-only pass") }
            XCTAssertTrue(cheap.quadratureConverged)
            for i in 0..<n {
                XCTAssertEqual(cheap.residual[i], full.residual[i], "λ = \(lambda) F\(i)")
                XCTAssertEqual(cheap.residualScale[i], full.residualScale[i], "λ = \(lambda) scale\(i)")
                for j in 0..<n { XCTAssertEqual(cheap.jacobian[i, j], 0) }
            }
            XCTAssertLessThan(cheap.integrandEvaluations, full.integrandEvaluations)
            if lambda > 0 {
                var onePass = system
                onePass.splitJacobian = false
                XCTAssertNil(onePass.evaluateResidual(at: x))
            }
        }
    }

    /// With a probe and screening the reported currents (I_L, J_L alone,
    /// ``LeftLeadIntegrand``) equal the six-current quadrature's first
    /// components at the solved state to 1e-10 of §6.1's scale.
    func testReportedCurrentsWithAProbeMatchTheTerminalCurrents() throws {
        for (eps1, eps3) in [(45.5, 47.5), (52.0, 36.0)] {
            for lambda in [0.5, 1.0] {
                let p = ScreeningSolverTests.parameters(eps1: eps1, eps3: eps3, lambda: lambda)
                let solver = try DiodeSolver(parameters: p)
                var continuation = DiodeSolver.Continuation()
                let point = solver.solvePoint(deltaT: 1, continuation: &continuation)
                for (configuration, result) in [(Configuration.forward, point.forward), (.backward, point.backward)] {
                    XCTAssertEqual(result.status, .converged)
                    let all = solver.terminalCurrents(deltaT: 1, configuration: configuration, state: result.state)
                    XCTAssertEqual(result.particleCurrent, all.particle[0],
                                   accuracy: 1e-10 * max(abs(all.particle[0]), 1e-3 * all.particleMagnitude[0]))
                    XCTAssertEqual(result.heatCurrent, all.heat[0],
                                   accuracy: 1e-10 * max(abs(all.heat[0]), 1e-3 * all.heatMagnitude[0]))
                }
            }
        }
    }

    /// A line continued as in a scan tile, with the split passes, against a
    /// tight one-pass reference (relativeTolerance 1e-12, stepTolerance
    /// 1e-9) from the cold start: U within 3e-11, as the one-pass solver.
    /// ε3 = 36.6 is where the split passes with the charges' one-pass
    /// tolerance drifted to 2.2e-10 (``ScreeningSystem/splitChargeTolerance``).
    func testContinuedLineMatchesATightReference() throws {
        var continuation = DiodeSolver.Continuation()
        var worst = 0.0
        for i in 0...12 {
            let p = ScreeningSolverTests.parameters(eps1: 30 + 0.2 * Double(i), eps3: 36.6, lambda: 0)
            let point = try DiodeSolver(parameters: p).solvePoint(deltaT: 1, continuation: &continuation)
            for configuration in [Configuration.forward, .backward] {
                let reference = try ScreeningSolverTests.tightReference(p, configuration: configuration).outcome
                XCTAssertEqual(reference.status, .converged)
                let result = configuration == .forward ? point.forward : point.backward
                XCTAssertEqual(result.status, .converged)
                for alpha in 0..<3 { worst = max(worst, abs(result.state.u[alpha] - reference.solution[alpha])) }
            }
        }
        XCTAssertLessThan(worst, 3e-11)
    }
}

/// The upper-edge terms that ``ExcessCharges/edgeTerms(potentials:)`` skips
/// (|U|·f_eq ≤ 1e-24 over the interval) are negligible: integrated anyway,
/// value and derivative are below 1e-18 at the Figs. 3–4 settings (ΔT = 1,
/// 2, 3; |U| up to 2; resonances on the window's edge, Γ = 0.01 and 1).
final class EdgeTermSkipTests: XCTestCase {
    func testSkippedUpperEdgeTermsAreNegligible() throws {
        for deltaT in [1.0, 2.0, 3.0] {
            for gamma in [0.01, 1.0] {
                let hot = 1 + deltaT
                let window = chargeWindow(mu: 40, leftTemperature: hot, rightTemperature: 1)
                // Resonances at the upper edge: the largest ν there.
                let p = DeviceParameters(eps1: window.upper, eps3: window.upper - 1, gamma1: gamma, gamma3: gamma,
                                         mu: 40, lambda: 0, d: 1, screening: true, capacitances: Capacitances())
                let model = p.scatteringModel
                let equilibrium = FermiDistribution(mu: 40, temperature: 1)
                for shift in [-2.0, -0.5, 0.5, 2.0] {
                    let skipped = abs(shift) * equilibrium(min(window.upper, window.upper + shift)).occupation <= 1e-24
                    XCTAssertTrue(skipped, "ΔT = \(deltaT), U = \(shift): the settings the skip is for")
                    for region in 0..<3 {
                        let integrand = ShiftedEquilibriumIntegrand(model: model, distribution: equilibrium,
                                                                    shift: shift, region: region)
                        let (lo, hi) = shift > 0 ? (window.upper - shift, window.upper) : (window.upper, window.upper - shift)
                        var quadrature = AdaptiveQuadrature<SIMD2<Double>>()
                        let r = quadrature.integrate(integrand, breakpoints: [lo, hi],
                                                     relativeTolerance: SIMD2(repeating: 1e-10))
                        let boundary = model.partialDensities(energy: window.upper - shift)[region]
                            * equilibrium(window.upper).occupation
                        XCTAssertLessThan(abs(r.value[0]), 1e-18)
                        XCTAssertLessThan(abs(r.value[1]) + abs(boundary), 1e-18)
                    }
                }
            }
        }
    }
}
