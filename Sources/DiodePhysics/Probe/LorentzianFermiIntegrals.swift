// Closed forms of Lorentzian transmissions times differences of Fermi
// functions, on the whole energy axis, through the complex digamma function.
//
// ## Derivation
// Write the Lorentzian through its complex pole z₀ = ε + iΓ:
//
//     𝒯(E) = Γ² / ((E − ε)² + Γ²) = Γ  Im 1/(E − z₀),
//     (E − ε) 𝒯(E)               = Γ² Re 1/(E − z₀).
//
// So both integrals are the imaginary and real parts of one complex
// integral, Ω = ∫ [f_a(E) − f_b(E)] / (E − z₀) dE, which converges
// absolutely because f_a − f_b decays exponentially on both sides:
//
//     A = ∫ 𝒯 (f_a − f_b) dE         = Γ  Im Ω,
//     M = ∫ (E − ε) 𝒯 (f_a − f_b) dE = Γ² Re Ω.
//
// Split each Fermi function against the step θ(μ_j − E) and a common
// reference c: ∫ [θ(μ_a − E) − θ(μ_b − E)]/(E − z₀) dE = log((μ_a − z₀)/(μ_b − z₀)),
// and, with E = μ + T v and ζ = (z₀ − μ)/T,
//
//     K(ζ) = ∫ [f(v) − θ(−v)] / (v − ζ) dv = ψ(1/2 + u) − log u,
//     u = −iζ/(2π) = (Γ − i(ε − μ)) / (2πT),   Re u > 0.
//
// (Expand f(v) − 1/2 = −Σ_{n≥0} 2v/(v² + (2n+1)²π²), integrate each term
// against 1/(v − ζ) by residues in the upper half plane and compare with
// ψ(w) = −γ + Σ_n [1/(n+1) − 1/(n+w)]; the constant follows from K → 0 as
// |ζ| → ∞.) With μ_j − z₀ = −i(Γ − i(ε − μ_j)) = −i·2πT_j u_j, the logarithms
// combine and, with χ(u) = ψ(1/2 + u) − log u
// (``ComplexPolygamma/halfShiftedRemainder(_:)``),
//
//     Ω = χ(u_a) − χ(u_b) + log( (Γ − i(ε − μ_a)) / (Γ − i(ε − μ_b)) )
//       = ψ(1/2 + u_a) − ψ(1/2 + u_b) + log(T_a/T_b).
//
// The first form is the one evaluated: χ → 1/(24u²) for |u| ≫ 1, the
// logarithm is log(1 + δ) with δ = i(μ_a − μ_b)/(Γ − i(ε − μ_b)), and the χ
// difference is taken in a form proportional to u_a − u_b
// (``ComplexPolygamma/halfShiftedRemainderDifference(_:_:difference:)``),
// so Ω keeps its relative accuracy even when Γ ≫ T or terminal a nearly
// coincides with b. (Im Ω with T_a = T_b
// reproduces the textbook occupation n = 1/2 + Im ψ(1/2 + u)/π of a
// Lorentzian level, and the zero-temperature limit ψ → log.)
//
// Derivatives with respect to the parameters of terminal b, with
// ψ′(1/2 + u) = χ′(u) + 1/u and ∂u_b/∂μ_b = i/(2πT_b), ∂u_b/∂T_b = −u_b/T_b:
//
//     ∂Ω/∂μ_b = −i ψ′(1/2 + u_b) / (2πT_b),
//     ∂Ω/∂T_b =  χ′(u_b) u_b / T_b        (= (u_b ψ′(1/2 + u_b) − 1)/T_b).

import ComplexModule
import RealModule

/// A Breit–Wigner resonance seen as a transmission probability,
/// 𝒯(E) = Γ² / ((E − ε)² + Γ²) (|t_α|² of docs/physics.md §0 with x_α = E − ε_α).
public struct LorentzianResonance: Sendable, Hashable, Codable {
    /// The resonance energy ε (k_B T).
    public var energy: Double
    /// The half width Γ > 0 (k_B T).
    public var width: Double

    /// A resonance at `energy` ε with half width `width` Γ > 0.
    @inlinable
    public init(energy: Double, width: Double) {
        self.energy = energy
        self.width = width
    }

    /// 𝒯(E) = Γ² / ((E − ε)² + Γ²).
    @inlinable
    public func transmission(at e: Double) -> Double {
        let x = e - energy
        return width * width / (x * x + width * width)
    }
}

/// One terminal's view of a resonance: u = (Γ − i(ε − μ))/(2πT) and what
/// it is made of.
@usableFromInline
struct LorentzianTerminalTerm: Sendable, Hashable {
    /// μ and T of the terminal.
    @usableFromInline let mu: Double, temperature: Double
    /// Γ − i(ε − μ) = 2πT u.
    @usableFromInline let detuning: Complex<Double>
    /// u = (Γ − i(ε − μ)) / (2πT).
    @usableFromInline let u: Complex<Double>

    @inlinable
    init(_ resonance: LorentzianResonance, mu: Double, temperature: Double) {
        self.mu = mu
        self.temperature = temperature
        detuning = Complex(resonance.width, mu - resonance.energy)
        u = detuning.multiplied(by: 1 / (2 * Double.pi * temperature))
    }

    /// Ω(a, b) = χ(u_a) − χ(u_b) + log(1 + i(μ_a − μ_b)/(Γ − i(ε − μ_b))), with
    /// `self` as a, and its gradient with respect to (μ_b, T_b),
    /// ∂Ω/∂μ_b = −i ψ′(1/2 + u_b)/(2πT_b), ∂Ω/∂T_b = χ′(u_b) u_b / T_b.
    ///
    /// The χ difference is taken with
    /// u_a − u_b = u_a (T_b − T_a)/T_b + i(μ_a − μ_b)/(2πT_b), exact in the
    /// differences of the terminals' parameters, so Ω keeps its relative
    /// accuracy when the two terminals nearly coincide.
    @inlinable
    func omega(minus b: LorentzianTerminalTerm) -> (value: Complex<Double>, mu: Complex<Double>, temperature: Complex<Double>) {
        let inverseTb = 1 / b.temperature
        let du = u.multiplied(by: (b.temperature - temperature) * inverseTb)
            + Complex(0, (mu - b.mu) * inverseTb / (2 * Double.pi))
        let (difference, remainderDerivative) = ComplexPolygamma.halfShiftedRemainderDifference(u, b.u, difference: du)
        let delta = Complex(0, mu - b.mu) * ComplexPolygamma.reciprocal(b.detuning)
        let value = difference + Complex.log(onePlus: delta)
        let trigamma = remainderDerivative + ComplexPolygamma.reciprocal(b.u)
        let dMu = Complex(trigamma.imaginary, -trigamma.real).multiplied(by: inverseTb / (2 * Double.pi))
        let dT = (remainderDerivative * b.u).multiplied(by: inverseTb)
        return (value, dMu, dT)
    }
}

/// The two Lorentzian Fermi integrals over the whole energy axis,
///
///     A = ∫ 𝒯(E) [f_a(E) − f_b(E)] dE          = Γ  Im Ω,
///     M = ∫ (E − ε) 𝒯(E) [f_a(E) − f_b(E)] dE  = Γ² Re Ω,
///     Ω = ψ(1/2 + u_a) − ψ(1/2 + u_b) + log(T_a/T_b),
///     u_j = (Γ − i(ε − μ_j)) / (2π T_j),
///
/// with 𝒯(E) = Γ²/((E − ε)² + Γ²) and f_j(E) = 1/(1 + exp((E − μ_j)/T_j)),
/// and their gradients with respect to (μ_b, T_b), from ψ′:
///
///     ∂Ω/∂μ_b = −i ψ′(1/2 + u_b) / (2πT_b),   ∂Ω/∂T_b = (u_b ψ′(1/2 + u_b) − 1) / T_b.
///
/// (∫ E 𝒯 f alone diverges logarithmically; the difference converges.)
/// See the derivation at the top of LorentzianFermiIntegrals.swift.
/// Energy moments about any reference follow from A and M:
/// ∫ (E − μ_r) 𝒯 (f_a − f_b) dE = (ε − μ_r) A + M (``firstMoment(about:)``).
public struct LorentzianFermiIntegrals: Sendable, Hashable {
    /// The resonance (ε, Γ).
    public var resonance: LorentzianResonance
    /// A = ∫ 𝒯 (f_a − f_b) dE.
    public var zeroth: Double
    /// M = ∫ (E − ε) 𝒯 (f_a − f_b) dE.
    public var centred: Double
    /// (∂A/∂μ_b, ∂A/∂T_b).
    public var zerothGradient: SIMD2<Double>
    /// (∂M/∂μ_b, ∂M/∂T_b).
    public var centredGradient: SIMD2<Double>

    /// The integrals for terminals a = (μ_a, T_a) and b = (μ_b, T_b), both
    /// temperatures > 0 and Γ > 0.
    @inlinable
    public init(
        resonance: LorentzianResonance,
        muA: Double, temperatureA: Double,
        muB: Double, temperatureB: Double
    ) {
        let a = LorentzianTerminalTerm(resonance, mu: muA, temperature: temperatureA)
        let b = LorentzianTerminalTerm(resonance, mu: muB, temperature: temperatureB)
        self.init(resonance: resonance, a: a, b: b)
    }

    @inlinable
    init(resonance: LorentzianResonance, a: LorentzianTerminalTerm, b: LorentzianTerminalTerm) {
        self.resonance = resonance
        let gamma = resonance.width
        let (omega, dMu, dT) = a.omega(minus: b)
        zeroth = gamma * omega.imaginary
        centred = gamma * gamma * omega.real
        let gradient = (mu: dMu, temperature: dT)
        zerothGradient = SIMD2(gradient.mu.imaginary, gradient.temperature.imaginary) * gamma
        centredGradient = SIMD2(gradient.mu.real, gradient.temperature.real) * (gamma * gamma)
    }

    /// ∫ (E − μ_r) 𝒯 (f_a − f_b) dE = (ε − μ_r) A + M.
    @inlinable
    public func firstMoment(about reference: Double) -> Double {
        (resonance.energy - reference) * zeroth + centred
    }

    /// (∂/∂μ_b, ∂/∂T_b) of ``firstMoment(about:)`` with the reference μ_r
    /// held fixed: (ε − μ_r) ∇A + ∇M. When the reference is μ_b itself, add
    /// (−A, 0).
    @inlinable
    public func firstMomentGradient(about reference: Double) -> SIMD2<Double> {
        zerothGradient * (resonance.energy - reference) + centredGradient
    }
}
