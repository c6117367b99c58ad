import DiodePhysics

/// The paper's three settings (docs/physics.md §0 "The paper's settings") and the fixed
/// points `diodescan bench` solves for each.
///
/// Points: ε1 lines at fixed ε3 (what a scan tile is), ε1 − μ from −10 to 15
/// in steps of 0.25 (101 points per line; the Fig. 2 job's step is 0.05, the
/// Fig. 3 ΔT job's 0.25, so warm starts here are not easier than in a real
/// scan), on three ε3 lines per setting: the paper's two cut lines and one
/// below μ. ΔT = 1, default solver settings. `quick` keeps one line of 3
/// points (for tests of the JSON shape, never for numbers).
public enum BenchmarkSetting: String, CaseIterable, Sendable {
    case fig2, fig3, fig4

    /// Short description for the report.
    public var summary: String {
        switch self {
        case .fig2: "Fig. 2: lambda = 1, no screening, Gamma = 3, mu = 40, dT = 1"
        case .fig3: "Fig. 3: lambda = 0, screening (all c = 0), Gamma = 1, d = 1, mu = 40, dT = 1"
        case .fig4: "Fig. 4: lambda = 1, screening (all c = 0), Gamma = 1, d = 1, mu = 40, dT = 1"
        }
    }

    /// μ of the paper's figures: the default of the parameter table.
    public static let mu = ModelParameter.Default.mu
    public static let deltaT = 1.0

    /// The device at (ε1, ε3).
    public func parameters(eps1: Double, eps3: Double) -> DeviceParameters {
        switch self {
        case .fig2:
            DeviceParameters(eps1: eps1, eps3: eps3, gamma1: 3, gamma3: 3, mu: Self.mu, lambda: 1, d: 1)
        case .fig3:
            DeviceParameters(eps1: eps1, eps3: eps3, gamma1: 1, gamma3: 1, mu: Self.mu, lambda: 0, d: 1,
                             screening: true)
        case .fig4:
            DeviceParameters(eps1: eps1, eps3: eps3, gamma1: 1, gamma3: 1, mu: Self.mu, lambda: 1, d: 1,
                             screening: true)
        }
    }

    /// ε3 − μ of the benchmark lines: the paper's particle and heat cuts and −6.
    public var eps3Offsets: [Double] {
        switch self {
        case .fig2: [4.8, 8.7, -6]
        case .fig3, .fig4: [8.2, 7.5, -6]
        }
    }

    /// The ε1 lines (absolute energies), each ordered for continuation.
    /// Fig. 2: each ε3 line over the whole window (101 points). Screening
    /// (Figs. 3, 4; tens of ms per solve): 21 points (5 k_B T) per line, the
    /// three lines on different parts of the window (ε1 − μ from −8, −2.5, 5).
    public func lines(quick: Bool) -> [(eps3: Double, eps1: [Double])] {
        if quick {
            return [(Self.mu + eps3Offsets[0], (0..<3).map { Self.mu - 1 + 0.25 * Double($0) })]
        }
        switch self {
        case .fig2:
            let eps1 = (0...100).map { Self.mu - 10 + 0.25 * Double($0) }
            return eps3Offsets.map { (Self.mu + $0, eps1) }
        case .fig3, .fig4:
            return zip(eps3Offsets, [-8.0, -2.5, 5]).map { offset, start in
                (Self.mu + offset, (0...20).map { Self.mu + start + 0.25 * Double($0) })
            }
        }
    }

    /// Timing repeats (each point's fastest counts): fewer for the slow
    /// screening settings, where the timer's resolution is irrelevant.
    public func repeats(requested: Int) -> Int {
        self == .fig2 ? requested : 1
    }

    /// Nil when `DiodeSolver` accepts this setting, else why not (e.g.
    /// screening not available in this build).
    public var unavailableReason: String? {
        do {
            _ = try DiodeSolver(parameters: parameters(eps1: Self.mu, eps3: Self.mu))
            return nil
        } catch {
            return "\(error)"
        }
    }
}
