import DiodePhysics
import XCTest
@testable import DiodeScan

/// A scan tile reports the equilibrium branch where a line has two
/// self-consistent solutions (issue 13, item 7; docs/physics.md §9.8), the
/// same one as a single point, and flags the point with status 3, which is
/// valid (numbers kept, not counted as not converged).
final class EquilibriumBranchScanTests: XCTestCase {
    /// Fig. 3 settings at ΔT = 3 on a line through (ε1, ε3) = (32.5, 31.0).
    static let job = """
    title = "two solutions"
    [model]
    mu = 40.0
    gamma = 1.0
    lambda = 0.0
    d = 1.0
    screening = true
    [grid]
    eps1 = { from = 31.5, to = 33.0, count = 7 }
    eps3 = [31.0]
    dT = [3.0]
    [output]
    file = "a.h5"
    """

    func testTileAgreesWithThePointAndFlagsIt() throws {
        let job = try ResolvedJob(ScanJob(parsing: Self.job))
        let index = try XCTUnwrap(job.grid.eps1.firstIndex(of: 32.5))
        let tile = try XCTUnwrap(PhysicsTileEvaluator(job: job).evaluate(tile: 0, stop: StopFlag()))
        let solver = try DiodeSolver(parameters: DeviceParameters(eps1: 32.5, eps3: 31.0, gamma1: 1, gamma3: 1, mu: 40,
                                                                  lambda: 0, d: 1, screening: true))
        let point = solver.solvePoint(deltaT: 3)
        // The same branch as `diodescan point` (I = −0.1554, not the
        // continued −0.0457), to the solver's accuracy.
        XCTAssertEqual(tile[.iF, index], point.forward.particleCurrent,
                       accuracy: 1e-8 * abs(point.forward.particleCurrent))
        XCTAssertEqual(tile[.jF, index], point.forward.heatCurrent, accuracy: 1e-8 * abs(point.forward.heatCurrent))
        XCTAssertEqual(tile[.iB, index], point.backward.particleCurrent,
                       accuracy: 1e-8 * abs(point.backward.particleCurrent))
        for region in 0..<3 {
            XCTAssertEqual(tile[.uF, 3 * index + region], point.forward.state.u[region], accuracy: 1e-7)
        }
        // Flagged in both, stored as status 3, with its numbers.
        XCTAssertEqual(point.forward.storedStatus, .multipleSolutions)
        XCTAssertEqual(tile[.statusF, index], SolveStatus.multipleSolutions.rawValue)
        XCTAssertTrue(tile[.rI, index].isFinite && tile[.rJ, index].isFinite)
        XCTAssertEqual(tile.nonConvergedPoints, 0, "status 3 is converged")
        for i in job.grid.eps1.indices {
            XCTAssertTrue(tile[.iF, i].isFinite && tile[.iB, i].isFinite, "point \(i)")
            XCTAssertTrue([0, 3].contains(tile[.statusF, i]) && [0, 3].contains(tile[.statusB, i]), "point \(i)")
        }
    }

    func testStatusCodesAreDocumentedInTheFile() {
        XCTAssertEqual(ResultFileLayout.statusFlagValues, [-1, 0, 1, 2, 3])
        XCTAssertEqual(ResultFileLayout.statusFlagMeanings.split(separator: " ").last, "multiple_solutions")
        XCTAssertTrue(ResultFileLayout.statusCodes.contains("3: converged"))
    }

    func testOnlyFailuresCountAsNotConverged() {
        var values = TileValues(pointCount: 5)
        values[.statusF] = [0, 3, 1, 0, -1]
        values[.statusB] = [3, 0, 0, 2, -1]
        XCTAssertEqual(values.nonConvergedPoints, 3, "1, 2 and -1 (never computed); 3 is converged")
    }
}
