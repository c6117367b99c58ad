// The band-bottom correction of the λ = 1 closed forms: what the evanescent
// states of region 2 below E = 0 take away from the infinite-band integrals.

import RealModule

/// How the band bottom of region 2 (E = 0, no screening) enters the λ = 1
/// closed forms of ``LorentzianProbeDevice``.
public enum LorentzianBandBottom: Sendable, Hashable, Codable {
    /// The device of docs/physics.md §0: below E = 0 each half of region 2 damps the
    /// transmissions by |e^(iφ)| = e^(−d√(−E)). The correction integral over
    /// [window low edge, 0] is evaluated unless a rigorous bound puts it
    /// below 1e-15 of the currents' scale (the closed forms' own rounding
    /// level). The default.
    case automatic
    /// The device of docs/physics.md §0, always integrating the correction (for tests).
    case always
    /// An infinitely deep band: |t₁|² and |t₃|² on the whole axis. Not
    /// The device of docs/physics.md §0; the λ = 1 identities hold exactly here.
    case infinitelyDeep
}

/// The correction, below the band bottom, to the infinite-band λ = 1
/// integrals: with g(E) = e^(−d√(−E)) the damping of region 2 (docs/physics.md §0) for
/// E < 0 (|S_{p,L}|² = |t₁|² g, |S_{p,R}|² = |t₃|² g) and
/// Δf_j = f_lead(j) − f_p,
///
///     C_j^(0) = ∫_W^0 𝒯_j (1 − g) Δf_j dE,
///     C_j^(1) = ∫_W^0 (E − μ_p) 𝒯_j (1 − g) Δf_j dE,
///
/// over the window of docs/physics.md §0, W = min(μ, μ_p) − 40 max(T_L, T_R, T_p) (nothing
/// when W ≥ 0), plus the (μ_p, T_p)-derivatives of their sums over j = 1, 3,
/// which is all the probe Jacobian needs. The substitution E = −s² removes
/// the square-root branch point at E = 0 (dE = −2s ds, g = e^(−ds)), so the
/// integrand is smooth in s; it is integrated by adaptive Gauss–Kronrod
/// (``GaussKronrod21``, bisected until each panel meets its share of the
/// tolerance) on [0, √(−W)], split at s = √(−ε_j) where a resonance lies
/// below the band bottom.
@usableFromInline
struct LorentzianBandBottomCorrection: VectorIntegrand, Sendable {
    /// Components: C₁⁽⁰⁾, C₃⁽⁰⁾, C₁⁽¹⁾, C₃⁽¹⁾, ∂_μp ΣC⁽⁰⁾, ∂_Tp ΣC⁽⁰⁾,
    /// and the parts of ∂_μp ΣC⁽¹⁾ (without its −ΣC⁽⁰⁾) and ∂_Tp ΣC⁽¹⁾.
    @usableFromInline typealias Vector = SIMD8<Double>

    let barrier1: LorentzianResonance, barrier3: LorentzianResonance
    let d: Double
    let muL: Double, tL: Double, muR: Double, tR: Double, muP: Double, tP: Double

    /// The integrand in s (E = −s²), including the Jacobian 2s.
    @usableFromInline @inline(__always)
    func callAsFunction(_ s: Double) -> Vector {
        let e = -s * s
        let weight = 2 * s * Self.oneMinusExpNegative(d * s)
        // 1 − f_k, accurate far below μ_k where f_k rounds to 1.
        let holesL = 1 / (1 + Double.exp((muL - e) / tL))
        let holesR = 1 / (1 + Double.exp((muR - e) / tR))
        let holesP = 1 / (1 + Double.exp((muP - e) / tP))
        let w1 = weight * barrier1.transmission(at: e)
        let w3 = weight * barrier3.transmission(at: e)
        let delta1 = holesP - holesL          // f_L − f_p
        let delta3 = holesP - holesR          // f_R − f_p
        let relative = e - muP
        // ∂(f_k − f_p)/∂μ_p = −f_p(1 − f_p)/T_p, ∂/∂T_p = that × (E − μ_p)/T_p.
        let dMu = -(1 - holesP) * holesP / tP
        let dT = dMu * relative / tP
        let wSum = w1 + w3
        return Vector(
            w1 * delta1, w3 * delta3,
            w1 * delta1 * relative, w3 * delta3 * relative,
            wSum * dMu, wSum * dT,
            wSum * dMu * relative, wSum * dT * relative)
    }

    /// 1 − e^(−x) for x ≥ 0: Taylor series below 0.1 (terms to x¹⁰, relative
    /// truncation below 3e-16), else directly (relative rounding ≤ 1e-15);
    /// libm's expm1 costs several times exp here.
    @usableFromInline @inline(__always)
    static func oneMinusExpNegative(_ x: Double) -> Double {
        guard x < 0.1 else { return 1 - Double.exp(-x) }
        var series = 1.0 / 3628800
        series = series * -x + 1.0 / 362880
        series = series * -x + 1.0 / 40320
        series = series * -x + 1.0 / 5040
        series = series * -x + 1.0 / 720
        series = series * -x + 1.0 / 120
        series = series * -x + 1.0 / 24
        series = series * -x + 1.0 / 6
        series = series * -x + 1.0 / 2
        series = series * -x + 1
        return x * series
    }

    /// The correction over [0, upper] in s, to an absolute tolerance on the
    /// weighted maximum norm of the error estimate.
    func integrate(upper: Double, tolerance: Double, weights: Vector) -> Vector {
        // Interior breakpoints at the resonances below the band bottom.
        let b1 = barrier1.energy < 0 ? (-barrier1.energy).squareRoot() : upper
        let b3 = barrier3.energy < 0 ? (-barrier3.energy).squareRoot() : upper
        let first = min(b1, b3, upper), second = min(max(b1, b3), upper)
        var total = Vector.zero
        if first > 0 {
            total += adaptive(0, first, tolerance: tolerance * first / upper, weights: weights, depth: 0)
        }
        if second > first {
            total += adaptive(first, second, tolerance: tolerance * (second - first) / upper, weights: weights, depth: 0)
        }
        if upper > second {
            total += adaptive(second, upper, tolerance: tolerance * (upper - second) / upper, weights: weights, depth: 0)
        }
        return total
    }

    /// Recursive bisection until the Kronrod–Gauss difference meets the
    /// panel's share of the tolerance, or the rounding floor of the panel
    /// (1e-14 of ∫|g| over it: smaller estimates are rounding noise), or 24
    /// levels.
    private func adaptive(_ a: Double, _ b: Double, tolerance: Double, weights: Vector, depth: Int) -> Vector {
        let panel = GaussKronrod21.segment(self, lower: a, upper: b)
        let error = (panel.error * weights).max()
        if error <= tolerance || error <= 1e-14 * (panel.magnitude * weights).max() || depth >= 24 {
            return panel.value
        }
        let middle = 0.5 * (a + b)
        return adaptive(a, middle, tolerance: 0.5 * tolerance, weights: weights, depth: depth + 1)
            + adaptive(middle, b, tolerance: 0.5 * tolerance, weights: weights, depth: depth + 1)
    }
}
