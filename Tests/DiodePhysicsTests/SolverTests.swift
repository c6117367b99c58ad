import DiodePhysics
import RealModule
import XCTest

/// The solver against docs/physics.md §0 "Properties that must hold" (no screening).
final class SolverTests: XCTestCase {
    static func solver(eps1: Double, eps3: Double, gamma1: Double = 1, gamma3: Double = 1, mu: Double = 40,
                       lambda: Double, d: Double = 1, settings: SolverSettings = .default) -> DiodeSolver {
        try! DiodeSolver(parameters: DeviceParameters(eps1: eps1, eps3: eps3, gamma1: gamma1, gamma3: gamma3,
                                                      mu: mu, lambda: lambda, d: d),
                         settings: settings)
    }

    static func assertConverged(_ point: PointResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(point.forward.status, .converged, file: file, line: line)
        XCTAssertEqual(point.backward.status, .converged, file: file, line: line)
    }

    // MARK: No interactions

    func testNoInteractionsGiveExactAntisymmetry() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<6 {
            let s = Self.solver(eps1: .random(in: 30...50, using: &rng), eps3: .random(in: 30...50, using: &rng),
                                gamma1: .random(in: 0.5...3, using: &rng), gamma3: .random(in: 0.5...3, using: &rng),
                                lambda: 0, d: .random(in: 0.5...3, using: &rng))
            let p = s.solvePoint(deltaT: .random(in: 0.2...1.5, using: &rng))
            Self.assertConverged(p)
            XCTAssertEqual(p.forward.particleCurrent, -p.backward.particleCurrent)
            XCTAssertEqual(p.forward.heatCurrent, -p.backward.heatCurrent)
            XCTAssertEqual(p.rectificationI, 0)
            XCTAssertEqual(p.rectificationJ, 0)
            XCTAssertTrue(p.forward.state.muP.isNaN && p.forward.state.tP.isNaN)
        }
    }

    func testRectificationIsUndefinedAtZeroTemperatureDifference() {
        let p = Self.solver(eps1: 42, eps3: 45, lambda: 0).solvePoint(deltaT: 0)
        XCTAssertEqual(p.forward.particleCurrent, 0)
        XCTAssertTrue(p.rectificationI.isNaN && p.rectificationJ.isNaN)
        XCTAssertTrue(PointResult.rectification(0, 0).isNaN)
        XCTAssertEqual(PointResult.rectification(2, -1), 1.0 / 3)
    }

    // MARK: Symmetries

    func testInversionSymmetricDeviceDoesNotRectify() {
        for lambda in [0.0, 0.25, 0.6, 1] {
            for (eps, gamma) in [(43.0, 1.0), (37.5, 2.5)] {
                let p = Self.solver(eps1: eps, eps3: eps, gamma1: gamma, gamma3: gamma, lambda: lambda).solvePoint(deltaT: 1)
                Self.assertConverged(p)
                XCTAssertEqual(p.rectificationI, 0, accuracy: 1e-10, "λ = \(lambda)")
                XCTAssertEqual(p.rectificationJ, 0, accuracy: 1e-10, "λ = \(lambda)")
                if lambda > 0 {
                    assertClose(p.forward.state.muP, p.backward.state.muP, relative: 1e-12)
                    assertClose(p.forward.state.tP, p.backward.state.tP, relative: 1e-11)
                }
            }
        }
    }

    /// λ = 1, ε1 − μ = μ − ε3, Γ1 = Γ3 (deep band, μ = 80): I^F = I^B,
    /// T_p^F = T_p^B, μ_p^F + μ_p^B = 2μ, R_J = 0.
    func testFullThermalisationAntisymmetricIdentities() {
        let mu = 80.0
        for (offset, gamma) in [(2.0, 3.0), (4.8, 3.0), (-1.3, 1.0), (7.0, 2.0)] {
            let p = Self.solver(eps1: mu + offset, eps3: mu - offset, gamma1: gamma, gamma3: gamma, mu: mu, lambda: 1)
                .solvePoint(deltaT: 1)
            Self.assertConverged(p)
            assertClose(p.forward.particleCurrent, p.backward.particleCurrent, relative: 1e-10)
            assertClose(p.forward.state.tP, p.backward.state.tP, relative: 1e-11)
            assertClose(p.forward.state.muP + p.backward.state.muP, 2 * mu, relative: 1e-13)
            XCTAssertEqual(p.rectificationJ, 0, accuracy: 1e-10)
            XCTAssertEqual(abs(p.rectificationI), 1, accuracy: 1e-10, "I^F = I^B: a perfect particle diode")
        }
    }

    /// At μ = 40 the same identities hold up to the band-bottom corrections
    /// of order e^{−μ/T_max} ≈ 2e-9.
    func testFullThermalisationIdentitiesAtMu40WithinBandBottomCorrections() {
        let p = Self.solver(eps1: 44.8, eps3: 35.2, gamma1: 3, gamma3: 3, lambda: 1).solvePoint(deltaT: 1)
        Self.assertConverged(p)
        assertClose(p.forward.particleCurrent, p.backward.particleCurrent, relative: 1e-8)
        XCTAssertEqual(p.rectificationJ, 0, accuracy: 1e-8)
    }

    // MARK: Limits

    /// λ = 1 with a transparent region 3 (Γ3 → ∞): I = 2(μ_p − μ) and
    /// J = (π²/3)(T_p² − T_R²) + (μ_p − μ)² (Eq. 3 of the paper).
    func testTransparentRegionThreeLimit() {
        let mu = 80.0
        for (eps1, deltaT) in [(83.0, 1.0), (78.0, 0.5), (81.5, 2.0)] {
            let s = Self.solver(eps1: eps1, eps3: mu, gamma1: 1.5, gamma3: 1e8, mu: mu, lambda: 1)
            for configuration in Configuration.allCases {
                let r = s.solve(deltaT: deltaT, configuration: configuration, guess: nil)
                XCTAssertEqual(r.status, .converged)
                let tr = configuration.temperatures(deltaT: deltaT).right
                let shift = r.state.muP - mu
                assertClose(r.particleCurrent, 2 * shift, relative: 1e-9)
                assertClose(r.heatCurrent, Double.pi * Double.pi / 3 * (r.state.tP * r.state.tP - tr * tr) + shift * shift,
                            relative: 1e-9)
            }
        }
    }

    /// R_X → 0 linearly: R(ΔT)/ΔT converges (its differences halve with ΔT).
    func testLinearResponse() {
        for lambda in [0.5, 1.0] {
            let s = Self.solver(eps1: 43, eps3: 38.5, gamma1: 1, gamma3: 2, lambda: lambda)
            let steps = [0.08, 0.04, 0.02, 0.01]
            let points = steps.map { s.solvePoint(deltaT: $0) }
            points.forEach { Self.assertConverged($0) }
            for keyPath in [\PointResult.rectificationI, \PointResult.rectificationJ] {
                let ratios = zip(points, steps).map { $0[keyPath: keyPath] / $1 }
                XCTAssertGreaterThan(abs(ratios.last!), 1e-3, "a non-trivial slope")
                let differences = zip(ratios.dropFirst(), ratios).map { abs($0 - $1) }
                for (coarse, fine) in zip(differences, differences.dropFirst()) {
                    // First-order convergence of R/ΔT: differences shrink by ~2.
                    XCTAssertEqual(coarse / fine, 2, accuracy: 0.2, "λ = \(lambda), ratios \(ratios)")
                }
            }
        }
    }

    // MARK: Thermodynamics and conservation

    func testHeatFlowsFromHotToColdAndSecondLaw() {
        var rng = SplitMix64(seed: 12)
        for trial in 0..<10 {
            let lambda = [0.0, 0.4, 1.0][trial % 3]
            let s = Self.solver(eps1: .random(in: 30...50, using: &rng), eps3: .random(in: 30...50, using: &rng),
                                gamma1: .random(in: 0.5...3, using: &rng), gamma3: .random(in: 0.5...3, using: &rng),
                                lambda: lambda)
            let deltaT = Double.random(in: -0.6...2, using: &rng)
            let p = s.solvePoint(deltaT: deltaT)
            Self.assertConverged(p)
            // Forward: the left lead is at 1 + ΔT.
            XCTAssertEqual(p.forward.heatCurrent.sign, deltaT > 0 ? .plus : .minus)
            XCTAssertEqual(p.backward.heatCurrent.sign, deltaT > 0 ? .minus : .plus)
            XCTAssertGreaterThanOrEqual(p.forward.heatCurrent * (1 - 1 / (1 + deltaT)), 0)
            XCTAssertGreaterThanOrEqual(p.backward.heatCurrent * (1 / (1 + deltaT) - 1), 0)
        }
    }

    func testConservationAndProbeConditionsAtTheSolution() {
        for lambda in [0.0, 0.3, 1.0] {
            let s = Self.solver(eps1: 44, eps3: 41, gamma1: 1.5, gamma3: 0.8, lambda: lambda, d: 2)
            for configuration in Configuration.allCases {
                let r = s.solve(deltaT: 1, configuration: configuration, guess: nil)
                XCTAssertEqual(r.status, .converged)
                let c = s.terminalCurrents(deltaT: 1, configuration: configuration, state: r.state)
                XCTAssertTrue(c.converged)
                let mu = s.parameters.mu
                let muP = lambda > 0 ? r.state.muP : mu
                let scaleI = c.particleMagnitude.max(), scaleJ = c.heatMagnitude.max()
                XCTAssertEqual(c.particle.sum(), 0, accuracy: 1e-13 * scaleI)
                XCTAssertEqual(c.heat[0] + c.heat[1] + c.heat[2] + mu * (c.particle[0] + c.particle[1]) + muP * c.particle[2],
                               0, accuracy: 1e-13 * (scaleJ + mu * scaleI))
                // Probe conditions (trivially zero without a probe).
                XCTAssertEqual(c.particle[2], 0, accuracy: 1e-10 * max(c.particleMagnitude[2], 1e-300))
                XCTAssertEqual(c.heat[2], 0, accuracy: 1e-10 * max(c.heatMagnitude[2], 1e-300))
                // The reported currents are the left-lead currents at this state.
                assertClose(r.particleCurrent, c.particle[0], relative: 1e-10)
                assertClose(r.heatCurrent, c.heat[0], relative: 1e-10)
            }
        }
    }

    // MARK: Closed forms and accuracy

    /// λ = 0: the currents are the Landauer integrals with
    /// T(E) = |t1 t3 e^{iφ}|²/|1 − r1 r3 e^{2iφ}|², integrated here by an
    /// independent composite Simpson rule on a fine grid.
    func testCoherentCurrentsAreLandauerIntegrals() {
        let (eps1, eps3, gamma, mu, deltaT) = (42.0, 46.5, 2.0, 40.0, 1.0)
        let r = Self.solver(eps1: eps1, eps3: eps3, gamma1: gamma, gamma3: gamma, lambda: 0)
            .solve(deltaT: deltaT, configuration: .forward, guess: nil)
        let hot = FermiDistribution(mu: mu, temperature: 1 + deltaT), cold = FermiDistribution(mu: mu, temperature: 1)
        func transmission(_ e: Double) -> Double {
            let x1 = e - eps1, x3 = e - eps3
            let t1 = (-gamma * gamma, -gamma * x1), r1 = (x1 * x1, -gamma * x1)
            let t3 = (-gamma * gamma, -gamma * x3), r3 = (x3 * x3, -gamma * x3)
            let n1 = x1 * x1 + gamma * gamma, n3 = x3 * x3 + gamma * gamma
            let k = max(e, 0).squareRoot(), kappa = max(-e, 0).squareRoot()
            // e^{2iφ} for φ = √E (E > 0) or i√(−E) (E < 0), d = 1.
            let z2 = e >= 0 ? (Double.cos(2 * k), Double.sin(2 * k)) : (Double.exp(-2 * kappa), 0)
            let prod = ((r1.0 * r3.0 - r1.1 * r3.1) / (n1 * n3), (r1.0 * r3.1 + r1.1 * r3.0) / (n1 * n3))
            let loop = (prod.0 * z2.0 - prod.1 * z2.1, prod.0 * z2.1 + prod.1 * z2.0)
            let denominator = (1 - loop.0) * (1 - loop.0) + loop.1 * loop.1
            let numerator = (t1.0 * t1.0 + t1.1 * t1.1) / (n1 * n1) * (t3.0 * t3.0 + t3.1 * t3.1) / (n3 * n3)
                * (e >= 0 ? 1 : Double.exp(-2 * kappa))
            return numerator / denominator
        }
        let lower = mu - 80, upper = mu + 80, n = 160_000
        let h = (upper - lower) / Double(n)
        var particle = 0.0, heat = 0.0
        for i in 0...n {
            let e = lower + Double(i) * h
            let weight = (i == 0 || i == n) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)
            let current = 2 * transmission(e) * (hot(e).occupation - cold(e).occupation)
            particle += weight * current
            heat += weight * (e - mu) * current
        }
        particle *= h / 3
        heat *= h / 3
        assertClose(r.particleCurrent, particle, relative: 1e-9)
        assertClose(r.heatCurrent, heat, relative: 1e-9)
    }

    /// Default settings against 10× and 100× tighter quadrature and Newton
    /// tolerances: the currents agree to 1e-9 relative.
    func testCurrentsAreConvergedAtDefaultSettings() {
        let tight = { (factor: Double) in
            SolverSettings(relativeTolerance: SolverSettings.default.relativeTolerance / factor,
                           jacobianRelativeTolerance: SolverSettings.default.jacobianRelativeTolerance / factor,
                           newton: NewtonSettings(stepTolerance: SolverSettings.default.newton.stepTolerance / factor))
        }
        let cases: [(Double, Double, Double, Double, Double)] = [
            (44.8, 45.0, 3, 1, 1),       // Fig. 2 region
            (45.0, 48.2, 1, 0, 1),       // coherent, Fabry–Pérot states
            (42.0, 47.5, 1, 0.3, 3),     // partial thermalisation, longer region 2
            (30.0, 52.0, 0.5, 0.8, 1),   // far from the Fermi level
        ]
        for (eps1, eps3, gamma, lambda, d) in cases {
            let results = [1.0, 10, 100].map { factor in
                Self.solver(eps1: eps1, eps3: eps3, gamma1: gamma, gamma3: gamma, lambda: lambda, d: d,
                            settings: factor == 1 ? .default : tight(factor)).solvePoint(deltaT: 1)
            }
            results.forEach { Self.assertConverged($0) }
            for r in results.dropFirst() {
                for keyPath in [\ConfigurationResult.particleCurrent, \ConfigurationResult.heatCurrent] {
                    assertClose(results[0].forward[keyPath: keyPath], r.forward[keyPath: keyPath], relative: 1e-9,
                                "\(eps1), \(eps3), λ = \(lambda)")
                    assertClose(results[0].backward[keyPath: keyPath], r.backward[keyPath: keyPath], relative: 1e-9,
                                "\(eps1), \(eps3), λ = \(lambda)")
                }
            }
        }
    }

    // MARK: Solver behaviour

    func testWarmStartConvergesToTheSameSolutionInFewerIterations() {
        let s = Self.solver(eps1: 44, eps3: 42, gamma1: 3, gamma3: 3, lambda: 1)
        let cold = s.solve(deltaT: 1, configuration: .forward, guess: nil)
        let neighbour = Self.solver(eps1: 44.1, eps3: 42, gamma1: 3, gamma3: 3, lambda: 1)
            .solve(deltaT: 1, configuration: .forward, guess: nil)
        let warm = s.solve(deltaT: 1, configuration: .forward, guess: neighbour.state)
        XCTAssertEqual(warm.status, .converged)
        assertClose(warm.particleCurrent, cold.particleCurrent, relative: 1e-10)
        assertClose(warm.state.muP, cold.state.muP, relative: 1e-12)
        XCTAssertLessThan(warm.iterations, cold.iterations)
        // A bad guess falls back to the cold start rather than failing.
        let wild = s.solve(deltaT: 1, configuration: .forward, guess: InternalState(muP: 200, tP: 1e-3))
        XCTAssertEqual(wild.status, .converged)
        assertClose(wild.particleCurrent, cold.particleCurrent, relative: 1e-10)
    }

    /// Random points across the ranges of the paper's maps (and beyond) all
    /// converge from the cold start, with few iterations.
    func testSolverConvergesAcrossParameterSpace() {
        var rng = SplitMix64(seed: 13)
        var iterations = 0, count = 0
        for _ in 0..<30 {
            let s = Self.solver(eps1: .random(in: 20...60, using: &rng), eps3: .random(in: 20...60, using: &rng),
                                gamma1: .random(in: 0.3...3, using: &rng), gamma3: .random(in: 0.3...3, using: &rng),
                                lambda: .random(in: 0.01...1, using: &rng), d: .random(in: 0.5...3, using: &rng))
            let p = s.solvePoint(deltaT: .random(in: 0.1...2, using: &rng))
            Self.assertConverged(p)
            iterations += p.forward.iterations + p.backward.iterations
            count += 2
        }
        XCTAssertLessThan(Double(iterations) / Double(count), 8)
    }

    /// Continuation along a line, as a scan tile does it: each point starts
    /// from its neighbour's state, and gives the cold-start answer.
    func testContinuationAlongALineMatchesColdStarts() {
        var previous: InternalState? = nil
        for e1 in stride(from: 30.0, through: 50, by: 0.5) {
            let s = Self.solver(eps1: e1, eps3: 44.8, gamma1: 3, gamma3: 3, lambda: 0.7)
            let warm = s.solve(deltaT: 1, configuration: .backward, guess: previous)
            let cold = s.solve(deltaT: 1, configuration: .backward, guess: nil)
            XCTAssertEqual(warm.status, .converged)
            assertClose(warm.particleCurrent, cold.particleCurrent, relative: 1e-9, absolute: 1e-14)
            assertClose(warm.heatCurrent, cold.heatCurrent, relative: 1e-9, absolute: 1e-14)
            previous = warm.state
        }
    }

    /// The same line through ``DiodeSolver/Continuation`` (prediction from
    /// the last points, quadrature partitions handed on): the cold-start
    /// answer, with fewer integrand evaluations than from the state alone.
    func testContinuationWithPredictionAndPartitionsMatchesColdStarts() {
        var continuation = DiodeSolver.Continuation()
        var previous: (forward: InternalState?, backward: InternalState?) = (nil, nil)
        var evaluations = 0, stateOnlyEvaluations = 0
        for e1 in stride(from: 30.0, through: 50, by: 0.5) {
            let s = Self.solver(eps1: e1, eps3: 44.8, gamma1: 3, gamma3: 3, lambda: 0.7)
            let continued = s.solvePoint(deltaT: 1, continuation: &continuation)
            let stateOnly = s.solvePoint(deltaT: 1, guess: previous)
            let cold = s.solvePoint(deltaT: 1)
            for (a, b) in [(continued.forward, cold.forward), (continued.backward, cold.backward)] {
                XCTAssertEqual(a.status, .converged)
                assertClose(a.particleCurrent, b.particleCurrent, relative: 1e-9, absolute: 1e-14)
                assertClose(a.heatCurrent, b.heatCurrent, relative: 1e-9, absolute: 1e-14)
            }
            previous = (stateOnly.forward.state, stateOnly.backward.state)
            evaluations += continued.forward.integrandEvaluations + continued.backward.integrandEvaluations
            stateOnlyEvaluations += stateOnly.forward.integrandEvaluations + stateOnly.backward.integrandEvaluations
        }
        XCTAssertLessThan(evaluations, stateOnlyEvaluations)
    }

    func testNonConvergenceIsReportedWithNaN() {
        // The Newton cap of the general path (the λ = 1 closed forms have their own Newton).
        let starved = SolverSettings(newton: NewtonSettings(stepTolerance: 1e-6, maximumIterations: 1), closedForms: false)
        let r = Self.solver(eps1: 44, eps3: 42, lambda: 1, settings: starved).solve(deltaT: 1, configuration: .forward, guess: nil)
        XCTAssertEqual(r.status, .notConverged)
        XCTAssertTrue(r.particleCurrent.isNaN && r.heatCurrent.isNaN && r.state.muP.isNaN && r.state.tP.isNaN)
        let capped = SolverSettings(maximumEvaluations: 100)
        let q = Self.solver(eps1: 44, eps3: 42, lambda: 0, settings: capped).solve(deltaT: 1, configuration: .forward, guess: nil)
        XCTAssertEqual(q.status, .notConverged)
        XCTAssertTrue(q.particleCurrent.isNaN)
        let invalid = Self.solver(eps1: 44, eps3: 42, lambda: 0.5).solve(deltaT: -1, configuration: .forward, guess: nil)
        XCTAssertEqual(invalid.status, .nonFinite)
        XCTAssertTrue(invalid.particleCurrent.isNaN)
    }

    func testInvalidParametersNameTheField() {
        func field(_ p: DeviceParameters) -> String? {
            do { _ = try DiodeSolver(parameters: p); return nil } catch { return error.field }
        }
        XCTAssertEqual(field(DeviceParameters(eps1: 1, eps3: 1, gamma1: 0, gamma3: 1)), "gamma1")
        XCTAssertEqual(field(DeviceParameters(eps1: 1, eps3: 1, gamma1: 1, gamma3: -2)), "gamma3")
        XCTAssertEqual(field(DeviceParameters(eps1: .nan, eps3: 1, gamma1: 1, gamma3: 1)), "eps1")
        XCTAssertEqual(field(DeviceParameters(eps1: 1, eps3: .infinity, gamma1: 1, gamma3: 1)), "eps3")
        XCTAssertEqual(field(DeviceParameters(eps1: 1, eps3: 1, gamma1: 1, gamma3: 1, lambda: 1.01)), "lambda")
        XCTAssertEqual(field(DeviceParameters(eps1: 1, eps3: 1, gamma1: 1, gamma3: 1, lambda: -0.01)), "lambda")
        XCTAssertEqual(field(DeviceParameters(eps1: 1, eps3: 1, gamma1: 1, gamma3: 1, d: 0)), "d")
        XCTAssertEqual(field(DeviceParameters(eps1: 1, eps3: 1, gamma1: 1, gamma3: 1, mu: .nan)), "mu")
        XCTAssertEqual(field(DeviceParameters(eps1: 1, eps3: 1, gamma1: 1, gamma3: 1,
                                              capacitances: Capacitances(c2g: -1))), "c2g")
        XCTAssertNil(field(DeviceParameters(eps1: 1, eps3: 1, gamma1: 1, gamma3: 1, lambda: 1)))
        XCTAssertThrowsError(try DeviceParameters.validate(deltaT: -1))
        XCTAssertNoThrow(try DeviceParameters.validate(deltaT: -0.99))
        // Screening is available (ScreeningSystem).
        XCTAssertNoThrow(try DiodeSolver(parameters: DeviceParameters(eps1: 1, eps3: 1, gamma1: 1, gamma3: 1,
                                                                      screening: true)))
    }
}
