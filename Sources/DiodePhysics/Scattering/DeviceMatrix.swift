import ComplexModule
import RealModule

/// The ports of the composed device: the two leads and the two channels of
/// the thermalisation probe (both belong to the probe terminal p).
public enum DevicePort: Int, CaseIterable, Sendable {
    case left = 0, right = 1, probe1 = 2, probe2 = 3
}

/// The symmetric 4 × 4 scattering matrix of the device, S = Sᵀ, ports
/// ordered (L, R, p1, p2). Only the ten independent elements are stored.
@frozen
public struct DeviceMatrix<Scalar: ScatteringScalar>: Sendable {
    public var leftLeft, leftRight, leftProbe1, leftProbe2: Scalar
    public var rightRight, rightProbe1, rightProbe2: Scalar
    public var probe1Probe1, probe1Probe2, probe2Probe2: Scalar

    @inlinable
    public init(leftLeft: Scalar, leftRight: Scalar, leftProbe1: Scalar, leftProbe2: Scalar,
                rightRight: Scalar, rightProbe1: Scalar, rightProbe2: Scalar,
                probe1Probe1: Scalar, probe1Probe2: Scalar, probe2Probe2: Scalar) {
        self.leftLeft = leftLeft; self.leftRight = leftRight
        self.leftProbe1 = leftProbe1; self.leftProbe2 = leftProbe2
        self.rightRight = rightRight; self.rightProbe1 = rightProbe1
        self.rightProbe2 = rightProbe2; self.probe1Probe1 = probe1Probe1
        self.probe1Probe2 = probe1Probe2; self.probe2Probe2 = probe2Probe2
    }

    /// S_{k j}: the amplitude from port `j` into port `k` (equal to S_{j k}).
    @inlinable
    public subscript(k: DevicePort, j: DevicePort) -> Scalar {
        let (low, high) = k.rawValue <= j.rawValue ? (k, j) : (j, k)
        switch (low, high) {
        case (.left, .left): return leftLeft
        case (.left, .right): return leftRight
        case (.left, .probe1): return leftProbe1
        case (.left, .probe2): return leftProbe2
        case (.right, .right): return rightRight
        case (.right, .probe1): return rightProbe1
        case (.right, .probe2): return rightProbe2
        case (.probe1, .probe1): return probe1Probe1
        case (.probe1, .probe2): return probe1Probe2
        default: return probe2Probe2
        }
    }
}

/// Transmission probabilities between the three terminals L, R, p at one
/// energy: T_kj = Σ |S_{k'j'}|² over the channels k' of k and j' of j.
/// By S = Sᵀ, T_kj = T_jk.
@frozen
public struct TerminalTransmissions: Sendable, Hashable {
    /// T_RL = T_LR.
    public var leftRight: Double
    /// T_pL = T_Lp = |S_{p1,L}|² + |S_{p2,L}|².
    public var leftProbe: Double
    /// T_pR = T_Rp = |S_{p1,R}|² + |S_{p2,R}|².
    public var rightProbe: Double

    @inlinable
    public init(leftRight: Double, leftProbe: Double, rightProbe: Double) {
        self.leftRight = leftRight
        self.leftProbe = leftProbe
        self.rightProbe = rightProbe
    }
}

/// The scattering model of the two-barrier conductor (docs/physics.md §0 "Scattering
/// matrices"): barrier 1 (ε₁, Γ₁), half of region 2 (phase e^{iφ/2}), the
/// probe scatterer of strength λ, the other half of region 2, barrier 3
/// (ε₃, Γ₃).
///
/// Composition. With x_α = E − ε_α − U_α, t_α = −iΓ_α/(x_α + iΓ_α),
/// r_α = 1 + t_α, w = e^{iφ/2}, z = w² = e^{iφ}, φ = d·√(E − U₂)
/// (principal root), a = √(1−λ), b = √λ and the common denominator
/// Δ = 1 − a² r₁ r₃ z², solving the internal amplitudes gives
///
///     S_LL   = r₁ + a² t₁² r₃ z²/Δ        S_RR   = r₃ + a² t₃² r₁ z²/Δ
///     S_LR   = a t₁ t₃ z/Δ
///     S_Lp1  = b t₁ w/Δ                   S_Rp2  = b t₃ w/Δ
///     S_Lp2  = a b t₁ r₃ z w/Δ            S_Rp1  = a b t₃ r₁ z w/Δ
///     S_p1p1 = b² r₁ z/Δ                  S_p2p2 = b² r₃ z/Δ
///     S_p1p2 = a (r₁ r₃ z² − 1)/Δ
///
/// (probe channel p1 is the one attached to the left half, p2 to the right
/// half). Below the band bottom (E < U₂) φ = i d √(U₂ − E) and w is real
/// and decaying; the formulas apply unchanged.
@frozen
public struct ScatteringModel: Sendable, Hashable {
    public var eps1: Double, gamma1: Double
    public var eps3: Double, gamma3: Double
    /// Length of region 2 in units of ħ/√(2 m k_B T).
    public var d: Double
    /// Probe strength λ ∈ [0, 1].
    public var lambda: Double
    /// a = √(1 − λ): coherent transmission amplitude through the probe.
    public let a: Double
    /// b = √λ: amplitude into the probe.
    public let b: Double

    @inlinable
    public init(eps1: Double, gamma1: Double, eps3: Double, gamma3: Double, d: Double, lambda: Double) {
        self.eps1 = eps1; self.gamma1 = gamma1
        self.eps3 = eps3; self.gamma3 = gamma3
        self.d = d; self.lambda = lambda
        self.a = (1 - lambda).squareRoot()
        self.b = lambda.squareRoot()
    }

    // MARK: Elementary scatterers

    /// Transmission amplitude of a Breit–Wigner barrier,
    /// t = −iΓ/(x + iΓ) = (−Γ² − iΓx)/(x² + Γ²), and r = 1 + t = (x² − iΓx)/(x² + Γ²).
    @inlinable @inline(__always)
    public static func barrier(x: Double, gamma: Double) -> (t: Complex<Double>, r: Complex<Double>) {
        let q = 1 / (x * x + gamma * gamma)
        let im = -gamma * x * q
        return (Complex(-gamma * gamma * q, im), Complex(x * x * q, im))
    }

    /// ∂t/∂U = −∂t/∂x = −iΓ/(x + iΓ)² = −(2Γ²x + iΓ(x² − Γ²))/(x² + Γ²)²
    /// (and ∂r/∂U = ∂t/∂U).
    @inlinable @inline(__always)
    public static func barrierDerivative(x: Double, gamma: Double) -> Complex<Double> {
        let q = 1 / (x * x + gamma * gamma)
        return Complex(-2 * gamma * gamma * x * q * q, -gamma * (x * x - gamma * gamma) * q * q)
    }

    /// w = e^{iφ/2} for one half of region 2, with φ = d·√(E − U₂).
    @inlinable @inline(__always)
    public func halfPhase(energy e: Double, u2: Double) -> Complex<Double> {
        let kinetic = e - u2
        if kinetic >= 0 {
            let half = 0.5 * d * kinetic.squareRoot()
            let (s, c) = FastElementary.sinCos(half)    // one reduction for both
            return Complex(c, s)
        } else {
            return Complex(FastElementary.exp(-0.5 * d * (-kinetic).squareRoot()), 0)
        }
    }

    /// ∂w/∂U₂ = (i/2) w ∂φ/∂U₂, with ∂φ/∂U₂ = −d/(2√(E − U₂)): for E > U₂
    /// this is −i d w/(4k), for E < U₂ it is −d w/(4κ) (κ = √(U₂ − E)).
    /// Singular like 1/√|E − U₂| at the band bottom (infinite exactly there).
    @inlinable @inline(__always)
    public func halfPhaseDerivative(energy e: Double, u2: Double, halfPhase w: Complex<Double>) -> Complex<Double> {
        let kinetic = e - u2
        if kinetic >= 0 {
            let factor = d / (4 * kinetic.squareRoot())
            let (x, y) = w.rawStorage
            return Complex(y * factor, -x * factor)
        } else {
            return w.scaled(by: -d / (4 * (-kinetic).squareRoot()))
        }
    }

    // MARK: Composition

    /// The composition formula, generic over the scalar type.
    @inlinable @inline(__always)
    public func compose<S: ScatteringScalar>(t1: S, r1: S, t3: S, r3: S, w: S) -> DeviceMatrix<S> {
        let z = w * w
        let z2 = z * z
        let one = S(constant: Complex(1))
        let r1r3z2 = r1 * r3 * z2
        let inverseDenominator = one / (one - r1r3z2.scaled(by: a * a))
        let ab = a * b
        let b2 = b * b
        return DeviceMatrix(
            leftLeft: r1 + (t1 * t1 * r3 * z2 * inverseDenominator).scaled(by: a * a),
            leftRight: (t1 * t3 * z * inverseDenominator).scaled(by: a),
            leftProbe1: (t1 * w * inverseDenominator).scaled(by: b),
            leftProbe2: (t1 * r3 * z * w * inverseDenominator).scaled(by: ab),
            rightRight: r3 + (t3 * t3 * r1 * z2 * inverseDenominator).scaled(by: a * a),
            rightProbe1: (t3 * r1 * z * w * inverseDenominator).scaled(by: ab),
            rightProbe2: (t3 * w * inverseDenominator).scaled(by: b),
            probe1Probe1: (r1 * z * inverseDenominator).scaled(by: b2),
            probe1Probe2: ((r1r3z2 - one) * inverseDenominator).scaled(by: a),
            probe2Probe2: (r3 * z * inverseDenominator).scaled(by: b2))
    }

    /// The device matrix S(E, U).
    @inlinable
    public func matrix(energy e: Double, potentials u: SIMD3<Double> = .zero) -> DeviceMatrix<Complex<Double>> {
        let (t1, r1) = Self.barrier(x: e - eps1 - u[0], gamma: gamma1)
        let (t3, r3) = Self.barrier(x: e - eps3 - u[2], gamma: gamma3)
        return compose(t1: t1, r1: r1, t3: t3, r3: r3, w: halfPhase(energy: e, u2: u[1]))
    }

    /// The device matrix with its exact derivatives ∂S/∂U_α (α = 1, 2, 3).
    /// ∂S/∂U₂ diverges like 1/√|E − U₂| at the band bottom.
    @inlinable
    public func matrixWithDerivatives(energy e: Double, potentials u: SIMD3<Double> = .zero) -> DeviceMatrix<AmplitudeJet> {
        let x1 = e - eps1 - u[0]
        let x3 = e - eps3 - u[2]
        let (t1, r1) = Self.barrier(x: x1, gamma: gamma1)
        let (t3, r3) = Self.barrier(x: x3, gamma: gamma3)
        let dt1 = Self.barrierDerivative(x: x1, gamma: gamma1)
        let dt3 = Self.barrierDerivative(x: x3, gamma: gamma3)
        let w = halfPhase(energy: e, u2: u[1])
        let dw = halfPhaseDerivative(energy: e, u2: u[1], halfPhase: w)
        return compose(
            t1: AmplitudeJet(value: t1, d1: dt1, d2: .zero, d3: .zero),
            r1: AmplitudeJet(value: r1, d1: dt1, d2: .zero, d3: .zero),
            t3: AmplitudeJet(value: t3, d1: .zero, d2: .zero, d3: dt3),
            r3: AmplitudeJet(value: r3, d1: .zero, d2: .zero, d3: dt3),
            w: AmplitudeJet(value: w, d1: .zero, d2: dw, d3: .zero))
    }

    /// The terminal transmissions T_RL, T_pL, T_pR at energy E, from the
    /// closed forms (no complex division):
    ///
    ///     T_RL = a² |t₁|²|t₃|²|z|² / |Δ|²
    ///     T_pL = b² |t₁|²|w|² (1 + a²|r₃|²|z|²) / |Δ|²
    ///     T_pR = b² |t₃|²|w|² (1 + a²|r₁|²|z|²) / |Δ|²
    @inlinable @inline(__always)
    public func transmissions(energy e: Double, potentials u: SIMD3<Double> = .zero) -> TerminalTransmissions {
        let (t1, r1) = Self.barrier(x: e - eps1 - u[0], gamma: gamma1)
        let (t3, r3) = Self.barrier(x: e - eps3 - u[2], gamma: gamma3)
        // Only |w|² and z² = e^{2iφ} enter: one cos/sin pair of 2φ, and none
        // at all when there is no coherent round trip (a = 0).
        let kinetic = e - u[1]
        let w2: Double                      // |w|² = |z|
        var zSquared = Complex<Double>(0)   // z² = e^{2iφ}
        if kinetic >= 0 {
            w2 = 1
            if a > 0 {
                let twoPhi = 2 * d * kinetic.squareRoot()
                let (s, c) = FastElementary.sinCos(twoPhi)
                zSquared = Complex(c, s)
            }
        } else {
            w2 = FastElementary.exp(-d * (-kinetic).squareRoot())
            zSquared = Complex(w2 * w2, 0)
        }
        let z2 = w2 * w2                    // |z|²
        let a2 = a * a
        let loop = r1 * r3 * zSquared
        let denominator = Complex(1 - a2 * loop.real, -a2 * loop.imaginary)
        let inverse = 1 / denominator.lengthSquared
        let t1s = t1.lengthSquared, t3s = t3.lengthSquared
        let b2w2 = b * b * w2 * inverse
        return TerminalTransmissions(
            leftRight: a2 * t1s * t3s * z2 * inverse,
            leftProbe: b2w2 * t1s * (1 + a2 * r3.lengthSquared * z2),
            rightProbe: b2w2 * t3s * (1 + a2 * r1.lengthSquared * z2))
    }
}
