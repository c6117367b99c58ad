import XCTest
@testable import DiodePhysics

/// A cold start with screening seeds its Newton passes with the point's N^eq
/// partition, and the backward lead currents with the forward's
/// (``DiodeSolver/ConfigurationContinuation/seedQuadratures(newton:currents:)``):
/// the seeds only change the starting panels, so a seeded cold solve is an
/// unseeded one to within the quadratures' tolerances, at fewer evaluations.
final class ColdStartSeedTests: XCTestCase {
    static let points: [(Double, Double)] = [(46.648, 48.2), (32.0, 48.2), (45.5, 47.5), (52.0, 36.0), (40.0, 52.0)]

    func testSeededColdStartMatchesTheUnseededOne() throws {
        for lambda in [0.0, 1.0] {
            var seededEvaluations = 0, unseededEvaluations = 0
            for (eps1, eps3) in Self.points {
                let p = ScreeningSolverTests.parameters(eps1: eps1, eps3: eps3, lambda: lambda)
                let solver = try DiodeSolver(parameters: p)
                var continuation = DiodeSolver.Continuation()
                let seeded = solver.solvePoint(deltaT: 1, continuation: &continuation)
                let reference = try XCTUnwrap(solver.equilibriumStates(deltaT: 1))
                for (configuration, result) in [(Configuration.forward, seeded.forward), (.backward, seeded.backward)] {
                    // The same cold solve with no partitions at all.
                    var bare = DiodeSolver.ConfigurationContinuation()
                    let unseeded = solver.solveScreened(deltaT: 1, configuration: configuration,
                                                        continuation: &bare, equilibriumStates: reference)
                    let label = "λ = \(lambda) (\(eps1), \(eps3)) \(configuration)"
                    XCTAssertEqual(result.status, .converged, label)
                    XCTAssertEqual(unseeded.status, .converged, label)
                    for alpha in 0..<3 {
                        XCTAssertEqual(result.state.u[alpha], unseeded.state.u[alpha], accuracy: 1e-10, label)
                    }
                    if lambda > 0 {
                        XCTAssertEqual(result.state.muP, unseeded.state.muP, accuracy: 1e-10, label)
                        XCTAssertEqual(result.state.tP, unseeded.state.tP, accuracy: 1e-10, label)
                    }
                    // The currents to their reported accuracy (1e-9 of
                    // themselves, docs/physics.md §6.1), with room for the
                    // states' ~1e-11.
                    XCTAssertEqual(result.particleCurrent, unseeded.particleCurrent,
                                   accuracy: 1e-8 * abs(unseeded.particleCurrent) + 1e-12, label)
                    XCTAssertEqual(result.heatCurrent, unseeded.heatCurrent,
                                   accuracy: 1e-8 * abs(unseeded.heatCurrent) + 1e-12, label)
                    seededEvaluations += result.integrandEvaluations
                    unseededEvaluations += unseeded.integrandEvaluations
                }
            }
            // Measured: λ = 0 (Fig. 3) 70,800 instead of 83,400 Newton
            // evaluations; λ = 1 (Fig. 4, whose passes also cover the probe's
            // current window, which N^eq's partition does not) 38,700
            // instead of 39,900.
            print("λ = \(lambda): Newton evaluations seeded \(seededEvaluations), unseeded \(unseededEvaluations)")
            XCTAssertLessThan(Double(seededEvaluations), (lambda == 0 ? 0.9 : 1) * Double(unseededEvaluations),
                              "λ = \(lambda)")
        }
    }

    /// Seeds never replace a configuration's own partitions (a continued
    /// line keeps its neighbour's), and fill only the missing ones.
    func testSeedsFillOnlyMissingPartitions() throws {
        let p = ScreeningSolverTests.parameters(eps1: 45.5, eps3: 47.5, lambda: 0)
        let solver = try DiodeSolver(parameters: p)
        var continuation = DiodeSolver.Continuation()
        _ = solver.solvePoint(deltaT: 1, continuation: &continuation)
        let own = try XCTUnwrap(continuation.forward.newtonPartition)
        let ownCurrents = try XCTUnwrap(continuation.forward.currentsPartition)
        let other = try XCTUnwrap(continuation.equilibriumPartition)
        XCTAssertNotEqual(own, other)
        var seeded = continuation.forward
        seeded.seedQuadratures(newton: other, currents: other)
        XCTAssertEqual(seeded.newtonPartition, own)
        XCTAssertEqual(seeded.currentsPartition, ownCurrents)
        var empty = DiodeSolver.ConfigurationContinuation()
        empty.seedQuadratures(newton: other, currents: nil)
        XCTAssertEqual(empty.newtonPartition, other)
        XCTAssertNil(empty.currentsPartition)
    }
}
