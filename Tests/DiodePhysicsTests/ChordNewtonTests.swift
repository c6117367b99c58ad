import DiodePhysics
import RealModule
import XCTest

/// A smooth 3 × 3 test problem with a cheap residual:
/// F(x) = (x₀² + x₁ − 3, x₀ + ½ sin x₁ + x₂³ − 1.2, e^{x₂/4} − 1 + 0.1 x₀x₁),
/// which counts its full and residual-only evaluations.
private struct CountingSystem: NewtonSystem {
    var offersResidual: Bool
    var fullEvaluations = 0
    var residualEvaluations = 0

    var dimension: Int { 3 }
    var maximumStep: SIMD8<Double> { SIMD8(1, 1, 1, 0, 0, 0, 0, 0) }

    func residual(_ x: SIMD8<Double>) -> SIMD8<Double> {
        SIMD8(x[0] * x[0] + x[1] - 3, x[0] + 0.5 * Double.sin(x[1]) + x[2] * x[2] * x[2] - 1.2,
              Double.exp(x[2] / 4) - 1 + 0.1 * x[0] * x[1], 0, 0, 0, 0, 0)
    }

    mutating func evaluate(at x: SIMD8<Double>) -> NewtonEvaluation {
        fullEvaluations += 1
        var j = SmallMatrix()
        j[0, 0] = 2 * x[0]; j[0, 1] = 1
        j[1, 0] = 1; j[1, 1] = 0.5 * Double.cos(x[1]); j[1, 2] = 3 * x[2] * x[2]
        j[2, 0] = 0.1 * x[1]; j[2, 1] = 0.1 * x[0]; j[2, 2] = Double.exp(x[2] / 4) / 4
        return NewtonEvaluation(residual: residual(x), residualScale: SIMD8(repeating: 1), jacobian: j,
                                observables: .zero, observableGradient: SmallMatrix(),
                                integrandEvaluations: 10, quadratureConverged: true)
    }

    mutating func evaluateResidual(at x: SIMD8<Double>) -> NewtonEvaluation? {
        guard offersResidual else { return nil }
        residualEvaluations += 1
        return NewtonEvaluation(residual: residual(x), residualScale: SIMD8(repeating: 1), jacobian: SmallMatrix(),
                                observables: .zero, observableGradient: SmallMatrix(),
                                integrandEvaluations: 5, quadratureConverged: true)
    }
}

/// Chord steps in ``NewtonSolver`` (docs/physics.md §9.4): residual-only
/// passes with an earlier iterate's Jacobian near the solution.
final class ChordNewtonTests: XCTestCase {
    /// From near and far starts, the chord iteration reaches the same root as
    /// plain Newton to 1e-12, with residual-only passes near the root.
    func testChordStepsConvergeToTheNewtonRoot() {
        var reference = CountingSystem(offersResidual: false)
        // The root to rounding (plain Newton down to steps of 1e-12).
        let root = NewtonSolver.solve(&reference, from: SIMD8(1.5, 0.5, 0.2, 0, 0, 0, 0, 0),
                                      settings: NewtonSettings(stepTolerance: 1e-12))
        XCTAssertEqual(root.status, .converged)
        XCTAssertEqual(reference.residualEvaluations, 0)
        var residualPasses = 0
        for offset in [1e-4, 3e-3, 0.05, 0.5] {
            var start = root.solution
            start[0] += offset; start[1] -= 0.7 * offset; start[2] += 0.3 * offset
            var plain = CountingSystem(offersResidual: false)
            var chord = CountingSystem(offersResidual: true)
            // stepTolerance 1e-7: both errors (Newton's K|Δx|², the chord's
            // ≤ 2|δ|²/|Δx_prev| ≤ stepTolerance²) are well below 1e-12.
            let settings = NewtonSettings(stepTolerance: 1e-7)
            let newton = NewtonSolver.solve(&plain, from: start, settings: settings)
            let chorded = NewtonSolver.solve(&chord, from: start, settings: settings)
            XCTAssertEqual(newton.status, .converged)
            XCTAssertEqual(chorded.status, .converged)
            for i in 0..<3 {
                XCTAssertEqual(chorded.solution[i], root.solution[i], accuracy: 1e-12, "offset \(offset), x\(i)")
                XCTAssertEqual(newton.solution[i], root.solution[i], accuracy: 1e-12, "offset \(offset), x\(i)")
            }
            // Every pass is counted as an iteration.
            XCTAssertEqual(chorded.iterations, chord.fullEvaluations + chord.residualEvaluations)
            residualPasses += chord.residualEvaluations
        }
        XCTAssertGreaterThan(residualPasses, 0)
    }

    /// Screening at λ = 0: the residual-only pass gives the full pass's
    /// residual at the same state (same partition, first-order injectivities
    /// instead of the screening spectrum), and Newton with chord steps
    /// converges, from a warm start as a line's predictor gives it (5e-4 off)
    /// and from the cold start, as close to a tight reference
    /// (relativeTolerance 1e-12, stepTolerance 1e-9, plain Newton) as plain
    /// Newton does: 3e-11 in U. (Plain Newton from the two starts differs by
    /// up to 1e-11: the charges' quadrature floor.)
    func testScreeningChordStepsReachTheNewtonSolution() throws {
        for (eps1, eps3) in [(46.648, 48.2), (45.5, 47.5), (48.5, 47.5), (43.0, 46.0)] {
            for configuration in [Configuration.forward, .backward] {
                let p = ScreeningSolverTests.parameters(eps1: eps1, eps3: eps3, lambda: 0)
                var (tight, reference) = try ScreeningSolverTests.tightReference(p, configuration: configuration)
                XCTAssertNil(tight.evaluateResidual(at: .zero))
                XCTAssertEqual(reference.status, .converged)
                let root = reference.solution

                // The residual-only pass against the full one, at a state off the root.
                var system = try ScreeningSolverTests.system(p, configuration: configuration)
                var x = root
                x[0] += 2e-3; x[1] -= 1e-3; x[2] += 1e-3
                let full = system.evaluate(at: x)
                guard let cheap = system.evaluateResidual(at: x) else { return XCTFail("no residual-only pass") }
                XCTAssertTrue(cheap.quadratureConverged)
                for alpha in 0..<3 {
                    XCTAssertEqual(cheap.residual[alpha], full.residual[alpha], accuracy: 1e-11 * full.residualScale[alpha])
                    XCTAssertEqual(cheap.residualScale[alpha], full.residualScale[alpha],
                                   accuracy: 1e-8 * full.residualScale[alpha])
                }

                for start in [SIMD8<Double>.zero, root + SIMD8(5e-4, -3e-4, 4e-4, 0, 0, 0, 0, 0)] {
                    for chordSteps in [true, false] {
                        var solver = try ScreeningSolverTests.system(p, configuration: configuration)
                        solver.chordSteps = chordSteps
                        let outcome = NewtonSolver.solve(&solver, from: start, settings: NewtonSettings())
                        XCTAssertEqual(outcome.status, .converged)
                        for alpha in 0..<3 {
                            XCTAssertEqual(outcome.solution[alpha], root[alpha], accuracy: 3e-11,
                                           "(\(eps1), \(eps3)) \(configuration) chord \(chordSteps) U\(alpha + 1)")
                        }
                    }
                }
            }
        }
    }

    /// The solver's results with chord steps (a line continued as in a scan
    /// tile, its first point a seeded cold start) meet the accuracy
    /// guarantee of docs/physics.md §6.1 against a tight reference
    /// (relativeTolerance 1e-12, stepTolerance 1e-9, plain one-pass Newton
    /// from the cold start): I, J within 1e-9 of max(|X|, 1e-3 ∫|integrand|),
    /// and U within 3e-11, as a cold plain-Newton solve at default settings
    /// does. (Measured: the line's worst I 5.1e-10 of that scale, at its
    /// cold first point, J 4.2e-13, U 8.6e-12; the cold plain solves 1.7e-10,
    /// J 2.5e-12, U 1.1e-11. Two default solves differ by their states'
    /// ~1e-11, which moves a nearly balanced I by a few 1e-10 of the scale:
    /// this used to compare the two directly to 1e-10, which only the
    /// partition each happened to end with decided.)
    func testContinuedLineWithChordStepsMeetsTheGuarantee() throws {
        let tightSettings = ScreeningSolverTests.tightSettings
        var continuation = DiodeSolver.Continuation()
        for eps1 in stride(from: 45.0, through: 46.0, by: 0.25) {
            let p = ScreeningSolverTests.parameters(eps1: eps1, eps3: 48.2, lambda: 0)
            let solver = try DiodeSolver(parameters: p)
            let tightSolver = try DiodeSolver(parameters: p, settings: tightSettings)
            let continued = solver.solvePoint(deltaT: 1, continuation: &continuation)
            for configuration in [Configuration.forward, .backward] {
                let (tight, reference) = try ScreeningSolverTests.tightReference(p, configuration: configuration)
                XCTAssertEqual(reference.status, .converged)
                let exact = tight.state(reference.solution)
                let currents = tightSolver.terminalCurrents(deltaT: 1, configuration: configuration, state: exact)
                var plain = try ScreeningSolverTests.system(p, configuration: configuration)
                plain.chordSteps = false
                let cold = NewtonSolver.solve(&plain, from: .zero, settings: NewtonSettings())
                XCTAssertEqual(cold.status, .converged)
                let coldState = plain.state(cold.solution)
                let coldCurrents = solver.terminalCurrents(deltaT: 1, configuration: configuration, state: coldState)
                let result = configuration == .forward ? continued.forward : continued.backward
                XCTAssertEqual(result.status, .converged)
                let label = "ε1 = \(eps1) \(configuration)"
                let particleScale = Swift.max(abs(currents.particle[0]), 1e-3 * currents.particleMagnitude[0])
                let heatScale = Swift.max(abs(currents.heat[0]), 1e-3 * currents.heatMagnitude[0])
                for (particle, heat, state, which) in [(result.particleCurrent, result.heatCurrent, result.state, "continued"),
                                                       (coldCurrents.particle[0], coldCurrents.heat[0], coldState, "cold plain")] {
                    XCTAssertEqual(particle, currents.particle[0], accuracy: 1e-9 * particleScale, "\(label) \(which) I")
                    XCTAssertEqual(heat, currents.heat[0], accuracy: 1e-9 * heatScale, "\(label) \(which) J")
                    for alpha in 0..<3 {
                        XCTAssertEqual(state.u[alpha], exact.u[alpha], accuracy: 3e-11, "\(label) \(which) U\(alpha + 1)")
                    }
                }
            }
        }
    }
}
