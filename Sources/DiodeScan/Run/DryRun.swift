import DiodePhysics
import Foundation

/// `diodescan scan --dry-run`: validates the job, prints the grid and a cost
/// estimate, and writes nothing (no MPI, no file).
public enum DryRun {
    /// Sample runs timed for the estimate at most, points per run, and the
    /// time budget for them all. A run is long enough that its last points
    /// continue at the predictor's full order
    /// (``DiodeSolver/ConfigurationContinuation/predictorOrder``), as almost
    /// every point of a long tile does.
    static let maximumSamples = 12
    static let pointsPerSample = DiodeSolver.ConfigurationContinuation.predictorOrder + 3
    static let sampleBudget: TimeInterval = 3

    /// Prints the report to `output` and returns the exit status (2 for a rejected job).
    public static func run(jobPath: String, outputPath: String?, threads: Int?,
                           output: (String) -> Void = { print($0) }) -> Int32 {
        let resolved: ResolvedJob
        do {
            let text = try ScanRunner.readJobFile(jobPath)
            do {
                resolved = try ResolvedJob(ScanJob(parsing: text))
            } catch {
                ScanRunner.printError("\(jobPath): \(error)")
                return ScanExitStatus.rejected
            }
        } catch {
            ScanRunner.printError("\(error)")
            return ScanExitStatus.rejected
        }
        let job = resolved.job
        let grid = resolved.grid
        let m = job.model
        output("job: \(jobPath)" + (job.title.map { " — \($0)" } ?? ""))
        // Fixed values only: an axis parameter is listed with the grid.
        let device = ModelParameter.device.filter { !resolved.isAxis($0) }.map { "\($0.key) = \(m[$0] ?? .nan)" }
            .joined(separator: ", ")
        let capacitances = ModelParameter.capacitances.filter { !resolved.isAxis($0) }.map { "\($0.key) = \(m[$0] ?? .nan)" }
            .joined(separator: ", ")
        output("model: \(device), screening = \(m.screening)"
               + (m.capacitances == CapacitanceSpec() ? "" : ", capacitances " + capacitances))
        output("solver: " + resolved.settingsFields.map { "\($0.key) = \($0.value)" }.joined(separator: ", "))
        if !job.fixedCoordinates.isEmpty {
            output("fixed: " + job.fixedCoordinates.map { "\($0.key) = \($0.value)" }.joined(separator: ", "))
        }
        // Innermost first, as in the job's [grid].
        output("grid: " + grid.axes.dimensions.reversed().map { describe($0.values, $0.key) }.joined(separator: " × "))
        for axis in grid.axes.dimensions.reversed() {
            let parameter = ModelParameter.axis(axis.key)
            output("      \(axis.key): \(parameter?.summary ?? axis.key) [\(parameter?.unit ?? "1")]")
        }
        output("      = \(grid.pointCount) points in \(grid.tileCount) tiles of \(grid.pointsPerTile) points"
               + " (a tile is one \(grid.axes.inner.key) line; at most \(grid.tileCount) threads in all ranks can work at once)")
        let target = outputPath ?? job.outputPath
        if let target {
            let exists = FileManager.default.fileExists(atPath: target)
            output("output: \(target)" + (exists ? " (exists: a scan needs --resume or --overwrite)" : ""))
        } else {
            output("output: none set; pass --output PATH or set [output] file")
        }
        output("fingerprint: \(resolved.fingerprint)")

        // Cost: short runs of consecutive points of a tile line spread over
        // the grid (sample k sits at the fraction k/(samples − 1) of every
        // axis, so the samples run from the first to the last value of each),
        // solved as a tile solves them. A tile's first point starts cold
        // (and is checked for the equilibrium branch); the next ones continue
        // from their neighbours, at first with a short extrapolation, from
        // the predictor's full order on at their steady cost (2–8× cheaper
        // than the cold point with screening). A tile no longer than a run
        // is timed whole. A longer one is estimated from a run's points, its
        // remaining points at the steady cost (the mean of a run's points
        // from the predictor's order on) and its branch checks (every
        // ``BranchChecks/interval``-th point and the last, docs/physics.md
        // §9.8), each timed once per run at the run's last point; runs then
        // stop short of the tile's last point, whose check is counted so.
        let evaluator = PhysicsTileEvaluator(job: resolved)
        let sampleCount = min(maximumSamples, grid.pointCount)
        let tileLength = grid.pointsPerTile
        let runLength = min(pointsPerSample, tileLength)
        let extrapolated = tileLength > runLength
        var byPosition = [[TimeInterval]](repeating: [], count: runLength)
        var checks: [TimeInterval] = []
        var failures = 0
        let budgetStart = Date()
        for k in 0..<sampleCount {
            func at(_ count: Int) -> Int { sampleCount == 1 ? 0 : k * (count - 1) / (sampleCount - 1) }
            let tile = grid.axes.tileNumber(TileIndex(grid.axes.outerShape.map(at)))
            let first = extrapolated ? min(at(tileLength), tileLength - runLength - 1) : 0
            var start = Date(), position = 0
            var lastSolved: (solver: DiodeSolver, deltaT: Double, point: PointResult)? = nil
            evaluator.evaluateLine(tile: tile, points: first..<(first + runLength)) { point, solver, deltaT in
                let now = Date()
                byPosition[position].append(now.timeIntervalSince(start))
                position += 1
                if point == nil || point!.forward.status != .converged || point!.backward.status != .converged { failures += 1 }
                if let point, let solver { lastSolved = (solver, deltaT, point) }
                start = now
            }
            if extrapolated, let (solver, deltaT, point) = lastSolved, m.screening {
                let checkStart = Date()
                _ = solver.checkedBranch(deltaT: deltaT, point: point, searching: false)
                checks.append(Date().timeIntervalSince(checkStart))
            }
            if Date().timeIntervalSince(budgetStart) > sampleBudget { break }
        }
        func mean(_ values: [TimeInterval]) -> TimeInterval { values.reduce(0, +) / Double(max(values.count, 1)) }
        let positionMeans = byPosition.map(mean)
        let steadyFrom = min(DiodeSolver.ConfigurationContinuation.predictorOrder, runLength - 1)
        let steady = runLength > 1 ? mean(Array(byPosition[max(steadyFrom, 1)...].joined())) : positionMeans[0]
        var tileSeconds = positionMeans.reduce(0, +)
        if extrapolated {
            let branchChecks = (tileLength - 1) / BranchChecks.interval + 1
            tileSeconds += Double(tileLength - runLength) * steady + Double(branchChecks) * mean(checks)
        }
        let perPoint = tileSeconds / Double(tileLength)
        let coreSeconds = perPoint * Double(grid.pointCount)
        let threads = threads ?? ScanRunner.defaultThreadCount()
        var samples = runLength == 1 ? "\(byPosition[0].count) cold-start samples"
            : String(format: "%d runs of %d points: %.3g ms cold, %.3g ms continued", byPosition[0].count, runLength,
                     positionMeans[0] * 1000, steady * 1000)
        if !checks.isEmpty { samples += String(format: ", %.3g ms per branch check", mean(checks) * 1000) }
        output(String(format: "cost: %.3g ms per point (%@%@) → %.3g core-hours; about %@ on %d thread%@ here",
                      perPoint * 1000, samples, failures > 0 ? ", \(failures) not converged" : "",
                      coreSeconds / 3600, ProgressReporter.formatDuration(coreSeconds / Double(threads)), threads, threads == 1 ? "" : "s"))
        output("dry run: nothing written")
        return ScanExitStatus.success
    }

    private static func describe(_ axis: [Double], _ name: String) -> String {
        axis.count == 1 ? "\(name) \(axis[0])" : "\(name) [\(axis.first!) … \(axis.last!)] (\(axis.count))"
    }
}
