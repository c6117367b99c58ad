import DiodePhysics
import Foundation

/// Median and 90th percentile of a sample.
public struct Percentiles: Codable, Sendable, Equatable {
    public var median: Double
    public var p90: Double

    /// Nearest-rank percentiles of `sample` (NaN for an empty sample).
    public init(_ sample: [Double]) {
        let sorted = sample.sorted()
        func rank(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            let index = Int((q * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(index, 0), sorted.count - 1)]
        }
        median = sorted.isEmpty ? .nan
            : sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : 0.5 * (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2])
        p90 = rank(0.9)
    }
}

/// Cost of one kind of solve (cold or warm), per (point, configuration).
public struct SolveCost: Codable, Sendable, Equatable {
    /// Wall time per (point, configuration), µs: half the time of
    /// `DiodeSolver.init` + `solvePoint` (F and B), each point's minimum over
    /// the repeats, then median and p90 over the points.
    public var microseconds: Percentiles
    /// Solves timed (points × 2 configurations).
    public var solves: Int
    /// Mean `ConfigurationResult.iterations` per solve: the quadrature path
    /// counts residual + Jacobian evaluations (one vector quadrature each,
    /// line-search trials included); the closed-form path counts Newton steps.
    public var iterations: Double
    /// Mean `ConfigurationResult.integrandEvaluations` per solve: integrand
    /// evaluations of the quadrature path; closed-form evaluations (residual
    /// and Jacobian from digamma functions) on the closed-form path.
    public var integrandEvaluations: Double
    /// Solves that did not converge (should be 0).
    public var notConverged: Int
}

/// The solver benchmark of one setting.
public struct SettingReport: Codable, Sendable {
    public var setting: String
    public var description: String
    /// Why the setting could not be run (e.g. screening not in this build); the
    /// other fields are then absent.
    public var unavailable: String?
    /// "closed form" (λ = 1 without screening, digamma closed forms) or "quadrature".
    public var path: String?
    public var lines: Int?
    public var pointsPerLine: Int?
    public var repeats: Int?
    /// Every point from the cold start.
    public var cold: SolveCost?
    /// Continuation along each ε1 line from the previous point's state (the
    /// first point of each line excluded), as in a scan tile.
    public var warm: SolveCost?
}

/// Times `DiodeSolver` on the fixed points of a ``BenchmarkSetting``.
public struct SolverBenchmark: Sendable {
    public var settings: SolverSettings
    public var repeats: Int
    public var quick: Bool

    public init(settings: SolverSettings = .default, repeats: Int = 3, quick: Bool = false) {
        self.settings = settings
        self.repeats = max(1, repeats)
        self.quick = quick
    }

    public func run(_ setting: BenchmarkSetting) -> SettingReport {
        var report = SettingReport(setting: setting.rawValue, description: setting.summary)
        if let reason = setting.unavailableReason {
            report.unavailable = reason
            return report
        }
        let lines = setting.lines(quick: quick)
        report.lines = lines.count
        report.pointsPerLine = lines.first?.eps1.count ?? 0
        let repeats = setting.repeats(requested: self.repeats)
        report.repeats = repeats
        report.path = path(setting)
        report.cold = measure(setting, lines: lines, warm: false, repeats: repeats)
        report.warm = measure(setting, lines: lines, warm: true, repeats: repeats)
        return report
    }

    /// Which path `DiodeSolver` takes for the setting with these settings.
    func path(_ setting: BenchmarkSetting) -> String {
        let parameters = setting.parameters(eps1: BenchmarkSetting.mu, eps3: BenchmarkSetting.mu)
        let solver = try? DiodeSolver(parameters: parameters, settings: settings)
        return settings.closedForms && solver?.closedFormApplies == true ? "closed form" : "quadrature"
    }

    private func measure(_ setting: BenchmarkSetting, lines: [(eps3: Double, eps1: [Double])], warm: Bool,
                         repeats: Int) -> SolveCost {
        var best: [Double] = []
        var iterations = 0, evaluations = 0, failures = 0, solves = 0
        for repeatIndex in 0..<repeats {
            var index = 0
            for line in lines {
                var continuation = DiodeSolver.Continuation()
                for (i, eps1) in line.eps1.enumerated() {
                    let start = DispatchTime.now().uptimeNanoseconds
                    guard let solver = try? DiodeSolver(parameters: setting.parameters(eps1: eps1, eps3: line.eps3),
                                                        settings: settings) else { continue }
                    if !warm { continuation = DiodeSolver.Continuation() }
                    let point = solver.solvePoint(deltaT: BenchmarkSetting.deltaT, continuation: &continuation)
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-3 / 2
                    if warm && i == 0 { continue }   // the first point of a line starts cold
                    if repeatIndex == 0 {
                        best.append(elapsed)
                        for c in [point.forward, point.backward] {
                            iterations += c.iterations
                            evaluations += c.integrandEvaluations
                            if c.status != .converged { failures += 1 }
                            solves += 1
                        }
                    } else {
                        best[index] = min(best[index], elapsed)
                    }
                    index += 1
                }
            }
        }
        let n = Double(max(solves, 1))
        return SolveCost(microseconds: Percentiles(best), solves: solves, iterations: Double(iterations) / n,
                         integrandEvaluations: Double(evaluations) / n, notConverged: failures)
    }
}

/// Peak resident memory of this process (getrusage ru_maxrss), MiB.
public func peakResidentMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024   // Linux reports KiB
}

/// The 1-minute load average (nil if unavailable).
public func loadAverage() -> [Double]? {
    var loads = [Double](repeating: 0, count: 3)
    return getloadavg(&loads, 3) == 3 ? loads : nil
}
