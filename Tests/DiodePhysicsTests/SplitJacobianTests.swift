import XCTest
@testable import DiodePhysics

/// The split full pass without a probe (``ScreeningSystem/splitJacobian``,
/// docs/physics.md §9.4): F from the charges' own adaptive pass, ∂F/∂U by
/// the 7-point Gauss rule on that pass's panels.
final class SplitJacobianTests: XCTestCase {
    static let points: [(Double, Double)] = [(46.648, 48.2), (45.5, 47.5), (48.5, 47.5), (43.0, 46.0), (32.5, 31.0),
                                             (52.0, 36.0), (40.0, 52.0), (31.6, 36.6)]

    /// F agrees with the one pass's F to the charges' tolerance, and ∂F/∂U
    /// with the one pass's (itself to 1e-6 of ∫|g|) to 5e-5 of its largest
    /// element (measured 3.1e-5), at the solution and away from it.
    func testSplitPassMatchesTheOnePass() throws {
        var worst = 0.0
        for (eps1, eps3) in Self.points {
            for configuration in [Configuration.forward, .backward] {
                let p = ScreeningSolverTests.parameters(eps1: eps1, eps3: eps3, lambda: 0)
                var split = try ScreeningSolverTests.system(p, configuration: configuration)
                XCTAssertTrue(split.splitJacobian, "the default")
                var onePass = split
                onePass.splitJacobian = false
                for x in [SIMD8<Double>.zero, SIMD8(0.3, -0.2, 0.25, 0, 0, 0, 0, 0), SIMD8(-0.5, 0.4, -0.1, 0, 0, 0, 0, 0)] {
                    let a = split.evaluate(at: x), b = onePass.evaluate(at: x)
                    XCTAssertTrue(a.quadratureConverged && b.quadratureConverged)
                    var largest = 0.0
                    for i in 0..<3 { for j in 0..<3 { largest = max(largest, abs(b.jacobian[i, j])) } }
                    for i in 0..<3 {
                        XCTAssertEqual(a.residual[i], b.residual[i], accuracy: 2e-10 * b.residualScale[i])
                        XCTAssertEqual(a.residualScale[i], b.residualScale[i], accuracy: 1e-8 * b.residualScale[i])
                        for j in 0..<3 { worst = max(worst, abs(a.jacobian[i, j] - b.jacobian[i, j]) / largest) }
                    }
                }
            }
        }
        XCTAssertLessThan(worst, 5e-5)
        XCTAssertGreaterThan(worst, 0, "the split Jacobian is a different quadrature")
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
