// The λ = 1 device without screening in closed form: probe residuals, their
// analytic Jacobian and the lead currents from a few digamma evaluations.

import ComplexModule
import RealModule

/// The device of docs/physics.md §0 at λ = 1 without screening (U = 0), in closed form.
///
/// At λ = 1 nothing crosses region 2 coherently: composing the §0
/// S-matrices with a = 0, b = 1, a wave from L crosses barrier 1 and half of
/// region 2 and leaves through probe channel p1 (the probe scatterer sends the
/// left side into p1 without reflection), so
///
///     S_{p1,L} = t₁ e^(iφ/2),   S_{p2,R} = t₃ e^(iφ/2),   S_{R,L} = 0,
///     T_pL = T_Lp = |t₁|² g(E),  T_pR = T_Rp = |t₃|² g(E),
///     g(E) = |e^(iφ)| = 1 for E ≥ 0,  e^(−d√(−E)) for E < 0,
///
/// with |t_α|² = 𝒯_α(E) = Γ_α²/((E − ε_α)² + Γ_α²). The currents of §0
/// (spin factor 2, h = 1) are then
///
///     I_L = 2 ∫ 𝒯₁ g (f_L − f_p),   J_L = 2 ∫ (E − μ) 𝒯₁ g (f_L − f_p),
///     I_R = 2 ∫ 𝒯₃ g (f_R − f_p),   J_R = 2 ∫ (E − μ) 𝒯₃ g (f_R − f_p),
///     I_p = −2 Σ_j ∫ 𝒯_j g (f_j − f_p),   J_p = −2 Σ_j ∫ (E − μ_p) 𝒯_j g (f_j − f_p),
///
/// (j = 1 with lead L, j = 3 with lead R), so I_L + I_R + I_p = 0 and
/// Σ (J_k + μ_k I_k) = 0 exactly. Each integral is the whole-axis closed form
/// of ``LorentzianFermiIntegrals`` (g = 1) minus the band-bottom correction
/// ∫_W^0 𝒯_j (1 − g)(f_j − f_p) (``LorentzianBandBottom``); beyond the §0
/// window the integrands are below e^−40 and are not counted.
///
/// Each ``evaluate(muP:tP:)`` costs two χ-difference evaluations (one per
/// barrier, ~10 complex reciprocals each) plus, where it matters, the
/// band-bottom quadrature. Nothing allocates.
public struct LorentzianProbeDevice: Sendable, Hashable {
    /// Barrier 1 (ε₁, Γ₁), next to lead L.
    public let barrier1: LorentzianResonance
    /// Barrier 3 (ε₃, Γ₃), next to lead R.
    public let barrier3: LorentzianResonance
    /// The leads' chemical potential μ.
    public let mu: Double
    /// The length d of region 2 (ħ/√(2m k_B T)); only enters below the band bottom.
    public let d: Double
    /// T_L and T_R.
    public let leftTemperature: Double, rightTemperature: Double
    /// How the band bottom is treated (the device of docs/physics.md §0 unless `.infinitelyDeep`).
    public let bandBottom: LorentzianBandBottom

    @usableFromInline let left1: LorentzianTerminalTerm
    @usableFromInline let right3: LorentzianTerminalTerm

    /// The device with resonances (ε₁, Γ₁), (ε₃, Γ₃), Γ > 0, leads at μ with
    /// temperatures T_L, T_R > 0, and region 2 of length d > 0. Not
    /// validated here (``DiodeSolver`` validates its parameters): Γ ≤ 0 or
    /// T ≤ 0 give NaN evaluations, which the solver reports as `.nonFinite`.
    public init(
        eps1: Double, gamma1: Double, eps3: Double, gamma3: Double,
        mu: Double, d: Double, leftTemperature: Double, rightTemperature: Double,
        bandBottom: LorentzianBandBottom = .automatic
    ) {
        barrier1 = LorentzianResonance(energy: eps1, width: gamma1)
        barrier3 = LorentzianResonance(energy: eps3, width: gamma3)
        self.mu = mu
        self.d = d
        self.leftTemperature = leftTemperature
        self.rightTemperature = rightTemperature
        self.bandBottom = bandBottom
        left1 = LorentzianTerminalTerm(barrier1, mu: mu, temperature: leftTemperature)
        right3 = LorentzianTerminalTerm(barrier3, mu: mu, temperature: rightTemperature)
    }

    /// The probe residuals (I_p, J_p), their Jacobian with respect to
    /// (μ_p, T_p), and the lead currents, at probe state (μ_p, T_p > 0).
    ///
    /// With A_j = ∫ 𝒯_j g (f_j − f_p) and B_j = ∫ (E − μ_p) 𝒯_j g (f_j − f_p):
    ///
    ///     I_p = −2 (A₁ + A₃),   J_p = −2 (B₁ + B₃),
    ///     ∂I_p/∂x = −2 Σ_j ∂A_j/∂x,   ∂J_p/∂μ_p = −2 Σ_j (∂B_j/∂μ_p|_(E−μ_p fixed) − A_j),
    ///
    /// the infinite-band parts from ψ, ψ′ (``LorentzianFermiIntegrals``),
    /// the band-bottom parts by quadrature in s = √(−E).
    public func evaluate(muP: Double, tP: Double) -> LorentzianProbeEvaluation {
        evaluate(muP: muP, tP: tP, includingBandBottom: true)
    }

    /// ``evaluate(muP:tP:)``, optionally on the infinitely deep band (the
    /// solver's cheap first phase).
    func evaluate(muP: Double, tP: Double, includingBandBottom: Bool) -> LorentzianProbeEvaluation {
        let probe1 = LorentzianTerminalTerm(barrier1, mu: muP, temperature: tP)
        let probe3 = LorentzianTerminalTerm(barrier3, mu: muP, temperature: tP)
        let side1 = LorentzianFermiIntegrals(resonance: barrier1, a: left1, b: probe1)
        let side3 = LorentzianFermiIntegrals(resonance: barrier3, a: right3, b: probe3)

        var a1 = side1.zeroth, a3 = side3.zeroth
        var b1 = side1.firstMoment(about: muP), b3 = side3.firstMoment(about: muP)
        var leftMoment = side1.firstMoment(about: mu), rightMoment = side3.firstMoment(about: mu)
        var gradientA = side1.zerothGradient + side3.zerothGradient
        var gradientB = side1.firstMomentGradient(about: muP) + side3.firstMomentGradient(about: muP)

        let widest = max(leftTemperature, rightTemperature, tP)
        let scale = max(abs(a1) + abs(a3), (abs(b1) + abs(b3)) / widest)
        let windowLow = min(mu, muP) - 40 * widest
        var integrated = false
        if includingBandBottom && bandBottom != .infinitelyDeep && windowLow < 0
            && (bandBottom == .always || correctionBound(muP: muP, tP: tP, widest: widest) > 1e-15 * scale) {
            let correction = LorentzianBandBottomCorrection(
                barrier1: barrier1, barrier3: barrier3, d: d,
                muL: mu, tL: leftTemperature, muR: mu, tR: rightTemperature, muP: muP, tP: tP)
            let weights = SIMD8<Double>(1, 1, 1 / widest, 1 / widest, tP, tP, tP / widest, tP / widest)
            let c = correction.integrate(upper: (-windowLow).squareRoot(), tolerance: 1e-14 * scale, weights: weights)
            a1 -= c[0]; a3 -= c[1]
            b1 -= c[2]; b3 -= c[3]
            leftMoment -= c[2] + (muP - mu) * c[0]
            rightMoment -= c[3] + (muP - mu) * c[1]
            gradientA -= SIMD2(c[4], c[5])
            gradientB -= SIMD2(c[6], c[7])
            integrated = true
        }
        // The reference of B_j is μ_p itself: ∂B_j/∂μ_p gains −A_j.
        gradientB.x -= a1 + a3
        let particleFlow = 2 * (abs(a1) + abs(a3)), heatFlow = 2 * (abs(b1) + abs(b3))

        return LorentzianProbeEvaluation(
            probeParticleCurrent: -2 * (a1 + a3),
            probeHeatCurrent: -2 * (b1 + b3),
            probeParticleGradient: -2 * gradientA,
            probeHeatGradient: -2 * gradientB,
            leftParticleCurrent: 2 * a1,
            leftHeatCurrent: 2 * leftMoment,
            rightParticleCurrent: 2 * a3,
            rightHeatCurrent: 2 * rightMoment,
            residualScale: SIMD2(particleFlow + heatFlow / widest, heatFlow + widest * particleFlow),
            bandBottomIntegrated: integrated)
    }

    /// A rigorous bound on every component of the band-bottom correction
    /// (weighted as in the quadrature): for E ≤ 0 < μ_k,
    /// 1 − f_k(E) ≤ e^((E − μ_k)/T_k), so ∫_{−∞}^0 |f_j − f_p| (1 + |E − μ_p|/T_w) dE
    /// ≤ Σ_{k = j, p} T_k e^(−μ_k/T_k) (1 + (|μ_p| + T_k)/T_w), times
    /// max_{E ≤ 0} 𝒯_j (1 when ε_j ≤ 0) and (1 + T_w/T_p) for the derivatives.
    func correctionBound(muP: Double, tP: Double, widest: Double) -> Double {
        guard mu > 0 && muP > 0 else { return .infinity }
        func tail(_ mu: Double, _ t: Double) -> Double {
            t * Double.exp(-mu / t) * (1 + (abs(muP) + t) / widest)
        }
        func peak(_ r: LorentzianResonance) -> Double {
            r.energy <= 0 ? 1 : r.transmission(at: 0)
        }
        let probeTail = tail(muP, tP)
        let bound1 = peak(barrier1) * (tail(mu, leftTemperature) + probeTail)
        let bound3 = peak(barrier3) * (tail(mu, rightTemperature) + probeTail)
        return (bound1 + bound3) * (1 + widest / tP)
    }
}

/// The λ = 1 closed-form currents at one probe state (docs/physics.md §0 units:
/// particle currents in k_B T/h, heat currents in (k_B T)²/h, spin included).
public struct LorentzianProbeEvaluation: Sendable, Hashable {
    /// I_p = ∫ 𝓘_p dE, 𝓘_p = 2 Σ_{k = L, R} T_kp (f_p − f_k): zero at the solution.
    public var probeParticleCurrent: Double
    /// J_p = ∫ (E − μ_p) 𝓘_p dE: zero at the solution.
    public var probeHeatCurrent: Double
    /// (∂I_p/∂μ_p, ∂I_p/∂T_p).
    public var probeParticleGradient: SIMD2<Double>
    /// (∂J_p/∂μ_p, ∂J_p/∂T_p).
    public var probeHeatGradient: SIMD2<Double>
    /// I_L = 2 ∫ T_pL (f_L − f_p) dE, the reported particle current I.
    public var leftParticleCurrent: Double
    /// J_L = 2 ∫ (E − μ) T_pL (f_L − f_p) dE, the reported heat current J.
    public var leftHeatCurrent: Double
    /// I_R = 2 ∫ T_pR (f_R − f_p) dE.
    public var rightParticleCurrent: Double
    /// J_R = 2 ∫ (E − μ) T_pR (f_R − f_p) dE.
    public var rightHeatCurrent: Double
    /// The magnitudes of what cancels in the residuals, s_I = F_I + F_J/T_w and
    /// s_J = F_J + T_w F_I, with the gross flows F_I = |I_L| + |I_R|,
    /// F_J = 2|B₁| + 2|B₃| (B_j the two contributions to J_p) and
    /// T_w = max(T_L, T_R, T_p). Mixing both flows keeps each scale nonzero
    /// where one kind of flow vanishes by symmetry (I_L = I_R = 0 at
    /// ε₁ = ε₃ = μ).
    public var residualScale: SIMD2<Double>
    /// Whether the band-bottom correction was integrated (else it is below
    /// 1e-15 of the currents' scale, or the band is infinitely deep).
    public var bandBottomIntegrated: Bool

    /// max(|I_p|/s_I, |J_p|/s_J): the residuals relative to the flows that
    /// cancel in them (``residualScale``; 0 where everything vanishes).
    public var scaledResidual: Double {
        func ratio(_ value: Double, _ scale: Double) -> Double {
            value == 0 ? 0 : abs(value) / scale
        }
        return max(ratio(probeParticleCurrent, residualScale.x), ratio(probeHeatCurrent, residualScale.y))
    }
}
