import ComplexModule
import RealModule

// Closed-form screening spectra at the paper's two limits λ = 0 and λ = 1.
//
// The generic path (``ScatteringModel/matrixWithCurvatures(energy:potentials:)``
// and ``ScreeningSpectrum/init(_:coherent:thermalised:)``) multiplies full
// nine-component ``CurvatureJet``s, most of whose components vanish
// structurally: barrier 1's amplitudes depend only on U₁, barrier 3's only on
// U₃ and the half-phase factor w = e^{iφ/2} only on U₂. Here every varying
// element and its derivatives are written with the chain rule through its
// dependence on the single-variable factors, so no structurally zero
// component is ever multiplied. The generic path stays the reference (the
// tests compare both at random points) and serves 0 < λ < 1.
//
// Nothing below divides by r_α, t_α or w: r₁ vanishes at x₁ = 0 and w decays
// (real) below the band bottom E < U₂, where S is not unitary; the only
// division is by Δ = 1 − r₁ r₃ z², with |Δ| ≥ 1 − |r₁ r₃| > 0.

/// The single-variable factors of the device matrix at one (E, U) and their
/// derivatives: t_α, r_α = 1 + t_α with ∂/∂U_α and ∂²/∂U_α² (the same for
/// r_α and t_α), and w = e^{iφ/2} with ∂w/∂U₂ (λ = 1; at λ = 0 only
/// z = w² enters, see ``ScatteringModel/fullPhase(energy:u2:)``).
@frozen
@usableFromInline
struct BarrierFactors {
    @usableFromInline var t1, r1, dt1, ddt1: Complex<Double>
    @usableFromInline var t3, r3, dt3, ddt3: Complex<Double>
    @usableFromInline var w, dw: Complex<Double>

    /// Without `curvatures`, `ddt1` and `ddt3` are left zero; without
    /// `halfPhase`, `w` and `dw`.
    @inlinable @inline(__always)
    init(_ model: ScatteringModel, energy e: Double, potentials u: SIMD3<Double>, curvatures: Bool,
         halfPhase: Bool) {
        let x1 = e - model.eps1 - u[0]
        let x3 = e - model.eps3 - u[2]
        (t1, r1) = ScatteringModel.barrier(x: x1, gamma: model.gamma1)
        (t3, r3) = ScatteringModel.barrier(x: x3, gamma: model.gamma3)
        dt1 = ScatteringModel.barrierDerivative(x: x1, gamma: model.gamma1)
        dt3 = ScatteringModel.barrierDerivative(x: x3, gamma: model.gamma3)
        if curvatures {
            ddt1 = ScatteringModel.barrierSecondDerivative(x: x1, gamma: model.gamma1)
            ddt3 = ScatteringModel.barrierSecondDerivative(x: x3, gamma: model.gamma3)
        } else {
            ddt1 = .zero
            ddt3 = .zero
        }
        if halfPhase {
            w = model.halfPhase(energy: e, u2: u[1])
            dw = model.halfPhaseDerivative(energy: e, u2: u[1], halfPhase: w)
        } else {
            w = .zero
            dw = .zero
        }
    }
}

/// Im(S* ∂S) of one element over α = 1, 2, 3, from its value and gradient.
@inlinable @inline(__always)
func phaseSensitivity(_ v: Complex<Double>, _ d1: Complex<Double>, _ d2: Complex<Double>,
                      _ d3: Complex<Double>) -> SIMD3<Double> {
    SIMD3(imaginaryOfConjugateProduct(v, d1), imaginaryOfConjugateProduct(v, d2),
          imaginaryOfConjugateProduct(v, d3))
}

extension ScatteringModel {
    // MARK: Dispatch

    /// ν_jα(E, U) from the exact derivatives of the device matrix: closed
    /// forms at λ = 0 and λ = 1, the generic first-order jets otherwise.
    @inlinable
    public func injectivities(energy e: Double, potentials u: SIMD3<Double> = .zero) -> Injectivities {
        if b == 0 { return coherentInjectivities(energy: e, potentials: u) }
        if a == 0 { return thermalisedInjectivities(energy: e, potentials: u) }
        return genericInjectivities(energy: e, potentials: u)
    }

    /// ν_jα(E, U) and its derivatives ∂/∂U₁ and ∂/∂U₃, the transmissions and
    /// their gradients: everything the screening Newton step needs at one
    /// energy. Closed forms at λ = 0 and λ = 1, the generic second-order
    /// jets otherwise.
    @inlinable
    public func screeningSpectrum(energy e: Double, potentials u: SIMD3<Double>) -> ScreeningSpectrum {
        if b == 0 { return coherentScreeningSpectrum(energy: e, potentials: u) }
        if a == 0 { return thermalisedScreeningSpectrum(energy: e, potentials: u) }
        return genericScreeningSpectrum(energy: e, potentials: u)
    }

    /// ``injectivities(energy:potentials:)`` through the generic composition
    /// with ``AmplitudeJet`` (any λ; the reference for the closed forms).
    @inlinable
    public func genericInjectivities(energy e: Double, potentials u: SIMD3<Double> = .zero) -> Injectivities {
        matrixWithDerivatives(energy: e, potentials: u).injectivities
    }

    /// ``screeningSpectrum(energy:potentials:)`` through the device matrix
    /// with ``CurvatureJet`` (any λ; the reference for the closed forms).
    @inlinable
    public func genericScreeningSpectrum(energy e: Double, potentials u: SIMD3<Double>) -> ScreeningSpectrum {
        // At λ = 0 and λ = 1 the elements that vanish (or are constant)
        // identically are skipped.
        ScreeningSpectrum(matrixWithCurvatures(energy: e, potentials: u), coherent: b == 0, thermalised: a == 0)
    }

    // MARK: λ = 0

    /// z = w² = e^{iφ} for the whole of region 2 and ∂z/∂U₂ = i z ∂φ/∂U₂:
    /// −i d z/(2k) for E > U₂ (k = √(E − U₂)), −d z/(2κ) below the band
    /// bottom (z = e^{−dκ}, κ = √(U₂ − E)). Singular like 1/√|E − U₂| at
    /// the band bottom, as ``halfPhaseDerivative(energy:u2:halfPhase:)``.
    @inlinable @inline(__always)
    public func fullPhase(energy e: Double, u2: Double) -> (z: Complex<Double>, dz: Complex<Double>) {
        let kinetic = e - u2
        if kinetic >= 0 {
            let k = kinetic.squareRoot()
            let phi = d * k
            let (s, c) = FastElementary.sinCos(phi)     // one reduction for both
            let factor = d / (2 * k)
            return (Complex(c, s), Complex(s * factor, -c * factor))
        } else {
            let kappa = (-kinetic).squareRoot()
            let z = FastElementary.exp(-d * kappa)
            return (Complex(z, 0), Complex(-d * z / (2 * kappa), 0))
        }
    }

    /// The injectivities at λ = 0 (valid only when `b == 0`).
    ///
    /// With z = w², q = z², M = r₃q, K = r₁q, g = 1/Δ, Δ = 1 − r₁r₃q, the
    /// varying elements are
    ///
    ///     S_LL = r₁ + t₁² M g = (r₁(1 − 2M) + M) g    (Möbius in r₁ and in M)
    ///     S_RR = r₃ + t₃² K g
    ///     S_LR = t₁ t₃ z g
    ///
    /// with the partial derivatives (t₁ = r₁ − 1, gP = g − 1 for P = r₁M)
    ///
    ///     ∂S_LL/∂r₁ = (1 − M)² g²     ∂S_LL/∂M = t₁² g²
    ///     ∂S_LR/∂r₁ = t₃ z (1 − M) g²  ∂S_LR/∂r₃ = t₁ z (1 − K) g²
    ///     ∂S_LR/∂z  = t₁ t₃ g (2g − 1)
    ///
    /// and ∂/∂U_α by the chain rule through r_α(U_α), z(U₂). S_p1p2 = −1 is
    /// constant and every other element vanishes.
    ///
    /// Above the band bottom (E > U₂) the lead block [[S_LL, S_LR], [S_LR, S_RR]]
    /// is unitary and symmetric, so S_RR = −S̄_LL S_LR/S̄_LR and only S_LL
    /// and ln S_LR need derivatives (``unitaryCoherentInjectivities(energy:potentials:)``).
    @inlinable
    public func coherentInjectivities(energy e: Double, potentials u: SIMD3<Double> = .zero) -> Injectivities {
        if e - u[1] > 0 { return unitaryCoherentInjectivities(energy: e, potentials: u) }
        let f = BarrierFactors(self, energy: e, potentials: u, curvatures: false, halfPhase: false)
        let (t1, r1, dt1, t3, r3, dt3) = (f.t1, f.r1, f.dt1, f.t3, f.r3, f.dt3)
        let (z, dz) = fullPhase(energy: e, u2: u[1])
        let q = z * z, dq = (z * dz).scaled(by: 2)
        let m = r3 * q, k = r1 * q
        let g = Self.reciprocal(Complex(1) - r1 * m)
        let g2 = g * g
        let oneMinusM = Complex(1) - m, oneMinusK = Complex(1) - k
        // S_LL
        let t1g = t1 * t1 * g
        let llByM = t1g * g
        let ll = phaseSensitivity(r1 + t1g * m, oneMinusM * oneMinusM * g2 * dt1, llByM * (r3 * dq),
                                  llByM * (dt3 * q))
        // S_RR
        let t3g = t3 * t3 * g
        let rrByK = t3g * g
        let rr = phaseSensitivity(r3 + t3g * k, rrByK * (dt1 * q), rrByK * (r1 * dq),
                                  oneMinusK * oneMinusK * g2 * dt3)
        // S_LR
        let t1t3 = t1 * t3
        let zg2 = z * g2
        let lr = phaseSensitivity(t1t3 * z * g, t3 * zg2 * oneMinusM * dt1,
                                  t1t3 * g * (g.scaled(by: 2) - Complex(1)) * dz, t1 * zg2 * oneMinusK * dt3)
        let factor = -1 / (2 * Double.pi)
        return Injectivities(left: factor * (ll + lr), right: factor * (lr + rr), probe: .zero)
    }

    /// ``coherentInjectivities(energy:potentials:)`` above the band bottom
    /// (E > U₂, λ = 0), from unitarity. With a = S_LL, b = S_LR, c = S_RR,
    /// unitarity and symmetry give āb + b̄c = 0, so c = −āb/b̄, |c| = |a| and
    ///
    ///     Im(c̄ ∂c) = |a|² Im(∂ ln c) = −Im(ā ∂a) + 2|a|² Im(∂ ln b).
    ///
    /// With A_α = Im(ā ∂_α a) and B_α = Im(∂_α ln b), −2π ν_Lα = A_α + |b|² B_α
    /// and −2π ν_Rα = |b|² B_α + Im(c̄ ∂_α c) = −A_α + (|b|² + 2|a|²) B_α.
    /// ln b = ln t₁ + ln t₃ + ln z + ln g has the derivatives
    ///
    ///     ∂_α ln t_α = 1/(x_α + iΓ_α)  (Im = −Γ_α/(x_α² + Γ_α²)),
    ///     ∂₂ ln z = −i d/(2k),  ∂ ln g = g ∂(r₁r₃q):
    ///     g t₁′M, g r₁r₃q′, g K t₃′  for α = 1, 2, 3
    ///
    /// (t′ = ∂t/∂U, M = r₃q, K = r₁q as above): about half the complex
    /// products of the three elements' derivatives. Against the general
    /// composition to the closed forms' tolerance (`ScreeningLimitTests`).
    @inlinable @inline(__always)
    public func unitaryCoherentInjectivities(energy e: Double, potentials u: SIMD3<Double>) -> Injectivities {
        let f = BarrierFactors(self, energy: e, potentials: u, curvatures: false, halfPhase: false)
        let (t1, r1, dt1, t3, r3, dt3) = (f.t1, f.r1, f.dt1, f.t3, f.r3, f.dt3)
        // 1/(x² + Γ²) as ``barrier(x:gamma:)`` has it (the inlined division is shared).
        let x1 = e - eps1 - u[0], x3 = e - eps3 - u[2]
        let q1 = 1 / (x1 * x1 + gamma1 * gamma1), q3 = 1 / (x3 * x3 + gamma3 * gamma3)
        let (z, dz) = fullPhase(energy: e, u2: u[1])
        let q = z * z, dq = (z * dz).scaled(by: 2)
        let m = r3 * q, k = r1 * q
        let g = Self.reciprocal(Complex(1) - r1 * m)
        // a = S_LL and its derivatives.
        let t1Squared = t1 * t1
        let t1g = t1Squared * g, t1g2 = t1g * g
        let a = r1 + t1g * m
        let oneMinusM = Complex(1) - m
        let byU1 = oneMinusM * oneMinusM * (g * g) * dt1
        let byU2 = t1g2 * (r3 * dq)
        let byU3 = t1g2 * (q * dt3)
        let aSensitivity = SIMD3(imaginaryOfConjugateProduct(a, byU1), imaginaryOfConjugateProduct(a, byU2),
                                 imaginaryOfConjugateProduct(a, byU3))
        // Im ∂ ln b, b = S_LR = t₁t₃zg.
        let (_, logG1) = (g * dt1 * m).rawStorage
        let (_, logG2) = (g * r1 * r3 * dq).rawStorage
        let (_, logG3) = (g * k * dt3).rawStorage
        let logZ = imaginaryOfConjugateProduct(z, dz)   // Im(z̄ dz) = Im(dz/z), |z| = 1
        let bLog = SIMD3(logG1 - gamma1 * q1, logG2 + logZ, logG3 - gamma3 * q3)
        let aSquared = a.lengthSquared
        let bSquared = t1.lengthSquared * t3.lengthSquared * g.lengthSquared
        let factor = -1 / (2 * Double.pi)
        let lr = bSquared * bLog
        return Injectivities(left: factor * (aSensitivity + lr),
                             right: factor * (lr - aSensitivity + (2 * aSquared) * bLog), probe: .zero)
    }

    /// The partial densities of states ν_α = Σ_j ν_jα(E, U), α = 1, 2, 3
    /// (docs/physics.md §0, Eq. 6, summed over the terminals j).
    ///
    /// At λ = 0 above the band bottom (E ≥ U₂) the 2 × 2 lead block S is
    /// unitary, so Σ_j ν_jα = −(1/2π) Im Tr(S†∂_α S) = −(1/2π) Im ∂_α ln det S
    /// (the Krein–Friedel relation), and det S = N/Δ in closed form:
    ///
    ///     N = r₁r₃ − δ₁δ₃q,  Δ = 1 − r₁r₃q,  δ_α = det S_α = r_α² − t_α² = 1 + 2t_α,
    ///     ∂₁N = t₁′(r₃ − 2δ₃q),  ∂₁Δ = −t₁′r₃q,  ∂₂N = −δ₁δ₃q′,  ∂₂Δ = −r₁r₃q′
    ///
    /// (∂₃ by 1 ↔ 3; t′ = ∂t/∂U, q′ = ∂q/∂U₂), ν_α = −(1/2π) Im(∂_αN/N − ∂_αΔ/Δ),
    /// with |N| = |Δ| ≥ 1 − |r₁r₃| > 0. That is about a third of the
    /// arithmetic of the injectivities, and it is what N^eq and the edge
    /// terms of the charges integrate. Below the band bottom (w real and
    /// decaying, S not unitary) and for λ > 0 it is the sum of
    /// ``injectivities(energy:potentials:)``.
    @inlinable
    public func partialDensities(energy e: Double, potentials u: SIMD3<Double> = .zero) -> SIMD3<Double> {
        guard b == 0, e - u[1] >= 0 else { return injectivities(energy: e, potentials: u).total }
        let f = BarrierFactors(self, energy: e, potentials: u, curvatures: false, halfPhase: false)
        let (z, dz) = fullPhase(energy: e, u2: u[1])
        let one = Complex<Double>(1)
        let q = z * z, dq = (z * dz).scaled(by: 2)
        let delta1 = one + f.t1.scaled(by: 2), delta3 = one + f.t3.scaled(by: 2)
        let r1r3 = f.r1 * f.r3, delta1delta3 = delta1 * delta3
        let inverseN = Self.reciprocal(r1r3 - delta1delta3 * q)
        let inverseDelta = Self.reciprocal(one - r1r3 * q)
        // ∂_α ln det S = ∂_αN/N − ∂_αΔ/Δ.
        let byU1 = f.dt1 * (f.r3 - (delta3 * q).scaled(by: 2)) * inverseN + f.dt1 * f.r3 * q * inverseDelta
        let byU2 = r1r3 * dq * inverseDelta - delta1delta3 * dq * inverseN
        let byU3 = f.dt3 * (f.r1 - (delta1 * q).scaled(by: 2)) * inverseN + f.dt3 * f.r1 * q * inverseDelta
        let factor = -1 / (2 * Double.pi)
        let (_, y1) = byU1.rawStorage, (_, y2) = byU2.rawStorage, (_, y3) = byU3.rawStorage
        return factor * SIMD3(y1, y2, y3)
    }

    /// The screening spectrum at λ = 0 (valid only when `b == 0`); the
    /// formulas of ``coherentInjectivities(energy:potentials:)`` and their
    /// second partial derivatives:
    ///
    ///     S_LL: ∂²/∂r₁² = 2(1 − M)² g³ M,  ∂²/∂r₁∂M = 2(1 − M) t₁ g³,  ∂²/∂M² = 2 t₁² g³ r₁
    ///     S_LR: ∂²/∂r₁² = 2 (∂S/∂r₁) g M,  ∂²/∂r₁∂r₃ = z g² [(1 − M) + t₃(2gK(1 − M) − q)],
    ///           ∂²/∂r₁∂z = t₃ g² [(1 − M)(4g − 3) − 2M]
    ///
    /// (S_RR and the r₃ partials of S_LR by 1 ↔ 3, M ↔ K), and
    /// ∂²S/∂U_α∂U_β by the chain rule (r_α'' enters ∂²/∂U_α²).
    @inlinable
    public func coherentScreeningSpectrum(energy e: Double, potentials u: SIMD3<Double>) -> ScreeningSpectrum {
        let f = BarrierFactors(self, energy: e, potentials: u, curvatures: true, halfPhase: false)
        let (t1, r1, dt1, ddt1, t3, r3, dt3, ddt3) = (f.t1, f.r1, f.dt1, f.ddt1, f.t3, f.r3, f.dt3, f.ddt3)
        let one = Complex<Double>(1)
        let (z, dz) = fullPhase(energy: e, u2: u[1])
        let q = z * z, dq = (z * dz).scaled(by: 2)
        // The loop factor seen from barrier 1 (M = r₃q) and from barrier 3 (K = r₁q).
        let m = r3 * q, m2 = r3 * dq, m3 = dt3 * q
        let k = r1 * q, k2 = r1 * dq, k1 = dt1 * q
        let g = Self.reciprocal(one - r1 * m)
        let g2 = g * g, g3 = g2 * g
        let dt1Squared = dt1 * dt1, dt3Squared = dt3 * dt3
        let oneMinusM = one - m, oneMinusK = one - k

        // S_LL = F(r₁, M) and S_RR = F(r₃, K): the same function, with the
        // roles of regions 1 and 3 exchanged.
        let ll = Self.reflectionPartials(t: t1, r: r1, dt: dt1, ddt: ddt1, loop: m,
                                         loopByPhase: m2, loopByOther: m3, loopByPhaseOther: dt3 * dq,
                                         loopByOtherOther: ddt3 * q, g: g, g2: g2, g3: g3)
            .jet(ownRegion: 1)
        let rr = Self.reflectionPartials(t: t3, r: r3, dt: dt3, ddt: ddt3, loop: k,
                                         loopByPhase: k2, loopByOther: k1, loopByPhaseOther: dt1 * dq,
                                         loopByOtherOther: ddt1 * q, g: g, g2: g2, g3: g3)
            .jet(ownRegion: 3)

        // S_LR = t₁ t₃ z g.
        let t1t3 = t1 * t3
        let zg2 = z * g2
        let lrByR1 = t3 * zg2 * oneMinusM
        let lrByR3 = t1 * zg2 * oneMinusK
        let lrByZ = t1t3 * g * (g.scaled(by: 2) - one)
        let lrByR1R1 = (lrByR1 * g * m).scaled(by: 2)
        let lrByR3R3 = (lrByR3 * g * k).scaled(by: 2)
        let lrByR1R3 = zg2 * (oneMinusM + t3 * ((g * k * oneMinusM).scaled(by: 2) - q))
        let fourGMinusThree = g.scaled(by: 4) - Complex(3)
        let lrByR1Z = t3 * g2 * (oneMinusM * fourGMinusThree - m.scaled(by: 2))
        let lrByR3Z = t1 * g2 * (oneMinusK * fourGMinusThree - k.scaled(by: 2))
        let lr = CurvatureJet(
            value: t1t3 * z * g,
            d1: lrByR1 * dt1, d2: lrByZ * dz, d3: lrByR3 * dt3,
            d11: lrByR1R1 * dt1Squared + lrByR1 * ddt1,
            d12: lrByR1Z * dt1 * dz,
            d13: lrByR1R3 * dt1 * dt3,
            d23: lrByR3Z * dt3 * dz,
            d33: lrByR3R3 * dt3Squared + lrByR3 * ddt3)

        let sll = Self.phaseSensitivities(ll), slr = Self.phaseSensitivities(lr), srr = Self.phaseSensitivities(rr)
        let v = lr.value
        let factor = -1 / (2 * Double.pi)
        return ScreeningSpectrum(
            transmissions: TerminalTransmissions(leftRight: v.lengthSquared, leftProbe: 0, rightProbe: 0),
            leftRightGradient: 2 * SIMD3(realOfConjugateProduct(v, lr.d1), realOfConjugateProduct(v, lr.d2),
                                         realOfConjugateProduct(v, lr.d3)),
            leftProbeGradient: .zero, rightProbeGradient: .zero,
            injectivities: Injectivities(left: factor * (sll.phase + slr.phase),
                                         right: factor * (slr.phase + srr.phase), probe: .zero),
            injectivitiesByU1: Injectivities(left: factor * (sll.byU1 + slr.byU1),
                                             right: factor * (slr.byU1 + srr.byU1), probe: .zero),
            injectivitiesByU3: Injectivities(left: factor * (sll.byU3 + slr.byU3),
                                             right: factor * (slr.byU3 + srr.byU3), probe: .zero))
    }

    /// Im(S* ∂_α S) and its derivatives by U₁ and U₃ for one element:
    /// ∂_β Im(S* ∂_α S) = Im(∂_β S* ∂_α S) + Im(S* ∂_β ∂_α S), where
    /// Im(∂_β S* ∂_β S) = 0 (``ElementSensitivity`` without the unused parts).
    @inlinable @inline(__always)
    static func phaseSensitivities(_ s: CurvatureJet) -> (phase: SIMD3<Double>, byU1: SIMD3<Double>, byU3: SIMD3<Double>) {
        let v = s.value
        let v13 = imaginaryOfConjugateProduct(v, s.d13), d1d3 = imaginaryOfConjugateProduct(s.d1, s.d3)
        return (SIMD3(imaginaryOfConjugateProduct(v, s.d1), imaginaryOfConjugateProduct(v, s.d2),
                      imaginaryOfConjugateProduct(v, s.d3)),
                SIMD3(imaginaryOfConjugateProduct(v, s.d11),
                      imaginaryOfConjugateProduct(s.d1, s.d2) + imaginaryOfConjugateProduct(v, s.d12), d1d3 + v13),
                SIMD3(v13 - d1d3, imaginaryOfConjugateProduct(s.d3, s.d2) + imaginaryOfConjugateProduct(v, s.d23),
                      imaginaryOfConjugateProduct(v, s.d33)))
    }

    // MARK: λ = 1

    /// The injectivities at λ = 1 (valid only when `a == 0`): the varying
    /// elements are S_LL = r₁, S_Lp1 = t₁w, S_p1p1 = r₁z and S_RR = r₃,
    /// S_Rp2 = t₃w, S_p2p2 = r₃z, each a product of one barrier factor and
    /// one function of U₂; the other elements vanish.
    @inlinable
    public func thermalisedInjectivities(energy e: Double, potentials u: SIMD3<Double> = .zero) -> Injectivities {
        let f = BarrierFactors(self, energy: e, potentials: u, curvatures: false, halfPhase: true)
        let z = f.w * f.w, dz = (f.w * f.dw).scaled(by: 2)
        let ll = SIMD3(imaginaryOfConjugateProduct(f.r1, f.dt1), 0, 0)
        let rr = SIMD3(0, 0, imaginaryOfConjugateProduct(f.r3, f.dt3))
        let lp1 = phaseSensitivity(f.t1 * f.w, f.dt1 * f.w, f.t1 * f.dw, .zero)
        let rp2 = phaseSensitivity(f.t3 * f.w, .zero, f.t3 * f.dw, f.dt3 * f.w)
        let p1p1 = phaseSensitivity(f.r1 * z, f.dt1 * z, f.r1 * dz, .zero)
        let p2p2 = phaseSensitivity(f.r3 * z, .zero, f.r3 * dz, f.dt3 * z)
        let factor = -1 / (2 * Double.pi)
        return Injectivities(left: factor * (ll + lp1), right: factor * (rr + rp2),
                             probe: factor * (lp1 + rp2 + p1p1 + p2p2))
    }

    /// The screening spectrum at λ = 1 (valid only when `a == 0`), with the
    /// elements of ``thermalisedInjectivities(energy:potentials:)``. For an
    /// element S = A(U_α) B(U₂) only ∂_α, ∂₂, ∂²_α and ∂_α∂₂ are non-zero.
    @inlinable
    public func thermalisedScreeningSpectrum(energy e: Double, potentials u: SIMD3<Double>) -> ScreeningSpectrum {
        let f = BarrierFactors(self, energy: e, potentials: u, curvatures: true, halfPhase: true)
        let z = f.w * f.w, dz = (f.w * f.dw).scaled(by: 2)
        let ll = SeparableSensitivity(f.r1, f.dt1, f.ddt1)
        let lp1 = SeparableSensitivity(f.t1, f.dt1, f.ddt1, times: f.w, f.dw)
        let p1p1 = SeparableSensitivity(f.r1, f.dt1, f.ddt1, times: z, dz)
        let rr = SeparableSensitivity(f.r3, f.dt3, f.ddt3)
        let rp2 = SeparableSensitivity(f.t3, f.dt3, f.ddt3, times: f.w, f.dw)
        let p2p2 = SeparableSensitivity(f.r3, f.dt3, f.ddt3, times: z, dz)
        let factor = -1 / (2 * Double.pi)
        // (phase over α with the barrier's own derivative in slot `barrier`.)
        func onBarrier1(_ s: SeparableSensitivity) -> SIMD3<Double> { SIMD3(s.phaseByBarrier, s.phaseByU2, 0) }
        func onBarrier3(_ s: SeparableSensitivity) -> SIMD3<Double> { SIMD3(0, s.phaseByU2, s.phaseByBarrier) }
        func byBarrier1(_ s: SeparableSensitivity) -> SIMD3<Double> { SIMD3(s.barrierPhaseByBarrier, s.u2PhaseByBarrier, 0) }
        func byBarrier3(_ s: SeparableSensitivity) -> SIMD3<Double> { SIMD3(0, s.u2PhaseByBarrier, s.barrierPhaseByBarrier) }
        func gradient1(_ s: SeparableSensitivity) -> SIMD3<Double> { SIMD3(s.probabilityByBarrier, s.probabilityByU2, 0) }
        func gradient3(_ s: SeparableSensitivity) -> SIMD3<Double> { SIMD3(0, s.probabilityByU2, s.probabilityByBarrier) }
        return ScreeningSpectrum(
            transmissions: TerminalTransmissions(leftRight: 0, leftProbe: lp1.probability,
                                                 rightProbe: rp2.probability),
            leftRightGradient: .zero, leftProbeGradient: gradient1(lp1), rightProbeGradient: gradient3(rp2),
            injectivities: Injectivities(
                left: factor * (onBarrier1(ll) + onBarrier1(lp1)),
                right: factor * (onBarrier3(rr) + onBarrier3(rp2)),
                probe: factor * (onBarrier1(lp1) + onBarrier3(rp2) + onBarrier1(p1p1) + onBarrier3(p2p2))),
            injectivitiesByU1: Injectivities(
                left: factor * (byBarrier1(ll) + byBarrier1(lp1)), right: .zero,
                probe: factor * (byBarrier1(lp1) + byBarrier1(p1p1))),
            injectivitiesByU3: Injectivities(
                left: .zero, right: factor * (byBarrier3(rr) + byBarrier3(rp2)),
                probe: factor * (byBarrier3(rp2) + byBarrier3(p2p2))))
    }

    /// A reflection amplitude at λ = 0 as a function of its own barrier and
    /// of the loop factor seen from it, S = F(r, L) = r + t² L g with
    /// g = 1/(1 − r L) (S_LL: r₁ and L = M = r₃q; S_RR: r₃ and L = K = r₁q),
    /// and its partial derivatives in the three roles: the own region
    /// (r = r(U_own)), the phase (U₂, through q) and the other barrier
    /// (U_other, through L). With F_r = (1 − L)² g², F_L = t² g²,
    /// F_rr = 2(1 − L)² g³ L, F_rL = 2(1 − L) t g³, F_LL = 2 t² g³ r and the
    /// chain rule (∂²S/∂U₂² is not formed, see ``CurvatureJet``).
    @inlinable @inline(__always)
    static func reflectionPartials(
        t: Complex<Double>, r: Complex<Double>, dt: Complex<Double>, ddt: Complex<Double>,
        loop: Complex<Double>, loopByPhase: Complex<Double>, loopByOther: Complex<Double>,
        loopByPhaseOther: Complex<Double>, loopByOtherOther: Complex<Double>,
        g: Complex<Double>, g2: Complex<Double>, g3: Complex<Double>
    ) -> ReflectionPartials {
        let oneMinusLoop = Complex<Double>(1) - loop
        let tg = t * t * g
        let byR = oneMinusLoop * oneMinusLoop * g2
        let byLoop = tg * g
        let byRR = (byR * g * loop).scaled(by: 2)
        let byRLoop = (oneMinusLoop * t * g3).scaled(by: 2)
        let byLoopLoop = (byLoop * g * r).scaled(by: 2)
        return ReflectionPartials(
            value: r + tg * loop,
            own: byR * dt, phase: byLoop * loopByPhase, other: byLoop * loopByOther,
            ownOwn: byRR * (dt * dt) + byR * ddt,
            ownPhase: byRLoop * dt * loopByPhase, ownOther: byRLoop * dt * loopByOther,
            phaseOther: byLoopLoop * loopByPhase * loopByOther + byLoop * loopByPhaseOther,
            otherOther: byLoopLoop * loopByOther * loopByOther + byLoop * loopByOtherOther)
    }

    /// 1/Δ as conj(Δ)/|Δ|² (|Δ| is bounded away from 0 and ∞ here, so the
    /// rescaling of the general complex division is not needed).
    @inlinable @inline(__always)
    static func reciprocal(_ d: Complex<Double>) -> Complex<Double> {
        let inverse = 1 / d.lengthSquared
        let (x, y) = d.rawStorage
        return Complex(x * inverse, -y * inverse)
    }
}

/// The sensitivities of an element S = A(U_α) B(U₂) (B ≡ 1 for S_LL = r₁ and
/// S_RR = r₃), α the barrier's region:
///
///     Im(S* ∂_α S), Im(S* ∂₂ S), ∂_α of both, |S|², ∂_α|S|², ∂₂|S|²
///
/// (∂_α of Im(S* ∂_α S) is Im(S* ∂²_α S): Im(∂_α S* ∂_α S) = 0; every other
/// derivative of these vanishes).
@frozen
@usableFromInline
struct SeparableSensitivity {
    @usableFromInline var phaseByBarrier: Double
    @usableFromInline var phaseByU2: Double
    @usableFromInline var barrierPhaseByBarrier: Double
    @usableFromInline var u2PhaseByBarrier: Double
    @usableFromInline var probability: Double
    @usableFromInline var probabilityByBarrier: Double
    @usableFromInline var probabilityByU2: Double

    /// S = A with A' = ∂_α A, A'' = ∂²_α A.
    @inlinable @inline(__always)
    init(_ a: Complex<Double>, _ da: Complex<Double>, _ dda: Complex<Double>) {
        phaseByBarrier = imaginaryOfConjugateProduct(a, da)
        phaseByU2 = 0
        barrierPhaseByBarrier = imaginaryOfConjugateProduct(a, dda)
        u2PhaseByBarrier = 0
        probability = a.lengthSquared
        probabilityByBarrier = 2 * realOfConjugateProduct(a, da)
        probabilityByU2 = 0
    }

    /// S = A B with B' = ∂₂ B.
    @inlinable @inline(__always)
    init(_ a: Complex<Double>, _ da: Complex<Double>, _ dda: Complex<Double>,
         times b: Complex<Double>, _ db: Complex<Double>) {
        let v = a * b, byBarrier = da * b, byU2 = a * db
        phaseByBarrier = imaginaryOfConjugateProduct(v, byBarrier)
        phaseByU2 = imaginaryOfConjugateProduct(v, byU2)
        barrierPhaseByBarrier = imaginaryOfConjugateProduct(v, dda * b)
        u2PhaseByBarrier = imaginaryOfConjugateProduct(byBarrier, byU2) + imaginaryOfConjugateProduct(v, da * db)
        probability = v.lengthSquared
        probabilityByBarrier = 2 * realOfConjugateProduct(v, byBarrier)
        probabilityByU2 = 2 * realOfConjugateProduct(v, byU2)
    }
}

/// ``ScatteringModel/reflectionPartials(t:r:dt:ddt:loop:loopByPhase:loopByOther:loopByPhaseOther:loopByOtherOther:g:g2:g3:)``:
/// a reflection amplitude and its derivatives by role (own barrier, phase
/// U₂, other barrier), placed into a ``CurvatureJet`` by ``jet(ownRegion:)``.
@frozen
@usableFromInline
struct ReflectionPartials {
    @usableFromInline var value: Complex<Double>
    @usableFromInline var own: Complex<Double>, phase: Complex<Double>, other: Complex<Double>
    @usableFromInline var ownOwn: Complex<Double>, ownPhase: Complex<Double>, ownOther: Complex<Double>
    @usableFromInline var phaseOther: Complex<Double>, otherOther: Complex<Double>

    @inlinable @inline(__always)
    init(value: Complex<Double>, own: Complex<Double>, phase: Complex<Double>, other: Complex<Double>,
         ownOwn: Complex<Double>, ownPhase: Complex<Double>, ownOther: Complex<Double>,
         phaseOther: Complex<Double>, otherOther: Complex<Double>) {
        self.value = value
        self.own = own; self.phase = phase; self.other = other
        self.ownOwn = ownOwn; self.ownPhase = ownPhase; self.ownOther = ownOther
        self.phaseOther = phaseOther; self.otherOther = otherOther
    }

    /// The jet in (U₁, U₂, U₃) for the element of barrier `ownRegion` (1 or 3).
    @inlinable @inline(__always)
    func jet(ownRegion: Int) -> CurvatureJet {
        ownRegion == 1
            ? CurvatureJet(value: value, d1: own, d2: phase, d3: other, d11: ownOwn, d12: ownPhase,
                           d13: ownOther, d23: phaseOther, d33: otherOther)
            : CurvatureJet(value: value, d1: other, d2: phase, d3: own, d11: otherOther, d12: phaseOther,
                           d13: ownOther, d23: ownPhase, d33: ownOwn)
    }
}
