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
                            XCTAssertEqual(a.residualScale[i], b.residualScale[i], accuracy: 1e-6 * b.residualScale[i])
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

    /// A line continued as in a scan tile, with the split passes, against a
    /// tight one-pass reference (relativeTolerance 1e-12, stepTolerance
    /// 1e-9) from the cold start: U within 3e-11, as the one-pass solver.
    /// ε3 = 36.6 is where the split passes with the charges' one-pass
    /// tolerance drifted to 2.2e-10 (``ScreeningSystem/splitChargeTolerance``).
    func testContinuedLineMatchesATightReference() throws {
        let tightSettings = SolverSettings(relativeTolerance: 1e-12, newton: NewtonSettings(stepTolerance: 1e-9))
        var continuation = DiodeSolver.Continuation()
        var worst = 0.0
        for i in 0...12 {
            let p = ScreeningSolverTests.parameters(eps1: 30 + 0.2 * Double(i), eps3: 36.6, lambda: 0)
            let point = try DiodeSolver(parameters: p).solvePoint(deltaT: 1, continuation: &continuation)
            for configuration in [Configuration.forward, .backward] {
                var tight = try ScreeningSolverTests.system(p, configuration: configuration, settings: tightSettings)
                tight.chordSteps = false
                tight.splitJacobian = false
                let reference = NewtonSolver.solve(&tight, from: .zero, settings: tightSettings.newton)
                XCTAssertEqual(reference.status, .converged)
                let result = configuration == .forward ? point.forward : point.backward
                XCTAssertEqual(result.status, .converged)
                for alpha in 0..<3 { worst = max(worst, abs(result.state.u[alpha] - reference.solution[alpha])) }
            }
        }
        XCTAssertLessThan(worst, 3e-11)
    }
}
