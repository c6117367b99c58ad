import RealModule

/// A Fabry–Pérot state of region 2: a peak of 1/|Δ|², Δ = 1 − a² r₁ r₃ e^{2iφ},
/// where the round-trip phase Θ(E) = 2φ(E) + arg r₁ + arg r₃ is a multiple of 2π.
@frozen
public struct FabryPerotState: Sendable, Hashable {
    /// Peak energy (root of Θ(E) = 2πn).
    public var energy: Double
    /// Full width at half maximum of 1/|Δ|², 2(1 − g)/(√g Θ′(E)).
    public var width: Double
    /// Round-trip gain g = a²|r₁ r₃| at the peak (1 would be a bound state).
    public var loopGain: Double

    @inlinable
    public init(energy: Double, width: Double, loopGain: Double) {
        self.energy = energy; self.width = width; self.loopGain = loopGain
    }
}

extension ScatteringModel {
    /// arg r for a Breit–Wigner barrier: r = (x² − iΓx)/(x² + Γ²), so
    /// arg r = atan2(−Γx, x²), increasing with slope Γ/(x² + Γ²) and jumping
    /// by −π at x = 0 (where r vanishes).
    @inlinable
    static func reflectionPhase(x: Double, gamma: Double) -> Double {
        Double.atan2(y: -gamma * x, x: x * x)
    }

    /// The round-trip phase Θ(E) = 2d√(E − U₂) + arg r₁ + arg r₃ (E ≥ U₂) and
    /// its derivative Θ′ = d/√(E − U₂) + Γ₁/(x₁² + Γ₁²) + Γ₃/(x₃² + Γ₃²).
    @inlinable
    func roundTripPhase(energy e: Double, potentials u: SIMD3<Double>) -> (phase: Double, slope: Double) {
        let x1 = e - eps1 - u[0], x3 = e - eps3 - u[2]
        let k = Swift.max(e - u[1], 0).squareRoot()
        let phase = 2 * d * k + Self.reflectionPhase(x: x1, gamma: gamma1)
            + Self.reflectionPhase(x: x3, gamma: gamma3)
        let slope = d / k + gamma1 / (x1 * x1 + gamma1 * gamma1) + gamma3 / (x3 * x3 + gamma3 * gamma3)
        return (phase, slope)
    }

    /// The most Fabry–Pérot states ``appendFabryPerotStates(in:_:potentials:to:)``
    /// appends per piece between Breit–Wigner centres (5 breakpoints each).
    public static let maximumFabryPerotStates = 100_000

    /// Appends to `states` every Fabry–Pérot state of region 2 with energy
    /// in [lower, upper] (only above the band bottom U₂, where |e^{iφ}| = 1).
    ///
    /// Θ is continuous and strictly increasing between the band bottom and
    /// the Breit–Wigner centres ε_α + U_α (its only jumps), so on each such
    /// piece the states are exactly the crossings of Θ with 2πn, found by a
    /// bracketed Newton iteration. Nothing is appended at λ = 1 (no coherent
    /// round trip).
    public func appendFabryPerotStates(in lower: Double, _ upper: Double, potentials u: SIMD3<Double>,
                                       to states: inout [FabryPerotState]) {
        guard a > 0, upper > lower else { return }
        let bottom = Swift.max(lower, u[1])
        guard upper > bottom else { return }
        // Pieces: [bottom, upper] cut at the Breit–Wigner centres inside it.
        let c1 = eps1 + u[0], c3 = eps3 + u[2]
        var edges = [bottom]
        // edges is never empty here (it starts with `bottom`).
        for centre in [Swift.min(c1, c3), Swift.max(c1, c3)] where centre > edges[edges.count - 1] && centre < upper {
            edges.append(centre)
        }
        edges.append(upper)
        let twoPi = 2 * Double.pi
        for piece in 0..<(edges.count - 1) {
            // Stay a hair inside the piece: Θ jumps at its Breit–Wigner ends.
            let left = edges[piece], right = edges[piece + 1]
            let inset = 1e-12 * Swift.max(1, abs(left), abs(right))
            let lo = left + inset, hi = right - inset
            guard hi > lo else { continue }
            let thetaLow = roundTripPhase(energy: lo, potentials: u).phase
            let thetaHigh = roundTripPhase(energy: hi, potentials: u).phase
            var n = (thetaLow / twoPi).rounded(.up)
            // At most `maximumFabryPerotStates` per piece, so that an absurd
            // window (ΔT ~ 1e300: Θ = ∞) cannot loop forever. That many states
            // are 5e5 breakpoints, beyond the default evaluation cap (400 000
            // per integral), so the quadrature reports not converged long
            // before a truncated list could matter. (An integer count: at
            // |n| ≥ 2⁵³, n += 1 would not move n.)
            var found = 0
            while n * twoPi <= thetaHigh && found < Self.maximumFabryPerotStates {
                found += 1
                let target = n * twoPi
                var bracketLow = lo, bracketHigh = hi
                var e = lo + (hi - lo) * (target - thetaLow) / (thetaHigh - thetaLow)
                for _ in 0..<100 {
                    let (theta, slope) = roundTripPhase(energy: e, potentials: u)
                    if theta < target { bracketLow = e } else { bracketHigh = e }
                    var next = e - (theta - target) / slope
                    if !(next > bracketLow && next < bracketHigh) { next = 0.5 * (bracketLow + bracketHigh) }
                    let converged = abs(next - e) <= 1e-13 * Swift.max(1, abs(e))
                    e = next
                    if converged || bracketHigh - bracketLow <= 1e-14 * Swift.max(1, abs(e)) { break }
                }
                let r1 = Self.barrier(x: e - c1, gamma: gamma1).r
                let r3 = Self.barrier(x: e - c3, gamma: gamma3).r
                let gain = a * a * (r1.lengthSquared * r3.lengthSquared).squareRoot()
                let slope = roundTripPhase(energy: e, potentials: u).slope
                let width = gain > 0 ? 2 * (1 - gain) / (gain.squareRoot() * slope) : .infinity
                states.append(FabryPerotState(energy: e, width: width, loopGain: gain))
                n += 1
            }
        }
    }
}

/// The sorted cut points of the energy integrals: every place where an
/// integrand is sharp or not smooth, so that no quadrature panel can step
/// over a feature.
///
/// The static part (band bottom, Breit–Wigner peaks, Fabry–Pérot states,
/// lead Fermi edges) is built once per solve; the parts that move with the
/// unknowns (probe Fermi edge, window) are merged in per evaluation without
/// allocating.
public struct EnergyBreakpoints: Sendable {
    /// Features independent of the probe's (μ_p, T_p).
    public private(set) var fixed: [Double] = []
    /// The fixed features clipped to the current window, merged with the
    /// moving ones; first and last element are the window limits.
    public private(set) var points: [Double] = []
    /// The Fabry–Pérot states found (diagnostics).
    public private(set) var fabryPerotStates: [FabryPerotState] = []

    public init() {
        fixed.reserveCapacity(64)
        points.reserveCapacity(96)
        fabryPerotStates.reserveCapacity(16)
    }

    /// Resets the fixed features for a device at potentials `u` and the given
    /// lead distributions; `range` bounds where features can matter (the
    /// widest window the solve may use).
    public mutating func reset(model: ScatteringModel, potentials u: SIMD3<Double>,
                               leads: [FermiDistribution], range: ClosedRange<Double>) {
        fixed.removeAll(keepingCapacity: true)
        fabryPerotStates.removeAll(keepingCapacity: true)
        fixed.append(u[1])
        for (centre, gamma) in [(model.eps1 + u[0], model.gamma1), (model.eps3 + u[2], model.gamma3)] {
            fixed.append(centre)
            fixed.append(centre - gamma)
            fixed.append(centre + gamma)
        }
        for lead in leads { Self.appendFermiEdge(lead, to: &fixed) }
        model.appendFabryPerotStates(in: range.lowerBound, range.upperBound, potentials: u, to: &fabryPerotStates)
        for state in fabryPerotStates where state.loopGain >= 0.25 {
            fixed.append(state.energy)
            if state.width < 0.5 {
                for k in [-8.0, -1.0, 1.0, 8.0] { fixed.append(state.energy + k * state.width) }
            }
        }
        fixed.sort()
    }

    /// How far from μ, in units of T, the two guard points of a Fermi edge
    /// lie (``appendFermiEdge(_:to:)``).
    public static let fermiGuard = 100.0

    /// The Fermi edge of a distribution: μ, where f changes from 1 to 0,
    /// and two guard points μ ± 100 T that bound the panels next to it.
    ///
    /// f is analytic within πT of the real axis, so a panel that ends at μ
    /// and is up to ~100 T wide is integrated reliably by the adaptive rule
    /// (its outermost Gauss–Kronrod nodes, 0.2 % and 1.3 % of the width from
    /// the end, still see e^{−0.2} and e^{−1.3} of the step); a panel
    /// 10⁴ T wide would put every node where f is 0 or 1 to 1e-12, and the
    /// step would be missed with a zero error estimate. The guard points
    /// only matter for an edge much sharper than the window (±40 T_max):
    /// the cold lead at ΔT ≳ 1.5, or T → 0 at ΔT → −1. At ΔT = 1 they fall
    /// outside it. (Until issue 16, session 10, the points were μ ± 3T: at
    /// T ~ 1 they only cut the Fermi window into more panels, each at least
    /// 21 evaluations; without them Fig. 4 warm solves took 10 % fewer
    /// evaluations and 12 % less time, Fig. 3 3–4 %, at the same accuracy
    /// against tight references.)
    @inlinable
    static func appendFermiEdge(_ f: FermiDistribution, to list: inout [Double]) {
        list.append(f.mu)
        list.append(f.mu - fermiGuard * f.temperature)
        list.append(f.mu + fermiGuard * f.temperature)
    }

    /// Sets `points` to the window [lower, upper], the fixed features inside
    /// it and the Fermi edge of `moving` (the probe), sorted and deduplicated.
    public mutating func update(window lower: Double, _ upper: Double, moving: FermiDistribution?) {
        points.removeAll(keepingCapacity: true)
        points.append(lower)
        points.append(upper)
        for point in fixed where point > lower && point < upper { points.append(point) }
        if let moving {
            let before = points.count
            Self.appendFermiEdge(moving, to: &points)
            var index = before
            while index < points.count {
                if points[index] > lower && points[index] < upper { index += 1 } else { points.remove(at: index) }
            }
        }
        points.sort()
        var write = 1
        for read in 1..<points.count where points[read] > points[write - 1] {
            points[write] = points[read]
            write += 1
        }
        points.removeLast(points.count - write)
    }
}
