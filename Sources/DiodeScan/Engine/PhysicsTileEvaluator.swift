import DiodePhysics
import Foundation

/// Computes one tile (a line along the innermost axis at fixed values of the
/// outer ones: an ε1 line at fixed ε3, ΔT in the paper's grids) with the physics.
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
    /// The device and ΔT at each grid point (the job layer's mapping).
    public let mapping: PointMapping
    /// `[output] extras`: the reference currents to compute (`I_lin`, …).
    public let extras: [String]
    /// Test-only slow-down per point (seconds), to make interruption tests
    /// deterministic; from `DIODESCAN_TEST_POINT_DELAY`. Zero in normal use.
    public var testPointDelay: TimeInterval = 0

    public init(job: ResolvedJob) {
        model = job.job.model
        grid = job.grid
        settings = job.settings
        mapping = job.mapping
        extras = job.job.extras
    }

    /// The tile's values, its all-zero fields omitted, or nil when `stop`
    /// was set before it finished.
    public func evaluate(tile number: Int, stop: StopFlag) -> TileValues? {
        var coordinates = mapping.line(grid.tile(number))
        let count = grid.pointsPerTile
        var values = TileValues(pointCount: count)
        var continuation = DiodeSolver.Continuation()
        var branches = BranchChecks(active: model.screening)
        // Per point, for the reference currents: its solver and ΔT, and the
        // result finally stored (a branch check may replace it later).
        var solved: [(solver: DiodeSolver, deltaT: Double, point: PointResult)?] =
            extras.isEmpty ? [] : Array(repeating: nil, count: count)
        for i in 0..<count {
            if stop.isSet { return nil }
            if testPointDelay > 0 { Thread.sleep(forTimeInterval: testPointDelay) }
            mapping.set(inner: i, in: &coordinates)
            let (parameters, deltaT) = coordinates.point
            guard let solver = try? DiodeSolver(parameters: parameters, settings: settings) else {
                // Unreachable for a validated job (every axis value was checked,
                // and ε1, ε3 from detuning and asymmetry are finite unless their
                // sum overflows); recorded as a non-finite point rather than trusted.
                values[.statusF, i] = SolveStatus.nonFinite.rawValue
                values[.statusB, i] = SolveStatus.nonFinite.rawValue
                continuation = DiodeSolver.Continuation()
                branches.skip(i)
                continue
            }
            let fresh = continuation.forward.guess == nil && continuation.backward.guess == nil
            let point = solver.solvePoint(deltaT: deltaT, continuation: &continuation)
            let checked = branches.add(point, at: i, solver: solver, deltaT: deltaT, fresh: fresh, last: i == count - 1,
                                       continuation: &continuation)
            if !extras.isEmpty { solved[i] = (solver, deltaT, point) }
            for (index, result) in checked {
                store(result, at: index, in: &values)
                if !extras.isEmpty { solved[index]?.point = result }
            }
        }
        if !storeReferences(of: solved, in: &values, stop: stop) { return nil }
        // Checked here, on the worker thread that made the values: the zero
        // fields (U without screening, the status where all converged) then
        // never cross ranks, and rank 0 knows them without reading them.
        return values.omittingZeroFields()
    }

    /// Solves consecutive points `points` of the tile `tile` as the tile
    /// does (the first cold, each next one continued from its neighbour) and
    /// hands every result to `each` as soon as it is computed, with its
    /// solver and ΔT (nil, nil where the device is invalid): the dry run
    /// times these calls to estimate a scan's cost.
    public func evaluateLine(tile: Int, points: Range<Int>,
                             each: (_ point: PointResult?, _ solver: DiodeSolver?, _ deltaT: Double) -> Void) {
        var coordinates = mapping.line(grid.tile(tile))
        var continuation = DiodeSolver.Continuation()
        var branches = BranchChecks(active: model.screening)
        for i in points {
            mapping.set(inner: i, in: &coordinates)
            let (parameters, deltaT) = coordinates.point
            guard let solver = try? DiodeSolver(parameters: parameters, settings: settings) else {
                continuation = DiodeSolver.Continuation()
                branches.skip(i)
                each(nil, nil, deltaT)
                continue
            }
            let fresh = continuation.forward.guess == nil && continuation.backward.guess == nil
            let point = solver.solvePoint(deltaT: deltaT, continuation: &continuation)
            // The branch checks as in a tile (earlier points they replace
            // are not handed on again: the dry run only times the work).
            let checked = branches.add(point, at: i, solver: solver, deltaT: deltaT, fresh: fresh,
                                       last: i == grid.pointsPerTile - 1, continuation: &continuation)
            each(checked.last?.1 ?? point, solver, deltaT)
        }
    }

    /// The reference currents (`[output] extras`) of every point of a tile,
    /// as `diodescan point --reference` computes them from the stored result
    /// (`DiodeSolver.referenceCurrents`); only the linear response when no
    /// equilibrium-transmission current is asked for (with screening that
    /// needs a solve of its own). Fields not asked for are set to zero, so
    /// they are omitted and never cross ranks. False when `stop` was set.
    private func storeReferences(of solved: [(solver: DiodeSolver, deltaT: Double, point: PointResult)?],
                                 in values: inout TileValues, stop: StopFlag) -> Bool {
        let zeros = [Double](repeating: 0, count: values.pointCount)
        typealias Field = TileValues.DoubleField
        guard !extras.isEmpty else {
            for field in Field.extras { values[field] = zeros }
            return true
        }
        let wantsEquilibrium = extras.contains("I_eqT") || extras.contains("J_eqT")
        for (i, entry) in solved.enumerated() {
            if stop.isSet { return false }
            guard let (solver, deltaT, point) = entry else { continue }  // invalid device: fill values (NaN)
            for (configuration, result, fields) in [
                (Configuration.forward, point.forward, (Field.iLinF, Field.jLinF, Field.iEqTF, Field.jEqTF)),
                (Configuration.backward, point.backward, (Field.iLinB, Field.jLinB, Field.iEqTB, Field.jEqTB)),
            ] {
                let references = wantsEquilibrium
                    ? solver.referenceCurrents(deltaT: deltaT, configuration: configuration, result: result)
                    : ReferenceCurrents(linearResponse: solver.linearResponse(configuration: configuration), deltaT: deltaT,
                                        equilibriumTransmission: result)
                values[fields.0, i] = references.linearParticleCurrent
                values[fields.1, i] = references.linearHeatCurrent
                values[fields.2, i] = references.equilibriumTransmission.particleCurrent
                values[fields.3, i] = references.equilibriumTransmission.heatCurrent
            }
        }
        let wanted: [String: [Field]] = ["I_lin": [.iLinF, .iLinB], "J_lin": [.jLinF, .jLinB],
                                         "I_eqT": [.iEqTF, .iEqTB], "J_eqT": [.jEqTF, .jEqTB]]
        for (name, fields) in wanted where !extras.contains(name) {
            for field in fields { values[field] = zeros }
        }
        return true
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
        values[.statusF, i] = f.storedStatus.rawValue
        values[.statusB, i] = b.storedStatus.rawValue
        values[.iterationsF, i] = Int32(clamping: f.iterations)
        values[.iterationsB, i] = Int32(clamping: b.iterations)
    }
}

/// The scan's check that a tile reports the equilibrium branch
/// (docs/physics.md §9.8). The points of a tile are solved by continuation
/// from their neighbour, which follows whatever solution the line is on.
/// A point solved without a neighbour (the first, and after a failure, from
/// the cold start), a point that did not converge (retried from the
/// branch), every ``interval``-th point, the last one, and any point whose state jumped (moved more than ``jump`` in μ_p,
/// log T_p or U from the previous point) are checked
/// (``DiodeSolver/checkedBranch(deltaT:point:searching:)``); where a check replaced a
/// configuration or the state jumped, the points back to the last checked
/// one are checked too, from the newest, until one is on the branch. The
/// line then continues from the checked state. A tile's values still
/// depend only on the tile.
struct BranchChecks {
    static let interval = 64
    static let jump = 0.25

    let active: Bool
    /// The solved points since the last checked one (index, solver, ΔT,
    /// result; ΔT varies along a line when it is the innermost axis).
    var pending: [(index: Int, solver: DiodeSolver, deltaT: Double, point: PointResult)] = []
    var previous: PointResult? = nil

    init(active: Bool) {
        self.active = active
    }

    /// An invalid device: the line restarts.
    mutating func skip(_ index: Int) {
        pending.removeAll()
        previous = nil
    }

    /// Adds a solved point; returns the points to store (this one, checked
    /// if due, and any earlier one that a check replaced).
    mutating func add(_ point: PointResult, at index: Int, solver: DiodeSolver, deltaT: Double, fresh: Bool, last: Bool,
                      continuation: inout DiodeSolver.Continuation) -> [(Int, PointResult)] {
        guard active else { return [(index, point)] }
        if fresh { pending.removeAll() }
        let jumped = !fresh && (previous.map { Self.jumped(from: $0, to: point) } ?? false)
        let failed = point.forward.status != .converged || point.backward.status != .converged
        previous = point
        pending.append((index, solver, deltaT, point))
        guard fresh || jumped || failed || last || pending.count >= Self.interval else { return [(index, point)] }
        var updated: [(Int, PointResult)] = []
        var newest = true
        while let (i, pointSolver, pointDeltaT, result) = pending.popLast() {
            let checked = pointSolver.checkedBranch(deltaT: pointDeltaT, point: result, searching: false)
            let replaced = checked.replaced.forward || checked.replaced.backward
            if replaced || newest { updated.append((i, checked.point)) }
            if newest {
                // The line continues from the checked state.
                if checked.replaced.forward { continuation.forward.guess = checked.point.forward.state }
                if checked.replaced.backward { continuation.backward.guess = checked.point.backward.state }
                previous = checked.point
                newest = false
                if !(replaced || jumped) { break }
            } else if !replaced {
                break
            }
        }
        pending.removeAll()
        return updated.reversed()
    }

    static func jumped(from a: PointResult, to b: PointResult) -> Bool {
        func distance(_ x: ConfigurationResult, _ y: ConfigurationResult) -> Double {
            guard x.status == .converged, y.status == .converged else { return 0 }
            var d = Swift.max(abs(x.state.u[0] - y.state.u[0]), abs(x.state.u[1] - y.state.u[1]),
                              abs(x.state.u[2] - y.state.u[2]))
            if x.state.muP.isFinite, y.state.muP.isFinite, x.state.tP > 0, y.state.tP > 0 {
                d = Swift.max(d, abs(x.state.muP - y.state.muP), abs(log(x.state.tP / y.state.tP)))
            }
            return d
        }
        return Swift.max(distance(a.forward, b.forward), distance(a.backward, b.backward)) > jump
    }
}
