import DiodePhysics
import Foundation

/// Computes one tile (an ε1 line at fixed ε3, ΔT) with the physics.
///
/// Continuation: each point's forward and backward solves start from the
/// previous point's (``DiodeSolver/Continuation``: its converged state and,
/// with screening, its quadrature partitions); the first point of a tile, and
/// any configuration after a failure, start cold. The values therefore depend
/// only on the tile.
public struct PhysicsTileEvaluator: Sendable {
    public let model: ModelSpec
    public let grid: ScanGrid
    public let settings: SolverSettings
    /// Test-only slow-down per point (seconds), to make interruption tests
    /// deterministic; from `DIODESCAN_TEST_POINT_DELAY`. Zero in normal use.
    public var testPointDelay: TimeInterval = 0

    public init(job: ResolvedJob) {
        model = job.job.model
        grid = job.grid
        settings = job.settings
    }

    /// The tile's values, its all-zero fields omitted, or nil when `stop`
    /// was set before it finished.
    public func evaluate(tile number: Int, stop: StopFlag) -> TileValues? {
        let (dTIndex, eps3Index) = grid.tile(number)
        let deltaT = grid.dT[dTIndex]
        let eps3 = grid.eps3[eps3Index]
        var values = TileValues(pointCount: grid.eps1.count)
        var continuation = DiodeSolver.Continuation()
        for (i, eps1) in grid.eps1.enumerated() {
            if stop.isSet { return nil }
            if testPointDelay > 0 { Thread.sleep(forTimeInterval: testPointDelay) }
            guard let solver = try? DiodeSolver(parameters: model.parameters(eps1: eps1, eps3: eps3), settings: settings) else {
                // Unreachable for a validated job (only ε1, ε3 vary and they are finite);
                // recorded as a non-finite point rather than trusted.
                values[.statusF, i] = SolveStatus.nonFinite.rawValue
                values[.statusB, i] = SolveStatus.nonFinite.rawValue
                continuation = DiodeSolver.Continuation()
                continue
            }
            let point = solver.solvePoint(deltaT: deltaT, continuation: &continuation)
            store(point, at: i, in: &values)
        }
        // Checked here, on the worker thread that made the values: the zero
        // fields (U without screening, the status where all converged) then
        // never cross ranks, and rank 0 knows them without reading them.
        return values.omittingZeroFields()
    }

    /// Solves consecutive points of one ε1 line as a tile does (the first
    /// cold, each next one continued from its neighbour) and hands every
    /// result to `each` as soon as it is computed, nil where the device is
    /// invalid: the dry run times these calls to estimate a scan's cost.
    public func evaluateLine(eps1: ArraySlice<Double>, eps3: Double, deltaT: Double,
                             each: (PointResult?) -> Void) {
        var continuation = DiodeSolver.Continuation()
        for value in eps1 {
            guard let solver = try? DiodeSolver(parameters: model.parameters(eps1: value, eps3: eps3),
                                                settings: settings) else {
                continuation = DiodeSolver.Continuation()
                each(nil)
                continue
            }
            each(solver.solvePoint(deltaT: deltaT, continuation: &continuation))
        }
    }

    /// Writes a point into the tile. A configuration that did not converge
    /// gets NaN in all its values (never a plausible number), and so do the
    /// rectifications, which need both.
    private func store(_ point: PointResult, at i: Int, in values: inout TileValues) {
        func recorded(_ result: ConfigurationResult) -> ConfigurationResult {
            guard result.status != .converged else { return result }
            var failed = result
            failed.particleCurrent = .nan
            failed.heatCurrent = .nan
            failed.state.muP = .nan
            failed.state.tP = .nan
            failed.state.u = SIMD3(repeating: .nan)
            return failed
        }
        let f = recorded(point.forward), b = recorded(point.backward)
        let bothConverged = f.status == .converged && b.status == .converged
        let rI = bothConverged ? point.rectificationI : .nan
        let rJ = bothConverged ? point.rectificationJ : .nan
        values[.iF, i] = f.particleCurrent
        values[.iB, i] = b.particleCurrent
        values[.jF, i] = f.heatCurrent
        values[.jB, i] = b.heatCurrent
        values[.rI, i] = rI
        values[.rJ, i] = rJ
        values[.muPF, i] = f.state.muP
        values[.muPB, i] = b.state.muP
        values[.tPF, i] = f.state.tP
        values[.tPB, i] = b.state.tP
        for region in 0..<3 {
            values[.uF, 3 * i + region] = f.state.u[region]
            values[.uB, 3 * i + region] = b.state.u[region]
        }
        values[.statusF, i] = f.status.rawValue
        values[.statusB, i] = b.status.rawValue
        values[.iterationsF, i] = Int32(clamping: f.iterations)
        values[.iterationsB, i] = Int32(clamping: b.iterations)
    }
}
