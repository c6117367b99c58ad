import XCTest
@testable import DiodePhysics

/// The λ = 1 closed forms against the module's general path (composed
/// S-matrix, adaptive quadrature, Newton on quadrature residuals), each the
/// oracle of the other.
final class LorentzianOracleTests: XCTestCase {
    struct Case { var eps1, gamma1, eps3, gamma3, mu, d, deltaT: Double; var configuration: Configuration }
    let cases: [Case] = [
        Case(eps1: 43, gamma1: 3, eps3: 44.8, gamma3: 3, mu: 40, d: 1, deltaT: 1, configuration: .forward),
        Case(eps1: 31, gamma1: 3, eps3: 48.7, gamma3: 3, mu: 40, d: 1, deltaT: 2, configuration: .backward),
        Case(eps1: 12, gamma1: 2, eps3: 8, gamma3: 1, mu: 10, d: 1, deltaT: 2, configuration: .forward),
        Case(eps1: -2, gamma1: 0.2, eps3: 11, gamma3: 1, mu: 10, d: 2, deltaT: 1, configuration: .backward),
    ]

    func fastPath(_ c: Case) -> LorentzianProbeDevice {
        let (tL, tR) = c.configuration.temperatures(deltaT: c.deltaT)
        return LorentzianProbeDevice(eps1: c.eps1, gamma1: c.gamma1, eps3: c.eps3, gamma3: c.gamma3, mu: c.mu, d: c.d,
                                     leftTemperature: tL, rightTemperature: tR)
    }

    func general(_ c: Case, relativeTolerance: Double) throws -> DiodeSolver {
        try DiodeSolver(
            parameters: DeviceParameters(eps1: c.eps1, eps3: c.eps3, gamma1: c.gamma1, gamma3: c.gamma3,
                                         mu: c.mu, lambda: 1, d: c.d),
            settings: SolverSettings(relativeTolerance: relativeTolerance))
    }

    /// All six terminal currents at the same probe state, against the
    /// quadrature at a tight tolerance.
    func testTerminalCurrentsAgainstQuadrature() throws {
        for c in cases {
            let solution = LorentzianProbeSolver(device: fastPath(c)).solve()
            XCTAssertEqual(solution.status, .converged)
            let state = InternalState(muP: solution.muP, tP: solution.tP)
            let oracle = try general(c, relativeTolerance: 1e-12)
                .terminalCurrents(deltaT: c.deltaT, configuration: c.configuration, state: state)
            XCTAssertTrue(oracle.converged)
            let e = solution.evaluation
            let particle = SIMD3(e.leftParticleCurrent, e.rightParticleCurrent, e.probeParticleCurrent)
            let heat = SIMD3(e.leftHeatCurrent, e.rightHeatCurrent, e.probeHeatCurrent)
            for j in 0..<3 {
                XCTAssertEqual(particle[j], oracle.particle[j], accuracy: 1e-11 * oracle.particleMagnitude.max(), "I[\(j)] \(c)")
                XCTAssertEqual(heat[j], oracle.heat[j], accuracy: 1e-11 * oracle.heatMagnitude.max(), "J[\(j)] \(c)")
            }
        }
    }

    /// The whole solve, against the general solver at its default accuracy
    /// (1e-9 relative in the currents).
    func testSolutionsAgainstGeneralSolver() throws {
        for c in cases {
            let fast = LorentzianProbeSolver(device: fastPath(c)).solve()
            let oracle = try general(c, relativeTolerance: 1e-9).solve(deltaT: c.deltaT, configuration: c.configuration)
            XCTAssertEqual(oracle.status, .converged)
            XCTAssertEqual(fast.particleCurrent, oracle.particleCurrent, accuracy: 1e-9 * abs(oracle.particleCurrent), "\(c)")
            XCTAssertEqual(fast.heatCurrent, oracle.heatCurrent, accuracy: 1e-9 * abs(oracle.heatCurrent), "\(c)")
            XCTAssertEqual(fast.muP, oracle.state.muP, accuracy: 1e-9 * max(1, abs(c.mu)))
            XCTAssertEqual(fast.tP, oracle.state.tP, accuracy: 1e-9 * oracle.state.tP)
        }
    }

    /// ``DiodeSolver/solveClosedForm(deltaT:configuration:guess:)`` keeps the
    /// solver's conventions: same numbers as the quadrature path, warm starts,
    /// NaN and a status for an invalid ΔT.
    func testDiodeSolverClosedFormEntryPoint() throws {
        for c in cases {
            let solver = try general(c, relativeTolerance: 1e-9)
            XCTAssertTrue(solver.closedFormApplies)
            let fast = solver.solveClosedForm(deltaT: c.deltaT, configuration: c.configuration)
            let oracle = solver.solve(deltaT: c.deltaT, configuration: c.configuration)
            XCTAssertEqual(fast.status, .converged)
            XCTAssertEqual(fast.particleCurrent, oracle.particleCurrent, accuracy: 1e-9 * abs(oracle.particleCurrent))
            XCTAssertEqual(fast.heatCurrent, oracle.heatCurrent, accuracy: 1e-9 * abs(oracle.heatCurrent))
            XCTAssertEqual(fast.state.u, .zero)
            let warm = solver.solveClosedForm(deltaT: c.deltaT, configuration: c.configuration, guess: fast.state)
            XCTAssertEqual(warm.status, .converged)
            XCTAssertLessThanOrEqual(warm.iterations, 2)
            XCTAssertEqual(warm.particleCurrent, fast.particleCurrent, accuracy: 1e-13 * abs(fast.particleCurrent))
        }
        let solver = try general(cases[0], relativeTolerance: 1e-9)
        let invalid = solver.solveClosedForm(deltaT: -1, configuration: .forward)
        XCTAssertEqual(invalid.status, .nonFinite)
        XCTAssertTrue(invalid.particleCurrent.isNaN)
        let coherent = try DiodeSolver(parameters: DeviceParameters(eps1: 43, eps3: 44.8, gamma1: 3, gamma3: 3, lambda: 0.5))
        XCTAssertFalse(coherent.closedFormApplies)
    }
}
