import ComplexModule
import RealModule

/// The injectivities ν_jα(E, U) of the three terminals j ∈ {L, R, p} into the
/// three regions α ∈ {1, 2, 3} (docs/physics.md §0, Eq. 6, paper Eq. 6):
///
///     ν_jα(E, U) = −(1/2π) Σ_{j' ∈ j} Σ_k Im( S_{kj'}^* ∂S_{kj'}/∂U_α )
///
/// summing over the channels j' of terminal j (one for L and R, p1 and p2 for
/// the probe) and over all four ports k. Units: states per unit energy (h = 1,
/// one spin). Each vector holds (ν_j1, ν_j2, ν_j3).
@frozen
public struct Injectivities: Sendable, Hashable {
    public var left: SIMD3<Double>
    public var right: SIMD3<Double>
    public var probe: SIMD3<Double>

    @inlinable
    public init(left: SIMD3<Double>, right: SIMD3<Double>, probe: SIMD3<Double>) {
        self.left = left; self.right = right; self.probe = probe
    }

    /// The partial densities of states ν_α = Σ_j ν_jα.
    @inlinable public var total: SIMD3<Double> { left + right + probe }
}

/// Im(a* b) = a.re b.im − a.im b.re.
///
/// (From the raw components: `Complex.real` and `.imaginary` test both
/// components for finiteness on every read, which costs more than the
/// product in the hot loops. The result differs only for non-finite input,
/// where it is not finite either.)
@inlinable @inline(__always)
func imaginaryOfConjugateProduct(_ a: Complex<Double>, _ b: Complex<Double>) -> Double {
    let (ax, ay) = a.rawStorage, (bx, by) = b.rawStorage
    return ax * by - ay * bx
}

/// Re(a* b) (raw components, see ``imaginaryOfConjugateProduct(_:_:)``).
@inlinable @inline(__always)
func realOfConjugateProduct(_ a: Complex<Double>, _ b: Complex<Double>) -> Double {
    let (ax, ay) = a.rawStorage, (bx, by) = b.rawStorage
    return ax * bx + ay * by
}

/// Im(S* ∂S/∂U_α) for α = 1, 2, 3, for one matrix element.
@inlinable @inline(__always)
func phaseSensitivity(_ s: AmplitudeJet) -> SIMD3<Double> {
    SIMD3(imaginaryOfConjugateProduct(s.value, s.d1), imaginaryOfConjugateProduct(s.value, s.d2),
          imaginaryOfConjugateProduct(s.value, s.d3))
}

extension DeviceMatrix where Scalar == AmplitudeJet {
    /// The injectivities from the amplitudes and their first derivatives.
    @inlinable
    public var injectivities: Injectivities {
        let ll = phaseSensitivity(leftLeft), lr = phaseSensitivity(leftRight)
        let lp1 = phaseSensitivity(leftProbe1), lp2 = phaseSensitivity(leftProbe2)
        let rr = phaseSensitivity(rightRight)
        let rp1 = phaseSensitivity(rightProbe1), rp2 = phaseSensitivity(rightProbe2)
        let p1p1 = phaseSensitivity(probe1Probe1), p1p2 = phaseSensitivity(probe1Probe2)
        let p2p2 = phaseSensitivity(probe2Probe2)
        let factor = -1 / (2 * Double.pi)
        // Column L: k = L, R, p1, p2; column R likewise; the probe owns the
        // columns p1 and p2 (S = Sᵀ, so S_{p1 p2} appears in both).
        return Injectivities(
            left: factor * (ll + lr + lp1 + lp2),
            right: factor * (lr + rr + rp1 + rp2),
            probe: factor * (lp1 + lp2 + rp1 + rp2 + p1p1 + p2p2 + 2 * p1p2))
    }
}

/// Per-element sensitivities used by ``ScreeningSpectrum``.
@frozen
@usableFromInline
struct ElementSensitivity {
    /// Im(S* ∂_α S), α = 1, 2, 3.
    @usableFromInline var phase: SIMD3<Double>
    /// ∂/∂U₁ of `phase`: Im(∂₁S* ∂_α S + S* ∂₁∂_α S).
    @usableFromInline var phaseByU1: SIMD3<Double>
    /// ∂/∂U₃ of `phase`.
    @usableFromInline var phaseByU3: SIMD3<Double>
    /// |S|².
    @usableFromInline var probability: Double
    /// ∂|S|²/∂U_β = 2 Re(S* ∂_β S).
    @usableFromInline var probabilityGradient: SIMD3<Double>

    /// An element that vanishes identically (or is constant).
    @usableFromInline static let inert = ElementSensitivity(phase: .zero, phaseByU1: .zero, phaseByU3: .zero,
                                                            probability: 0, probabilityGradient: .zero)

    @inlinable @inline(__always)
    init(phase: SIMD3<Double>, phaseByU1: SIMD3<Double>, phaseByU3: SIMD3<Double>, probability: Double,
         probabilityGradient: SIMD3<Double>) {
        self.phase = phase; self.phaseByU1 = phaseByU1; self.phaseByU3 = phaseByU3
        self.probability = probability; self.probabilityGradient = probabilityGradient
    }

    @inlinable @inline(__always)
    init(_ s: CurvatureJet) {
        let v = s.value
        phase = SIMD3(imaginaryOfConjugateProduct(v, s.d1), imaginaryOfConjugateProduct(v, s.d2),
                      imaginaryOfConjugateProduct(v, s.d3))
        phaseByU1 = SIMD3(imaginaryOfConjugateProduct(s.d1, s.d1) + imaginaryOfConjugateProduct(v, s.d11),
                          imaginaryOfConjugateProduct(s.d1, s.d2) + imaginaryOfConjugateProduct(v, s.d12),
                          imaginaryOfConjugateProduct(s.d1, s.d3) + imaginaryOfConjugateProduct(v, s.d13))
        phaseByU3 = SIMD3(imaginaryOfConjugateProduct(s.d3, s.d1) + imaginaryOfConjugateProduct(v, s.d13),
                          imaginaryOfConjugateProduct(s.d3, s.d2) + imaginaryOfConjugateProduct(v, s.d23),
                          imaginaryOfConjugateProduct(s.d3, s.d3) + imaginaryOfConjugateProduct(v, s.d33))
        probability = v.lengthSquared
        probabilityGradient = 2 * SIMD3(realOfConjugateProduct(v, s.d1), realOfConjugateProduct(v, s.d2),
                                        realOfConjugateProduct(v, s.d3))
    }
}

/// Everything the joint probe–screening Newton step needs at one energy:
/// the terminal transmissions with their gradients in U, the injectivities
/// ν_jα(E, U) and their derivatives with respect to U₁ and U₃.
///
/// (The U₂ derivative of the injectivities is not formed: it is not
/// integrable at the band bottom. ``ScreeningSystem`` obtains the U₂ column
/// of the charge Jacobian from the gauge identity instead.)
@frozen
public struct ScreeningSpectrum: Sendable {
    public var transmissions: TerminalTransmissions
    /// ∂T_RL/∂U_β, ∂T_pL/∂U_β, ∂T_pR/∂U_β (β = 1, 2, 3).
    public var leftRightGradient: SIMD3<Double>
    public var leftProbeGradient: SIMD3<Double>
    public var rightProbeGradient: SIMD3<Double>
    public var injectivities: Injectivities
    /// ∂ν_jα/∂U₁ (each vector over α).
    public var injectivitiesByU1: Injectivities
    /// ∂ν_jα/∂U₃.
    public var injectivitiesByU3: Injectivities

    @inlinable
    public init(transmissions: TerminalTransmissions, leftRightGradient: SIMD3<Double>,
                leftProbeGradient: SIMD3<Double>, rightProbeGradient: SIMD3<Double>, injectivities: Injectivities,
                injectivitiesByU1: Injectivities, injectivitiesByU3: Injectivities) {
        self.transmissions = transmissions
        self.leftRightGradient = leftRightGradient
        self.leftProbeGradient = leftProbeGradient
        self.rightProbeGradient = rightProbeGradient
        self.injectivities = injectivities
        self.injectivitiesByU1 = injectivitiesByU1
        self.injectivitiesByU3 = injectivitiesByU3
    }

    /// - Parameters:
    ///   - coherent: λ = 0: only S_LL, S_LR, S_RR vary (the probe channels
    ///     only scatter into each other, S_{p1p2} = −1).
    ///   - thermalised: λ = 1: S_LR, S_{Lp2}, S_{Rp1}, S_{p1p2} vanish.
    @inlinable
    public init(_ s: DeviceMatrix<CurvatureJet>, coherent: Bool = false, thermalised: Bool = false) {
        let inert = ElementSensitivity.inert
        let ll = ElementSensitivity(s.leftLeft), rr = ElementSensitivity(s.rightRight)
        let lr = thermalised ? inert : ElementSensitivity(s.leftRight)
        let lp1 = coherent ? inert : ElementSensitivity(s.leftProbe1)
        let lp2 = coherent || thermalised ? inert : ElementSensitivity(s.leftProbe2)
        let rp1 = coherent || thermalised ? inert : ElementSensitivity(s.rightProbe1)
        let rp2 = coherent ? inert : ElementSensitivity(s.rightProbe2)
        let p1p1 = coherent ? inert : ElementSensitivity(s.probe1Probe1)
        let p1p2 = coherent || thermalised ? inert : ElementSensitivity(s.probe1Probe2)
        let p2p2 = coherent ? inert : ElementSensitivity(s.probe2Probe2)
        transmissions = TerminalTransmissions(leftRight: lr.probability,
                                              leftProbe: lp1.probability + lp2.probability,
                                              rightProbe: rp1.probability + rp2.probability)
        leftRightGradient = lr.probabilityGradient
        leftProbeGradient = lp1.probabilityGradient + lp2.probabilityGradient
        rightProbeGradient = rp1.probabilityGradient + rp2.probabilityGradient
        let factor = -1 / (2 * Double.pi)
        injectivities = Injectivities(
            left: factor * (ll.phase + lr.phase + lp1.phase + lp2.phase),
            right: factor * (lr.phase + rr.phase + rp1.phase + rp2.phase),
            probe: factor * (lp1.phase + lp2.phase + rp1.phase + rp2.phase + p1p1.phase + p2p2.phase
                + 2 * p1p2.phase))
        injectivitiesByU1 = Injectivities(
            left: factor * (ll.phaseByU1 + lr.phaseByU1 + lp1.phaseByU1 + lp2.phaseByU1),
            right: factor * (lr.phaseByU1 + rr.phaseByU1 + rp1.phaseByU1 + rp2.phaseByU1),
            probe: factor * (lp1.phaseByU1 + lp2.phaseByU1 + rp1.phaseByU1 + rp2.phaseByU1 + p1p1.phaseByU1
                + p2p2.phaseByU1 + 2 * p1p2.phaseByU1))
        injectivitiesByU3 = Injectivities(
            left: factor * (ll.phaseByU3 + lr.phaseByU3 + lp1.phaseByU3 + lp2.phaseByU3),
            right: factor * (lr.phaseByU3 + rr.phaseByU3 + rp1.phaseByU3 + rp2.phaseByU3),
            probe: factor * (lp1.phaseByU3 + lp2.phaseByU3 + rp1.phaseByU3 + rp2.phaseByU3 + p1p1.phaseByU3
                + p2p2.phaseByU3 + 2 * p1p2.phaseByU3))
    }
}
