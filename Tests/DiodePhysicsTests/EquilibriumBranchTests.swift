import DiodePhysics
import RealModule
import XCTest

/// Two self-consistent solutions (issue 13, item 7): at Fig. 3 settings,
/// ΔT = 3, (ε1, ε3) = (32.5, 31.0), forward, both I = −0.1554 (reached from
/// equilibrium by raising ΔT) and I = −0.0457 (continued along ε1 from
/// below) solve the problem. The reported one is the equilibrium branch
/// (docs/physics.md §9.8), whatever the path, and the point is flagged.
final class EquilibriumBranchTests: XCTestCase {
    static let deltaT = 3.0
    /// I^F of the equilibrium branch at (32.5, 31.0) (`diodescan point`).
    static let branchCurrent = -0.15540311892656777
    /// I^F of the other solution, continued along ε1 from below (the former scan's value).
    static let otherCurrent = -0.04573550473760945

    static func solver(eps1: Double) throws -> DiodeSolver {
        try DiodeSolver(parameters: DeviceParameters(eps1: eps1, eps3: 31.0, gamma1: 1, gamma3: 1, mu: 40, lambda: 0,
                                                     d: 1, screening: true))
    }

    /// A single point reports the equilibrium branch and flags the second
    /// solution it finds (status 3 when stored).
    func testSinglePointReportsTheEquilibriumBranchAndFlagsASecondSolution() throws {
        let point = try Self.solver(eps1: 32.5).solvePoint(deltaT: Self.deltaT)
        XCTAssertEqual(point.forward.status, .converged)
        assertClose(point.forward.particleCurrent, Self.branchCurrent, relative: 1e-8)
        XCTAssertEqual(point.forward.storedStatus, .multipleSolutions)
        let other = try XCTUnwrap(point.forward.otherSolution)
        XCTAssertGreaterThan(abs(other.u[2] - point.forward.state.u[2]), 0.1, "a distinct solution")
        XCTAssertEqual(point.backward.status, .converged)
        XCTAssertTrue(point.rectificationI.isFinite, "a flagged point keeps its numbers")
    }

    /// Continued along ε1 from 31.0 the line stays on the other solution at
    /// 32.5 (the former scan's value); the check puts it on the equilibrium
    /// branch, agreeing with the single point, and keeps the continued one
    /// as the second solution.
    func testContinuedPointIsCheckedOntoTheEquilibriumBranch() throws {
        var continuation = DiodeSolver.Continuation()
        var last: PointResult? = nil
        for eps1 in [31.0, 31.5, 32.0, 32.25, 32.5] {
            last = try Self.solver(eps1: eps1).solvePoint(deltaT: Self.deltaT, continuation: &continuation)
        }
        let continued = try XCTUnwrap(last)
        assertClose(continued.forward.particleCurrent, Self.otherCurrent, relative: 1e-6,
                    "continued along the line: the other solution")
        let checked = try Self.solver(eps1: 32.5).checkedBranch(deltaT: Self.deltaT, point: continued)
        XCTAssertTrue(checked.replaced.forward)
        XCTAssertFalse(checked.replaced.backward)
        assertClose(checked.point.forward.particleCurrent, Self.branchCurrent, relative: 1e-8)
        XCTAssertEqual(checked.point.forward.storedStatus, .multipleSolutions)
        let other = try XCTUnwrap(checked.point.forward.otherSolution)
        XCTAssertEqual(other.u, continued.forward.state.u)
        XCTAssertEqual(checked.point.backward.particleCurrent.bitPattern, continued.backward.particleCurrent.bitPattern)
        XCTAssertEqual(checked.point.backward.storedStatus, .converged)
    }

    /// Where the branch is unique the check changes nothing (bit for bit).
    func testCheckKeepsAContinuedPointOnTheBranch() throws {
        var continuation = DiodeSolver.Continuation()
        var last: PointResult? = nil
        for eps1 in [31.0, 31.25] {
            last = try Self.solver(eps1: eps1).solvePoint(deltaT: Self.deltaT, continuation: &continuation)
        }
        let continued = try XCTUnwrap(last)
        let checked = try Self.solver(eps1: 31.25).checkedBranch(deltaT: Self.deltaT, point: continued)
        XCTAssertFalse(checked.replaced.forward || checked.replaced.backward)
        XCTAssertEqual(checked.point.forward.particleCurrent.bitPattern, continued.forward.particleCurrent.bitPattern)
        XCTAssertEqual(checked.point.forward.storedStatus, .converged)
        XCTAssertNil(checked.point.forward.otherSolution)
    }
}
