import ComplexModule
import RealModule

/// A complex amplitude with its exact first derivatives with respect to
/// (U₁, U₂, U₃) and the second derivatives the screening Jacobian needs:
/// ∂²/∂U₁², ∂²/∂U₁∂U₂, ∂²/∂U₁∂U₃, ∂²/∂U₂∂U₃, ∂²/∂U₃².
///
/// ∂²/∂U₂² is deliberately absent: at the band bottom E = U₂ it diverges like
/// |E − U₂|^{-3/2}, which is not integrable. The screening Jacobian never
/// needs it: the U₂ column is obtained from the gauge identity
/// Σ_β ∂S/∂U_β = −∂S/∂E in the frame that moves with the band bottom (see
/// ``ScreeningSystem``). Since ∂²/∂U₂² never feeds any other entry of the
/// product, quotient or sum rules, leaving it out changes nothing else.
@frozen
public struct CurvatureJet: ScatteringScalar, Hashable {
    public var value: Complex<Double>
    public var d1: Complex<Double>, d2: Complex<Double>, d3: Complex<Double>
    public var d11: Complex<Double>, d12: Complex<Double>, d13: Complex<Double>
    public var d23: Complex<Double>, d33: Complex<Double>

    @inlinable
    public init(value: Complex<Double>, d1: Complex<Double> = .zero, d2: Complex<Double> = .zero,
                d3: Complex<Double> = .zero, d11: Complex<Double> = .zero, d12: Complex<Double> = .zero,
                d13: Complex<Double> = .zero, d23: Complex<Double> = .zero, d33: Complex<Double> = .zero) {
        self.value = value
        self.d1 = d1; self.d2 = d2; self.d3 = d3
        self.d11 = d11; self.d12 = d12; self.d13 = d13; self.d23 = d23; self.d33 = d33
    }

    @inlinable
    public init(constant: Complex<Double>) { self.init(value: constant) }

    @inlinable public var amplitude: Complex<Double> { value }

    /// ∂/∂U_α, α ∈ {1, 2, 3}.
    @inlinable
    public func partial(_ alpha: Int) -> Complex<Double> {
        switch alpha {
        case 1: return d1
        case 2: return d2
        default: return d3
        }
    }

    @inlinable
    public static func + (lhs: CurvatureJet, rhs: CurvatureJet) -> CurvatureJet {
        CurvatureJet(value: lhs.value + rhs.value, d1: lhs.d1 + rhs.d1, d2: lhs.d2 + rhs.d2, d3: lhs.d3 + rhs.d3,
                     d11: lhs.d11 + rhs.d11, d12: lhs.d12 + rhs.d12, d13: lhs.d13 + rhs.d13,
                     d23: lhs.d23 + rhs.d23, d33: lhs.d33 + rhs.d33)
    }

    @inlinable
    public static func - (lhs: CurvatureJet, rhs: CurvatureJet) -> CurvatureJet {
        CurvatureJet(value: lhs.value - rhs.value, d1: lhs.d1 - rhs.d1, d2: lhs.d2 - rhs.d2, d3: lhs.d3 - rhs.d3,
                     d11: lhs.d11 - rhs.d11, d12: lhs.d12 - rhs.d12, d13: lhs.d13 - rhs.d13,
                     d23: lhs.d23 - rhs.d23, d33: lhs.d33 - rhs.d33)
    }

    /// (ab)_ij = a_ij b + a_i b_j + a_j b_i + a b_ij.
    @inlinable
    public static func * (a: CurvatureJet, b: CurvatureJet) -> CurvatureJet {
        CurvatureJet(
            value: a.value * b.value,
            d1: a.d1 * b.value + a.value * b.d1,
            d2: a.d2 * b.value + a.value * b.d2,
            d3: a.d3 * b.value + a.value * b.d3,
            d11: a.d11 * b.value + (a.d1 * b.d1).scaled(by: 2) + a.value * b.d11,
            d12: a.d12 * b.value + a.d1 * b.d2 + a.d2 * b.d1 + a.value * b.d12,
            d13: a.d13 * b.value + a.d1 * b.d3 + a.d3 * b.d1 + a.value * b.d13,
            d23: a.d23 * b.value + a.d2 * b.d3 + a.d3 * b.d2 + a.value * b.d23,
            d33: a.d33 * b.value + (a.d3 * b.d3).scaled(by: 2) + a.value * b.d33)
    }

    /// q = a/b: q_i = (a_i − q b_i)/b, q_ij = (a_ij − q_i b_j − q_j b_i − q b_ij)/b.
    @inlinable
    public static func / (a: CurvatureJet, b: CurvatureJet) -> CurvatureJet {
        let inverse = Complex<Double>(1) / b.value
        let q = a.value * inverse
        let q1 = (a.d1 - q * b.d1) * inverse
        let q2 = (a.d2 - q * b.d2) * inverse
        let q3 = (a.d3 - q * b.d3) * inverse
        return CurvatureJet(
            value: q, d1: q1, d2: q2, d3: q3,
            d11: (a.d11 - (q1 * b.d1).scaled(by: 2) - q * b.d11) * inverse,
            d12: (a.d12 - q1 * b.d2 - q2 * b.d1 - q * b.d12) * inverse,
            d13: (a.d13 - q1 * b.d3 - q3 * b.d1 - q * b.d13) * inverse,
            d23: (a.d23 - q2 * b.d3 - q3 * b.d2 - q * b.d23) * inverse,
            d33: (a.d33 - (q3 * b.d3).scaled(by: 2) - q * b.d33) * inverse)
    }

    @inlinable
    public func scaled(by factor: Double) -> CurvatureJet {
        CurvatureJet(value: value.scaled(by: factor), d1: d1.scaled(by: factor), d2: d2.scaled(by: factor),
                     d3: d3.scaled(by: factor), d11: d11.scaled(by: factor), d12: d12.scaled(by: factor),
                     d13: d13.scaled(by: factor), d23: d23.scaled(by: factor), d33: d33.scaled(by: factor))
    }
}

extension ScatteringModel {
    /// ∂²t/∂U² = ∂²t/∂x² = −2iΓ/(x + iΓ)³ for a Breit–Wigner barrier (∂²r = ∂²t),
    /// = (2Γ²(Γ² − 3x²) − 2iΓx(x² − 3Γ²))/(x² + Γ²)³ (no complex division).
    @inlinable @inline(__always)
    public static func barrierSecondDerivative(x: Double, gamma: Double) -> Complex<Double> {
        let q = 1 / (x * x + gamma * gamma)
        let q3 = q * q * q
        return Complex(2 * gamma * gamma * (gamma * gamma - 3 * x * x) * q3,
                       -2 * gamma * x * (x * x - 3 * gamma * gamma) * q3)
    }

    /// The device matrix with its exact first derivatives ∂S/∂U_α and the
    /// second derivatives of ``CurvatureJet`` (all but ∂²S/∂U₂²).
    @inlinable
    public func matrixWithCurvatures(energy e: Double, potentials u: SIMD3<Double> = .zero) -> DeviceMatrix<CurvatureJet> {
        let x1 = e - eps1 - u[0]
        let x3 = e - eps3 - u[2]
        let (t1, r1) = Self.barrier(x: x1, gamma: gamma1)
        let (t3, r3) = Self.barrier(x: x3, gamma: gamma3)
        let dt1 = Self.barrierDerivative(x: x1, gamma: gamma1)
        let dt3 = Self.barrierDerivative(x: x3, gamma: gamma3)
        let ddt1 = Self.barrierSecondDerivative(x: x1, gamma: gamma1)
        let ddt3 = Self.barrierSecondDerivative(x: x3, gamma: gamma3)
        let w = halfPhase(energy: e, u2: u[1])
        let dw = halfPhaseDerivative(energy: e, u2: u[1], halfPhase: w)
        let t1Jet = CurvatureJet(value: t1, d1: dt1, d11: ddt1), r1Jet = CurvatureJet(value: r1, d1: dt1, d11: ddt1)
        let t3Jet = CurvatureJet(value: t3, d3: dt3, d33: ddt3), r3Jet = CurvatureJet(value: r3, d3: dt3, d33: ddt3)
        let wJet = CurvatureJet(value: w, d2: dw)
        // The second-order jets dominate the cost of a screening solve; the
        // paper's two limits need far fewer products than the general
        // composition (same formulas with a or b set to zero).
        if b == 0 { return Self.composeCoherent(t1: t1Jet, r1: r1Jet, t3: t3Jet, r3: r3Jet, w: wJet) }
        if a == 0 { return Self.composeThermalised(t1: t1Jet, r1: r1Jet, t3: t3Jet, r3: r3Jet, w: wJet) }
        return compose(t1: t1Jet, r1: r1Jet, t3: t3Jet, r3: r3Jet, w: wJet)
    }

    /// ``compose(t1:r1:t3:r3:w:)`` at λ = 0 (a = 1, b = 0): the probe
    /// channels only scatter into each other (S_{p1p2} = −1, the rest 0).
    @inlinable @inline(__always)
    static func composeCoherent<S: ScatteringScalar>(t1: S, r1: S, t3: S, r3: S, w: S) -> DeviceMatrix<S> {
        let z = w * w
        let z2 = z * z
        let one = S(constant: Complex(1)), zero = S(constant: .zero)
        let inverseDenominator = one / (one - r1 * r3 * z2)
        let t1d = t1 * inverseDenominator, t3d = t3 * inverseDenominator
        return DeviceMatrix(
            leftLeft: r1 + t1 * t1d * r3 * z2, leftRight: t1d * t3 * z, leftProbe1: zero, leftProbe2: zero,
            rightRight: r3 + t3 * t3d * r1 * z2, rightProbe1: zero, rightProbe2: zero,
            probe1Probe1: zero, probe1Probe2: S(constant: Complex(-1)), probe2Probe2: zero)
    }

    /// ``compose(t1:r1:t3:r3:w:)`` at λ = 1 (a = 0, b = 1): Δ = 1 and
    /// nothing crosses region 2 coherently.
    @inlinable @inline(__always)
    static func composeThermalised<S: ScatteringScalar>(t1: S, r1: S, t3: S, r3: S, w: S) -> DeviceMatrix<S> {
        let z = w * w
        let zero = S(constant: .zero)
        return DeviceMatrix(
            leftLeft: r1, leftRight: zero, leftProbe1: t1 * w, leftProbe2: zero,
            rightRight: r3, rightProbe1: zero, rightProbe2: t3 * w,
            probe1Probe1: r1 * z, probe1Probe2: zero, probe2Probe2: r3 * z)
    }
}
