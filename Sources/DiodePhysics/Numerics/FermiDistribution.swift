import RealModule

/// The value of a Fermi function at one energy, with everything the currents
/// and their Jacobians need, each computed without overflow or cancellation.
@frozen
public struct FermiValue: Sendable, Hashable {
    /// f = 1/(1 + e^y), y = (E − μ)/T.
    public var occupation: Double
    /// 1 − f, computed directly (accurate where f ≈ 1).
    public var vacancy: Double
    /// f(1 − f) = −∂f/∂y.
    public var spread: Double
    /// y = (E − μ)/T.
    public var reducedEnergy: Double

    @inlinable
    public init(occupation: Double, vacancy: Double, spread: Double, reducedEnergy: Double) {
        self.occupation = occupation
        self.vacancy = vacancy
        self.spread = spread
        self.reducedEnergy = reducedEnergy
    }

    /// f_a − f_b without cancellation: where both are close to 1 it is
    /// (1 − f_b) − (1 − f_a). Exactly antisymmetric in (a, b).
    @inlinable @inline(__always)
    public static func difference(_ lhs: FermiValue, _ rhs: FermiValue) -> Double {
        lhs.occupation + rhs.occupation <= 1
            ? lhs.occupation - rhs.occupation
            : rhs.vacancy - lhs.vacancy
    }
}

/// A Fermi–Dirac distribution f(E) = 1/(1 + exp((E − μ)/T)) (k_B = 1).
@frozen
public struct FermiDistribution: Sendable, Hashable {
    public var mu: Double
    public var temperature: Double

    @inlinable
    public init(mu: Double, temperature: Double) {
        self.mu = mu
        self.temperature = temperature
    }

    /// f, 1 − f and f(1 − f) at energy E, from u = e^{−|y|} ≤ 1, so nothing
    /// overflows: for y ≥ 0, f = u/(1+u), 1 − f = 1/(1+u); f(1 − f) = u/(1+u)².
    /// (``FastElementary/exp(_:)``: inlined, ≤ 1 ulp from libm; e^{−∞} = 0
    /// and NaN stays NaN.)
    @inlinable @inline(__always)
    public func callAsFunction(_ energy: Double) -> FermiValue {
        let y = (energy - mu) / temperature
        let u = FastElementary.exp(-abs(y))
        let inverse = 1 / (1 + u)
        let small = u * inverse
        return y >= 0
            ? FermiValue(occupation: small, vacancy: inverse, spread: small * inverse, reducedEnergy: y)
            : FermiValue(occupation: inverse, vacancy: small, spread: small * inverse, reducedEnergy: y)
    }

    /// ∂f/∂μ = f(1 − f)/T.
    @inlinable @inline(__always)
    public func derivativeWithRespectToMu(_ value: FermiValue) -> Double {
        value.spread / temperature
    }

    /// ∂f/∂T = y f(1 − f)/T.
    @inlinable @inline(__always)
    public func derivativeWithRespectToTemperature(_ value: FermiValue) -> Double {
        value.reducedEnergy * value.spread / temperature
    }

    /// ∂f/∂(log T) = T ∂f/∂T = y f(1 − f).
    @inlinable @inline(__always)
    public func derivativeWithRespectToLogTemperature(_ value: FermiValue) -> Double {
        value.reducedEnergy * value.spread
    }
}
